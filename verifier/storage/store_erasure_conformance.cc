// The Store conformance suite, part 8: erasure (#17, docs/erasure.md):
// everything kept about a verification, or about one Telegram user, erased
// in one transaction; its attestations revoked and kept. Run by every store
// through the same instantiations as store_conformance.cc.

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "store_conformance.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::storage::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

DuplicateEntry ErasureEntry(const std::string& id, DuplicateKind kind, const std::string& user_hash,
                            const std::string& scope = "service:svc") {
  DuplicateEntry e;
  e.scope = scope;
  e.kind = kind;
  e.key_id = "k1";
  e.hash = "hash-" + id;
  e.verification_id = id;
  e.user_hash = user_hash;
  e.create_time = kT0;
  e.expire_time = kT0 + absl::Hours(24 * 365);
  if (kind == DuplicateKind::kFace) {
    e.sealed = "sealed-face-" + id;
    e.sealed_key_id = "sk-1";
  }
  return e;
}

// A VERIFIED verification `id` of "svc" with its idempotency key, an
// attestation on a status list (index `index`), a verifyUser for `user`
// (made), index entries and a face entry of `user_hash`, a pickup reminder
// and a wallet offer.
void AddVerified(Store& store, const std::string& id, int64_t index, int64_t user,
                 const std::string& user_hash) {
  NewVerification v = Running(id);
  v.record.idempotency_key = "key-" + id;
  ASSERT_THAT(store.CreateVerification(v), IsOk());
  const AttestationRecord a{"att-" + id,          id,    "svc", kT0 + absl::Hours(24),
                            "https://x/status/1", index, 0};
  const BadgeRequest badges[] = {Verify(id, user)};
  const DuplicateEntry entries[] = {ErasureEntry(id, DuplicateKind::kDocument, user_hash),
                                    ErasureEntry(id, DuplicateKind::kPerson, user_hash),
                                    ErasureEntry(id, DuplicateKind::kFace, user_hash)};
  ASSERT_THAT(store.FinishVerification(id, VerificationState::kCompleted, "verified", kT0, nullptr,
                                       &a, badges, entries),
              IsOk());
  ASSERT_THAT(store.SchedulePickupExpiry(id, kT0 + absl::Minutes(10)), IsOk());
  WalletOfferRecord offer;
  offer.code_hash = "code-" + id;
  offer.verification_id = id;
  offer.sealed = "sealed-claims";
  offer.key_id = "sk-1";
  offer.create_time = kT0;
  offer.expire_time = kT0 + absl::Minutes(5);
  ASSERT_THAT(store.CreateWalletOffer(offer), IsOk());
}

// Claims the pending verifyUser calls and records them made.
void MakeBadges(Store& store) {
  absl::StatusOr<std::vector<BadgeItem>> claimed = store.ClaimBadges(kT0, 100, kLease);
  ASSERT_THAT(claimed, IsOk());
  for (const BadgeItem& b : *claimed) {
    ASSERT_THAT(store.RecordBadgeAttempt(b, BadgeState::kDone, kT0, "", kT0), IsOk());
  }
}

std::vector<std::string> LiveFaces(Store& store) {
  std::vector<std::string> live;
  absl::StatusOr<std::vector<FaceIndexChange>> changes =
      store.ListFaceChanges(absl::InfinitePast(), "", 100);
  EXPECT_THAT(changes, IsOk());
  if (!changes.ok()) return live;
  for (const FaceIndexChange& c : *changes) {
    if (!c.erased) live.push_back(c.entry.verification_id);
  }
  return live;
}

ErasureRequest ById(std::vector<std::string> ids, absl::Time now = kT0 + absl::Minutes(1)) {
  ErasureRequest r;
  r.verification_ids = std::move(ids);
  r.now = now;
  return r;
}

std::vector<BadgeItem> ClaimAt(Store& store, absl::Time now) {
  absl::StatusOr<std::vector<BadgeItem>> got = store.ClaimBadges(now, 10, kLease);
  EXPECT_THAT(got, IsOk());
  return got.ok() ? *got : std::vector<BadgeItem>();
}

// Claims the one due removal at `now`, checks it is an erasure's for user
// 42, and records it made.
void MakeErasedRemoval(Store& store, absl::Time now) {
  const std::vector<BadgeItem> due = ClaimAt(store, now);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].request.action, BadgeAction::kRemove);
  EXPECT_EQ(due[0].request.user_id, 42);
  EXPECT_TRUE(absl::StartsWith(due[0].request.verification_id, "erased:"));
  ASSERT_THAT(store.RecordBadgeAttempt(due[0], BadgeState::kDone, now, "", now), IsOk());
}

}  // namespace

TEST_P(StoreConformanceTest, ErasureRemovesEverythingAndRevokesTheAttestation) {
  AddVerified(*store_, "v1", 3, 42, "user-a");
  AddVerified(*store_, "v2", 4, 43, "user-b");  // Another person: untouched.
  MakeBadges(*store_);
  // A direct-mode credential: no status-list entry, nothing to revoke it on.
  ASSERT_THAT(store_->RecordAttestation(
                  AttestationRecord{"direct-v1", "v1", "svc", kT0 + absl::Hours(1), "", -1, 0}),
              IsOk());

  absl::StatusOr<ErasureOutcome> erased = store_->EraseVerifications(ById({"v1"}));

  ASSERT_THAT(erased, IsOk());
  EXPECT_THAT(erased->erased_ids, ElementsAre("v1"));
  EXPECT_THAT(erased->unmatched_ids, IsEmpty());
  EXPECT_EQ(erased->verifications, 1);
  EXPECT_EQ(erased->idempotency_keys, 1);
  EXPECT_EQ(erased->duplicate_entries, 2);
  EXPECT_EQ(erased->face_entries, 1);
  EXPECT_EQ(erased->pickups, 1);
  EXPECT_EQ(erased->wallet_offers, 1);
  EXPECT_EQ(erased->badge_calls, 1);
  EXPECT_TRUE(erased->badge_removal_queued);
  ASSERT_EQ(erased->revoked.size(), 1u);
  EXPECT_EQ(erased->revoked[0].attestation_id, "att-v1");
  EXPECT_EQ(erased->revoked[0].status_list_index, 3);
  EXPECT_EQ(erased->revoked[0].status, 1);
  EXPECT_EQ(erased->attestations_deleted, 1);
  EXPECT_THAT(store_->GetAttestation("direct-v1"), StatusIs(absl::StatusCode::kNotFound));

  EXPECT_THAT(store_->GetVerification("v1"), StatusIs(absl::StatusCode::kNotFound));
  // The status-list row stays, revoked, so relying services see it.
  absl::StatusOr<AttestationRecord> att = store_->GetAttestation("att-v1");
  ASSERT_THAT(att, IsOk());
  EXPECT_EQ(att->status, 1);
  EXPECT_THAT(store_->FindBadges("v1"), ::vouch::testing::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->ListExpiredPickups(kT0 + absl::Hours(1), 10),
              ::vouch::testing::IsOkAndHolds(ElementsAre("v2")));
  EXPECT_THAT(LiveFaces(*store_), ElementsAre("v2"));
  const DuplicateProbe probe{"k1", "hash-v1", "someone-else"};
  EXPECT_THAT(store_->FindDuplicates("service:svc", DuplicateKind::kDocument, {&probe, 1}, kT0, 10),
              ::vouch::testing::IsOkAndHolds(IsEmpty()));
  // The idempotency key is free: the same key starts a new verification.
  NewVerification again = Running("v1-again");
  again.record.idempotency_key = "key-v1";
  absl::StatusOr<CreateOutcome> created = store_->CreateVerification(again);
  ASSERT_THAT(created, IsOk());
  EXPECT_FALSE(created->existed);
  // The other person's data is all there.
  EXPECT_THAT(store_->GetVerification("v2"), IsOk());
  EXPECT_EQ(store_->GetAttestation("att-v2")->status, 0);
  EXPECT_EQ(store_->FindBadges("v2")->size(), 1u);
}

TEST_P(StoreConformanceTest, ErasureLeavesOneRemovalThatGoesOnceMade) {
  AddVerified(*store_, "v1", 3, 42, "user-a");
  MakeBadges(*store_);
  ASSERT_THAT(store_->EraseVerifications(ById({"v1"})), IsOk());

  // The removal is due at once, under an id of its own, for the same user.
  absl::StatusOr<std::vector<BadgeItem>> due =
      store_->ClaimBadges(kT0 + absl::Minutes(1), 10, kLease);
  ASSERT_THAT(due, IsOk());
  ASSERT_EQ(due->size(), 1u);
  const BadgeItem removal = (*due)[0];
  EXPECT_EQ(removal.request.action, BadgeAction::kRemove);
  EXPECT_EQ(removal.request.user_id, 42);
  EXPECT_TRUE(absl::StartsWith(removal.request.verification_id, "erased:"));
  EXPECT_EQ(store_->CountBadges()->pending, 1);

  ASSERT_THAT(store_->RecordBadgeAttempt(removal, BadgeState::kDone, kT0, "", kT0), IsOk());
  // Made: nothing is kept of it (the user id goes with it).
  EXPECT_THAT(store_->FindBadges(removal.request.verification_id),
              ::vouch::testing::IsOkAndHolds(IsEmpty()));
  const BadgeCounts counts = *store_->CountBadges();
  EXPECT_EQ(counts.pending + counts.done + counts.failed, 0);
}

TEST_P(StoreConformanceTest, ErasureOfAVerifyUserNeverSentQueuesNoRemoval) {
  AddVerified(*store_, "v1", 3, 42, "user-a");  // verifyUser pending, never claimed.
  absl::StatusOr<ErasureOutcome> erased = store_->EraseVerifications(ById({"v1"}));
  ASSERT_THAT(erased, IsOk());
  EXPECT_EQ(erased->badge_calls, 1);
  EXPECT_FALSE(erased->badge_removal_queued);
  const BadgeCounts counts = *store_->CountBadges();
  EXPECT_EQ(counts.pending + counts.done + counts.failed, 0);
  // Never claimed: no trace is kept, so a record naming it queues nothing.
  BadgeItem forged;
  forged.request = Verify("v1");
  forged.lease_token = "never-issued";
  EXPECT_THAT(store_->RecordBadgeAttempt(forged, BadgeState::kDone, kT0, "", kT0),
              StatusIs(absl::StatusCode::kNotFound, "unknown badge item"));
  EXPECT_THAT(ClaimAt(*store_, kT0 + absl::Hours(1)), IsEmpty());
}

// The race of docs/erasure.md: a verifyUser claimed before the erasure
// whose call lands at Telegram more than a lease after its claim, after the
// erasure's removal was made (and deleted, user id and all). Its late record
// finds the erasure's trace and queues the removal again, for the user the
// claim names.
TEST_P(StoreConformanceTest, ALateVerifyOfAnErasedClaimQueuesTheRemovalAgain) {
  AddVerified(*store_, "v1", 3, 42, "user-a");
  const std::vector<BadgeItem> stale = ClaimAt(*store_, kT0);
  ASSERT_EQ(stale.size(), 1u);
  // Erased mid-lease: the removal waits for the lease's end.
  absl::StatusOr<ErasureOutcome> erased =
      store_->EraseVerifications(ById({"v1"}, kT0 + absl::Seconds(30)));
  ASSERT_THAT(erased, IsOk());
  EXPECT_TRUE(erased->badge_removal_queued);
  EXPECT_THAT(ClaimAt(*store_, kT0 + absl::Seconds(59)), IsEmpty());
  MakeErasedRemoval(*store_, kT0 + kLease);
  EXPECT_EQ(store_->CountBadges()->pending, 0);

  // The first holder's call ends now: it set the badge after the removal.
  const absl::Time late = kT0 + absl::Minutes(3);
  EXPECT_THAT(store_->RecordBadgeAttempt(stale[0], BadgeState::kDone, late, "", late),
              StatusIs(absl::StatusCode::kNotFound, "badge item erased"));

  MakeErasedRemoval(*store_, late);
  EXPECT_THAT(ClaimAt(*store_, late + absl::Hours(1)), IsEmpty());
  const BadgeCounts counts = *store_->CountBadges();
  EXPECT_EQ(counts.pending + counts.done + counts.failed, 0);  // Nothing of the user is kept.
  // A second late record (a transport error: the call may have set the
  // badge) queues it once more.
  EXPECT_THAT(store_->RecordBadgeAttempt(stale[0], BadgeState::kPending, late + absl::Minutes(1),
                                         "timeout", late),
              StatusIs(absl::StatusCode::kNotFound, "badge item erased"));
  MakeErasedRemoval(*store_, late);
}

// A claim older than the last (its lease ran out, another dispatcher made
// the call since) is traced too: the trace names the verification, not a
// lease token.
TEST_P(StoreConformanceTest, ALateVerifyOfAnEarlierClaimOfAnErasedVerification) {
  AddVerified(*store_, "v1", 3, 42, "user-a");
  const std::vector<BadgeItem> stale = ClaimAt(*store_, kT0);
  ASSERT_EQ(stale.size(), 1u);
  const std::vector<BadgeItem> again = ClaimAt(*store_, kT0 + kLease);
  ASSERT_EQ(again.size(), 1u);
  ASSERT_THAT(
      store_->RecordBadgeAttempt(again[0], BadgeState::kDone, kT0 + kLease, "", kT0 + kLease),
      IsOk());
  ASSERT_THAT(store_->EraseVerifications(ById({"v1"}, kT0 + absl::Minutes(2))), IsOk());
  MakeErasedRemoval(*store_, kT0 + absl::Minutes(2));

  const absl::Time late = kT0 + absl::Minutes(3);
  EXPECT_THAT(store_->RecordBadgeAttempt(stale[0], BadgeState::kDone, late, "", late),
              StatusIs(absl::StatusCode::kNotFound, "badge item erased"));
  MakeErasedRemoval(*store_, late);
}

// A late verifyUser that Telegram refused set nothing; one recorded while
// the erasure's removal still waits unclaimed needs none of its own (the
// removal is made after it): either way one removal is made in all.
TEST_P(StoreConformanceTest, ARefusedOrEarlyRecordOfAnErasedClaimQueuesNoSecondRemoval) {
  AddVerified(*store_, "v1", 3, 42, "user-a");
  AddVerified(*store_, "v2", 4, 42, "user-b");
  const std::vector<BadgeItem> claimed = ClaimAt(*store_, kT0);
  ASSERT_EQ(claimed.size(), 2u);
  ASSERT_THAT(store_->EraseVerifications(ById({"v1", "v2"}, kT0 + absl::Seconds(10))), IsOk());
  const BadgeItem& v1 = claimed[0].request.verification_id == "v1" ? claimed[0] : claimed[1];
  const BadgeItem& v2 = claimed[0].request.verification_id == "v1" ? claimed[1] : claimed[0];

  // v1's call ends within its lease, before the removals are due.
  const absl::Time early = kT0 + absl::Seconds(20);
  EXPECT_THAT(store_->RecordBadgeAttempt(v1, BadgeState::kDone, early, "", early),
              StatusIs(absl::StatusCode::kNotFound, "badge item erased"));
  const std::vector<BadgeItem> due = ClaimAt(*store_, kT0 + kLease);
  ASSERT_EQ(due.size(), 2u);  // The erasure's two removals, nothing more.
  for (const BadgeItem& removal : due) {
    ASSERT_THAT(
        store_->RecordBadgeAttempt(removal, BadgeState::kDone, kT0 + kLease, "", kT0 + kLease),
        IsOk());
  }

  // v2's call, refused by Telegram, ends late: nothing was set.
  const absl::Time late = kT0 + absl::Minutes(3);
  EXPECT_THAT(store_->RecordBadgeAttempt(v2, BadgeState::kFailed, late,
                                         "400 Bad Request: USER_ID_INVALID", late),
              StatusIs(absl::StatusCode::kNotFound, "badge item erased"));
  EXPECT_THAT(ClaimAt(*store_, late + absl::Hours(1)), IsEmpty());
}

// The trace is kept a day: a record later than that finds nothing (and
// the claim pass has dropped it).
TEST_P(StoreConformanceTest, TheTraceOfAnErasedClaimGoesAfterADay) {
  AddVerified(*store_, "v1", 3, 42, "user-a");
  const std::vector<BadgeItem> stale = ClaimAt(*store_, kT0);
  ASSERT_EQ(stale.size(), 1u);
  const absl::Time erased_at = kT0 + absl::Minutes(2);
  ASSERT_THAT(store_->EraseVerifications(ById({"v1"}, erased_at)), IsOk());
  MakeErasedRemoval(*store_, erased_at);

  const absl::Time day_after = erased_at + absl::Hours(24);
  EXPECT_THAT(ClaimAt(*store_, day_after), IsEmpty());
  EXPECT_THAT(store_->RecordBadgeAttempt(stale[0], BadgeState::kDone, day_after, "", day_after),
              StatusIs(absl::StatusCode::kNotFound, "unknown badge item"));
  EXPECT_THAT(ClaimAt(*store_, day_after + absl::Hours(1)), IsEmpty());
}

// The claim pass deletes the traces whose day is over, and only those.
// Seen by a dispatcher whose clock lags a second behind the one that ran
// the pass: a trace still there would queue a removal at its record.
TEST_P(StoreConformanceTest, TheClaimPassDeletesOnlyTheTracesWhoseDayIsOver) {
  AddVerified(*store_, "v1", 3, 42, "user-a");
  AddVerified(*store_, "v2", 4, 42, "user-b");
  const std::vector<BadgeItem> claimed = ClaimAt(*store_, kT0);
  ASSERT_EQ(claimed.size(), 2u);
  const BadgeItem& v1 = claimed[0].request.verification_id == "v1" ? claimed[0] : claimed[1];
  const BadgeItem& v2 = claimed[0].request.verification_id == "v1" ? claimed[1] : claimed[0];
  // Those claims stall; another dispatcher makes both calls.
  for (const BadgeItem& made : ClaimAt(*store_, kT0 + kLease)) {
    ASSERT_THAT(store_->RecordBadgeAttempt(made, BadgeState::kDone, kT0 + kLease, "", kT0 + kLease),
                IsOk());
  }
  const absl::Time v1_erased = kT0 + absl::Minutes(2);
  ASSERT_THAT(store_->EraseVerifications(ById({"v1"}, v1_erased)), IsOk());
  MakeErasedRemoval(*store_, v1_erased);
  const absl::Time v2_erased = kT0 + absl::Hours(3);
  ASSERT_THAT(store_->EraseVerifications(ById({"v2"}, v2_erased)), IsOk());
  MakeErasedRemoval(*store_, v2_erased);

  // The pass at the end of v1's day.
  const absl::Time v1_day_over = v1_erased + absl::Hours(24);
  EXPECT_THAT(ClaimAt(*store_, v1_day_over), IsEmpty());

  const absl::Time lagging = v1_day_over - absl::Seconds(1);
  EXPECT_THAT(store_->RecordBadgeAttempt(v1, BadgeState::kDone, lagging, "", lagging),
              StatusIs(absl::StatusCode::kNotFound, "unknown badge item"));
  EXPECT_THAT(store_->RecordBadgeAttempt(v2, BadgeState::kDone, lagging, "", lagging),
              StatusIs(absl::StatusCode::kNotFound, "badge item erased"));
  MakeErasedRemoval(*store_, v1_day_over);  // v2's, the only one queued.
  EXPECT_THAT(ClaimAt(*store_, v1_day_over + absl::Hours(1)), IsEmpty());
}

TEST_P(StoreConformanceTest, ErasureTakesTheReviewCaseAndJobs) {
  const DuplicateEntry held[] = {ErasureEntry("c1", DuplicateKind::kDocument, "user-a")};
  ASSERT_TRUE(AddClaimedCase("c1", held).has_value());
  NewVerification job = Running("j1");
  job.record.state = VerificationState::kPending;
  job.job_payload = "encrypted";
  ASSERT_THAT(store_->CreateVerification(job), IsOk());

  absl::StatusOr<ErasureOutcome> erased = store_->EraseVerifications(ById({"c1", "j1"}));

  ASSERT_THAT(erased, IsOk());
  EXPECT_THAT(erased->erased_ids, ElementsAre("c1", "j1"));
  EXPECT_EQ(erased->review_cases, 1);
  EXPECT_EQ(erased->jobs, 1);
  EXPECT_EQ(erased->verifications, 2);
  EXPECT_EQ(erased->duplicate_entries, 1);
  EXPECT_THAT(store_->GetCase("c1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(*store_->PendingJobCount(), 0);
}

TEST_P(StoreConformanceTest, ErasureIsIdempotentAndReportsUnknownIds) {
  AddVerified(*store_, "v1", 3, 42, "user-a");
  ASSERT_THAT(store_->EraseVerifications(ById({"v1"})), IsOk());

  absl::StatusOr<ErasureOutcome> again = store_->EraseVerifications(ById({"v1", "nope"}));

  ASSERT_THAT(again, IsOk());
  EXPECT_THAT(again->erased_ids, IsEmpty());
  EXPECT_THAT(again->unmatched_ids, ElementsAre("nope", "v1"));
  EXPECT_EQ(again->verifications, 0);
  EXPECT_EQ(again->face_entries, 0);
  EXPECT_THAT(again->revoked, IsEmpty());  // Revoked before: still revoked.
  EXPECT_EQ(store_->GetAttestation("att-v1")->status, 1);
}

TEST_P(StoreConformanceTest, ErasureByTelegramUserFindsTheirVerificationsOfTheService) {
  AddVerified(*store_, "v1", 3, 42, "user-a");
  AddVerified(*store_, "v2", 4, 42, "user-a-other-key");  // Same user, an older key's hash.
  AddVerified(*store_, "v3", 5, 77, "user-c");            // Someone else.
  // The same user at another service: its entries carry that scope's hash.
  NewVerification other = Running("w1");
  other.record.relying_service = "other";
  ASSERT_THAT(store_->CreateVerification(other), IsOk());
  const BadgeRequest badges[] = {Verify("w1", 42)};
  ASSERT_THAT(store_->FinishVerification("w1", VerificationState::kCompleted, "verified", kT0,
                                         nullptr, nullptr, badges),
              IsOk());
  // An entry of the user whose verification was purged already.
  const DuplicateEntry orphan[] = {ErasureEntry("gone", DuplicateKind::kDocument, "user-a")};
  ASSERT_THAT(store_->RecordDuplicates(orphan), IsOk());

  ErasureRequest r;
  r.telegram_user_id = 42;
  r.relying_service = "svc";
  r.user_hashes = {"user-a", "user-a-other-key"};
  r.now = kT0 + absl::Minutes(1);
  absl::StatusOr<ErasureOutcome> erased = store_->EraseVerifications(r);

  ASSERT_THAT(erased, IsOk());
  EXPECT_THAT(erased->erased_ids, ElementsAre("gone", "v1", "v2"));
  EXPECT_EQ(erased->verifications, 2);
  EXPECT_EQ(erased->duplicate_entries, 5);
  EXPECT_EQ(erased->revoked.size(), 2u);
  EXPECT_THAT(store_->GetVerification("v3"), IsOk());
  EXPECT_THAT(store_->GetVerification("w1"), IsOk());  // Another service's.
  EXPECT_EQ(store_->FindBadges("w1")->size(), 1u);
}

TEST_P(StoreConformanceTest, TheRevokedRowsAnErasureKeptArePurgedOnceExpired) {
  AddVerified(*store_, "v1", 3, 42, "user-a");
  AddVerified(*store_, "v2", 4, 43, "user-b");
  ASSERT_THAT(store_->EraseVerifications(ById({"v1"})), IsOk());
  // Still valid credentials: the revocation must stay visible.
  EXPECT_THAT(store_->PurgeKeptAttestations(kT0 + absl::Hours(1)),
              ::vouch::testing::IsOkAndHolds(0));
  EXPECT_EQ(store_->GetAttestation("att-v1")->status, 1);

  // Expired: the erased verification's row goes; v2's stays with v2, which
  // no erasure removed (its own retention is PurgeVerifications').
  EXPECT_THAT(store_->PurgeKeptAttestations(kT0 + absl::Hours(25)),
              ::vouch::testing::IsOkAndHolds(1));
  EXPECT_THAT(store_->GetAttestation("att-v1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetAttestation("att-v2"), IsOk());
  EXPECT_THAT(store_->PurgeKeptAttestations(kT0 + absl::Hours(25)),
              ::vouch::testing::IsOkAndHolds(0));
}

TEST_P(StoreConformanceTest, ErasureRefusesBadRequestsAndWritesNothing) {
  AddVerified(*store_, "v1", 3, 42, "user-a");
  EXPECT_THAT(store_->EraseVerifications(ById({})), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->EraseVerifications(ById({"v1", ""})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->EraseVerifications(ById({"v1", std::string(65, 'v')})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->EraseVerifications(ById(std::vector<std::string>(1001, "v1"))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ErasureRequest no_service = ById({});
  no_service.telegram_user_id = 42;
  EXPECT_THAT(store_->EraseVerifications(no_service), StatusIs(absl::StatusCode::kInvalidArgument));
  ErasureRequest bad_hash = ById({"v1"});
  bad_hash.telegram_user_id = 42;
  bad_hash.relying_service = "svc";
  bad_hash.user_hashes = {""};
  EXPECT_THAT(store_->EraseVerifications(bad_hash), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->GetVerification("v1"), IsOk());
}

}  // namespace vouch::verifier::storage::testing
