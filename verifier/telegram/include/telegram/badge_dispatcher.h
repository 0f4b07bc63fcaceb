#ifndef VOUCH_VERIFIER_TELEGRAM_BADGE_DISPATCHER_H_
#define VOUCH_VERIFIER_TELEGRAM_BADGE_DISPATCHER_H_

// Drains the badge outbox (the Store's, badge_outbox.h): makes each due verifyUser /
// removeUserVerification call and records what Telegram answered.
//
//   ok: true                        done
//   no answer (network, TLS, timeout), HTTP/error_code >= 500
//                                   retried with exponential backoff
//   429                             retried after `retry_after` seconds
//                                   (parameters.retry_after; backoff without it)
//   401, 404                        retried with backoff: the token is wrong or
//                                   revoked, which the operator fixes
//   400, 403, other 4xx             failed, with Telegram's description; not retried
//
// Each attempt is counted (Render: vouch_telegram_badge_calls_total{action,
// outcome}) and handed to the audit hook; the log and the audit name the
// verification and the outcome, never the user id or the token.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "telegram/badge_outbox.h"
#include "telegram/bot_api_client.h"

namespace vouch::verifier::telegram {

struct BadgeDispatcherOptions {
  // Backoff of retried calls: first delay, doubled per attempt, at most max.
  absl::Duration backoff_first = absl::Seconds(1);
  absl::Duration backoff_max = absl::Minutes(10);
  // A retry_after above this is capped (a runaway value must not park an
  // item for days).
  absl::Duration retry_after_max = absl::Hours(1);
  // Items claimed per pass, and their lease (longer than one call's timeout).
  int batch = 16;
  absl::Duration lease = absl::Minutes(1);
  // How often the background thread looks for due items.
  absl::Duration poll = absl::Milliseconds(500);
};

// One attempt, for the audit hook.
struct BadgeAttempt {
  std::string verification_id;
  storage::BadgeAction action = storage::BadgeAction::kVerify;
  BadgeOutcome outcome = BadgeOutcome::kDone;
  int error_code = 0;       // Telegram's error_code, or 0 (ok / no answer).
  std::string description;  // Telegram's description, or the transport error.
};

// Thread-safe.
class BadgeDispatcher {
 public:
  using AuditHook = std::function<void(const BadgeAttempt&)>;

  // `store` and `api` are not owned and must outlive the dispatcher.
  // `audit` (may be empty) is called once per attempt, from the dispatching
  // thread. Several dispatchers (one per replica) may drain one Store: each
  // item is leased to one of them at a time.
  BadgeDispatcher(storage::Store& store, const BotApiClient& api, BadgeDispatcherOptions options,
                  AuditHook audit = {});
  ~BadgeDispatcher();

  // One pass at time `now`: claims the due items and makes their calls.
  // Returns the number of calls made. Errors: the Store's.
  absl::StatusOr<int> RunOnce(absl::Time now);

  // A background thread making a pass every options.poll, as RunOnce at
  // absl::Now(), each outcome recorded at the time its answer came.
  void Start();
  void Stop();

  // The delay before attempt `attempts + 1` of a retried call (no
  // retry_after): backoff_first * 2^(attempts - 1), at most backoff_max.
  absl::Duration Backoff(int attempts) const;

  // Prometheus text: vouch_telegram_badge_calls_total{action,outcome}.
  std::string Render() const;
  uint64_t Count(storage::BadgeAction action, BadgeOutcome outcome) const;

 private:
  // Claims at `now`; `clock` gives the time an answer came (its outcome's
  // time, and the base of its retry).
  absl::StatusOr<int> RunPass(absl::Time now, const std::function<absl::Time()>& clock);
  BadgeAttempt Attempt(const storage::BadgeItem& item, const std::function<absl::Time()>& clock);

  storage::Store& store_;
  const BotApiClient& api_;
  const BadgeDispatcherOptions options_;
  const AuditHook audit_;

  mutable absl::Mutex mu_;
  std::map<std::pair<int, int>, uint64_t> counts_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace vouch::verifier::telegram

#endif  // VOUCH_VERIFIER_TELEGRAM_BADGE_DISPATCHER_H_
