#ifndef VOUCH_TESTS_E2E_REVIEW_E2E_CONFIG_H_
#define VOUCH_TESTS_E2E_REVIEW_E2E_CONFIG_H_

// Shared by the review end-to-end tests that submit through gRPC: the docgen
// sample (vouch_sample, real MRZ and face) sealed for a vouchd, a vouchd config
// whose face-match band sends every real face match to review (pass = 1.0), an
// auth config with the "default" service (the sample's relying service) and
// three operators, and vouchctl run as one of them.

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/auth_config.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "policy_toml.h"
#include "testing/cli_run.h"
#include "vouch/v1/verification.pb.h"

namespace vouch::testing {

inline constexpr char kE2eServiceToken[] = "vch_svc_e2e-review-service-0123456789abcdefghijklmn";
inline constexpr char kAliceToken[] = "vch_op_e2e-alice-reviewer-0123456789abcdefghijklmnop";
inline constexpr char kDaveToken[] = "vch_op_e2e-dave-reviewer-0123456789abcdefghijklmnopq";
inline constexpr char kBobToken[] = "vch_op_e2e-bob-senior-0123456789abcdefghijklmnopqrst";
inline constexpr char kCarolToken[] = "vch_op_e2e-carol-senior-0123456789abcdefghijklmnopqr";

// The vouchd config of the review tests: the default policy with a face-match
// band that sends every real face match to review (pass = 1.0).
inline std::string ReviewPolicyToml(bool four_eyes) {
  return absl::StrCat(DefaultPolicyToml("", "pass = 1.0, review = 0.0"), R"toml(
[policies.default.review]
retention = "168h"
four_eyes_override = )toml",
                      four_eyes ? "true" : "false", "\n");
}

// Writes <dir>/vouchd.toml (ReviewPolicyToml) and <dir>/auth.toml: operators
// alice and dave (reviewer), bob and carol (senior_reviewer).
inline void WriteReviewConfigs(const std::string& dir, bool four_eyes) {
  std::ofstream(dir + "/vouchd.toml") << ReviewPolicyToml(four_eyes);
  using ::vouch::verifier::auth::TokenSha256Hex;
  std::ofstream(dir + "/auth.toml")
      << "[services.default]\napi_keys = [\"" << TokenSha256Hex(kE2eServiceToken) << "\"]\n\n"
      << "[operators.alice]\nrole = \"reviewer\"\ntokens = [\"" << TokenSha256Hex(kAliceToken)
      << "\"]\n\n"
      << "[operators.dave]\nrole = \"reviewer\"\ntokens = [\"" << TokenSha256Hex(kDaveToken)
      << "\"]\n\n"
      << "[operators.bob]\nrole = \"senior_reviewer\"\ntokens = [\"" << TokenSha256Hex(kBobToken)
      << "\"]\n\n"
      << "[operators.carol]\nrole = \"senior_reviewer\"\ntokens = [\""
      << TokenSha256Hex(kCarolToken) << "\"]\n";
}

// `vouchctl <args> --server <address>` with operator `token` as VOUCH_TOKEN;
// returns the exit code and stdout + stderr.
inline std::pair<int, std::string> VouchctlAs(const std::string& token, const std::string& address,
                                              const std::string& args) {
  return RunShell(absl::StrCat("env -u DISPLAY -u WAYLAND_DISPLAY VOUCH_TOKEN=", token, " ",
                               VOUCHCTL_PATH, " ", args, " --server ", address),
                  StderrTo::kOutput);
}

// The docgen sample (ERIKSSON, passport L898902C3, the astronaut face) made
// with vouch_sample under `dir`, sealed with vouchctl for the Passport key in
// `data_dir`, as a request for the "default" service. Failures are test
// failures (and an empty request).
inline v1::VerifyRequest DocgenSampleRequest(const std::string& dir, const std::string& data_dir) {
  const std::string source = VOUCH_SOURCE_DIR;
  const std::string sample = dir + "/sample", sealed = dir + "/sealed";
  const std::string nonce = "e2e-review-nonce";
  auto [mk_rc, mk_out] =
      RunShell(absl::StrCat(VOUCH_SAMPLE_PATH, " --out ", sample, " --nonce ", nonce, " --face ",
                            source, "/models/face/samples/astronaut.png --face-box 120,0,210,273"),
               StderrTo::kOutput);
  EXPECT_EQ(mk_rc, 0) << mk_out;
  auto [key_rc, key_out] =
      RunShell(absl::StrCat("openssl pkey -in ", data_dir, "/keys/passport_rsa.pem -pubout -out ",
                            dir, "/pub.pem"),
               StderrTo::kOutput);
  EXPECT_EQ(key_rc, 0) << key_out;
  auto [seal_rc, seal_out] =
      RunShell(absl::StrCat(VOUCHCTL_PATH, " passport seal --public-key ", dir, "/pub.pem --in ",
                            sample, "/PLAIN.json --files-dir ", sample, " --out-dir ", sealed),
               StderrTo::kOutput);
  EXPECT_EQ(seal_rc, 0) << seal_out;
  v1::VerifyRequest r;
  if (mk_rc != 0 || key_rc != 0 || seal_rc != 0) return r;
  // Every file but the PassportData is an encrypted file named by its id.
  for (const auto& entry : std::filesystem::directory_iterator(sealed)) {
    const std::string name = entry.path().filename().string();
    if (name == "passport_data.json") continue;
    v1::EncryptedFile* f = r.add_files();
    f->set_file_id(name);
    f->set_content(ReadFileOrEmpty(entry.path()));
  }
  r.set_passport_data_json(ReadFileOrEmpty(sealed + "/passport_data.json"));
  r.set_nonce(nonce);
  r.set_telegram_user_id(777);
  r.set_relying_service("default");
  return r;
}

inline nlohmann::json ParseJsonOrEmpty(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_E2E_REVIEW_E2E_CONFIG_H_
