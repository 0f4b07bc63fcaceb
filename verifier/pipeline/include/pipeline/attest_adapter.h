#ifndef VOUCH_VERIFIER_PIPELINE_ATTEST_ADAPTER_H_
#define VOUCH_VERIFIER_PIPELINE_ATTEST_ADAPTER_H_

// AttestationIssuer over attest's Issuer and KeySet, with status lists kept
// in the Store so that every replica sharing it agrees: a wallet-mode
// credential's entry is reserved by Store::AllocateStatusEntry (unique across
// processes; list N is <issuer_url>/status/N, a new list opens when one is
// full), its status is the attestation row's (the pipeline records it; the
// service's Revoke writes it), and StatusList() signs what the Store holds.
// A signed list is reused for status_list_ttl / 2, so a revocation on any
// replica is served by all within that (at once by the replica that made it).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "attest/key_set.h"
#include "base/clock.h"
#include "base/secure_bytes.h"
#include "pipeline/attestation_issuer.h"
#include "storage/store.h"

namespace vouch::verifier::pipeline {

struct AttestIssuerOptions {
  std::string issuer_url;  // https URL: iss, and the base of the URIs below.
  std::string vct;         // The credential type (empty: attest's default).
  // Secret for pairwise subjects (>= 32 bytes).
  SecureBytes pairwise_secret;
  // Entries per status list (a multiple of 8 in 8 .. 2^24).
  int64_t status_list_size = 1 << 17;
  // statuslist+jwt validity and ttl.
  absl::Duration status_list_validity = absl::Hours(24);
  absl::Duration status_list_ttl = absl::Minutes(5);
};

// `keys`, `store` and `clock` are not owned and must outlive the issuer.
// Errors: kInvalidArgument for bad options; the Store's errors.
absl::StatusOr<std::unique_ptr<AttestationIssuer>> NewAttestIssuer(AttestIssuerOptions options,
                                                                   const attest::KeySet& keys,
                                                                   storage::Store& store,
                                                                   Clock& clock);

// Loads <path> (32 bytes, 0600) or creates it with RAND_bytes.
// Errors: kFailedPrecondition for a file of the wrong size or mode.
absl::StatusOr<SecureBytes> LoadOrCreatePairwiseSecret(const std::string& path);

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_ATTEST_ADAPTER_H_
