#include "operational_metrics.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/build_info.h"

namespace vouch::verifier::server {
namespace {

// The Store lists at most this many cases per call; the backlog is read in
// pages, up to kMaxReviewPages (beyond that the counts are a lower bound and
// vouch_review_open_cases_truncated is 1).
constexpr int kReviewPageSize = 1000;
constexpr int kMaxReviewPages = 100;

constexpr std::array<const char*, CallCounter::kCodes> kCodeNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

// Prometheus label values escape backslash, quote and newline.
std::string Label(absl::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

class CountingInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit CountingInterceptor(CallCounter& counter) : counter_(counter) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      counter_.Count(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  CallCounter& counter_;
};

class CountingInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CountingInterceptorFactory(CallCounter& counter) : counter_(counter) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new CountingInterceptor(counter_);
  }

 private:
  CallCounter& counter_;
};

}  // namespace

absl::StatusOr<pipeline::IssuedAttestation> CountingIssuer::Issue(
    const pipeline::AttestationRequest& request) {
  absl::StatusOr<pipeline::IssuedAttestation> issued = inner_.Issue(request);
  if (issued.ok()) ++issued_;
  return issued;
}

absl::StatusOr<bool> CountingIssuer::Revoke(const std::string& attestation_id, bool suspend) {
  absl::StatusOr<bool> changed = inner_.Revoke(attestation_id, suspend);
  if (changed.ok() && *changed) ++(suspend ? suspended_ : revoked_);
  return changed;
}

void CallCounter::Count(grpc::StatusCode code) {
  const int i = static_cast<int>(code);
  if (i >= 0 && i < kCodes) ++counts_[i];
}

uint64_t CallCounter::count(grpc::StatusCode code) const {
  const int i = static_cast<int>(code);
  return i >= 0 && i < kCodes ? counts_[i].load() : 0;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
CallCounter::NewInterceptorFactory() {
  return std::make_unique<CountingInterceptorFactory>(*this);
}

std::string OperationalMetrics::Render(absl::Time now) const {
  const BuildInfo& b = GetBuildInfo();
  std::string out = absl::StrCat(
      "# HELP vouch_build_info vouchd's version, commit and build type.\n",
      "# TYPE vouch_build_info gauge\n", "vouch_build_info{version=\"", Label(b.version),
      "\",commit=\"", Label(b.git_commit), "\",build_type=\"", Label(b.build_type), "\"} 1\n");

  // Review backlog, oldest first (the Store's queue order).
  std::map<std::pair<std::string, std::string>, int64_t> open;
  std::optional<absl::Time> oldest;
  bool truncated = false;
  bool store_error = false;
  storage::CaseFilter filter;
  filter.limit = kReviewPageSize;
  for (int page = 0;; ++page) {
    if (page == kMaxReviewPages) {
      truncated = true;
      break;
    }
    absl::StatusOr<std::vector<storage::ReviewCase>> cases = store_.ListCases(filter, now);
    if (!cases.ok()) {
      store_error = true;
      break;
    }
    for (const storage::ReviewCase& c : *cases) {
      if (!oldest || c.create_time < *oldest) oldest = c.create_time;
      if (c.reasons.empty()) ++open[{c.policy, "none"}];
      for (const std::string& r : c.reasons) ++open[{c.policy, r}];
    }
    if (static_cast<int>(cases->size()) < kReviewPageSize) break;
    filter.created_after = cases->back().create_time;
  }
  if (store_error) {
    absl::StrAppend(&out,
                    "# TYPE vouch_metrics_store_errors gauge\nvouch_metrics_store_errors 1\n");
  } else {
    absl::StrAppend(&out,
                    "# HELP vouch_review_open_cases Open review cases by policy and reason.\n"
                    "# TYPE vouch_review_open_cases gauge\n");
    for (const auto& [key, n] : open) {
      absl::StrAppend(&out, "vouch_review_open_cases{policy=\"", Label(key.first), "\",reason=\"",
                      Label(key.second), "\"} ", n, "\n");
    }
    absl::StrAppend(&out,
                    "# HELP vouch_review_open_cases_truncated 1 when the backlog was too long "
                    "to count whole.\n# TYPE vouch_review_open_cases_truncated gauge\n"
                    "vouch_review_open_cases_truncated ",
                    truncated ? 1 : 0, "\n",
                    "# HELP vouch_review_oldest_case_age_seconds Age of the oldest open case.\n"
                    "# TYPE vouch_review_oldest_case_age_seconds gauge\n"
                    "vouch_review_oldest_case_age_seconds ",
                    oldest ? std::max(0.0, absl::ToDoubleSeconds(now - *oldest)) : 0.0, "\n");
  }

  absl::StrAppend(&out,
                  "# HELP vouch_attestations_issued_total Attestations signed since start.\n"
                  "# TYPE vouch_attestations_issued_total counter\n"
                  "vouch_attestations_issued_total ",
                  issuer_.issued(), "\n",
                  "# HELP vouch_attestations_revoked_total Status changes since start.\n"
                  "# TYPE vouch_attestations_revoked_total counter\n"
                  "vouch_attestations_revoked_total{status=\"revoked\"} ",
                  issuer_.revoked(), "\n",
                  "vouch_attestations_revoked_total{status=\"suspended\"} ", issuer_.suspended(),
                  "\n");
  absl::StrAppend(&out,
                  "# HELP vouch_grpc_calls_failed_total Finished gRPC calls by non-OK code.\n"
                  "# TYPE vouch_grpc_calls_failed_total counter\n");
  for (int i = 1; i < CallCounter::kCodes; ++i) {
    absl::StrAppend(&out, "vouch_grpc_calls_failed_total{code=\"", kCodeNames[i], "\"} ",
                    calls_.count(static_cast<grpc::StatusCode>(i)), "\n");
  }
  return out;
}

}  // namespace vouch::verifier::server
