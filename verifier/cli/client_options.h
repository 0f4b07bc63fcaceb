#ifndef VOUCH_VERIFIER_CLI_CLIENT_OPTIONS_H_
#define VOUCH_VERIFIER_CLI_CLIENT_OPTIONS_H_

// How vouchctl reaches vouchd, shared by every command that talks to it.
// Each setting comes from its flag, else the environment, else the client
// config file (--client-config, $VOUCH_CLIENT_CONFIG, or
// ~/.config/vouch/vouchctl.toml when it exists):
//
//   flag            env                 config key   meaning
//   --server        VOUCH_SERVER        server       HOST:PORT (default 127.0.0.1:50051)
//   --tls           VOUCH_TLS           tls          auto | on | off (default auto)
//   --ca            VOUCH_CA            ca           PEM CA bundle to verify vouchd
//   --cert          VOUCH_CERT          cert         client certificate (PEM) for mTLS
//   --key           VOUCH_KEY           key          its private key (PEM)
//   --token-file    VOUCH_TOKEN_FILE    token_file   file holding the bearer token
//   (no flag)       VOUCH_TOKEN         token        the bearer token itself
//   --server-name   VOUCH_SERVER_NAME   server_name  TLS name to check (default: the host)
//
// tls=auto is TLS except for a loopback address with no --ca/--cert given;
// plaintext (tls=off) is refused for any address other than loopback. The
// token is not a flag so that it never shows in `ps`.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"

namespace vouch::verifier::cli {

struct ClientOptions {
  std::string server;
  std::string tls;  // auto, on, off
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string token_file;
  std::string token;
  std::string server_name;
  std::string config_file;
};

// Adds the flags above to `cmd`.
void AddClientOptions(CLI::App& cmd, ClientOptions& options);

// Fills what the flags left empty from the environment and the config file,
// reads the token file, and checks the combination. Errors:
// kInvalidArgument (bad value; plaintext off loopback), kNotFound (file).
absl::StatusOr<ClientOptions> ResolveClientOptions(const ClientOptions& flags);

// A channel to vouchd. Takes ResolveClientOptions' result (or the flags as
// parsed, which it then resolves itself). `max_send_bytes` 0 leaves gRPC's
// default; `max_receive_bytes` bounds one response (a review case with its
// images needs more than the default). Usage:
//   VOUCH_ASSIGN_OR_RETURN(ClientOptions o, ResolveClientOptions(flags));
//   VOUCH_ASSIGN_OR_RETURN(auto channel, Dial(o));
//   grpc::ClientContext context; Attach(context, o);
absl::StatusOr<std::shared_ptr<grpc::Channel>> Dial(const ClientOptions& resolved,
                                                    int max_send_bytes = 0,
                                                    int max_receive_bytes = 16 << 20);

// Adds the bearer token (if any) to a call. Resolved options are cheapest;
// unresolved ones are resolved again (reading the token file) per call.
void Attach(grpc::ClientContext& context, const ClientOptions& options);

// The stable reason of a failed call (google.rpc.ErrorInfo in its details),
// "" when it carries none.
std::string RpcErrorReason(const grpc::Status& status);

// Prints "error: CODE: REASON: message" to stderr for a failed call ("error:
// CODE: message" when the call carries no reason). A transport failure
// (UNAVAILABLE without a reason) names the address last dialed and the usual
// fixes.
void PrintRpcError(const grpc::Status& status);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_CLIENT_OPTIONS_H_
