#ifndef VOUCH_VERIFIER_REVIEW_CASE_SEALER_H_
#define VOUCH_VERIFIER_REVIEW_CASE_SEALER_H_

// Sealing of review cases: the decrypted submission a reviewer needs is
// serialized (vouch.v1.CaseContent) and sealed with AES-256-GCM under a
// storage key before it reaches the Store. The key ring holds one active key
// (sealing) and older ones (opening only); rotation adds a new active key and
// RekeyCases() re-seals every case sealed under an older one.
//
// Envelope: 0x01 || nonce (12 random bytes) || ciphertext || tag (16).
// AAD: "vouch.case.v1" 0x00 verification_id 0x00 key_id, so an envelope
// cannot be moved to another case or relabelled with another key.
//
// Key ids are derived from the key ("sk-" + 16 hex digits of SHA-256 over a
// label and the key), so keys given in the environment need no stored id.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/sealer.h"
#include "base/secure_bytes.h"
#include "storage/store.h"
#include "vouch/v1/review.pb.h"

namespace vouch::verifier::review {

inline constexpr size_t kStorageKeyBytes = 32;
// Sealed envelopes larger than this are refused (the Store's bound; images
// dominate, and the request limit is 40 MiB of encrypted files by default).
inline constexpr size_t kMaxSealedBytes = 64u << 20;

// Thread-safe after construction (immutable; Rotate returns a new ring).
class StorageKeyRing {
 public:
  // Keys, oldest first; the last is active. Errors: kInvalidArgument when
  // empty or a key is not 32 bytes.
  static absl::StatusOr<StorageKeyRing> FromKeys(std::vector<SecureBytes> keys);

  // The key file (one standard-base64 key per line, oldest first, the last
  // active; created 0600 with one random key when absent; refused when
  // readable by group or others). When `env_active` is non-empty (the value
  // of VOUCH_STORAGE_KEY, base64) the file is not used: that key is active
  // and `env_old` (VOUCH_STORAGE_KEYS_OLD, comma-separated base64) are the
  // older ones. Errors: kInvalidArgument for malformed keys;
  // kFailedPrecondition for a key file with loose permissions;
  // kUnavailable when the file cannot be read or written.
  static absl::StatusOr<StorageKeyRing> LoadOrCreate(const std::string& key_file,
                                                     absl::string_view env_active,
                                                     absl::string_view env_old);

  // Appends a new random active key to `key_file` (written to a temporary
  // 0600 file, then renamed) and returns the new ring. Errors as
  // LoadOrCreate; kFailedPrecondition for a ring that came from the
  // environment.
  static absl::StatusOr<StorageKeyRing> RotateFile(const std::string& key_file);

  const std::string& active_key_id() const { return ids_.back(); }
  const std::vector<std::string>& key_ids() const { return ids_; }

  // Seals `plaintext` for case `verification_id` under the active key.
  std::string Seal(absl::string_view verification_id, absl::string_view plaintext) const;

  // Errors: kNotFound for an unknown key_id; kDataLoss when the envelope was
  // altered, belongs to another case or key, or is malformed.
  absl::StatusOr<SecureBytes> Open(absl::string_view verification_id, absl::string_view key_id,
                                   absl::string_view sealed) const;

  StorageKeyRing(StorageKeyRing&&) = default;
  StorageKeyRing& operator=(StorageKeyRing&&) = default;

 private:
  StorageKeyRing() = default;
  // Shared so that copies of the ring are cheap and keys are wiped once.
  std::vector<std::shared_ptr<const SecureBytes>> keys_;
  std::vector<std::string> ids_;
  bool from_env_ = false;
};

// A Sealer over `ring` (Seal under the active key, Open under any), for the
// records other modules seal at rest: wallet offers, face embeddings. `ring`
// must outlive it.
::vouch::Sealer SealerFor(const StorageKeyRing& ring);

// The key id of a 32-byte key.
std::string StorageKeyId(const SecureBytes& key);

// Serializes and seals a case's content; the serialized plaintext is wiped.
// Returns the envelope (ReviewCase::sealed) and key id.
std::pair<std::string, std::string> SealCase(const StorageKeyRing& ring,
                                             const v1::CaseContent& content);

// A CaseContent whose decrypted strings are wiped when it is destroyed.
class OpenedCase {
 public:
  OpenedCase() = default;
  ~OpenedCase();
  OpenedCase(const OpenedCase&) = delete;
  OpenedCase& operator=(const OpenedCase&) = delete;
  v1::CaseContent& content() { return content_; }
  const v1::CaseContent& content() const { return content_; }

 private:
  v1::CaseContent content_;
};

// Overwrites every decrypted string of `content` in place.
void WipeCaseContent(v1::CaseContent& content);

// Opens and parses a case. Errors: as StorageKeyRing::Open; kDataLoss when
// the plaintext does not parse or names another verification.
absl::Status OpenCase(const StorageKeyRing& ring, const storage::ReviewCase& review_case,
                      OpenedCase& out);

// Re-seals every case sealed under a key other than the ring's active one
// (after a rotation). Cases decided or purged meanwhile are skipped. Returns
// how many were re-sealed. Errors: the first store or opening failure (a
// case that cannot be opened stops the rotation: its key must stay).
absl::StatusOr<int> RekeyCases(storage::Store& store, const StorageKeyRing& ring);

}  // namespace vouch::verifier::review

#endif  // VOUCH_VERIFIER_REVIEW_CASE_SEALER_H_
