#ifndef VOUCH_VERIFIER_PIPELINE_ATTEST_ADAPTER_H_
#define VOUCH_VERIFIER_PIPELINE_ATTEST_ADAPTER_H_

// AttestationIssuer over attest's Issuer, KeySet and StatusList. The status
// list lives in the Store (one row per wallet-mode credential); the adapter
// rebuilds its in-memory StatusList from there at start and keeps both in
// step on Issue (the pipeline records the entry) and Revoke.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "attest/key_set.h"
#include "base/secure_bytes.h"
#include "pipeline/attestation_issuer.h"
#include "pipeline/clock.h"
#include "storage/store.h"

namespace vouch::verifier {

struct AttestIssuerOptions {
  std::string issuer_url;  // https URL: iss, and the base of the URIs below.
  std::string vct;         // The credential type (empty: attest's default).
  // The status list's URI (default <issuer_url>/status/1).
  std::string status_list_uri;
  // Secret for pairwise subjects (>= 32 bytes).
  SecureBytes pairwise_secret;
  // statuslist+jwt validity and ttl.
  absl::Duration status_list_validity = absl::Hours(24);
  absl::Duration status_list_ttl = absl::Hours(1);
};

// `keys`, `store` and `clock` are not owned and must outlive the issuer.
// Errors: kInvalidArgument for bad options; the Store's errors.
absl::StatusOr<std::unique_ptr<AttestationIssuer>> NewAttestIssuer(
    AttestIssuerOptions options, const attest::KeySet& keys, Store& store, Clock& clock);

// Loads <path> (32 bytes, 0600) or creates it with RAND_bytes.
// Errors: kFailedPrecondition for a file of the wrong size or mode.
absl::StatusOr<SecureBytes> LoadOrCreatePairwiseSecret(const std::string& path);

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_PIPELINE_ATTEST_ADAPTER_H_
