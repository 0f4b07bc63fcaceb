#ifndef VOUCH_TESTS_E2E_POSTGRES_E2E_HELPERS_H_
#define VOUCH_TESTS_E2E_POSTGRES_E2E_HELPERS_H_

// Shared by the PostgreSQL and crash end-to-end tests: a sealed sample
// submission for the Passport key of a vouchd data directory, async Submits,
// waiting for terminal states, and counting completions in vouchd's log.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "e2e_requests.h"
#include "gtest/gtest.h"
#include "passport/seal.h"
#include "testing/cli_run.h"
#include "vouch/v1/verification.grpc.pb.h"
#include "vouchd_process.h"

namespace vouch::testing {

// The store a parameterised test runs vouchd on.
enum class Backend { kSqlite, kPostgres };

inline void PrintTo(Backend b, std::ostream* os) {
  *os << (b == Backend::kSqlite ? "Sqlite" : "Postgres");
}

// A genuine-looking submission (the e2e test data), sealed for the Passport
// key in `data_dir`.
inline v1::VerifyRequest SealedSample(const std::string& data_dir) {
  const std::string testdata = std::string(VOUCH_SOURCE_DIR) + "/tests/testdata/passport/";
  auto key = PassportPublicKeyOf(data_dir + "/keys/passport_rsa.pem");
  EXPECT_TRUE(key.ok()) << key.status();
  if (!key.ok()) return {};
  std::vector<passport::PlainElement> elements(2);
  elements[0].type = passport::ElementType::kPersonalDetails;
  elements[0].data_json =
      R"({"first_name":"Anna","last_name":"Eriksson","birth_date":"12.08.1974",)"
      R"("gender":"female","country_code":"SE","residence_country_code":"SE"})";
  elements[1].type = passport::ElementType::kPassport;
  elements[1].data_json = R"({"document_no":"L898902C3","expiry_date":"15.04.2032"})";
  elements[1].front_side =
      passport::PlainFile{"", SecureBytes(ReadFileOrEmpty(testdata + "passport_front.jpg"))};
  elements[1].selfie =
      passport::PlainFile{"", SecureBytes(ReadFileOrEmpty(testdata + "selfie.jpg"))};
  const std::string nonce = "e2e-store-nonce";
  auto sealed = passport::SealPassportData(*key, elements, nonce);
  EXPECT_TRUE(sealed.ok()) << sealed.status();
  if (!sealed.ok()) return {};
  v1::VerifyRequest r = VerifyRequestFor(*sealed, nonce);
  r.set_telegram_user_id(777);
  r.set_relying_service("default");  // vouchd's first-start service (its API key)
  return r;
}

inline std::unique_ptr<v1::Verification::Stub> StubFor(const VouchdProcess& vouchd) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  return v1::Verification::NewStub(
      grpc::CreateCustomChannel(vouchd.address(), grpc::InsecureChannelCredentials(), args));
}

// Submits `request` asynchronously; returns the verification id, "" on error.
// `token` is the service's API key (VouchdProcess::ServiceToken()).
inline std::string SubmitAsync(v1::Verification::Stub& stub, const v1::VerifyRequest& request,
                               const std::string& token) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::SubmitResponse submitted;
  grpc::Status status = stub.Submit(&context, request, &submitted);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return status.ok() ? submitted.verification_id() : "";
}

inline bool IsTerminalState(v1::VerificationState s) {
  return s == v1::VERIFICATION_STATE_COMPLETED || s == v1::VERIFICATION_STATE_FAILED;
}

// GetVerification as service `token` (10 s deadline).
inline grpc::Status FetchVerification(v1::Verification::Stub& stub, const std::string& id,
                                      const std::string& token, v1::VerificationResult* result) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetVerificationRequest get;
  get.set_verification_id(id);
  return stub.GetVerification(&context, get, result);
}

// Polls until every id is terminal (or `timeout`); returns the states seen.
inline std::map<std::string, v1::VerificationState> WaitTerminal(
    v1::Verification::Stub& stub, const std::vector<std::string>& ids, const std::string& token,
    std::chrono::seconds timeout) {
  std::map<std::string, v1::VerificationState> states;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    bool all = true;
    for (const std::string& id : ids) {
      if (IsTerminalState(states[id])) continue;
      v1::VerificationResult result;
      if (FetchVerification(stub, id, token, &result).ok()) states[id] = result.state();
      all = all && IsTerminalState(states[id]);
    }
    if (all || std::chrono::steady_clock::now() > deadline) return states;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// How many times `log` says the pipeline ran verification `id` to the end
// ("verification done" or "verification failed").
inline int RunsInLog(const std::string& log, const std::string& id) {
  int n = 0;
  for (const char* what : {"verification done id=", "verification failed id="}) {
    const std::string needle = absl::StrCat(what, id, " ");
    for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
  }
  return n;
}

inline int CountInLog(const std::string& log, const std::string& needle) {
  int n = 0;
  for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_E2E_POSTGRES_E2E_HELPERS_H_
