// Runs the built vouchctl: outputs, exit codes, file modes.

#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/cli_run.h"

namespace vouch::verifier::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Json = nlohmann::json;

using ::vouch::testing::CliRun;
using ::vouch::testing::ReadFileOrEmpty;

std::string LastLine(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  const size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

int Mode(const fs::path& path) {
  struct stat st {};
  stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

std::string Sha256Hex(const std::string& bytes) {
  unsigned char d[32];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), d, &n, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned char c : d) {
    snprintf(buf, sizeof(buf), "%02x", c);
    hex += buf;
  }
  return hex;
}

class PassportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vouchctl_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun Vouchctl(const std::string& args) {
    return ::vouch::testing::RunCli(VOUCHCTL_PATH, args, dir_ / "run");
  }

  // keygen + seal of the sample submission; returns the sealed folder.
  fs::path SealSample() {
    CliRun keygen = Vouchctl("passport keygen --out " + (dir_ / "key.pem").string());
    EXPECT_EQ(keygen.exit_code, 0) << keygen.err;
    std::ofstream(dir_ / "pub.pem") << keygen.out;
    CliRun seal = Vouchctl("passport seal --public-key " + (dir_ / "pub.pem").string() + " --in " +
                           testdata_ + "/PLAIN.json --files-dir " + testdata_ + " --out-dir " +
                           (dir_ / "sealed").string());
    EXPECT_EQ(seal.exit_code, 0) << seal.err;
    EXPECT_EQ(Json::parse(seal.out),
              Json::parse(ReadFileOrEmpty(dir_ / "sealed/passport_data.json")));
    return dir_ / "sealed";
  }

  std::string DecryptArgs(const fs::path& sealed) {
    return "passport decrypt --key " + (dir_ / "key.pem").string() + " --passport-data " +
           (sealed / "passport_data.json").string() + " --files-dir " + sealed.string();
  }

  fs::path dir_;
  const std::string testdata_ = std::string(VOUCH_SOURCE_DIR) + "/tests/testdata/passport";
};

TEST_F(PassportCliTest, KeygenWritesPrivateKey0600AndPrintsSpki) {
  CliRun run = Vouchctl("passport keygen --out " + (dir_ / "k.pem").string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, StartsWith("-----BEGIN PUBLIC KEY-----\n"));
  EXPECT_THAT(ReadFileOrEmpty(dir_ / "k.pem"), StartsWith("-----BEGIN PRIVATE KEY-----\n"));
  EXPECT_EQ(Mode(dir_ / "k.pem"), 0600);

  // Never overwrites an existing key.
  const std::string before = ReadFileOrEmpty(dir_ / "k.pem");
  run = Vouchctl("passport keygen --out " + (dir_ / "k.pem").string());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(LastLine(run.err), StartsWith("error: io: "));
  EXPECT_EQ(ReadFileOrEmpty(dir_ / "k.pem"), before);

  EXPECT_EQ(Vouchctl("passport keygen --out x --bits 1024").exit_code, 2);
  EXPECT_EQ(Vouchctl("passport keygen").exit_code, 2);
}

TEST_F(PassportCliTest, SealThenDecryptPrintsResultDocumentAndWritesFiles0600) {
  const fs::path sealed = SealSample();
  for (const auto& entry : fs::directory_iterator(sealed)) {
    EXPECT_EQ(Mode(entry.path()), 0600) << entry.path();
  }
  CliRun run = Vouchctl(DecryptArgs(sealed) + " --nonce vouch-demo-nonce-7f3a9c --out-dir " +
                        (dir_ / "plain").string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Json doc = Json::parse(run.out);
  EXPECT_EQ(doc["credentials"]["nonce"], "vouch-demo-nonce-7f3a9c");
  EXPECT_EQ(doc["elements"]["personal_details"]["data"]["first_name"], "Anna");
  EXPECT_EQ(doc["elements"]["passport"]["data"]["document_no"], "L898902C3");
  const std::string front_id = doc["elements"]["passport"]["front_side"];
  const std::string selfie_id = doc["elements"]["passport"]["selfie"];
  const std::string front = ReadFileOrEmpty(testdata_ + "/passport_front.jpg");
  EXPECT_EQ(doc["files"][front_id]["plaintext_sha256"], Sha256Hex(front));
  EXPECT_EQ(doc["files"][front_id]["role"], "front_side");
  EXPECT_EQ(doc["files"][selfie_id]["role"], "selfie");
  EXPECT_EQ(doc["file_credentials"].size(), 2u);
  EXPECT_EQ(ReadFileOrEmpty(dir_ / "plain" / (front_id + ".jpg")), front);
  EXPECT_EQ(Mode(dir_ / "plain" / (front_id + ".jpg")), 0600);
  EXPECT_EQ(ReadFileOrEmpty(dir_ / "plain" / (selfie_id + ".jpg")),
            ReadFileOrEmpty(testdata_ + "/selfie.jpg"));

  // Without --nonce the nonce is not checked; without --files-dir no files.
  run = Vouchctl("passport decrypt --key " + (dir_ / "key.pem").string() + " --passport-data " +
                 (sealed / "passport_data.json").string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Json::parse(run.out)["files"].size(), 0u);

  // A whole Update is accepted.
  std::ofstream(dir_ / "update.json")
      << R"({"update_id":1,"message":{"message_id":2,"passport_data":)"
      << ReadFileOrEmpty(sealed / "passport_data.json") << "}}";
  run = Vouchctl("passport decrypt --key " + (dir_ / "key.pem").string() + " --passport-data " +
                 (dir_ / "update.json").string() + " --files-dir " + sealed.string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Json::parse(run.out)["files"].size(), 2u);
}

TEST_F(PassportCliTest, FailuresExitOneWithCategoryAndEmptyStdout) {
  const fs::path sealed = SealSample();
  CliRun run = Vouchctl(DecryptArgs(sealed) + " --nonce wrong");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(LastLine(run.err), StartsWith("error: nonce_mismatch: "));

  // Tamper with one encrypted file.
  const Json pd = Json::parse(ReadFileOrEmpty(sealed / "passport_data.json"));
  const std::string front_id = pd["data"][1]["front_side"]["file_id"];
  std::string bytes = ReadFileOrEmpty(sealed / front_id);
  bytes[bytes.size() / 2] ^= 0x20;
  std::ofstream(sealed / front_id, std::ios::binary | std::ios::trunc) << bytes;
  run = Vouchctl(DecryptArgs(sealed) + " --out-dir " + (dir_ / "plain").string());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(LastLine(run.err), StartsWith("error: hash_mismatch: passport/front_side"));
  EXPECT_FALSE(fs::exists(dir_ / "plain" / (front_id + ".jpg")));

  // A different key.
  ASSERT_EQ(Vouchctl("passport keygen --out " + (dir_ / "other.pem").string()).exit_code, 0);
  run = Vouchctl("passport decrypt --key " + (dir_ / "other.pem").string() + " --passport-data " +
                 (sealed / "passport_data.json").string());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(LastLine(run.err), StartsWith("error: rsa: "));

  // Not JSON.
  std::ofstream(dir_ / "bad.json") << "{not json";
  run = Vouchctl("passport decrypt --key " + (dir_ / "key.pem").string() + " --passport-data " +
                 (dir_ / "bad.json").string());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(LastLine(run.err), StartsWith("error: json: "));
}

TEST_F(PassportCliTest, HelpAndUsageErrors) {
  for (const char* cmd : {"passport --help", "passport decrypt --help", "passport seal --help",
                          "passport keygen --help"}) {
    CliRun run = Vouchctl(cmd);
    EXPECT_EQ(run.exit_code, 0) << cmd;
    EXPECT_THAT(run.out, HasSubstr("Usage")) << cmd;
  }
  EXPECT_EQ(Vouchctl("passport").exit_code, 2);
  EXPECT_EQ(Vouchctl("passport decrypt --key k").exit_code, 2);
  EXPECT_EQ(Vouchctl("passport decrypt --bogus").exit_code, 2);
  EXPECT_EQ(Vouchctl("passport seal --in x").exit_code, 2);
}

}  // namespace
}  // namespace vouch::verifier::cli
