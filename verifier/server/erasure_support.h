#ifndef VOUCH_VERIFIER_SERVER_ERASURE_SUPPORT_H_
#define VOUCH_VERIFIER_SERVER_ERASURE_SUPPORT_H_

// What Admin.Erase needs beyond the Store (docs/erasure.md): the
// Telegram user's keyed hashes (dedup keys), the issuer's status list, and
// the receipt's signature (the attestation key set). vouchd builds it.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "attest/key_set.h"
#include "audit/admin_service.h"
#include "dedup/keyed_hash.h"
#include "pipeline/attestation_issuer.h"

namespace vouch::verifier::server {

class VouchdErasureSupport final : public audit::ErasureSupport {
 public:
  // Not owned (but `dedup_keys`); all must outlive this.
  VouchdErasureSupport(std::shared_ptr<const dedup::DedupKeyring> dedup_keys,
                       pipeline::AttestationIssuer& issuer, const attest::KeySet& attest_keys,
                       std::string issuer_url)
      : dedup_keys_(std::move(dedup_keys)),
        issuer_(issuer),
        attest_keys_(attest_keys),
        issuer_url_(std::move(issuer_url)) {}

  std::vector<std::string> UserHashes(int64_t telegram_user_id,
                                      const std::string& relying_service) const override;
  void Revoked(const std::string& attestation_id) override;
  absl::StatusOr<std::pair<std::string, std::string>> SignReceipt(
      const std::string& claims_json) override;

 private:
  const std::shared_ptr<const dedup::DedupKeyring> dedup_keys_;
  pipeline::AttestationIssuer& issuer_;
  const attest::KeySet& attest_keys_;
  const std::string issuer_url_;
};

}  // namespace vouch::verifier::server

#endif  // VOUCH_VERIFIER_SERVER_ERASURE_SUPPORT_H_
