#ifndef VOUCH_ATTEST_STATUS_LIST_H_
#define VOUCH_ATTEST_STATUS_LIST_H_

// IETF Token Status List (draft-ietf-oauth-status-list): one entry of 1 or 2
// bits per wallet-mode credential at a random index; revocation and
// suspension by credential id; published as a signed statuslist+jwt.
//
// Persistence: the whole state is the StatusListState value (plain struct).
// The service stores it (e.g. as the JSON of Serialize() in SQLite) after
// every change and rebuilds the list with StatusList::Restore().
//
// Thread-safety: StatusList methods are safe to call concurrently.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vouch::attest {

class KeySet;

// Status values (draft-ietf-oauth-status-list §7.1).
enum class TokenStatus : uint8_t { kValid = 0, kInvalid = 1, kSuspended = 2 };

struct StatusListEntry {
  uint32_t index = 0;
  TokenStatus status = TokenStatus::kValid;
};

// Everything a status list is. Serializable; no hidden state.
struct StatusListState {
  std::string uri;                                 // Where the statuslist+jwt is published.
  int bits = 2;                                    // 1 (valid/invalid) or 2 (adds suspended).
  uint32_t capacity = 1 << 17;                     // Entries; large to blur the index.
  std::map<std::string, StatusListEntry> entries;  // By credential id.

  // Stable JSON: {"uri","bits","capacity","entries":{id:[index,status]}}.
  std::string Serialize() const;
  // kInvalidArgument for bad JSON, bits, capacity or indexes.
  static absl::StatusOr<StatusListState> Deserialize(absl::string_view json);
};

// Where a wallet-mode credential's status entry is (status.status_list).
struct StatusReference {
  std::string uri;
  uint32_t idx = 0;
};

// Reserves status entries for the Issuer. StatusList is the in-process one;
// a service with several replicas allocates from its shared database.
// Implementations must be thread-safe.
class StatusAllocator {
 public:
  virtual ~StatusAllocator() = default;
  // A fresh entry for `credential_id` (status VALID).
  virtual absl::StatusOr<StatusReference> AllocateStatus(absl::string_view credential_id) = 0;
};

class StatusList final : public StatusAllocator {
 public:
  // A new, empty list. kInvalidArgument unless bits is 1 or 2, capacity is
  // in [8, 2^24] and a multiple of 8, and uri is non-empty.
  static absl::StatusOr<std::unique_ptr<StatusList>> Create(std::string uri, int bits,
                                                            uint32_t capacity);
  // Rebuilds from saved state. kInvalidArgument if inconsistent.
  static absl::StatusOr<std::unique_ptr<StatusList>> Restore(StatusListState state);

  ~StatusList() override;

  // Reserves a random unused index (CSPRNG) for `credential_id`, status
  // VALID. kAlreadyExists for a known id, kResourceExhausted when full.
  absl::StatusOr<uint32_t> Allocate(absl::string_view credential_id);
  // Allocate() with this list's uri.
  absl::StatusOr<StatusReference> AllocateStatus(absl::string_view credential_id) override;
  // kNotFound for an unknown id; kInvalidArgument for kSuspended on a 1-bit
  // list. Revocation is final: kFailedPrecondition to change a revoked one.
  absl::Status SetStatus(absl::string_view credential_id, TokenStatus status);
  absl::Status Revoke(absl::string_view credential_id) {
    return SetStatus(credential_id, TokenStatus::kInvalid);
  }
  absl::Status Suspend(absl::string_view credential_id) {
    return SetStatus(credential_id, TokenStatus::kSuspended);
  }

  std::string uri() const;
  int bits() const;
  StatusListState State() const;  // A snapshot to persist.

  // The signed statuslist+jwt: sub = uri, iat = now, exp = now + validity,
  // ttl, status_list {bits, lst = base64url(zlib(bytes, LSB first))}.
  absl::StatusOr<std::string> SignToken(const KeySet& keys, int64_t now, int64_t validity_seconds,
                                        int64_t ttl_seconds) const;

  struct Impl;

 private:
  explicit StatusList(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vouch::attest

#endif  // VOUCH_ATTEST_STATUS_LIST_H_
