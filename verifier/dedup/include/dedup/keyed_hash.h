#ifndef VOUCH_VERIFIER_DEDUP_KEYED_HASH_H_
#define VOUCH_VERIFIER_DEDUP_KEYED_HASH_H_

// Duplicate detection (docs/dedup.md): keyed hashes of a document's
// identity, of a person and of a Telegram user, under a dedicated HMAC key
// kept in its own file. The index stores only these hashes: nothing in it
// can be read back as a name, a document number or a birth date, and without
// the key nobody can test a guess against it.
//
// Every hash is HMAC-SHA256(key, length-prefixed fields), the fields being a
// domain tag, the kind, the scope (one relying service, or the whole
// provider) and the normalised values, so the same document hashes
// differently in another scope and under another key. Hashes are lower-case
// hex (64 characters).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "base/secure_bytes.h"

namespace vouch::verifier::dedup {

// A document's identity: issuing state (ICAO code), element type
// ("passport", "identity_card", ...) and document number, as read.
struct DocumentIdentity {
  std::string issuing_state;
  std::string document_type;
  std::string document_number;
};

// A person: the name as the MRZ writes it (A-Z and single spaces, surname
// first) and the birth date.
struct PersonIdentity {
  std::string name;
  absl::CivilDay birth_date;
};

// Normalisations applied before hashing (also inside the hash functions):
// the document number keeps A-Z and 0-9 only, upper-cased ("l 898-902c3" →
// "L898902C3"); the issuing state and document type are trimmed and
// upper-/lower-cased; a name is upper-cased with '<', spaces and hyphens as
// single separators.
std::string NormalizeDocumentNumber(absl::string_view number);
std::string NormalizeIssuingState(absl::string_view state);
std::string NormalizeDocumentType(absl::string_view type);
std::string NormalizePersonName(absl::string_view name);

// Whether the identity is complete enough to be hashed (a number of at least
// 4 characters, a state and a type; a name of at least 2 letters).
bool IsHashable(const DocumentIdentity& identity);
bool IsHashable(const PersonIdentity& person);

// One HMAC key: its id (16 hex characters of SHA-256 of the secret) and its
// 32-byte secret.
struct DedupKey {
  std::string id;
  SecureBytes secret;
};

// The keys of <keys_dir>/dedup_hmac.keys: the current one (the first line,
// used to write new index entries) and the ones a rotation kept (still
// looked up, so entries written before the rotation are found until they
// expire). Immutable and thread-safe.
class DedupKeyring {
 public:
  // The file: one key a line, "<key id> <64 hex characters>", current first;
  // '#' lines are comments. Created with one fresh key (mode 0600, written
  // under a temporary name then renamed; the folder made 0700) when absent.
  // Errors: kFailedPrecondition for a file readable or writable by group or
  // others ("chmod 600 it"), or one that holds no valid key (the message
  // names the line, never its content); kInternal for I/O failures.
  static absl::StatusOr<std::shared_ptr<const DedupKeyring>> LoadOrCreate(const std::string& path);

  // Puts a fresh key first in the file at `path` (which must exist and pass
  // the same checks), keeping every other line, and returns the new key's id.
  // Processes that loaded the file see it at their next load (vouchd: at
  // start).
  static absl::StatusOr<std::string> Rotate(const std::string& path);

  // For tests and tools: a keyring of the given keys (current first; at
  // least one). Errors: kInvalidArgument for an empty list or a secret that
  // is not 32 bytes.
  static absl::StatusOr<std::shared_ptr<const DedupKeyring>> FromKeys(std::vector<DedupKey> keys);

  // Current first.
  const std::vector<DedupKey>& keys() const { return keys_; }
  const DedupKey& current() const { return keys_.front(); }

 private:
  explicit DedupKeyring(std::vector<DedupKey> keys) : keys_(std::move(keys)) {}
  std::vector<DedupKey> keys_;
};

// The key id of a 32-byte secret.
std::string DedupKeyId(absl::string_view secret);

// The keyed hashes. `scope` is "provider" or "service:<relying service>".
std::string DocumentHash(const DedupKey& key, absl::string_view scope,
                         const DocumentIdentity& identity);
std::string PersonHash(const DedupKey& key, absl::string_view scope, const PersonIdentity& person);
std::string TelegramUserHash(const DedupKey& key, absl::string_view scope,
                             int64_t telegram_user_id);

}  // namespace vouch::verifier::dedup

#endif  // VOUCH_VERIFIER_DEDUP_KEYED_HASH_H_
