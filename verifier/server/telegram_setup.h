#ifndef VOUCH_VERIFIER_SERVER_TELEGRAM_SETUP_H_
#define VOUCH_VERIFIER_SERVER_TELEGRAM_SETUP_H_

// vouchd's Telegram side (docs/telegram.md): the Bot API client and the
// dispatcher that drains the Store's badge outbox (the engine and the review
// queue write to it with their results), and the key source of the Provider
// RPC.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/auth_config.h"
#include "pipeline/policy.h"
#include "provider_keys.h"
#include "storage/store.h"
#include "telegram/badge_dispatcher.h"
#include "telegram/bot_api_client.h"
#include "telegram/provider_service.h"

namespace vouch::verifier::server {

struct TelegramSetupOptions {
  // The verifier bot's token: this file (mode 0600), else the environment
  // variable VOUCH_TELEGRAM_BOT_TOKEN. Required when a policy sets
  // [telegram] verify_user.
  std::string token_file;
  // The Bot API base URL (https; http only on loopback).
  std::string api_url = "https://api.telegram.org";
};

class TelegramSide {
 public:
  // Appends one audit event (action, verification id, JSON detail).
  using AuditFn = std::function<void(absl::string_view action, absl::string_view verification_id,
                                     std::string detail)>;

  // Errors: kFailedPrecondition when a policy sets verify_user and no token
  // is configured; the token's and the URL's errors (never the token).
  // `store` holds the outbox; not owned, it must outlive the side.
  static absl::StatusOr<std::unique_ptr<TelegramSide>> Create(const TelegramSetupOptions& options,
                                                              const pipeline::Config& config,
                                                              storage::Store& store, AuditFn audit);
  ~TelegramSide();

  // Called with the verification id after each recorded attempt (a badge
  // that may have changed: Watch streams re-read it). Set before
  // Start(); the call comes from the dispatcher's thread.
  void OnBadgeChange(std::function<void(const std::string& verification_id)> notify) {
    on_change_ = std::move(notify);
  }

  void Start();
  void Stop();
  // Prometheus text: the dispatcher's counters and the outbox's gauges.
  std::string RenderMetrics() const;

 private:
  explicit TelegramSide(storage::Store& store) : store_(store) {}
  storage::Store& store_;
  std::optional<telegram::BotApiClient> client_;
  std::unique_ptr<telegram::BadgeDispatcher> dispatcher_;
  std::function<void(const std::string&)> on_change_;  // Watch
};

// The Provider RPC's keys: a relying service's own Passport key (auth
// config passport_key) first, then vouchd's current key. `ring` is not
// owned and must outlive the source. Errors: a service key that cannot be
// read (as vouchd's start checks them).
absl::StatusOr<telegram::ProviderKeySource> NewProviderKeySource(const auth::AuthConfig& auth,
                                                                 const PassportKeyRing& ring);

}  // namespace vouch::verifier::server

#endif  // VOUCH_VERIFIER_SERVER_TELEGRAM_SETUP_H_
