// passport_bench: speed of Telegram Passport decryption against the raw
// primitives on the same machine, in the same run.
//
// Measures (Google Benchmark, CPU time):
//   BM_DecryptSubmission: DecryptPassportData of credentials + personal_details
//     + passport data (RSA-2048 OAEP, JSON, 3 AES/SHA values, nonce check).
//   BM_DecryptFile1MB: DecryptValue of a 1 MB file (AES-256-CBC + SHA-256).
// Baseline: `openssl speed -seconds 2 [-bytes 16384 -evp] rsa2048 /
// aes-256-cbc / sha256`, parsed; if the openssl binary is missing or its
// output does not parse, the same primitives measured in-process through EVP.
// Targets: submissions/s >= 85% of RSA-2048 private ops/s; file MB/s >= 70%
// of the slower of AES-256-CBC and SHA-256.

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include "benchmark/benchmark.h"
#include "passport/passport.h"

namespace vouch::passport {
namespace {

constexpr absl::string_view kNonce = "bench-nonce";

struct Fixture {
  PassportDecryptor key;
  SealedPassport submission;
};

const Fixture& GetFixture() {
  static const Fixture* fixture = [] {
    auto generated = GenerateProviderKey(2048);
    auto key = PassportDecryptor::FromPem(generated->private_key_pem.view());
    auto pub = PassportPublicKey::FromPem(generated->public_key_pem);
    std::vector<PlainElement> elements(2);
    elements[0].type = ElementType::kPersonalDetails;
    elements[0].data_json = R"({"first_name":"Anna","last_name":"Eriksson","middle_name":"Maria",)"
                            R"("birth_date":"12.08.1974","gender":"female","country_code":"SE",)"
                            R"("residence_country_code":"SE"})";
    elements[1].type = ElementType::kPassport;
    elements[1].data_json = R"({"document_no":"L898902C3","expiry_date":"15.04.2032"})";
    auto sealed = SealPassportData(*pub, elements, kNonce);
    if (!key.ok() || !sealed.ok()) std::abort();
    return new Fixture{*std::move(key), *std::move(sealed)};
  }();
  return *fixture;
}

void BM_DecryptSubmission(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    auto result = DecryptPassportData(f.key, f.submission.passport_data_json, {}, kNonce);
    if (!result.ok()) state.SkipWithError("decryption failed");
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecryptSubmission);

// The RSA-OAEP step alone, to show what the rest of a submission costs.
void BM_RsaOaepDecryptOnly(benchmark::State& state) {
  const Fixture& f = GetFixture();
  auto data = ParsePassportData(f.submission.passport_data_json);
  auto secret = DecodeBase64Strict(data->credentials.secret, "secret");
  for (auto _ : state) {
    auto result = f.key.RsaDecrypt(*secret);
    if (!result.ok()) state.SkipWithError("decryption failed");
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RsaOaepDecryptOnly);

// Breakdown of the non-RSA part of a submission.
void BM_ParsePassportData(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    benchmark::DoNotOptimize(ParsePassportData(f.submission.passport_data_json));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParsePassportData);

void BM_DecryptSmallValue(benchmark::State& state) {
  const SecureBytes secret = NewPassportSecret();
  auto sealed = SealValue(secret.view(), std::string(200, 'x'));
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        DecryptValue(secret.view(), sealed->hash, sealed->ciphertext, 1 << 16, "v"));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecryptSmallValue);

void BM_DecryptFile1MB(benchmark::State& state) {
  std::string jpeg(1 << 20, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(jpeg.data()), 1 << 20);
  const SecureBytes secret = NewPassportSecret();
  auto sealed = SealValue(secret.view(), jpeg);
  if (!sealed.ok()) std::abort();
  for (auto _ : state) {
    auto result = DecryptValue(secret.view(), sealed->hash, sealed->ciphertext,
                               Limits().max_file_bytes, "file");
    if (!result.ok()) state.SkipWithError("decryption failed");
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(sealed->ciphertext.size()));
}
BENCHMARK(BM_DecryptFile1MB);

// Collects the rates while printing the usual console table.
class Collector : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      // With --benchmark_repetitions the median stands for the benchmark.
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") {
        continue;
      }
      const std::string name = run.run_name.function_name;
      if (auto it = run.counters.find("items_per_second"); it != run.counters.end()) {
        rates[name] = it->second.value;
      }
      if (auto it = run.counters.find("bytes_per_second"); it != run.counters.end()) {
        rates[name] = it->second.value;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> rates;
};

struct Baseline {
  std::string source;
  double rsa_private_per_s = 0;
  double aes_bytes_per_s = 0;
  double sha_bytes_per_s = 0;
};

std::string RunCommand(const std::string& cmd) {
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

// "AES-256-CBC    1027106.13k" -> bytes/s (openssl prints 1000s of bytes/s).
std::optional<double> ParseThroughput(const std::string& out, const std::string& name) {
  std::smatch m;
  const std::regex re("(^|\\n)" + name + "\\s+([0-9.]+)k", std::regex::icase);
  if (!std::regex_search(out, m, re)) return std::nullopt;
  return std::stod(m[2]) * 1000.0;
}

std::optional<Baseline> OpensslSpeed() {
  Baseline b;
  b.source = "openssl speed -seconds 2 (rsa2048; -bytes 16384 -evp aes-256-cbc, sha256)";
  const std::string rsa = RunCommand("openssl speed -seconds 2 rsa2048 2>/dev/null");
  std::smatch m;
  // "rsa 2048 bits 0.000251s 0.000016s   3984.6  60614.9": sign/s is the
  // private-key operation.
  if (!std::regex_search(rsa, m,
                         std::regex("rsa\\s+2048 bits\\s+[0-9.]+s\\s+[0-9.]+s\\s+([0-9.]+)"))) {
    return std::nullopt;
  }
  b.rsa_private_per_s = std::stod(m[1]);
  auto aes = ParseThroughput(
      RunCommand("openssl speed -seconds 2 -bytes 16384 -evp aes-256-cbc 2>/dev/null"),
      "AES-256-CBC");
  auto sha = ParseThroughput(
      RunCommand("openssl speed -seconds 2 -bytes 16384 -evp sha256 2>/dev/null"), "sha256");
  if (!aes || !sha) return std::nullopt;
  b.aes_bytes_per_s = *aes;
  b.sha_bytes_per_s = *sha;
  return b;
}

// The same primitives through EVP in this process (fallback baseline).
Baseline InProcessEvp() {
  using Clock = std::chrono::steady_clock;
  Baseline b;
  b.source = "in-process EVP (RSA-2048 sign, AES-256-CBC encrypt, SHA-256; 16 KB blocks)";
  auto seconds = [](Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  EVP_PKEY* pkey = EVP_RSA_gen(2048);
  unsigned char digest[32] = {1}, sig[256];
  int ops = 0;
  auto t0 = Clock::now();
  while (seconds(t0) < 2) {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(pkey, nullptr);
    size_t len = sizeof(sig);
    EVP_PKEY_sign_init(ctx);
    EVP_PKEY_sign(ctx, sig, &len, digest, sizeof(digest));
    EVP_PKEY_CTX_free(ctx);
    ++ops;
  }
  b.rsa_private_per_s = ops / seconds(t0);
  EVP_PKEY_free(pkey);
  std::string block(16384, 'x'), out(16384 + 16, '\0');
  unsigned char key[32] = {0}, iv[16] = {0};
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), nullptr, key, iv);
  size_t bytes = 0;
  t0 = Clock::now();
  while (seconds(t0) < 2) {
    int n = 0;
    EVP_EncryptUpdate(c, reinterpret_cast<unsigned char*>(out.data()), &n,
                      reinterpret_cast<const unsigned char*>(block.data()), 16384);
    bytes += 16384;
  }
  b.aes_bytes_per_s = bytes / seconds(t0);
  EVP_CIPHER_CTX_free(c);
  bytes = 0;
  t0 = Clock::now();
  while (seconds(t0) < 2) {
    unsigned int n = 0;
    EVP_Digest(block.data(), block.size(), digest, &n, EVP_sha256(), nullptr);
    bytes += 16384;
  }
  b.sha_bytes_per_s = bytes / seconds(t0);
  return b;
}

}  // namespace
}  // namespace vouch::passport

int main(int argc, char** argv) {
  using namespace vouch::passport;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);

  std::optional<Baseline> speed = OpensslSpeed();
  const Baseline baseline = speed ? *speed : InProcessEvp();
  const double submissions = collector.rates["BM_DecryptSubmission"];
  const double file_bytes = collector.rates["BM_DecryptFile1MB"];
  const double slower = std::min(baseline.aes_bytes_per_s, baseline.sha_bytes_per_s);
  const double rsa_ratio = submissions / baseline.rsa_private_per_s;
  const double file_ratio = file_bytes / slower;
  std::printf("\nbaseline: %s\n", baseline.source.c_str());
  std::printf("  rsa2048 private ops/s : %10.1f\n", baseline.rsa_private_per_s);
  std::printf("  aes-256-cbc MB/s      : %10.1f\n", baseline.aes_bytes_per_s / 1e6);
  std::printf("  sha256 MB/s           : %10.1f\n", baseline.sha_bytes_per_s / 1e6);
  std::printf("passport:\n");
  std::printf("  submissions/s         : %10.1f  = %5.1f%% of rsa2048 ops/s (target >= 85%%: %s)\n",
              submissions, 100 * rsa_ratio, rsa_ratio >= 0.85 ? "met" : "MISSED");
  std::printf(
      "  1 MB file MB/s        : %10.1f  = %5.1f%% of min(aes, sha256) (target >= 70%%: %s)\n",
      file_bytes / 1e6, 100 * file_ratio, file_ratio >= 0.70 ? "met" : "MISSED");
  return 0;
}
