#include "dedup/face_index.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <utility>

namespace vouch::verifier::dedup {
namespace {

int64_t Micros(absl::Time t) {
  if (t == absl::InfiniteFuture()) return INT64_MAX;
  if (t == absl::InfinitePast()) return INT64_MIN;
  return absl::ToUnixMicros(t);
}

// The query, L2-normalised (the stored vectors are compared by cosine).
std::vector<float> Normalised(absl::Span<const float> e) {
  double norm = 0;
  for (float v : e) norm += static_cast<double>(v) * v;
  norm = std::sqrt(norm);
  std::vector<float> out(e.begin(), e.end());
  if (norm > 0) {
    for (float& v : out) v = static_cast<float>(v / norm);
  }
  return out;
}

// The `keep` entries of `codes` (n codes of FaceIndex::kDimension / 64
// words) nearest to `code` by Hamming distance, as a max-heap of
// (distance, entry). Built for CPUs with and without POPCNT (the hardware
// instruction makes the scan about ten times faster).
constexpr int kWords = FaceIndex::kDimension / 64;
__attribute__((target_clones("popcnt", "default"))) void NearestCodes(
    const uint64_t* codes, size_t n, const uint64_t* code, size_t keep,
    std::priority_queue<std::pair<int, size_t>>& nearest) {
  int worst = kWords * 64 + 1;
  for (size_t i = 0; i < n; ++i, codes += kWords) {
    int distance = 0;
    for (int w = 0; w < kWords; ++w) distance += __builtin_popcountll(codes[w] ^ code[w]);
    if (distance >= worst) continue;
    nearest.emplace(distance, i);
    if (nearest.size() > keep) nearest.pop();
    if (nearest.size() == keep) worst = nearest.top().first;
  }
}

}  // namespace

bool IsFaceEmbedding(absl::Span<const float> embedding) {
  return embedding.size() == static_cast<size_t>(FaceIndex::kDimension) &&
         std::all_of(embedding.begin(), embedding.end(), [](float v) { return std::isfinite(v); });
}

FaceIndex::FaceIndex(FaceIndexOptions options) : options_(options) {}

absl::Status FaceIndex::Add(absl::string_view verification_id, absl::Span<const float> embedding,
                            absl::Time expire, absl::Time now) {
  if (verification_id.empty() || !IsFaceEmbedding(embedding)) {
    return absl::InvalidArgumentError("a face index entry needs an id and 512 finite values");
  }
  const std::vector<float> v = Normalised(embedding);
  float max_abs = 0;
  for (float x : v) max_abs = std::max(max_abs, std::fabs(x));
  const float scale = max_abs > 0 ? max_abs / 127.0f : 1.0f;
  uint64_t code[kCodeWords] = {};
  for (int i = 0; i < kDimension; ++i) {
    if (v[i] > 0) code[i / 64] |= uint64_t{1} << (i % 64);
  }
  absl::MutexLock lock(&mu_);
  if (ids_.size() >= options_.capacity) {
    const int64_t now_us = Micros(now);
    for (size_t i = ids_.size(); i-- > 0;) {
      if (expire_us_[i] <= now_us) RemoveAt(i);
    }
    if (ids_.size() >= options_.capacity) {
      return absl::ResourceExhaustedError("the face index is full");
    }
  }
  codes_.insert(codes_.end(), code, code + kCodeWords);
  for (float x : v) vectors_.push_back(static_cast<int8_t>(std::lround(x / scale)));
  scales_.push_back(scale);
  expire_us_.push_back(Micros(expire));
  ids_.emplace_back(verification_id);
  return absl::OkStatus();
}

float FaceIndex::Score(const std::vector<float>& query, size_t i) const {
  const int8_t* v = &vectors_[i * kDimension];
  float dot = 0;
  for (int d = 0; d < kDimension; ++d) dot += query[d] * static_cast<float>(v[d]);
  return dot * scales_[i];
}

std::vector<FaceMatch> FaceIndex::Best(std::vector<FaceMatch> matches, int max_results) {
  std::sort(matches.begin(), matches.end(),
            [](const FaceMatch& a, const FaceMatch& b) { return a.similarity > b.similarity; });
  if (matches.size() > static_cast<size_t>(std::max(0, max_results))) {
    matches.resize(std::max(0, max_results));
  }
  return matches;
}

std::vector<FaceMatch> FaceIndex::Search(absl::Span<const float> query, float min_similarity,
                                         int max_results, absl::Time now) const {
  if (!IsFaceEmbedding(query)) return {};
  const std::vector<float> q = Normalised(query);
  uint64_t code[kCodeWords] = {};
  for (int i = 0; i < kDimension; ++i) {
    if (q[i] > 0) code[i / 64] |= uint64_t{1} << (i % 64);
  }
  const int64_t now_us = Micros(now);
  absl::ReaderMutexLock lock(&mu_);
  // The `rerank` nearest codes: a max-heap of (distance, entry).
  std::priority_queue<std::pair<int, size_t>> nearest;
  NearestCodes(codes_.data(), ids_.size(), code, static_cast<size_t>(std::max(1, options_.rerank)),
               nearest);
  std::vector<FaceMatch> out;
  for (; !nearest.empty(); nearest.pop()) {
    const size_t i = nearest.top().second;
    if (expire_us_[i] <= now_us) continue;
    const float s = Score(q, i);
    if (s >= min_similarity) out.push_back(FaceMatch{ids_[i], s});
  }
  return Best(std::move(out), max_results);
}

std::vector<FaceMatch> FaceIndex::SearchExact(absl::Span<const float> query, float min_similarity,
                                              int max_results, absl::Time now) const {
  if (!IsFaceEmbedding(query)) return {};
  const std::vector<float> q = Normalised(query);
  const int64_t now_us = Micros(now);
  absl::ReaderMutexLock lock(&mu_);
  std::vector<FaceMatch> out;
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (expire_us_[i] <= now_us) continue;
    const float s = Score(q, i);
    if (s >= min_similarity) out.push_back(FaceMatch{ids_[i], s});
  }
  return Best(std::move(out), max_results);
}

void FaceIndex::RemoveAt(size_t i) {
  const size_t last = ids_.size() - 1;
  if (i != last) {
    std::copy_n(&codes_[last * kCodeWords], kCodeWords, &codes_[i * kCodeWords]);
    std::copy_n(&vectors_[last * kDimension], kDimension, &vectors_[i * kDimension]);
    scales_[i] = scales_[last];
    expire_us_[i] = expire_us_[last];
    ids_[i] = std::move(ids_[last]);
  }
  codes_.resize(last * kCodeWords);
  vectors_.resize(last * kDimension);
  scales_.pop_back();
  expire_us_.pop_back();
  ids_.pop_back();
}

int64_t FaceIndex::Expire(absl::Time now) {
  const int64_t now_us = Micros(now);
  absl::MutexLock lock(&mu_);
  int64_t removed = 0;
  for (size_t i = ids_.size(); i-- > 0;) {
    if (expire_us_[i] <= now_us) {
      RemoveAt(i);
      ++removed;
    }
  }
  return removed;
}

bool FaceIndex::Remove(absl::string_view verification_id) {
  absl::MutexLock lock(&mu_);
  for (size_t i = ids_.size(); i-- > 0;) {
    if (ids_[i] == verification_id) {
      RemoveAt(i);
      return true;
    }
  }
  return false;
}

size_t FaceIndex::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return ids_.size();
}

size_t FaceIndex::memory_bytes() const {
  absl::ReaderMutexLock lock(&mu_);
  size_t bytes = codes_.capacity() * sizeof(uint64_t) + vectors_.capacity() +
                 scales_.capacity() * sizeof(float) + expire_us_.capacity() * sizeof(int64_t) +
                 ids_.capacity() * sizeof(std::string);
  for (const std::string& id : ids_) {
    if (id.capacity() > 15) bytes += id.capacity() + 1;  // Beyond the small-string buffer.
  }
  return bytes;
}

}  // namespace vouch::verifier::dedup
