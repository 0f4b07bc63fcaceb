#include "telegram/badge_dispatcher.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace vouch::verifier::telegram {
namespace {

// The Store's bound on a kept error.
constexpr size_t kMaxError = 1024;

// What an answer (or its absence) means for the item.
BadgeOutcome Classify(const absl::StatusOr<BotApiResponse>& r) {
  if (!r.ok()) return BadgeOutcome::kRetry;  // No answer.
  if (r->ok) return BadgeOutcome::kDone;
  const int code = r->error_code != 0 ? r->error_code : r->http_status;
  if (code >= 500 || r->http_status >= 500) return BadgeOutcome::kRetry;
  if (code == 429 || code == 401 || code == 404) return BadgeOutcome::kRetry;
  return BadgeOutcome::kFailed;
}

}  // namespace

BadgeDispatcher::BadgeDispatcher(storage::Store& store, const BotApiClient& api,
                                 BadgeDispatcherOptions options, AuditHook audit)
    : store_(store), api_(api), options_(options), audit_(std::move(audit)) {}

BadgeDispatcher::~BadgeDispatcher() { Stop(); }

absl::Duration BadgeDispatcher::Backoff(int attempts) const {
  absl::Duration d = options_.backoff_first;
  for (int i = 1; i < attempts && d < options_.backoff_max; ++i) d *= 2;
  return std::min(d, options_.backoff_max);
}

BadgeAttempt BadgeDispatcher::Attempt(const storage::BadgeItem& item,
                                      const std::function<absl::Time()>& clock) {
  const storage::BadgeRequest& req = item.request;
  const absl::StatusOr<BotApiResponse> r =
      req.action == storage::BadgeAction::kVerify
          ? api_.VerifyUser(req.user_id, req.custom_description)
          : api_.RemoveUserVerification(req.user_id);
  // retry_after counts from the answer, not from the start of the pass.
  const absl::Time now = clock();
  BadgeAttempt attempt;
  attempt.verification_id = req.verification_id;
  attempt.action = req.action;
  attempt.outcome = Classify(r);
  if (!r.ok()) {
    attempt.description = std::string(r.status().message());
  } else if (!r->ok) {
    attempt.error_code = r->error_code;
    attempt.description = r->description;
  }
  // The error kept with the item: Telegram's code and description (the
  // client redacted the token from it), or the transport's error; bounded.
  std::string error;
  if (attempt.outcome != BadgeOutcome::kDone) {
    error =
        r.ok() ? absl::StrCat(attempt.error_code, " ", attempt.description) : attempt.description;
    if (error.size() > kMaxError) error.resize(kMaxError);
  }
  absl::Status recorded;
  switch (attempt.outcome) {
    case BadgeOutcome::kDone:
      recorded = store_.RecordBadgeAttempt(item, storage::BadgeState::kDone, now, "", now);
      break;
    case BadgeOutcome::kFailed:
      recorded = store_.RecordBadgeAttempt(item, storage::BadgeState::kFailed, now, error, now);
      break;
    case BadgeOutcome::kRetry: {
      absl::Duration delay = Backoff(item.attempts);
      if (r.ok() && r->retry_after.has_value()) {
        delay = std::min(absl::Seconds(std::max<int64_t>(*r->retry_after, 0)),
                         options_.retry_after_max);
      }
      recorded =
          store_.RecordBadgeAttempt(item, storage::BadgeState::kPending, now + delay, error, now);
      break;
    }
  }
  if (!recorded.ok()) {
    // The lease runs out and the item is claimed again.
    spdlog::warn("telegram badge outcome not recorded id={} code={}", req.verification_id,
                 absl::StatusCodeToString(recorded.code()));
  }
  spdlog::info("telegram badge {} id={} outcome={} error_code={}{}{}",
               std::string(BadgeActionName(req.action)), req.verification_id,
               std::string(BadgeOutcomeName(attempt.outcome)), attempt.error_code,
               attempt.description.empty() ? "" : " description=", attempt.description);
  {
    absl::MutexLock lock(&mu_);
    counts_[{static_cast<int>(req.action), static_cast<int>(attempt.outcome)}]++;
  }
  if (audit_) audit_(attempt);
  return attempt;
}

absl::StatusOr<int> BadgeDispatcher::RunOnce(absl::Time now) {
  return RunPass(now, [now] { return now; });
}

absl::StatusOr<int> BadgeDispatcher::RunPass(absl::Time now,
                                             const std::function<absl::Time()>& clock) {
  absl::StatusOr<std::vector<storage::BadgeItem>> due =
      store_.ClaimBadges(now, options_.batch, options_.lease);
  if (!due.ok()) return due.status();
  for (const storage::BadgeItem& item : *due) Attempt(item, clock);
  return static_cast<int>(due->size());
}

void BadgeDispatcher::Start() {
  thread_ = std::thread([this] {
    for (;;) {
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
      }
      absl::StatusOr<int> made = RunPass(absl::Now(), [] { return absl::Now(); });
      if (!made.ok()) {
        spdlog::warn("telegram badge outbox unavailable code={}",
                     absl::StatusCodeToString(made.status().code()));
      }
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.poll);
    }
  });
}

void BadgeDispatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

uint64_t BadgeDispatcher::Count(storage::BadgeAction action, BadgeOutcome outcome) const {
  absl::MutexLock lock(&mu_);
  auto it = counts_.find({static_cast<int>(action), static_cast<int>(outcome)});
  return it == counts_.end() ? 0 : it->second;
}

std::string BadgeDispatcher::Render() const {
  std::string out =
      "# HELP vouch_telegram_badge_calls_total Telegram badge calls (verifyUser, "
      "removeUserVerification) by outcome.\n"
      "# TYPE vouch_telegram_badge_calls_total counter\n";
  for (storage::BadgeAction a : {storage::BadgeAction::kVerify, storage::BadgeAction::kRemove}) {
    for (BadgeOutcome o : {BadgeOutcome::kDone, BadgeOutcome::kRetry, BadgeOutcome::kFailed}) {
      absl::StrAppend(&out, "vouch_telegram_badge_calls_total{action=\"", BadgeActionName(a),
                      "\",outcome=\"", BadgeOutcomeName(o), "\"} ", Count(a, o), "\n");
    }
  }
  return out;
}

}  // namespace vouch::verifier::telegram
