// Inline terminal images: the kitty and iTerm2 escape sequences decode back
// to the image, kitty's chunking follows its protocol, terminals are
// detected from the environment, and a real JPEG is re-encoded as a bounded
// PNG.

#include "terminal_images.h"

#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vouch::verifier::cli {
namespace {

using ::testing::HasSubstr;

TerminalGraphics Detect(const std::map<std::string, std::string>& env) {
  return DetectTerminalGraphics([&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(DetectTerminalGraphicsTest, KnowsKittyProtocolTerminalsAndIterm) {
  EXPECT_EQ(Detect({{"KITTY_WINDOW_ID", "1"}}), TerminalGraphics::kKitty);
  EXPECT_EQ(Detect({{"TERM", "xterm-kitty"}}), TerminalGraphics::kKitty);
  EXPECT_EQ(Detect({{"TERM", "xterm-ghostty"}}), TerminalGraphics::kKitty);
  EXPECT_EQ(Detect({{"TERM_PROGRAM", "WezTerm"}}), TerminalGraphics::kKitty);
  EXPECT_EQ(Detect({{"TERM_PROGRAM", "iTerm.app"}}), TerminalGraphics::kIterm);
}

TEST(DetectTerminalGraphicsTest, UnknownTerminalsGetNothing) {
  EXPECT_EQ(Detect({}), TerminalGraphics::kNone);
  EXPECT_EQ(Detect({{"TERM", "xterm-256color"}}), TerminalGraphics::kNone);
  EXPECT_EQ(Detect({{"TERM", "screen"}, {"TERM_PROGRAM", "tmux"}}), TerminalGraphics::kNone);
  EXPECT_EQ(Detect({{"KITTY_WINDOW_ID", ""}}), TerminalGraphics::kNone);
}

// Splits a kitty sequence into its escape codes: ("a=T,f=100,m=1", payload).
std::vector<std::pair<std::string, std::string>> KittyCodes(const std::string& sequence) {
  std::vector<std::pair<std::string, std::string>> codes;
  for (absl::string_view code : absl::StrSplit(sequence, "\x1b\\", absl::SkipEmpty())) {
    EXPECT_TRUE(absl::ConsumePrefix(&code, "\x1b_G")) << code.substr(0, 20);
    const size_t semicolon = code.find(';');
    EXPECT_NE(semicolon, absl::string_view::npos);
    codes.emplace_back(std::string(code.substr(0, semicolon)),
                       std::string(code.substr(semicolon + 1)));
  }
  return codes;
}

TEST(KittyPngSequenceTest, ChunksOf4096Base64BytesThatDecodeToTheImage) {
  std::string png = std::string("\x89PNG\r\n\x1a\n", 8);
  for (int i = 0; i < 10000; ++i) png.push_back(static_cast<char>(i * 7));
  const std::string sequence = KittyPngSequence(png);
  ASSERT_TRUE(absl::EndsWith(sequence, "\x1b\\"));
  const auto codes = KittyCodes(sequence);
  // 10008 bytes are 13344 base64 characters: 4 chunks.
  ASSERT_EQ(codes.size(), 4u);
  EXPECT_EQ(codes[0].first, "a=T,f=100,m=1");
  EXPECT_EQ(codes[1].first, "m=1");
  EXPECT_EQ(codes[2].first, "m=1");
  EXPECT_EQ(codes[3].first, "m=0");
  std::string payload;
  for (const auto& [keys, chunk] : codes) {
    EXPECT_LE(chunk.size(), 4096u);
    payload += chunk;
  }
  std::string decoded;
  ASSERT_TRUE(absl::Base64Unescape(payload, &decoded));
  EXPECT_EQ(decoded, png);
}

TEST(KittyPngSequenceTest, ASmallImageIsOneCode) {
  const auto codes = KittyCodes(KittyPngSequence("tiny"));
  ASSERT_EQ(codes.size(), 1u);
  EXPECT_EQ(codes[0].first, "a=T,f=100,m=0");
  EXPECT_EQ(codes[0].second, absl::Base64Escape("tiny"));
}

TEST(ItermImageSequenceTest, InlineFileWithSizeWidthAndTheBytes) {
  const std::string image = "\xff\xd8\xff jpeg bytes";
  const std::string sequence = ItermImageSequence(image, 80);
  ASSERT_EQ(image.size(), 14u);
  EXPECT_EQ(sequence, "\x1b]1337;File=inline=1;size=14;width=80;preserveAspectRatio=1:" +
                          absl::Base64Escape(image) + "\a");
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ToPngForTerminalTest, AJpegPageBecomesAPngNoWiderThanAsked) {
  const std::string jpeg =
      ReadFile(std::string(VOUCH_SOURCE_DIR) + "/tests/testdata/passport/passport_front.jpg");
  ASSERT_FALSE(jpeg.empty());
  const cv::Mat original =
      cv::imdecode(std::vector<uchar>(jpeg.begin(), jpeg.end()), cv::IMREAD_COLOR);
  ASSERT_GT(original.cols, 400);
  absl::StatusOr<std::string> png = ToPngForTerminal(jpeg, 400);
  ASSERT_TRUE(png.ok()) << png.status();
  ASSERT_TRUE(absl::StartsWith(*png, "\x89PNG\r\n\x1a\n"));
  const cv::Mat shown =
      cv::imdecode(std::vector<uchar>(png->begin(), png->end()), cv::IMREAD_COLOR);
  EXPECT_EQ(shown.cols, 400);
  EXPECT_NEAR(static_cast<double>(shown.rows) / shown.cols,
              static_cast<double>(original.rows) / original.cols, 0.01);
  // Already narrow enough: the size stays.
  absl::StatusOr<std::string> full = ToPngForTerminal(jpeg, original.cols + 1);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(cv::imdecode(std::vector<uchar>(full->begin(), full->end()), cv::IMREAD_COLOR).cols,
            original.cols);
}

TEST(ToPngForTerminalTest, BytesThatAreNoImageAreRefused) {
  absl::StatusOr<std::string> png = ToPngForTerminal("not an image at all", 400);
  EXPECT_EQ(png.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vouch::verifier::cli
