#include "telegram/provider_service.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "rpc/errors.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::telegram {
namespace {

using json = nlohmann::json;
using vouch::testing::StatusIs;

constexpr char kConfig[] = R"([issuer]
url = "https://idv.example"
[policies.default]
required_elements = ["personal_details", "passport|identity_card"]
require_selfie = true
[policies.bank]
relying_services = ["bank"]
required_elements = ["personal_details", "passport", "address|utility_bill"]
[policies.bank.telegram]
verify_user = true
custom_description = "Checked"
)";

std::vector<v1::PassportPublicKey> Keys(absl::string_view service) {
  std::vector<v1::PassportPublicKey> keys;
  if (service == "bank") {
    v1::PassportPublicKey& own = keys.emplace_back();
    own.set_public_key_pem("-----BEGIN PUBLIC KEY-----\nBANK\n-----END PUBLIC KEY-----\n");
    own.set_role(v1::PassportPublicKey::ROLE_SERVICE);
  }
  v1::PassportPublicKey& current = keys.emplace_back();
  current.set_public_key_pem("-----BEGIN PUBLIC KEY-----\nVOUCH\n-----END PUBLIC KEY-----\n");
  current.set_key_id("ab12");
  current.set_role(v1::PassportPublicKey::ROLE_CURRENT);
  return keys;
}

class ProviderInfoTest : public ::testing::Test {
 protected:
  pipeline::Config config_ = *pipeline::Config::Parse(kConfig);
};

TEST_F(ProviderInfoTest, DefaultPolicyScopeAndKey) {
  absl::StatusOr<v1::ProviderInfo> info =
      GetProviderInfo(config_, Keys, "shop", v1::GetProviderInfoRequest());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->policy(), "default");
  EXPECT_FALSE(info->sets_verification_badge());
  ASSERT_EQ(info->passport_keys_size(), 1);
  EXPECT_EQ(info->passport_keys(0).role(), v1::PassportPublicKey::ROLE_CURRENT);
  EXPECT_EQ(json::parse(info->scope_json()), json::parse(R"({"data":[{"type":"personal_details"},
                {"one_of":[{"type":"passport"},{"type":"identity_card"}],"selfie":true}],"v":1})"));
}

TEST_F(ProviderInfoTest, ServiceKeyComesFirst) {
  v1::GetProviderInfoRequest request;
  request.set_policy("bank");
  absl::StatusOr<v1::ProviderInfo> info = GetProviderInfo(config_, Keys, "bank", request);
  ASSERT_TRUE(info.ok()) << info.status();
  ASSERT_EQ(info->passport_keys_size(), 2);
  EXPECT_EQ(info->passport_keys(0).role(), v1::PassportPublicKey::ROLE_SERVICE);
  EXPECT_TRUE(info->sets_verification_badge());
  EXPECT_EQ(json::parse(info->scope_json()),
            json::parse(R"({"data":[{"type":"personal_details"},{"type":"passport"},
                {"one_of":[{"type":"address"},{"type":"utility_bill"}]}],"v":1})"));
}

TEST_F(ProviderInfoTest, PolicyRules) {
  v1::GetProviderInfoRequest request;
  request.set_policy("bank");
  absl::StatusOr<v1::ProviderInfo> info = GetProviderInfo(config_, Keys, "shop", request);
  EXPECT_THAT(info.status(), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(rpc::GetErrorInfo(info.status())->reason(), "POLICY_NOT_ALLOWED");
  request.set_policy("nope");
  info = GetProviderInfo(config_, Keys, "shop", request);
  EXPECT_THAT(info.status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(rpc::GetErrorInfo(info.status())->reason(), "UNKNOWN_POLICY");
}

TEST(PassportScopeTest, EmptyPolicyAsksForAnIdentityDocument) {
  pipeline::Policy p;
  EXPECT_EQ(json::parse(PassportScopeJson(p))["data"].size(), 2u);
}

}  // namespace
}  // namespace vouch::verifier::telegram
