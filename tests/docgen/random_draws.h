#ifndef VOUCH_TESTS_DOCGEN_RANDOM_DRAWS_H_
#define VOUCH_TESTS_DOCGEN_RANDOM_DRAWS_H_

// The generator's draws from its seeded engine (private to tests/docgen).
// Every page is a pure function of its seed: never use another source.

#include <random>

namespace vouch::docgen::internal {

inline double Uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
inline int UniformInt(std::mt19937_64& rng, int lo, int hi) {  // Inclusive.
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}
inline bool Chance(std::mt19937_64& rng, double p) { return Uniform(rng, 0, 1) < p; }

}  // namespace vouch::docgen::internal

#endif  // VOUCH_TESTS_DOCGEN_RANDOM_DRAWS_H_
