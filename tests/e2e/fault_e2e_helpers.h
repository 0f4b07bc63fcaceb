#ifndef VOUCH_TESTS_E2E_FAULT_E2E_HELPERS_H_
#define VOUCH_TESTS_E2E_FAULT_E2E_HELPERS_H_

// Shared by the fault end-to-end tests: gRPC health of a running
// vouchd (grpc.health.v1 through the generic stub: the C++ health stubs are
// not packaged), the google.rpc details of a refused call, and a stream of
// asynchronous submissions that records what every call got.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "vouch/v1/verification.grpc.pb.h"

namespace vouch::testing {

// grpc.health.v1.HealthCheckResponse.ServingStatus.
enum class Health { kUnreachable = -1, kUnknown = 0, kServing = 1, kNotServing = 2 };

// Check("") of the server at `address` (plaintext), 2 s deadline.
inline Health CheckHealth(const std::string& address) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::Slice empty;  // HealthCheckRequest{service: ""} encodes as no bytes.
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return Health::kUnreachable;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return Health::kUnreachable;
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // Field 1 (status), varint: 0x08 then the value; absent means UNKNOWN.
  if (bytes.size() >= 2 && bytes[0] == 0x08) return static_cast<Health>(bytes[1]);
  return Health::kUnknown;
}

struct ErrorDetails {
  std::string reason;
  bool has_retry_info = false;
};

inline ErrorDetails DetailsOf(const grpc::Status& status) {
  ErrorDetails out;
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(status.error_details())) return out;
  for (const google::protobuf::Any& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::RetryInfo retry;
    if (any.UnpackTo(&info)) out.reason = info.reason();
    if (any.UnpackTo(&retry)) out.has_retry_info = true;
  }
  return out;
}

// What one Submit got.
struct SubmitOutcome {
  std::chrono::steady_clock::time_point at;
  grpc::Status status;
  std::string verification_id;  // when accepted
};

// Submits `request` (with a fresh idempotency key each time) every `period`
// from its own thread until Stop().
class SubmissionStream {
 public:
  SubmissionStream(v1::Verification::Stub& stub, v1::VerifyRequest request, std::string token,
                   std::chrono::milliseconds period)
      : stub_(stub), request_(std::move(request)), token_(std::move(token)), period_(period) {
    thread_ = std::thread([this] { Run(); });
  }
  ~SubmissionStream() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<SubmitOutcome> outcomes() {
    std::lock_guard<std::mutex> lock(mu_);
    return outcomes_;
  }
  std::vector<std::string> accepted() {
    std::vector<std::string> ids;
    for (const SubmitOutcome& o : outcomes()) {
      if (o.status.ok()) ids.push_back(o.verification_id);
    }
    return ids;
  }

 private:
  void Run() {
    for (int i = 0; !stop_; ++i) {
      v1::VerifyRequest request = request_;
      request.set_idempotency_key(absl::StrCat("stream-", getpid(), "-", i));
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + token_);
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      v1::SubmitResponse response;
      SubmitOutcome outcome;
      outcome.status = stub_.Submit(&context, request, &response);
      outcome.at = std::chrono::steady_clock::now();
      outcome.verification_id = response.verification_id();
      {
        std::lock_guard<std::mutex> lock(mu_);
        outcomes_.push_back(outcome);
      }
      std::this_thread::sleep_for(period_);
    }
  }

  v1::Verification::Stub& stub_;
  const v1::VerifyRequest request_;
  const std::string token_;
  const std::chrono::milliseconds period_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<SubmitOutcome> outcomes_;
  std::thread thread_;
};

// Polls CheckHealth every 100 ms from its own thread and keeps the changes.
class HealthRecorder {
 public:
  explicit HealthRecorder(std::string address) : address_(std::move(address)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        const Health h = CheckHealth(address_);
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (changes_.empty() || changes_.back().second != h) {
            changes_.emplace_back(std::chrono::steady_clock::now(), h);
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  ~HealthRecorder() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::pair<std::chrono::steady_clock::time_point, Health>> changes() {
    std::lock_guard<std::mutex> lock(mu_);
    return changes_;
  }

 private:
  const std::string address_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::pair<std::chrono::steady_clock::time_point, Health>> changes_;
  std::thread thread_;
};

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_E2E_FAULT_E2E_HELPERS_H_
