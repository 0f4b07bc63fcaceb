#include "rpc/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace vouch::verifier::rpc {
namespace {

template <typename Message>
std::string TypeUrl() {
  return absl::StrCat("type.googleapis.com/", Message::descriptor()->full_name());
}

template <typename Message>
absl::Status With(absl::Status status, const Message& detail) {
  if (status.ok()) return status;
  status.SetPayload(TypeUrl<Message>(), absl::Cord(detail.SerializeAsString()));
  return status;
}

template <typename Message>
std::optional<Message> Get(const absl::Status& status) {
  auto payload = status.GetPayload(TypeUrl<Message>());  // absl::optional on Debian 12.
  if (!payload.has_value()) return std::nullopt;
  Message m;
  if (!m.ParseFromString(std::string(*payload))) return std::nullopt;
  return m;
}

}  // namespace

absl::Status WithReason(absl::Status status, absl::string_view reason) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  return With(std::move(status), info);
}

absl::Status BadRequestError(const std::vector<std::pair<std::string, std::string>>& violations) {
  google::rpc::BadRequest bad;
  std::string summary = "invalid request:";
  for (const auto& [field, description] : violations) {
    google::rpc::BadRequest::FieldViolation* v = bad.add_field_violations();
    v->set_field(field);
    v->set_description(description);
    absl::StrAppend(&summary, " ", field, ": ", description, ";");
  }
  return With(WithReason(absl::InvalidArgumentError(summary), reasons::kInvalidRequest), bad);
}

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  google::rpc::RetryInfo retry;
  const int64_t ms = absl::ToInt64Milliseconds(delay);
  retry.mutable_retry_delay()->set_seconds(ms / 1000);
  retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>((ms % 1000) * 1'000'000));
  return With(std::move(status), retry);
}

std::optional<google::rpc::ErrorInfo> GetErrorInfo(const absl::Status& status) {
  return Get<google::rpc::ErrorInfo>(status);
}
std::optional<google::rpc::BadRequest> GetBadRequest(const absl::Status& status) {
  return Get<google::rpc::BadRequest>(status);
}
std::optional<google::rpc::RetryInfo> GetRetryInfo(const absl::Status& status) {
  return Get<google::rpc::RetryInfo>(status);
}

}  // namespace vouch::verifier::rpc
