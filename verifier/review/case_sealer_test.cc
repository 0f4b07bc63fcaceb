#include "review/case_sealer.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::review {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

SecureBytes Key(char fill) { return SecureBytes(std::string(kStorageKeyBytes, fill)); }

StorageKeyRing Ring(std::vector<char> fills) {
  std::vector<SecureBytes> keys;
  for (char f : fills) keys.push_back(Key(f));
  return *StorageKeyRing::FromKeys(std::move(keys));
}

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "vouch_sealer_XXXXXX").string();
  return mkdtemp(tmpl.data());
}

TEST(StorageKeyRingTest, SealsAndOpens) {
  const StorageKeyRing ring = Ring({'a'});
  const std::string sealed = ring.Seal("ver_1", "the plaintext");
  EXPECT_EQ(sealed.find("the plaintext"), std::string::npos);
  absl::StatusOr<SecureBytes> opened = ring.Open("ver_1", ring.active_key_id(), sealed);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->view(), "the plaintext");
}

TEST(StorageKeyRingTest, NoncesDiffer) {
  const StorageKeyRing ring = Ring({'a'});
  EXPECT_NE(ring.Seal("ver_1", "x"), ring.Seal("ver_1", "x"));
}

TEST(StorageKeyRingTest, EveryFlippedBitIsDetected) {
  const StorageKeyRing ring = Ring({'a'});
  const std::string sealed = ring.Seal("ver_1", "some case content");
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string tampered = sealed;
    tampered[i] ^= 0x01;
    EXPECT_THAT(ring.Open("ver_1", ring.active_key_id(), tampered),
                StatusIs(absl::StatusCode::kDataLoss))
        << "byte " << i;
  }
  EXPECT_THAT(ring.Open("ver_1", ring.active_key_id(), sealed.substr(0, sealed.size() - 1)),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ring.Open("ver_1", ring.active_key_id(), ""), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(SealerForTest, SealsUnderTheActiveKeyAndOpensUnderAnOlderOne) {
  const StorageKeyRing old_ring = Ring({'a'});
  const auto [old_sealed, old_id] = SealerFor(old_ring).seal("offer/1", "claims");
  EXPECT_EQ(old_id, old_ring.active_key_id());
  const StorageKeyRing ring = Ring({'a', 'b'});
  const ::vouch::Sealer sealer = SealerFor(ring);
  const auto [sealed, key_id] = sealer.seal("face/1", "embedding");
  EXPECT_EQ(key_id, ring.active_key_id());
  EXPECT_NE(key_id, old_id);
  absl::StatusOr<SecureBytes> opened = sealer.open("face/1", key_id, sealed);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->view(), "embedding");
  absl::StatusOr<SecureBytes> opened_old = sealer.open("offer/1", old_id, old_sealed);
  ASSERT_THAT(opened_old, IsOk());
  EXPECT_EQ(opened_old->view(), "claims");
  EXPECT_THAT(sealer.open("face/2", key_id, sealed), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(sealer.open("face/1", "sk-unknown", sealed), StatusIs(absl::StatusCode::kNotFound));
}

TEST(StorageKeyRingTest, EnvelopeIsBoundToItsCase) {
  const StorageKeyRing ring = Ring({'a'});
  const std::string sealed = ring.Seal("ver_1", "content");
  EXPECT_THAT(ring.Open("ver_2", ring.active_key_id(), sealed),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(StorageKeyRingTest, WrongKeyIsRefused) {
  const StorageKeyRing a = Ring({'a'});
  const StorageKeyRing b = Ring({'b'});
  const std::string sealed = a.Seal("ver_1", "content");
  // Unknown key id.
  EXPECT_THAT(b.Open("ver_1", a.active_key_id(), sealed), StatusIs(absl::StatusCode::kNotFound));
  // A ring holding both keys, but the envelope relabelled with the other id.
  const StorageKeyRing both = Ring({'a', 'b'});
  EXPECT_THAT(both.Open("ver_1", b.active_key_id(), sealed), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(both.Open("ver_1", a.active_key_id(), sealed), IsOk());
}

TEST(StorageKeyRingTest, KeyIdsAreDerivedAndDistinct) {
  const StorageKeyRing ring = Ring({'a', 'b'});
  EXPECT_EQ(ring.key_ids().size(), 2u);
  EXPECT_NE(ring.key_ids()[0], ring.key_ids()[1]);
  EXPECT_EQ(ring.active_key_id(), ring.key_ids()[1]);
  EXPECT_EQ(ring.active_key_id(), StorageKeyId(Key('b')));
  EXPECT_THAT(ring.active_key_id(), HasSubstr("sk-"));
}

TEST(StorageKeyRingTest, RejectsBadKeys) {
  std::vector<SecureBytes> keys;
  keys.push_back(SecureBytes(std::string(31, 'a')));
  EXPECT_THAT(StorageKeyRing::FromKeys(std::move(keys)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(StorageKeyRing::FromKeys({}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(StorageKeyRing::LoadOrCreate("/nonexistent/key", "not base64!", ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(StorageKeyRing::LoadOrCreate("/nonexistent/key", absl::Base64Escape("short"), ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StorageKeyRingTest, KeyFileIsCreated0600AndReused) {
  const std::string dir = TempDir();
  const std::string path = dir + "/storage.key";
  absl::StatusOr<StorageKeyRing> first = StorageKeyRing::LoadOrCreate(path, "", "");
  ASSERT_THAT(first, IsOk());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  absl::StatusOr<StorageKeyRing> second = StorageKeyRing::LoadOrCreate(path, "", "");
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->active_key_id(), first->active_key_id());
  const std::string sealed = first->Seal("ver_1", "x");
  EXPECT_THAT(second->Open("ver_1", first->active_key_id(), sealed), IsOk());

  chmod(path.c_str(), 0644);
  EXPECT_THAT(StorageKeyRing::LoadOrCreate(path, "", ""),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  std::filesystem::remove_all(dir);
}

TEST(StorageKeyRingTest, EnvironmentKeysWinOverTheFile) {
  const std::string active = absl::Base64Escape(std::string(32, 'e'));
  const std::string old = absl::Base64Escape(std::string(32, 'o'));
  absl::StatusOr<StorageKeyRing> ring =
      StorageKeyRing::LoadOrCreate("/nonexistent/dir/key", active, old);
  ASSERT_THAT(ring, IsOk());
  EXPECT_THAT(ring->key_ids(), ElementsAre(StorageKeyId(Key('o')), StorageKeyId(Key('e'))));
  EXPECT_FALSE(std::filesystem::exists("/nonexistent/dir/key"));
}

TEST(StorageKeyRingTest, RotationKeepsOldKeysForOpening) {
  const std::string dir = TempDir();
  const std::string path = dir + "/storage.key";
  absl::StatusOr<StorageKeyRing> before = StorageKeyRing::LoadOrCreate(path, "", "");
  ASSERT_THAT(before, IsOk());
  const std::string sealed = before->Seal("ver_1", "old case");
  absl::StatusOr<StorageKeyRing> after = StorageKeyRing::RotateFile(path);
  ASSERT_THAT(after, IsOk());
  EXPECT_NE(after->active_key_id(), before->active_key_id());
  EXPECT_EQ(after->key_ids().size(), 2u);
  EXPECT_THAT(after->Open("ver_1", before->active_key_id(), sealed), IsOk());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  absl::StatusOr<StorageKeyRing> reloaded = StorageKeyRing::LoadOrCreate(path, "", "");
  ASSERT_THAT(reloaded, IsOk());
  EXPECT_EQ(reloaded->active_key_id(), after->active_key_id());
  std::filesystem::remove_all(dir);
}

v1::CaseContent SampleContent(const std::string& id) {
  v1::CaseContent c;
  c.set_verification_id(id);
  v1::SealedElement& e = *c.add_elements();
  e.set_type("personal_details");
  (*e.mutable_fields())["last_name"] = "SAMPLE";
  v1::SealedImage& i = *e.add_images();
  i.set_source("selfie");
  i.set_content(std::string(1000, '\x7f'));
  return c;
}

TEST(CaseSealingTest, RoundTripsAndWipes) {
  const StorageKeyRing ring = Ring({'a'});
  auto [sealed, key_id] = SealCase(ring, SampleContent("ver_1"));
  EXPECT_EQ(sealed.find("SAMPLE"), std::string::npos);
  storage::ReviewCase rc;
  rc.verification_id = "ver_1";
  rc.sealed = sealed;
  rc.key_id = key_id;
  OpenedCase opened;
  ASSERT_THAT(OpenCase(ring, rc, opened), IsOk());
  EXPECT_EQ(opened.content().elements(0).fields().at("last_name"), "SAMPLE");
  WipeCaseContent(opened.content());
  EXPECT_NE(opened.content().elements(0).fields().at("last_name"), "SAMPLE");
  EXPECT_EQ(opened.content().elements(0).images(0).content().find('\x7f'), std::string::npos);
}

TEST(CaseSealingTest, ContentOfAnotherCaseIsRefused) {
  const StorageKeyRing ring = Ring({'a'});
  // Sealed for ver_1 with a content naming ver_2: the AAD matches, the
  // content does not.
  v1::CaseContent c = SampleContent("ver_2");
  SecureBytes plain(c.ByteSizeLong());
  c.SerializeWithCachedSizesToArray(plain.data());
  storage::ReviewCase rc;
  rc.verification_id = "ver_1";
  rc.sealed = ring.Seal("ver_1", plain.view());
  rc.key_id = ring.active_key_id();
  OpenedCase opened;
  EXPECT_THAT(OpenCase(ring, rc, opened), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace vouch::verifier::review
