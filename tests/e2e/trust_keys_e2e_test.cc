// Key rotation while vouchd runs (docs/attest.md "Key rotation"):
// - `vouchctl keys rotate attestation` publishes a new key in the JWKS
//   (served over HTTP) at once, credentials keep the old kid until the
//   publish delay has passed and carry the new kid after; both verify
//   against the published JWKS (attest's verifier, keys from the HTTP
//   document, none passed by hand); a second rotation waits for the first;
// - `vouchctl keys rotate passport` prints the public key for @BotFather; a
//   submission sealed for the old key still opens during the overlap, one
//   sealed for the new key opens, one sealed for an unrelated key does not;
// - key files stay 0600; the rotations and the activation are audited.

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "attest/verify.h"
#include "e2e_requests.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "passport/seal.h"
#include "testing/cli_run.h"
#include "vouch/v1/admin.grpc.pb.h"
#include "vouch/v1/verification.grpc.pb.h"
#include "vouchd_process.h"

namespace vouch::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kShopAudience[] = "shop.example";
// Long enough that the checks inside it (a refused second rotation, a JWKS fetch and one
// verification) still fall inside it when the machine is loaded: at 2 s it failed once in a run
// of the whole suite at ctest -j 4 on two cores, at 4 s once at load 8 (with the refused rotation
// checked last).
constexpr int kPublishDelaySeconds = 6;

std::string Config() {
  return R"toml(
[issuer]
url = "https://vouch.test"

[policies.default]
relying_services = ["*"]
required_elements = ["personal_details"]
disclosable_claims = ["document_verified"]
)toml";
}

int Mode(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

// The kid in the header of an SD-JWT's issuer JWT.
std::string KidOf(const std::string& sd_jwt) {
  std::vector<std::string> parts = absl::StrSplit(sd_jwt.substr(0, sd_jwt.find('~')), '.');
  std::string header;
  if (parts.size() != 3 || !absl::WebSafeBase64Unescape(parts[0], &header)) return "";
  const nlohmann::json j = nlohmann::json::parse(header, nullptr, false);
  return j.is_object() ? j.value("kid", "") : "";
}

class TrustKeysE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir("trust_keys_e2e");
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/vouchd.toml") << Config();
    vouchd_ = std::make_unique<VouchdProcess>(dir_ + "/data");
    ASSERT_TRUE(vouchd_->Start(Flags()));
    stub_ = v1::Verification::NewStub(
        grpc::CreateChannel(vouchd_->address(), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (vouchd_) {
      EXPECT_EQ(vouchd_->Stop(), 0);
    }
    vouchd_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::vector<std::string> Flags() const {
    return {"--config",
            dir_ + "/vouchd.toml",
            "--http-listen",
            "127.0.0.1:0",
            "--key-check-seconds",
            "0.2",
            "--key-publish-delay-seconds",
            absl::StrCat(kPublishDelaySeconds)};
  }

  // A personal-details submission sealed for `public_key_pem`.
  v1::VerifyRequest Sealed(const std::string& public_key_pem) {
    auto key = passport::PassportPublicKey::FromPem(public_key_pem);
    EXPECT_TRUE(key.ok()) << key.status();
    if (!key.ok()) return {};
    std::vector<passport::PlainElement> elements(1);
    elements[0].type = passport::ElementType::kPersonalDetails;
    elements[0].data_json =
        R"({"first_name":"Anna","last_name":"Eriksson","birth_date":"12.08.1974"})";
    auto sealed = passport::SealPassportData(*key, elements, "keys-nonce");
    EXPECT_TRUE(sealed.ok()) << sealed.status();
    if (!sealed.ok()) return {};
    v1::VerifyRequest request = VerifyRequestFor(*sealed, "keys-nonce");
    request.set_telegram_user_id(777);
    request.mutable_attestation()->mutable_direct()->set_audience(kShopAudience);
    return request;
  }

  grpc::Status Verify(const v1::VerifyRequest& request, v1::VerificationResult* result) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + vouchd_->ServiceToken());
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->Verify(&context, request, result);
  }

  // A verified submission's credential ("" on failure).
  std::string Credential(const std::string& public_key_pem) {
    v1::VerificationResult result;
    const grpc::Status status = Verify(Sealed(public_key_pem), &result);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(result.decision(), v1::DECISION_VERIFIED) << result.DebugString();
    return result.attestation().sd_jwt();
  }

  std::string Http(const std::string& path) {
    const std::string address = vouchd_->http_address();
    httplib::Client client(address.substr(0, address.rfind(':')),
                           std::stoi(address.substr(address.rfind(':') + 1)));
    auto response = client.Get(path);
    return response && response->status == 200 ? response->body : "";
  }

  std::pair<int, std::string> Vouchctl(const std::string& args) {
    return RunShell(absl::StrCat("VOUCH_TOKEN=$(cat ", vouchd_->admin_token_file(), ") ",
                                 VOUCHCTL_PATH, " ", args, " --server ", vouchd_->address(),
                                 " --tls off 2>&1"));
  }

  // The public half of vouchd's current Passport key (SPKI PEM).
  std::string CurrentPassportPublicKey() {
    auto key = passport::PassportDecryptor::FromPem(
        ReadFileOrEmpty(vouchd_->data_dir() + "/keys/passport_rsa.pem"));
    EXPECT_TRUE(key.ok()) << key.status();
    if (!key.ok()) return "";
    absl::StatusOr<std::string> pem = key->PublicKeyPem();
    return pem.ok() ? *pem : "";
  }

  std::string dir_;
  std::unique_ptr<VouchdProcess> vouchd_;
  std::unique_ptr<v1::Verification::Stub> stub_;
};

TEST_F(TrustKeysE2eTest, AttestationKeyIsPublishedBeforeItSignsAndOldCredentialsStillVerify) {
  const std::string passport_pem = CurrentPassportPublicKey();
  ASSERT_FALSE(passport_pem.empty());
  const std::string before = Credential(passport_pem);
  ASSERT_FALSE(before.empty());
  const std::string old_kid = KidOf(before);
  ASSERT_FALSE(old_kid.empty());

  // Admin operators only: a service's token is refused, and nothing rotates.
  auto [svc_rc, svc_out] = RunShell(
      absl::StrCat("VOUCH_TOKEN=$(cat ", vouchd_->service_token_file(), ") ", VOUCHCTL_PATH,
                   " keys rotate attestation --server ", vouchd_->address(), " --tls off 2>&1"));
  EXPECT_EQ(svc_rc, 1) << svc_out;
  EXPECT_THAT(svc_out, HasSubstr("PERMISSION_DENIED"));
  auto [short_rc, short_out] = Vouchctl("keys rotate attestation --publish-delay 1");
  EXPECT_EQ(short_rc, 1) << short_out;  // Below the smallest delay vouchd accepts.
  EXPECT_THAT(short_out, HasSubstr("INVALID_ARGUMENT"));
  const nlohmann::json unchanged = nlohmann::json::parse(Http("/jwks.json"), nullptr, false);
  ASSERT_TRUE(unchanged.is_object());
  EXPECT_EQ(unchanged["keys"].size(), 1u);  // Neither refused call added a key.

  auto [rc, out] =
      Vouchctl(absl::StrCat("keys rotate attestation --publish-delay ", kPublishDelaySeconds));
  ASSERT_EQ(rc, 0) << out;
  const auto rotated_at = std::chrono::steady_clock::now();
  const size_t at = out.find("published ");
  ASSERT_NE(at, std::string::npos) << out;
  const size_t kid_at = at + std::string("published ").size();
  const std::string new_kid = out.substr(kid_at, out.find(' ', kid_at) - kid_at);
  ASSERT_NE(new_kid, old_kid);
  // Published at once, over HTTP.
  const nlohmann::json jwks = nlohmann::json::parse(Http("/jwks.json"), nullptr, false);
  ASSERT_TRUE(jwks.is_object()) << "no JWKS";
  std::vector<std::string> kids;
  for (const nlohmann::json& k : jwks["keys"]) kids.push_back(k.value("kid", ""));
  EXPECT_THAT(kids, ::testing::UnorderedElementsAre(old_kid, new_kid));
  // One rotation at a time, and not signing yet; both inside the publish delay (checked after
  // them: under a loaded CI run the calls themselves take seconds).
  auto [again_rc, again_out] =
      Vouchctl(absl::StrCat("keys rotate attestation --publish-delay ", kPublishDelaySeconds));
  const std::string during = Credential(passport_pem);
  ASSERT_LT(std::chrono::steady_clock::now() - rotated_at,
            std::chrono::seconds(kPublishDelaySeconds));
  EXPECT_EQ(again_rc, 1) << again_out;
  EXPECT_THAT(again_out, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_EQ(KidOf(during), old_kid);

  // After the delay (and one key check) the new key signs.
  std::this_thread::sleep_for(std::chrono::seconds(kPublishDelaySeconds) +
                              std::chrono::milliseconds(800));
  const std::string after = Credential(passport_pem);
  EXPECT_EQ(KidOf(after), new_kid);
  auto [list_rc, list_out] = Vouchctl("keys list");
  EXPECT_EQ(list_rc, 0) << list_out;
  EXPECT_THAT(list_out, HasSubstr(new_kid + " ES256 active"));
  EXPECT_THAT(list_out, HasSubstr(old_kid + " ES256 retired"));

  // Both verify with the keys the issuer publishes (nothing passed by hand).
  auto published = attest::Jwks::Parse(Http("/jwks.json"));
  ASSERT_TRUE(published.ok());
  attest::VerifyOptions options;
  options.audience = kShopAudience;
  for (const std::string& credential : {before, after}) {
    auto verified = attest::VerifySdJwtVc(credential, *published, options);
    EXPECT_TRUE(verified.ok()) << KidOf(credential);
  }
  // Keys on disk: private and the manifest 0600.
  const std::string attest_dir = vouchd_->data_dir() + "/keys/attest";
  EXPECT_EQ(Mode(attest_dir + "/" + new_kid + ".pem"), 0600);
  EXPECT_EQ(Mode(attest_dir + "/" + old_kid + ".pem"), 0600);
  EXPECT_EQ(Mode(attest_dir + "/keys.json"), 0600);

  // Audited: the rotation by the admin, the activation by vouchd.
  auto admin = v1::Admin::NewStub(
      grpc::CreateChannel(vouchd_->address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + vouchd_->AdminToken());
  v1::ListAuditEventsResponse audit;
  ASSERT_TRUE(admin->ListAuditEvents(&context, v1::ListAuditEventsRequest(), &audit).ok());
  std::vector<std::string> key_events;
  for (const v1::AuditEvent& e : audit.events()) {
    if (e.detail().find(new_kid) != std::string::npos) key_events.push_back(e.action());
  }
  EXPECT_THAT(key_events, ::testing::ElementsAre("key.rotate", "key.activate"));
}

TEST_F(TrustKeysE2eTest, PassportKeyRotationKeepsTheOldKeyForSubmissionsInFlight) {
  const std::string old_pem = CurrentPassportPublicKey();
  ASSERT_FALSE(old_pem.empty());
  // Sealed before the rotation, sent after it.
  const v1::VerifyRequest in_flight = Sealed(old_pem);

  auto [rc, out] = Vouchctl("keys rotate passport");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("/setpublickey"));
  EXPECT_THAT(out, HasSubstr("@BotFather"));
  const size_t pem_at = out.find("-----BEGIN PUBLIC KEY-----");
  ASSERT_NE(pem_at, std::string::npos) << out;
  const std::string new_pem = out.substr(pem_at);
  EXPECT_NE(new_pem, old_pem);
  EXPECT_EQ(CurrentPassportPublicKey(), new_pem);  // What it printed is what it opens with.
  const std::string keys = vouchd_->data_dir() + "/keys";
  EXPECT_EQ(Mode(keys + "/passport_rsa.pem"), 0600);
  EXPECT_EQ(Mode(keys + "/passport_rsa.previous.pem"), 0600);

  v1::VerificationResult result;
  grpc::Status status = Verify(in_flight, &result);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(result.decision(), v1::DECISION_VERIFIED);
  EXPECT_FALSE(Credential(new_pem).empty());

  // A key vouchd never had: refused as unreadable.
  auto stranger = passport::GenerateProviderKey(2048);
  ASSERT_TRUE(stranger.ok());
  status = Verify(Sealed(stranger->public_key_pem), &result);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_details(), HasSubstr("PASSPORT_UNREADABLE"));
}

// A Passport rotation cut off between its two renames (the current key
// already moved to .previous, the new one still .next): the next start
// makes .next the current key, and both keys open submissions.
TEST_F(TrustKeysE2eTest, APassportRotationCutOffBetweenItsRenamesIsCompletedAtStart) {
  const std::string old_pem = CurrentPassportPublicKey();
  ASSERT_EQ(vouchd_->Stop(), 0);
  const std::string keys = vouchd_->data_dir() + "/keys";
  std::filesystem::rename(keys + "/passport_rsa.pem", keys + "/passport_rsa.previous.pem");
  auto fresh = passport::GenerateProviderKey(2048);
  ASSERT_TRUE(fresh.ok());
  {
    std::ofstream next(keys + "/passport_rsa.next.pem", std::ios::binary);
    next.write(reinterpret_cast<const char*>(fresh->private_key_pem.data()),
               static_cast<std::streamsize>(fresh->private_key_pem.size()));
  }
  std::filesystem::permissions(
      keys + "/passport_rsa.next.pem",
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace);
  ASSERT_TRUE(vouchd_->Start(Flags()));
  stub_ = v1::Verification::NewStub(  // A new port.
      grpc::CreateChannel(vouchd_->address(), grpc::InsecureChannelCredentials()));

  EXPECT_EQ(CurrentPassportPublicKey(), fresh->public_key_pem);
  EXPECT_FALSE(std::filesystem::exists(keys + "/passport_rsa.next.pem"));
  EXPECT_FALSE(Credential(fresh->public_key_pem).empty());
  EXPECT_FALSE(Credential(old_pem).empty());
}

// Two replicas with one key directory (B's keys/ is A's, as one shared
// volume would be): a rotation made through A is published by B within the
// key check, B signs with the new key after the delay, and B opens
// submissions sealed for the new Passport key and for the previous one.
TEST_F(TrustKeysE2eTest, AReplicaSharingTheKeyDirectoryFollowsTheRotations) {
  std::filesystem::create_directories(dir_ + "/b");
  std::filesystem::create_directory_symlink(vouchd_->data_dir() + "/keys", dir_ + "/b/keys");
  std::filesystem::copy_file(vouchd_->data_dir() + "/auth.toml", dir_ + "/b/auth.toml");
  VouchdProcess b(dir_ + "/b");
  ASSERT_TRUE(b.Start(Flags()));
  const std::string old_pem = CurrentPassportPublicKey();
  const v1::VerifyRequest sealed_for_old = Sealed(old_pem);

  auto [rc, out] =
      Vouchctl(absl::StrCat("keys rotate attestation --publish-delay ", kPublishDelaySeconds));
  ASSERT_EQ(rc, 0) << out;
  const size_t at = out.find("published ");
  ASSERT_NE(at, std::string::npos) << out;
  const size_t kid_at = at + std::string("published ").size();
  const std::string new_kid = out.substr(kid_at, out.find(' ', kid_at) - kid_at);
  auto [passport_rc, passport_out] = Vouchctl("keys rotate passport");
  ASSERT_EQ(passport_rc, 0) << passport_out;
  const std::string new_pem = passport_out.substr(passport_out.find("-----BEGIN PUBLIC KEY"));

  // After the delay and a key check, B publishes and signs with the new key.
  std::this_thread::sleep_for(std::chrono::seconds(kPublishDelaySeconds) +
                              std::chrono::milliseconds(800));
  const std::string address = b.http_address();
  httplib::Client http(address.substr(0, address.rfind(':')),
                       std::stoi(address.substr(address.rfind(':') + 1)));
  auto jwks = http.Get("/jwks.json");
  ASSERT_TRUE(jwks && jwks->status == 200);
  EXPECT_THAT(jwks->body, HasSubstr(new_kid));
  auto b_stub = v1::Verification::NewStub(
      grpc::CreateChannel(b.address(), grpc::InsecureChannelCredentials()));
  const auto verify_on_b = [&](const v1::VerifyRequest& request, v1::VerificationResult* r) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + vouchd_->ServiceToken());
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return b_stub->Verify(&context, request, r);
  };
  v1::VerificationResult result;
  grpc::Status status = verify_on_b(Sealed(new_pem), &result);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(result.decision(), v1::DECISION_VERIFIED);
  EXPECT_EQ(KidOf(result.attestation().sd_jwt()), new_kid);
  status = verify_on_b(sealed_for_old, &result);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(result.decision(), v1::DECISION_VERIFIED);
  EXPECT_THAT(b.Log(), HasSubstr("Passport keys re-read"));
  EXPECT_EQ(b.Stop(), 0);
}

}  // namespace
}  // namespace vouch::testing
