#ifndef VOUCH_VERIFIER_SERVER_OPERATIONAL_METRICS_H_
#define VOUCH_VERIFIER_SERVER_OPERATIONAL_METRICS_H_

// Metrics for operating vouchd, rendered beside service/metrics.h's on
// /metrics (Prometheus text format 0.0.4):
//   vouch_build_info{version,commit,build_type}     always 1
//   vouch_review_open_cases{policy,reason}          open review cases (one
//                                                   case counts under each of
//                                                   its reasons)
//   vouch_review_oldest_case_age_seconds            0 when the queue is empty
//   vouch_attestations_issued_total                 since start
//   vouch_attestations_revoked_total{status}        revoked, suspended
//   vouch_grpc_calls_failed_total{code}             finished calls by non-OK
//                                                   status code, so refused
//                                                   calls (UNAUTHENTICATED,
//                                                   PERMISSION_DENIED,
//                                                   RESOURCE_EXHAUSTED) show
// Labels hold only fixed vocabulary and policy names and reason codes from
// the config, never ids or personal data.

#include <grpcpp/support/server_interceptor.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "pipeline/attestation_issuer.h"
#include "storage/store.h"

namespace vouch::verifier::server {

// An AttestationIssuer that counts what the issuer it wraps issued and
// revoked. Thread-safe; `inner` is not owned and must outlive it.
class CountingIssuer final : public pipeline::AttestationIssuer {
 public:
  explicit CountingIssuer(pipeline::AttestationIssuer& inner) : inner_(inner) {}

  absl::StatusOr<pipeline::IssuedAttestation> Issue(
      const pipeline::AttestationRequest& request) override;
  absl::StatusOr<std::string> Jwks() override { return inner_.Jwks(); }
  absl::StatusOr<std::string> IssuerMetadata() override { return inner_.IssuerMetadata(); }
  absl::StatusOr<std::string> StatusList(const std::string& uri) override {
    return inner_.StatusList(uri);
  }
  absl::StatusOr<bool> Revoke(const std::string& attestation_id, bool suspend) override;
  // Wallet offers are made by the issuer it counts for.
  absl::StatusOr<v1::CredentialOffer> Offer(const pipeline::AttestationRequest& request,
                                            absl::string_view verification_id) override {
    return inner_.Offer(request, verification_id);
  }
  bool MakesOffers() const override { return inner_.MakesOffers(); }

  uint64_t issued() const { return issued_.load(); }
  uint64_t revoked() const { return revoked_.load(); }
  uint64_t suspended() const { return suspended_.load(); }

 private:
  pipeline::AttestationIssuer& inner_;
  std::atomic<uint64_t> issued_{0};
  std::atomic<uint64_t> revoked_{0};
  std::atomic<uint64_t> suspended_{0};
};

// Counts finished gRPC calls by status code. Thread-safe.
class CallCounter {
 public:
  static constexpr int kCodes = 17;  // grpc::StatusCode OK .. UNAUTHENTICATED.

  void Count(grpc::StatusCode code);
  uint64_t count(grpc::StatusCode code) const;

  // A server interceptor factory that counts every call's final status
  // here; `this` must outlive the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewInterceptorFactory();

 private:
  std::array<std::atomic<uint64_t>, kCodes> counts_{};
};

// Renders the metrics above. `store`, `issuer` and `calls` are not owned
// and must outlive it. Thread-safe (each render reads the Store).
class OperationalMetrics {
 public:
  OperationalMetrics(storage::Store& store, const CountingIssuer& issuer, const CallCounter& calls)
      : store_(store), issuer_(issuer), calls_(calls) {}

  // The text; a Store failure leaves the review metrics out and adds
  // vouch_metrics_store_errors 1.
  std::string Render(absl::Time now) const;

 private:
  storage::Store& store_;
  const CountingIssuer& issuer_;
  const CallCounter& calls_;
};

}  // namespace vouch::verifier::server

#endif  // VOUCH_VERIFIER_SERVER_OPERATIONAL_METRICS_H_
