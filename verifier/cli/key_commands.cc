#include "key_commands.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client_options.h"
#include "command_helpers.h"
#include "vouch/v1/admin.grpc.pb.h"

namespace vouch::verifier::cli {
namespace {

struct KeyArgs {
  ClientOptions client;
  double publish_delay_seconds = 0;  // 0: vouchd's --key-publish-delay-seconds.
  double timeout_seconds = 30;
};

// The Admin stub and a prepared call context.
absl::StatusOr<std::unique_ptr<v1::Admin::Stub>> Connect(const KeyArgs& a,
                                                         grpc::ClientContext& context) {
  absl::StatusOr<ClientOptions> options = ResolveClientOptions(a.client);
  if (!options.ok()) return options.status();
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = Dial(*options);
  if (!channel.ok()) return channel.status();
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(a.timeout_seconds * 1000)));
  Attach(context, *options);
  return v1::Admin::NewStub(*channel);
}

std::string UnixTime(int64_t seconds) {
  return seconds == 0 ? "-"
                      : absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(seconds),
                                         absl::UTCTimeZone());
}

void PrintKey(const v1::AttestationKey& k) {
  std::cout << k.kid() << " " << k.alg() << " " << k.state();
  if (k.state() == "next") std::cout << " signs_from " << UnixTime(k.activate_time_unix());
  if (k.state() == "retired") {
    std::cout << " retired " << UnixTime(k.retire_time_unix()) << " leaves_jwks "
              << UnixTime(k.remove_time_unix());
  }
  std::cout << "\n";
}

int RunList(const KeyArgs& a) {
  grpc::ClientContext context;
  auto stub = Connect(a, context);
  if (!stub.ok()) return Fail(stub.status());
  v1::ListAttestationKeysResponse response;
  const grpc::Status status =
      (*stub)->ListAttestationKeys(&context, v1::ListAttestationKeysRequest(), &response);
  if (!status.ok()) {
    PrintRpcError(status);
    return 1;
  }
  for (const v1::AttestationKey& k : response.keys()) PrintKey(k);
  return 0;
}

int RunRotateAttestation(const KeyArgs& a) {
  grpc::ClientContext context;
  auto stub = Connect(a, context);
  if (!stub.ok()) return Fail(stub.status());
  v1::RotateAttestationKeyRequest request;
  request.set_publish_delay_seconds(static_cast<int64_t>(a.publish_delay_seconds));
  v1::RotateAttestationKeyResponse response;
  const grpc::Status status = (*stub)->RotateAttestationKey(&context, request, &response);
  if (!status.ok()) {
    PrintRpcError(status);
    return 1;
  }
  std::cout << "published " << response.key().kid() << " (in the JWKS now; signs from "
            << UnixTime(response.key().activate_time_unix()) << ")\n";
  for (const v1::AttestationKey& k : response.keys()) PrintKey(k);
  return 0;
}

int RunRotatePassport(const KeyArgs& a) {
  grpc::ClientContext context;
  auto stub = Connect(a, context);
  if (!stub.ok()) return Fail(stub.status());
  v1::RotatePassportKeyResponse response;
  const grpc::Status status =
      (*stub)->RotatePassportKey(&context, v1::RotatePassportKeyRequest(), &response);
  if (!status.ok()) {
    PrintRpcError(status);
    return 1;
  }
  std::cout << "new Telegram Passport key " << response.key_id() << " (previous "
            << response.previous_key_id()
            << ", kept to open submissions made for it)\n"
               "The bot owner must register this public key: send /setpublickey to "
               "@BotFather, choose the bot, and paste:\n\n"
            << response.public_key_pem();
  return 0;
}

}  // namespace

void AddKeyCommands(CLI::App& app, int& exit_code) {
  CLI::App* keys = app.add_subcommand(
      "keys", "list and rotate vouchd's attestation and Passport keys while it runs (admin)");
  keys->require_subcommand(1);

  auto list_args = std::make_shared<KeyArgs>();
  CLI::App* list = keys->add_subcommand("list", "the attestation keys and their states");
  list->add_option("--timeout", list_args->timeout_seconds, "seconds")->capture_default_str();
  AddClientOptions(*list, list_args->client);
  list->callback([list_args, &exit_code] { exit_code = RunList(*list_args); });

  CLI::App* rotate = keys->add_subcommand("rotate", "add a new key (audited)");
  rotate->require_subcommand(1);
  auto attestation_args = std::make_shared<KeyArgs>();
  CLI::App* attestation = rotate->add_subcommand(
      "attestation",
      "a new signing key: published in the JWKS at once, signing after --publish-delay; the "
      "old key stays published until its last credential expired");
  attestation
      ->add_option("--publish-delay", attestation_args->publish_delay_seconds,
                   "seconds between publication and first signature (default: vouchd's "
                   "--key-publish-delay-seconds)")
      ->check(CLI::Range(0.0, 30.0 * 86400));
  attestation->add_option("--timeout", attestation_args->timeout_seconds, "seconds")
      ->capture_default_str();
  AddClientOptions(*attestation, attestation_args->client);
  attestation->callback(
      [attestation_args, &exit_code] { exit_code = RunRotateAttestation(*attestation_args); });

  auto passport_args = std::make_shared<KeyArgs>();
  CLI::App* passport = rotate->add_subcommand(
      "passport",
      "a new Telegram Passport key (the previous one keeps opening submissions made for it); "
      "prints the public key the bot owner registers with @BotFather");
  passport->add_option("--timeout", passport_args->timeout_seconds, "seconds")
      ->capture_default_str();
  AddClientOptions(*passport, passport_args->client);
  passport->callback(
      [passport_args, &exit_code] { exit_code = RunRotatePassport(*passport_args); });
}

}  // namespace vouch::verifier::cli
