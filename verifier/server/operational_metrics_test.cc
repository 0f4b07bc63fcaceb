#include "operational_metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/pipeline_fakes.h"

namespace vouch::verifier::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

// Verification `id` completed with a review case of `policy` and `reasons`.
void AddCase(storage::Store& store, const std::string& id, const std::string& policy,
             std::vector<std::string> reasons, absl::Time created) {
  storage::NewVerification v;
  v.record.id = id;
  v.record.relying_service = "svc";
  v.record.request_digest = "digest-" + id;
  v.record.policy = policy;
  v.record.state = storage::VerificationState::kRunning;
  v.record.create_time = created;
  v.record.update_time = created;
  ASSERT_TRUE(store.CreateVerification(v).ok());
  storage::ReviewCase c;
  c.verification_id = id;
  c.relying_service = "svc";
  c.policy = policy;
  c.reasons = std::move(reasons);
  c.sealed = "sealed";
  c.key_id = "k1";
  c.create_time = created;
  c.delete_after = created + absl::Hours(24);
  ASSERT_TRUE(
      store.FinishVerification(id, storage::VerificationState::kCompleted, "r", created, &c).ok());
}

class OperationalMetricsTest : public ::testing::Test {
 protected:
  std::unique_ptr<storage::Store> store_ = storage::NewMemoryStore();
  testing::FakeAttestationIssuer fake_issuer_;
  CountingIssuer issuer_{fake_issuer_};
  CallCounter calls_;
  OperationalMetrics metrics_{*store_, issuer_, calls_};
};

TEST_F(OperationalMetricsTest, EmptyQueueAndNothingCounted) {
  const std::string text = metrics_.Render(kT0);

  EXPECT_THAT(text, HasSubstr("vouch_build_info{version=\""));
  EXPECT_THAT(text, HasSubstr("vouch_review_oldest_case_age_seconds 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("vouch_review_open_cases{")));
  EXPECT_THAT(text, HasSubstr("vouch_attestations_issued_total 0\n"));
  EXPECT_THAT(text, HasSubstr("vouch_grpc_calls_failed_total{code=\"UNAUTHENTICATED\"} 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("code=\"OK\"")));
}

TEST_F(OperationalMetricsTest, BacklogByPolicyAndReasonAndOldestAge) {
  AddCase(*store_, "v1", "default", {"face_match", "mrz"}, kT0 - absl::Minutes(30));
  AddCase(*store_, "v2", "default", {"face_match"}, kT0 - absl::Minutes(5));
  AddCase(*store_, "v3", "bank_kyc", {"quality.glare.front_side"}, kT0 - absl::Minutes(1));

  const std::string text = metrics_.Render(kT0);

  EXPECT_THAT(text,
              HasSubstr("vouch_review_open_cases{policy=\"default\",reason=\"face_match\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("vouch_review_open_cases{policy=\"default\",reason=\"mrz\"} 1\n"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "vouch_review_open_cases{policy=\"bank_kyc\",reason=\"quality.glare.front_side\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vouch_review_oldest_case_age_seconds 1800\n"));
  EXPECT_THAT(text, HasSubstr("vouch_review_open_cases_truncated 0\n"));
}

TEST_F(OperationalMetricsTest, CountsIssuedRevokedAndFailedCalls) {
  ASSERT_TRUE(issuer_.Issue(pipeline::AttestationRequest()).ok());
  ASSERT_TRUE(issuer_.Issue(pipeline::AttestationRequest()).ok());
  ASSERT_TRUE(issuer_.Revoke("att-1", /*suspend=*/false).ok());
  ASSERT_TRUE(issuer_.Revoke("att-2", /*suspend=*/true).ok());
  calls_.Count(grpc::StatusCode::OK);
  calls_.Count(grpc::StatusCode::PERMISSION_DENIED);
  calls_.Count(grpc::StatusCode::PERMISSION_DENIED);
  calls_.Count(grpc::StatusCode::UNAUTHENTICATED);

  const std::string text = metrics_.Render(kT0);

  EXPECT_THAT(text, HasSubstr("vouch_attestations_issued_total 2\n"));
  EXPECT_THAT(text, HasSubstr("vouch_attestations_revoked_total{status=\"revoked\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vouch_attestations_revoked_total{status=\"suspended\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vouch_grpc_calls_failed_total{code=\"PERMISSION_DENIED\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("vouch_grpc_calls_failed_total{code=\"UNAUTHENTICATED\"} 1\n"));
  EXPECT_EQ(fake_issuer_.issued, 2);  // Forwarded, not replaced.
}

}  // namespace
}  // namespace vouch::verifier::server
