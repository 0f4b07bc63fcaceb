#include "service/verification_engine.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "attest/issuer.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "review/case_capture.h"
#include "review/review_queue.h"
#include "rpc/errors.h"
#include "rpc/grpc_status.h"
#include "spdlog/spdlog.h"
#include "telegram/badge_outbox.h"  // Telegram badge.

namespace vouch::verifier::service {
namespace {

constexpr size_t kMaxPassportJsonBytes = 1 << 20;
constexpr int kMaxFiles = 64;
constexpr int kMaxElements = 32;

bool Printable(absl::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string Digest(const v1::VerifyRequest& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&out);
  }
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md);
  return std::string(reinterpret_cast<const char*>(md), sizeof(md));
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t us = absl::ToUnixMicros(t);
  ts.set_seconds(us / 1'000'000);
  ts.set_nanos(static_cast<int32_t>((us % 1'000'000) * 1000));
  return ts;
}

// A store error worth retrying: unreachable, busy, or out of space.
bool IsTransientStoreError(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsResourceExhausted(s) || absl::IsAborted(s) ||
         absl::IsDeadlineExceeded(s);
}

bool IsCallerError(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string NewVerificationId() {
  unsigned char bytes[17];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();  // No entropy: unsafe to go on.
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string id = "ver_";
  for (int i = 0; i < 26; ++i) {
    const int bit = i * 5;
    const int value =
        ((bytes[bit / 8] << 8 | (bit / 8 + 1 < 17 ? bytes[bit / 8 + 1] : 0)) >> (11 - bit % 8)) &
        31;
    id.push_back(kAlphabet[value]);
  }
  return id;
}

VerificationEngine::VerificationEngine(EngineOptions options, const pipeline::Config& config,
                                       pipeline::VerificationPipeline& pipeline,
                                       storage::Store& store, WorkerPool& pool, Clock& clock,
                                       Metrics& metrics)
    : options_(options),
      config_(config),
      pipeline_(pipeline),
      store_(store),
      pool_(pool),
      clock_(clock),
      metrics_(metrics) {}

VerificationEngine::~VerificationEngine() {
  StopAccepting();
  {
    absl::MutexLock lock(&runner_mu_);
    stop_heartbeat_ = true;
  }
  if (heartbeat_.joinable()) heartbeat_.join();
}

void VerificationEngine::Start() {
  if (!heartbeat_.joinable()) heartbeat_ = std::thread([this] { RunHeartbeats(); });
  if (options_.process_jobs && !runner_.joinable()) {
    runner_ = std::thread([this] { RunJobs(); });
  }
}

namespace {

// The Bot API's PassportData is a handful of levels deep; the passport
// module refuses more than 32 as a limit. At intake a deeper text is a
// malformed request, named as such.
constexpr int kMaxPassportJsonDepth = 32;

// Deepest nesting of JSON text, through nlohmann's SAX parser (no DOM is
// built; it stops one level past the limit); -1 when the text is not JSON.
class NestingSax final : public nlohmann::json_sax<nlohmann::json> {
 public:
  int deepest = 0;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return Enter(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return Leave(); }
  bool start_array(std::size_t) override { return Enter(); }
  bool end_array() override { return Leave(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    failed = true;
    return false;
  }
  bool failed = false;

 private:
  bool Enter() {
    deepest = std::max(deepest, ++depth_);
    return depth_ <= kMaxPassportJsonDepth;  // Deeper: stop reading.
  }
  bool Leave() {
    --depth_;
    return true;
  }
  int depth_ = 0;
};

int JsonNesting(const std::string& text) {
  NestingSax sax;
  nlohmann::json::sax_parse(text, &sax, nlohmann::json::input_format_t::json,
                            /*strict=*/true, /*ignore_comments=*/false);
  if (sax.failed) return -1;
  return sax.deepest;
}

}  // namespace

absl::StatusOr<VerificationEngine::Prepared> VerificationEngine::Prepare(
    const v1::VerifyRequest& r, absl::string_view service) const {
  if (!accepting_.load()) {
    return rpc::WithReason(absl::UnavailableError("vouchd is shutting down"),
                           rpc::reasons::kShuttingDown);
  }
  // The authenticated service is the relying service (auth).
  if (!service.empty() && !r.relying_service().empty() && r.relying_service() != service) {
    return rpc::WithReason(
        absl::PermissionDeniedError("relying_service differs from the authenticated service"),
        "RELYING_SERVICE_MISMATCH");
  }
  const std::string relying = service.empty() ? r.relying_service() : std::string(service);
  std::vector<std::pair<std::string, std::string>> bad;
  if (r.has_passport_data_json()) {
    if (r.passport_data_json().empty() || r.passport_data_json().size() > kMaxPassportJsonBytes) {
      bad.emplace_back("passport_data_json", "must be 1 byte to 1 MiB");
    } else if (const int depth = JsonNesting(r.passport_data_json()); depth < 0) {
      bad.emplace_back("passport_data_json", "is not JSON");
    } else if (depth > kMaxPassportJsonDepth) {
      bad.emplace_back("passport_data_json",
                       absl::StrCat("is nested deeper than ", kMaxPassportJsonDepth, " levels"));
    }
  } else if (r.has_passport_data()) {
    if (r.passport_data().data_size() == 0 || r.passport_data().data_size() > kMaxElements) {
      bad.emplace_back("passport_data.data", "must hold 1 to 32 elements");
    }
  } else {
    bad.emplace_back("passport", "passport_data or passport_data_json is required");
  }
  if (r.files_size() > kMaxFiles) bad.emplace_back("files", "at most 64 files");
  int64_t total = 0;
  std::set<absl::string_view> ids;
  for (int i = 0; i < r.files_size() && i < kMaxFiles; ++i) {
    const v1::EncryptedFile& f = r.files(i);
    total += static_cast<int64_t>(f.content().size());
    if (f.file_id().empty() || f.file_id().size() > 256 || !Printable(f.file_id())) {
      bad.emplace_back(absl::StrCat("files[", i, "].file_id"),
                       "must be 1..256 printable ASCII characters");
    } else if (!ids.insert(f.file_id()).second) {
      bad.emplace_back(absl::StrCat("files[", i, "].file_id"), "duplicate file_id");
    }
  }
  if (r.nonce().empty() || r.nonce().size() > 1024) {
    bad.emplace_back("nonce", "is required (at most 1024 bytes)");
  }
  if (r.policy().size() > 64) bad.emplace_back("policy", "at most 64 characters");
  if (r.idempotency_key().size() > 128 || !Printable(r.idempotency_key())) {
    bad.emplace_back("idempotency_key", "at most 128 printable ASCII characters");
  }
  if (r.relying_service().size() > 256 || !Printable(r.relying_service())) {
    bad.emplace_back("relying_service", "at most 256 printable ASCII characters");
  }
  if (r.telegram_user_id() <= 0) {
    bad.emplace_back("telegram_user_id", "is required (the positive Telegram user id)");
  }
  const v1::AttestationOptions& a = r.attestation();
  if (a.has_wallet()) {
    if (a.wallet().holder_jwk_json().empty() || a.wallet().holder_jwk_json().size() > 4096) {
      bad.emplace_back("attestation.wallet.holder_jwk_json", "is required (at most 4096 bytes)");
    } else if (absl::Status jwk = attest::Issuer::ValidateHolderJwk(a.wallet().holder_jwk_json());
               !jwk.ok()) {
      // At intake: a bad key would otherwise fail only at issuance,
      // after a review, and nothing is stored for this request.
      bad.emplace_back("attestation.wallet.holder_jwk_json", std::string(jwk.message()));
    }
  } else if (!a.has_wallet_offer()) {  // A wallet offer names no audience.
    const std::string& audience = a.direct().audience();
    if (audience.size() > 256 || !Printable(audience)) {
      bad.emplace_back("attestation.direct.audience", "at most 256 printable ASCII characters");
    } else if (audience.empty() && relying.empty()) {
      bad.emplace_back("attestation.direct.audience", "is required when relying_service is empty");
    }
  }
  if (a.claims_size() > 20) bad.emplace_back("attestation.claims", "at most 20 claims");
  if (!bad.empty()) return rpc::BadRequestError(bad);
  if (total > options_.max_files_bytes) {
    return rpc::WithReason(absl::ResourceExhaustedError(absl::StrCat(
                               "files total ", total, " bytes, limit ", options_.max_files_bytes)),
                           rpc::reasons::kRequestTooLarge);
  }
  absl::StatusOr<const pipeline::Policy*> policy = config_.FindPolicy(r.policy());
  if (!policy.ok()) {
    return rpc::WithReason(absl::NotFoundError("unknown policy"), rpc::reasons::kUnknownPolicy);
  }
  if (!(*policy)->AllowsRelyingService(relying)) {
    return rpc::WithReason(
        absl::PermissionDeniedError("the relying service may not use this policy"),
        rpc::reasons::kPolicyNotAllowed);
  }
  if (a.has_wallet_offer() && !pipeline_.MakesWalletOffers()) {  // Refused before any work.
    return rpc::WithReason(
        absl::FailedPreconditionError("wallet offers need vouchd's issuer endpoints "
                                      "(--http-listen and [issuer] url)"),
        rpc::reasons::kUnavailableModule);
  }
  return Prepared{*policy, relying, Digest(r)};
}

namespace {

// `result` as the API answers it: with the verification's id, state, policy,
// idempotency key and times.
v1::VerificationResult Presented(v1::VerificationResult result,
                                 const storage::VerificationRecord& record) {
  result.set_verification_id(record.id);
  result.set_state(static_cast<v1::VerificationState>(record.state));
  result.set_policy(record.policy);
  result.set_idempotency_key(record.idempotency_key);
  *result.mutable_create_time() = ToTimestamp(record.create_time);
  *result.mutable_update_time() = ToTimestamp(record.update_time);
  return result;
}

}  // namespace

v1::VerificationResult VerificationEngine::ResultOf(
    const storage::VerificationRecord& record) const {
  v1::VerificationResult result;
  if (storage::IsTerminal(record.state) && !record.result.empty()) {
    if (!result.ParseFromString(record.result)) {
      result.Clear();
      *result.mutable_error() = rpc::ToRpcStatus(absl::DataLossError("stored result unreadable"));
    }
  }
  // The wallet offer's code; the credential, within its pickup window.
  pipeline::OpenStoredOffer(result, record.id, options_.review_keys, clock_.Now());
  if (result.decision() == v1::DECISION_VERIFIED ||
      result.has_reversal()) {  // Telegram badge, also while a reversal removes it.
    const absl::StatusOr<std::vector<storage::BadgeItem>> badges = store_.FindBadges(record.id);
    std::optional<v1::TelegramBadge> badge;
    if (badges.ok()) badge = telegram::BadgeStatus(*badges);
    if (badge.has_value()) *result.mutable_telegram_badge() = *std::move(badge);
  }
  return Presented(std::move(result), record);
}

VerificationEngine::Outcome VerificationEngine::Execute(const v1::VerifyRequest& request,
                                                        const pipeline::Policy& policy,
                                                        const storage::VerificationRecord& meta,
                                                        pipeline::DocumentReader& reader,
                                                        const std::function<bool()>& cancelled) {
  const std::string& id = meta.id;
  const absl::Time start = clock_.Now();
  review::CaseCapture capture;  // Wiped when this returns.
  Outcome outcome;
  pipeline::PipelineInput input{&request,
                                &policy,
                                id,
                                meta.relying_service,
                                options_.review_keys != nullptr ? &capture : nullptr,
                                &outcome.attestation};
  input.duplicate_index = options_.duplicate_index;
  input.duplicate_entries = &outcome.duplicates;
  outcome.result = pipeline_.Run(
      input, reader, cancelled,
      [this](absl::string_view stage, absl::Duration d) { metrics_.ObserveStage(stage, d); });
  const absl::StatusOr<v1::VerificationResult>& result = outcome.result;
  const absl::Duration elapsed = clock_.Now() - start;
  metrics_.ObserveVerification(elapsed);
  if (!result.ok()) {
    metrics_.CountError(absl::StatusCodeToString(result.status().code()));
    const std::optional<google::rpc::ErrorInfo> info = rpc::GetErrorInfo(result.status());
    spdlog::info("verification failed id={} code={} reason={} ms={}", id,
                 absl::StatusCodeToString(result.status().code()),
                 info.has_value() ? info->reason() : "", absl::ToInt64Milliseconds(elapsed));
    return outcome;
  }
  if (!outcome.result->attestation().sd_jwt().empty()) {  // Returned for a while only.
    pipeline::StampPickupWindow(*outcome.result, clock_.Now() + policy.attestation_pickup_window);
  }
  metrics_.CountVerification(v1::Decision_Name(result->decision()));
  spdlog::info("verification done id={} policy={} decision={} checks={} ms={}", id, policy.name,
               v1::Decision_Name(result->decision()), result->checks_size(),
               absl::ToInt64Milliseconds(elapsed));
  if (result->decision() == v1::DECISION_VERIFIED) {  // Telegram badge.
    outcome.badges = telegram::BadgeCallsOnVerified(
        {policy.telegram.verify_user, policy.telegram.remove_at_expiry,
         policy.telegram.custom_description},
        id, request.telegram_user_id(),
        outcome.attestation.has_value() ? outcome.attestation->expire_time
                                        : absl::InfiniteFuture());
  }
  if (options_.review_keys != nullptr && result->decision() == v1::DECISION_NEEDS_REVIEW) {
    outcome.review_case = review::MakeReviewCase(*options_.review_keys, capture.content(), *result,
                                                 id, meta.relying_service, policy, clock_.Now());
  }
  return outcome;
}

absl::StatusOr<v1::VerificationResult> VerificationEngine::Complete(const Completion& completion,
                                                                    Outcome outcome) {
  const std::string& id = completion.meta.id;
  const absl::Status failure = outcome.result.status();
  v1::VerificationResult stored;
  storage::VerificationState state = storage::VerificationState::kCompleted;
  if (outcome.result.ok()) {
    stored = *std::move(outcome.result);
  } else {
    state = storage::VerificationState::kFailed;
    *stored.mutable_error() = rpc::ToRpcStatus(failure);
  }
  const storage::ReviewCase* review_case =
      outcome.review_case.has_value() ? &*outcome.review_case : nullptr;
  const storage::AttestationRecord* attestation =
      outcome.attestation.has_value() ? &*outcome.attestation : nullptr;
  const absl::Time before = clock_.Now();
  // The Store keeps the credential sealed for its pickup window, with a
  // reminder written first so the purge deletes it then; without the
  // reminder (or without storage keys) it keeps no credential at all.
  std::string stored_bytes;
  if (stored.attestation().has_pickup_expire_time()) {
    const absl::Time until =
        absl::FromUnixSeconds(stored.attestation().pickup_expire_time().seconds()) +
        absl::Nanoseconds(stored.attestation().pickup_expire_time().nanos());
    if (options_.review_keys == nullptr || !store_.SchedulePickupExpiry(id, until).ok()) {
      v1::VerificationResult unsealed = stored;
      unsealed.mutable_attestation()->clear_pickup_expire_time();
      stored_bytes = pipeline::SerializeResultForStore(unsealed, id, options_.review_keys);
      WipeMemory(unsealed.mutable_attestation()->mutable_sd_jwt()->data(),
                 unsealed.attestation().sd_jwt().size());
    }
  }
  if (stored_bytes.empty()) {
    stored_bytes = pipeline::SerializeResultForStore(stored, id, options_.review_keys);
  }
  const absl::Status written =
      completion.job != nullptr
          ? CompleteWithRetry(*completion.job, state, stored_bytes, review_case, attestation,
                              outcome.badges, outcome.duplicates)
          : FinishWithRetry(
                id, state, stored_bytes, review_case, attestation, outcome.badges,
                outcome.duplicates,
                completion.cancelled != nullptr ? *completion.cancelled : std::function<bool()>());
  if (!written.ok()) {
    if (completion.job == nullptr) {
      spdlog::error("cannot store verification id={} code={}", id,
                    absl::StatusCodeToString(written.code()));
      // Nothing was stored: free the idempotency key so the caller's retry
      // runs again (best effort; at start-up SQLite drops what is left).
      (void)store_.AbandonVerification(id);
    }
    return written;
  }
  storage::VerificationRecord meta = completion.meta;
  meta.state = state;
  // The store stamps update_time with the `now` of the successful attempt;
  // the answer carries the time the completion began (at most the retry
  // window earlier).
  meta.update_time = before;
  v1::VerificationResult presented = Presented(std::move(stored), meta);
  if (!outcome.badges.empty()) {  // Telegram badge: queued with the result.
    presented.mutable_telegram_badge()->set_state(v1::TelegramBadge::STATE_PENDING);
  }
  Publish(presented);
  if (!failure.ok()) return failure;
  return presented;
}

void VerificationEngine::Verify(const v1::VerifyRequest& request, std::function<bool()> cancelled,
                                const Done& done, absl::string_view caller) {
  absl::StatusOr<Prepared> prepared = Prepare(request, caller);
  if (!prepared.ok()) {
    metrics_.CountRejected("invalid");
    done(prepared.status());
    return;
  }
  const absl::Time now = clock_.Now();
  storage::NewVerification nv;
  nv.record = storage::VerificationRecord{NewVerificationId(),
                                          prepared->relying_service,
                                          request.idempotency_key(),
                                          prepared->digest,
                                          prepared->policy->name,
                                          storage::VerificationState::kRunning,
                                          "",
                                          now,
                                          now,
                                          now + options_.verify_deadline};
  absl::StatusOr<storage::CreateOutcome> created = store_.CreateVerification(nv);
  if (!created.ok()) {
    done(created.status());
    return;
  }
  if (created->existed) {
    const storage::VerificationRecord& existing = created->record;
    if (existing.request_digest != prepared->digest) {
      done(rpc::WithReason(absl::AlreadyExistsError("idempotency key used with another request"),
                           rpc::reasons::kIdempotencyKeyReused));
    } else if (!storage::IsTerminal(existing.state)) {
      done(rpc::WithRetryDelay(rpc::WithReason(absl::AbortedError("verification in progress"),
                                               rpc::reasons::kInProgress),
                               options_.overload_retry));
    } else {
      v1::VerificationResult result = ResultOf(existing);
      if (existing.state == storage::VerificationState::kFailed) {
        done(rpc::FromRpcStatus(result.error()));
      } else {
        done(std::move(result));
      }
    }
    return;
  }
  const std::string id = nv.record.id;
  const pipeline::Policy* policy = prepared->policy;
  const storage::VerificationRecord meta = nv.record;
  const bool queued = pool_.TrySubmit(
      [this, &request, cancelled, done, meta, policy](pipeline::DocumentReader& reader) {
        if (cancelled && cancelled()) {
          (void)store_.AbandonVerification(meta.id);
          done(absl::CancelledError("call cancelled"));
          return;
        }
        Outcome outcome = Execute(request, *policy, meta, reader, cancelled);
        if (!outcome.result.ok() && !IsCallerError(outcome.result.status())) {
          // Cancelled, or an infrastructure failure: nothing is decided, so the
          // same idempotency key may try again.
          (void)store_.AbandonVerification(meta.id);
          done(outcome.result.status());
          return;
        }
        done(Complete(Completion{meta, nullptr, &cancelled}, std::move(outcome)));
      });
  if (!queued) {
    (void)store_.AbandonVerification(id);
    metrics_.CountRejected("overloaded");
    done(rpc::WithRetryDelay(
        rpc::WithReason(absl::ResourceExhaustedError("all workers busy; retry later"),
                        rpc::reasons::kOverloaded),
        options_.overload_retry));
  }
}

absl::StatusOr<v1::SubmitResponse> VerificationEngine::Submit(const v1::VerifyRequest& request,
                                                              absl::string_view service) {
  absl::StatusOr<Prepared> prepared = Prepare(request, service);
  if (!prepared.ok()) {
    metrics_.CountRejected("invalid");
    return prepared.status();
  }
  const absl::Time now = clock_.Now();
  storage::NewVerification nv;
  nv.record = storage::VerificationRecord{NewVerificationId(),
                                          prepared->relying_service,
                                          request.idempotency_key(),
                                          prepared->digest,
                                          prepared->policy->name,
                                          storage::VerificationState::kPending,
                                          "",
                                          now,
                                          now};
  // The request as received: still encrypted for the Passport key.
  nv.job_payload = request.SerializeAsString();
  if (prepared->relying_service != request.relying_service()) {
    // The job runs as the authenticated service: a serialized message
    // appended to another overrides its singular fields.
    v1::VerifyRequest relying;
    relying.set_relying_service(prepared->relying_service);
    *nv.job_payload += relying.SerializeAsString();
  }
  VOUCH_ASSIGN_OR_RETURN(storage::CreateOutcome created, store_.CreateVerification(nv));
  v1::SubmitResponse response;
  response.set_verification_id(created.record.id);
  response.set_state(static_cast<v1::VerificationState>(created.record.state));
  if (created.existed) {
    if (created.record.request_digest != prepared->digest) {
      return rpc::WithReason(absl::AlreadyExistsError("idempotency key used with another request"),
                             rpc::reasons::kIdempotencyKeyReused);
    }
    response.set_deduplicated(true);
    return response;
  }
  spdlog::info("verification accepted id={} policy={}", created.record.id, prepared->policy->name);
  WakeRunner();
  return response;
}

absl::StatusOr<v1::VerificationResult> VerificationEngine::Get(absl::string_view id,
                                                               absl::string_view service) {
  absl::StatusOr<storage::VerificationRecord> record = store_.GetVerification(id);
  // Another service's verification is answered like an unknown one.
  if (absl::IsNotFound(record.status()) ||
      (record.ok() && !service.empty() && record->relying_service != service)) {
    return rpc::WithReason(absl::NotFoundError("unknown verification"),
                           rpc::reasons::kUnknownVerification);
  }
  if (!record.ok()) return record.status();
  return ResultOf(*record);
}

int64_t VerificationEngine::Subscribe(const std::string& id, Listener listener) {
  absl::MutexLock lock(&listeners_mu_);
  const int64_t handle = ++next_handle_;
  listeners_.emplace(id, std::make_pair(handle, std::move(listener)));
  return handle;
}

void VerificationEngine::Unsubscribe(int64_t handle) {
  absl::MutexLock lock(&listeners_mu_);
  for (auto it = listeners_.begin(); it != listeners_.end(); ++it) {
    if (it->second.first == handle) {
      listeners_.erase(it);
      return;
    }
  }
}

void VerificationEngine::NotifyChanged(const std::string& id) {
  absl::StatusOr<storage::VerificationRecord> record = store_.GetVerification(id);
  if (record.ok()) Publish(ResultOf(*record));
}

void VerificationEngine::Publish(const v1::VerificationResult& result) {
  // Listeners run under the lock so that Unsubscribe() returning means no
  // listener call is in progress (the Watch reactor may then be deleted).
  absl::MutexLock lock(&listeners_mu_);
  auto [begin, end] = listeners_.equal_range(result.verification_id());
  for (auto it = begin; it != end; ++it) it->second.second(result);
}

void VerificationEngine::WakeRunner() {
  absl::MutexLock lock(&runner_mu_);
  wake_ = true;
}

void VerificationEngine::StopAccepting() {
  accepting_.store(false);
  {
    absl::MutexLock lock(&runner_mu_);
    stop_runner_ = true;
  }
  if (runner_.joinable()) runner_.join();
}

void VerificationEngine::RunJobs() {
  std::optional<storage::ClaimedJob> held;  // Claimed but not yet accepted by the pool.
  while (true) {
    {
      absl::MutexLock lock(&runner_mu_);
      runner_mu_.AwaitWithTimeout(absl::Condition(
                                      +[](VerificationEngine* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                                           e->runner_mu_) { return e->wake_ || e->stop_runner_; },
                                      this),
                                  options_.job_poll);
      if (stop_runner_) break;
      wake_ = false;
    }
    if (ClaimJobs(held)) claim_log_.Reset();
  }
  // A job claimed but never started: its lease runs out and it is claimed
  // again (by this instance after a restart, or another one).
  if (held.has_value()) Untrack(held->verification_id);
}

bool VerificationEngine::ClaimJobs(std::optional<storage::ClaimedJob>& held) {
  while (true) {
    if (!held.has_value()) {
      if (pool_.queued() + pool_.running() >=
          pool_.workers() + pool_.capacity() - options_.job_reserve) {
        return true;
      }
      absl::StatusOr<std::optional<storage::ClaimedJob>> claimed =
          store_.ClaimJob(clock_.Now(), options_.job_lease);
      if (!claimed.ok()) {
        // The store logs the cause; one line here per outage interval.
        int64_t suppressed = 0;
        if (claim_log_.Allow(clock_.Now(), &suppressed)) {
          spdlog::warn("cannot claim jobs code={} suppressed={}",
                       absl::StatusCodeToString(claimed.status().code()), suppressed);
        }
        return false;
      }
      if (!claimed->has_value()) return true;
      if (AdoptIfActive(**claimed)) continue;
      spdlog::info("job claimed id={} attempt={}", (*claimed)->verification_id,
                   (*claimed)->attempts);
      held = std::move(*claimed);
      absl::StatusOr<storage::VerificationRecord> record =
          store_.GetVerification(held->verification_id);
      if (record.ok()) {
        Publish(ResultOf(*record));
        Track(*held)->set_claimed(*std::move(record));
      }
    }
    // Tracked from the claim on, so its lease is renewed while it waits too.
    std::shared_ptr<ActiveJob> active = Track(*held);
    if (!pool_.TrySubmit(
            [this, active](pipeline::DocumentReader& reader) { ProcessJob(active, reader); },
            options_.job_reserve)) {
      return true;  // Try the same job again on the next round.
    }
    held.reset();
  }
}

std::shared_ptr<VerificationEngine::ActiveJob> VerificationEngine::Track(
    const storage::ClaimedJob& job) {
  absl::MutexLock lock(&active_mu_);
  std::shared_ptr<ActiveJob>& slot = active_[job.verification_id];
  if (slot == nullptr || slot->Current().lease_token != job.lease_token) {
    slot = std::make_shared<ActiveJob>(job);
  }
  return slot;
}

bool VerificationEngine::AdoptIfActive(const storage::ClaimedJob& claimed) {
  absl::MutexLock lock(&active_mu_);
  auto it = active_.find(claimed.verification_id);
  if (it == active_.end() || it->second->lost.load()) return false;
  it->second->Adopt(claimed);
  spdlog::info("job lease taken over by its own holder id={} attempt={}", claimed.verification_id,
               claimed.attempts);
  return true;
}

void VerificationEngine::Untrack(const std::string& id) {
  absl::MutexLock lock(&active_mu_);
  active_.erase(id);
}

void VerificationEngine::RunHeartbeats() {
  absl::Duration wait = options_.job_heartbeat;
  absl::Time next_sweep = clock_.Now();
  while (true) {
    if (clock_.Now() >= next_sweep) {
      (void)SweepExpiredVerifications();  // The store logs its errors.
      next_sweep = clock_.Now() + options_.verify_sweep;
    }
    {
      absl::MutexLock lock(&runner_mu_);
      runner_mu_.AwaitWithTimeout(absl::Condition(
                                      +[](VerificationEngine* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                                           e->runner_mu_) { return e->stop_heartbeat_; },
                                      this),
                                  wait);
      if (stop_heartbeat_) return;
    }
    wait = RenewLeases() ? options_.job_heartbeat : options_.job_heartbeat_retry;
  }
}

absl::StatusOr<int64_t> VerificationEngine::SweepExpiredVerifications() {
  absl::StatusOr<int64_t> abandoned = store_.AbandonExpiredVerifications(clock_.Now());
  if (abandoned.ok() && *abandoned > 0) {
    spdlog::warn("abandoned {} synchronous verifications past their deadline", *abandoned);
  }
  return abandoned;
}

bool VerificationEngine::RenewLeases() {
  std::vector<std::shared_ptr<ActiveJob>> jobs;
  {
    absl::MutexLock lock(&active_mu_);
    for (const auto& [id, job] : active_) jobs.push_back(job);
  }
  bool all_reached = true;
  for (const std::shared_ptr<ActiveJob>& active : jobs) {
    if (active->lost.load()) continue;
    const storage::ClaimedJob job = active->Current();
    absl::StatusOr<absl::Time> renewed =
        store_.RenewJobLease(job, clock_.Now(), options_.job_lease);
    if (absl::IsFailedPrecondition(renewed.status())) {
      // A renewal racing an adoption is refused for the old token: only the
      // current token counts.
      if (active->Current().lease_token != job.lease_token) continue;
      // Claimed again elsewhere (this instance lost the store for longer
      // than the lease): stop the work, never complete it.
      active->lost.store(true);
      spdlog::warn("job lease lost id={}; its work is stopped", job.verification_id);
    } else if (!renewed.ok()) {
      all_reached = false;
    }
  }
  return all_reached;
}

absl::Status VerificationEngine::FinishWithRetry(
    const std::string& id, storage::VerificationState state, const std::string& result,
    const storage::ReviewCase* review_case, const storage::AttestationRecord* attestation,
    absl::Span<const storage::BadgeRequest> badges,
    absl::Span<const storage::DuplicateEntry> duplicates, const std::function<bool()>& cancelled) {
  const absl::Time give_up = clock_.Now() + options_.finish_retry_for;
  absl::Duration backoff = options_.completion_retry_first;
  while (true) {
    absl::Status finished = store_.FinishVerification(id, state, result, clock_.Now(), review_case,
                                                      attestation, badges, duplicates);
    if (finished.ok() || !IsTransientStoreError(finished) || !accepting_.load() ||
        (cancelled && cancelled()) || clock_.Now() + backoff > give_up) {
      return finished;
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, options_.completion_retry_max);
  }
}

absl::Status VerificationEngine::CompleteWithRetry(
    ActiveJob& active, storage::VerificationState state, const std::string& result,
    const storage::ReviewCase* review_case, const storage::AttestationRecord* attestation,
    absl::Span<const storage::BadgeRequest> badges,
    absl::Span<const storage::DuplicateEntry> duplicates) {
  absl::Duration backoff = options_.completion_retry_first;
  const std::string id = active.Current().verification_id;
  for (int attempt = 1;; ++attempt) {
    if (active.lost.load()) {
      spdlog::warn("job completion dropped id={}: lease lost", id);
      return absl::FailedPreconditionError("job lease lost");
    }
    const storage::ClaimedJob job = active.Current();
    absl::Status completed = store_.CompleteJob(job, state, result, clock_.Now(), review_case,
                                                attestation, badges, duplicates);
    if (completed.ok()) {
      if (attempt > 1) {
        spdlog::info("job completion stored id={} attempts={}", id, attempt);
      }
      return absl::OkStatus();
    }
    if (absl::IsFailedPrecondition(completed)) {
      // Adopted meanwhile: try again with the new token.
      if (active.Current().lease_token != job.lease_token) continue;
      // Another worker took it over after this lease ran out: exactly once.
      active.lost.store(true);
      spdlog::warn("job completion refused id={}: lease lost", id);
      return completed;
    }
    if (!IsTransientStoreError(completed)) {
      // Not transient: the lease runs out and the job is run again.
      spdlog::error("job completion failed id={} code={}", id,
                    absl::StatusCodeToString(completed.code()));
      return completed;
    }
    if (!accepting_.load()) {
      spdlog::warn("job completion not stored at shutdown id={}; it runs again later", id);
      return completed;
    }
    if (attempt == 1) {
      spdlog::warn("job completion deferred id={} code={}; retrying", id,
                   absl::StatusCodeToString(completed.code()));
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, options_.completion_retry_max);
  }
}

storage::VerificationRecord VerificationEngine::JobMeta(const storage::ClaimedJob& job,
                                                        const v1::VerifyRequest& request) {
  storage::VerificationRecord meta;
  meta.id = job.verification_id;
  meta.relying_service = request.relying_service();
  meta.idempotency_key = request.idempotency_key();
  meta.policy = request.policy().empty() ? "default" : request.policy();
  meta.state = storage::VerificationState::kRunning;
  return meta;
}

void VerificationEngine::ProcessJob(const std::shared_ptr<ActiveJob>& active,
                                    pipeline::DocumentReader& reader) {
  const storage::ClaimedJob job = active->Current();  // Its id and payload; the token may change.
  const std::function<bool()> lost = [active] { return active->lost.load(); };
  v1::VerifyRequest request;
  Outcome outcome;
  storage::VerificationRecord meta;
  meta.id = job.verification_id;
  if (!request.ParseFromString(job.payload)) {
    outcome.result = absl::DataLossError("stored request unreadable");
  } else if (absl::StatusOr<const pipeline::Policy*> policy = config_.FindPolicy(request.policy());
             !policy.ok()) {
    meta = JobMeta(job, request);
    outcome.result = rpc::WithReason(absl::NotFoundError("policy no longer configured"),
                                     rpc::reasons::kUnknownPolicy);
  } else {
    meta = active->claimed().value_or(JobMeta(job, request));
    outcome = Execute(request, **policy, meta, reader, lost);
  }
  if (lost()) {
    spdlog::warn("job stopped id={}: lease lost", job.verification_id);
    Untrack(job.verification_id);
    return;
  }
  (void)Complete(Completion{meta, active.get(), nullptr}, std::move(outcome));
  Untrack(job.verification_id);
}

}  // namespace vouch::verifier::service
