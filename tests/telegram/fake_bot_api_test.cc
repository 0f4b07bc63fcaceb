// The fake Bot API's own rules: what it accepts is what the Bot API
// documents, so a client that passes against it sends documented calls.

#include "fake_bot_api.h"

#include <httplib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vouch::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using json = nlohmann::json;

constexpr char kHash[] = "zvyq6WI5XZ4DX2XRRcCLMXbkk/Ft7Ry6kRwuUgPGeS8=";

TEST(CheckBotApiParamsTest, VerifyUser) {
  EXPECT_THAT(CheckBotApiParams("verifyUser", {{"user_id", 1}}), IsEmpty());
  EXPECT_THAT(CheckBotApiParams("verifyUser", {{"user_id", "12"}}), IsEmpty());
  EXPECT_THAT(CheckBotApiParams("verifyUser", json::object()),
              ElementsAre("verifyUser: user_id is required"));
  EXPECT_THAT(CheckBotApiParams("verifyUser", {{"user_id", 1}, {"description", "x"}}),
              ElementsAre("verifyUser: unknown parameter description"));
  // 70 characters are fine (counted as characters, not bytes); 71 are not.
  std::string seventy;
  for (int i = 0; i < 70; ++i) seventy += "\xc3\xa9";  // é
  EXPECT_THAT(CheckBotApiParams("verifyUser", {{"user_id", 1}, {"custom_description", seventy}}),
              IsEmpty());
  EXPECT_THAT(
      CheckBotApiParams("verifyUser", {{"user_id", 1}, {"custom_description", seventy + "x"}}),
      ElementsAre(HasSubstr("longer than 70")));
  EXPECT_THAT(CheckBotApiParams("verifyUser", {{"user_id", 1.5}}),
              ElementsAre("verifyUser: user_id has the wrong type"));
}

TEST(CheckBotApiParamsTest, SetPassportDataErrors) {
  const json good = {
      {"user_id", 5},
      {"errors",
       {{{"source", "data"},
         {"type", "personal_details"},
         {"field_name", "last_name"},
         {"data_hash", kHash},
         {"message", "The name differs from the document"}},
        {{"source", "selfie"}, {"type", "passport"}, {"file_hash", kHash}, {"message", "m"}},
        {{"source", "files"}, {"type", "utility_bill"}, {"file_hashes", {kHash}}, {"message", "m"}},
        {{"source", "unspecified"},
         {"type", "email"},
         {"element_hash", kHash},
         {"message", "m"}}}}};
  EXPECT_THAT(CheckBotApiParams("setPassportDataErrors", good), IsEmpty());
  json bad = good;
  bad["errors"][1]["type"] = "utility_bill";  // A selfie of a bill.
  bad["errors"][0]["data_hash"] = "zvyq6WI5XZ4DX2XRRcCLMXbkk_Ft7Ry6kRwuUgPGeS8=";  // base64url
  bad["errors"][3].erase("element_hash");
  bad["errors"][2]["source"] = "file_list";
  EXPECT_THAT(
      CheckBotApiParams("setPassportDataErrors", bad),
      ElementsAre("errors[0].data_hash not standard base64",
                  "errors[1]: type 'utility_bill' not allowed for source selfie",
                  "errors[2].source 'file_list' unknown", "errors[3].element_hash missing"));
}

TEST(CheckBotApiParamsTest, UnknownMethod) {
  EXPECT_THAT(CheckBotApiParams("verifyUsers", json::object()),
              ElementsAre("method verifyUsers not found"));
}

TEST(FakeBotApiTest, AnswersLikeTheBotApi) {
  FakeBotApi api("77:tok", /*control=*/true);
  const int port = api.Start();
  ASSERT_GT(port, 0);
  httplib::Client client("127.0.0.1", port);
  httplib::Result r =
      client.Post("/bot77:tok/verifyUser", R"({"user_id":"x"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("Bad Request: verifyUser: user_id has the wrong type"));
  r = client.Post("/bot77:wrong/getMe", "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  // Form-encoded parameters, as the Bot API also accepts them.
  r = client.Post("/bot77:tok/removeUserVerification", "user_id=12",
                  "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body), json({{"ok", true}, {"result", true}}));
  r = client.Post("/__control/update", R"({"message":{"message_id":1}})", "application/json");
  ASSERT_TRUE(r);
  r = client.Post("/bot77:tok/getUpdates", R"({"offset":0,"timeout":0})", "application/json");
  ASSERT_TRUE(r);
  const json updates = json::parse(r->body)["result"];
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0]["update_id"], 1);
  r = client.Post("/bot77:tok/getUpdates", R"({"offset":2,"timeout":0})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_TRUE(json::parse(r->body)["result"].empty());
  r = client.Get("/__control/calls");
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body)["violations"].size(), 1u);
}

}  // namespace
}  // namespace vouch::testing
