#include "erase_commands.h"

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/private_file.h"
#include "client_options.h"
#include "command_helpers.h"
#include "nlohmann/json.hpp"
#include "vouch/v1/admin.grpc.pb.h"

namespace vouch::verifier::cli {
namespace {

struct EraseArgs {
  ClientOptions client;
  std::vector<std::string> verification_ids;
  int64_t telegram_user_id = 0;
  std::string relying_service;
  std::string out;  // "" = the receipt on stdout
  bool json = false;
  double timeout_seconds = 60;
};

std::string JoinIds(const nlohmann::json& ids) {
  std::string out;
  if (!ids.is_array()) return out;
  for (const nlohmann::json& id : ids) {
    if (!id.is_string()) continue;
    if (!out.empty()) out += " ";
    out += id.get<std::string>();
  }
  return out;
}

// What the receipt states, for a person.
void PrintSummary(const nlohmann::json& claims, std::ostream& os) {
  const nlohmann::json erased = claims.value("erased", nlohmann::json::object());
  os << "receipt " << claims.value("jti", "?") << " (signed by " << claims.value("iss", "?")
     << ")\n";
  os << "erased verifications: " << erased.value("verifications", int64_t{0});
  const std::string ids = JoinIds(erased.value("verification_ids", nlohmann::json::array()));
  if (!ids.empty()) os << " [" << ids << "]";
  os << "\n";
  for (const char* what :
       {"review_cases", "jobs", "idempotency_keys", "duplicate_entries", "face_entries", "pickups",
        "wallet_offers", "badge_calls", "attestations_revoked"}) {
    os << "  " << what << ": " << erased.value(what, int64_t{0}) << "\n";
  }
  const std::string unmatched =
      JoinIds(claims.value("unmatched_verification_ids", nlohmann::json::array()));
  if (!unmatched.empty()) {
    os << "nothing held (unknown, or erased before): " << unmatched << "\n";
  }
  if (claims.value("badge_removal_queued", false)) {
    os << "the Telegram badge's removal is queued\n";
  }
}

int RunErase(const EraseArgs& a) {
  if (a.verification_ids.empty() && a.telegram_user_id == 0) {
    return Fail(absl::InvalidArgumentError("give --verification or --telegram-user"));
  }
  if ((a.telegram_user_id != 0) != !a.relying_service.empty()) {
    return Fail(absl::InvalidArgumentError("--telegram-user and --service go together"));
  }
  absl::StatusOr<ClientOptions> options = ResolveClientOptions(a.client);
  if (!options.ok()) return Fail(options.status());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = Dial(*options);
  if (!channel.ok()) return Fail(channel.status());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(a.timeout_seconds * 1000)));
  Attach(context, *options);
  v1::EraseRequest request;
  for (const std::string& id : a.verification_ids) request.add_verification_ids(id);
  request.set_telegram_user_id(a.telegram_user_id);
  request.set_relying_service(a.relying_service);
  v1::EraseResponse response;
  const grpc::Status status = v1::Admin::NewStub(*channel)->Erase(&context, request, &response);
  if (!status.ok()) return FailRpc(status);
  const nlohmann::json claims = nlohmann::json::parse(response.claims_json(), nullptr, false);
  if (!a.out.empty()) {
    const absl::Status written = WritePrivateFile(a.out, response.receipt() + "\n");
    if (!written.ok()) return Fail(written, "the data was erased, but the receipt was not saved");
  }
  if (a.json) {
    std::cout << (claims.is_discarded() ? response.claims_json() : claims.dump(2)) << "\n";
  } else if (a.out.empty()) {
    std::cout << response.receipt() << "\n";
  }
  if (!claims.is_discarded() && !a.json)
    PrintSummary(claims, a.out.empty() ? std::cerr : std::cout);
  if (!a.out.empty()) {
    (a.json ? std::cerr : std::cout)
        << "receipt saved to " << a.out << " (check it: vouch-verify --jwks JWKS --receipt "
        << a.out << ")\n";
  }
  return 0;
}

}  // namespace

void AddEraseCommands(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EraseArgs>();
  CLI::App* erase = app.add_subcommand(
      "erase",
      "erase everything vouchd keeps about verifications or a Telegram user, revoke their "
      "attestations, and get a signed receipt (admin; docs/erasure.md)");
  erase->add_option("--verification", args->verification_ids, "a verification id (repeatable)");
  erase
      ->add_option("--telegram-user", args->telegram_user_id,
                   "a Telegram user id: their verifications of --service")
      ->check(CLI::PositiveNumber);
  erase->add_option("--service", args->relying_service,
                    "the relying service (with --telegram-user)");
  auto* out =
      erase->add_option("--out", args->out, "write the receipt (JWS) to this file (mode 0600)");
  erase->add_flag("--json", args->json, "print what the receipt states as JSON (with --out)")
      ->needs(out);
  erase->add_option("--timeout", args->timeout_seconds, "seconds")->capture_default_str();
  AddClientOptions(*erase, args->client);
  erase->callback([args, &exit_code] { exit_code = RunErase(*args); });
}

}  // namespace vouch::verifier::cli
