#include "pipeline/attest_adapter.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "attest/issuer.h"
#include "attest/status_list.h"
#include "base/status_macros.h"
#include "rpc/errors.h"

namespace vouch::verifier::pipeline {
namespace {

// Signed lists are reused for ttl / 2, within these bounds.
constexpr absl::Duration kMinListRefresh = absl::Seconds(1);
constexpr absl::Duration kMaxListRefresh = absl::Minutes(5);

// Status entries from the Store: unique across every replica sharing it.
class StoreStatusAllocator final : public attest::StatusAllocator {
 public:
  StoreStatusAllocator(std::string list_prefix, int64_t list_size, storage::Store& store)
      : list_prefix_(std::move(list_prefix)), list_size_(list_size), store_(store) {}

  absl::StatusOr<attest::StatusReference> AllocateStatus(absl::string_view) override {
    VOUCH_ASSIGN_OR_RETURN(storage::StatusAllocation entry, store_.AllocateStatusEntry(list_size_));
    return attest::StatusReference{absl::StrCat(list_prefix_, entry.list_number),
                                   static_cast<uint32_t>(entry.index)};
  }

 private:
  const std::string list_prefix_;
  const int64_t list_size_;
  storage::Store& store_;
};

class AttestIssuer final : public AttestationIssuer {
 public:
  AttestIssuer(AttestIssuerOptions options, const attest::KeySet& keys, storage::Store& store,
               std::unique_ptr<StoreStatusAllocator> allocator,
               std::unique_ptr<attest::Issuer> issuer, Clock& clock)
      : options_(std::move(options)),
        list_prefix_(absl::StrCat(options_.issuer_url, "/status/")),
        refresh_(std::clamp(options_.status_list_ttl / 2, kMinListRefresh, kMaxListRefresh)),
        keys_(keys),
        store_(store),
        allocator_(std::move(allocator)),
        issuer_(std::move(issuer)),
        clock_(clock) {}

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
    options.service_id =
        wallet ? (r.relying_service.empty() ? "wallet" : r.relying_service) : r.audience;
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
      out.status_list_uri = std::move(issued.status_uri);
      out.status_list_index = *issued.status_idx;
    }
    return out;
  }

  absl::StatusOr<std::string> Jwks() override { return keys_.JwksJson(); }

  absl::StatusOr<std::string> IssuerMetadata() override {
    return attest::KeySet::IssuerMetadataJson(options_.issuer_url,
                                              absl::StrCat(options_.issuer_url, "/jwks.json"));
  }

  // "" is the open list (the one new credentials go to).
  absl::StatusOr<std::string> StatusList(const std::string& uri) override {
    const absl::Time now = clock_.Now();
    absl::MutexLock lock(&mu_);
    VOUCH_ASSIGN_OR_RETURN(const std::vector<storage::StatusListInfo>* lists, ListsLocked(now));
    int64_t number = lists->empty() ? 1 : lists->back().list_number;
    if (!uri.empty() && !ListNumber(uri, &number)) return UnknownList();
    auto cached = signed_.find(number);
    if (cached != signed_.end() && now < cached->second.fetched + refresh_) {
      return cached->second.token;
    }
    int64_t size = options_.status_list_size;  // List 1 before any issuance.
    const auto info = std::find_if(
        lists->begin(), lists->end(),
        [number](const storage::StatusListInfo& l) { return l.list_number == number; });
    if (info != lists->end()) {
      size = info->size;
    } else if (number != 1 || !lists->empty()) {
      return UnknownList();
    }
    VOUCH_ASSIGN_OR_RETURN(std::string token, SignLocked(number, size, now));
    signed_[number] = Signed{token, now};
    return token;
  }

  // The Store holds the status (the service wrote it); this replica drops
  // its signed copy so it serves the change at once.
  absl::StatusOr<bool> Revoke(const std::string& attestation_id, bool) override {
    VOUCH_ASSIGN_OR_RETURN(storage::AttestationRecord record,
                           store_.GetAttestation(attestation_id));
    int64_t number = 0;
    if (record.status_list_uri.empty() || !ListNumber(record.status_list_uri, &number)) {
      return absl::NotFoundError("attestation has no status list entry");
    }
    absl::MutexLock lock(&mu_);
    signed_.erase(number);
    return true;
  }

 private:
  struct Signed {
    std::string token;
    absl::Time fetched;
  };

  static absl::Status UnknownList() {
    return rpc::WithReason(absl::NotFoundError("unknown status list"), "UNKNOWN_STATUS_LIST");
  }

  // <issuer_url>/status/N → N (1 .. 999999999, no leading zero).
  bool ListNumber(absl::string_view uri, int64_t* number) const {
    if (!absl::ConsumePrefix(&uri, list_prefix_) || uri.empty() || uri.size() > 9 ||
        uri[0] == '0' || uri.find_first_not_of("0123456789") != absl::string_view::npos) {
      return false;
    }
    return absl::SimpleAtoi(uri, number);
  }

  absl::StatusOr<const std::vector<storage::StatusListInfo>*> ListsLocked(absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (now >= lists_fetched_ + refresh_) {
      VOUCH_ASSIGN_OR_RETURN(lists_, store_.ListStatusLists());
      lists_fetched_ = now;
    }
    return &lists_;
  }

  absl::StatusOr<std::string> SignLocked(int64_t number, int64_t size, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::string uri = absl::StrCat(list_prefix_, number);
    VOUCH_ASSIGN_OR_RETURN(std::vector<storage::AttestationRecord> entries,
                           store_.ListStatusEntries(uri));
    attest::StatusListState state;
    state.uri = uri;
    state.bits = 2;
    state.capacity = static_cast<uint32_t>(size);
    for (const storage::AttestationRecord& a : entries) {
      state.entries[a.attestation_id] = attest::StatusListEntry{
          static_cast<uint32_t>(a.status_list_index), static_cast<attest::TokenStatus>(a.status)};
    }
    VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<attest::StatusList> list,
                           attest::StatusList::Restore(std::move(state)));
    return list->SignToken(keys_, absl::ToUnixSeconds(now),
                           absl::ToInt64Seconds(options_.status_list_validity),
                           absl::ToInt64Seconds(options_.status_list_ttl));
  }

  const AttestIssuerOptions options_;
  const std::string list_prefix_;
  const absl::Duration refresh_;
  const attest::KeySet& keys_;
  storage::Store& store_;
  const std::unique_ptr<StoreStatusAllocator> allocator_;
  const std::unique_ptr<attest::Issuer> issuer_;
  Clock& clock_;
  absl::Mutex mu_;
  std::vector<storage::StatusListInfo> lists_ ABSL_GUARDED_BY(mu_);
  absl::Time lists_fetched_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::map<int64_t, Signed> signed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<AttestationIssuer>> NewAttestIssuer(AttestIssuerOptions options,
                                                                   const attest::KeySet& keys,
                                                                   storage::Store& store,
                                                                   Clock& clock) {
  if (options.status_list_size < storage::kMinStatusListSize ||
      options.status_list_size > storage::kMaxStatusListSize || options.status_list_size % 8 != 0) {
    return absl::InvalidArgumentError("status list size must be a multiple of 8 in 8 .. 2^24");
  }
  if (options.status_list_ttl <= absl::ZeroDuration() ||
      options.status_list_validity <= options.status_list_ttl) {
    return absl::InvalidArgumentError("status list ttl must be positive and below its validity");
  }
  auto allocator = std::make_unique<StoreStatusAllocator>(
      absl::StrCat(options.issuer_url, "/status/"), options.status_list_size, store);
  attest::IssuerConfig config;
  config.issuer = options.issuer_url;
  if (!options.vct.empty()) config.vct = options.vct;
  config.pairwise_secret = options.pairwise_secret.Clone();
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<attest::Issuer> issuer,
                         attest::Issuer::Create(std::move(config), keys, allocator.get()));
  return std::unique_ptr<AttestationIssuer>(new AttestIssuer(
      std::move(options), keys, store, std::move(allocator), std::move(issuer), clock));
}

absl::StatusOr<SecureBytes> LoadOrCreatePairwiseSecret(const std::string& path) {
  constexpr size_t kSize = 32;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    SecureBytes secret(kSize);
    if (RAND_bytes(secret.data(), kSize) != 1) return absl::InternalError("RAND_bytes failed");
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", path));
    const bool ok =
        ::write(fd, secret.data(), kSize) == static_cast<ssize_t>(kSize) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return absl::InternalError(absl::StrCat("cannot write ", path));
    return secret;
  }
  if ((st.st_mode & 077) != 0 || st.st_size != static_cast<off_t>(kSize)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " must be 32 bytes, mode 0600"));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot read ", path));
  SecureBytes secret(kSize);
  const bool ok = ::read(fd, secret.data(), kSize) == static_cast<ssize_t>(kSize);
  ::close(fd);
  if (!ok) return absl::InternalError(absl::StrCat("cannot read ", path));
  return secret;
}

}  // namespace vouch::verifier::pipeline
