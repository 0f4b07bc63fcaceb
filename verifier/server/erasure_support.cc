#include "erasure_support.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "attest/verify.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace vouch::verifier::server {

// audit names the receipt's typ without seeing attest: the two agree.
static_assert(std::string_view(audit::kErasureReceiptType) == attest::kErasureReceiptType);

std::vector<std::string> VouchdErasureSupport::UserHashes(
    int64_t telegram_user_id, const std::string& relying_service) const {
  // The scopes of docs/dedup.md: one relying service's, or the provider's.
  const std::string scopes[] = {absl::StrCat("service:", relying_service), "provider"};
  std::vector<std::string> hashes;
  for (const dedup::DedupKey& key : dedup_keys_->keys()) {
    for (const std::string& scope : scopes) {
      hashes.push_back(dedup::TelegramUserHash(key, scope, telegram_user_id));
    }
  }
  return hashes;
}

void VouchdErasureSupport::Revoked(const std::string& attestation_id) {
  absl::StatusOr<bool> mirrored = issuer_.Revoke(attestation_id, /*suspend=*/false);
  if (!mirrored.ok() && !absl::IsNotFound(mirrored.status())) {
    spdlog::error("status list not updated after an erasure attestation={} code={}", attestation_id,
                  absl::StatusCodeToString(mirrored.status().code()));
  }
}

absl::StatusOr<std::pair<std::string, std::string>> VouchdErasureSupport::SignReceipt(
    const std::string& claims_json) {
  nlohmann::json claims = nlohmann::json::parse(claims_json, nullptr, false);
  if (!claims.is_object()) return absl::InternalError("receipt claims are not a JSON object");
  claims["iss"] = issuer_url_;
  std::string payload = claims.dump();
  absl::StatusOr<std::string> jws = attest_keys_.SignJwt(audit::kErasureReceiptType, payload);
  if (!jws.ok()) return jws.status();
  return std::make_pair(*std::move(jws), std::move(payload));
}

}  // namespace vouch::verifier::server
