#include "service/verification_engine.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "attest/issuer.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "pipeline/errors.h"
#include "review/review_queue.h"
#include "service/grpc_status.h"
#include "spdlog/spdlog.h"

namespace vouch::verifier {
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
    const int value = ((bytes[bit / 8] << 8 | (bit / 8 + 1 < 17 ? bytes[bit / 8 + 1] : 0)) >>
                       (11 - bit % 8)) & 31;
    id.push_back(kAlphabet[value]);
  }
  return id;
}

VerificationEngine::VerificationEngine(EngineOptions options, const Config& config,
                                       VerificationPipeline& pipeline, Store& store,
                                       WorkerPool& pool, Clock& clock, Metrics& metrics)
    : options_(options), config_(config), pipeline_(pipeline), store_(store), pool_(pool),
      clock_(clock), metrics_(metrics) {}

VerificationEngine::~VerificationEngine() { StopAccepting(); }

void VerificationEngine::Start() {
  if (options_.process_jobs && !runner_.joinable()) {
    runner_ = std::thread([this] { RunJobs(); });
  }
}

namespace {

// The Bot API's PassportData is a handful of levels deep; the passport
// module refuses more than 32 as a limit. At intake a deeper text is a
// malformed request (#14), named as such.
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
    return WithReason(absl::UnavailableError("vouchd is shutting down"), reasons::kShuttingDown);
  }
  // The authenticated service is the relying service (auth, #7).
  if (!service.empty() && !r.relying_service().empty() && r.relying_service() != service) {
    return WithReason(
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
      // At intake (#14): a bad key would otherwise fail only at issuance,
      // after a review, and nothing is stored for this request.
      bad.emplace_back("attestation.wallet.holder_jwk_json", std::string(jwk.message()));
    }
  } else {
    const std::string& audience = a.direct().audience();
    if (audience.size() > 256 || !Printable(audience)) {
      bad.emplace_back("attestation.direct.audience", "at most 256 printable ASCII characters");
    } else if (audience.empty() && relying.empty()) {
      bad.emplace_back("attestation.direct.audience",
                       "is required when relying_service is empty");
    }
  }
  if (a.claims_size() > 20) bad.emplace_back("attestation.claims", "at most 20 claims");
  if (!bad.empty()) return BadRequestError(bad);
  if (total > options_.max_files_bytes) {
    return WithReason(absl::ResourceExhaustedError(absl::StrCat(
                          "files total ", total, " bytes, limit ", options_.max_files_bytes)),
                      reasons::kRequestTooLarge);
  }
  absl::StatusOr<const Policy*> policy = config_.FindPolicy(r.policy());
  if (!policy.ok()) {
    return WithReason(absl::NotFoundError("unknown policy"), reasons::kUnknownPolicy);
  }
  if (!(*policy)->AllowsRelyingService(relying)) {
    return WithReason(absl::PermissionDeniedError("the relying service may not use this policy"),
                      reasons::kPolicyNotAllowed);
  }
  return Prepared{*policy, relying, Digest(r)};
}

v1::VerificationResult VerificationEngine::ResultOf(const VerificationRecord& record) const {
  v1::VerificationResult result;
  if (IsTerminal(record.state) && !record.result.empty()) {
    if (!result.ParseFromString(record.result)) {
      result.Clear();
      *result.mutable_error() = ToRpcStatus(absl::DataLossError("stored result unreadable"));
    }
  }
  result.set_verification_id(record.id);
  result.set_state(static_cast<v1::VerificationState>(record.state));
  result.set_policy(record.policy);
  result.set_idempotency_key(record.idempotency_key);
  *result.mutable_create_time() = ToTimestamp(record.create_time);
  *result.mutable_update_time() = ToTimestamp(record.update_time);
  return result;
}

absl::StatusOr<v1::VerificationResult> VerificationEngine::Execute(
    const v1::VerifyRequest& request, const Policy& policy, const std::string& id,
    const std::string& relying_service, DocumentReader& reader,
    const std::function<bool()>& cancelled, v1::CaseContent* review_content) {
  const absl::Time start = clock_.Now();
  PipelineInput input{&request, &policy, id, relying_service,
                      options_.review_keys != nullptr ? review_content : nullptr};
  absl::StatusOr<v1::VerificationResult> result = pipeline_.Run(
      input, reader, cancelled,
      [this](absl::string_view stage, absl::Duration d) { metrics_.ObserveStage(stage, d); });
  const absl::Duration elapsed = clock_.Now() - start;
  metrics_.ObserveVerification(elapsed);
  if (!result.ok()) {
    metrics_.CountError(absl::StatusCodeToString(result.status().code()));
    const std::optional<google::rpc::ErrorInfo> info = GetErrorInfo(result.status());
    spdlog::info("verification failed id={} code={} reason={} ms={}", id,
                 absl::StatusCodeToString(result.status().code()),
                 info.has_value() ? info->reason() : "", absl::ToInt64Milliseconds(elapsed));
    return result;
  }
  metrics_.CountVerification(v1::Decision_Name(result->decision()));
  spdlog::info("verification done id={} policy={} decision={} checks={} ms={}", id,
               policy.name, v1::Decision_Name(result->decision()), result->checks_size(),
               absl::ToInt64Milliseconds(elapsed));
  return result;
}

std::optional<ReviewCase> VerificationEngine::CaseFor(
    const absl::StatusOr<v1::VerificationResult>& result, v1::CaseContent& content,
    const std::string& id, const std::string& relying_service, absl::string_view policy_name) {
  if (options_.review_keys == nullptr || !result.ok() ||
      result->decision() != v1::DECISION_NEEDS_REVIEW) {
    return std::nullopt;
  }
  absl::StatusOr<const Policy*> policy = config_.FindPolicy(policy_name);
  if (!policy.ok()) return std::nullopt;
  return MakeReviewCase(*options_.review_keys, content, *result, id, relying_service, **policy,
                        clock_.Now());
}

void VerificationEngine::Verify(const v1::VerifyRequest& request,
                                std::function<bool()> cancelled, Done done,
                                absl::string_view caller) {
  absl::StatusOr<Prepared> prepared = Prepare(request, caller);
  if (!prepared.ok()) {
    metrics_.CountRejected("invalid");
    done(prepared.status());
    return;
  }
  const absl::Time now = clock_.Now();
  NewVerification nv;
  nv.record = VerificationRecord{NewVerificationId(), prepared->relying_service,
                                 request.idempotency_key(), prepared->digest,
                                 prepared->policy->name, VerificationState::kRunning,
                                 "", now, now};
  absl::StatusOr<CreateOutcome> created = store_.CreateVerification(nv);
  if (!created.ok()) {
    done(created.status());
    return;
  }
  if (created->existed) {
    const VerificationRecord& existing = created->record;
    if (existing.request_digest != prepared->digest) {
      done(WithReason(absl::AlreadyExistsError("idempotency key used with another request"),
                      reasons::kIdempotencyKeyReused));
    } else if (!IsTerminal(existing.state)) {
      done(WithRetryDelay(WithReason(absl::AbortedError("verification in progress"),
                                     reasons::kInProgress),
                          options_.overload_retry));
    } else {
      v1::VerificationResult result = ResultOf(existing);
      if (existing.state == VerificationState::kFailed) {
        done(FromRpcStatus(result.error()));
      } else {
        done(std::move(result));
      }
    }
    return;
  }
  const std::string id = nv.record.id;
  const Policy* policy = prepared->policy;
  const std::string service = prepared->relying_service;
  const bool queued = pool_.TrySubmit([this, &request, cancelled, done, id, policy,
                                       service](DocumentReader& reader) {
    if (cancelled && cancelled()) {
      (void)store_.AbandonVerification(id);
      done(absl::CancelledError("call cancelled"));
      return;
    }
    OpenedCase capture;  // Wiped when this job ends.
    absl::StatusOr<v1::VerificationResult> result =
        Execute(request, *policy, id, service, reader, cancelled, &capture.content());
    const std::optional<ReviewCase> review_case =
        CaseFor(result, capture.content(), id, service, policy->name);
    absl::StatusOr<VerificationRecord> record;
    if (!result.ok() && !IsCallerError(result.status())) {
      // Cancelled, or an infrastructure failure: nothing is decided, so the
      // same idempotency key may try again.
      (void)store_.AbandonVerification(id);
      done(result.status());
      return;
    }
    v1::VerificationResult stored;
    VerificationState state = VerificationState::kCompleted;
    if (result.ok()) {
      stored = *result;
    } else {
      state = VerificationState::kFailed;
      *stored.mutable_error() = ToRpcStatus(result.status());
    }
    const absl::Time end = clock_.Now();
    absl::Status finished = store_.FinishVerification(
        id, state, stored.SerializeAsString(), end,
        review_case.has_value() ? &*review_case : nullptr);
    if (!finished.ok()) {
      spdlog::error("cannot store verification id={} code={}", id,
                    absl::StatusCodeToString(finished.code()));
      done(finished);
      return;
    }
    record = store_.GetVerification(id);
    if (record.ok()) Publish(ResultOf(*record));
    if (!result.ok()) {
      done(result.status());
    } else {
      done(record.ok() ? ResultOf(*record) : *std::move(result));
    }
  });
  if (!queued) {
    (void)store_.AbandonVerification(id);
    metrics_.CountRejected("overloaded");
    done(WithRetryDelay(
        WithReason(absl::ResourceExhaustedError("all workers busy; retry later"),
                   reasons::kOverloaded),
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
  NewVerification nv;
  nv.record = VerificationRecord{NewVerificationId(), prepared->relying_service,
                                 request.idempotency_key(), prepared->digest,
                                 prepared->policy->name, VerificationState::kPending,
                                 "", now, now};
  // The request as received: still encrypted for the Passport key.
  nv.job_payload = request.SerializeAsString();
  if (prepared->relying_service != request.relying_service()) {
    // The job runs as the authenticated service: a serialized message
    // appended to another overrides its singular fields.
    v1::VerifyRequest relying;
    relying.set_relying_service(prepared->relying_service);
    *nv.job_payload += relying.SerializeAsString();
  }
  VOUCH_ASSIGN_OR_RETURN(CreateOutcome created, store_.CreateVerification(nv));
  v1::SubmitResponse response;
  response.set_verification_id(created.record.id);
  response.set_state(static_cast<v1::VerificationState>(created.record.state));
  if (created.existed) {
    if (created.record.request_digest != prepared->digest) {
      return WithReason(absl::AlreadyExistsError("idempotency key used with another request"),
                        reasons::kIdempotencyKeyReused);
    }
    response.set_deduplicated(true);
    return response;
  }
  spdlog::info("verification accepted id={} policy={}", created.record.id,
               prepared->policy->name);
  WakeRunner();
  return response;
}

absl::StatusOr<v1::VerificationResult> VerificationEngine::Get(absl::string_view id,
                                                               absl::string_view service) {
  absl::StatusOr<VerificationRecord> record = store_.GetVerification(id);
  // Another service's verification is answered like an unknown one.
  if (absl::IsNotFound(record.status()) ||
      (record.ok() && !service.empty() && record->relying_service != service)) {
    return WithReason(absl::NotFoundError("unknown verification"), reasons::kUnknownVerification);
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
  absl::StatusOr<VerificationRecord> record = store_.GetVerification(id);
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
  std::optional<ClaimedJob> held;  // Claimed but not yet accepted by the pool.
  while (true) {
    {
      absl::MutexLock lock(&runner_mu_);
      runner_mu_.AwaitWithTimeout(
          absl::Condition(
              +[](VerificationEngine* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->runner_mu_) {
                return e->wake_ || e->stop_runner_;
              },
              this),
          options_.job_poll);
      if (stop_runner_) return;
      wake_ = false;
    }
    while (true) {
      if (!held.has_value()) {
        if (pool_.queued() + pool_.running() >=
            pool_.workers() + pool_.capacity() - options_.job_reserve) {
          break;
        }
        absl::StatusOr<std::optional<ClaimedJob>> claimed =
            store_.ClaimJob(clock_.Now(), options_.job_lease);
        if (!claimed.ok()) {
          spdlog::error("cannot claim jobs code={}",
                        absl::StatusCodeToString(claimed.status().code()));
          break;
        }
        if (!claimed->has_value()) break;
        held = std::move(*claimed);
        absl::StatusOr<VerificationRecord> record = store_.GetVerification(held->verification_id);
        if (record.ok()) Publish(ResultOf(*record));
      }
      auto job = std::make_shared<ClaimedJob>(*held);
      if (!pool_.TrySubmit([this, job](DocumentReader& reader) { ProcessJob(*job, reader); },
                           options_.job_reserve)) {
        break;  // Try the same job again on the next round.
      }
      held.reset();
    }
  }
}

void VerificationEngine::ProcessJob(ClaimedJob job, DocumentReader& reader) {
  v1::VerifyRequest request;
  absl::StatusOr<v1::VerificationResult> result;
  absl::StatusOr<const Policy*> policy;
  OpenedCase capture;  // Wiped when this job ends.
  if (!request.ParseFromString(job.payload)) {
    result = absl::DataLossError("stored request unreadable");
  } else if (policy = config_.FindPolicy(request.policy()); !policy.ok()) {
    result = WithReason(absl::NotFoundError("policy no longer configured"),
                        reasons::kUnknownPolicy);
  } else {
    result = Execute(request, **policy, job.verification_id, request.relying_service(), reader,
                     nullptr, &capture.content());
  }
  const std::optional<ReviewCase> review_case =
      policy.ok() ? CaseFor(result, capture.content(), job.verification_id,
                            request.relying_service(), (*policy)->name)
                  : std::nullopt;
  v1::VerificationResult stored;
  VerificationState state = VerificationState::kCompleted;
  if (result.ok()) {
    stored = *std::move(result);
  } else {
    state = VerificationState::kFailed;
    *stored.mutable_error() = ToRpcStatus(result.status());
  }
  absl::Status completed =
      store_.CompleteJob(job, state, stored.SerializeAsString(), clock_.Now(),
                         review_case.has_value() ? &*review_case : nullptr);
  if (!completed.ok()) {
    // Another worker completed it after our lease ran out: exactly once.
    spdlog::warn("job completion refused id={} code={}", job.verification_id,
                 absl::StatusCodeToString(completed.code()));
    return;
  }
  absl::StatusOr<VerificationRecord> record = store_.GetVerification(job.verification_id);
  if (record.ok()) Publish(ResultOf(*record));
}

}  // namespace vouch::verifier
