#include "dedup/face_duplicates.h"

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/face_embeddings.h"

namespace vouch::verifier::dedup {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

const absl::Time kFaceNow = absl::FromUnixSeconds(1'800'000'000);
constexpr absl::Duration kFaceTtl = absl::Hours(24 * 365);

std::shared_ptr<const DedupKeyring> FaceRing() {
  const std::string secret(32, 'f');
  std::vector<DedupKey> keys;
  keys.push_back(DedupKey{DedupKeyId(secret), SecureBytes(secret)});
  return *DedupKeyring::FromKeys(std::move(keys));
}

// A stand-in for the storage key ring (tested in review/): binds the
// context and marks the bytes, so that a wrong context does not open.
FaceSealer TestSealer() {
  FaceSealer s;
  s.seal = [](absl::string_view context, absl::string_view plaintext) {
    std::string sealed = absl::StrCat(context, "|");
    for (char c : plaintext) sealed.push_back(static_cast<char>(c ^ 0x5a));
    return std::make_pair(sealed, std::string("sk-test"));
  };
  s.open = [](absl::string_view context, absl::string_view key_id,
              absl::string_view sealed) -> absl::StatusOr<SecureBytes> {
    const std::string prefix = absl::StrCat(context, "|");
    if (key_id != "sk-test" || !absl::StartsWith(sealed, prefix)) {
      return absl::DataLossError("does not open");
    }
    std::string plain;
    for (char c : sealed.substr(prefix.size())) plain.push_back(static_cast<char>(c ^ 0x5a));
    return SecureBytes(plain);
  };
  return s;
}

// A random unit face; `near` moves it to cosine about 0.8 of `base`.
std::vector<float> RandomFace(uint32_t seed, const std::vector<float>* near = nullptr) {
  std::vector<float> v = testing::RandomUnitFace(seed);
  if (near != nullptr) {
    for (size_t i = 0; i < v.size(); ++i) v[i] = 0.8f * (*near)[i] + 0.6f * v[i];
  }
  return v;
}

DuplicateSubject FaceSubject(int64_t user, std::string number, std::vector<float> face,
                             std::string scope = "service:bank") {
  DuplicateSubject s;
  s.scope = std::move(scope);
  s.telegram_user_id = user;
  s.document = DocumentIdentity{"UTO", "passport", std::move(number)};
  s.face = std::move(face);
  s.face_similarity = 0.6f;
  return s;
}

class FaceDuplicateIndexTest : public ::testing::Test {
 protected:
  std::unique_ptr<FaceDuplicateIndex> NewReplica() {
    return std::make_unique<FaceDuplicateIndex>(FaceRing(), TestSealer(), *store_);
  }
  void Record(FaceDuplicateIndex& index, const DuplicateSubject& s, const std::string& id,
              bool held = false) {
    DuplicateSubject with_id =
        FaceSubject(s.telegram_user_id, s.document->document_number, s.face, s.scope);
    with_id.verification_id = id;
    std::optional<storage::DuplicateEntry> e = index.EntryFor(with_id, id, kFaceNow, kFaceTtl);
    ASSERT_TRUE(e.has_value());
    e->held = held;
    ASSERT_TRUE(store_->RecordDuplicates({*e}).ok());
  }
  std::vector<FaceDuplicate> Find(FaceDuplicateIndex& index, const DuplicateSubject& s,
                                  absl::Time now = kFaceNow) {
    absl::StatusOr<std::vector<FaceDuplicate>> found = index.Find(s, now);
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() ? *found : std::vector<FaceDuplicate>{};
  }
  std::unique_ptr<storage::Store> store_ = storage::NewMemoryStore();
  const std::vector<float> anna_ = RandomFace(1);
};

TEST_F(FaceDuplicateIndexTest, AnotherUserOnAnotherDocumentIsFoundWithTheSimilarity) {
  auto index = NewReplica();
  Record(*index, FaceSubject(1, "L898902C3", anna_), "v1");
  const std::vector<FaceDuplicate> found =
      Find(*index, FaceSubject(2, "X1234567", RandomFace(7, &anna_)));
  ASSERT_THAT(found, ElementsAre(Field(&FaceDuplicate::verification_id, "v1")));
  EXPECT_NEAR(found[0].similarity, 0.8, 0.05);
  EXPECT_FALSE(found[0].forged);
}

TEST_F(FaceDuplicateIndexTest, TheSameUserTheSameDocumentAStrangerAndAnotherScopeAreNot) {
  auto index = NewReplica();
  Record(*index, FaceSubject(1, "L898902C3", anna_), "v1");
  EXPECT_THAT(Find(*index, FaceSubject(1, "X1234567", anna_)), IsEmpty());   // same user
  EXPECT_THAT(Find(*index, FaceSubject(2, "L898902C3", anna_)), IsEmpty());  // same document
  EXPECT_THAT(Find(*index, FaceSubject(2, "X1234567", RandomFace(99))), IsEmpty());
  EXPECT_THAT(Find(*index, FaceSubject(2, "X1234567", anna_, "service:other")), IsEmpty());
  // Below the threshold: not the same face.
  DuplicateSubject strict = FaceSubject(2, "X1234567", RandomFace(7, &anna_));
  strict.face_similarity = 0.95f;
  EXPECT_THAT(Find(*index, strict), IsEmpty());
}

TEST_F(FaceDuplicateIndexTest, HeldEntriesMatchOnceReleasedAndForgedOnesMatchAnyone) {
  auto index = NewReplica();
  Record(*index, FaceSubject(1, "L898902C3", anna_), "v1", /*held=*/true);
  EXPECT_THAT(Find(*index, FaceSubject(2, "X1234567", anna_)), IsEmpty());
  ASSERT_TRUE(store_->ConfirmDuplicates("v1").ok());
  EXPECT_THAT(Find(*index, FaceSubject(2, "X1234567", anna_)),
              ElementsAre(Field(&FaceDuplicate::verification_id, "v1")));
  // Rejected as forged: the same user and the same document match too.
  ASSERT_TRUE(store_->MarkDuplicatesForged("v1").ok());
  EXPECT_THAT(Find(*index, FaceSubject(1, "L898902C3", anna_)),
              ElementsAre(Field(&FaceDuplicate::forged, true)));
}

TEST_F(FaceDuplicateIndexTest, AReplicaRebuildsFromTheStoreAndDropsErasedAndExpiredEntries) {
  auto writer = NewReplica();
  Record(*writer, FaceSubject(1, "L898902C3", anna_), "v1");
  const std::vector<float> bob = RandomFace(2);
  Record(*writer, FaceSubject(3, "B0000001", bob), "v2");
  // Another replica, started later: rebuilt at its first Sync.
  auto replica = NewReplica();
  ASSERT_EQ(*replica->Sync(kFaceNow, /*overlap=*/false), 2);
  EXPECT_EQ(replica->size(), 2u);
  // A poll that rereads the overlap applies nothing twice.
  EXPECT_EQ(*replica->Sync(kFaceNow, /*overlap=*/true), 0);
  EXPECT_EQ(replica->size(), 2u);
  // Erased on one replica's Store: the other drops it at its next poll.
  ASSERT_EQ(*store_->DeleteDuplicates("v1"), 1);
  ASSERT_TRUE(replica->Sync(kFaceNow, /*overlap=*/true).ok());
  EXPECT_EQ(replica->size(), 1u);
  EXPECT_THAT(Find(*replica, FaceSubject(2, "X1234567", anna_)), IsEmpty());
  // Expired: dropped, not found.
  EXPECT_THAT(Find(*replica, FaceSubject(2, "X1234567", bob), kFaceNow + kFaceTtl), IsEmpty());
  ASSERT_TRUE(replica->Sync(kFaceNow + kFaceTtl, /*overlap=*/true).ok());
  EXPECT_EQ(replica->size(), 0u);
}

TEST_F(FaceDuplicateIndexTest, ALookupSeesAnotherReplicasEntryWithoutWaitingForAPoll) {
  auto a = NewReplica();
  auto b = NewReplica();
  ASSERT_TRUE(b->Sync(kFaceNow, false).ok());
  Record(*a, FaceSubject(1, "L898902C3", anna_), "v1");
  EXPECT_THAT(Find(*b, FaceSubject(2, "X1234567", anna_)),
              ElementsAre(Field(&FaceDuplicate::verification_id, "v1")));
}

TEST_F(FaceDuplicateIndexTest, TheStoreHoldsTheFaceSealedAndAnUnreadableOneIsCounted) {
  auto index = NewReplica();
  DuplicateSubject s = FaceSubject(1, "L898902C3", anna_);
  s.verification_id = "v1";
  std::optional<storage::DuplicateEntry> e = index->EntryFor(s, "v1", kFaceNow, kFaceTtl);
  ASSERT_TRUE(e.has_value());
  const std::string raw(reinterpret_cast<const char*>(anna_.data()), anna_.size() * sizeof(float));
  EXPECT_FALSE(absl::StrContains(e->sealed, raw));
  EXPECT_EQ(e->sealed_key_id, "sk-test");
  EXPECT_EQ(e->kind, storage::DuplicateKind::kFace);
  EXPECT_EQ(e->expire_time, kFaceNow + kFaceTtl);
  // Sealed for another verification: does not open under v2's context.
  e->verification_id = "v2";
  ASSERT_TRUE(store_->RecordDuplicates({*e}).ok());
  ASSERT_TRUE(index->Sync(kFaceNow, false).ok());
  EXPECT_EQ(index->size(), 0u);
  EXPECT_THAT(index->RenderMetrics(),
              ::testing::HasSubstr("vouch_duplicate_face_unreadable_total 1\n"));
  // A face that is not 512 values is neither searched nor recorded.
  s.face.resize(10);
  EXPECT_FALSE(index->EntryFor(s, "v1", kFaceNow, kFaceTtl).has_value());
  EXPECT_THAT(Find(*index, s), IsEmpty());
}

TEST_F(FaceDuplicateIndexTest, TheDuplicateIndexLooksFacesUpAndRecordsThem) {
  FaceDuplicateIndex faces(FaceRing(), TestSealer(), *store_);
  auto index = NewStoreDuplicateIndex(FaceRing(), *store_, &faces);
  EXPECT_TRUE(index->SearchesFaces());
  EXPECT_FALSE(NewStoreDuplicateIndex(FaceRing(), *store_)->SearchesFaces());
  DuplicateSubject first = FaceSubject(1, "L898902C3", anna_);
  first.verification_id = "v1";
  const std::vector<storage::DuplicateEntry> entries =
      index->EntriesFor(first, "v1", kFaceNow, kFaceTtl);
  ASSERT_EQ(entries.size(), 2u);  // The document and the face.
  ASSERT_TRUE(store_->RecordDuplicates(entries).ok());
  absl::StatusOr<DuplicateMatches> found = index->Find(FaceSubject(2, "X1234567", anna_), kFaceNow);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_THAT(found->faces, ElementsAre(Field(&FaceDuplicate::verification_id, "v1")));
  EXPECT_THAT(found->documents, IsEmpty());
}

// The ring after a storage key rotation: seals under "sk-new", opens both.
FaceSealer RotatedSealer() {
  FaceSealer s;
  s.seal = [](absl::string_view context, absl::string_view plaintext) {
    std::string sealed = absl::StrCat(context, "#");
    for (char c : plaintext) sealed.push_back(static_cast<char>(c ^ 0x33));
    return std::make_pair(sealed, std::string("sk-new"));
  };
  s.open = [old = TestSealer()](absl::string_view context, absl::string_view key_id,
                                absl::string_view sealed) -> absl::StatusOr<SecureBytes> {
    if (key_id == "sk-test") return old.open(context, key_id, sealed);
    const std::string prefix = absl::StrCat(context, "#");
    if (key_id != "sk-new" || !absl::StartsWith(sealed, prefix)) {
      return absl::DataLossError("does not open");
    }
    std::string plain;
    for (char c : sealed.substr(prefix.size())) plain.push_back(static_cast<char>(c ^ 0x33));
    return SecureBytes(plain);
  };
  return s;
}

TEST_F(FaceDuplicateIndexTest, AStorageKeyRotationReSealsTheFaces) {
  auto before = NewReplica();
  Record(*before, FaceSubject(1, "L898902C3", anna_), "v1");
  // One that does not open (sealed for another verification): left alone.
  DuplicateSubject s = FaceSubject(3, "Z1234567", RandomFace(3));
  s.verification_id = "v1";
  std::optional<storage::DuplicateEntry> moved = before->EntryFor(s, "v1", kFaceNow, kFaceTtl);
  ASSERT_TRUE(moved.has_value());
  moved->verification_id = "v9";
  ASSERT_TRUE(store_->RecordDuplicates({*moved}).ok());

  absl::StatusOr<FaceRekeyOutcome> rekeyed = RekeyFaces(*store_, RotatedSealer(), {"sk-test"});

  ASSERT_TRUE(rekeyed.ok()) << rekeyed.status();
  EXPECT_EQ(rekeyed->resealed, 1);
  EXPECT_EQ(rekeyed->unreadable, 1);
  absl::StatusOr<std::vector<storage::DuplicateEntry>> under_old =
      store_->FacesSealedWith("sk-test", "", 10);
  ASSERT_TRUE(under_old.ok());
  EXPECT_THAT(*under_old, ElementsAre(Field(&storage::DuplicateEntry::verification_id, "v9")));
  absl::StatusOr<std::vector<storage::DuplicateEntry>> under_new =
      store_->FacesSealedWith("sk-new", "", 10);
  ASSERT_TRUE(under_new.ok());
  ASSERT_EQ(under_new->size(), 1u);
  EXPECT_EQ((*under_new)[0].verification_id, "v1");
  // A replica that knows only the new key still finds the face.
  FaceSealer new_only = RotatedSealer();
  new_only.open = [rotated = RotatedSealer()](
                      absl::string_view context, absl::string_view key_id,
                      absl::string_view sealed) -> absl::StatusOr<SecureBytes> {
    if (key_id != "sk-new") return absl::NotFoundError("unknown key");
    return rotated.open(context, key_id, sealed);
  };
  FaceDuplicateIndex after(FaceRing(), new_only, *store_);
  EXPECT_THAT(Find(after, FaceSubject(2, "X1234567", anna_)),
              ElementsAre(Field(&FaceDuplicate::verification_id, "v1")));
  // Again: nothing left under the old key that opens.
  rekeyed = RekeyFaces(*store_, RotatedSealer(), {"sk-test"});
  ASSERT_TRUE(rekeyed.ok());
  EXPECT_EQ(rekeyed->resealed, 0);
}

}  // namespace
}  // namespace vouch::verifier::dedup
