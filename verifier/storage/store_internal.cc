#include "store_internal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cassert>
#include <limits>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/hex_digest.h"

namespace vouch::verifier::storage::internal {

std::string ZeroHash() { return std::string(64, '0'); }

absl::Status ValidateNew(const NewVerification& v) {
  const VerificationRecord& r = v.record;
  if (r.id.empty() || r.id.size() > 64) {
    return absl::InvalidArgumentError("verification id must be 1..64 bytes");
  }
  if (r.idempotency_key.size() > 128 || r.relying_service.size() > 256) {
    return absl::InvalidArgumentError("idempotency key or relying service too long");
  }
  if (r.state != VerificationState::kPending && r.state != VerificationState::kRunning) {
    return absl::InvalidArgumentError("a new verification is pending or running");
  }
  if (v.job_payload.has_value() && r.state != VerificationState::kPending) {
    return absl::InvalidArgumentError("a verification with a job starts pending");
  }
  return absl::OkStatus();
}

namespace {

bool IsReasonCode(absl::string_view reason) {
  if (reason.empty() || reason.size() > kMaxReasonBytes) return false;
  return std::all_of(reason.begin(), reason.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

absl::Status ValidateCase(const ReviewCase& c, absl::string_view id, VerificationState state) {
  if (c.verification_id != id) {
    return absl::InvalidArgumentError("review case is for another verification");
  }
  if (state != VerificationState::kCompleted) {
    return absl::InvalidArgumentError("a review case needs a completed verification");
  }
  if (c.sealed.empty() || c.sealed.size() > kMaxSealedBytes) {
    return absl::InvalidArgumentError("sealed case must be 1 byte..64 MiB");
  }
  if (c.key_id.empty() || c.key_id.size() > kMaxIdBytes || c.policy.size() > kMaxIdBytes ||
      c.relying_service.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError("case key id, policy or relying service size out of range");
  }
  if (c.reasons.size() > kMaxReasons) return absl::InvalidArgumentError("too many reasons");
  for (const std::string& reason : c.reasons) {
    if (!IsReasonCode(reason)) {
      return absl::InvalidArgumentError("a reason is 1..128 printable ASCII bytes, no spaces");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateFilter(const CaseFilter& f) {
  if (f.limit < 1 || f.limit > 1000) return absl::InvalidArgumentError("limit must be 1..1000");
  if (f.policy.size() > kMaxIdBytes || f.reason.size() > kMaxReasonBytes ||
      f.relying_service.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError("filter field too long");
  }
  return absl::OkStatus();
}

absl::Status ValidateExpiredLimit(int limit) {
  if (limit < 1 || limit > 1000) return absl::InvalidArgumentError("limit must be 1..1000");
  return absl::OkStatus();
}

absl::Status ValidateClaim(const ClaimCaseRequest& r) {
  if (r.operator_id.empty() || r.operator_id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError("operator id must be 1..256 bytes");
  }
  if (r.case_id.size() > 64) return absl::InvalidArgumentError("case id too long");
  if (r.lease <= absl::ZeroDuration() || r.lease > absl::Hours(24)) {
    return absl::InvalidArgumentError("lease must be positive and at most 24 h");
  }
  if (r.filter.policy.size() > kMaxIdBytes || r.filter.reason.size() > kMaxReasonBytes ||
      r.filter.relying_service.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError("filter field too long");
  }
  return absl::OkStatus();
}

absl::Status ValidateLeaseToken(absl::string_view lease_token) {
  if (lease_token.empty() || lease_token.size() > 64) {
    return absl::FailedPreconditionError("no claim with this lease token");
  }
  return absl::OkStatus();
}

absl::Status ValidateEscalation(absl::string_view first_decision,
                                absl::string_view first_operator) {
  if (first_operator.empty() || first_operator.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError("first operator must be 1..256 bytes");
  }
  if (first_decision.size() > kMaxDecisionBytes) {
    return absl::InvalidArgumentError("first decision too long");
  }
  return absl::OkStatus();
}

absl::Status ValidateRekey(absl::string_view sealed, absl::string_view key_id) {
  if (sealed.empty() || sealed.size() > kMaxSealedBytes) {
    return absl::InvalidArgumentError("sealed case must be 1 byte..64 MiB");
  }
  if (key_id.empty() || key_id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError("key id must be 1..256 bytes");
  }
  return absl::OkStatus();
}

ReviewCase NewCase(const ReviewCase& c) {
  ReviewCase out = c;
  out.stage = CaseStage::kFirstReview;
  out.claimed_by.clear();
  out.lease_token.clear();
  out.lease_expiry = absl::InfinitePast();
  out.first_decision.clear();
  out.first_operator.clear();
  return out;
}

ReviewCase ForListing(ReviewCase c, absl::Time now) {
  c.sealed.clear();
  c.lease_token.clear();
  if (c.lease_expiry <= now) {
    c.claimed_by.clear();
    c.lease_expiry = absl::InfinitePast();
  }
  return c;
}

void WipeString(std::string& s) { OPENSSL_cleanse(s.data(), s.size()); }

absl::Status ValidateAudit(const AuditEvent& e) {
  if (e.actor.empty() || e.actor.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError("audit actor must be 1..256 bytes");
  }
  if (e.action.empty() || e.action.size() > 64) {
    return absl::InvalidArgumentError("audit action must be 1..64 bytes");
  }
  if (e.verification_id.size() > 64 || e.detail.size() > kMaxAuditDetailBytes) {
    return absl::InvalidArgumentError("audit verification id or detail too long");
  }
  return absl::OkStatus();
}

absl::Status ValidateAuditQuery(int64_t after_seq, int limit) {
  if (after_seq < 0) return absl::InvalidArgumentError("after_seq must be >= 0");
  if (limit < 1 || limit > 10000) return absl::InvalidArgumentError("limit must be 1..10000");
  return absl::OkStatus();
}

std::string JoinReasons(const std::vector<std::string>& reasons) {
  return absl::StrJoin(reasons, "\n");
}

std::vector<std::string> SplitReasons(absl::string_view joined) {
  if (joined.empty()) return {};
  return absl::StrSplit(joined, '\n');
}

int64_t Micros(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixMicros(t);
}

absl::Time FromMicros(int64_t us) {
  if (us == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  if (us == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  return absl::FromUnixMicros(us);
}

absl::Status CheckClaimable(const ReviewCase& c, const ClaimCaseRequest& r, bool by_id) {
  if (c.stage == CaseStage::kDecided) return absl::FailedPreconditionError("case is decided");
  const bool live = !c.claimed_by.empty() && c.lease_expiry > r.now;
  if (live && (!by_id || c.claimed_by != r.operator_id)) {
    return absl::FailedPreconditionError("case is claimed by another operator");
  }
  if (c.stage == CaseStage::kSecondReview) {
    if (!r.senior) return absl::FailedPreconditionError("case waits for a senior reviewer");
    if (c.first_operator == r.operator_id) {
      return absl::FailedPreconditionError("four-eyes: the first reviewer cannot confirm");
    }
  }
  return absl::OkStatus();
}

bool MatchesFilter(const ReviewCase& c, const CaseFilter& f) {
  if (f.stage.has_value() ? c.stage != *f.stage : c.stage == CaseStage::kDecided) return false;
  if (!f.policy.empty() && c.policy != f.policy) return false;
  if (!f.relying_service.empty() && c.relying_service != f.relying_service) return false;
  if (!f.reason.empty() &&
      std::find(c.reasons.begin(), c.reasons.end(), f.reason) == c.reasons.end()) {
    return false;
  }
  return c.create_time < f.created_before && c.create_time > f.created_after;
}

absl::Status CheckLease(const ReviewCase& c, absl::string_view lease_token, absl::Time now) {
  VOUCH_RETURN_IF_ERROR(ValidateLeaseToken(lease_token));
  if (c.lease_token != lease_token) {
    return absl::FailedPreconditionError("no claim with this lease token");
  }
  if (c.lease_expiry <= now) return absl::FailedPreconditionError("the claim has expired");
  return absl::OkStatus();
}

std::string NewLeaseToken() { return RandomHex(16); }

// --- Status lists shared by replicas (#14) ---------------------------------

namespace {

constexpr int kFeistelRounds = 4;
constexpr size_t kStatusListKeyBytes = 32;

// One Feistel encryption of x over 2 * half_bits bits.
uint64_t FeistelEncrypt(absl::string_view key, int half_bits, uint64_t x) {
  const uint64_t mask = (uint64_t{1} << half_bits) - 1;
  uint64_t left = x >> half_bits, right = x & mask;
  for (int round = 0; round < kFeistelRounds; ++round) {
    unsigned char input[9];
    input[0] = static_cast<unsigned char>(round);
    for (int i = 0; i < 8; ++i) input[1 + i] = static_cast<unsigned char>(right >> (8 * i));
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), input,
                  sizeof(input), mac, sizeof(mac), &mac_len) == nullptr) {
      std::abort();  // HMAC-SHA256 unavailable: the provider is broken.
    }
    uint64_t f = 0;
    for (int i = 0; i < 8; ++i) f |= uint64_t{mac[i]} << (8 * i);
    const uint64_t next = left ^ (f & mask);
    left = right;
    right = next;
  }
  return (left << half_bits) | right;
}

}  // namespace

int64_t PermutedStatusIndex(absl::string_view key, int64_t size, int64_t position) {
  assert(size >= kMinStatusListSize && size <= kMaxStatusListSize);
  assert(position >= 0 && position < size);
  int bits = 1;
  while ((int64_t{1} << bits) < size) ++bits;
  if (bits % 2 != 0) ++bits;
  // Cycle walking: re-encrypt until the value falls inside [0, size).
  uint64_t x = static_cast<uint64_t>(position);
  do {
    x = FeistelEncrypt(key, bits / 2, x);
  } while (x >= static_cast<uint64_t>(size));
  return static_cast<int64_t>(x);
}

std::string NewStatusListKey() {
  std::string key(kStatusListKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), key.size()) != 1) {
    std::abort();  // No entropy: unsafe to go on.
  }
  return key;
}

absl::Status ValidateStatusListSize(int64_t list_size) {
  if (list_size < kMinStatusListSize || list_size > kMaxStatusListSize || list_size % 8 != 0) {
    return absl::InvalidArgumentError("status list size must be a multiple of 8 in 8 .. 2^24");
  }
  return absl::OkStatus();
}

// --- end status lists --------------------------------------------------------

}  // namespace vouch::verifier::storage::internal

namespace vouch::verifier::storage {

bool IsTerminal(VerificationState state) {
  return state == VerificationState::kCompleted || state == VerificationState::kFailed;
}

namespace internal {

absl::Status ValidateBadgeRequest(const BadgeRequest& r) {
  if (r.verification_id.empty() || r.verification_id.size() > 64) {
    return absl::InvalidArgumentError("badge verification_id must be 1..64 bytes");
  }
  if (r.user_id <= 0) return absl::InvalidArgumentError("badge user_id must be positive");
  if (r.action != BadgeAction::kVerify && r.action != BadgeAction::kRemove) {
    return absl::InvalidArgumentError("unknown badge action");
  }
  if (r.custom_description.size() > 280) {
    return absl::InvalidArgumentError("badge custom_description over 280 bytes");
  }
  return absl::OkStatus();
}

absl::Status ValidateBadgeClaim(int max, absl::Duration lease) {
  if (max < 1 || max > 1000) return absl::InvalidArgumentError("badge claim max must be 1..1000");
  if (lease <= absl::ZeroDuration()) return absl::InvalidArgumentError("lease must be positive");
  return absl::OkStatus();
}

absl::Status ValidateBadgeAttempt(const BadgeItem& claimed, BadgeState outcome,
                                  absl::string_view error) {
  if (claimed.lease_token.empty()) return absl::FailedPreconditionError("badge item not claimed");
  if (outcome != BadgeState::kPending && outcome != BadgeState::kDone &&
      outcome != BadgeState::kFailed) {
    return absl::InvalidArgumentError("unknown badge state");
  }
  if (error.size() > 1024) return absl::InvalidArgumentError("badge error over 1 KiB");
  return absl::OkStatus();
}

}  // namespace internal

}  // namespace vouch::verifier::storage
