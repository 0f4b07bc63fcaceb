#include "service/metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vouch::verifier::service {
namespace {

// Seconds; covers a fast cached answer up to a slow OCR pass.
constexpr double kBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
constexpr size_t kBucketCount = sizeof(kBuckets) / sizeof(kBuckets[0]);

}  // namespace

void Metrics::CountVerification(absl::string_view decision) {
  absl::MutexLock lock(&mu_);
  ++verifications_[std::string(decision)];
}

void Metrics::CountError(absl::string_view code) {
  absl::MutexLock lock(&mu_);
  ++errors_[std::string(code)];
}

void Metrics::CountRejected(absl::string_view reason) {
  absl::MutexLock lock(&mu_);
  ++rejected_[std::string(reason)];
}

void Metrics::Observe(Histogram& h, absl::Duration d) {
  if (h.buckets.empty()) h.buckets.assign(kBucketCount, 0);
  const double s = absl::ToDoubleSeconds(d);
  for (size_t i = 0; i < kBucketCount; ++i) {
    if (s <= kBuckets[i]) {
      ++h.buckets[i];
      break;
    }
  }
  h.sum += s;
  ++h.count;
}

void Metrics::ObserveStage(absl::string_view stage, absl::Duration d) {
  absl::MutexLock lock(&mu_);
  Observe(stages_[std::string(stage)], d);
}

void Metrics::ObserveVerification(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  Observe(total_, d);
}

void Metrics::SetGauges(std::function<void(std::map<std::string, double>&)> read) {
  absl::MutexLock lock(&mu_);
  gauges_ = std::move(read);
}

void Metrics::RenderHistogram(std::string& out, absl::string_view name, absl::string_view labels,
                              const Histogram& h) {
  uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i < kBucketCount; ++i) {
    cumulative += h.buckets.empty() ? 0 : h.buckets[i];
    absl::StrAppend(&out, name, "_bucket{", labels, sep, "le=\"", kBuckets[i], "\"} ", cumulative,
                    "\n");
  }
  const std::string braces = labels.empty() ? "" : absl::StrCat("{", labels, "}");
  absl::StrAppend(&out, name, "_bucket{", labels, sep, "le=\"+Inf\"} ", h.count, "\n");
  absl::StrAppend(&out, name, "_sum", braces, " ", absl::StrFormat("%.6f", h.sum), "\n");
  absl::StrAppend(&out, name, "_count", braces, " ", h.count, "\n");
}

std::string Metrics::Render() const {
  absl::MutexLock lock(&mu_);
  std::string out;
  const auto counter = [&](absl::string_view name, absl::string_view help, absl::string_view label,
                           const std::map<std::string, uint64_t>& values) {
    absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n");
    for (const auto& [k, v] : values) {
      absl::StrAppend(&out, name, "{", label, "=\"", k, "\"} ", v, "\n");
    }
  };
  counter("vouch_verifications_total", "Completed verifications by decision.", "decision",
          verifications_);
  counter("vouch_verification_errors_total", "Verifications that could not complete, by code.",
          "code", errors_);
  counter("vouch_rpc_rejected_total", "Calls refused before any work, by reason.", "reason",
          rejected_);
  absl::StrAppend(&out, "# HELP vouch_stage_seconds Time per pipeline stage.\n",
                  "# TYPE vouch_stage_seconds histogram\n");
  for (const auto& [stage, h] : stages_) {
    RenderHistogram(out, "vouch_stage_seconds", absl::StrCat("stage=\"", stage, "\""), h);
  }
  absl::StrAppend(&out, "# HELP vouch_verification_seconds Time of a whole verification.\n",
                  "# TYPE vouch_verification_seconds histogram\n");
  RenderHistogram(out, "vouch_verification_seconds", "", total_);
  if (gauges_) {
    std::map<std::string, double> values;
    gauges_(values);
    for (const auto& [name, v] : values) {
      // %.15g: exact for integers such as Unix times (StrAppend keeps 6 digits).
      absl::StrAppend(&out, "# TYPE ", name, " gauge\n", name, " ", absl::StrFormat("%.15g", v),
                      "\n");
    }
  }
  return out;
}

}  // namespace vouch::verifier::service
