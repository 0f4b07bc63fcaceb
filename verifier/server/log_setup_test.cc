#include "log_setup.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/details/log_msg.h"

namespace vouch::verifier::server {
namespace {

using Json = nlohmann::json;

TEST(StructuredLogMessageTest, EventWordsThenTypedFields) {
  const Json j = StructuredLogMessage(
      "verification done id=ver_01ABC policy=default decision=VERIFIED checks=12 ms=83.5");

  EXPECT_EQ(j["event"], "verification done");
  EXPECT_EQ(j["verification_id"], "ver_01ABC");
  EXPECT_EQ(j["policy"], "default");
  EXPECT_EQ(j["decision"], "VERIFIED");
  EXPECT_EQ(j["checks"], 12);
  EXPECT_DOUBLE_EQ(j["ms"].get<double>(), 83.5);
  EXPECT_FALSE(j.contains("id"));
}

TEST(StructuredLogMessageTest, ValuesWithSpacesAndOtherIdsStayText) {
  const Json j = StructuredLogMessage(
      "models dir=/opt/vouch models source=installed searched=[a: /x; b: (not set)] id=case7 "
      "code=007");

  EXPECT_EQ(j["event"], "models");
  EXPECT_EQ(j["dir"], "/opt/vouch models");
  EXPECT_EQ(j["searched"], "[a: /x; b: (not set)]");
  EXPECT_EQ(j["id"], "case7");
  EXPECT_EQ(j["code"], "007");
}

TEST(StructuredLogMessageTest, PlainSentenceIsAllEvent) {
  EXPECT_EQ(StructuredLogMessage("auth config reloaded"),
            Json({{"event", "auth config reloaded"}}));
}

TEST(JsonLogFormatterTest, OneParseableObjectPerLineWithEscapes) {
  std::unique_ptr<spdlog::formatter> f = NewJsonLogFormatter();
  spdlog::memory_buf_t out;
  const std::string text = "grpc said \"no\"\n\tbye";
  spdlog::details::log_msg msg(spdlog::source_loc{"chttp2.cc", 42, ""}, "grpc", spdlog::level::err,
                               text);

  f->format(msg, out);

  const std::string line(out.data(), out.size());
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const Json j = Json::parse(line);
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["event"], "grpc");
  EXPECT_EQ(j["message"], text);
  EXPECT_EQ(j["file"], "chttp2.cc");
  EXPECT_EQ(j["line"], 42);
  EXPECT_THAT(j["time"].get<std::string>(),
              ::testing::MatchesRegex("....-..-..T..:..:..\\.......Z"));
}

TEST(ConfigureServerLoggingTest, RefusesUnknownFormatAndLevel) {
  EXPECT_EQ(ConfigureServerLogging("xml", "info").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConfigureServerLogging("json", "loud").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ConfigureServerLogging("json", "info").ok());
}

}  // namespace
}  // namespace vouch::verifier::server
