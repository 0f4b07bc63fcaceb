#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "attest/issuer.h"
#include "attest/key_set.h"
#include "attest/status_list.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "internal/jose.h"
#include "internal/json_writer.h"
#include "internal/sd_jwt.h"
#include "testing/status_matchers.h"
#include "tests/test_issuer.h"

namespace vouch::attest {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using testing::kNow;
using ::testing::SizeIs;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

int Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

json Decode(const std::string& b64) {
  std::string raw;
  EXPECT_TRUE(internal::Base64UrlDecode(b64, &raw));
  return json::parse(raw);
}

TEST(KeySetTest, CreatesOneActiveKeyWith0600PemAndThumbprintKid) {
  testing::TempDir dir;
  auto keys = KeySet::LoadOrCreate(dir.path() + "/k", SigningAlg::kES256);
  ASSERT_THAT(keys.status(), IsOk());
  auto active = (*keys)->Active();
  ASSERT_THAT(active.status(), IsOk());
  EXPECT_EQ(active->alg, SigningAlg::kES256);
  const std::string pem = dir.path() + "/k/" + active->kid + ".pem";
  EXPECT_EQ(Mode(pem), 0600);
  EXPECT_EQ(Mode(dir.path() + "/k/keys.json"), 0600);
  EXPECT_EQ(Mode(dir.path() + "/k"), 0700);
  std::ifstream in(pem);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_THAT(text, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  const json jwks = json::parse((*keys)->JwksJson());
  ASSERT_THAT(jwks["keys"], SizeIs(1));
  json jwk = jwks["keys"][0];
  EXPECT_EQ(jwk["kid"], active->kid);
  EXPECT_EQ(*internal::JwkThumbprint(jwk), active->kid);  // RFC 7638.
  EXPECT_FALSE(jwk.contains("d"));
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_EQ(jwk["alg"], "ES256");
}

TEST(KeySetTest, ReloadsTheSameKeysAndRefusesLooseKeyFiles) {
  testing::TempDir dir;
  std::string kid;
  {
    auto keys = KeySet::LoadOrCreate(dir.path(), SigningAlg::kEdDSA);
    ASSERT_THAT(keys.status(), IsOk());
    kid = (*keys)->Active()->kid;
  }
  auto again = KeySet::LoadOrCreate(dir.path(), SigningAlg::kES256);
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_EQ((*again)->Active()->kid, kid);
  EXPECT_EQ((*again)->Active()->alg, SigningAlg::kEdDSA);
  ::chmod((dir.path() + "/" + kid + ".pem").c_str(), 0644);
  EXPECT_THAT(KeySet::LoadOrCreate(dir.path(), SigningAlg::kES256).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(KeySetTest, RotationPublishesBeforeUseAndPrunesAfterExpiry) {
  testing::TempDir dir;
  auto keys = std::move(*KeySet::LoadOrCreate(dir.path(), SigningAlg::kES256));
  const std::string first = keys->Active()->kid;
  auto next = keys->Generate(SigningAlg::kEdDSA, kNow);
  ASSERT_THAT(next.status(), IsOk());
  EXPECT_EQ(keys->Active()->kid, first);  // Published, not yet used.
  EXPECT_THAT(json::parse(keys->JwksJson())["keys"], SizeIs(2));
  ASSERT_THAT(keys->Activate(*next, kNow), IsOk());
  EXPECT_EQ(keys->Active()->kid, *next);
  EXPECT_THAT(keys->Activate(first, kNow), StatusIs(absl::StatusCode::kFailedPrecondition));
  // The retired key stays while credentials it signed may be alive.
  ASSERT_THAT(keys->Prune(kNow + 100, 3600), IsOk());
  EXPECT_THAT(keys->Keys(), SizeIs(2));
  ASSERT_THAT(keys->Prune(kNow + 3601, 3600), IsOk());
  EXPECT_THAT(keys->Keys(), SizeIs(1));
  std::set<std::string> kids;
  const json jwks = json::parse(keys->JwksJson());
  for (const json& k : jwks["keys"]) kids.insert(k["kid"]);
  EXPECT_EQ(kids, std::set<std::string>{*next});
  // Persisted: a reload sees the rotation.
  auto reloaded = KeySet::LoadOrCreate(dir.path(), SigningAlg::kES256);
  ASSERT_THAT(reloaded.status(), IsOk());
  EXPECT_EQ((*reloaded)->Active()->kid, *next);
}

// The kid in a compact JWS header.
std::string HeaderKid(const std::string& jwt) {
  auto jws = internal::DecodeCompactJws(jwt);
  return jws.ok() ? jws->header.value("kid", "") : "";
}

TEST(KeySetTest, ScheduledRotationSignsWithTheNewKeyOnlyFromItsActivateTime) {
  testing::TempDir dir;
  auto keys = std::move(*KeySet::LoadOrCreate(dir.path(), SigningAlg::kES256));
  const std::string first = keys->Active()->kid;
  EXPECT_THAT(keys->GenerateScheduled(SigningAlg::kES256, kNow, kNow - 1).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto next = keys->GenerateScheduled(SigningAlg::kES256, kNow, kNow + 60);
  ASSERT_THAT(next.status(), IsOk());
  EXPECT_THAT(json::parse(keys->JwksJson())["keys"], SizeIs(2));  // Published now.
  EXPECT_EQ(HeaderKid(*keys->SignJwt("x", "{}")), first);         // Not signing yet.
  EXPECT_THAT(keys->GenerateScheduled(SigningAlg::kES256, kNow, kNow + 60).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));  // One rotation at a time.
  EXPECT_EQ(*keys->ActivateDue(kNow + 59), "");
  EXPECT_EQ(*keys->ActivateDue(kNow + 60), *next);
  EXPECT_EQ(HeaderKid(*keys->SignJwt("x", "{}")), *next);
  EXPECT_EQ(*keys->ActivateDue(kNow + 61), "");  // Done once.
  // The old key stays published until its credentials have expired.
  EXPECT_THAT(keys->Prunable(kNow + 60 + 3600, 3600), ::testing::IsEmpty());
  EXPECT_THAT(keys->Prunable(kNow + 60 + 3601, 3600), ::testing::ElementsAre(first));
  EXPECT_EQ(Mode(dir.path() + "/" + *next + ".pem"), 0600);
  EXPECT_EQ(Mode(dir.path() + "/keys.json"), 0600);
}

TEST(KeySetTest, ProcessesSharingTheDirectoryFollowEachOthersRotations) {
  testing::TempDir dir;
  auto a = std::move(*KeySet::LoadOrCreate(dir.path(), SigningAlg::kES256));
  auto b = std::move(*KeySet::LoadOrCreate(dir.path(), SigningAlg::kES256));
  const std::string first = a->Active()->kid;
  ASSERT_EQ(b->Active()->kid, first);  // The second found the first's key.
  EXPECT_EQ(*b->Reload(), false);

  auto next = a->GenerateScheduled(SigningAlg::kES256, kNow, kNow + 10);
  ASSERT_THAT(next.status(), IsOk());
  EXPECT_THAT(json::parse(b->JwksJson())["keys"], SizeIs(1));
  EXPECT_EQ(*b->Reload(), true);
  EXPECT_THAT(json::parse(b->JwksJson())["keys"], SizeIs(2));
  // Whichever activates first does it; the other finds it done.
  EXPECT_EQ(*b->ActivateDue(kNow + 10), *next);
  EXPECT_EQ(*a->ActivateDue(kNow + 10), "");
  EXPECT_EQ(a->Active()->kid, *next);
  // b signs with the new key; a verifier with a's JWKS accepts it.
  EXPECT_EQ(HeaderKid(*b->SignJwt("x", "{}")), *next);
  EXPECT_EQ(b->JwksJson(), a->JwksJson());
  // A prune by one drops the key from the other on its next reload.
  ASSERT_THAT(a->Prune(kNow + 10 + 100, 50), IsOk());
  EXPECT_EQ(*b->Reload(), true);
  EXPECT_THAT(b->Keys(), SizeIs(1));
  EXPECT_FALSE(std::ifstream(dir.path() + "/" + first + ".pem").good());
}

TEST(KeySetTest, AnUnreadableManifestOnReloadKeepsTheKeysInMemory) {
  testing::TempDir dir;
  auto keys = std::move(*KeySet::LoadOrCreate(dir.path(), SigningAlg::kES256));
  const std::string kid = keys->Active()->kid;
  {
    std::ofstream manifest(dir.path() + "/keys.json", std::ios::trunc);
    manifest << "{not json";
  }
  EXPECT_THAT(keys->Reload().status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(keys->Active()->kid, kid);
  EXPECT_EQ(HeaderKid(*keys->SignJwt("x", "{}")), kid);
}

TEST(KeySetTest, IssuerMetadataDocument) {
  EXPECT_EQ(
      json::parse(
          KeySet::IssuerMetadataJson("https://vouch.example", "https://vouch.example/jwks.json")),
      (json{{"issuer", "https://vouch.example"}, {"jwks_uri", "https://vouch.example/jwks.json"}}));
}

class IssuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = std::move(*KeySet::LoadOrCreate(dir_.path(), SigningAlg::kES256));
    IssuerConfig config;
    config.issuer = "https://vouch.example";
    config.pairwise_secret = testing::TestSecret();
    issuer_ = std::move(*Issuer::Create(std::move(config), *keys_, nullptr));
  }
  testing::TempDir dir_;
  std::unique_ptr<KeySet> keys_;
  std::unique_ptr<Issuer> issuer_;
};

TEST_F(IssuerTest, HeaderPlaintextClaimsSaltsAndDecoys) {
  IssueOptions o;
  o.service_id = "svc";
  o.now = kNow + 17;
  auto issued = issuer_->Issue(testing::SampleClaims(), o);
  ASSERT_THAT(issued.status(), IsOk());
  auto parts = internal::SplitSdJwt(issued->token);
  ASSERT_TRUE(parts.ok());
  auto jws = internal::DecodeCompactJws(parts->jwt);
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->header,
            (json{{"alg", "ES256"}, {"typ", "dc+sd-jwt"}, {"kid", keys_->Active()->kid}}));
  const json& p = jws->payload;
  EXPECT_EQ(p["iat"], kNow);  // Coarse: rounded down to the minute.
  EXPECT_EQ(p["nbf"], kNow);
  EXPECT_EQ(p["exp"], kNow + 900);
  EXPECT_EQ(p["aud"], "svc");
  EXPECT_EQ(p["_sd_alg"], "sha-256");
  EXPECT_FALSE(p.contains("cnf"));
  EXPECT_FALSE(p.contains("status"));
  for (const char* never : {"sub", "given_name", "document_verified"}) {
    EXPECT_FALSE(p.contains(never)) << never;
  }
  // 16 claims disclosed one by one: sub, document_verified, verification{3},
  // age_equal_or_over{5}, nationalities[2], birthdate, names (2).
  ASSERT_EQ(parts->disclosures.size(), 18u);
  std::set<std::string> salts;
  for (std::string_view d : parts->disclosures) {
    const json arr = Decode(std::string(d));
    const std::string salt = arr[0];
    EXPECT_EQ(salt.size(), 22u);  // 16 bytes, base64url.
    salts.insert(salt);
  }
  EXPECT_EQ(salts.size(), parts->disclosures.size());
  // Decoys: top-level _sd has more digests than top-level disclosures (8).
  EXPECT_GT(p["_sd"].size(), 8u);
  EXPECT_LE(p["_sd"].size(), 11u);
  EXPECT_TRUE(std::is_sorted(p["_sd"].begin(), p["_sd"].end()));
}

std::set<std::string> Salts(const std::string& token) {
  std::set<std::string> salts;
  auto parts = internal::SplitSdJwt(token);
  for (std::string_view d : parts->disclosures) {
    salts.insert(Decode(std::string(d))[0].get<std::string>());
  }
  return salts;
}

// Salts come from a per-thread pool of random bytes; a forked child must not
// reuse the bytes the parent has not handed out yet.
TEST_F(IssuerTest, ForkedChildDoesNotReuseTheParentsRandomBytes) {
  IssueOptions o;
  o.service_id = "svc";
  o.now = kNow;
  ASSERT_THAT(issuer_->Issue(testing::SampleClaims(), o).status(), IsOk());
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto issued = issuer_->Issue(testing::SampleClaims(), o);
    const std::string token = issued.ok() ? issued->token : "";
    const ssize_t n = ::write(fds[1], token.data(), token.size());
    ::_exit(n == static_cast<ssize_t>(token.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string child_token;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) child_token.append(buf, n);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto parent = issuer_->Issue(testing::SampleClaims(), o);
  ASSERT_THAT(parent.status(), IsOk());
  const std::set<std::string> a = Salts(child_token), b = Salts(parent->token);
  ASSERT_EQ(a.size(), 18u);
  for (const std::string& salt : a) EXPECT_EQ(b.count(salt), 0u) << salt;
}

TEST_F(IssuerTest, PairwiseSubjectIsStablePerServiceAndUnlinkable) {
  const std::string a1 = issuer_->PairwiseSubject("123", "svc-a");
  EXPECT_EQ(a1, issuer_->PairwiseSubject("123", "svc-a"));
  EXPECT_NE(a1, issuer_->PairwiseSubject("123", "svc-b"));
  EXPECT_NE(a1, issuer_->PairwiseSubject("124", "svc-a"));
  // Length-prefixed input: moving the boundary changes the subject.
  EXPECT_NE(issuer_->PairwiseSubject("12", "3x"), issuer_->PairwiseSubject("123", "x"));
  EXPECT_EQ(a1.size(), 43u);
}

// Known answer from an independent HMAC (EVP_Q_mac), over the documented
// input, for calls that reuse pooled contexts, also from several threads.
TEST_F(IssuerTest, PairwiseSubjectIsHmacSha256OfTheDocumentedInput) {
  const auto expected = [](const std::string& uid, const std::string& svc) {
    std::string input = std::string("vouch/pairwise-sub/v1") + '\0';
    for (const std::string* f : {&uid, &svc}) {
      for (int shift = 56; shift >= 0; shift -= 8) {
        input.push_back(static_cast<char>((f->size() >> shift) & 0xff));
      }
      input += *f;
    }
    const std::string secret(32, 's');  // testing::TestSecret()
    unsigned char mac[32];
    size_t len = 0;
    char digest[] = "SHA256";
    EXPECT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, secret.data(), secret.size(),
                        reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
                        sizeof(mac), &len),
              nullptr);
    return internal::Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), len));
  };
  const std::string a = expected("123456789", "https://rp.example");
  const std::string b = expected("42", "svc-b");
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        mismatches += issuer_->PairwiseSubject("123456789", "https://rp.example") != a;
        mismatches += issuer_->PairwiseSubject("42", "svc-b") != b;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_NE(a, b);
}

TEST_F(IssuerTest, WalletModeNeedsAStatusListBeyond24Hours) {
  IssueOptions o;
  o.service_id = "svc";
  o.now = kNow;
  json jwk = *internal::PublicJwk(internal::GenerateKey(internal::KeyType::kEd25519)->get());
  o.holder_jwk_json = jwk.dump();
  EXPECT_THAT(issuer_->Issue(testing::SampleClaims(), o).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  o.lifetime_seconds = 24 * 3600;
  auto issued = issuer_->Issue(testing::SampleClaims(), o);
  ASSERT_THAT(issued.status(), IsOk());
  auto jws = internal::DecodeCompactJws(internal::SplitSdJwt(issued->token)->jwt);
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->payload["cnf"]["jwk"], jwk);
  EXPECT_FALSE(jws->payload.contains("aud"));
  o.holder_jwk_json = R"({"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"})";
  EXPECT_THAT(issuer_->Issue(testing::SampleClaims(), o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(IssuerTest, RefusesClaimTextThatIsNotUtf8) {
  IssueOptions o;
  o.service_id = "svc";
  o.now = kNow;
  ASSERT_THAT(issuer_->Issue(testing::SampleClaims(), o).status(), IsOk());
  // In a disclosure, in the HMAC-only user id, and in the service id.
  for (int field = 0; field < 3; ++field) {
    CredentialClaims claims = testing::SampleClaims();
    IssueOptions bad = o;
    const std::string invalid = "M\xc3(bius";  // Truncated 2-byte sequence.
    if (field == 0) claims.given_name = invalid;
    if (field == 1) claims.telegram_user_id = invalid;
    if (field == 2) bad.service_id = invalid;
    EXPECT_THAT(issuer_->Issue(claims, bad).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")))
        << field;
  }
}

TEST_F(IssuerTest, DisclosureAndPayloadTextIsNlohmannsOwnSerialization) {
  IssueOptions o;
  o.service_id = "svc \"quoted\" \\ \u00e9\u6f22";  // Escapes and UTF-8.
  o.now = kNow;
  CredentialClaims claims = testing::SampleClaims();
  claims.given_name = "Ann\u00e9 \"A\"\n\t\x01";
  auto issued = issuer_->Issue(claims, o);
  ASSERT_THAT(issued.status(), IsOk());
  auto parts = internal::SplitSdJwt(issued->token);
  ASSERT_TRUE(parts.ok());
  auto text = [](std::string_view b64) {
    std::string raw;
    EXPECT_TRUE(internal::Base64UrlDecode(b64, &raw));
    return raw;
  };
  // Streamed text equals what dump() makes of the parsed value, byte for
  // byte, for the payload and every disclosure.
  const std::string jwt(parts->jwt);
  const size_t d1 = jwt.find('.');
  const std::string payload = text(jwt.substr(d1 + 1, jwt.rfind('.') - d1 - 1));
  EXPECT_EQ(json::parse(payload).dump(), payload);
  EXPECT_EQ(json::parse(payload)["aud"], o.service_id);
  bool saw_name = false;
  for (std::string_view d : parts->disclosures) {
    const std::string raw = text(d);
    const json arr = json::parse(raw);
    EXPECT_EQ(arr.dump(), raw);
    if (arr.size() == 3 && arr[1] == "given_name") {
      EXPECT_EQ(arr[2], *claims.given_name);
      saw_name = true;
    }
  }
  EXPECT_TRUE(saw_name);
}

TEST_F(IssuerTest, InvalidClaimTextDoesNotTakeAStatusIndex) {
  auto list = StatusList::Create("https://vouch.example/status/1", 2, 16);
  ASSERT_THAT(list.status(), IsOk());
  IssuerConfig config;
  config.issuer = "https://vouch.example";
  config.pairwise_secret = SecureBytes(std::string(32, 's'));
  auto issuer = Issuer::Create(std::move(config), *keys_, list->get());
  ASSERT_THAT(issuer.status(), IsOk());
  IssueOptions o;
  o.service_id = "svc";
  o.now = kNow;
  o.holder_jwk_json = testing::RawKey::Make(internal::KeyType::kP256).jwk.dump();
  for (int field = 0; field < 3; ++field) {
    CredentialClaims claims = testing::SampleClaims();
    const std::string invalid = "\xff";
    if (field == 0) claims.given_name = invalid;
    if (field == 1) claims.nationalities.push_back(invalid);
    if (field == 2) claims.verification->evidence.checks_passed.push_back(invalid);
    EXPECT_THAT((*issuer)->Issue(claims, o).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")))
        << field;
  }
  EXPECT_TRUE((*list)->State().entries.empty());
  auto ok = (*issuer)->Issue(testing::SampleClaims(), o);
  ASSERT_THAT(ok.status(), IsOk());
  EXPECT_TRUE(ok->status_idx.has_value());
  EXPECT_EQ((*list)->State().entries.size(), 1u);
}

TEST(JsonWriterTest, WritesWhatDumpWritesForTheSameValues) {
  std::string out;
  internal::JsonWriter w(&out);
  w.BeginObject();
  w.Key("");  // Members in nlohmann's (sorted) order, as dump() writes them.
  w.String("");
  w.Key("a\"b");
  w.BeginArray();
  w.String("x\ny\\\u00fc\u2028");
  w.Int(-42);
  w.Bool(true);
  w.BeginArray();
  w.EndArray();
  w.BeginObject();
  w.EndObject();
  w.Value(json{{"n", nullptr}, {"f", 1.5}, {"o", {{"k", {1, 2}}}}});
  w.EndArray();
  w.EndObject();
  ASSERT_TRUE(w.ok());
  const json expected = {{"a\"b",
                          {"x\ny\\\u00fc\u2028",
                           -42,
                           true,
                           json::array(),
                           json::object(),
                           {{"n", nullptr}, {"f", 1.5}, {"o", {{"k", {1, 2}}}}}}},
                         {"", ""}};
  EXPECT_EQ(out, expected.dump());
  // Reset starts a new text in the same buffer.
  w.Reset();
  w.BeginArray();
  w.String("s");
  w.EndArray();
  EXPECT_EQ(out, R"(["s"])");
}

// Strings with nothing to escape skip the serializer: every ASCII byte, alone
// and inside a longer string, must come out as dump() writes it.
TEST(JsonWriterTest, EveryAsciiByteComesOutAsDumpWritesIt) {
  for (int c = 0; c < 0x80; ++c) {
    for (const std::string& s : {std::string(1, static_cast<char>(c)),
                                 "salt_-09AZaz" + std::string(1, static_cast<char>(c)) + "~.:/ "}) {
      std::string out;
      internal::JsonWriter w(&out);
      w.String(s);
      ASSERT_TRUE(w.ok());
      EXPECT_EQ(out, json(s).dump()) << "byte " << c;
    }
  }
}

TEST(JsonWriterTest, InvalidUtf8FailsWithoutThrowingAndStopsWriting) {
  std::string out;
  internal::JsonWriter w(&out);
  w.BeginArray();
  w.String("ok");
  w.String("M\xc3(bius");  // Truncated 2-byte sequence.
  EXPECT_FALSE(w.ok());
  w.String("after");
  w.EndArray();
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(out.find("after"), std::string::npos);
  std::string key_out;
  internal::JsonWriter k(&key_out);
  k.BeginObject();
  k.Key("\xed\xa0\x80");  // A UTF-16 surrogate encoded in UTF-8.
  EXPECT_FALSE(k.ok());
}

TEST_F(IssuerTest, RejectsBadConfigAndOptions) {
  IssuerConfig config;
  config.issuer = "http://vouch.example";
  config.pairwise_secret = testing::TestSecret();
  EXPECT_THAT(Issuer::Create(std::move(config), *keys_, nullptr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  IssuerConfig weak;
  weak.issuer = "https://vouch.example";
  weak.pairwise_secret = SecureBytes(std::string(8, 'x'));
  EXPECT_THAT(Issuer::Create(std::move(weak), *keys_, nullptr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  IssueOptions o;  // No service id.
  EXPECT_THAT(issuer_->Issue(testing::SampleClaims(), o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ClaimsFromJsonTest, ParsesAndRejectsUnknownMembers) {
  auto c = Issuer::ClaimsFromJson(R"({"telegram_user_id": 42,
      "age_equal_or_over": {"18": true, "21": false},
      "nationalities": ["DEU"], "given_name": "A",
      "verification": {"assurance_level": "substantial", "time": 1,
        "evidence": {"document_type": "passport", "issuing_country": "DEU",
                     "checks_passed": ["mrz"]}}})");
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->telegram_user_id, "42");
  EXPECT_EQ(c->age_equal_or_over.at(21), false);
  EXPECT_EQ(c->verification->evidence.checks_passed[0], "mrz");
  EXPECT_THAT(Issuer::ClaimsFromJson(R"({"telegram_user_id":"1","iss":"x"})").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("iss")));
  EXPECT_THAT(Issuer::ClaimsFromJson(R"({"given_name":"A"})").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StatusListTest, BitsAreLsbFirstAndZlibCompressed) {
  testing::TempDir dir;
  auto keys = std::move(*KeySet::LoadOrCreate(dir.path(), SigningAlg::kES256));
  auto list = std::move(*StatusList::Create("https://v.example/s/1", 2, 64));
  auto idx = list->Allocate("cred-1");
  ASSERT_THAT(idx.status(), IsOk());
  EXPECT_LT(*idx, 64u);
  ASSERT_THAT(list->Suspend("cred-1"), IsOk());
  auto token = list->SignToken(*keys, kNow, 3600, 300);
  ASSERT_THAT(token.status(), IsOk());
  auto jws = internal::DecodeCompactJws(*token);
  ASSERT_TRUE(jws.ok());
  EXPECT_EQ(jws->header["typ"], "statuslist+jwt");
  EXPECT_EQ(jws->payload["sub"], "https://v.example/s/1");
  EXPECT_EQ(jws->payload["ttl"], 300);
  EXPECT_EQ(jws->payload["exp"], kNow + 3600);
  EXPECT_EQ(jws->payload["status_list"]["bits"], 2);
  std::string compressed;
  ASSERT_TRUE(internal::Base64UrlDecode(jws->payload["status_list"]["lst"].get<std::string>(),
                                        &compressed));
  auto bytes = internal::ZlibInflate(compressed, 1 << 20);
  ASSERT_TRUE(bytes.ok());
  ASSERT_EQ(bytes->size(), 16u);  // 64 entries x 2 bits.
  for (uint32_t i = 0; i < 64; ++i) {
    const unsigned v = (static_cast<uint8_t>((*bytes)[i / 4]) >> ((i % 4) * 2)) & 3;
    EXPECT_EQ(v, i == *idx ? 2u : 0u) << "index " << i;
  }
}

TEST(StatusListTest, RandomIndexesFillTheListAndStateRoundTrips) {
  auto list = std::move(*StatusList::Create("https://v.example/s/1", 1, 16));
  std::set<uint32_t> seen;
  for (int i = 0; i < 16; ++i) {
    auto idx = list->Allocate("c" + std::to_string(i));
    ASSERT_THAT(idx.status(), IsOk());
    seen.insert(*idx);
  }
  EXPECT_EQ(seen.size(), 16u);
  EXPECT_THAT(list->Allocate("c99").status(), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(list->Allocate("c1").status(), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(list->Suspend("c1"), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(list->Revoke("c1"), IsOk());
  EXPECT_THAT(list->SetStatus("c1", TokenStatus::kValid),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(list->Revoke("unknown"), StatusIs(absl::StatusCode::kNotFound));

  auto state = StatusListState::Deserialize(list->State().Serialize());
  ASSERT_THAT(state.status(), IsOk());
  auto restored = StatusList::Restore(*state);
  ASSERT_THAT(restored.status(), IsOk());
  EXPECT_EQ((*restored)->State().Serialize(), list->State().Serialize());
  EXPECT_EQ((*restored)->State().entries.at("c1").status, TokenStatus::kInvalid);
  EXPECT_THAT(StatusListState::Deserialize("{\"uri\":1}").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace vouch::attest
