#include "pipeline/attest_adapter.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "attest/issuer.h"
#include "attest/status_list.h"
#include "base/status_macros.h"
#include "pipeline/errors.h"

namespace vouch::verifier {
namespace {

constexpr uint32_t kStatusListCapacity = 1 << 17;

class AttestIssuer final : public AttestationIssuer {
 public:
  AttestIssuer(AttestIssuerOptions options, const attest::KeySet& keys,
               std::unique_ptr<attest::StatusList> list, std::unique_ptr<attest::Issuer> issuer,
               Clock& clock)
      : options_(std::move(options)), keys_(keys), list_(std::move(list)),
        issuer_(std::move(issuer)), clock_(clock) {}

  absl::StatusOr<IssuedAttestation> Issue(const AttestationRequest& r) override {
    attest::CredentialClaims claims;
    claims.telegram_user_id = absl::StrCat(r.telegram_user_id);
    claims.document_verified = r.claims.document_verified;
    for (int age : r.claims.age_equal_or_over) claims.age_equal_or_over[age] = true;
    claims.nationalities = r.claims.nationalities;
    if (r.claims.include_verification) {
      attest::CredentialClaims::Verification v;
      v.assurance_level = "substantial";
      v.time = absl::ToUnixSeconds(r.claims.verification_time);
      v.evidence.document_type = r.claims.document_type;
      v.evidence.issuing_country = r.claims.issuing_country;
      v.evidence.checks_passed = r.claims.checks_passed;
      claims.verification = std::move(v);
    }
    claims.birthdate = r.claims.birthdate;
    claims.given_name = r.claims.given_name;
    claims.family_name = r.claims.family_name;
    attest::IssueOptions options;
    const bool wallet = !r.holder_jwk_json.empty();
    // Direct mode: the audience is the service (attest's plaintext aud and
    // pairwise sub); wallet mode: the calling service names the subject.
    options.service_id = wallet ? (r.relying_service.empty() ? "wallet" : r.relying_service)
                                : r.audience;
    if (wallet) options.holder_jwk_json = r.holder_jwk_json;
    options.lifetime_seconds = absl::ToInt64Seconds(r.lifetime);
    options.now = absl::ToUnixSeconds(clock_.Now());
    VOUCH_ASSIGN_OR_RETURN(attest::IssuedCredential issued, issuer_->Issue(claims, options));
    VOUCH_ASSIGN_OR_RETURN(attest::KeyInfo active, keys_.Active());
    IssuedAttestation out;
    out.attestation_id = issued.credential_id;
    out.sd_jwt = std::move(issued.token);
    out.kid = active.kid;
    out.expire_time = absl::FromUnixSeconds(issued.expires_at);
    if (issued.status_idx.has_value()) {
      out.status_list_uri = list_->uri();
      out.status_list_index = *issued.status_idx;
    }
    return out;
  }

  absl::StatusOr<std::string> Jwks() override { return keys_.JwksJson(); }

  absl::StatusOr<std::string> IssuerMetadata() override {
    return attest::KeySet::IssuerMetadataJson(options_.issuer_url,
                                              absl::StrCat(options_.issuer_url, "/jwks.json"));
  }

  absl::StatusOr<std::string> StatusList(const std::string& uri) override {
    if (!uri.empty() && uri != list_->uri()) {
      return WithReason(absl::NotFoundError("unknown status list"), "UNKNOWN_STATUS_LIST");
    }
    return list_->SignToken(keys_, absl::ToUnixSeconds(clock_.Now()),
                            absl::ToInt64Seconds(options_.status_list_validity),
                            absl::ToInt64Seconds(options_.status_list_ttl));
  }

  absl::StatusOr<bool> Revoke(const std::string& attestation_id, bool suspend) override {
    const attest::StatusListState state = list_->State();
    auto it = state.entries.find(attestation_id);
    if (it == state.entries.end()) {
      return absl::NotFoundError("attestation has no status list entry");
    }
    const attest::TokenStatus wanted =
        suspend ? attest::TokenStatus::kSuspended : attest::TokenStatus::kInvalid;
    if (it->second.status == wanted) return false;
    VOUCH_RETURN_IF_ERROR(list_->SetStatus(attestation_id, wanted));
    return true;
  }

 private:
  const AttestIssuerOptions options_;
  const attest::KeySet& keys_;
  std::unique_ptr<attest::StatusList> list_;
  std::unique_ptr<attest::Issuer> issuer_;
  Clock& clock_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AttestationIssuer>> NewAttestIssuer(
    AttestIssuerOptions options, const attest::KeySet& keys, Store& store, Clock& clock) {
  if (options.status_list_uri.empty()) {
    options.status_list_uri = absl::StrCat(options.issuer_url, "/status/1");
  }
  // Rebuild the list from the Store: every wallet-mode credential has a row.
  VOUCH_ASSIGN_OR_RETURN(std::vector<AttestationRecord> entries,
                         store.ListStatusEntries(options.status_list_uri));
  attest::StatusListState state;
  state.uri = options.status_list_uri;
  state.bits = 2;
  state.capacity = kStatusListCapacity;
  for (const AttestationRecord& a : entries) {
    state.entries[a.attestation_id] = attest::StatusListEntry{
        static_cast<uint32_t>(a.status_list_index), static_cast<attest::TokenStatus>(a.status)};
  }
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<attest::StatusList> list,
                         attest::StatusList::Restore(std::move(state)));
  attest::IssuerConfig config;
  config.issuer = options.issuer_url;
  if (!options.vct.empty()) config.vct = options.vct;
  config.pairwise_secret = options.pairwise_secret.Clone();
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<attest::Issuer> issuer,
                         attest::Issuer::Create(std::move(config), keys, list.get()));
  return std::unique_ptr<AttestationIssuer>(
      new AttestIssuer(std::move(options), keys, std::move(list), std::move(issuer), clock));
}

absl::StatusOr<SecureBytes> LoadOrCreatePairwiseSecret(const std::string& path) {
  constexpr size_t kSize = 32;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    SecureBytes secret(kSize);
    if (RAND_bytes(secret.data(), kSize) != 1) return absl::InternalError("RAND_bytes failed");
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", path));
    const bool ok = ::write(fd, secret.data(), kSize) == static_cast<ssize_t>(kSize) &&
                    ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return absl::InternalError(absl::StrCat("cannot write ", path));
    return secret;
  }
  if ((st.st_mode & 077) != 0 || st.st_size != static_cast<off_t>(kSize)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " must be 32 bytes, mode 0600"));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot read ", path));
  SecureBytes secret(kSize);
  const bool ok = ::read(fd, secret.data(), kSize) == static_cast<ssize_t>(kSize);
  ::close(fd);
  if (!ok) return absl::InternalError(absl::StrCat("cannot read ", path));
  return secret;
}

}  // namespace vouch::verifier
