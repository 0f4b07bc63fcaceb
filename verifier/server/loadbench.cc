// vouchd_loadbench: N concurrent clients submitting sealed synthetic
// Telegram Passport submissions to a real vouchd for M seconds. Prints
// throughput, p50/p99 latency overall (client side) and per stage (from
// vouchd's /metrics histograms), the error count (must be 0), vouchd's peak
// RSS, and the overhead of gRPC + service + pipeline relative to the sum of
// the stages run in-process on the same submissions in the same run.
// Not a ctest test.
//
// Usage: vouchd_loadbench --vouchd PATH [--clients 8] [--seconds 10]
//                         [--workers 2] [--testdata DIR]

#include <grpcpp/grpcpp.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "httplib.h"
#include "passport/decrypt.h"
#include "passport/seal.h"
#include "pipeline/ocr_adapter.h"
#include "pipeline/passport_adapter.h"
#include "pipeline/verification_pipeline.h"
#include "vouch/v1/verification.grpc.pb.h"

extern char** environ;

namespace vouch::verifier {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

// Quantile from a Prometheus histogram's cumulative buckets (upper bound of
// the bucket that holds it: a conservative estimate).
double HistogramQuantile(const std::vector<std::pair<double, double>>& buckets, double q) {
  if (buckets.empty() || buckets.back().second == 0) return 0;
  const double target = q * buckets.back().second;
  for (const auto& [le, count] : buckets) {
    if (count >= target) return le;
  }
  return buckets.back().first;
}

struct StageStats {
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative)
  double sum = 0;
  double count = 0;
};

std::map<std::string, StageStats> ParseStages(const std::string& text) {
  std::map<std::string, StageStats> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const std::string prefix = "vouch_stage_seconds";
    if (!absl::StartsWith(line, prefix)) continue;
    const size_t stage_at = line.find("stage=\"");
    if (stage_at == absl::string_view::npos) continue;
    const size_t stage_end = line.find('"', stage_at + 7);
    const std::string stage(line.substr(stage_at + 7, stage_end - stage_at - 7));
    double value = 0;
    if (!absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) continue;
    if (absl::StartsWith(line, "vouch_stage_seconds_bucket")) {
      const size_t le_at = line.find("le=\"");
      const std::string le(line.substr(le_at + 4, line.find('"', le_at + 4) - le_at - 4));
      double bound = le == "+Inf" ? 1e9 : 0;
      if (le != "+Inf") (void)absl::SimpleAtod(le, &bound);
      out[stage].buckets.emplace_back(bound, value);
    } else if (absl::StartsWith(line, "vouch_stage_seconds_sum")) {
      out[stage].sum = value;
    } else if (absl::StartsWith(line, "vouch_stage_seconds_count")) {
      out[stage].count = value;
    }
  }
  return out;
}

int Run(const std::string& vouchd, int clients, double seconds, int workers,
        const std::string& testdata) {
  const std::string dir = absl::StrCat("/tmp/vouchd_loadbench_", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string ready = dir + "/ready";
  std::vector<std::string> args = {vouchd, "--listen", "127.0.0.1:0", "--data-dir",
                                   dir + "/data", "--ready-file", ready, "--metrics-listen",
                                   "127.0.0.1:0", "--workers", std::to_string(workers),
                                   "--queue", std::to_string(std::max(clients, 2 * workers)),
                                   "--log-level", "warn", "--insecure-loopback", "--models-dir",
                                   std::string(VOUCH_SOURCE_DIR) + "/models"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = dir + "/vouchd.log";
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT, 0600);
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    std::cerr << "error: cannot start " << vouchd << "\n";
    return 1;
  }
  std::string address, metrics;
  for (int i = 0; i < 300 && metrics.empty(); ++i) {
    std::ifstream in(ready);
    if (!(in && std::getline(in, address) && std::getline(in, metrics))) {
      address.clear();
      metrics.clear();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (metrics.empty()) {
    std::cerr << "error: vouchd did not start\n";
    kill(pid, SIGKILL);
    return 1;
  }

  // The API key vouchd made for the "default" service at its first start.
  std::string token = ReadAll(dir + "/data/service-default.token");
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();

  // Sealed synthetic submissions for vouchd's key (distinct nonces).
  const std::string pem = ReadAll(dir + "/data/keys/passport_rsa.pem");
  auto decryptor = passport::PassportDecryptor::FromPem(pem);
  auto key = passport::PassportPublicKey::FromPem(*decryptor->PublicKeyPem());
  const std::string front = ReadAll(testdata + "/passport_front.jpg");
  const std::string selfie = ReadAll(testdata + "/selfie.jpg");
  std::vector<v1::VerifyRequest> requests;
  for (int i = 0; i < 16; ++i) {
    std::vector<passport::PlainElement> elements(2);
    elements[0].type = passport::ElementType::kPersonalDetails;
    elements[0].data_json =
        R"({"first_name":"Anna","last_name":"Eriksson","birth_date":"12.08.1974",)"
        R"("gender":"female","country_code":"SE","residence_country_code":"SE"})";
    elements[1].type = passport::ElementType::kPassport;
    elements[1].data_json = R"({"document_no":"L898902C3","expiry_date":"15.04.2032"})";
    elements[1].front_side = passport::PlainFile{"", SecureBytes(front)};
    elements[1].selfie = passport::PlainFile{"", SecureBytes(selfie)};
    const std::string nonce = absl::StrCat("bench-", i);
    auto sealed = passport::SealPassportData(*key, elements, nonce);
    v1::VerifyRequest& r = requests.emplace_back();
    r.set_passport_data_json(sealed->passport_data_json);
    for (const auto& [id, bytes] : sealed->encrypted_files_by_file_id) {
      v1::EncryptedFile* f = r.add_files();
      f->set_file_id(id);
      f->set_content(bytes);
    }
    r.set_nonce(nonce);
    r.set_telegram_user_id(1000 + i);
    r.set_relying_service("default");  // The first-start service (its API key below).
  }

  // Baseline: the same pipeline in-process, one at a time, no gRPC/store.
  std::unique_ptr<PassportOpener> opener = NewPassportModuleOpener(*decryptor);
  OcrReaderOptions ocr_options;
  ocr_options.models_dir = std::string(VOUCH_SOURCE_DIR) + "/models";
  std::unique_ptr<DocumentReaderFactory> readers = NewOcrDocumentReaderFactory(ocr_options);
  std::unique_ptr<DocumentReader> reader = *readers->NewReader();
  std::unique_ptr<Store> store = NewMemoryStore();
  SystemClock clock;
  VerificationPipeline pipeline(*opener, nullptr, *store, clock);
  const Policy policy = **Config::Default().FindPolicy("default");
  std::vector<double> baseline_ms;
  const absl::Time baseline_end = absl::Now() + absl::Seconds(std::min(3.0, seconds / 2));
  for (size_t i = 0; absl::Now() < baseline_end; ++i) {
    const absl::Time t0 = absl::Now();
    PipelineInput input{&requests[i % requests.size()], &policy, "ver_baseline", "bench"};
    (void)pipeline.Run(input, *reader, nullptr);
    baseline_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
  }

  // Load: N clients, each its own channel.
  auto run_clients = [&](int n, double secs, std::vector<double>& latencies, int& errors) {
    absl::Mutex mu;
    std::vector<std::thread> threads;
    const absl::Time end = absl::Now() + absl::Seconds(secs);
    for (int c = 0; c < n; ++c) {
      threads.emplace_back([&, c] {
        grpc::ChannelArguments channel_args;
        channel_args.SetInt("grpc.channel_id", c);  // Separate connections.
        channel_args.SetMaxSendMessageSize(64 << 20);
        auto stub = v1::Verification::NewStub(grpc::CreateCustomChannel(
            address, grpc::InsecureChannelCredentials(), channel_args));
        std::vector<double> mine;
        int my_errors = 0;
        for (size_t i = c; absl::Now() < end; i += n) {
          grpc::ClientContext context;
          context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
          context.AddMetadata("authorization", "Bearer " + token);
          v1::VerificationResult result;
          const absl::Time t0 = absl::Now();
          const grpc::Status status = stub->Verify(&context, requests[i % requests.size()], &result);
          if (!status.ok()) {
            ++my_errors;
            continue;
          }
          mine.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
        }
        absl::MutexLock lock(&mu);
        latencies.insert(latencies.end(), mine.begin(), mine.end());
        errors += my_errors;
      });
    }
    for (std::thread& t : threads) t.join();
  };
  std::vector<double> single;
  int single_errors = 0;
  run_clients(1, std::min(3.0, seconds / 2), single, single_errors);
  std::vector<double> latencies;
  int errors = 0;
  const absl::Time load_start = absl::Now();
  run_clients(clients, seconds, latencies, errors);
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - load_start);

  httplib::Client http(metrics.substr(0, metrics.rfind(':')),
                       std::stoi(metrics.substr(metrics.rfind(':') + 1)));
  auto scraped = http.Get("/metrics");
  std::string rss = "?";
  {
    std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
    std::string line;
    while (std::getline(status, line)) {
      if (absl::StartsWith(line, "VmHWM:")) rss = line.substr(6);
    }
  }
  kill(pid, SIGTERM);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  std::filesystem::remove_all(dir);

  const auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0 : s / v.size();
  };
  std::cout << "vouchd_loadbench: " << clients << " clients, " << seconds << " s, " << workers
            << " workers; submission = personal_details + passport (front side "
            << front.size() / 1024 << " KB, selfie " << selfie.size() / 1024 << " KB)\n";
  std::cout << absl::StrFormat("throughput        %.1f verifications/s (%zu in %.1f s)\n",
                               latencies.size() / elapsed, latencies.size(), elapsed);
  std::cout << absl::StrFormat("latency overall   p50 %.2f ms  p99 %.2f ms (client side)\n",
                               Percentile(latencies, 0.5), Percentile(latencies, 0.99));
  if (scraped && scraped->status == 200) {
    for (const auto& [stage, s] : ParseStages(scraped->body)) {
      std::cout << absl::StrFormat(
          "stage %-11s mean %.2f ms  p50 <= %.0f ms  p99 <= %.0f ms (histogram buckets)\n",
          stage, s.count > 0 ? 1000 * s.sum / s.count : 0,
          1000 * HistogramQuantile(s.buckets, 0.5), 1000 * HistogramQuantile(s.buckets, 0.99));
    }
  }
  std::cout << "errors            " << errors + single_errors << "\n";
  std::cout << "vouchd peak RSS  " << rss << "\n";
  const double base = mean(baseline_ms), one = mean(single);
  std::cout << absl::StrFormat(
      "overhead          1 client %.2f ms vs in-process stages %.2f ms: +%.1f%% "
      "(gRPC + service + SQLite)\n",
      one, base, base > 0 ? 100 * (one - base) / base : 0);
  return errors + single_errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace vouch::verifier

int main(int argc, char** argv) {
  std::string vouchd;
  std::string testdata = std::string(VOUCH_SOURCE_DIR) + "/tests/testdata/passport";
  int clients = 8, workers = 2;
  double seconds = 10;
  CLI::App app{"vouchd_loadbench: concurrent clients against a real vouchd"};
  app.add_option("--vouchd", vouchd, "path to vouchd")->required();
  app.add_option("--clients", clients)->capture_default_str()->check(CLI::Range(1, 256));
  app.add_option("--seconds", seconds)->capture_default_str()->check(CLI::Range(1.0, 3600.0));
  app.add_option("--workers", workers)->capture_default_str()->check(CLI::Range(1, 64));
  app.add_option("--testdata", testdata, "folder with passport_front.jpg and selfie.jpg")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return vouch::verifier::Run(vouchd, clients, seconds, workers, testdata);
}
