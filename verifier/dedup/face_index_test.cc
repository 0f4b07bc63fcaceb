#include "dedup/face_index.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/face_embeddings.h"

namespace vouch::verifier::dedup {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const absl::Time kLater = kNow + absl::Hours(24);

using testing::RandomUnitFace;

// cos(result, v) = c: c·v + sqrt(1 - c²)·(a random direction orthogonal-ish).
std::vector<float> Near(const std::vector<float>& v, float c, uint32_t seed) {
  std::vector<float> u = RandomUnitFace(seed);
  double dot = 0;
  for (size_t i = 0; i < v.size(); ++i) dot += v[i] * u[i];
  double norm = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    u[i] = static_cast<float>(u[i] - dot * v[i]);
    norm += u[i] * u[i];
  }
  std::vector<float> out(v.size());
  const float s = std::sqrt(1 - c * c);
  for (size_t i = 0; i < v.size(); ++i) out[i] = c * v[i] + s * u[i] / std::sqrt(norm);
  return out;
}

TEST(FaceIndexTest, FindsTheSameFaceAmongOthersAboveTheThreshold) {
  FaceIndex index;
  for (uint32_t i = 0; i < 2000; ++i) {
    ASSERT_TRUE(index.Add("ver_" + std::to_string(i), RandomUnitFace(i), kLater, kNow).ok());
  }
  const std::vector<float> query = Near(RandomUnitFace(77), 0.6f, 9999);
  const std::vector<FaceMatch> found = index.Search(query, 0.45f, 5, kNow);
  ASSERT_THAT(found, ElementsAre(Field(&FaceMatch::verification_id, "ver_77")));
  EXPECT_NEAR(found[0].similarity, 0.6f, 0.02f);
  // The exact scan agrees; a stranger matches nobody.
  EXPECT_THAT(index.SearchExact(query, 0.45f, 5, kNow),
              ElementsAre(Field(&FaceMatch::verification_id, "ver_77")));
  EXPECT_THAT(index.Search(RandomUnitFace(123456), 0.45f, 5, kNow), IsEmpty());
}

TEST(FaceIndexTest, ExpiredEntriesAreNotFoundAndAreDropped) {
  FaceIndex index;
  ASSERT_TRUE(index.Add("old", RandomUnitFace(1), kNow + absl::Hours(1), kNow).ok());
  ASSERT_TRUE(index.Add("new", RandomUnitFace(2), kLater, kNow).ok());
  const absl::Time later = kNow + absl::Hours(2);
  EXPECT_THAT(index.Search(RandomUnitFace(1), 0.9f, 5, later), IsEmpty());
  EXPECT_EQ(index.Expire(later), 1);
  EXPECT_EQ(index.size(), 1u);
  EXPECT_THAT(index.Search(RandomUnitFace(2), 0.9f, 5, later),
              ElementsAre(Field(&FaceMatch::verification_id, "new")));
}

TEST(FaceIndexTest, SizeIsBounded) {
  FaceIndex index(FaceIndexOptions{.capacity = 2});
  ASSERT_TRUE(index.Add("a", RandomUnitFace(1), kNow + absl::Hours(1), kNow).ok());
  ASSERT_TRUE(index.Add("b", RandomUnitFace(2), kLater, kNow).ok());
  EXPECT_EQ(index.Add("c", RandomUnitFace(3), kLater, kNow).code(),
            absl::StatusCode::kResourceExhausted);
  // Once "a" has expired its place is taken.
  EXPECT_TRUE(index.Add("c", RandomUnitFace(3), kLater, kNow + absl::Hours(2)).ok());
  EXPECT_EQ(index.size(), 2u);
  EXPECT_GT(index.memory_bytes(), 2u * (512 + 64));
}

TEST(FaceIndexTest, RefusesMalformedEmbeddings) {
  FaceIndex index;
  EXPECT_EQ(index.Add("a", std::vector<float>(128, 0.1f), kLater, kNow).code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<float> nan = RandomUnitFace(1);
  nan[3] = std::nanf("");
  EXPECT_EQ(index.Add("a", nan, kLater, kNow).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index.Add("", RandomUnitFace(1), kLater, kNow).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(index.Search(std::vector<float>(3, 1.0f), 0.0f, 5, kNow), IsEmpty());
}

}  // namespace
}  // namespace vouch::verifier::dedup
