#include "health_commands.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/generic/generic_stub.h>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client_options.h"

namespace vouch::verifier::cli {
namespace {

// grpc.health.v1 (grpc/src/proto/grpc/health/v1/health.proto): Debian's
// gRPC ships no generated health client, so the call goes through the
// generic stub. The request's only field, `service`, is a string (field 1);
// the response's only field, `status`, an enum (field 1, varint).
constexpr char kCheckMethod[] = "/grpc.health.v1.Health/Check";
constexpr uint32_t kStatusTag = (1 << 3) | 0;   // Field 1, varint.
constexpr uint32_t kServiceTag = (1 << 3) | 2;  // Field 1, length-delimited.
constexpr uint32_t kServing = 1;
constexpr const char* kStatusNames[] = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};

struct HealthArgs {
  ClientOptions client;
  std::string service;
  double timeout_seconds = 5;
};

std::string EncodeRequest(const std::string& service) {
  std::string out;
  if (service.empty()) return out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.WriteTag(kServiceTag);
  coded.WriteVarint32(static_cast<uint32_t>(service.size()));
  coded.WriteString(service);
  return out;
}

// The status field of a HealthCheckResponse; unknown fields are skipped.
bool DecodeStatus(const std::string& bytes, uint32_t* status) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  *status = 0;  // proto3 default: UNKNOWN.
  while (uint32_t tag = in.ReadTag()) {
    if (tag == kStatusTag) {
      if (!in.ReadVarint32(status)) return false;
    } else if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

int RunHealth(const HealthArgs& args) {
  absl::StatusOr<ClientOptions> options = ResolveClientOptions(args.client);
  if (!options.ok()) {
    std::cerr << "error: " << options.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = Dial(*options);
  if (!channel.ok()) {
    std::cerr << "error: " << channel.status().message() << "\n";
    return 1;
  }
  grpc::GenericStub stub(*channel);
  grpc::ClientContext context;
  context.set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(args.timeout_seconds * 1000)));
  grpc::Slice slice(EncodeRequest(args.service));
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  bool done = false;
  std::mutex mu;
  std::condition_variable cv;
  stub.UnaryCall(&context, kCheckMethod, grpc::StubOptions(), &request_buffer, &response,
                 [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = std::move(s);
                   done = true;
                   cv.notify_one();
                 });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  if (!status.ok()) {
    PrintRpcError(status);
    return 1;
  }
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (response.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices)
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  uint32_t serving = 0;
  if (!DecodeStatus(bytes, &serving)) {
    std::cerr << "error: malformed health response from " << options->server << "\n";
    return 1;
  }
  const char* name = serving < 4 ? kStatusNames[serving] : "UNKNOWN";
  std::cout << options->server << ": " << name << "\n";
  return serving == kServing ? 0 : 1;
}

}  // namespace

void AddHealthCommands(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<HealthArgs>();
  CLI::App* health = app.add_subcommand(
      "health", "Ask vouchd's gRPC health service; exit 0 when SERVING (probes, scripts)");
  AddClientOptions(*health, args->client);
  health->add_option("--service", args->service, "service name to ask about (default: the server)");
  health->add_option("--timeout", args->timeout_seconds, "seconds to wait for the answer")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  health->callback([args, &exit_code] { exit_code = RunHealth(*args); });
}

}  // namespace vouch::verifier::cli
