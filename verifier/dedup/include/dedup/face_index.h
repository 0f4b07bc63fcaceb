#ifndef VOUCH_VERIFIER_DEDUP_FACE_INDEX_H_
#define VOUCH_VERIFIER_DEDUP_FACE_INDEX_H_

// The in-memory 1:N face index for duplicate detection
// (docs/dedup.md): "is this face already in a verification of someone
// else?". Holds L2-normalised 512-d embeddings (ocr/face.h), each with its
// verification id and expiry, bounded in size.
//
// Search is two-stage: a 512-bit sign code per embedding (64 bytes) is
// scanned with popcount for the `rerank` nearest codes by Hamming distance,
// whose int8-quantised embeddings (512 bytes and a scale) are then scored by
// cosine similarity. SearchExact scores every entry the same way (the
// baseline the benchmark compares with). FaceDuplicateIndex
// (face_duplicates.h) keeps one in step with the sealed entries of the
// Store. Thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace vouch::verifier::dedup {

// Whether `embedding` is one the index takes: FaceIndex::kDimension finite
// values.
bool IsFaceEmbedding(absl::Span<const float> embedding);

struct FaceIndexOptions {
  // Most entries held; Add refuses more (after dropping expired ones).
  size_t capacity = 1'000'000;
  // Candidates of the code scan scored exactly.
  int rerank = 64;
};

struct FaceMatch {
  std::string verification_id;
  float similarity = 0;  // Cosine, -1..1 (int8-quantised: about ±0.01).
};

class FaceIndex {
 public:
  static constexpr int kDimension = 512;

  explicit FaceIndex(FaceIndexOptions options = {});

  // Errors: kInvalidArgument for an embedding that is not 512 finite values
  // or an empty id; kResourceExhausted at capacity (after dropping the
  // entries expired at `now`).
  absl::Status Add(absl::string_view verification_id, absl::Span<const float> embedding,
                   absl::Time expire, absl::Time now);

  // Entries not expired at `now` whose similarity to `query` is at least
  // `min_similarity`, best first, at most `max_results`. Empty for a query
  // of another size.
  std::vector<FaceMatch> Search(absl::Span<const float> query, float min_similarity,
                                int max_results, absl::Time now) const;
  // The same over every entry, without the code scan (the baseline).
  std::vector<FaceMatch> SearchExact(absl::Span<const float> query, float min_similarity,
                                     int max_results, absl::Time now) const;

  // Drops entries expired at `now`; returns how many.
  int64_t Expire(absl::Time now);

  // Drops the entry of `verification_id` (a scan of the ids: for erasures
  // and reviewers' decisions, not for every search). Returns whether there
  // was one.
  bool Remove(absl::string_view verification_id);

  size_t size() const;
  // Bytes held by the entries' codes, vectors, scales, expiries and ids.
  size_t memory_bytes() const;

 private:
  static constexpr int kCodeWords = kDimension / 64;

  float Score(const std::vector<float>& query, size_t i) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void RemoveAt(size_t i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static std::vector<FaceMatch> Best(std::vector<FaceMatch> matches, int max_results);

  const FaceIndexOptions options_;
  mutable absl::Mutex mu_;
  std::vector<uint64_t> codes_ ABSL_GUARDED_BY(mu_);  // kCodeWords per entry.
  std::vector<int8_t> vectors_ ABSL_GUARDED_BY(mu_);  // kDimension per entry.
  std::vector<float> scales_ ABSL_GUARDED_BY(mu_);    // value = int8 * scale.
  std::vector<int64_t> expire_us_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> ids_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vouch::verifier::dedup

#endif  // VOUCH_VERIFIER_DEDUP_FACE_INDEX_H_
