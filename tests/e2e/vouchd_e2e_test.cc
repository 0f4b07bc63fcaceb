// End to end against a real vouchd process on a loopback port: sealed
// submissions made with verifier/passport's sealing side for the key vouchd
// generated on its first start, sent through a real gRPC channel.
//
// The real MRZ reader and image checks run on the scans, which are simple
// drawn test pages (tests/testdata/passport). So these tests assert what
// rests on decryption, decoding and typed data (nonce, tampering, garbage and
// bomb scans, expiry, age, limits, idempotency, the durable queue) and that
// the decision follows the checks. Real and generated pages through the
// whole pipeline: genuine_pages_e2e_test.cc and vouchd_sample_e2e_test.cc.

#include <grpcpp/grpcpp.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "e2e_requests.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "passport/seal.h"
#include "testing/cli_run.h"
#include "vouch/v1/attestations.grpc.pb.h"
#include "vouch/v1/verification.grpc.pb.h"
#include "vouchd_process.h"

namespace vouch::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

std::string TestData(const std::string& name) {
  return ReadFileOrEmpty(std::string(VOUCH_SOURCE_DIR) + "/tests/testdata/passport/" + name);
}

std::string ReasonOf(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "";
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

// A PNG header claiming `width` x `height` 8-bit grey pixels over a small
// zlib stream that inflates to all of them: a decompression bomb.
std::string PngBomb(uint32_t width, uint32_t height) {
  const auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  const auto chunk = [&](const std::string& type, const std::string& data) {
    std::string body = type + data;
    const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size());
    return be32(static_cast<uint32_t>(data.size())) + body + be32(static_cast<uint32_t>(crc));
  };
  std::string ihdr = be32(width) + be32(height) + std::string("\x08\x00\x00\x00\x00", 5);
  // Deflate the rows (filter byte + zeros) one at a time to keep memory small.
  z_stream z{};
  deflateInit(&z, 9);
  std::string row(width + 1, '\0'), out, buf(1 << 16, '\0');
  for (uint32_t y = 0; y < height; ++y) {
    z.next_in = reinterpret_cast<Bytef*>(row.data());
    z.avail_in = static_cast<uInt>(row.size());
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf.data());
      z.avail_out = static_cast<uInt>(buf.size());
      deflate(&z, y + 1 == height ? Z_FINISH : Z_NO_FLUSH);
      out.append(buf.data(), buf.size() - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", out) +
         chunk("IEND", "");
}

struct Submission {
  std::string personal_json =
      R"({"first_name":"Anna","last_name":"Eriksson","middle_name":"Maria",)"
      R"("birth_date":"12.08.1974","gender":"female","country_code":"SE",)"
      R"("residence_country_code":"SE"})";
  std::string passport_json = R"({"document_no":"L898902C3","expiry_date":"15.04.2032"})";
  std::string front = TestData("passport_front.jpg");
  std::string selfie = TestData("selfie.jpg");
  std::string nonce = "e2e-nonce-1";
};

class VouchdE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir("vouchd_e2e");
    vouchd_ = std::make_unique<VouchdProcess>(dir_ + "/data");
  }
  void TearDown() override {
    if (vouchd_) {
      EXPECT_EQ(vouchd_->Stop(), 0) << "vouchd did not stop cleanly";
      if (getenv("VOUCH_E2E_LOG")) std::cerr << vouchd_->Log();
    }
    vouchd_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Start(const std::vector<std::string>& extra = {}) {
    ASSERT_TRUE(vouchd_->Start(extra));
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(64 << 20);
    channel_ =
        grpc::CreateCustomChannel(vouchd_->address(), grpc::InsecureChannelCredentials(), args);
    stub_ = v1::Verification::NewStub(channel_);
  }

  // Presents the "default" service's API key (or `token`).
  void Auth(grpc::ClientContext& context, std::string token = "") {
    if (token.empty()) token = vouchd_->ServiceToken();
    context.AddMetadata("authorization", "Bearer " + token);
  }

  // Seals `s` for the Passport key vouchd made in its data directory.
  v1::VerifyRequest Seal(const Submission& s) {
    auto key = PassportPublicKeyOf(vouchd_->data_dir() + "/keys/passport_rsa.pem");
    EXPECT_TRUE(key.ok()) << key.status();
    if (!key.ok()) return {};
    std::vector<passport::PlainElement> elements(2);
    elements[0].type = passport::ElementType::kPersonalDetails;
    elements[0].data_json = s.personal_json;
    elements[1].type = passport::ElementType::kPassport;
    elements[1].data_json = s.passport_json;
    elements[1].front_side = passport::PlainFile{"", SecureBytes(s.front)};
    elements[1].selfie = passport::PlainFile{"", SecureBytes(s.selfie)};
    auto sealed = passport::SealPassportData(*key, elements, s.nonce);
    EXPECT_TRUE(sealed.ok()) << sealed.status();
    if (!sealed.ok()) return {};
    v1::VerifyRequest r = VerifyRequestFor(*sealed, s.nonce);
    r.set_telegram_user_id(777);
    r.mutable_attestation()->mutable_direct()->set_audience("shop.example");
    return r;
  }

  grpc::Status Verify(const v1::VerifyRequest& r, v1::VerificationResult* out) {
    grpc::ClientContext context;
    Auth(context);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return stub_->Verify(&context, r, out);
  }

  // The server still answers: an unknown id is NOT_FOUND, promptly.
  void ExpectHealthy() {
    grpc::ClientContext context;
    Auth(context);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetVerificationRequest get;
    get.set_verification_id("ver_none");
    v1::VerificationResult out;
    EXPECT_EQ(stub_->GetVerification(&context, get, &out).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }

  std::vector<v1::VerificationState> Watch(const std::string& id, v1::VerificationResult* last) {
    grpc::ClientContext context;
    Auth(context);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::WatchVerificationRequest watch;
    watch.set_verification_id(id);
    auto reader = stub_->WatchVerification(&context, watch);
    std::vector<v1::VerificationState> states;
    v1::VerificationResult update;
    while (reader->Read(&update)) {
      states.push_back(update.state());
      *last = update;
    }
    EXPECT_TRUE(reader->Finish().ok());
    return states;
  }

  static bool HasCheck(const v1::VerificationResult& r, const std::string& name,
                       v1::CheckOutcome outcome, const std::string& reason) {
    for (const v1::Check& c : r.checks()) {
      if (c.name() == name && c.outcome() == outcome && c.reason() == reason) return true;
    }
    return false;
  }

  std::string dir_;
  std::unique_ptr<VouchdProcess> vouchd_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Verification::Stub> stub_;
};

TEST_F(VouchdE2eTest, GenuineSubmissionIsDecryptedAndDecided) {
  Start();
  v1::VerificationResult r;

  grpc::Status status = Verify(Seal(Submission()), &r);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.state(), v1::VERIFICATION_STATE_COMPLETED);
  EXPECT_THAT(r.summary().element_types(), Contains("passport"));
  EXPECT_TRUE(HasCheck(r, "expiry", v1::CHECK_OUTCOME_PASS, ""));
  EXPECT_TRUE(HasCheck(r, "minimum_age", v1::CHECK_OUTCOME_PASS, ""));
  EXPECT_TRUE(HasCheck(r, "image.front_side", v1::CHECK_OUTCOME_PASS, ""));
  // The real MRZ reader and quality checks ran on the scan; the decision
  // follows the checks: REJECTED iff one failed, each failure with an error.
  bool mrz_ran = false, any_fail = false;
  for (const v1::Check& c : r.checks()) {
    if (c.name() == "mrz") mrz_ran = c.reason() != "mrz_reader_unavailable";
    any_fail = any_fail || c.outcome() == v1::CHECK_OUTCOME_FAIL;
  }
  EXPECT_TRUE(mrz_ran);
  EXPECT_NE(r.decision(), v1::DECISION_UNSPECIFIED);
  EXPECT_EQ(r.decision() == v1::DECISION_REJECTED, any_fail);
  EXPECT_EQ(r.errors_size() > 0, any_fail);
  // No personal data in the logs.
  EXPECT_THAT(vouchd_->Log(), Not(HasSubstr("Eriksson")));
  EXPECT_THAT(vouchd_->Log(), Not(HasSubstr("L898902C3")));
}

TEST_F(VouchdE2eTest, ExpiredDocumentIsRejectedOnItsFrontSide) {
  Start();
  Submission s;
  s.passport_json = R"({"document_no":"L898902C3","expiry_date":"01.01.2020"})";
  v1::VerificationResult r;

  ASSERT_TRUE(Verify(Seal(s), &r).ok());

  EXPECT_EQ(r.decision(), v1::DECISION_REJECTED);
  EXPECT_TRUE(HasCheck(r, "expiry", v1::CHECK_OUTCOME_FAIL, "document_expired"));
  bool front = false;
  for (const v1::PassportElementError& e : r.errors()) {
    front = front || (e.source() == "front_side" && e.file_hash().size() == 44u);
  }
  EXPECT_TRUE(front);  // file_hash: base64 of SHA-256.
  ExpectHealthy();
}

TEST_F(VouchdE2eTest, UnderAgeUserIsRejected) {
  Start();
  Submission s;
  s.personal_json = R"({"first_name":"Anna","last_name":"Eriksson","birth_date":"01.01.2015",)"
                    R"("gender":"female","country_code":"SE","residence_country_code":"SE"})";
  v1::VerificationResult r;

  ASSERT_TRUE(Verify(Seal(s), &r).ok());

  EXPECT_EQ(r.decision(), v1::DECISION_REJECTED);
  EXPECT_TRUE(HasCheck(r, "minimum_age", v1::CHECK_OUTCOME_FAIL, "under_minimum_age"));
  bool unspecified = false;
  for (const v1::PassportElementError& e : r.errors()) {
    unspecified = unspecified || (e.source() == "unspecified" && e.type() == "personal_details" &&
                                  !e.element_hash().empty());
  }
  EXPECT_TRUE(unspecified);
}

TEST_F(VouchdE2eTest, WrongNonceIsInvalidArgument) {
  Start();
  v1::VerifyRequest request = Seal(Submission());
  request.set_nonce("not-the-nonce");
  v1::VerificationResult r;

  grpc::Status status = Verify(request, &r);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "NONCE_MISMATCH");
  ExpectHealthy();
}

TEST_F(VouchdE2eTest, TamperedCiphertextIsOneGenericError) {
  Start();
  v1::VerifyRequest request = Seal(Submission());
  std::string* content = request.mutable_files(0)->mutable_content();
  (*content)[content->size() / 2] ^= 0x40;
  v1::VerificationResult r;

  grpc::Status status = Verify(request, &r);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "PASSPORT_UNREADABLE");
  ExpectHealthy();
}

TEST_F(VouchdE2eTest, GarbageAndBombScansAreRejectedOnTheFrontSide) {
  Start();
  Submission garbage;
  garbage.front = std::string(4096, '\x5a');
  Submission bomb;
  bomb.front = PngBomb(10000, 6000);  // 60 megapixels in ~60 KB.
  ASSERT_LT(bomb.front.size(), 1u << 20);
  const std::pair<const Submission*, std::string> cases[] = {{&garbage, "image_unreadable"},
                                                             {&bomb, "image_too_large"}};

  for (const auto& [s, reason] : cases) {
    v1::VerificationResult r;
    grpc::Status status = Verify(Seal(*s), &r);

    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(r.decision(), v1::DECISION_REJECTED) << reason;
    EXPECT_TRUE(HasCheck(r, "image.front_side", v1::CHECK_OUTCOME_FAIL, reason)) << reason;
    ASSERT_GE(r.errors_size(), 1);
    EXPECT_EQ(r.errors(0).source(), "front_side");
    ExpectHealthy();
  }
}

TEST_F(VouchdE2eTest, OversizeRequestsAreResourceExhausted) {
  Start({"--max-files-bytes", "1000000"});
  v1::VerifyRequest over_files = Seal(Submission());
  v1::EncryptedFile* padding = over_files.add_files();
  padding->set_file_id("padding");
  padding->set_content(std::string(1'100'000, 'x'));
  v1::VerifyRequest over_transport = over_files;
  over_transport.mutable_files(over_transport.files_size() - 1)
      ->set_content(std::string(4'000'000, 'x'));
  v1::VerificationResult r;

  grpc::Status files = Verify(over_files, &r);
  grpc::Status transport = Verify(over_transport, &r);

  EXPECT_EQ(files.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ReasonOf(files), "REQUEST_TOO_LARGE");
  EXPECT_EQ(transport.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  ExpectHealthy();
}

TEST_F(VouchdE2eTest, SameIdempotencyKeyTwiceIsOneVerification) {
  Start();
  v1::VerifyRequest request = Seal(Submission());
  request.set_idempotency_key("order-1234");
  v1::VerificationResult a, b;

  ASSERT_TRUE(Verify(request, &a).ok());
  ASSERT_TRUE(Verify(request, &b).ok());

  EXPECT_EQ(a.verification_id(), b.verification_id());
  EXPECT_EQ(a.decision(), b.decision());
}

TEST_F(VouchdE2eTest, AsyncSubmitThenWatchSeesCompletion) {
  Start();
  grpc::ClientContext context;
  Auth(context);
  v1::SubmitResponse submitted;
  ASSERT_TRUE(stub_->Submit(&context, Seal(Submission()), &submitted).ok());

  v1::VerificationResult last;
  std::vector<v1::VerificationState> states = Watch(submitted.verification_id(), &last);

  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), v1::VERIFICATION_STATE_COMPLETED);
  EXPECT_EQ(last.verification_id(), submitted.verification_id());
  EXPECT_NE(last.decision(), v1::DECISION_UNSPECIFIED);
}

TEST_F(VouchdE2eTest, RestartBetweenSubmitAndCompletionLosesNothing) {
  // First life: accept only.
  Start({"--process-jobs", "false"});
  v1::VerifyRequest request = Seal(Submission());
  request.set_idempotency_key("restart-1");
  v1::SubmitResponse submitted;
  {
    grpc::ClientContext context;
    Auth(context);
    ASSERT_TRUE(stub_->Submit(&context, request, &submitted).ok());
  }
  {
    grpc::ClientContext context;
    Auth(context);
    v1::GetVerificationRequest get;
    get.set_verification_id(submitted.verification_id());
    v1::VerificationResult pending;
    ASSERT_TRUE(stub_->GetVerification(&context, get, &pending).ok());
    EXPECT_EQ(pending.state(), v1::VERIFICATION_STATE_PENDING);
  }
  ASSERT_EQ(vouchd_->Stop(), 0);
  // The data directory holds no decrypted data: only the encrypted request.
  const std::string db = ReadFileOrEmpty(vouchd_->data_dir() + "/vouch.db") +
                         ReadFileOrEmpty(vouchd_->data_dir() + "/vouch.db-wal");
  EXPECT_THAT(db, Not(HasSubstr("Eriksson")));
  EXPECT_THAT(db, Not(HasSubstr("L898902C3")));

  // Second life: processes the stored job.
  Start();
  v1::VerificationResult last;
  std::vector<v1::VerificationState> states = Watch(submitted.verification_id(), &last);
  v1::SubmitResponse again;
  grpc::ClientContext context;
  Auth(context);
  ASSERT_TRUE(stub_->Submit(&context, request, &again).ok());

  EXPECT_EQ(states.back(), v1::VERIFICATION_STATE_COMPLETED);
  EXPECT_EQ(again.verification_id(), submitted.verification_id());
  EXPECT_TRUE(again.deduplicated());
  // Completed exactly once.
  EXPECT_THAT(vouchd_->Log(), HasSubstr("verification done id=" + submitted.verification_id()));
  const std::string log = vouchd_->Log();
  const std::string done = "verification done id=" + submitted.verification_id();
  EXPECT_EQ(log.find(done), log.rfind(done));
}

TEST_F(VouchdE2eTest, AttestationsServicePublishesKeysAndStatusList) {
  Start();
  auto stub = v1::Attestations::NewStub(channel_);
  v1::GetJwksResponse jwks;
  v1::GetIssuerMetadataResponse metadata;
  v1::GetStatusListResponse list;
  v1::RevokeResponse revoked;
  grpc::ClientContext c1, c2, c3, c4;
  Auth(c4, vouchd_->AdminToken());
  v1::RevokeRequest revoke;
  revoke.set_attestation_id("att-unknown");

  ASSERT_TRUE(stub->GetJwks(&c1, v1::GetJwksRequest(), &jwks).ok());
  ASSERT_TRUE(stub->GetIssuerMetadata(&c2, v1::GetIssuerMetadataRequest(), &metadata).ok());
  ASSERT_TRUE(stub->GetStatusList(&c3, v1::GetStatusListRequest(), &list).ok());
  grpc::Status unknown = stub->Revoke(&c4, revoke, &revoked);

  const nlohmann::json keys = nlohmann::json::parse(jwks.jwks_json());
  ASSERT_EQ(keys["keys"].size(), 1u);
  const std::string kid = keys["keys"][0]["kid"];
  EXPECT_TRUE(std::filesystem::exists(vouchd_->data_dir() + "/keys/attest/" + kid + ".pem"));
  EXPECT_FALSE(keys["keys"][0].contains("d"));  // Public keys only.
  EXPECT_EQ(nlohmann::json::parse(metadata.metadata_json())["issuer"], "https://vouch.invalid");
  EXPECT_EQ(std::count(list.status_list_jwt().begin(), list.status_list_jwt().end(), '.'), 2);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(VouchdE2eTest, VouchctlSubmitPrintsTheResult) {
  Start();
  v1::VerifyRequest request = Seal(Submission());
  const std::string sealed = dir_ + "/sealed";
  std::filesystem::create_directories(sealed);
  std::ofstream(sealed + "/passport_data.json") << request.passport_data_json();
  for (const v1::EncryptedFile& f : request.files()) {
    std::ofstream(sealed + "/" + f.file_id(), std::ios::binary) << f.content();
  }
  const std::string base =
      absl::StrCat(VOUCHCTL_PATH, " submit --server ", vouchd_->address(), " --token-file ",
                   vouchd_->service_token_file(), " --passport-data ", sealed,
                   "/passport_data.json", " --files-dir ", sealed, " --aud shop.example");

  auto [rc, out] = RunShell(base + " --nonce e2e-nonce-1 --json");
  auto [async_rc, async_out] = RunShell(base + " --nonce e2e-nonce-1 --async --wait");
  auto [bad_rc, bad_out] = RunShell(base + " --nonce wrong", StderrTo::kOutput);

  EXPECT_EQ(rc, 0);
  const nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["state"], "VERIFICATION_STATE_COMPLETED");
  EXPECT_TRUE(j["checks"].is_array());
  EXPECT_EQ(async_rc, 0);
  EXPECT_THAT(async_out, HasSubstr("state        VERIFICATION_STATE_COMPLETED"));
  EXPECT_EQ(bad_rc, 1);
  EXPECT_THAT(bad_out, HasSubstr("error: INVALID_ARGUMENT: NONCE_MISMATCH"));
}

TEST_F(VouchdE2eTest, MetricsCountOutcomesOnLoopback) {
  Start();
  v1::VerificationResult r;
  ASSERT_TRUE(Verify(Seal(Submission()), &r).ok());

  const std::string& address = vouchd_->metrics_address();
  httplib::Client client(address.substr(0, address.rfind(':')),
                         std::stoi(address.substr(address.rfind(':') + 1)));
  auto response = client.Get("/metrics");

  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(response->body, HasSubstr(absl::StrCat("vouch_verifications_total{decision=\"",
                                                     v1::Decision_Name(r.decision()), "\"} 1")));
  EXPECT_THAT(response->body, HasSubstr("vouch_stage_seconds_count{stage=\"decrypt\"} 1"));
  EXPECT_THAT(response->body, HasSubstr("vouch_in_flight"));
}

}  // namespace
}  // namespace vouch::testing
