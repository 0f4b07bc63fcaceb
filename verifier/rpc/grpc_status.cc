#include "rpc/grpc_status.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rpc/errors.h"

namespace vouch::verifier::rpc {

google::rpc::Status ToRpcStatus(const absl::Status& status) {
  google::rpc::Status out;
  out.set_code(static_cast<int>(status.code()));
  if (status.ok()) return out;
  constexpr size_t kMaxMessageLength = 512;
  out.set_message(std::string(status.message().substr(0, kMaxMessageLength)));
  bool has_info = false;
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    google::protobuf::Any* any = out.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
    has_info = has_info || absl::EndsWith(type_url, "google.rpc.ErrorInfo");
  });
  if (!has_info) {
    google::rpc::ErrorInfo info;
    info.set_domain(std::string(kErrorDomain));
    info.set_reason(absl::AsciiStrToUpper(absl::StatusCodeToString(status.code())));
    out.add_details()->PackFrom(info);
  }
  return out;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const google::rpc::Status rpc = ToRpcStatus(status);
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), rpc.message(),
                      rpc.SerializeAsString());
}

absl::Status FromRpcStatus(const google::rpc::Status& rpc) {
  absl::Status status(static_cast<absl::StatusCode>(rpc.code()), rpc.message());
  if (status.ok()) return status;
  for (const google::protobuf::Any& any : rpc.details()) {
    status.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return status;
}

}  // namespace vouch::verifier::rpc
