#include "telegram/provider_service.h"

#include <set>
#include <utility>

#include "nlohmann/json.hpp"
#include "rpc/errors.h"
#include "rpc/grpc_status.h"

namespace vouch::verifier::telegram {
namespace {

using json = nlohmann::json;

bool IsIdentityDocument(absl::string_view type) {
  return type == "passport" || type == "driver_license" || type == "identity_card" ||
         type == "internal_passport";
}

}  // namespace

std::string PassportScopeJson(const pipeline::Policy& policy) {
  std::vector<std::vector<std::string>> required = policy.required_elements;
  if (required.empty()) {
    required = {{"personal_details"},
                {"passport", "identity_card", "driver_license", "internal_passport"}};
  }
  json data = json::array();
  for (const std::vector<std::string>& entry : required) {
    bool has_id = false;
    for (const std::string& t : entry) has_id = has_id || IsIdentityDocument(t);
    json element;
    if (entry.size() == 1) {
      element = {{"type", entry[0]}};
    } else {
      json one_of = json::array();
      for (const std::string& t : entry) one_of.push_back({{"type", t}});
      element = {{"one_of", std::move(one_of)}};
    }
    if (has_id && policy.require_selfie) element["selfie"] = true;
    data.push_back(std::move(element));
  }
  return json{{"data", std::move(data)}, {"v", 1}}.dump();
}

absl::StatusOr<v1::ProviderInfo> GetProviderInfo(const pipeline::Config& config,
                                                 const ProviderKeySource& keys,
                                                 absl::string_view service,
                                                 const v1::GetProviderInfoRequest& request) {
  absl::StatusOr<const pipeline::Policy*> policy = config.FindPolicy(request.policy());
  if (!policy.ok()) {
    return rpc::WithReason(absl::NotFoundError("unknown policy"), rpc::reasons::kUnknownPolicy);
  }
  if (!(*policy)->AllowsRelyingService(service)) {
    return rpc::WithReason(
        absl::PermissionDeniedError("the relying service may not use this policy"),
        rpc::reasons::kPolicyNotAllowed);
  }
  v1::ProviderInfo info;
  if (keys) {
    for (v1::PassportPublicKey& key : keys(service)) *info.add_passport_keys() = std::move(key);
  }
  info.set_scope_json(PassportScopeJson(**policy));
  info.set_policy((*policy)->name);
  info.set_sets_verification_badge((*policy)->telegram.verify_user);
  return info;
}

grpc::ServerUnaryReactor* ProviderService::GetProviderInfo(
    grpc::CallbackServerContext* context, const v1::GetProviderInfoRequest* request,
    v1::ProviderInfo* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<auth::Principal> principal = authenticator_.Authenticate(*context);
  absl::Status allowed = principal.ok() ? auth::RequireService(*principal) : principal.status();
  if (!allowed.ok()) {
    reactor->Finish(rpc::ToGrpcStatus(allowed));
    return reactor;
  }
  absl::StatusOr<v1::ProviderInfo> info =
      telegram::GetProviderInfo(config_, keys_, principal->id, *request);
  const absl::Status status = info.status();
  if (info.ok()) *response = *std::move(info);
  reactor->Finish(rpc::ToGrpcStatus(status));
  return reactor;
}

}  // namespace vouch::verifier::telegram
