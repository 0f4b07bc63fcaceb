#include "dedup/duplicate_index.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vouch::verifier::dedup {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
constexpr absl::Duration kTtl = absl::Hours(24 * 365);

DedupKey Key(char fill) {
  const std::string secret(32, fill);
  return DedupKey{DedupKeyId(secret), SecureBytes(secret)};
}

std::shared_ptr<const DedupKeyring> Ring(std::initializer_list<char> fills) {
  std::vector<DedupKey> keys;
  for (char f : fills) keys.push_back(Key(f));
  return *DedupKeyring::FromKeys(std::move(keys));
}

DuplicateSubject Subject(int64_t user, std::string scope = "provider") {
  DuplicateSubject s;
  s.scope = std::move(scope);
  s.telegram_user_id = user;
  s.document = DocumentIdentity{"UTO", "passport", "L898902C3"};
  s.person = PersonIdentity{"ERIKSSON ANNA MARIA", absl::CivilDay(1974, 8, 12)};
  return s;
}

class DuplicateIndexTest : public ::testing::Test {
 protected:
  void Record(DuplicateIndex& index, const DuplicateSubject& s, const std::string& id) {
    ASSERT_TRUE(store_->RecordDuplicates(index.EntriesFor(s, id, kNow, kTtl)).ok());
  }
  std::unique_ptr<storage::Store> store_ = storage::NewMemoryStore();
};

TEST_F(DuplicateIndexTest, AnotherUserWithTheSameDocumentIsFoundTheSameUserIsNot) {
  auto index = NewStoreDuplicateIndex(Ring({'a'}), *store_);
  Record(*index, Subject(1), "v1");

  absl::StatusOr<DuplicateMatches> other = index->Find(Subject(2), kNow);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_THAT(other->documents,
              ElementsAre(Field(&storage::DuplicateEntry::verification_id, "v1")));
  EXPECT_THAT(other->persons, ElementsAre(Field(&storage::DuplicateEntry::verification_id, "v1")));

  absl::StatusOr<DuplicateMatches> same = index->Find(Subject(1), kNow);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_TRUE(same->empty());
}

TEST_F(DuplicateIndexTest, EntriesHoldNoValueInTheClear) {
  auto index = NewStoreDuplicateIndex(Ring({'a'}), *store_);
  const std::vector<storage::DuplicateEntry> entries =
      index->EntriesFor(Subject(1), "v1", kNow, kTtl);
  ASSERT_EQ(entries.size(), 2u);
  for (const storage::DuplicateEntry& e : entries) {
    for (const std::string& field : {e.hash, e.user_hash, e.scope, e.key_id}) {
      EXPECT_THAT(field, Not(HasSubstr("L898902C3")));
      EXPECT_THAT(field, Not(HasSubstr("ERIKSSON")));
      EXPECT_THAT(field, Not(HasSubstr("1974")));
    }
    EXPECT_EQ(e.expire_time, kNow + kTtl);
  }
}

TEST_F(DuplicateIndexTest, ScopesDoNotSeeEachOther) {
  auto index = NewStoreDuplicateIndex(Ring({'a'}), *store_);
  Record(*index, Subject(1, "service:bank"), "v1");
  EXPECT_TRUE(index->Find(Subject(2, "service:shop"), kNow)->empty());
  EXPECT_TRUE(index->Find(Subject(2, "provider"), kNow)->empty());
  EXPECT_FALSE(index->Find(Subject(2, "service:bank"), kNow)->empty());
}

TEST_F(DuplicateIndexTest, AfterARotationEntriesUnderTheOldKeyAreStillFound) {
  auto before = NewStoreDuplicateIndex(Ring({'a'}), *store_);
  Record(*before, Subject(1), "v1");
  // The rotated ring: a new current key, the old one kept for lookup.
  auto after = NewStoreDuplicateIndex(Ring({'b', 'a'}), *store_);
  EXPECT_EQ(after->EntriesFor(Subject(3), "v3", kNow, kTtl).front().key_id, Key('b').id);

  absl::StatusOr<DuplicateMatches> found = after->Find(Subject(2), kNow);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_THAT(found->documents,
              ElementsAre(Field(&storage::DuplicateEntry::verification_id, "v1")));
  // The same user is still recognised under the old key.
  EXPECT_TRUE(after->Find(Subject(1), kNow)->empty());
  // A ring without the old key no longer finds it.
  auto dropped = NewStoreDuplicateIndex(Ring({'b'}), *store_);
  EXPECT_TRUE(dropped->Find(Subject(2), kNow)->empty());
}

TEST_F(DuplicateIndexTest, AnUnhashableIdentityIsNeitherLookedUpNorRecorded) {
  auto index = NewStoreDuplicateIndex(Ring({'a'}), *store_);
  DuplicateSubject s = Subject(1);
  s.document->document_number = "1";
  s.person.reset();
  EXPECT_THAT(index->EntriesFor(s, "v1", kNow, kTtl), IsEmpty());
  EXPECT_TRUE(index->Find(s, kNow)->empty());
}

}  // namespace
}  // namespace vouch::verifier::dedup
