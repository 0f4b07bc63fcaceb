#ifndef VOUCH_TESTS_DOCGEN_RANDOM_DRAWS_H_
#define VOUCH_TESTS_DOCGEN_RANDOM_DRAWS_H_

// The generator's draws from its seeded engine (private to tests/docgen).
// Every page is a pure function of its seed: never use another source.
//
// One draw per statement. C++ leaves the order of a call's arguments (and of
// an overloaded operator's operands, such as std::string's +) to the
// compiler: gcc on x86-64 evaluates them right to left, clang left to right,
// so `cv::Scalar(Uniform(rng, ...), Uniform(rng, ...))` made a different page
// under each. Where the code once drew inside one call, the named draws now
// come in the order gcc drew them (last argument first), which keeps every
// page gcc made byte for byte. Separate declarators (`a = Uniform(..), b =
// Uniform(..)`), braced lists and ?: (condition, then one arm) are ordered.

#include <random>

#include "opencv2/core.hpp"

namespace vouch::docgen::internal {

inline double Uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
inline int UniformInt(std::mt19937_64& rng, int lo, int hi) {  // Inclusive.
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}
inline bool Chance(std::mt19937_64& rng, double p) { return Uniform(rng, 0, 1) < p; }

// A colour whose three channels are each uniform in [lo, hi), drawn last
// channel first (see above).
inline cv::Scalar UniformColour(std::mt19937_64& rng, double lo, double hi) {
  const double c2 = Uniform(rng, lo, hi);
  const double c1 = Uniform(rng, lo, hi);
  const double c0 = Uniform(rng, lo, hi);
  return cv::Scalar(c0, c1, c2);
}

}  // namespace vouch::docgen::internal

#endif  // VOUCH_TESTS_DOCGEN_RANDOM_DRAWS_H_
