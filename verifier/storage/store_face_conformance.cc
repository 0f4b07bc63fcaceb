// The Store conformance suite, part 6: the face 1:N index (#17,
// docs/dedup.md): kFace entries of the duplicate index, kept in table
// face_index and read back as changes. Run by every store through the same
// instantiations as store_conformance.cc.

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "store_conformance.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::storage::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

DuplicateEntry Face(const std::string& verification_id, const std::string& user_hash,
                    absl::Time expires = kT0 + absl::Hours(24 * 365)) {
  DuplicateEntry e;
  e.scope = "service:svc";
  e.kind = DuplicateKind::kFace;
  e.key_id = "k1";
  e.hash = "doc-" + verification_id;
  e.verification_id = verification_id;
  e.user_hash = user_hash;
  e.sealed = std::string(
                 "\x01sealed\x00"
                 "face-",
                 13) +
             verification_id;
  e.sealed_key_id = "sk-1";
  e.create_time = kT0;
  e.expire_time = expires;
  return e;
}

// Every change since the beginning, paged by `page`.
std::vector<FaceIndexChange> AllChanges(Store& store, int page = 100) {
  std::vector<FaceIndexChange> out;
  absl::Time after = absl::InfinitePast();
  std::string after_id;
  for (;;) {
    absl::StatusOr<std::vector<FaceIndexChange>> got = store.ListFaceChanges(after, after_id, page);
    EXPECT_THAT(got, IsOk());
    if (!got.ok() || got->empty()) return out;
    after = got->back().change_time;
    after_id = got->back().entry.verification_id;
    for (FaceIndexChange& c : *got) out.push_back(std::move(c));
    if (static_cast<int>(out.size()) > 1000) return out;  // A paging bug: stop.
  }
}

std::vector<std::string> LiveIds(Store& store) {
  std::vector<std::string> ids;
  for (const FaceIndexChange& c : AllChanges(store)) {
    if (!c.erased) ids.push_back(c.entry.verification_id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

TEST_P(StoreConformanceTest, FaceEntriesComeBackAsWrittenAndAreNotHashLookups) {
  ASSERT_THAT(store_->RecordDuplicates({Face("v1", "user-1")}), IsOk());
  const std::vector<FaceIndexChange> changes = AllChanges(*store_);
  ASSERT_EQ(changes.size(), 1u);
  const FaceIndexChange& c = changes.front();
  EXPECT_FALSE(c.erased);
  const DuplicateEntry want = Face("v1", "user-1");
  EXPECT_EQ(c.entry.kind, DuplicateKind::kFace);
  EXPECT_EQ(c.entry.scope, want.scope);
  EXPECT_EQ(c.entry.key_id, "k1");
  EXPECT_EQ(c.entry.hash, "doc-v1");
  EXPECT_EQ(c.entry.user_hash, "user-1");
  EXPECT_EQ(c.entry.sealed, want.sealed);  // Bytes, NUL included.
  EXPECT_EQ(c.entry.sealed_key_id, "sk-1");
  EXPECT_FALSE(c.entry.held);
  EXPECT_FALSE(c.entry.forged);
  EXPECT_EQ(c.entry.create_time, kT0);
  EXPECT_EQ(c.entry.expire_time, want.expire_time);
  EXPECT_EQ(*store_->CountFaces(kT0), 1);
  // Faces are searched in memory, never by FindDuplicates; and they are not
  // counted as hash entries.
  const DuplicateProbe probe{"k1", "doc-v1", "user-2"};
  EXPECT_THAT(*store_->FindDuplicates("service:svc", DuplicateKind::kFace, {probe}, kT0, 10),
              IsEmpty());
  EXPECT_EQ(*store_->CountDuplicates(kT0), 0);
}

TEST_P(StoreConformanceTest, FaceEntryWithoutDocumentHashIsAccepted) {
  DuplicateEntry e = Face("v1", "user-1");
  e.hash = "";
  ASSERT_THAT(store_->RecordDuplicates({e}), IsOk());
  EXPECT_THAT(LiveIds(*store_), ElementsAre("v1"));
}

TEST_P(StoreConformanceTest, FaceBoundsAreChecked) {
  const auto refused = [&](DuplicateEntry e) {
    EXPECT_THAT(store_->RecordDuplicates({Face("ok", "u"), e}),
                StatusIs(absl::StatusCode::kInvalidArgument));
  };
  DuplicateEntry e = Face("v1", "u");
  e.sealed = "";
  refused(e);
  e = Face("v1", "u");
  e.sealed = std::string((16 << 10) + 1, 'x');
  refused(e);
  e = Face("v1", "u");
  e.sealed_key_id = "";
  refused(e);
  e = Face("v1", "u");
  e.user_hash = "";
  refused(e);
  e = Face("v1", "u");
  e.hash = std::string(129, 'h');
  refused(e);
  e = Face("", "u");
  refused(e);
  EXPECT_THAT(AllChanges(*store_), IsEmpty());  // Nothing of a refused batch.
  EXPECT_THAT(store_->ListFaceChanges(absl::InfinitePast(), "", 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->ListFaceChanges(absl::InfinitePast(), "", 10001),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StoreConformanceTest, FaceChangesArePagedInOrderWithoutGapsOrRepeats) {
  std::vector<DuplicateEntry> batch;
  for (int i = 0; i < 25; ++i) batch.push_back(Face(absl::StrCat("v", 100 + i), "u"));
  ASSERT_THAT(store_->RecordDuplicates(batch), IsOk());  // One transaction: equal times.
  const std::vector<FaceIndexChange> paged = AllChanges(*store_, 7);
  ASSERT_EQ(paged.size(), 25u);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(paged[i].entry.verification_id, absl::StrCat("v", 100 + i));
  }
  // A change after the last one is seen from the last cursor.
  const FaceIndexChange& last = paged.back();
  ASSERT_THAT(store_->RecordDuplicates({Face("w1", "u")}), IsOk());
  absl::StatusOr<std::vector<FaceIndexChange>> next =
      store_->ListFaceChanges(last.change_time, last.entry.verification_id, 100);
  ASSERT_THAT(next, IsOk());
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ(next->front().entry.verification_id, "w1");
  EXPECT_GE(next->front().change_time, last.change_time);
}

TEST_P(StoreConformanceTest, AFaceIsWrittenWithTheResultAndOnlyThen) {
  ASSERT_THAT(store_->CreateVerification(Running("v1")), IsOk());
  const std::vector<DuplicateEntry> wrong = {Face("v9", "u1")};
  EXPECT_THAT(store_->FinishVerification("v1", VerificationState::kCompleted, "r", kT0, nullptr,
                                         nullptr, {}, wrong),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AllChanges(*store_), IsEmpty());
  ASSERT_THAT(store_->FinishVerification("v1", VerificationState::kCompleted, "r", kT0, nullptr,
                                         nullptr, {}, {Face("v1", "u1")}),
              IsOk());
  EXPECT_THAT(LiveIds(*store_), ElementsAre("v1"));
}

TEST_P(StoreConformanceTest, ErasingAFaceLeavesATombstoneWithoutTheEmbedding) {
  ASSERT_THAT(store_->RecordDuplicates({Face("v1", "u1"), Face("v2", "u2")}), IsOk());
  const absl::Time before = AllChanges(*store_).back().change_time;
  EXPECT_EQ(*store_->DeleteDuplicates("v1"), 1);
  EXPECT_EQ(*store_->DeleteDuplicates("v1"), 0);  // Already erased.
  EXPECT_THAT(LiveIds(*store_), ElementsAre("v2"));
  EXPECT_EQ(*store_->CountFaces(kT0), 1);
  // The tombstone is a change later than the entry: a replica polling from
  // its cursor sees it, and it holds nothing of the face or the user.
  bool seen = false;
  for (const FaceIndexChange& c : AllChanges(*store_)) {
    if (c.entry.verification_id != "v1") continue;
    seen = true;
    EXPECT_TRUE(c.erased);
    EXPECT_GE(c.change_time, before);
    EXPECT_EQ(c.entry.sealed, "");
    EXPECT_EQ(c.entry.user_hash, "");
    EXPECT_EQ(c.entry.hash, "");
  }
  EXPECT_TRUE(seen);
}

TEST_P(StoreConformanceTest, ExpiredFacesArePurgedAndNotCounted) {
  ASSERT_THAT(store_->RecordDuplicates({Face("old", "u1", kT0 + absl::Hours(1)),
                                        Face("new", "u2", kT0 + absl::Hours(48))}),
              IsOk());
  ASSERT_THAT(store_->RecordDuplicates({Face("gone", "u3", kT0 + absl::Hours(48))}), IsOk());
  ASSERT_EQ(*store_->DeleteDuplicates("gone"), 1);
  EXPECT_EQ(*store_->CountFaces(kT0 + absl::Hours(2)), 1);
  // The expired entry counts as purged; the tombstone stays until its day
  // or its expiry has passed.
  EXPECT_EQ(*store_->PurgeExpiredDuplicates(kT0 + absl::Hours(2)), 1);
  EXPECT_EQ(AllChanges(*store_).size(), 2u);
  EXPECT_EQ(*store_->PurgeExpiredDuplicates(kT0 + absl::Hours(49)), 1);
  EXPECT_THAT(AllChanges(*store_), IsEmpty());
}

TEST_P(StoreConformanceTest, ADecisionMovesItsFaceWithItsOtherEntries) {
  const auto held = [](const std::string& id) {
    DuplicateEntry e = Face(id, "u-" + id);
    e.held = true;
    return std::vector<DuplicateEntry>{e};
  };
  const std::optional<ReviewCase> c1 = AddClaimedCase("v1", held("v1"));
  const std::optional<ReviewCase> c2 = AddClaimedCase("v2", held("v2"));
  const std::optional<ReviewCase> c3 = AddClaimedCase("v3", held("v3"));
  ASSERT_TRUE(c1.has_value() && c2.has_value() && c3.has_value());
  // A refused decision moves nothing.
  EXPECT_THAT(store_->DecideCase("v1", "wrong-token", "approved", kT0, kT0, nullptr, {},
                                 DuplicateVerdict::kConfirm),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  for (const FaceIndexChange& c : AllChanges(*store_)) EXPECT_TRUE(c.entry.held);

  ASSERT_THAT(store_->DecideCase("v1", c1->lease_token, "approved", kT0, kT0, nullptr, {},
                                 DuplicateVerdict::kConfirm),
              IsOk());
  ASSERT_THAT(store_->DecideCase("v2", c2->lease_token, "rejected", kT0, kT0, nullptr, {},
                                 DuplicateVerdict::kForged),
              IsOk());
  ASSERT_THAT(store_->DecideCase("v3", c3->lease_token, "rejected", kT0, kT0, nullptr, {},
                                 DuplicateVerdict::kDelete),
              IsOk());
  int seen = 0;
  for (const FaceIndexChange& c : AllChanges(*store_)) {
    const std::string& id = c.entry.verification_id;
    ++seen;
    if (id == "v1") {
      EXPECT_FALSE(c.erased);
      EXPECT_FALSE(c.entry.held);
      EXPECT_FALSE(c.entry.forged);
    } else if (id == "v2") {
      EXPECT_FALSE(c.erased);
      EXPECT_TRUE(c.entry.held);
      EXPECT_TRUE(c.entry.forged);
    } else {
      EXPECT_EQ(id, "v3");
      EXPECT_TRUE(c.erased);
    }
  }
  EXPECT_EQ(seen, 3);
}

// #17: a storage key rotation re-seals the faces (dedup::RekeyFaces).
TEST_P(StoreConformanceTest, FacesAreListedByTheirKeyAndReSealedOnlyUnderTheExpectedOne) {
  ASSERT_THAT(store_->RecordDuplicates({Face("v1", "u1"), Face("v2", "u2"), Face("v3", "u3")}),
              IsOk());
  ASSERT_THAT(store_->DeleteDuplicates("v3"), IsOk());  // A tombstone: never listed.

  absl::StatusOr<std::vector<DuplicateEntry>> page = store_->FacesSealedWith("sk-1", "", 1);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].verification_id, "v1");
  EXPECT_EQ((*page)[0].sealed, Face("v1", "u1").sealed);
  page = store_->FacesSealedWith("sk-1", "v1", 10);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].verification_id, "v2");

  EXPECT_THAT(store_->RekeyFace("v1", "sk-1", "resealed-v1", "sk-2"),
              ::vouch::testing::IsOkAndHolds(true));
  // Re-sealed meanwhile, erased, unknown: nothing written.
  EXPECT_THAT(store_->RekeyFace("v1", "sk-1", "again", "sk-3"),
              ::vouch::testing::IsOkAndHolds(false));
  EXPECT_THAT(store_->RekeyFace("v3", "sk-1", "x", "sk-2"), ::vouch::testing::IsOkAndHolds(false));
  EXPECT_THAT(store_->RekeyFace("nope", "sk-1", "x", "sk-2"),
              ::vouch::testing::IsOkAndHolds(false));
  EXPECT_THAT(store_->RekeyFace("v2", "sk-1", "", "sk-2"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->RekeyFace("v2", "sk-1", "x", std::string(65, 'k')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->FacesSealedWith("sk-1", "", 0), StatusIs(absl::StatusCode::kInvalidArgument));

  page = store_->FacesSealedWith("sk-2", "", 10);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].sealed, "resealed-v1");
  EXPECT_EQ((*page)[0].sealed_key_id, "sk-2");
  EXPECT_EQ((*page)[0].user_hash, "u1");  // The rest of the entry is unchanged.
  EXPECT_THAT(LiveIds(*store_), ElementsAre("v1", "v2"));
}

}  // namespace vouch::verifier::storage::testing
