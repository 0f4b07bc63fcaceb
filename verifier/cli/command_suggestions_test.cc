#include "command_suggestions.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vouch::verifier::cli {
namespace {

using ::testing::Optional;

class CommandSuggestionsTest : public ::testing::Test {
 protected:
  CommandSuggestionsTest() {
    app_.add_option("--client-config", value_);
    CLI::App* queue = app_.add_subcommand("queue", "review queue");
    queue->add_option("--server", value_);
    queue->add_subcommand("list", "");
    queue->add_subcommand("claim", "");
    queue->add_subcommand("show", "")->add_option("id", value_);
    app_.add_subcommand("submit", "");
  }

  CLI::App app_{"", "vouchctl"};
  std::string value_;
};

TEST_F(CommandSuggestionsTest, SuggestsTheNearestSubcommand) {
  EXPECT_THAT(UnknownCommandMessage(app_, {"queue", "lst"}),
              Optional(std::string("unknown command 'lst' for 'vouchctl queue'; did you mean "
                                   "'list'? (see 'vouchctl queue --help')")));
  EXPECT_THAT(UnknownCommandMessage(app_, {"--client-config", "x.toml", "sbmit"}),
              Optional(::testing::HasSubstr("did you mean 'submit'?")));
  EXPECT_THAT(UnknownCommandMessage(app_, {"queue", "--server", "h:1", "cla"}),
              Optional(::testing::HasSubstr("did you mean 'claim'?")));
}

TEST_F(CommandSuggestionsTest, FarTyposGetNoSuggestion) {
  EXPECT_THAT(UnknownCommandMessage(app_, {"queue", "frobnicate"}),
              Optional(std::string("unknown command 'frobnicate' for 'vouchctl queue' (see "
                                   "'vouchctl queue --help')")));
}

TEST_F(CommandSuggestionsTest, KnownCommandsAndPositionalsAreNotTypos) {
  EXPECT_EQ(UnknownCommandMessage(app_, {"queue", "list"}), std::nullopt);
  EXPECT_EQ(UnknownCommandMessage(app_, {"queue", "show", "ver_123"}), std::nullopt);
  EXPECT_EQ(UnknownCommandMessage(app_, {"queue"}), std::nullopt);
}

TEST(EditDistanceTest, Levenshtein) {
  EXPECT_EQ(EditDistance("lst", "list"), 1);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
  EXPECT_EQ(EditDistance("", "abc"), 3);
}

}  // namespace
}  // namespace vouch::verifier::cli
