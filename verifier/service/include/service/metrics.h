#ifndef VOUCH_VERIFIER_SERVICE_METRICS_H_
#define VOUCH_VERIFIER_SERVICE_METRICS_H_

// Prometheus text-format metrics of vouchd (exposition format 0.0.4):
//   vouch_verifications_total{decision}       completed verifications
//   vouch_verification_errors_total{code}     verifications that failed
//   vouch_rpc_rejected_total{reason}          calls refused (overload, ...)
//   vouch_stage_seconds{stage}                histogram per pipeline stage
//   vouch_verification_seconds                histogram, whole pipeline
//   vouch_queue_depth, vouch_in_flight, vouch_jobs_pending   gauges
// Labels hold only fixed vocabulary, never ids or personal data.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vouch::verifier::service {

// Thread-safe.
class Metrics {
 public:
  void CountVerification(absl::string_view decision);
  void CountError(absl::string_view code);
  void CountRejected(absl::string_view reason);
  void ObserveStage(absl::string_view stage, absl::Duration d);
  void ObserveVerification(absl::Duration d);
  // Gauges are read when rendering.
  void SetGauges(std::function<void(std::map<std::string, double>&)> read);

  std::string Render() const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // Cumulative at render time.
    double sum = 0;
    uint64_t count = 0;
  };
  static void Observe(Histogram& h, absl::Duration d);
  static void RenderHistogram(std::string& out, absl::string_view name, absl::string_view labels,
                              const Histogram& h);

  mutable absl::Mutex mu_;
  std::map<std::string, uint64_t> verifications_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> errors_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> rejected_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Histogram> stages_ ABSL_GUARDED_BY(mu_);
  Histogram total_ ABSL_GUARDED_BY(mu_);
  std::function<void(std::map<std::string, double>&)> gauges_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vouch::verifier::service

#endif  // VOUCH_VERIFIER_SERVICE_METRICS_H_
