#ifndef VOUCH_VERIFIER_DEDUP_FACE_DUPLICATES_H_
#define VOUCH_VERIFIER_DEDUP_FACE_DUPLICATES_H_

// The face 1:N index of duplicate detection (docs/dedup.md): "is this
// face already in a verification of another Telegram user, on another
// document?".
//
// The Store keeps one entry per verification (storage::DuplicateKind::kFace,
// table face_index): the embedding sealed with AES-256-GCM under the storage
// key ring (review's StorageKeyRing, through FaceSealer: the same sealing as
// review cases), with the scope, the keyed hashes of the Telegram user and
// of the document, held / forged as the document entries, and the expiry of
// duplicate_ttl. Entries are written with the result (the engine's
// FinishVerification / CompleteJob), moved by a reviewer's decision,
// erased and purged with the verification's other entries.
//
// In memory, a FaceIndex (sign codes + int8 cosine) holds the entries that
// can match (released, or forged), rebuilt from the Store at start (Sync)
// and kept in step with every replica's writes: each lookup first reads the
// changes after its cursor, and a poller (FaceIndexPoller) rereads the last
// `overlap` of changes every few seconds, so that a transaction committed
// late under an earlier change time is not missed. Erased entries arrive as
// tombstones; expired ones are dropped locally.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/periodic_task.h"
#include "base/sealer.h"
#include "base/secure_bytes.h"
#include "dedup/duplicate_index.h"
#include "dedup/face_index.h"
#include "dedup/keyed_hash.h"
#include "storage/store.h"

namespace vouch::verifier::dedup {

// Seals and opens embeddings under the storage key ring (review::SealerFor
// in vouchd).
using FaceSealer = ::vouch::Sealer;

// The sealing context of a verification's face ("vouch.face.v1\n" + id), so
// a sealed face cannot be moved to another verification, nor opened as
// anything else sealed under the same keys.
std::string FaceSealContext(absl::string_view verification_id);

struct FaceDuplicateOptions {
  FaceIndexOptions index;
  // How far back each poll rereads the changes (longer than a transaction
  // between its change time and its commit, plus the clock skew between
  // replicas).
  absl::Duration overlap = absl::Seconds(60);
  // Most matches returned per lookup.
  int max_matches = 20;
};

// Thread-safe. `store` is not owned and must outlive it.
class FaceDuplicateIndex {
 public:
  FaceDuplicateIndex(std::shared_ptr<const DedupKeyring> keyring, FaceSealer sealer,
                     storage::Store& store, FaceDuplicateOptions options = {});

  // Reads the Store's changes after the cursor into the in-memory index (the
  // first call reads them all: the rebuild at start); with `overlap`, from
  // the cursor less options.overlap. Also drops the entries expired at
  // `now`. Returns how many changes it applied. An entry that does not open
  // (a key no longer in the ring, altered bytes) is skipped and counted.
  // Errors: the Store's (the cursor stays).
  absl::StatusOr<int64_t> Sync(absl::Time now, bool overlap);

  // The faces like subject.face (similarity >= subject.face_similarity) in
  // subject.scope of another Telegram user on another document (released
  // entries), or of anyone's forged verification. Reads the changes after
  // the cursor first. Errors: the Store's.
  absl::StatusOr<std::vector<FaceDuplicate>> Find(const DuplicateSubject& subject, absl::Time now);

  // The sealed entry of subject.face for `verification_id`'s result, under
  // the current HMAC key; nullopt for a face that is not 512 finite values.
  std::optional<storage::DuplicateEntry> EntryFor(const DuplicateSubject& subject,
                                                  absl::string_view verification_id, absl::Time now,
                                                  absl::Duration ttl);

  // Entries in memory (that can match).
  size_t size() const { return index_.size(); }
  size_t memory_bytes() const { return index_.memory_bytes(); }

  // Prometheus text:
  //   vouch_duplicate_face_index_entries   faces in memory that can match
  //   vouch_duplicate_face_index_bytes     their memory
  //   vouch_duplicate_face_unreadable_total  entries that did not open
  //   vouch_duplicate_face_refused_total   entries refused at capacity
  std::string RenderMetrics() const;

 private:
  struct Meta {
    std::string scope;
    std::string key_id;
    std::string document_hash;
    std::string user_hash;
    bool forged = false;
    bool in_index = false;
    absl::Time change_time;
    absl::Time expire_time;
  };

  // Whether the change was new (an overlapping poll reads changes again).
  absl::StatusOr<bool> Apply(const storage::FaceIndexChange& change, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_);
  const DedupKey* KeyOf(absl::string_view key_id) const;

  const std::shared_ptr<const DedupKeyring> keyring_;
  const FaceSealer sealer_;
  storage::Store& store_;
  const FaceDuplicateOptions options_;
  FaceIndex index_;

  absl::Mutex sync_mu_;  // One Sync at a time; held before mu_.
  absl::Time cursor_time_ ABSL_GUARDED_BY(sync_mu_) = absl::InfinitePast();
  std::string cursor_id_ ABSL_GUARDED_BY(sync_mu_);
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Meta> meta_ ABSL_GUARDED_BY(mu_);
  int64_t unreadable_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t refused_ ABSL_GUARDED_BY(mu_) = 0;
};

// Runs index.Sync(now, overlap = true) every `interval` on its own thread
// until destroyed (failures logged with their code only).
class FaceIndexPoller {
 public:
  FaceIndexPoller(FaceDuplicateIndex& index, Clock& clock, absl::Duration interval);
  FaceIndexPoller(const FaceIndexPoller&) = delete;
  FaceIndexPoller& operator=(const FaceIndexPoller&) = delete;

 private:
  PeriodicTask task_;
};

// What RekeyFaces did.
struct FaceRekeyOutcome {
  int64_t resealed = 0;
  // Entries that did not open (a key gone from the ring, an altered
  // envelope): left as they are (they match nobody; they expire).
  int64_t unreadable = 0;
};

// Storage key rotation: re-seals under the active key (`sealer.seal`)
// every live face entry sealed under one of `old_key_ids`, as
// review::RekeyCases does for review cases, so that an old key can be
// dropped from the ring. An entry erased or re-sealed meanwhile is skipped.
// Errors: the Store's.
absl::StatusOr<FaceRekeyOutcome> RekeyFaces(storage::Store& store, const FaceSealer& sealer,
                                            const std::vector<std::string>& old_key_ids);

}  // namespace vouch::verifier::dedup

#endif  // VOUCH_VERIFIER_DEDUP_FACE_DUPLICATES_H_
