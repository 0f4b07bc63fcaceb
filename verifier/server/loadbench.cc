// vouchd_loadbench: N concurrent clients submitting sealed synthetic
// passports to a real vouchd for M seconds. Not a ctest test.
//
// Before anything is timed it starts vouchd (fresh --data-dir, the repo's
// models), makes --samples distinct submissions with docgen (tests/docgen
// MakeSample: personal_details + passport with a TD3 data page carrying a
// real face as portrait, and a selfie of that face; each sample its own
// document number, names, birth date and page seed) and seals them for
// vouchd's Passport key as the Telegram app would.
//
// Then, in this order:
//   1. in-process baseline: the same pipeline (same readers: MRZ, quality,
//      face match; a real attestation issuer; in-memory store), no gRPC, no
//      SQLite, no worker pool: every sample must come out VERIFIED; each
//      stage's own cost (decrypt, documents, consistency, attest) is timed;
//      then --workers threads run it in parallel for the in-process
//      throughput;
//   2. one gRPC client, sequential: end-to-end latency against the sum of
//      the stages' own costs = the overhead of gRPC + service + pipeline;
//   3. --clients gRPC clients for --seconds: throughput, latency p50/p99,
//      per-stage p50/p99 from vouchd's own histograms (that phase only),
//      errors (an RPC error or any decision other than VERIFIED; must be 0),
//      vouchd's peak RSS, and throughput against the in-process one.
// Prints the load average before and after (the machine may be shared).
//
// Usage: vouchd_loadbench --vouchd PATH [--clients 4] [--seconds 15]
//                         [--workers 2] [--samples 4] [--face FILE]

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "attest/key_set.h"
#include "base/build_info.h"
#include "base/model_paths.h"
#include "base/openmp_limit.h"
#include "docgen/docgen.h"
#include "docgen/sample.h"
#include "httplib.h"
#include "ocr/checks.h"
#include "ocr/document.h"
#include "ocr/face.h"
#include "ocr/image.h"
#include "ocr/mrz_reader.h"
#include "opencv2/imgcodecs.hpp"
#include "passport/decrypt.h"
#include "passport/seal.h"
#include "pipeline/attest_adapter.h"
#include "pipeline/ocr_adapter.h"
#include "pipeline/passport_adapter.h"
#include "pipeline/verification_pipeline.h"
#include "version/dependency_versions.h"
#include "vouch/v1/verification.grpc.pb.h"

extern char** environ;

namespace vouch::verifier::server {
namespace {

constexpr const char* kStages[] = {"decrypt", "documents", "consistency", "attest"};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string LoadAverage() {
  std::string s = ReadAll("/proc/loadavg");
  std::vector<std::string> parts = absl::StrSplit(s, ' ');
  return parts.size() >= 3 ? absl::StrCat(parts[0], " ", parts[1], " ", parts[2]) : "?";
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / v.size();
}

// One Prometheus histogram: cumulative (le, count) buckets, sum, count.
struct Histogram {
  std::vector<std::pair<double, double>> buckets;
  double sum = 0;
  double count = 0;
};

// vouch_stage_seconds{stage=...} and vouch_verification_seconds, by stage
// ("" for the overall histogram).
std::map<std::string, Histogram> ParseHistograms(const std::string& text) {
  std::map<std::string, Histogram> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::string key;
    absl::string_view rest;
    if (absl::StartsWith(line, "vouch_stage_seconds")) {
      const size_t at = line.find("stage=\"");
      if (at == absl::string_view::npos) continue;
      const size_t end = line.find('"', at + 7);
      if (end == absl::string_view::npos) continue;
      key = std::string(line.substr(at + 7, end - at - 7));
      rest = line.substr(std::string_view("vouch_stage_seconds").size());
    } else if (absl::StartsWith(line, "vouch_verification_seconds")) {
      rest = line.substr(std::string_view("vouch_verification_seconds").size());
    } else {
      continue;
    }
    double value = 0;
    if (!absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) continue;
    if (absl::StartsWith(rest, "_bucket")) {
      const size_t le_at = line.find("le=\"");
      if (le_at == absl::string_view::npos) continue;
      const std::string le(line.substr(le_at + 4, line.find('"', le_at + 4) - le_at - 4));
      double bound = 1e9;
      if (le != "+Inf" && !absl::SimpleAtod(le, &bound)) continue;
      out[key].buckets.emplace_back(bound, value);
    } else if (absl::StartsWith(rest, "_sum")) {
      out[key].sum = value;
    } else if (absl::StartsWith(rest, "_count")) {
      out[key].count = value;
    }
  }
  return out;
}

// after - before (the load phase only).
Histogram Diff(const Histogram& after, const Histogram* before) {
  if (before == nullptr) return after;
  Histogram d = after;
  d.sum -= before->sum;
  d.count -= before->count;
  for (size_t i = 0; i < d.buckets.size() && i < before->buckets.size(); ++i) {
    d.buckets[i].second -= before->buckets[i].second;
  }
  return d;
}

// Upper bound of the bucket holding quantile q (a conservative estimate).
double HistogramQuantile(const Histogram& h, double q) {
  if (h.buckets.empty() || h.count <= 0) return 0;
  const double target = q * h.count;
  for (const auto& [le, count] : h.buckets) {
    if (count >= target) return le;
  }
  return h.buckets.back().first;
}

struct Vouchd {
  pid_t pid = -1;
  std::string address;
  std::string metrics;  // host:port
};

// The models folder both sides use, resolved once in main() like vouchd
// resolves its own (base/model_paths.h).
std::string& BenchModelsDir() {
  static std::string* const dir = new std::string();
  return *dir;
}

absl::StatusOr<Vouchd> StartVouchd(const std::string& path, const std::string& dir, int workers,
                                   int queue) {
  const std::string ready = dir + "/ready";
  std::vector<std::string> args = {path,
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--data-dir",
                                   dir + "/data",
                                   "--ready-file",
                                   ready,
                                   "--metrics-listen",
                                   "127.0.0.1:0",
                                   "--workers",
                                   std::to_string(workers),
                                   "--queue",
                                   std::to_string(queue),
                                   "--log-level",
                                   "warn",
                                   "--insecure-loopback",
                                   "--models-dir",
                                   BenchModelsDir()};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Vouchd v;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = dir + "/vouchd.log";
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_APPEND, 0600);
  const int spawned = posix_spawn(&v.pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return absl::FailedPreconditionError("cannot start " + path);
  for (int i = 0; i < 600 && v.metrics.empty(); ++i) {
    std::ifstream in(ready);
    if (!(in && std::getline(in, v.address) && std::getline(in, v.metrics))) {
      v.address.clear();
      v.metrics.clear();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (v.metrics.empty()) {
    kill(v.pid, SIGKILL);
    waitpid(v.pid, nullptr, 0);
    return absl::DeadlineExceededError("vouchd did not start (see " + log + ")");
  }
  return v;
}

absl::StatusOr<std::string> Scrape(const std::string& metrics) {
  const size_t colon = metrics.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(metrics.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError("bad metrics address");
  }
  httplib::Client http(metrics.substr(0, colon), port);
  auto got = http.Get("/metrics");
  if (!got || got->status != 200) return absl::UnavailableError("cannot scrape /metrics");
  return got->body;
}

// Distinct sealed synthetic passports for `key`.
// The plain images of one sample (for the per-check breakdown).
struct PlainImages {
  std::string front;
  std::string selfie;
};

absl::StatusOr<std::vector<v1::VerifyRequest>> MakeRequests(const passport::PassportPublicKey& key,
                                                            const std::string& face_path,
                                                            int samples,
                                                            std::vector<PlainImages>& plain) {
  const cv::Mat face = cv::imread(face_path, cv::IMREAD_COLOR);
  if (face.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", face_path, " (run models/face/fetch_samples.sh)"));
  }
  const cv::Rect box = face.cols == 512 && face.rows == 512 ? docgen::kSampleFaceBox
                                                            : cv::Rect(0, 0, face.cols, face.rows);
  absl::StatusOr<std::unique_ptr<docgen::DocumentGenerator>> gen =
      docgen::DocumentGenerator::Create();
  if (!gen.ok()) return gen.status();
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  static const std::vector<std::vector<std::string>> kGiven = {
      {"ANNA", "MARIA"}, {"EVA", "LINNEA"},    {"KARIN"}, {"SOFIA", "ELSA"}, {"INGRID", "MAJ"},
      {"HELENA"},        {"ASTRID", "LOVISA"}, {"MALIN"}};
  std::vector<v1::VerifyRequest> requests;
  for (int i = 0; i < samples; ++i) {
    docgen::SampleOptions options;
    options.identity = docgen::SampleIdentityValidFor(tm.tm_year + 1900, 3 + i % 5);
    options.identity.given_names = kGiven[i % kGiven.size()];
    options.identity.document_number = absl::StrFormat("VB%07d", 1234567 + 7919 * i);
    options.identity.birth_date =
        absl::StrFormat("%02d%02d%02d", 60 + (i * 7) % 35, 1 + i % 12, 1 + (i * 5) % 28);
    options.face = face;
    options.face_box = box;
    options.seed = 100 + static_cast<uint64_t>(i);
    absl::StatusOr<docgen::Sample> sample = docgen::MakeSample(**gen, options);
    if (!sample.ok()) return sample.status();
    plain.push_back(PlainImages{sample->front_jpeg, sample->selfie_jpeg});
    std::vector<passport::PlainElement> elements(2);
    elements[0].type = passport::ElementType::kPersonalDetails;
    elements[0].data_json = sample->personal_details_json;
    elements[1].type = passport::ElementType::kPassport;
    elements[1].data_json = sample->passport_json;
    elements[1].front_side = passport::PlainFile{"", SecureBytes(sample->front_jpeg)};
    elements[1].selfie = passport::PlainFile{"", SecureBytes(sample->selfie_jpeg)};
    const std::string nonce = absl::StrCat("loadbench-", i);
    absl::StatusOr<passport::SealedPassport> sealed =
        passport::SealPassportData(key, elements, nonce);
    if (!sealed.ok()) return sealed.status();
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
  return requests;
}

// What the documents stage is made of: ocr's calls as the reader makes them
// (decode, MRZ, quality, face checks), each timed alone on the same images.
// Prints mean ms per call.
void PrintDocumentsBreakdown(const std::vector<PlainImages>& plain, double seconds) {
  const std::string models = std::string(VOUCH_SOURCE_DIR) + "/models";
  ocr::MrzReaderOptions mrz_options;
  mrz_options.glyph_model = models + "/mrz/ocrb_glyphs.bin";
  absl::StatusOr<std::unique_ptr<ocr::MrzReader>> mrz = ocr::MrzReader::Create(mrz_options);
  // For comparison: the glyph classifier alone (no Tesseract), which the
  // service does not use (lower confidence cap).
  ocr::MrzReaderOptions glyphs_only = mrz_options;
  glyphs_only.use_tesseract = false;
  absl::StatusOr<std::unique_ptr<ocr::MrzReader>> mrz_fast = ocr::MrzReader::Create(glyphs_only);
  int fast_valid = 0, fast_runs = 0;
  double fast_confidence = 0;
  absl::StatusOr<std::unique_ptr<ocr::FaceModels>> faces = ocr::FaceModels::Load(models + "/face");
  std::map<std::string, std::vector<double>> ms;
  const auto timed = [&](const std::string& name, const auto& f) {
    const absl::Time t0 = absl::Now();
    f();
    ms[name].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
  };
  const ocr::QualityOptions quality = ocr::WithDocumentType(
      ocr::QualityOptions(), ocr::DocumentType::kTd3, ocr::DocumentSide::kFront);
  const absl::Time end = absl::Now() + absl::Seconds(seconds);
  for (size_t i = 0; absl::Now() < end || i < plain.size(); ++i) {
    const PlainImages& p = plain[i % plain.size()];
    absl::StatusOr<ocr::DecodedImage> front, selfie;
    timed("decode front", [&] { front = ocr::DecodeImage(p.front); });
    timed("decode selfie", [&] { selfie = ocr::DecodeImage(p.selfie); });
    if (!front.ok() || !selfie.ok()) return;
    if (mrz.ok()) timed("mrz", [&] { (void)(*mrz)->Read(front->bgr); });
    if (mrz_fast.ok()) {
      timed("mrz, no tesseract", [&] {
        absl::StatusOr<std::optional<ocr::MrzReadResult>> r = (*mrz_fast)->Read(front->bgr);
        ++fast_runs;
        if (r.ok() && r->has_value()) {
          fast_valid += (*r)->verdict == ocr::MrzVerdict::kValid;
          fast_confidence += (*r)->confidence;
        }
      });
    }
    timed("quality", [&] {
      (void)ocr::RunQualityChecks(front->bgr, ocr::TelegramSource::kFrontSide, quality, p.front);
    });
    if (faces.ok()) {
      timed("face checks+match", [&] {
        (void)ocr::RunFaceChecks(front->bgr, selfie->bgr, faces->get(), ocr::FaceOptions());
      });
    }
  }
  double sum = 0;
  std::cout << "documents stage, ocr calls timed alone, one at a time ("
            << ms["decode front"].size() << " rounds):\n";
  for (const char* name :
       {"decode front", "decode selfie", "mrz", "quality", "face checks+match"}) {
    const double mean = Mean(ms[name]);
    sum += mean;
    std::cout << absl::StrFormat("  %-18s mean %8.2f ms  p50 %8.2f\n", name, mean,
                                 Percentile(ms[name], 0.5));
  }
  std::cout << absl::StrFormat("  %-18s mean %8.2f ms\n", "sum", sum);
  if (fast_runs > 0) {
    std::cout << absl::StrFormat(
        "  (not used: MRZ without Tesseract mean %.2f ms, %d/%d valid, mean confidence %.2f)\n",
        Mean(ms["mrz, no tesseract"]), fast_valid, fast_runs, fast_confidence / fast_runs);
  }
}

// Per-stage durations (ms) of in-process runs.
struct StageTimes {
  absl::Mutex mu;
  std::map<std::string, std::vector<double>> by_stage;
  std::vector<double> total;
};

int Run(const std::string& vouchd_path, int clients, double seconds, int workers, int samples,
        const std::string& face, bool breakdown) {
  const std::string load_before = LoadAverage();
  const std::string dir = absl::StrCat("/tmp/vouchd_loadbench_", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
  const auto fail = [&](const absl::Status& s) {
    std::cerr << "error: " << s << "\n";
    std::filesystem::remove_all(dir);
    return 1;
  };
  absl::StatusOr<Vouchd> vouchd =
      StartVouchd(vouchd_path, dir, workers, std::max(clients, 2 * workers));
  if (!vouchd.ok()) return fail(vouchd.status());
  // The API key vouchd made for the "default" service at its first start.
  std::string token = ReadAll(dir + "/data/service-default.token");
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  const auto stop = [&] {
    kill(vouchd->pid, SIGTERM);
    int status = 0;
    waitpid(vouchd->pid, &status, 0);
  };

  // Samples, sealed for vouchd's key (not timed).
  const std::string pem = ReadAll(dir + "/data/keys/passport_rsa.pem");
  absl::StatusOr<passport::PassportDecryptor> decryptor = passport::PassportDecryptor::FromPem(pem);
  if (!decryptor.ok()) {
    stop();
    return fail(decryptor.status());
  }
  absl::StatusOr<std::string> public_pem = decryptor->PublicKeyPem();
  absl::StatusOr<passport::PassportPublicKey> key =
      public_pem.ok() ? passport::PassportPublicKey::FromPem(*public_pem)
                      : absl::StatusOr<passport::PassportPublicKey>(public_pem.status());
  if (!key.ok()) {
    stop();
    return fail(key.status());
  }
  std::vector<PlainImages> plain;
  const absl::Time gen_start = absl::Now();
  absl::StatusOr<std::vector<v1::VerifyRequest>> made = MakeRequests(*key, face, samples, plain);
  if (!made.ok()) {
    stop();
    return fail(made.status());
  }
  const std::vector<v1::VerifyRequest>& requests = *made;
  std::cout << absl::StrFormat(
      "vouchd_loadbench: %d samples made and sealed in %.1f s (docgen TD3 page %zu KB, selfie "
      "%zu KB)\n",
      samples, absl::ToDoubleSeconds(absl::Now() - gen_start), plain[0].front.size() / 1024,
      plain[0].selfie.size() / 1024);

  // 1. In-process baseline: same readers, a real issuer, no gRPC/SQLite/pool.
  std::unique_ptr<pipeline::PassportOpener> opener = pipeline::NewPassportModuleOpener(*decryptor);
  pipeline::OcrReaderOptions ocr_options;
  ocr_options.models_dir = BenchModelsDir();
  std::unique_ptr<pipeline::DocumentReaderFactory> readers =
      pipeline::NewOcrDocumentReaderFactory(ocr_options);
  std::unique_ptr<storage::Store> store = storage::NewMemoryStore();
  SystemClock clock;
  absl::StatusOr<std::unique_ptr<attest::KeySet>> attest_keys =
      attest::KeySet::LoadOrCreate(dir + "/bench_attest", attest::SigningAlg::kES256);
  if (!attest_keys.ok()) {
    stop();
    return fail(attest_keys.status());
  }
  pipeline::AttestIssuerOptions attest_options;
  attest_options.issuer_url = "https://vouch.example.com";
  attest_options.pairwise_secret = SecureBytes(std::string(32, 'p'));
  absl::StatusOr<std::unique_ptr<pipeline::AttestationIssuer>> issuer =
      pipeline::NewAttestIssuer(std::move(attest_options), **attest_keys, *store, clock);
  if (!issuer.ok()) {
    stop();
    return fail(issuer.status());
  }
  pipeline::VerificationPipeline pipeline(*opener, **issuer, *store, clock);
  const pipeline::Policy policy = **pipeline::Config::Default().FindPolicy("default");
  std::atomic<int> baseline_runs{0};
  const auto run_in_process = [&](pipeline::DocumentReader& reader, size_t i, StageTimes* times,
                                  std::string* not_verified) {
    std::map<std::string, double> stage_ms;
    const pipeline::StageObserver observer = [&](absl::string_view stage, absl::Duration d) {
      stage_ms[std::string(stage)] = absl::ToDoubleMilliseconds(d);
    };
    const std::string id = absl::StrCat("ver_baseline_", baseline_runs.fetch_add(1));
    pipeline::PipelineInput input{&requests[i % requests.size()], &policy, id, "bench.example"};
    const absl::Time t0 = absl::Now();
    absl::StatusOr<v1::VerificationResult> r = pipeline.Run(input, reader, nullptr, observer);
    const double total = absl::ToDoubleMilliseconds(absl::Now() - t0);
    if (!r.ok() || r->decision() != v1::DECISION_VERIFIED) {
      if (not_verified != nullptr) {
        *not_verified = r.ok() ? absl::StrCat("decision ", v1::Decision_Name(r->decision()))
                               : r.status().ToString();
        if (r.ok()) {
          for (const v1::Check& c : r->checks()) {
            if (c.outcome() != v1::CHECK_OUTCOME_PASS && c.outcome() != v1::CHECK_OUTCOME_SKIPPED) {
              absl::StrAppend(not_verified, "; ", c.name(), " ", v1::CheckOutcome_Name(c.outcome()),
                              " ", c.reason(), " score ", c.score());
            }
          }
        }
      }
      return false;
    }
    if (times != nullptr) {
      absl::MutexLock lock(&times->mu);
      for (const auto& [stage, ms] : stage_ms) times->by_stage[stage].push_back(ms);
      times->total.push_back(total);
    }
    return true;
  };
  std::unique_ptr<pipeline::DocumentReader> reader = *readers->NewReader();
  // Warm-up and correctness: every sample must be VERIFIED.
  for (size_t i = 0; i < requests.size(); ++i) {
    std::string why;
    if (!run_in_process(*reader, i, nullptr, &why)) {
      stop();
      return fail(
          absl::InternalError(absl::StrCat("sample ", i, " is not VERIFIED in-process: ", why)));
    }
  }
  const double baseline_seconds = std::clamp(seconds / 3, 3.0, 10.0);
  // In-process throughput with `workers` threads (one reader each).
  int parallel_done = 0;
  double parallel_elapsed = 0;
  {
    std::vector<std::unique_ptr<pipeline::DocumentReader>> thread_readers;
    for (int w = 0; w < workers; ++w) thread_readers.push_back(*readers->NewReader());
    std::atomic<int> done{0};
    std::vector<std::thread> threads;
    const absl::Time start = absl::Now();
    const absl::Time end = start + absl::Seconds(baseline_seconds);
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([&, w] {
        for (size_t i = w; absl::Now() < end; i += workers) {
          if (run_in_process(*thread_readers[w], i, nullptr, nullptr)) done.fetch_add(1);
        }
      });
    }
    for (std::thread& t : threads) t.join();
    parallel_elapsed = absl::ToDoubleSeconds(absl::Now() - start);
    parallel_done = done.load();
  }

  if (breakdown) PrintDocumentsBreakdown(plain, baseline_seconds);

  // 2 and 3. gRPC clients, each with its own channel.
  struct ClientRun {
    std::vector<double> latencies;
    int errors = 0;
    std::string first_error;
  };
  const auto run_clients = [&](int n, double secs) {
    ClientRun out;
    absl::Mutex mu;
    std::vector<std::thread> threads;
    const absl::Time end = absl::Now() + absl::Seconds(secs);
    for (int c = 0; c < n; ++c) {
      threads.emplace_back([&, c] {
        grpc::ChannelArguments channel_args;
        channel_args.SetInt("grpc.channel_id", c);  // Separate connections.
        channel_args.SetMaxSendMessageSize(64 << 20);
        auto stub = v1::Verification::NewStub(grpc::CreateCustomChannel(
            vouchd->address, grpc::InsecureChannelCredentials(), channel_args));
        std::vector<double> mine;
        int my_errors = 0;
        std::string my_first;
        for (size_t i = c; absl::Now() < end; i += n) {
          grpc::ClientContext context;
          context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
          context.AddMetadata("authorization", "Bearer " + token);
          v1::VerificationResult result;
          const absl::Time t0 = absl::Now();
          const grpc::Status status =
              stub->Verify(&context, requests[i % requests.size()], &result);
          const double ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
          if (!status.ok() || result.decision() != v1::DECISION_VERIFIED) {
            ++my_errors;
            if (my_first.empty()) {
              my_first = status.ok()
                             ? v1::Decision_Name(result.decision())
                             : absl::StrCat(status.error_code(), " ", status.error_message());
            }
            continue;
          }
          mine.push_back(ms);
        }
        absl::MutexLock lock(&mu);
        out.latencies.insert(out.latencies.end(), mine.begin(), mine.end());
        out.errors += my_errors;
        if (out.first_error.empty()) out.first_error = my_first;
      });
    }
    for (std::thread& t : threads) t.join();
    return out;
  };
  run_clients(1, 1);  // Warm-up: connections, the workers' readers.
  // Paired: each sample in-process (stage costs), then the same sample
  // through gRPC, one after the other, so both see the same machine load.
  StageTimes sequential;
  ClientRun single;
  std::vector<double> pair_overhead_pct;
  {
    auto stub = v1::Verification::NewStub(
        grpc::CreateChannel(vouchd->address, grpc::InsecureChannelCredentials()));
    const absl::Time end = absl::Now() + absl::Seconds(2 * baseline_seconds);
    for (size_t i = 0; absl::Now() < end || i < 2 * requests.size(); ++i) {
      if (!run_in_process(*reader, i, &sequential, nullptr)) continue;
      double stages = 0;
      for (const auto& [stage, v] : sequential.by_stage) stages += v.back();
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      context.AddMetadata("authorization", "Bearer " + token);
      v1::VerificationResult result;
      const absl::Time t0 = absl::Now();
      const grpc::Status status = stub->Verify(&context, requests[i % requests.size()], &result);
      const double ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
      if (!status.ok() || result.decision() != v1::DECISION_VERIFIED) {
        ++single.errors;
        if (single.first_error.empty()) {
          single.first_error =
              status.ok() ? v1::Decision_Name(result.decision()) : status.error_message();
        }
        continue;
      }
      single.latencies.push_back(ms);
      pair_overhead_pct.push_back(100 * (ms - stages) / stages);
    }
  }
  absl::StatusOr<std::string> before_text = Scrape(vouchd->metrics);
  const absl::Time load_start = absl::Now();
  const ClientRun load = run_clients(clients, seconds);
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - load_start);
  absl::StatusOr<std::string> after_text = Scrape(vouchd->metrics);
  std::string rss = "?";
  {
    std::ifstream status(absl::StrCat("/proc/", vouchd->pid, "/status"));
    std::string line;
    while (std::getline(status, line)) {
      if (absl::StartsWith(line, "VmHWM:"))
        rss = std::string(absl::StripAsciiWhitespace(line.substr(6)));
    }
  }
  stop();
  std::filesystem::remove_all(dir);
  const std::string load_after = LoadAverage();

  // Report.
  std::cout << absl::StrFormat(
      "setup             %d clients, %.0f s, vouchd --workers %d, %d cores; load average %s "
      "before, %s after\n",
      clients, seconds, workers, std::thread::hardware_concurrency(), load_before, load_after);
  std::cout << "in-process stages (" << sequential.total.size()
            << " runs, each paired with a gRPC call of the same sample; same readers, real "
               "issuer, no gRPC/SQLite):\n";
  double stage_sum = 0;
  for (const char* stage : kStages) {
    const std::vector<double>& v = sequential.by_stage[stage];
    stage_sum += Mean(v);
    std::cout << absl::StrFormat("  %-12s mean %8.2f ms  p50 %8.2f  p99 %8.2f\n", stage, Mean(v),
                                 Percentile(v, 0.5), Percentile(v, 0.99));
  }
  std::cout << absl::StrFormat(
      "  %-12s mean %8.2f ms  p50 %8.2f  p99 %8.2f  (sum of stage means %.2f ms)\n", "run",
      Mean(sequential.total), Percentile(sequential.total, 0.5), Percentile(sequential.total, 0.99),
      stage_sum);
  const double inproc_tput = parallel_elapsed > 0 ? parallel_done / parallel_elapsed : 0;
  std::cout << absl::StrFormat("  %d threads   %.2f verifications/s (%d in %.1f s)\n", workers,
                               inproc_tput, parallel_done, parallel_elapsed);
  const double one = Mean(single.latencies);
  std::cout << absl::StrFormat("gRPC, 1 client    mean %.2f ms  p50 %.2f  p99 %.2f (%zu calls)\n",
                               one, Percentile(single.latencies, 0.5),
                               Percentile(single.latencies, 0.99), single.latencies.size());
  std::cout << absl::StrFormat(
      "overhead          %+.2f ms = %+.1f%% of the stages' own cost (means); median of the "
      "pairs %+.1f%% (gRPC + service + SQLite + pool; target < 10%%)\n",
      one - stage_sum, stage_sum > 0 ? 100 * (one - stage_sum) / stage_sum : 0,
      Percentile(pair_overhead_pct, 0.5));
  const double tput = elapsed > 0 ? load.latencies.size() / elapsed : 0;
  std::cout << absl::StrFormat(
      "gRPC, %d clients  throughput %.2f verifications/s (%zu VERIFIED in %.1f s; target >= 10)\n",
      clients, tput, load.latencies.size(), elapsed);
  std::cout << absl::StrFormat(
      "                  vs in-process %.2f/s: %+.1f%% (throughput lost to gRPC + service)\n",
      inproc_tput, inproc_tput > 0 ? 100 * (inproc_tput - tput) / inproc_tput : 0);
  std::cout << absl::StrFormat("latency overall   p50 %.1f ms  p99 %.1f ms (client side)\n",
                               Percentile(load.latencies, 0.5), Percentile(load.latencies, 0.99));
  if (before_text.ok() && after_text.ok()) {
    const std::map<std::string, Histogram> before = ParseHistograms(*before_text);
    const std::map<std::string, Histogram> after = ParseHistograms(*after_text);
    for (const auto& [stage, h] : after) {
      auto it = before.find(stage);
      const Histogram d = Diff(h, it == before.end() ? nullptr : &it->second);
      std::cout << absl::StrFormat(
          "vouchd %-10s mean %8.2f ms  p50 <= %g ms  p99 <= %g ms (%g runs; histogram buckets)\n",
          stage.empty() ? "overall" : stage, d.count > 0 ? 1000 * d.sum / d.count : 0,
          1000 * HistogramQuantile(d, 0.5), 1000 * HistogramQuantile(d, 0.99), d.count);
    }
  } else {
    std::cout << "vouchd stages     (metrics not available)\n";
  }
  const int errors = load.errors + single.errors;
  std::cout << "errors            " << errors
            << (errors > 0
                    ? absl::StrCat(" (first: ",
                                   load.first_error.empty() ? single.first_error : load.first_error,
                                   ")")
                    : std::string())
            << "\n";
  std::cout << "vouchd peak RSS   " << rss << "\n";
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace vouch::verifier::server

int main(int argc, char** argv) {
  // As vouchd does, so the in-process baseline runs Tesseract the same way.
  vouch::EnsureOpenMpThreadLimit(argv, 1, /*replace_existing=*/false);
  std::string vouchd;
  std::string face = std::string(VOUCH_SOURCE_DIR) + "/" + vouch::docgen::kSampleFacePath;
  int clients = 4, workers = 2, samples = 4;
  double seconds = 15;
  CLI::App app{"vouchd_loadbench: concurrent clients against a real vouchd"};
  app.add_option("--vouchd", vouchd, "path to vouchd")->required();
  app.add_option("--clients", clients)->capture_default_str()->check(CLI::Range(1, 256));
  app.add_option("--seconds", seconds)->capture_default_str()->check(CLI::Range(1.0, 3600.0));
  app.add_option("--workers", workers)->capture_default_str()->check(CLI::Range(1, 64));
  app.add_option("--samples", samples, "distinct synthetic passports")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--face", face, "face photo for the portraits and selfies")->capture_default_str();
  bool breakdown = false;
  app.add_flag("--breakdown", breakdown, "also time ocr's calls of the documents stage alone");
  std::string models_flag;
  app.add_option("--models-dir", models_flag,
                 "models folder (default: as vouchd finds it: $VOUCH_MODELS_DIR, installed, "
                 "source tree)");
  app.set_version_flag("--version", [] {
    return vouch::VersionText("vouchd_loadbench", vouch::verifier::version::DependencyVersions());
  });
  CLI11_PARSE(app, argc, argv);
  // A bench without its models would measure a different reader: refuse.
  absl::StatusOr<vouch::ModelsDir> models =
      vouch::ResolveModelsDir(vouch::DefaultModelsDirInputs(models_flag, ""));
  absl::Status files = models.ok() ? vouch::CheckModelFiles(*models, {vouch::ModelComponent::kMrz,
                                                                      vouch::ModelComponent::kFace})
                                   : models.status();
  if (!files.ok()) {
    std::cerr << "error: " << files.message() << "\n";
    return 1;
  }
  vouch::verifier::server::BenchModelsDir() = models->path;
  return vouch::verifier::server::Run(vouchd, clients, seconds, workers, samples, face, breakdown);
}
