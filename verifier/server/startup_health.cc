#include "startup_health.h"

#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/match.h"
#include "spdlog/spdlog.h"

namespace vouch::verifier::server {

std::unique_ptr<grpc::Server> StartNotServingHealth(
    const std::string& listen, const std::shared_ptr<grpc::ServerCredentials>& credentials) {
  if (absl::EndsWith(listen, ":0")) return nullptr;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, credentials, &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0 || server->GetHealthCheckService() == nullptr) {
    return nullptr;
  }
  server->GetHealthCheckService()->SetServingStatus(false);
  spdlog::info("health NOT_SERVING on {} while waiting for the database", listen);
  return server;
}

}  // namespace vouch::verifier::server
