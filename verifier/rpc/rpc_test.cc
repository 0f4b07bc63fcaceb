// The RPC vocabulary: error details on absl::Status and their conversion to
// and from the google.rpc.Status of the grpc-status-details-bin trailer.

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rpc/errors.h"
#include "rpc/grpc_status.h"

namespace vouch::verifier::rpc {
namespace {

std::string ReasonOf(const google::rpc::Status& rpc) {
  for (const google::protobuf::Any& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

TEST(GrpcStatusTest, AttachedReasonAndDetailsReachTheWire) {
  const absl::Status status =
      WithRetryDelay(WithReason(absl::UnavailableError("store down"), reasons::kStoreUnavailable),
                     absl::Milliseconds(1500));

  const grpc::Status grpc = ToGrpcStatus(status);
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(grpc.error_details()));

  EXPECT_EQ(grpc.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(grpc.error_message(), "store down");
  EXPECT_EQ(ReasonOf(rpc), "STORE_UNAVAILABLE");
  const absl::Status back = FromRpcStatus(rpc);
  ASSERT_TRUE(GetRetryInfo(back).has_value());
  EXPECT_EQ(GetRetryInfo(back)->retry_delay().seconds(), 1);
  EXPECT_EQ(GetRetryInfo(back)->retry_delay().nanos(), 500'000'000);
  EXPECT_EQ(GetErrorInfo(back)->domain(), "vouch.dev");
}

TEST(GrpcStatusTest, WithoutAReasonTheCodeNameIsTheReason) {
  const google::rpc::Status rpc = ToRpcStatus(absl::NotFoundError("no such thing"));

  EXPECT_EQ(rpc.code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(ReasonOf(rpc), "NOT_FOUND");
}

TEST(GrpcStatusTest, LongMessagesAreTruncated) {
  const google::rpc::Status rpc = ToRpcStatus(absl::InternalError(std::string(2000, 'x')));

  EXPECT_EQ(rpc.message().size(), 512u);
}

TEST(GrpcStatusTest, OkIsOkWithoutDetails) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_EQ(ToRpcStatus(absl::OkStatus()).details_size(), 0);
  EXPECT_TRUE(FromRpcStatus(google::rpc::Status()).ok());
}

TEST(ErrorsTest, BadRequestListsEachViolation) {
  const absl::Status status = BadRequestError({{"nonce", "is required"}, {"files", "too many"}});

  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetErrorInfo(status)->reason(), "INVALID_REQUEST");
  ASSERT_TRUE(GetBadRequest(status).has_value());
  ASSERT_EQ(GetBadRequest(status)->field_violations_size(), 2);
  EXPECT_EQ(GetBadRequest(status)->field_violations(1).field(), "files");
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("nonce: is required"));
}

}  // namespace
}  // namespace vouch::verifier::rpc
