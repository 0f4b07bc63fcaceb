#ifndef VOUCH_VERIFIER_SERVER_STARTUP_HEALTH_H_
#define VOUCH_VERIFIER_SERVER_STARTUP_HEALTH_H_

// While vouchd waits for its database at start, a gRPC server with
// only grpc.health.v1, answering NOT_SERVING, holds the listen address, so
// a load balancer or probe sees "not ready" instead of a refused
// connection. It is shut down before the real server binds the same port.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace vouch::verifier::server {

// Null when `listen` asks for any free port (":0": the real server would get
// another one) or cannot be bound now.
std::unique_ptr<grpc::Server> StartNotServingHealth(
    const std::string& listen, const std::shared_ptr<grpc::ServerCredentials>& credentials);

}  // namespace vouch::verifier::server

#endif  // VOUCH_VERIFIER_SERVER_STARTUP_HEALTH_H_
