// The Store conformance suite, part 3: the duplicate index (#17,
// docs/dedup.md). Run by every store through the same instantiations as
// store_conformance.cc.

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "store_conformance.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::storage::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

DuplicateEntry Entry(const std::string& verification_id, const std::string& hash,
                     const std::string& user_hash, absl::Time created = kT0,
                     absl::Time expires = kT0 + absl::Hours(24 * 365)) {
  DuplicateEntry e;
  e.scope = "provider";
  e.kind = DuplicateKind::kDocument;
  e.key_id = "k1";
  e.hash = hash;
  e.verification_id = verification_id;
  e.user_hash = user_hash;
  e.create_time = created;
  e.expire_time = expires;
  return e;
}

// Held entries of `id` (doc "h-<id>", person "p-<id>", user "u-<id>"),
// as the engine writes them with a captured case.
std::vector<DuplicateEntry> HeldEntries(const std::string& id) {
  DuplicateEntry doc = Entry(id, "h-" + id, "u-" + id);
  DuplicateEntry person = Entry(id, "p-" + id, "u-" + id);
  person.kind = DuplicateKind::kPerson;
  doc.held = person.held = true;
  return {doc, person};
}

std::vector<std::string> Ids(const absl::StatusOr<std::vector<DuplicateEntry>>& found) {
  EXPECT_THAT(found, IsOk());
  std::vector<std::string> ids;
  if (found.ok()) {
    for (const DuplicateEntry& e : *found) ids.push_back(e.verification_id);
  }
  return ids;
}

}  // namespace

TEST_P(StoreConformanceTest, DuplicatesOfAnotherUserAreFoundAndTheSameUsersAreNot) {
  ASSERT_THAT(store_->RecordDuplicates({Entry("v1", "doc-a", "user-1")}), IsOk());
  ASSERT_THAT(store_->RecordDuplicates({Entry("v2", "doc-a", "user-2", kT0 + absl::Seconds(1))}),
              IsOk());

  // User 3 sees both; user 1 sees only user 2's; an unknown hash nothing.
  const DuplicateProbe user3{"k1", "doc-a", "user-3"};
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {user3}, kT0, 10)),
              ElementsAre("v1", "v2"));
  const DuplicateProbe user1{"k1", "doc-a", "user-1"};
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {user1}, kT0, 10)),
              ElementsAre("v2"));
  const DuplicateProbe other{"k1", "doc-b", "user-3"};
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {other}, kT0, 10)),
              IsEmpty());

  // The entry comes back as written.
  absl::StatusOr<std::vector<DuplicateEntry>> found =
      store_->FindDuplicates("provider", DuplicateKind::kDocument, {user1}, kT0, 10);
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->size(), 1u);
  const DuplicateEntry& e = found->front();
  EXPECT_EQ(e.scope, "provider");
  EXPECT_EQ(e.kind, DuplicateKind::kDocument);
  EXPECT_EQ(e.key_id, "k1");
  EXPECT_EQ(e.hash, "doc-a");
  EXPECT_EQ(e.user_hash, "user-2");
  EXPECT_FALSE(e.forged);
  EXPECT_EQ(e.create_time, kT0 + absl::Seconds(1));
  EXPECT_EQ(e.expire_time, kT0 + absl::Hours(24 * 365));
}

TEST_P(StoreConformanceTest, DuplicatesAreComparedWithinOneScopeKindAndKey) {
  DuplicateEntry service = Entry("v1", "h", "user-1");
  service.scope = "service:bank";
  DuplicateEntry person = Entry("v2", "h", "user-1");
  person.kind = DuplicateKind::kPerson;
  DuplicateEntry old_key = Entry("v3", "h", "user-1");
  old_key.key_id = "k0";
  ASSERT_THAT(store_->RecordDuplicates({service, person, old_key}), IsOk());

  const DuplicateProbe k1{"k1", "h", "user-2"};
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {k1}, kT0, 10)),
              IsEmpty());
  EXPECT_THAT(Ids(store_->FindDuplicates("service:bank", DuplicateKind::kDocument, {k1}, kT0, 10)),
              ElementsAre("v1"));
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kPerson, {k1}, kT0, 10)),
              ElementsAre("v2"));
  // After a rotation a lookup probes under every key: the old key's entry is
  // found with the hash made under the old key.
  const DuplicateProbe k0{"k0", "h", "user-2"};
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {k1, k0}, kT0, 10)),
              ElementsAre("v3"));
}

TEST_P(StoreConformanceTest, ExpiredDuplicatesAreNotFoundAndArePurged) {
  ASSERT_THAT(store_->RecordDuplicates({Entry("v1", "h", "u1", kT0, kT0 + absl::Hours(1)),
                                        Entry("v2", "h", "u2", kT0, kT0 + absl::Hours(2))}),
              IsOk());
  const DuplicateProbe probe{"k1", "h", "u3"};
  const absl::Time later = kT0 + absl::Hours(1);
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {probe}, later, 10)),
              ElementsAre("v2"));

  EXPECT_EQ(*store_->PurgeExpiredDuplicates(later), 1);
  EXPECT_EQ(*store_->PurgeExpiredDuplicates(later), 0);
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {probe}, kT0, 10)),
              ElementsAre("v2"));
}

TEST_P(StoreConformanceTest, CountDuplicatesCountsTheEntriesNotExpired) {
  EXPECT_EQ(*store_->CountDuplicates(kT0), 0);
  DuplicateEntry held = Entry("v2", "h2", "u2");
  held.held = true;
  ASSERT_THAT(store_->RecordDuplicates({Entry("v1", "h1", "u1", kT0, kT0 + absl::Hours(1)), held,
                                        Entry("v3", "h3", "u3")}),
              IsOk());
  ASSERT_EQ(*store_->MarkDuplicatesForged("v3"), 1);
  EXPECT_EQ(*store_->CountDuplicates(kT0), 3);  // Held and forged included.
  EXPECT_EQ(*store_->CountDuplicates(kT0 + absl::Hours(1)), 2);
}

TEST_P(StoreConformanceTest, ForgedDuplicatesAreFoundForTheSameUserToo) {
  ASSERT_THAT(store_->RecordDuplicates({Entry("v1", "h", "u1"), Entry("v1", "p", "u1")}), IsOk());
  const DuplicateProbe same_user{"k1", "h", "u1"};
  EXPECT_THAT(
      Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {same_user}, kT0, 10)),
      IsEmpty());

  EXPECT_EQ(*store_->MarkDuplicatesForged("v1"), 2);
  EXPECT_EQ(*store_->MarkDuplicatesForged("nobody"), 0);
  absl::StatusOr<std::vector<DuplicateEntry>> found =
      store_->FindDuplicates("provider", DuplicateKind::kDocument, {same_user}, kT0, 10);
  ASSERT_THAT(found, IsOk());
  EXPECT_THAT(*found, ElementsAre(Field(&DuplicateEntry::forged, true)));
}

TEST_P(StoreConformanceTest, HeldDuplicatesCountOnlyOnceConfirmedOrForged) {
  DuplicateEntry held = Entry("v1", "h", "u1");
  held.held = true;
  ASSERT_THAT(store_->RecordDuplicates({held}), IsOk());
  const DuplicateProbe other{"k1", "h", "u2"};
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {other}, kT0, 10)),
              IsEmpty());

  EXPECT_EQ(*store_->ConfirmDuplicates("v1"), 1);
  EXPECT_EQ(*store_->ConfirmDuplicates("v1"), 0);  // Already released.
  absl::StatusOr<std::vector<DuplicateEntry>> found =
      store_->FindDuplicates("provider", DuplicateKind::kDocument, {other}, kT0, 10);
  ASSERT_THAT(found, IsOk());
  EXPECT_THAT(*found, ElementsAre(Field(&DuplicateEntry::held, false)));

  // A held entry marked forged is found at once, by anyone.
  DuplicateEntry forged = Entry("v2", "f", "u1");
  forged.held = true;
  ASSERT_THAT(store_->RecordDuplicates({forged}), IsOk());
  ASSERT_EQ(*store_->MarkDuplicatesForged("v2"), 1);
  const DuplicateProbe same{"k1", "f", "u1"};
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {same}, kT0, 10)),
              ElementsAre("v2"));
}

TEST_P(StoreConformanceTest, DeleteDuplicatesRemovesOneVerificationsEntries) {
  ASSERT_THAT(store_->RecordDuplicates(
                  {Entry("v1", "h", "u1"), Entry("v1", "p", "u1"), Entry("v2", "h", "u2")}),
              IsOk());
  EXPECT_EQ(*store_->DeleteDuplicates("v1"), 2);
  const DuplicateProbe probe{"k1", "h", "u3"};
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {probe}, kT0, 10)),
              ElementsAre("v2"));
}

TEST_P(StoreConformanceTest, RecordingADuplicateAgainReplacesIt) {
  ASSERT_THAT(store_->RecordDuplicates({Entry("v1", "h", "u1", kT0, kT0 + absl::Hours(1))}),
              IsOk());
  ASSERT_THAT(store_->RecordDuplicates({Entry("v1", "h", "u1", kT0, kT0 + absl::Hours(5))}),
              IsOk());
  const DuplicateProbe probe{"k1", "h", "u3"};
  absl::StatusOr<std::vector<DuplicateEntry>> found =
      store_->FindDuplicates("provider", DuplicateKind::kDocument, {probe}, kT0, 10);
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().expire_time, kT0 + absl::Hours(5));
}

TEST_P(StoreConformanceTest, DuplicateBoundsAreChecked) {
  DuplicateEntry no_hash = Entry("v1", "", "u1");
  EXPECT_THAT(store_->RecordDuplicates({Entry("v0", "h", "u"), no_hash}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Nothing of the refused batch was written.
  const DuplicateProbe probe{"k1", "h", "x"};
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {probe}, kT0, 10)),
              IsEmpty());
  EXPECT_THAT(store_->RecordDuplicates({Entry("v1", "h", "")}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->FindDuplicates("provider", DuplicateKind::kDocument, {probe}, kT0, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  const std::vector<DuplicateProbe> too_many(65, probe);
  EXPECT_THAT(store_->FindDuplicates("provider", DuplicateKind::kDocument, too_many, kT0, 10),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StoreConformanceTest, DuplicatesAreWrittenWithTheResultAndOnlyThen) {
  ASSERT_THAT(store_->CreateVerification(Running("v1")), IsOk());
  // An entry of another verification refuses the whole completion.
  const std::vector<DuplicateEntry> wrong = {Entry("v9", "h", "u1")};
  EXPECT_THAT(store_->FinishVerification("v1", VerificationState::kCompleted, "r", kT0, nullptr,
                                         nullptr, {}, wrong),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(store_->GetVerification("v1")->state, VerificationState::kRunning);

  const std::vector<DuplicateEntry> entries = {Entry("v1", "h", "u1")};
  ASSERT_THAT(store_->FinishVerification("v1", VerificationState::kCompleted, "r", kT0, nullptr,
                                         nullptr, {}, entries),
              IsOk());
  const DuplicateProbe probe{"k1", "h", "u2"};
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {probe}, kT0, 10)),
              ElementsAre("v1"));

  // A refused completion (already terminal) writes no entry.
  const std::vector<DuplicateEntry> late = {Entry("v1", "h2", "u1")};
  EXPECT_THAT(store_->FinishVerification("v1", VerificationState::kCompleted, "r", kT0, nullptr,
                                         nullptr, {}, late),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  const DuplicateProbe probe2{"k1", "h2", "u2"};
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {probe2}, kT0, 10)),
              IsEmpty());
}

TEST_P(StoreConformanceTest, AJobCompletionRecordsItsDuplicates) {
  NewVerification v = Running("j1");
  v.record.state = VerificationState::kPending;
  v.job_payload = "payload";
  ASSERT_THAT(store_->CreateVerification(v), IsOk());
  absl::StatusOr<std::optional<ClaimedJob>> job = store_->ClaimJob(kT0, absl::Minutes(1));
  ASSERT_THAT(job, IsOk());
  ASSERT_TRUE(job->has_value());
  const std::vector<DuplicateEntry> entries = {Entry("j1", "h", "u1")};
  ASSERT_THAT(store_->CompleteJob(**job, VerificationState::kCompleted, "r", kT0, nullptr, nullptr,
                                  {}, entries),
              IsOk());
  const DuplicateProbe probe{"k1", "h", "u2"};
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {probe}, kT0, 10)),
              ElementsAre("j1"));
  // A second completion (lease gone) writes nothing more.
  const std::vector<DuplicateEntry> again = {Entry("j1", "h3", "u1")};
  EXPECT_THAT(store_->CompleteJob(**job, VerificationState::kCompleted, "r", kT0, nullptr, nullptr,
                                  {}, again),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  const DuplicateProbe probe3{"k1", "h3", "u2"};
  EXPECT_THAT(Ids(store_->FindDuplicates("provider", DuplicateKind::kDocument, {probe3}, kT0, 10)),
              IsEmpty());
}

// A reviewer's decision moves the case's entries in the decision's own
// transaction: a decision refused (claim lost, or a duplicate attestation
// after the move was made) moves nothing; one that commits moves them all.
TEST_P(StoreConformanceTest, ADecisionMovesItsDuplicatesAllOrNothing) {
  const std::optional<ReviewCase> held = AddClaimedCase("v1", HeldEntries("v1"));
  ASSERT_TRUE(held.has_value());
  const std::string& lease = held->lease_token;
  const DuplicateProbe doc{"k1", "h-v1", "u-other"};
  const DuplicateProbe same_user{"k1", "h-v1", "u-v1"};
  const auto found = [&](const DuplicateProbe& probe, DuplicateKind kind = DuplicateKind::kDocument,
                         const std::string& hash = "") {
    DuplicateProbe p = probe;
    if (!hash.empty()) p.hash = hash;
    return Ids(store_->FindDuplicates("provider", kind, {p}, kT0, 10));
  };
  ASSERT_THAT(found(doc), IsEmpty());  // Held: nobody's duplicate.

  EXPECT_THAT(store_->DecideCase("v1", "wrong-token", "rejected", kT0, kT0, nullptr, {},
                                 DuplicateVerdict::kForged),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(found(same_user), IsEmpty());  // Not marked forged.

  // The attestation is inserted after the entries were moved: its refusal
  // rolls the move back with the rest.
  const AttestationRecord taken{"att-dup", "other", "svc", kT0 + absl::Hours(1), "", -1, 0};
  ASSERT_THAT(store_->RecordAttestation(taken), IsOk());
  const AttestationRecord duplicate{"att-dup", "v1", "svc", kT0 + absl::Hours(1), "", -1, 0};
  EXPECT_THAT(store_->DecideCase("v1", lease, "approved", kT0, kT0, &duplicate, {},
                                 DuplicateVerdict::kConfirm),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(found(doc), IsEmpty());  // Still held.
  EXPECT_THAT(store_->GetCase("v1"), IsOk());

  ASSERT_THAT(store_->DecideCase("v1", lease, "approved", kT0, kT0, nullptr, {},
                                 DuplicateVerdict::kConfirm),
              IsOk());
  EXPECT_THAT(found(doc), ElementsAre("v1"));
  EXPECT_THAT(found(doc, DuplicateKind::kPerson, "p-v1"), ElementsAre("v1"));
  EXPECT_THAT(store_->GetCase("v1"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, ADecisionMarksForgedOrDeletesItsDuplicates) {
  const std::optional<ReviewCase> v1 = AddClaimedCase("v1", HeldEntries("v1"));
  const std::optional<ReviewCase> v2 = AddClaimedCase("v2", HeldEntries("v2"));
  const std::optional<ReviewCase> v3 = AddClaimedCase("v3", HeldEntries("v3"));
  ASSERT_TRUE(v1.has_value() && v2.has_value() && v3.has_value());
  const std::string& forged = v1->lease_token;
  const std::string& other = v2->lease_token;
  const std::string& untouched = v3->lease_token;
  ASSERT_THAT(store_->DecideCase("v1", forged, "rejected", kT0, kT0, nullptr, {},
                                 DuplicateVerdict::kForged),
              IsOk());
  ASSERT_THAT(
      store_->DecideCase("v2", other, "rejected", kT0, kT0, nullptr, {}, DuplicateVerdict::kDelete),
      IsOk());
  ASSERT_THAT(store_->DecideCase("v3", untouched, "rejected", kT0, kT0), IsOk());

  // Forged: found for everyone, the same user too.
  const DuplicateProbe v1_same{"k1", "h-v1", "u-v1"};
  absl::StatusOr<std::vector<DuplicateEntry>> marked =
      store_->FindDuplicates("provider", DuplicateKind::kDocument, {v1_same}, kT0, 10);
  ASSERT_THAT(marked, IsOk());
  EXPECT_THAT(*marked, ElementsAre(Field(&DuplicateEntry::forged, true)));
  // Deleted: both kinds gone.
  EXPECT_EQ(*store_->DeleteDuplicates("v2"), 0);
  // No verdict (the default): left held.
  EXPECT_EQ(*store_->ConfirmDuplicates("v3"), 2);
}

}  // namespace vouch::verifier::storage::testing
