#ifndef VOUCH_TESTS_TESTING_FACE_EMBEDDINGS_H_
#define VOUCH_TESTS_TESTING_FACE_EMBEDDINGS_H_

// Test-only: face embeddings for the face 1:N index's tests (needs
// vouch::verifier_dedup from the test).

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "dedup/face_index.h"

namespace vouch::verifier::testing {

// A random unit face (FaceIndex::kDimension values); `seed` picks which.
inline std::vector<float> RandomUnitFace(uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(dedup::FaceIndex::kDimension);
  double norm = 0;
  for (float& x : v) {
    x = normal(rng);
    norm += x * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

}  // namespace vouch::verifier::testing

#endif  // VOUCH_TESTS_TESTING_FACE_EMBEDDINGS_H_
