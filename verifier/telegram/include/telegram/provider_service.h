#ifndef VOUCH_VERIFIER_TELEGRAM_PROVIDER_SERVICE_H_
#define VOUCH_VERIFIER_TELEGRAM_PROVIDER_SERVICE_H_

// vouch.v1.Provider (proto/vouch/v1/provider.proto): the Passport public
// key(s) a relying bot's owner registers with @BotFather /setpublickey, and
// the PassportScope the bot requests, per policy (docs/telegram.md).

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/principal.h"
#include "pipeline/policy.h"
#include "vouch/v1/provider.grpc.pb.h"

namespace vouch::verifier::telegram {

// The PassportScope JSON for `policy`: {"data": [...], "v": 1}. One
// PassportScopeElementOne per required element ({"type": t}, with
// "selfie": true on an identity document when the policy requires a
// selfie), a PassportScopeElementOneOfSeveral ({"one_of": [...]}, selfie
// likewise) for "a|b" alternatives. A policy without required elements asks
// for personal_details and any identity document.
std::string PassportScopeJson(const pipeline::Policy& policy);

// The keys for relying service `service` ("" when unauthenticated): the
// service's own key if it has one, then vouchd's current and previous keys.
using ProviderKeySource = std::function<std::vector<v1::PassportPublicKey>(absl::string_view)>;

// The RPC without gRPC: errors kNotFound (UNKNOWN_POLICY), kPermissionDenied
// (POLICY_NOT_ALLOWED).
absl::StatusOr<v1::ProviderInfo> GetProviderInfo(const pipeline::Config& config,
                                                 const ProviderKeySource& keys,
                                                 absl::string_view service,
                                                 const v1::GetProviderInfoRequest& request);

class ProviderService final : public v1::Provider::CallbackService {
 public:
  // Not owned; both must outlive the service. The caller must be a relying
  // service (tests pass testing::FixedPrincipalAuthenticator).
  ProviderService(const pipeline::Config& config, const auth::Authenticator& authenticator,
                  ProviderKeySource keys)
      : config_(config), authenticator_(authenticator), keys_(std::move(keys)) {}

  grpc::ServerUnaryReactor* GetProviderInfo(grpc::CallbackServerContext* context,
                                            const v1::GetProviderInfoRequest* request,
                                            v1::ProviderInfo* response) override;

 private:
  const pipeline::Config& config_;
  const auth::Authenticator& authenticator_;
  const ProviderKeySource keys_;
};

}  // namespace vouch::verifier::telegram

#endif  // VOUCH_VERIFIER_TELEGRAM_PROVIDER_SERVICE_H_
