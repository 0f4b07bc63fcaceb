// The face index's 1:N search (docs/dedup.md) over synthetic
// embeddings: not a test (no ctest), a tool that prints its figures.
//   face_index_bench [--n 1000000] [--queries 200] [--exact-queries 5]
//   face_index_bench --rebuild N
// --rebuild: the rebuild at vouchd's start instead: N face entries in
// the in-memory Store (SQLite :memory:; sealing is the identity here, so
// AES-GCM's ~1 us per entry is not counted), then FaceDuplicateIndex::Sync
// from the beginning, timed, with the memory of the index and its metadata
// (the process's resident growth), and one lookup after it.
// Build the index of n random unit 512-d embeddings, then time Search (code
// scan + rerank) and, as the baseline in the same run, SearchExact (every
// entry scored) with queries that are near copies (cosine 0.6) of stored
// entries. Prints per-query median and p90 in ms, the recall of the planted
// entry, the memory the index holds, and the baseline ratio. Run it on one
// core (OMP_THREAD_LIMIT=1, taskset -c 0): the search is single-threaded.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dedup/face_duplicates.h"
#include "dedup/face_index.h"

namespace {

using vouch::verifier::dedup::FaceIndex;
using vouch::verifier::dedup::FaceMatch;

uint64_t SplitMix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Entry i's embedding: a deterministic function of i (approximately
// Gaussian: the sum of four uniforms per value), unit length.
void Embedding(uint64_t i, std::vector<float>& v) {
  uint64_t s = i * 0x2545f4914f6cdd1dULL + 1;
  double norm = 0;
  for (float& x : v) {
    float sum = 0;
    const uint64_t r = SplitMix(s);
    for (int k = 0; k < 4; ++k) sum += static_cast<float>((r >> (16 * k)) & 0xffff) / 65535.0f;
    x = sum - 2.0f;
    norm += static_cast<double>(x) * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
}

std::vector<float> Near(const std::vector<float>& v, float c, uint64_t seed) {
  std::vector<float> u(v.size());
  Embedding(seed, u);
  double dot = 0;
  for (size_t i = 0; i < v.size(); ++i) dot += v[i] * u[i];
  double norm = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    u[i] = static_cast<float>(u[i] - dot * v[i]);
    norm += static_cast<double>(u[i]) * u[i];
  }
  const float s = std::sqrt(1 - c * c);
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    out[i] = c * v[i] + s * static_cast<float>(u[i] / std::sqrt(norm));
  }
  return out;
}

double Percentile(std::vector<double> ms, double p) {
  std::sort(ms.begin(), ms.end());
  return ms[std::min(ms.size() - 1, static_cast<size_t>(p * (ms.size() - 1) + 0.5))];
}

// The process's resident memory in bytes (Linux), 0 when unknown.
size_t ResidentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long pages = 0;
  unsigned long resident = 0;
  const int read = std::fscanf(f, "%lu %lu", &pages, &resident);
  std::fclose(f);
  return read == 2 ? resident * 4096 : 0;
}

int Rebuild(size_t n) {
  namespace dedup = vouch::verifier::dedup;
  namespace storage = vouch::verifier::storage;
  const absl::Time now = absl::Now();
  std::unique_ptr<storage::Store> store = storage::NewMemoryStore();
  const std::string secret(32, 'b');
  std::vector<dedup::DedupKey> keys;
  keys.push_back(dedup::DedupKey{dedup::DedupKeyId(secret), vouch::SecureBytes(secret)});
  const auto ring = *dedup::DedupKeyring::FromKeys(std::move(keys));
  dedup::FaceSealer sealer;
  sealer.seal = [](absl::string_view, absl::string_view plaintext) {
    return std::make_pair(std::string(plaintext), std::string("sk"));
  };
  sealer.open = [](absl::string_view, absl::string_view,
                   absl::string_view sealed) -> absl::StatusOr<vouch::SecureBytes> {
    return vouch::SecureBytes(sealed);
  };
  dedup::FaceDuplicateIndex writer(ring, sealer, *store);
  std::vector<storage::DuplicateEntry> batch;
  dedup::DuplicateSubject s;
  s.scope = "service:bank";
  s.face.resize(FaceIndex::kDimension);
  for (size_t i = 0; i < n; ++i) {
    Embedding(i, s.face);
    s.telegram_user_id = static_cast<int64_t>(i + 1);
    s.document = dedup::DocumentIdentity{"UTO", "passport", "D" + std::to_string(i)};
    const std::string id = "ver_" + std::to_string(i);
    batch.push_back(*writer.EntryFor(s, id, now, absl::Hours(24)));
    if (batch.size() == 1000 || i + 1 == n) {
      if (!store->RecordDuplicates(batch).ok()) {
        std::fprintf(stderr, "error: record failed\n");
        return 1;
      }
      batch.clear();
    }
  }
  const size_t before = ResidentBytes();
  dedup::FaceDuplicateIndex replica(ring, sealer, *store,
                                    dedup::FaceDuplicateOptions{.index = {.capacity = n}});
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<int64_t> changes = replica.Sync(now, false);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!changes.ok()) {
    std::fprintf(stderr, "error: sync failed\n");
    return 1;
  }
  const size_t grown = ResidentBytes() - before;
  Embedding(n / 2, s.face);
  s.face = Near(s.face, 0.8f, 0x5eedULL);
  s.telegram_user_id = 0;
  s.verification_id = "query";
  s.face_similarity = 0.6f;
  const auto find_start = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<dedup::FaceDuplicate>> found = replica.Find(s, now);
  const double find_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - find_start)
          .count();
  std::printf(
      "face_index_bench --rebuild: %lld changes read, %zu faces in memory in %.0f ms "
      "(%.1f us per entry)\n",
      static_cast<long long>(*changes), replica.size(), ms, 1000 * ms / n);
  std::printf(
      "memory: index %.1f MiB; resident growth (index + metadata) %.1f MiB (%.0f bytes "
      "per entry)\n",
      static_cast<double>(replica.memory_bytes()) / (1 << 20),
      static_cast<double>(grown) / (1 << 20), static_cast<double>(grown) / n);
  std::printf("one lookup after it (cursor read + search + filter): %.2f ms, %zu match(es)\n",
              find_ms, found.ok() ? found->size() : 0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 1'000'000;
  int queries = 200;
  int exact_queries = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rebuild") == 0) {
      return Rebuild(std::strtoull(argv[i + 1], nullptr, 10));
    }
    if (std::strcmp(argv[i], "--n") == 0) n = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--queries") == 0) queries = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--exact-queries") == 0) exact_queries = std::atoi(argv[i + 1]);
  }
  const absl::Time now = absl::Now();
  FaceIndex index(vouch::verifier::dedup::FaceIndexOptions{.capacity = n});
  std::vector<float> v(FaceIndex::kDimension);
  const auto build_start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) {
    Embedding(i, v);
    if (!index.Add("ver_" + std::to_string(i), v, now + absl::Hours(24), now).ok()) {
      std::fprintf(stderr, "error: add %zu failed\n", i);
      return 1;
    }
  }
  const double build_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - build_start).count();

  const auto run = [&](bool exact, int count, int* found) {
    std::vector<double> ms;
    *found = 0;
    for (int q = 0; q < count; ++q) {
      const uint64_t target = (static_cast<uint64_t>(q) * 7919) % n;
      Embedding(target, v);
      const std::vector<float> query = Near(v, 0.6f, 0x5eed0000ULL + q);
      const auto start = std::chrono::steady_clock::now();
      const std::vector<FaceMatch> matches =
          exact ? index.SearchExact(query, 0.45f, 10, now) : index.Search(query, 0.45f, 10, now);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
      if (!matches.empty() && matches[0].verification_id == "ver_" + std::to_string(target)) {
        ++*found;
      }
    }
    return ms;
  };
  int found = 0;
  int exact_found = 0;
  const std::vector<double> indexed = run(false, queries, &found);
  const std::vector<double> exact = run(true, exact_queries, &exact_found);
  const double median = Percentile(indexed, 0.5);
  const double exact_median = Percentile(exact, 0.5);
  std::printf("face_index_bench: %zu embeddings (512-d), built in %.1f s\n", n, build_s);
  std::printf("memory: %.1f MiB (%.0f bytes per entry)\n",
              static_cast<double>(index.memory_bytes()) / (1 << 20),
              static_cast<double>(index.memory_bytes()) / static_cast<double>(n));
  std::printf(
      "Search (code scan + rerank 64): median %.2f ms, p90 %.2f ms over %d queries; "
      "planted match found %d/%d\n",
      median, Percentile(indexed, 0.9), queries, found, queries);
  std::printf(
      "baseline SearchExact (every entry scored): median %.2f ms over %d queries; "
      "found %d/%d\n",
      exact_median, exact_queries, exact_found, exact_queries);
  std::printf("ratio baseline / Search: %.1fx; target median <= 50 ms: %s\n", exact_median / median,
              median <= 50 ? "met" : "NOT met");
  return 0;
}
