#ifndef VOUCH_VERIFIER_CLI_HEALTH_COMMANDS_H_
#define VOUCH_VERIFIER_CLI_HEALTH_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace vouch::verifier::cli {

// vouchctl health: asks vouchd's grpc.health.v1.Health/Check (over TLS like
// every other command) and exits 0 when SERVING, 1 otherwise. For container
// health checks and Kubernetes exec probes, where the kubelet's own gRPC
// probe cannot speak TLS.
void AddHealthCommands(CLI::App& app, int& exit_code);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_HEALTH_COMMANDS_H_
