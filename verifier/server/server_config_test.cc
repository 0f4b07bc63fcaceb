#include "server_config.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vouch::verifier::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The options' shape mirrors vouchd's main(): last value wins.
class ServerConfigTest : public ::testing::Test {
 protected:
  ServerConfigTest() {
    app_.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app_.add_option("--listen", listen_);
    app_.add_option("--workers", workers_);
    app_.add_option("--drain-seconds", drain_);
    app_.add_flag("--insecure-loopback", insecure_);
    app_.add_option("--allow-missing-models", allow_);
    app_.add_option("--config", config_);
  }

  // Parses the file's arguments, then `flags`, as vouchd's main() does.
  void Parse(const std::vector<std::string>& from_file, const std::vector<std::string>& flags) {
    std::vector<std::string> args = {"vouchd"};
    args.insert(args.end(), from_file.begin(), from_file.end());
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    app_.parse(static_cast<int>(argv.size()), argv.data());
  }

  CLI::App app_;
  std::string listen_, allow_, config_;
  int workers_ = 0;
  double drain_ = 0;
  bool insecure_ = false;
};

TEST_F(ServerConfigTest, KeysBecomeOptionsAndFlagsOverrideThem) {
  absl::StatusOr<std::vector<std::string>> args = ServerTableArguments(
      "[issuer]\nurl = \"https://x.example\"\n[server]\nlisten = \"0.0.0.0:50051\"\n"
      "workers = 4\ndrain_seconds = 2.5\ninsecure-loopback = true\n"
      "allow_missing_models = [\"face\", \"mrz\"]\n",
      "vouchd.toml", app_, {"config"});
  ASSERT_TRUE(args.ok()) << args.status();

  Parse(*args, {"--workers", "8"});

  EXPECT_EQ(listen_, "0.0.0.0:50051");
  EXPECT_EQ(workers_, 8);
  EXPECT_DOUBLE_EQ(drain_, 2.5);
  EXPECT_TRUE(insecure_);
  EXPECT_EQ(allow_, "face,mrz");
}

TEST_F(ServerConfigTest, FalseFlagInTheFileIsFalse) {
  absl::StatusOr<std::vector<std::string>> args =
      ServerTableArguments("[server]\ninsecure_loopback = false\n", "f", app_, {});
  ASSERT_TRUE(args.ok()) << args.status();

  Parse(*args, {});

  EXPECT_FALSE(insecure_);
}

TEST_F(ServerConfigTest, NoServerTableGivesNoArguments) {
  absl::StatusOr<std::vector<std::string>> args =
      ServerTableArguments("[issuer]\nurl = \"https://x.example\"\n", "f", app_, {});

  ASSERT_TRUE(args.ok());
  EXPECT_THAT(*args, IsEmpty());
}

TEST_F(ServerConfigTest, UnknownOrForbiddenKeyNamesFileLineAndKey) {
  const absl::Status typo = ServerTableArguments("[server]\nlisten = \"a:1\"\nlisen = \"b:2\"\n",
                                                 "vouchd.toml", app_, {"config"})
                                .status();
  const absl::Status nested =
      ServerTableArguments("[server]\nconfig = \"other.toml\"\n", "v.toml", app_, {"config"})
          .status();

  EXPECT_EQ(typo.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(typo.message()),
              HasSubstr("vouchd.toml: line 3: server.lisen: unknown key"));
  EXPECT_THAT(std::string(nested.message()), HasSubstr("line 2: server.config: unknown key"));
}

TEST_F(ServerConfigTest, TablesAndSyntaxErrorsAreRefusedWithTheirLine) {
  const absl::Status table =
      ServerTableArguments("[server]\nworkers = { n = 1 }\n", "f", app_, {}).status();
  const absl::Status syntax =
      ServerTableArguments("[server]\nworkers = = 1\n", "f", app_, {}).status();

  EXPECT_THAT(std::string(table.message()), HasSubstr("line 2: server.workers: must be"));
  EXPECT_THAT(std::string(syntax.message()), HasSubstr("f: line 2:"));
}

TEST(FindConfigPathTest, BothSpellingsAndTheLastWins) {
  const char* a[] = {"vouchd", "--config", "a.toml", "--workers", "1"};
  const char* b[] = {"vouchd", "--config=b.toml"};
  const char* none[] = {"vouchd", "--listen", "x:1"};

  EXPECT_EQ(FindConfigPath(5, a), "a.toml");
  EXPECT_EQ(FindConfigPath(2, b), "b.toml");
  EXPECT_EQ(FindConfigPath(3, none), std::nullopt);
}

}  // namespace
}  // namespace vouch::verifier::server
