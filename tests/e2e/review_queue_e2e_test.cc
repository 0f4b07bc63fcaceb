// End to end for the review queue (docs/review.md), against a real vouchd:
// a docgen sample whose face match a policy sends to review (face_match
// pass = 1.0) is submitted; the operator works it with vouchctl
// (list, claim, show with images written to a private memory-backed
// directory and gone after exit, or served from memory on a loopback page
// behind a token, approve or reject); a WatchVerification stream opened before
// the decision sees it; the attestation verifies with vouch-verify; the case
// is gone afterwards. Needs the face models and the sample face, like
// vouchd_sample_e2e_test (the tests FAIL without them).

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "auth/auth_config.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "review_e2e_config.h"
#include "testing/cli_run.h"
#include "vouch/v1/verification.grpc.pb.h"
#include "vouchd_process.h"

namespace vouch {
namespace {

using ::testing::HasSubstr;
using ::vouch::testing::FaceModelsPresent;
using ::vouch::testing::FreshTestDir;
using ::vouch::testing::ReadFileOrEmpty;
using ::vouch::testing::ReviewPolicyToml;
using ::vouch::testing::RunShell;
using ::vouch::testing::VouchdProcess;
using ::vouch::verifier::auth::TokenSha256Hex;

constexpr char kReviewerToken[] = "vch_op_e2e-reviewer-token-0123456789abcdefghijklmnop";
constexpr char kSeniorToken[] = "vch_op_e2e-senior-token-0123456789abcdefghijklmnopqr";
constexpr long kTmpfsMagic = 0x01021994;  // linux/magic.h TMPFS_MAGIC
constexpr char kServiceToken[] = "vch_svc_e2e-service-token-0123456789abcdefghijklmnop";

nlohmann::json ParseJson(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

// Collects every state a WatchVerification stream sends, until it ends.
class Watcher {
 public:
  Watcher(const std::string& address, const std::string& id) {
    stub_ =
        v1::Verification::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    context_.AddMetadata("authorization", absl::StrCat("Bearer ", kServiceToken));
    v1::WatchVerificationRequest request;
    request.set_verification_id(id);
    request.set_until_decided(true);
    reader_ = stub_->WatchVerification(&context_, request);
    thread_ = std::thread([this] {
      v1::VerificationResult r;
      while (reader_->Read(&r)) {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back(r);
      }
      status_ = reader_->Finish();
    });
  }
  ~Watcher() {
    context_.TryCancel();
    if (thread_.joinable()) thread_.join();
  }
  // Waits for the stream to end (at most `seconds`).
  bool Join(int seconds) {
    for (int i = 0; i < seconds * 20; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!seen_.empty() && seen_.back().decision() != v1::DECISION_NEEDS_REVIEW &&
            seen_.back().state() == v1::VERIFICATION_STATE_COMPLETED) {
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    thread_.join();
    return status_.ok();
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.size();
  }
  std::vector<v1::VerificationResult> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  std::unique_ptr<v1::Verification::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::VerificationResult>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<v1::VerificationResult> seen_;
  grpc::Status status_;
};

class ReviewE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(FaceModelsPresent());
    dir_ = FreshTestDir("review_e2e");
    std::filesystem::create_directories(dir_ + "/tmp");
    std::filesystem::permissions(dir_ + "/tmp", std::filesystem::perms::owner_all);
    // A policy whose face-match band sends every real face match to review.
    std::ofstream(dir_ + "/vouchd.toml") << ReviewPolicyToml(/*four_eyes=*/false);
    std::ofstream(dir_ + "/auth.toml")
        << "[services.demo-shop]\napi_keys = [\"" << TokenSha256Hex(kServiceToken) << "\"]\n\n"
        << "[operators.alice]\nrole = \"reviewer\"\ntokens = [\"" << TokenSha256Hex(kReviewerToken)
        << "\"]\n\n"
        << "[operators.bob]\nrole = \"senior_reviewer\"\ntokens = [\""
        << TokenSha256Hex(kSeniorToken) << "\"]\n";
    vouchd_ = std::make_unique<VouchdProcess>(dir_ + "/data");
    ASSERT_TRUE(
        vouchd_->Start({"--config", dir_ + "/vouchd.toml", "--auth-config", dir_ + "/auth.toml"}));
  }
  void TearDown() override {
    if (vouchd_) {
      EXPECT_EQ(vouchd_->Stop(), 0) << "vouchd did not stop cleanly";
      if (getenv("VOUCH_E2E_LOG")) std::cerr << vouchd_->Log();
    }
    vouchd_.reset();
    std::filesystem::remove_all(dir_);
  }

  // vouchctl with the reviewer's token, TMPDIR inside the test's directory.
  std::pair<int, std::string> Vouchctl(const std::string& args,
                                       const std::string& token = kReviewerToken) {
    return RunShell(absl::StrCat("env -u DISPLAY -u WAYLAND_DISPLAY -u VOUCH_TOKEN TMPDIR=", dir_,
                                 "/tmp ", token.empty() ? "" : "VOUCH_TOKEN=", token, " ",
                                 VOUCHCTL_PATH, " ", args, " --server ", vouchd_->address(),
                                 " 2>&1"));
  }

  // Makes, seals and submits the genuine sample; returns the result.
  nlohmann::json Submit() {
    const std::string sample = dir_ + "/sample", sealed = dir_ + "/sealed";
    auto [mk_rc, mk_out] = RunShell(absl::StrCat(
        VOUCH_SAMPLE_PATH, " --out ", sample, " --nonce e2e-review-nonce --face ", VOUCH_SOURCE_DIR,
        "/models/face/samples/astronaut.png --face-box 120,0,210,273 2>&1"));
    EXPECT_EQ(mk_rc, 0) << mk_out;
    auto [key_rc, key_out] =
        RunShell(absl::StrCat("openssl pkey -in ", vouchd_->data_dir(),
                              "/keys/passport_rsa.pem -pubout -out ", dir_, "/pub.pem 2>&1"));
    EXPECT_EQ(key_rc, 0) << key_out;
    auto [seal_rc, seal_out] = RunShell(
        absl::StrCat(VOUCHCTL_PATH, " passport seal --public-key ", dir_, "/pub.pem --in ", sample,
                     "/PLAIN.json --files-dir ", sample, " --out-dir ", sealed, " 2>&1"));
    EXPECT_EQ(seal_rc, 0) << seal_out;
    auto [rc, out] = RunShell(absl::StrCat(
        "env VOUCH_TOKEN=", kServiceToken, " ", VOUCHCTL_PATH, " submit --server ",
        vouchd_->address(), " --passport-data ", sealed, "/passport_data.json --files-dir ", sealed,
        " --nonce e2e-review-nonce --aud demo-shop.example --json"));
    EXPECT_EQ(rc, 0) << out;
    return ParseJson(out);
  }

  // The personal_details data_hash, from the decrypted credentials.
  std::string PersonalDetailsDataHash() {
    auto [rc, out] = RunShell(absl::StrCat(
        VOUCHCTL_PATH, " passport decrypt --key ", vouchd_->data_dir(),
        "/keys/passport_rsa.pem --passport-data ", dir_, "/sealed/passport_data.json --files-dir ",
        dir_, "/sealed --nonce e2e-review-nonce --out-dir ", dir_, "/decrypted"));
    EXPECT_EQ(rc, 0) << out;
    return ParseJson(out).value(
        nlohmann::json::json_pointer("/credentials/secure_data/personal_details/data/data_hash"),
        std::string());
  }

  // Submits and claims: returns the case id, after checking list and claim.
  std::string SubmitAndClaim() {
    const nlohmann::json r = Submit();
    EXPECT_EQ(r.value("decision", ""), "DECISION_NEEDS_REVIEW") << r.dump(2);
    const std::string id = r.value("verification_id", "");
    auto [list_rc, list_out] = Vouchctl("queue list --json");
    EXPECT_EQ(list_rc, 0) << list_out;
    const nlohmann::json list = ParseJson(list_out);
    EXPECT_EQ(list["cases"].size(), 1u) << list_out;
    if (list["cases"].size() == 1) {
      EXPECT_EQ(list["cases"][0].value("case_id", ""), id);
      EXPECT_THAT(list["cases"][0]["reasons"].dump(), HasSubstr("face_match"));
    }
    auto [claim_rc, claim_out] = Vouchctl("queue claim --json");
    EXPECT_EQ(claim_rc, 0) << claim_out;
    EXPECT_EQ(
        ParseJson(claim_out).value(nlohmann::json::json_pointer("/case/case_id"), std::string()),
        id);
    // Someone else cannot take it meanwhile (exit 4), nor is anything left.
    auto [other_rc, other_out] = Vouchctl(absl::StrCat("queue claim ", id), kSeniorToken);
    EXPECT_EQ(other_rc, 4) << other_out;
    auto [next_rc, next_out] = Vouchctl("queue claim", kSeniorToken);
    EXPECT_EQ(next_rc, 3) << next_out;
    return id;
  }

  // Starts `vouchctl queue show ID ARGS --json` in the background with its
  // stdout in `out_file`, TMPDIR on the test's (disk) folder and no
  // XDG_RUNTIME_DIR; returns its pid, and the JSON it printed in `shown`.
  pid_t SpawnShow(const std::string& id, std::vector<std::string> args, const std::string& out_file,
                  nlohmann::json& shown) {
    args.insert(args.begin(), {VOUCHCTL_PATH, "queue", "show", id, "--json"});
    args.insert(args.end(), {"--server", vouchd_->address()});
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT, 0600);
    std::string tmp_env = absl::StrCat("TMPDIR=", dir_, "/tmp");
    std::string token_env = absl::StrCat("VOUCH_TOKEN=", kReviewerToken);
    std::vector<char*> env = {tmp_env.data(), token_env.data(), nullptr};
    pid_t pid = -1;
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), env.data()) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; pid > 0 && i < 200 && !shown.contains("images"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::ifstream in(out_file);
      std::string line;
      if (std::getline(in, line)) shown = ParseJson(line);
    }
    return pid;
  }

  // `queue show`: fields and checks printed, images written 0600 into a
  // 0700 directory on a memory filesystem (not TMPDIR, which is on disk
  // here) while it runs, and gone once it exits.
  void ShowWritesImagesAndRemovesThem(const std::string& id) {
    nlohmann::json shown;
    const pid_t pid = SpawnShow(id, {"--keep-images-for", "60"}, dir_ + "/show.out", shown);
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(shown.contains("images")) << "show printed nothing";
    // Typed data beside the MRZ.
    bool last_name = false;
    for (const auto& f : shown["fields"]) {
      if (f.value("element", "") == "personal_details" && f.value("field", "") == "last_name") {
        last_name = true;
        EXPECT_FALSE(f.value("typed", "").empty());
        // The sample's typed name matches its MRZ (upper case there).
        EXPECT_EQ(absl::AsciiStrToUpper(f.value("typed", "")), f.value("extracted", ""))
            << f.dump();
      }
    }
    EXPECT_TRUE(last_name) << shown.dump(2);
    bool face_review = false;
    for (const auto& c : shown["checks"]) {
      if (c.value("name", "") == "face_match") {
        face_review = c.value("outcome", "") == "CHECK_OUTCOME_REVIEW";
        EXPECT_TRUE(c.contains("score"));
      }
    }
    EXPECT_TRUE(face_review) << shown.dump(2);
    const std::string image_dir = shown.value("image_dir", "");
    ASSERT_FALSE(image_dir.empty());
    // Decrypted images never go to a disk: TMPDIR is skipped for /dev/shm.
    EXPECT_NE(image_dir.rfind(dir_ + "/tmp/", 0), 0u) << image_dir;
    struct statfs fs = {};
    ASSERT_EQ(statfs(image_dir.c_str(), &fs), 0);
    EXPECT_EQ(static_cast<long>(fs.f_type), kTmpfsMagic) << image_dir;
    EXPECT_TRUE(std::filesystem::is_empty(dir_ + "/tmp"));
    struct stat st;
    ASSERT_EQ(stat(image_dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700);
    ASSERT_GE(shown["images"].size(), 2u);  // front side and selfie
    std::set<std::string> sources;
    for (const auto& img : shown["images"]) {
      const std::string path = img.value("path", "");
      sources.insert(img.value("source", ""));
      ASSERT_EQ(stat(path.c_str(), &st), 0) << path;
      EXPECT_EQ(st.st_mode & 0777, 0600);
      EXPECT_EQ(static_cast<size_t>(st.st_size), img.value("bytes", size_t{0}));
      std::ifstream in(path, std::ios::binary);
      char magic[3] = {};
      in.read(magic, 3);
      EXPECT_TRUE((magic[0] == '\xff' && magic[1] == '\xd8') || magic[1] == 'P') << path;
    }
    EXPECT_TRUE(sources.contains("front_side") && sources.contains("selfie"));
    ::kill(pid, SIGTERM);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_FALSE(std::filesystem::exists(image_dir)) << "images left behind";
    // Without --keep-images-for, they are gone when the command returns.
    auto [rc, out] = Vouchctl(absl::StrCat("queue show ", id));
    EXPECT_EQ(rc, 0) << out;
    EXPECT_THAT(out, HasSubstr("face_match"));
    EXPECT_TRUE(std::filesystem::is_empty(dir_ + "/tmp")) << "images left behind";
  }

  // `queue show --serve-images`: the images from memory on a 127.0.0.1 page
  // behind a token, byte for byte the submitted files; nothing without the
  // token; no file anywhere; the listener gone when vouchctl exits.
  void ServesImagesOnATokenPage(const std::string& id) {
    nlohmann::json shown;
    const pid_t pid =
        SpawnShow(id, {"--serve-images", "--keep-images-for", "60"}, dir_ + "/serve.out", shown);
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(shown.contains("images")) << "show printed nothing";
    EXPECT_FALSE(shown.contains("image_dir")) << shown.dump();
    const std::string page = shown.value("image_page", "");
    const std::string prefix = "http://127.0.0.1:";
    ASSERT_EQ(page.rfind(prefix, 0), 0u) << page;
    const size_t slash = page.find('/', prefix.size());
    ASSERT_NE(slash, std::string::npos);
    const int port = std::stoi(page.substr(prefix.size(), slash - prefix.size()));
    const std::string page_path = page.substr(slash);  // "/TOKEN/"
    httplib::Client client("127.0.0.1", port);

    httplib::Result index = client.Get(page_path);
    ASSERT_TRUE(index);
    EXPECT_EQ(index->status, 200);
    EXPECT_THAT(index->body, HasSubstr(id));
    EXPECT_THAT(index->body, HasSubstr("<img src=\"0\""));
    // Each image is one of the files the user submitted, byte for byte.
    std::set<std::string> submitted;
    for (const char* name : {"passport_front.jpg", "selfie.jpg"}) {
      std::ifstream in(absl::StrCat(dir_, "/sample/", name), std::ios::binary);
      submitted.insert(std::string((std::istreambuf_iterator<char>(in)), {}));
    }
    ASSERT_GE(shown["images"].size(), 2u);
    std::set<std::string> served;
    for (const auto& img : shown["images"]) {
      EXPECT_FALSE(img.contains("path")) << img.dump();
      const std::string url = img.value("url", "");
      ASSERT_EQ(url.rfind(page, 0), 0u) << url;
      httplib::Result got = client.Get(url.substr(slash));
      ASSERT_TRUE(got) << url;
      EXPECT_EQ(got->status, 200);
      EXPECT_EQ(got->get_header_value("Cache-Control"), "no-store");
      EXPECT_EQ(got->body.size(), img.value("bytes", size_t{0}));
      served.insert(got->body);
    }
    EXPECT_EQ(served, submitted);
    // Without the token, with another, or another path: 404 and nothing.
    std::string wrong = page_path;
    wrong[5] = wrong[5] == '0' ? '1' : '0';
    for (const std::string& path : {std::string("/"), std::string("/0"), wrong, wrong + "0",
                                    page_path + "9", page_path + "../0", std::string("/metrics")}) {
      httplib::Result refused = client.Get(path);
      ASSERT_TRUE(refused) << path;
      EXPECT_EQ(refused->status, 404) << path;
      EXPECT_EQ(refused->body, "not found\n") << path;
    }
    // Nothing written: TMPDIR stays empty and no image folder was made.
    EXPECT_TRUE(std::filesystem::is_empty(dir_ + "/tmp"));

    ::kill(pid, SIGTERM);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    httplib::Client after("127.0.0.1", port);
    after.set_connection_timeout(1, 0);
    EXPECT_FALSE(after.Get(page_path)) << "the page still answers after vouchctl exited";

    // Drawn in a kitty-protocol terminal (a pty from script(1)): the PNG
    // escape codes follow the text; to a pipe, refused before anything.
    auto [tty_rc, tty_out] = RunShell(absl::StrCat(
        "env -u DISPLAY -u WAYLAND_DISPLAY TERM=xterm-kitty VOUCH_TOKEN=", kReviewerToken,
        " TMPDIR=", dir_, "/tmp script -qec '", VOUCHCTL_PATH, " queue show ", id,
        " --inline-images --server ", vouchd_->address(), "' /dev/null"));
    EXPECT_EQ(tty_rc, 0) << tty_out.substr(0, 2000);
    EXPECT_THAT(tty_out, HasSubstr("images (drawn here; nothing written)"));
    EXPECT_THAT(tty_out, HasSubstr("\x1b_Ga=T,f=100,m=1;iVBORw0KGgo"));  // base64 of a PNG
    auto [pipe_rc, pipe_out] = Vouchctl(absl::StrCat("queue show ", id, " --inline-images"));
    EXPECT_EQ(pipe_rc, 2) << pipe_out;
    EXPECT_THAT(pipe_out, HasSubstr("stdout is not one"));
    EXPECT_THAT(pipe_out, ::testing::Not(HasSubstr("\x1b_G")));
    EXPECT_TRUE(std::filesystem::is_empty(dir_ + "/tmp"));

    // The timeout ends it too: vouchctl returns on its own.
    auto [rc, out] =
        Vouchctl(absl::StrCat("queue show ", id, " --serve-images --keep-images-for 1"));
    EXPECT_EQ(rc, 0) << out;
    EXPECT_THAT(out, HasSubstr("images: open http://127.0.0.1:"));
    EXPECT_TRUE(std::filesystem::is_empty(dir_ + "/tmp"));
  }

  // The attestation verifies offline for the audience.
  void AttestationVerifies(const std::string& token) {
    std::ofstream(dir_ + "/token") << token;
    auto [jwks_rc, jwks] = RunShell(absl::StrCat(VOUCHCTL_PATH, " attest jwks --key-dir ",
                                                 vouchd_->data_dir(), "/keys/attest"));
    ASSERT_EQ(jwks_rc, 0);
    std::ofstream(dir_ + "/jwks.json") << jwks;
    auto [rc, claims] = RunShell(absl::StrCat(VOUCH_VERIFY_PATH, " --jwks ", dir_,
                                              "/jwks.json --token - --aud demo-shop.example < ",
                                              dir_, "/token 2>&1"));
    EXPECT_EQ(rc, 0) << claims;
    EXPECT_THAT(claims, HasSubstr("document_verified"));
  }

  void CaseIsGone(const std::string& id) {
    auto [rc, out] = Vouchctl(absl::StrCat("queue show ", id));
    EXPECT_EQ(rc, 5) << out;  // NOT_FOUND
    EXPECT_THAT(out, HasSubstr("UNKNOWN_CASE"));
    auto [list_rc, list_out] = Vouchctl("queue list --json");
    EXPECT_EQ(list_rc, 0);
    // An empty queue lists "cases": [] (not {}).
    EXPECT_EQ(ParseJson(list_out)["cases"], nlohmann::json::array()) << list_out;
  }

  // The sample is docgen's ERIKSSON / Eriksson, passport L898902C3: while a
  // case is open only its sealed envelope is stored, and afterwards nothing.
  void NoPersonalDataInTheDataDirectory() {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(vouchd_->data_dir())) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), {});
      for (const char* needle : {"ERIKSSON", "Eriksson", "L898902C3"}) {
        EXPECT_EQ(bytes.find(needle), std::string::npos) << needle << " in " << entry.path();
      }
    }
  }

  std::string dir_;
  std::unique_ptr<VouchdProcess> vouchd_;
};

TEST_F(ReviewE2eTest, ApprovedCaseIsVerifiedWatchedAttestedAndDeleted) {
  const std::string id = SubmitAndClaim();
  ASSERT_FALSE(id.empty());
  NoPersonalDataInTheDataDirectory();  // the open case is sealed
  Watcher watcher(vouchd_->address(), id);
  ShowWritesImagesAndRemovesThem(id);

  auto [rc, out] = Vouchctl(absl::StrCat("queue approve ", id, " --reason document_ok --json"));
  ASSERT_EQ(rc, 0) << out;
  const nlohmann::json decided = ParseJson(out);
  EXPECT_EQ(decided.value(nlohmann::json::json_pointer("/result/decision"), std::string()),
            "DECISION_VERIFIED")
      << out;
  EXPECT_EQ(decided.value(nlohmann::json::json_pointer("/result/review/reason"), std::string()),
            "document_ok");

  ASSERT_TRUE(watcher.Join(30));
  const std::vector<v1::VerificationResult> seen = watcher.seen();
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.front().decision(), v1::DECISION_NEEDS_REVIEW);
  EXPECT_EQ(seen.back().decision(), v1::DECISION_VERIFIED);
  ASSERT_FALSE(seen.back().attestation().sd_jwt().empty());
  EXPECT_EQ(
      seen.back().attestation().sd_jwt(),
      decided.value(nlohmann::json::json_pointer("/result/attestation/sd_jwt"), std::string()));
  AttestationVerifies(seen.back().attestation().sd_jwt());
  CaseIsGone(id);
  NoPersonalDataInTheDataDirectory();
  // Nothing decrypted in the log (the sample is docgen's ERIKSSON, L898902C3).
  EXPECT_THAT(vouchd_->Log(), ::testing::Not(HasSubstr("ERIKSSON")));
  EXPECT_THAT(vouchd_->Log(), ::testing::Not(HasSubstr("L898902C3")));
}

TEST_F(ReviewE2eTest, ShowServesOrDrawsTheImagesWithoutWritingAFile) {
  const std::string id = SubmitAndClaim();
  ASSERT_FALSE(id.empty());
  ServesImagesOnATokenPage(id);
  auto [rc, out] = Vouchctl(absl::StrCat("queue release ", id));
  EXPECT_EQ(rc, 0) << out;
}

TEST_F(ReviewE2eTest, RejectedCaseCarriesPassportElementErrorsForTheNamedField) {
  const std::string id = SubmitAndClaim();
  ASSERT_FALSE(id.empty());
  Watcher watcher(vouchd_->address(), id);
  // A field the element does not have is refused, and the case stays.
  auto [bad_rc, bad_out] = Vouchctl(absl::StrCat(
      "queue reject ", id, " --reason data_mismatch --element personal_details --field no_such"));
  EXPECT_EQ(bad_rc, 1) << bad_out;
  EXPECT_THAT(bad_out, HasSubstr("INVALID_ARGUMENT"));

  auto [rc, out] = Vouchctl(
      absl::StrCat("queue reject ", id,
                   " --reason data_mismatch --note 'typed name differs' --element personal_details "
                   "--field last_name --element passport --field selfie --json"));
  ASSERT_EQ(rc, 0) << out;
  const nlohmann::json r = ParseJson(out)["result"];
  EXPECT_EQ(r.value("decision", ""), "DECISION_REJECTED") << out;
  EXPECT_FALSE(r.contains("attestation"));
  const std::string data_hash = PersonalDetailsDataHash();
  ASSERT_FALSE(data_hash.empty());
  const nlohmann::json errors = ParseJson(r.value("errors_json", "[]"));
  ASSERT_EQ(errors.size(), 2u) << out;
  EXPECT_EQ(errors[0].value("source", ""), "data");
  EXPECT_EQ(errors[0].value("type", ""), "personal_details");
  EXPECT_EQ(errors[0].value("field_name", ""), "last_name");
  EXPECT_EQ(errors[0].value("data_hash", ""), data_hash);
  EXPECT_FALSE(errors[0].value("message", "").empty());
  EXPECT_EQ(errors[1].value("source", ""), "selfie");
  EXPECT_EQ(errors[1].value("type", ""), "passport");
  EXPECT_FALSE(errors[1].value("file_hash", "").empty());

  ASSERT_TRUE(watcher.Join(30));
  const std::vector<v1::VerificationResult> seen = watcher.seen();
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.back().decision(), v1::DECISION_REJECTED);
  EXPECT_EQ(seen.back().errors_size(), 2);
  CaseIsGone(id);
}

TEST_F(ReviewE2eTest, InteractiveReviewApprovesFromPipedKeysAndServicesAreRefused) {
  const nlohmann::json r = Submit();
  ASSERT_EQ(r.value("decision", ""), "DECISION_NEEDS_REVIEW") << r.dump(2);
  const std::string id = r.value("verification_id", "");
  // No token: UNAUTHENTICATED; a relying service's key: PERMISSION_DENIED.
  auto [anon_rc, anon_out] = Vouchctl("queue list", "");
  EXPECT_EQ(anon_rc, 6) << anon_out;
  EXPECT_THAT(anon_out, HasSubstr("UNAUTHENTICATED"));
  auto [svc_rc, svc_out] = Vouchctl("queue list", kServiceToken);
  EXPECT_EQ(svc_rc, 6) << svc_out;
  EXPECT_THAT(svc_out, HasSubstr("PERMISSION_DENIED"));

  // --serve-images: the session's page shows the claimed case (fetched
  // with curl before the key is sent), and is gone once vouchctl quits.
  const std::string out_file = dir_ + "/review.out";
  auto [page_rc, page_out] = RunShell(absl::StrCat(
      "( for i in $(seq 300); do grep -q 'kip \\[q\\]uit' ", out_file,
      " 2>/dev/null && break; sleep 0.1; done; url=$(grep -o "
      "'http://127.0.0.1:[0-9]*/[0-9a-f]*/' ",
      out_file, " | head -1); curl -sf $url > ", dir_, "/page.html; curl -sf ${url}0 > ", dir_,
      "/image0; echo $url > ", dir_,
      "/url; echo s ) | env -u DISPLAY -u WAYLAND_DISPLAY TMPDIR=", dir_,
      "/tmp VOUCH_TOKEN=", kReviewerToken, " ", VOUCHCTL_PATH, " review --serve-images --server ",
      vouchd_->address(), " > ", out_file, " 2>&1; echo rc=$?"));
  EXPECT_THAT(page_out, HasSubstr("rc=3")) << ReadFileOrEmpty(out_file);  // skipped
  EXPECT_THAT(ReadFileOrEmpty(out_file), HasSubstr("images of each case: open http://127.0.0.1:"));
  EXPECT_THAT(ReadFileOrEmpty(dir_ + "/page.html"), HasSubstr(id));
  EXPECT_EQ(ReadFileOrEmpty(dir_ + "/image0").substr(0, 3), "\xff\xd8\xff");
  auto [after_rc, after_out] =
      RunShell(absl::StrCat("curl -sf --max-time 2 \"$(cat ", dir_, "/url)\"; echo rc=$?"));
  EXPECT_THAT(after_out, ::testing::Not(HasSubstr("rc=0"))) << "the page outlived vouchctl";
  EXPECT_TRUE(std::filesystem::is_empty(dir_ + "/tmp")) << "images left behind";

  // An unknown key, then a skip, then (the same case again on a new run) a.
  auto [skip_rc, skip_out] =
      RunShell(absl::StrCat("printf 'x\\ns\\n' | env -u DISPLAY -u WAYLAND_DISPLAY TMPDIR=", dir_,
                            "/tmp VOUCH_TOKEN=", kReviewerToken, " ", VOUCHCTL_PATH,
                            " review --server ", vouchd_->address(), " 2>&1"));
  EXPECT_EQ(skip_rc, 3) << skip_out;  // everything skipped: nothing decided
  EXPECT_THAT(skip_out, HasSubstr("keys: a approve"));
  auto [rc, out] =
      RunShell(absl::StrCat("printf 'a\\n' | env -u DISPLAY -u WAYLAND_DISPLAY TMPDIR=", dir_,
                            "/tmp VOUCH_TOKEN=", kReviewerToken, " ", VOUCHCTL_PATH,
                            " review --server ", vouchd_->address(), " 2>&1"));
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("decided ", id, ": DECISION_VERIFIED")));
  EXPECT_THAT(out, HasSubstr("queue empty (1 decided)"));
  EXPECT_TRUE(std::filesystem::is_empty(dir_ + "/tmp")) << "images left behind";
}

TEST_F(ReviewE2eTest, InteractiveRejectProposesTheCheckedFieldAndSendsTheOperatorsMessage) {
  const nlohmann::json r = Submit();
  ASSERT_EQ(r.value("decision", ""), "DECISION_NEEDS_REVIEW") << r.dump(2);
  const std::string id = r.value("verification_id", "");
  Watcher watcher(vouchd_->address(), id);

  // r, a reason, the proposed element and field (empty answers), a message.
  auto [rc, out] = RunShell(absl::StrCat(
      "printf 'r\\nface_mismatch\\n\\n\\nPlease take the selfie again\\n' | env -u DISPLAY "
      "-u WAYLAND_DISPLAY TMPDIR=",
      dir_, "/tmp VOUCH_TOKEN=", kReviewerToken, " ", VOUCHCTL_PATH, " review --server ",
      vouchd_->address(), " 2>&1"));

  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("element to fix [passport]"));
  EXPECT_THAT(out, HasSubstr("[selfie]"));  // face_match's user error names the selfie.
  EXPECT_THAT(out, HasSubstr(absl::StrCat("decided ", id, ": DECISION_REJECTED")));
  ASSERT_TRUE(watcher.Join(30));
  const std::vector<v1::VerificationResult> seen = watcher.seen();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().decision(), v1::DECISION_REJECTED);
  const nlohmann::json errors = ParseJson(seen.back().errors_json());
  ASSERT_EQ(errors.size(), 1u) << seen.back().errors_json();
  EXPECT_EQ(errors[0].value("type", ""), "passport");
  EXPECT_EQ(errors[0].value("source", ""), "selfie");
  EXPECT_EQ(errors[0].value("message", ""), "Please take the selfie again");
}

}  // namespace
}  // namespace vouch
