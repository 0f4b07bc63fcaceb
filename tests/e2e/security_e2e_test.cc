// Security end to end, against a real vouchd with real TLS: a throwaway PKI
// (CA, server certificate, client certificates, and a certificate from
// another CA) made with openssl, an auth config with two services and two
// operators, and checks that
//  - bad credentials are refused with the specific code (UNAUTHENTICATED),
//    wrong identities with PERMISSION_DENIED (or NOT_FOUND for another
//    service's verification, which is answered as unknown);
//  - an edited audit row is found by `vouchctl audit verify`, naming its seq;
//  - plaintext off loopback is refused at start;
//  - no decrypted byte reaches the data directory, the database or the log.

#include <grpcpp/grpcpp.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "auth/auth_config.h"
#include "e2e_requests.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "passport/seal.h"
#include "testing/cli_run.h"
#include "testing/test_pki.h"
#include "vouch/v1/admin.grpc.pb.h"
#include "vouch/v1/attestations.grpc.pb.h"
#include "vouch/v1/verification.grpc.pb.h"
#include "vouchd_process.h"

namespace vouch::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Runs `command`, returns (exit code, stdout and stderr).
std::pair<int, std::string> RunCommand(const std::string& command) {
  return RunShell(command, StderrTo::kOutput);
}

// Distinctive personal data: none of it may appear at rest or in logs.
constexpr char kGivenName[] = "Zorandelle";
constexpr char kFamilyName[] = "Quixwellner";
constexpr char kDocumentNo[] = "QX7731942";

class SecurityE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir("security_e2e");
    pki_ = std::make_unique<TestPki>(dir_ + "/pki");
    ASSERT_TRUE(pki_->MakeCa("ca"));
    ASSERT_TRUE(pki_->MakeCa("other"));
    ASSERT_TRUE(
        pki_->MakeCert("ca", "server", "localhost", "DNS:localhost,IP:127.0.0.1", "serverAuth"));
    ASSERT_TRUE(pki_->MakeCert("ca", "bank", "bank-frontend", "DNS:bank.example", "clientAuth"));
    ASSERT_TRUE(pki_->MakeCert("ca", "alice", "alice", "", "clientAuth"));
    ASSERT_TRUE(
        pki_->MakeCert("other", "forged", "bank-frontend", "DNS:bank.example", "clientAuth"));
    bank_token_ = verifier::auth::NewToken("vch_svc_");
    shop_token_ = verifier::auth::NewToken("vch_svc_");
    expired_token_ = verifier::auth::NewToken("vch_svc_");
    admin_token_ = verifier::auth::NewToken("vch_op_");
    reviewer_token_ = verifier::auth::NewToken("vch_op_");
    WriteAuthConfig(/*with_bank_token=*/true);
    vouchd_ = std::make_unique<VouchdProcess>(dir_ + "/data");
  }

  void TearDown() override {
    if (vouchd_) vouchd_->Stop();
    vouchd_.reset();
    std::filesystem::remove_all(dir_);
  }

  void WriteAuthConfig(bool with_bank_token, const std::string& bank_passport_key = "") {
    using verifier::auth::TokenSha256Hex;
    std::ofstream out(dir_ + "/auth.toml", std::ios::trunc);
    out << "[services.bank]\napi_keys = ["
        << (with_bank_token ? absl::StrCat("\"", TokenSha256Hex(bank_token_), "\"") : "")
        << "]\ncertificates = [\"bank.example\"]\n"
        << (bank_passport_key.empty() ? "" : "passport_key = \"" + bank_passport_key + "\"\n")
        << "[services.shop]\napi_keys = [\"" << TokenSha256Hex(shop_token_) << "\", {sha256 = \""
        << TokenSha256Hex(expired_token_) << "\", expires = \"2020-01-01T00:00:00Z\"}]\n"
        << "[operators.root]\nrole = \"admin\"\ntokens = [\"" << TokenSha256Hex(admin_token_)
        << "\"]\n"
        << "[operators.alice]\nrole = \"reviewer\"\ntokens = [\"" << TokenSha256Hex(reviewer_token_)
        << "\"]\ncertificates = [\"alice\"]\n";
  }

  std::vector<std::string> TlsFlags() const {
    return {"--tls-cert",      pki_->Path("server.pem"), "--tls-key",     pki_->Path("server.key"),
            "--tls-client-ca", pki_->Path("ca.pem"),     "--auth-config", dir_ + "/auth.toml"};
  }

  void Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = TlsFlags();
    flags.insert(flags.end(), extra.begin(), extra.end());
    ASSERT_TRUE(vouchd_->Start(flags));
  }

  // A TLS channel that trusts the test CA, with client certificate `cert`
  // ("" for none).
  std::shared_ptr<grpc::Channel> Channel(const std::string& cert = "") {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pki_->Read("ca.pem");
    if (!cert.empty()) {
      ssl.pem_cert_chain = pki_->Read(cert + ".pem");
      ssl.pem_private_key = pki_->Read(cert + ".key");
    }
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(64 << 20);
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(vouchd_->address(), grpc::SslCredentials(ssl), args);
  }

  static void Prepare(grpc::ClientContext& context, const std::string& token) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  }

  // GetVerification of `id` with `token` over `channel`: the status code.
  grpc::StatusCode Get(const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
                       const std::string& id = "ver_none") {
    auto stub = v1::Verification::NewStub(channel);
    grpc::ClientContext context;
    Prepare(context, token);
    v1::GetVerificationRequest get;
    get.set_verification_id(id);
    v1::VerificationResult out;
    return stub->GetVerification(&context, get, &out).error_code();
  }

  grpc::StatusCode ListAudit(const std::shared_ptr<grpc::Channel>& channel,
                             const std::string& token) {
    auto stub = v1::Admin::NewStub(channel);
    grpc::ClientContext context;
    Prepare(context, token);
    v1::ListAuditEventsResponse out;
    return stub->ListAuditEvents(&context, v1::ListAuditEventsRequest(), &out).error_code();
  }

  // A submission sealed for vouchd's Passport key, with the distinctive
  // personal data above and the test scans.
  v1::VerifyRequest Sealed(const std::string& nonce, std::string key_file = "") {
    if (key_file.empty()) key_file = vouchd_->data_dir() + "/keys/passport_rsa.pem";
    auto key = PassportPublicKeyOf(key_file);
    EXPECT_TRUE(key.ok()) << key.status();
    if (!key.ok()) return {};
    std::vector<passport::PlainElement> elements(2);
    elements[0].type = passport::ElementType::kPersonalDetails;
    elements[0].data_json =
        absl::StrCat(R"({"first_name":")", kGivenName, R"(","last_name":")", kFamilyName,
                     R"(","birth_date":"12.08.1974","gender":"female","country_code":"SE",)"
                     R"("residence_country_code":"SE"})");
    elements[1].type = passport::ElementType::kPassport;
    elements[1].data_json =
        absl::StrCat(R"({"document_no":")", kDocumentNo, R"(","expiry_date":"15.04.2032"})");
    elements[1].front_side = passport::PlainFile{"", SecureBytes(Scan())};
    elements[1].selfie = passport::PlainFile{"", SecureBytes(Selfie())};
    auto sealed = passport::SealPassportData(*key, elements, nonce);
    EXPECT_TRUE(sealed.ok()) << sealed.status();
    if (!sealed.ok()) return {};
    v1::VerifyRequest r = VerifyRequestFor(*sealed, nonce);
    r.set_telegram_user_id(4242);
    r.mutable_attestation()->mutable_direct()->set_audience("bank.example");
    return r;
  }

  static std::string Scan() {
    return ReadFileOrEmpty(std::string(VOUCH_SOURCE_DIR) +
                           "/tests/testdata/passport/passport_front.jpg");
  }
  static std::string Selfie() {
    return ReadFileOrEmpty(std::string(VOUCH_SOURCE_DIR) + "/tests/testdata/passport/selfie.jpg");
  }

  std::string Vouchctl(const std::string& args) const {
    return absl::StrCat(VOUCHCTL_PATH, " ", args);
  }
  std::string RemoteFlags(const std::string& token_file) const {
    return absl::StrCat("--server ", vouchd_->address(), " --ca ", pki_->Path("ca.pem"),
                        " --server-name localhost --token-file ", token_file);
  }

  std::string dir_;
  std::unique_ptr<TestPki> pki_;
  std::unique_ptr<VouchdProcess> vouchd_;
  std::string bank_token_, shop_token_, expired_token_, admin_token_, reviewer_token_;
};

TEST_F(SecurityE2eTest, BadCredentialsAreUnauthenticated) {
  Start();
  // Authenticated callers reach the handler: an unknown id is NOT_FOUND.
  EXPECT_EQ(Get(Channel(), bank_token_), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get(Channel("bank"), ""), grpc::StatusCode::NOT_FOUND);

  EXPECT_EQ(Get(Channel(), ""), grpc::StatusCode::UNAUTHENTICATED);  // No client cert, no token.
  EXPECT_EQ(Get(Channel(), "vch_svc_wrong"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Get(Channel(), expired_token_), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Get(Channel("forged"), ""), grpc::StatusCode::UNAUTHENTICATED);  // Another CA.
  // A wrong token is not rescued by a good certificate.
  EXPECT_EQ(Get(Channel("bank"), "vch_svc_wrong"), grpc::StatusCode::UNAUTHENTICATED);

  // Revocation: the token leaves the config; SIGHUP reloads it.
  WriteAuthConfig(/*with_bank_token=*/false);
  vouchd_->Signal(SIGHUP);
  grpc::StatusCode code = grpc::StatusCode::OK;
  for (int i = 0; i < 100 && code != grpc::StatusCode::UNAUTHENTICATED; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    code = Get(Channel(), bank_token_);
  }
  EXPECT_EQ(code, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Get(Channel(), shop_token_), grpc::StatusCode::NOT_FOUND);  // Others unaffected.
  EXPECT_THAT(vouchd_->Log(), Not(HasSubstr(bank_token_)));
}

TEST_F(SecurityE2eTest, PlaintextClientCannotTalkToTls) {
  Start();
  auto channel = grpc::CreateChannel(vouchd_->address(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(Get(channel, bank_token_), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(SecurityE2eTest, RolesAndIdentities) {
  Start();
  auto channel = Channel();
  // Services and reviewers may not use the Admin service; admins may.
  EXPECT_EQ(ListAudit(channel, bank_token_), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ListAudit(Channel("bank"), ""), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ListAudit(channel, reviewer_token_), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ListAudit(Channel("alice"), ""), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ListAudit(channel, ""), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ListAudit(channel, admin_token_), grpc::StatusCode::OK);

  // Revoke is an admin operation.
  auto attestations = v1::Attestations::NewStub(channel);
  v1::RevokeRequest revoke;
  revoke.set_attestation_id("att-unknown");
  v1::RevokeResponse revoked;
  for (const std::string& token : {bank_token_, reviewer_token_}) {
    grpc::ClientContext context;
    Prepare(context, token);
    EXPECT_EQ(attestations->Revoke(&context, revoke, &revoked).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    grpc::ClientContext context;
    Prepare(context, admin_token_);
    EXPECT_EQ(attestations->Revoke(&context, revoke, &revoked).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // Operators are not relying services.
  EXPECT_EQ(Get(channel, admin_token_), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(Channel("alice"), ""), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(SecurityE2eTest, ServiceSeesOnlyItsOwnVerifications) {
  Start({"--process-jobs", "false"});
  auto channel = Channel();
  auto stub = v1::Verification::NewStub(channel);
  v1::VerifyRequest request = Sealed("sec-nonce-own");
  v1::SubmitResponse submitted;
  {
    grpc::ClientContext context;
    Prepare(context, bank_token_);
    ASSERT_TRUE(stub->Submit(&context, request, &submitted).ok());
  }
  const std::string id = submitted.verification_id();
  EXPECT_EQ(Get(channel, bank_token_, id), grpc::StatusCode::OK);
  EXPECT_EQ(Get(Channel("bank"), "", id), grpc::StatusCode::OK);  // Same service by mTLS.
  EXPECT_EQ(Get(channel, shop_token_, id), grpc::StatusCode::NOT_FOUND);
  {
    grpc::ClientContext context;
    Prepare(context, shop_token_);
    v1::WatchVerificationRequest watch;
    watch.set_verification_id(id);
    auto reader = stub->WatchVerification(&context, watch);
    v1::VerificationResult update;
    EXPECT_FALSE(reader->Read(&update));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
  }
  // Claiming to be another relying service is refused.
  {
    v1::VerifyRequest other = request;
    other.set_relying_service("bank");
    other.set_idempotency_key("sec-other");
    grpc::ClientContext context;
    Prepare(context, shop_token_);
    EXPECT_EQ(stub->Submit(&context, other, &submitted).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
}

TEST_F(SecurityE2eTest, EditedAuditRowIsDetected) {
  Start();
  // vouchd appended key.create events for the keys it made at first start
  // (Passport, attestation, storage).
  const std::string admin_file = dir_ + "/admin.token";
  std::ofstream(admin_file) << admin_token_ << "\n";
  auto [rc, out] = RunCommand(Vouchctl("audit verify " + RemoteFlags(admin_file)));
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("audit chain intact: 3 events"));
  auto [export_rc, exported] = RunCommand(
      Vouchctl("audit export " + RemoteFlags(admin_file) + " --out " + dir_ + "/a.jsonl"));
  EXPECT_EQ(export_rc, 0) << exported;
  EXPECT_THAT(ReadFileOrEmpty(dir_ + "/a.jsonl"), HasSubstr(R"("action":"key.create")"));
  ASSERT_EQ(vouchd_->Stop(), 0);

  auto [local_rc, local] = RunCommand(Vouchctl("audit verify --data-dir " + vouchd_->data_dir()));
  EXPECT_EQ(local_rc, 0) << local;

  // Edit row 2 in the SQLite file, as an attacker with file access would.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((vouchd_->data_dir() + "/vouch.db").c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, "UPDATE audit SET actor = 'mallory' WHERE seq = 2", nullptr, nullptr,
                         &error),
            SQLITE_OK)
      << (error != nullptr ? error : "");
  sqlite3_free(error);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);

  auto [edited_rc, edited] = RunCommand(Vouchctl("audit verify --data-dir " + vouchd_->data_dir()));
  EXPECT_EQ(edited_rc, 3) << edited;
  EXPECT_THAT(edited, HasSubstr("BROKEN at seq 2"));
  // The export taken before the edit still verifies, and remotely the edit shows too.
  auto [file_rc, file_out] = RunCommand(Vouchctl("audit verify --file " + dir_ + "/a.jsonl"));
  EXPECT_EQ(file_rc, 0) << file_out;
  Start();
  auto [remote_rc, remote] = RunCommand(Vouchctl("audit verify --json " + RemoteFlags(admin_file)));
  EXPECT_EQ(remote_rc, 3) << remote;
  EXPECT_THAT(remote, HasSubstr(R"("broken_seq":2)"));
  // A service token cannot read the audit log.
  const std::string bank_file = dir_ + "/bank.token";
  std::ofstream(bank_file) << bank_token_ << "\n";
  auto [denied_rc, denied] = RunCommand(Vouchctl("audit verify " + RemoteFlags(bank_file)));
  EXPECT_EQ(denied_rc, 1);
  EXPECT_THAT(denied, HasSubstr("operators"));
}

TEST_F(SecurityE2eTest, StorageKeyRotationIsAudited) {
  Start();
  ASSERT_EQ(vouchd_->Stop(), 0);
  Start({"--rotate-storage-key"});
  ASSERT_EQ(vouchd_->Stop(), 0);
  auto [rc, out] = RunCommand(Vouchctl("audit verify --data-dir " + vouchd_->data_dir()));
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("audit chain intact: 4 events"));
  auto [export_rc, exported] = RunCommand(Vouchctl(
      "audit export --data-dir " + vouchd_->data_dir() + " --out " + dir_ + "/rotated.jsonl"));
  ASSERT_EQ(export_rc, 0) << exported;
  const std::string events = ReadFileOrEmpty(dir_ + "/rotated.jsonl");
  EXPECT_THAT(events, HasSubstr(R"("action":"key.rotate")"));
  EXPECT_THAT(events, HasSubstr(R"(\"key\":\"storage\")"));
  // The storage key file itself never reaches the log.
  const std::string key_file = ReadFileOrEmpty(vouchd_->data_dir() + "/keys/storage.key");
  ASSERT_FALSE(key_file.empty());
  EXPECT_THAT(events, Not(HasSubstr(key_file.substr(0, 24))));
}

TEST_F(SecurityE2eTest, ServiceWithItsOwnPassportKey) {
  const std::string key = dir_ + "/bank_passport_rsa.pem";
  auto [key_rc, key_out] =
      RunCommand("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + key);
  ASSERT_EQ(key_rc, 0) << key_out;
  std::filesystem::permissions(
      key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  WriteAuthConfig(/*with_bank_token=*/true, key);
  Start();
  auto stub = v1::Verification::NewStub(Channel());
  const auto verify = [&](const std::string& token, const v1::VerifyRequest& r,
                          v1::VerificationResult* out) {
    grpc::ClientContext context;
    Prepare(context, token);
    return stub->Verify(&context, r, out);
  };
  v1::VerificationResult result;
  // Sealed for the bank's key: the bank's submissions open with it.
  const grpc::Status bank = verify(bank_token_, Sealed("sec-own-key", key), &result);
  ASSERT_TRUE(bank.ok()) << bank.error_message();
  EXPECT_EQ(result.state(), v1::VERIFICATION_STATE_COMPLETED);
  // The same sealed data sent by another service is opened with vouchd's key: unreadable.
  EXPECT_EQ(verify(shop_token_, Sealed("sec-own-key-2", key), &result).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // And the bank's submissions no longer open with vouchd's key.
  EXPECT_EQ(verify(bank_token_, Sealed("sec-own-key-3"), &result).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(verify(shop_token_, Sealed("sec-own-key-4"), &result).ok());
}

TEST_F(SecurityE2eTest, PlaintextOffLoopbackIsRefused) {
  const std::string data = dir_ + "/refused";
  auto [rc, out] = RunCommand(absl::StrCat(VOUCHD_PATH, " --listen 0.0.0.0:0 --insecure-loopback",
                                           " --metrics-listen '' --data-dir ", data));
  EXPECT_EQ(rc, 1) << out;
  EXPECT_THAT(out, HasSubstr("refusing to serve plaintext on 0.0.0.0:0"));
  auto [rc2, out2] = RunCommand(
      absl::StrCat(VOUCHD_PATH, " --listen 127.0.0.1:0 --metrics-listen '' --data-dir ", data));
  EXPECT_EQ(rc2, 1) << out2;
  EXPECT_THAT(out2, HasSubstr("--insecure-loopback"));
  // vouchctl refuses to send a token in plaintext off loopback.
  auto [rc3, out3] = RunCommand(Vouchctl("audit verify --server 192.0.2.1:443 --tls off"));
  EXPECT_EQ(rc3, 1) << out3;
  EXPECT_THAT(out3, HasSubstr("refusing plaintext"));
}

TEST_F(SecurityE2eTest, NoDecryptedByteAtRestOrInLogs) {
  Start();
  auto stub = v1::Verification::NewStub(Channel());
  v1::VerificationResult result;
  {
    grpc::ClientContext context;
    Prepare(context, bank_token_);
    ASSERT_TRUE(stub->Verify(&context, Sealed("sec-nonce-sync"), &result).ok());
  }
  // Decrypted and checked (the typed document number went through the checks).
  EXPECT_EQ(result.state(), v1::VERIFICATION_STATE_COMPLETED);
  EXPECT_NE(result.decision(), v1::DECISION_UNSPECIFIED);
  EXPECT_GT(result.checks_size(), 0);
  v1::SubmitResponse submitted;
  {
    grpc::ClientContext context;
    Prepare(context, bank_token_);
    ASSERT_TRUE(stub->Submit(&context, Sealed("sec-nonce-async"), &submitted).ok());
  }
  {
    grpc::ClientContext context;
    Prepare(context, bank_token_);
    v1::WatchVerificationRequest watch;
    watch.set_verification_id(submitted.verification_id());
    auto reader = stub->WatchVerification(&context, watch);
    v1::VerificationResult update;
    while (reader->Read(&update)) {
    }
    EXPECT_TRUE(reader->Finish().ok());
    EXPECT_EQ(update.state(), v1::VERIFICATION_STATE_COMPLETED);
  }
  ASSERT_EQ(vouchd_->Stop(), 0);

  // Needles: the typed data and windows of the decrypted scans.
  std::vector<std::string> needles = {kGivenName, kFamilyName, kDocumentNo};
  const std::string scan = Scan();
  for (size_t at : {scan.size() / 4, scan.size() / 2, 3 * scan.size() / 4}) {
    needles.push_back(scan.substr(at, 32));
  }
  int files = 0;
  std::vector<std::string> paths = {vouchd_->data_dir() + ".log"};
  for (const auto& entry : std::filesystem::recursive_directory_iterator(vouchd_->data_dir())) {
    if (entry.is_regular_file()) paths.push_back(entry.path().string());
  }
  for (const std::string& path : paths) {
    const std::string bytes = ReadFileOrEmpty(path);
    ++files;
    for (const std::string& needle : needles) {
      EXPECT_EQ(bytes.find(needle), std::string::npos) << path << " holds decrypted data";
    }
  }
  EXPECT_GE(files, 4);  // The log, vouch.db, keys, auth...
}

}  // namespace
}  // namespace vouch::testing
