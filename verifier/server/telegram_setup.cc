#include "telegram_setup.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <fstream>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "passport/decrypt.h"
#include "spdlog/spdlog.h"

namespace vouch::verifier::server {
namespace {

constexpr char kTokenVariable[] = "VOUCH_TELEGRAM_BOT_TOKEN";

// Hex SHA-256 of the DER SubjectPublicKeyInfo of a PEM public key ("" when
// it does not parse).
std::string PublicKeyId(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return "";
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return "";
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  EVP_PKEY_free(key);
  if (n <= 0) return "";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(n), digest);
  OPENSSL_free(der);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<TelegramSide>> TelegramSide::Create(
    const TelegramSetupOptions& options, const pipeline::Config& config, storage::Store& store,
    AuditFn audit) {
  std::unique_ptr<TelegramSide> side(new TelegramSide(store));
  std::string needed_by;
  for (const auto& [name, policy] : config.policies()) {
    if (policy.telegram.verify_user && needed_by.empty()) needed_by = name;
  }
  absl::StatusOr<telegram::BotToken> token = !options.token_file.empty()
                                                 ? telegram::BotToken::FromFile(options.token_file)
                                                 : telegram::BotToken::FromEnv(kTokenVariable);
  if (!token.ok()) {
    if (options.token_file.empty() && absl::IsNotFound(token.status())) {
      if (!needed_by.empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat("policy ", needed_by,
                         " sets [telegram] verify_user but no verifier-bot token is configured "
                         "(--telegram-token-file, or $",
                         kTokenVariable, ")"));
      }
      return side;  // No badge: nothing to dispatch.
    }
    return token.status();
  }
  telegram::BotApiOptions api_options;
  api_options.base_url = options.api_url;
  absl::StatusOr<telegram::BotApiClient> client =
      telegram::BotApiClient::Create(api_options, *std::move(token));
  if (!client.ok()) return client.status();
  side->client_.emplace(*std::move(client));
  side->dispatcher_ = std::make_unique<telegram::BadgeDispatcher>(
      store, *side->client_, telegram::BadgeDispatcherOptions(),
      [audit = std::move(audit), side = side.get()](const telegram::BadgeAttempt& a) {
        if (side->on_change_) side->on_change_(a.verification_id);  // Watch
        if (!audit || a.outcome == telegram::BadgeOutcome::kRetry) return;
        nlohmann::json detail{{"outcome", std::string(telegram::BadgeOutcomeName(a.outcome))}};
        if (a.error_code != 0) {
          detail["error_code"] = a.error_code;
          detail["description"] = a.description;
        }
        audit(a.action == telegram::BadgeAction::kVerify ? "telegram.verify_user"
                                                         : "telegram.remove_user_verification",
              a.verification_id, detail.dump());
      });
  spdlog::info("telegram badge: Bot API at {}", side->client_->host());
  return side;
}

TelegramSide::~TelegramSide() { Stop(); }

void TelegramSide::Start() {
  if (dispatcher_) dispatcher_->Start();
}

void TelegramSide::Stop() {
  if (dispatcher_) dispatcher_->Stop();
}

std::string TelegramSide::RenderMetrics() const {
  std::string out = dispatcher_ ? dispatcher_->Render() : "";
  absl::StrAppend(&out,
                  "# HELP vouch_telegram_badge_outbox Telegram badge calls in the outbox by "
                  "state.\n# TYPE vouch_telegram_badge_outbox gauge\n");
  // The Store's outbox, shared by the replicas (absent when unreadable).
  const absl::StatusOr<storage::BadgeCounts> counts = store_.CountBadges();
  if (!counts.ok()) return out;
  for (const auto& [state, n] : {std::pair{storage::BadgeState::kPending, counts->pending},
                                 std::pair{storage::BadgeState::kDone, counts->done},
                                 std::pair{storage::BadgeState::kFailed, counts->failed}}) {
    absl::StrAppend(&out, "vouch_telegram_badge_outbox{state=\"", telegram::BadgeStateName(state),
                    "\"} ", n, "\n");
  }
  return out;
}

absl::StatusOr<telegram::ProviderKeySource> NewProviderKeySource(const auth::AuthConfig& auth,
                                                                 const PassportKeyRing& ring) {
  std::map<std::string, std::string, std::less<>> service_keys;  // Service id → SPKI PEM.
  for (const auth::AuthEntry& e : auth.entries) {
    if (e.principal.kind != auth::PrincipalKind::kService || e.passport_key.empty()) continue;
    std::ifstream in(e.passport_key, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string pem = text.str();
    absl::StatusOr<passport::PassportDecryptor> key = passport::PassportDecryptor::FromPem(pem);
    OPENSSL_cleanse(pem.data(), pem.size());
    if (!key.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the Passport key of service ", e.principal.id, " is not a private RSA key"));
    }
    absl::StatusOr<std::string> public_pem = key->PublicKeyPem();
    if (!public_pem.ok()) return public_pem.status();
    service_keys[e.principal.id] = *std::move(public_pem);
  }
  return [service_keys = std::move(service_keys), &ring](absl::string_view service) {
    std::vector<v1::PassportPublicKey> keys;
    if (auto it = service_keys.find(service); it != service_keys.end()) {
      v1::PassportPublicKey& own = keys.emplace_back();
      own.set_public_key_pem(it->second);
      own.set_key_id(PublicKeyId(it->second));
      own.set_role(v1::PassportPublicKey::ROLE_SERVICE);
    }
    v1::PassportPublicKey& current = keys.emplace_back();
    current.set_public_key_pem(ring.public_key_pem());
    current.set_key_id(ring.key_id());
    current.set_role(v1::PassportPublicKey::ROLE_CURRENT);
    return keys;
  };
}

}  // namespace vouch::verifier::server
