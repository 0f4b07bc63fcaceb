#ifndef VOUCH_VERIFIER_DEDUP_DUPLICATE_INDEX_H_
#define VOUCH_VERIFIER_DEDUP_DUPLICATE_INDEX_H_

// The duplicate index as the pipeline sees it (docs/dedup.md): the
// identities of one submission are looked up under every key of the
// keyring, and the entries to record with its result are made under the
// current key. The Store holds only keyed hashes (storage/store.h,
// DuplicateEntry).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dedup/keyed_hash.h"
#include "storage/store.h"

namespace vouch::verifier::dedup {

// What one submission is, for duplicate detection. Holds personal data in
// the clear only while the pipeline runs (wiped on destruction).
struct DuplicateSubject {
  std::string scope;  // "provider" or "service:<relying service>"
  // The submitting Telegram user; 0 when the relying service did not say
  // (then every other entry counts as another user's).
  int64_t telegram_user_id = 0;
  std::string verification_id;
  std::optional<DocumentIdentity> document;
  std::optional<PersonIdentity> person;
  // The face 1:N index (docs/dedup.md): the submission's face embedding
  // (512 values, L2-normalised; the selfie's, else the document
  // portrait's), empty when none was taken or the policy does not ask; and
  // the similarity from which another face is the same.
  std::vector<float> face;
  float face_similarity = 1;

  DuplicateSubject() = default;
  DuplicateSubject(DuplicateSubject&&) = default;
  DuplicateSubject& operator=(DuplicateSubject&&) = default;
  ~DuplicateSubject();
};

// One face of the face 1:N index like the submission's: another user's on
// another document, or anyone's from a verification rejected as forged.
struct FaceDuplicate {
  std::string verification_id;
  float similarity = 0;  // Cosine, -1..1.
  bool forged = false;
};

// What the index holds that concerns a submission: entries of other
// Telegram users with the same document (or person, or face on another
// document), and entries of anyone whose verification a reviewer rejected
// as forged.
struct DuplicateMatches {
  std::vector<storage::DuplicateEntry> documents;
  std::vector<storage::DuplicateEntry> persons;
  std::vector<FaceDuplicate> faces;  // Best first.

  bool empty() const { return documents.empty() && persons.empty() && faces.empty(); }
};

// The seam the pipeline calls (tests pass a fake). Thread-safe.
class DuplicateIndex {
 public:
  virtual ~DuplicateIndex() = default;

  // The matches of `subject` (each kind only when the subject has it).
  // Errors: the Store's (kUnavailable: retry).
  virtual absl::StatusOr<DuplicateMatches> Find(const DuplicateSubject& subject,
                                                absl::Time now) = 0;

  // The entries to record with `verification_id`'s result: one per identity
  // the subject has, under the current key, expiring at now + ttl.
  virtual std::vector<storage::DuplicateEntry> EntriesFor(const DuplicateSubject& subject,
                                                          absl::string_view verification_id,
                                                          absl::Time now, absl::Duration ttl) = 0;

  // Whether Find searches faces (vouchd built the face 1:N index).
  virtual bool SearchesFaces() const { return false; }
};

// Most matches returned per kind (the review case lists them).
inline constexpr int kMaxDuplicateMatches = 20;

class FaceDuplicateIndex;

// The index over `store` with the keys of `keyring`. Neither is owned by the
// other; `store` must outlive the index. With `faces` (not owned; must
// outlive the index), subjects with a face are also looked up in, and
// recorded into, the face 1:N index.
std::unique_ptr<DuplicateIndex> NewStoreDuplicateIndex(std::shared_ptr<const DedupKeyring> keyring,
                                                       storage::Store& store,
                                                       FaceDuplicateIndex* faces = nullptr);

// The keyed hash of the subject's Telegram user under `key`; an unknown user
// (0) is a user of their own, known by the verification id.
std::string SubjectUserHash(const DedupKey& key, const DuplicateSubject& subject);

}  // namespace vouch::verifier::dedup

#endif  // VOUCH_VERIFIER_DEDUP_DUPLICATE_INDEX_H_
