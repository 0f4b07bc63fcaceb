#include "client_options.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::cli {
namespace {

using ::testing::HasSubstr;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

class ClientOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Per process: ctest runs this fixture's tests in parallel processes.
    dir_ = ::testing::TempDir() + "/client_options_" + std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    for (const char* v :
         {"VOUCH_SERVER", "VOUCH_TLS", "VOUCH_CA", "VOUCH_CERT", "VOUCH_KEY", "VOUCH_TOKEN_FILE",
          "VOUCH_TOKEN", "VOUCH_SERVER_NAME", "VOUCH_CLIENT_CONFIG"}) {
      unsetenv(v);
    }
    setenv("XDG_CONFIG_HOME", dir_.c_str(), 1);  // No ~/.config/vouch/vouchctl.toml.
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(ClientOptionsTest, DefaultsToPlaintextOnLoopback) {
  absl::StatusOr<ClientOptions> o = ResolveClientOptions(ClientOptions());
  ASSERT_THAT(o, IsOk());
  EXPECT_EQ(o->server, "127.0.0.1:50051");
  EXPECT_EQ(o->tls, "off");
  EXPECT_TRUE(o->token.empty());
}

TEST_F(ClientOptionsTest, FlagsBeatEnvironmentBeatConfig) {
  const std::string config = Write("c.toml",
                                   "server = \"config.example:1\"\nca = \"/config/ca.pem\"\n"
                                   "token = \"from-config\"\n");
  setenv("VOUCH_CLIENT_CONFIG", config.c_str(), 1);
  setenv("VOUCH_SERVER", "env.example:2", 1);
  ClientOptions flags;
  absl::StatusOr<ClientOptions> o = ResolveClientOptions(flags);
  ASSERT_THAT(o, IsOk());
  EXPECT_EQ(o->server, "env.example:2");
  EXPECT_EQ(o->ca_file, "/config/ca.pem");
  EXPECT_EQ(o->token, "from-config");
  EXPECT_EQ(o->tls, "on");  // Not loopback.
  flags.server = "flag.example:3";
  flags.token_file = Write("t", "  vch_svc_abc \n");
  o = ResolveClientOptions(flags);
  ASSERT_THAT(o, IsOk());
  EXPECT_EQ(o->server, "flag.example:3");
  EXPECT_EQ(o->token, "vch_svc_abc");
}

TEST_F(ClientOptionsTest, RefusesPlaintextOffLoopbackAndBadCombinations) {
  ClientOptions flags;
  flags.server = "10.1.2.3:50051";
  flags.tls = "off";
  EXPECT_THAT(ResolveClientOptions(flags),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("refusing plaintext")));
  flags = ClientOptions();
  flags.cert_file = "c.pem";
  EXPECT_THAT(ResolveClientOptions(flags),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--cert and --key")));
  flags = ClientOptions();
  flags.token_file = dir_ + "/missing";
  EXPECT_THAT(ResolveClientOptions(flags), StatusIs(absl::StatusCode::kNotFound));
  flags.token_file = Write("empty", "\n");
  EXPECT_THAT(ResolveClientOptions(flags), StatusIs(absl::StatusCode::kInvalidArgument));
  setenv("VOUCH_CLIENT_CONFIG", Write("bad.toml", "sever = \"x:1\"\n").c_str(), 1);
  EXPECT_THAT(ResolveClientOptions(ClientOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown key sever")));
}

TEST_F(ClientOptionsTest, TlsAutoWithCaOnLoopbackIsTls) {
  ClientOptions flags;
  flags.ca_file = "ca.pem";
  absl::StatusOr<ClientOptions> o = ResolveClientOptions(flags);
  ASSERT_THAT(o, IsOk());
  EXPECT_EQ(o->tls, "on");
}

TEST_F(ClientOptionsTest, AttachAddsTheBearerToken) {
  ClientOptions flags;
  flags.token_file = Write("t", "vch_op_xyz\n");
  absl::StatusOr<ClientOptions> o = ResolveClientOptions(flags);
  ASSERT_THAT(o, IsOk());
  EXPECT_EQ(o->token, "vch_op_xyz");
  // Dial accepts resolved and unresolved options alike.
  EXPECT_THAT(Dial(*o), IsOk());
  EXPECT_THAT(Dial(flags), IsOk());
}

}  // namespace
}  // namespace vouch::verifier::cli
