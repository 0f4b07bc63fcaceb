#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/auth_config.h"
#include "auth/authenticator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"
#include "testing/test_pki.h"

namespace vouch::verifier::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

std::string Bearer(const std::string& token) { return "Bearer " + token; }

AuthEntry* Find(AuthConfig& config, absl::string_view id) {
  for (AuthEntry& e : config.entries) {
    if (e.principal.id == id) return &e;
  }
  ADD_FAILURE() << "no entry " << id;
  static AuthEntry none;
  return &none;
}

TEST(TokenTest, NewTokensAreDistinctAndHashStable) {
  const std::string a = NewToken("vch_svc_");
  const std::string b = NewToken("vch_svc_");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 8u + 43u);
  EXPECT_EQ(TokenSha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2
}

TEST(AuthConfigTest, ParsesServicesAndOperators) {
  const std::string text =
      absl::StrCat("[services.bank]\napi_keys = [\"", TokenSha256Hex("k1"), "\", {sha256 = \"",
                   TokenSha256Hex("k2"), "\", expires = \"2030-01-01T00:00:00Z\"}]\n",
                   "certificates = [\"bank.example\"]\npassport_key = \"/k.pem\"\n"
                   "[operators.alice]\nrole = \"senior_reviewer\"\ntokens = [\"",
                   TokenSha256Hex("t1"), "\"]\n");
  absl::StatusOr<AuthConfig> config = AuthConfig::Parse(text);
  ASSERT_THAT(config, IsOk());
  ASSERT_EQ(config->entries.size(), 2u);
  const AuthEntry& bank = *Find(*config, "bank");
  EXPECT_EQ(bank.principal.kind, PrincipalKind::kService);
  EXPECT_EQ(bank.principal.id, "bank");
  EXPECT_EQ(bank.tokens.size(), 2u);
  EXPECT_TRUE(bank.tokens[1].expires.has_value());
  EXPECT_EQ(bank.passport_key, "/k.pem");
  EXPECT_EQ(Find(*config, "alice")->principal.role, OperatorRole::kSeniorReviewer);
}

TEST(AuthConfigTest, ExampleConfigParses) {
  absl::StatusOr<AuthConfig> config =
      AuthConfig::Load(std::string(VOUCH_SOURCE_DIR) + "/deploy/auth.example.toml");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->entries.size(), 4u);
  EXPECT_EQ(Find(*config, "root")->principal.role, OperatorRole::kAdmin);
}

TEST(AuthConfigTest, LoopbackAddresses) {
  for (const char* a : {"127.0.0.1:50051", "localhost:1", "[::1]:443", "127.1.2.3:0",
                        "ipv4:127.0.0.1:5", "unix:/run/vouch.sock"}) {
    EXPECT_TRUE(IsLoopbackAddress(a)) << a;
  }
  for (const char* a : {"0.0.0.0:50051", "[::]:1", "10.0.0.1:443", "127.0.0.1", "vouch.example:443",
                        "127.0.0.1.evil.example:443", "localhost.evil:1", "128.0.0.1:1"}) {
    EXPECT_FALSE(IsLoopbackAddress(a)) << a;
  }
}

TEST(AuthConfigTest, RejectsBadConfigs) {
  const std::string h = TokenSha256Hex("x");
  EXPECT_THAT(
      AuthConfig::Parse("# Ren\xc3\xa9"
                        "e\n[services.a]\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("auth config: line 1: non-ASCII")));
  EXPECT_THAT(AuthConfig::Parse("[services.a]\napi_keys = [\"abc\"]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("64 hex")));
  EXPECT_THAT(AuthConfig::Parse("[operators.a]\ntokens = []\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("role is required")));
  EXPECT_THAT(AuthConfig::Parse("[operators.a]\nrole = \"root\"\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("role")));
  EXPECT_THAT(AuthConfig::Parse("[services.a]\napi_key = []\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown key")));
  EXPECT_THAT(AuthConfig::Parse("[users.a]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown table")));
  EXPECT_THAT(AuthConfig::Parse(absl::StrCat("[services.a]\napi_keys = [\"", h,
                                             "\"]\n[operators.b]\nrole = \"admin\"\ntokens = [\"",
                                             h, "\"]\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("used twice")));
  EXPECT_THAT(AuthConfig::Parse("[services.\"a b\"]\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ids are")));
  EXPECT_THAT(AuthConfig::Parse("[services.a\n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string text = absl::StrCat(
        "[services.bank]\napi_keys = [\"", TokenSha256Hex("bank-key"), "\", {sha256 = \"",
        TokenSha256Hex("old-key"), "\", expires = \"2020-01-01T00:00:00Z\"}]\n",
        "certificates = [\"bank.example\"]\n"
        "[services.off]\ndisabled = true\napi_keys = [\"",
        TokenSha256Hex("off-key"),
        "\"]\n"
        "[operators.alice]\nrole = \"reviewer\"\ntokens = [\"",
        TokenSha256Hex("alice"), "\"]\ncertificates = [\"alice@ops.example\"]\n");
    absl::StatusOr<AuthConfig> config = AuthConfig::Parse(text);
    ASSERT_THAT(config, IsOk());
    config_ = *config;
  }
  AuthConfig config_;
};

TEST_F(AuthenticatorTest, Tokens) {
  auto auth = ConfigAuthenticator::Create(config_, "");
  ASSERT_THAT(auth, IsOk());
  const absl::Time now = absl::Now();
  absl::StatusOr<Principal> p = (*auth)->AuthenticateCredentials(Bearer("bank-key"), "", "", now);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->kind, PrincipalKind::kService);
  EXPECT_EQ(p->id, "bank");
  p = (*auth)->AuthenticateCredentials("bearer   alice", "", "", now);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->kind, PrincipalKind::kOperator);
  EXPECT_EQ(p->role, OperatorRole::kReviewer);

  EXPECT_THAT((*auth)->AuthenticateCredentials(Bearer("wrong"), "", "", now),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("unknown or revoked")));
  EXPECT_THAT((*auth)->AuthenticateCredentials(Bearer("old-key"), "", "", now),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
  EXPECT_THAT((*auth)->AuthenticateCredentials(Bearer("off-key"), "", "", now),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("disabled")));
  EXPECT_THAT((*auth)->AuthenticateCredentials("Basic YWxpY2U=", "", "", now),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("Bearer")));
  EXPECT_THAT((*auth)->AuthenticateCredentials(Bearer(std::string(600, 'a')), "", "", now),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT((*auth)->AuthenticateCredentials(std::nullopt, "", "", now),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no credentials")));
  // Errors never echo the token.
  absl::Status s = (*auth)->AuthenticateCredentials(Bearer("s3cr3t-t0k3n"), "", "", now).status();
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("s3cr3t")));

  // Reload: a removed token stops working.
  AuthConfig without = config_;
  Find(without, "bank")->tokens.clear();
  (*auth)->Reload(without);
  EXPECT_THAT((*auth)->AuthenticateCredentials(Bearer("bank-key"), "", "", now),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AuthenticatorTest, ClientCertificates) {
  const std::string dir = ::testing::TempDir() + "/auth_pki_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  testing::TestPki pki(dir);
  ASSERT_TRUE(pki.MakeCa("ca"));
  ASSERT_TRUE(pki.MakeCa("other"));
  ASSERT_TRUE(pki.MakeCert("ca", "bank", "bank-frontend", "DNS:bank.example", "clientAuth"));
  ASSERT_TRUE(pki.MakeCert("ca", "alice", "alice", "email:alice@ops.example", "clientAuth"));
  ASSERT_TRUE(pki.MakeCert("ca", "nobody", "nobody", "", "clientAuth"));
  ASSERT_TRUE(pki.MakeCert("ca", "server", "server", "DNS:bank.example", "serverAuth"));
  ASSERT_TRUE(pki.MakeCert("other", "forged", "bank.example", "DNS:bank.example", "clientAuth"));
  const absl::Time now = absl::Now();

  auto no_ca = ConfigAuthenticator::Create(config_, "");
  ASSERT_THAT(no_ca, IsOk());
  EXPECT_THAT((*no_ca)->AuthenticateCredentials(std::nullopt, pki.Read("bank.pem"), "", now),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not accepted")));

  EXPECT_THAT(ConfigAuthenticator::Create(config_, dir + "/missing.pem"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto auth = ConfigAuthenticator::Create(config_, pki.Path("ca.pem"));
  ASSERT_THAT(auth, IsOk());
  absl::StatusOr<Principal> p =
      (*auth)->AuthenticateCredentials(std::nullopt, pki.Read("bank.pem"), "", now);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->id, "bank");
  p = (*auth)->AuthenticateCredentials(std::nullopt, pki.Read("alice.pem"), "", now);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->id, "alice");
  EXPECT_EQ(p->kind, PrincipalKind::kOperator);

  EXPECT_THAT((*auth)->AuthenticateCredentials(std::nullopt, pki.Read("forged.pem"), "", now),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not accepted")));
  EXPECT_THAT((*auth)->AuthenticateCredentials(std::nullopt, pki.Read("nobody.pem"), "", now),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("names no principal")));
  // A server certificate is not a client certificate.
  EXPECT_THAT((*auth)->AuthenticateCredentials(std::nullopt, pki.Read("server.pem"), "", now),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not accepted")));
  // Expired by the clock.
  EXPECT_THAT((*auth)->AuthenticateCredentials(std::nullopt, pki.Read("bank.pem"), "",
                                               now + absl::Hours(24 * 30)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not accepted")));
  EXPECT_THAT((*auth)->AuthenticateCredentials(std::nullopt, "garbage", "", now),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("unreadable")));
  // A token decides alone.
  EXPECT_THAT((*auth)->AuthenticateCredentials(Bearer("wrong"), pki.Read("bank.pem"), "", now),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(AuthorizeTest, Roles) {
  const Principal service{PrincipalKind::kService, "bank", OperatorRole::kNone};
  const Principal reviewer{PrincipalKind::kOperator, "bob", OperatorRole::kReviewer};
  const Principal admin{PrincipalKind::kOperator, "root", OperatorRole::kAdmin};
  EXPECT_THAT(RequireService(service), IsOk());
  EXPECT_THAT(RequireService(admin), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(RequireOperator(service, OperatorRole::kReviewer),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(RequireOperator(reviewer, OperatorRole::kReviewer), IsOk());
  EXPECT_THAT(RequireOperator(reviewer, OperatorRole::kSeniorReviewer),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(RequireOperator(admin, OperatorRole::kSeniorReviewer), IsOk());
}

TEST(BootstrapTest, WritesPrivateFilesOnce) {
  const std::string dir = ::testing::TempDir() + "/auth_boot_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string config_path = dir + "/auth.toml";
  ASSERT_THAT(BootstrapAuthConfig(config_path, dir), ::vouch::testing::IsOkAndHolds(true));
  EXPECT_THAT(BootstrapAuthConfig(config_path, dir), ::vouch::testing::IsOkAndHolds(false));
  for (const char* f : {"auth.toml", "admin.token", "service-default.token"}) {
    struct stat st;
    ASSERT_EQ(::stat((dir + "/" + f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  absl::StatusOr<AuthConfig> config = AuthConfig::Load(config_path);
  ASSERT_THAT(config, IsOk());
  auto auth = ConfigAuthenticator::Create(*config, "");
  ASSERT_THAT(auth, IsOk());
  testing::TestPki files(dir);
  std::string token = files.Read("admin.token");
  token.pop_back();
  absl::StatusOr<Principal> p =
      (*auth)->AuthenticateCredentials(Bearer(token), "", "", absl::Now());
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->id, "admin");
  EXPECT_EQ(p->role, OperatorRole::kAdmin);
}

}  // namespace
}  // namespace vouch::verifier::auth
