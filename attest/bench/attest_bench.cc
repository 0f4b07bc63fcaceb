// attest_bench: credential issue/s and verify/s (10 disclosures) for ES256
// and EdDSA, next to raw EVP sign/verify of a same-size input measured in the
// same process, then the ratios against the targets (>= 70%). Also parses
// `openssl speed -seconds 1 ecdsap256 ed25519` when --openssl_speed (default
// on) and the openssl binary is present.

#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <vector>
#include <memory>
#include <sstream>
#include <string>

#include "attest/issuer.h"
#include "attest/key_set.h"
#include "attest/verify.h"
#include "benchmark/benchmark.h"
#include "internal/jose.h"
#include "internal/sd_jwt.h"

namespace vouch::attest {
namespace {

constexpr int64_t kNow = 1767225600;

// Exactly 10 disclosures: sub, document_verified, given_name, family_name,
// birthdate, age_equal_or_over + 2 members, nationalities + 1 element.
CredentialClaims TenDisclosureClaims() {
  CredentialClaims c;
  c.telegram_user_id = "123456789";
  c.age_equal_or_over = {{18, true}, {21, true}};
  c.nationalities = {"DEU"};
  c.birthdate = "1990-01-01";
  c.given_name = "Anna";
  c.family_name = "Eriksson";
  return c;
}

struct Fixture {
  std::string dir;
  std::unique_ptr<KeySet> keys;
  std::unique_ptr<Issuer> issuer;
  std::unique_ptr<Jwks> jwks;
  std::string token;
  internal::EvpPkeyPtr raw_key;  // The same active key, for the baseline.
  std::string signing_input;

  explicit Fixture(SigningAlg alg) {
    char tmpl[] = "/tmp/attest_bench_XXXXXX";
    dir = ::mkdtemp(tmpl);
    keys = std::move(*KeySet::LoadOrCreate(dir, alg));
    IssuerConfig config;
    config.issuer = "https://vouch.example";
    config.pairwise_secret = SecureBytes(std::string(32, 'k'));
    issuer = std::move(*Issuer::Create(std::move(config), *keys, nullptr));
    jwks = std::make_unique<Jwks>(std::move(*Jwks::Parse(keys->JwksJson())));
    IssueOptions o;
    o.service_id = "https://rp.example";
    o.now = kNow;
    token = issuer->Issue(TenDisclosureClaims(), o)->token;
    auto parts = internal::SplitSdJwt(token);
    if (parts->disclosures.size() != 10) std::abort();
    const std::string_view jwt = parts->jwt;
    signing_input = std::string(jwt.substr(0, jwt.rfind('.')));
    raw_key = std::move(*internal::GenerateKey(
        alg == SigningAlg::kES256 ? internal::KeyType::kP256
                                  : internal::KeyType::kEd25519));
  }
  ~Fixture() { std::system(("rm -rf '" + dir + "'").c_str()); }
};

Fixture& Get(SigningAlg alg) {
  static Fixture* es = new Fixture(SigningAlg::kES256);
  static Fixture* ed = new Fixture(SigningAlg::kEdDSA);
  return alg == SigningAlg::kES256 ? *es : *ed;
}

void BM_RawSign(benchmark::State& state, SigningAlg alg) {
  Fixture& f = Get(alg);
  for (auto _ : state) {
    auto sig = internal::SignRaw(f.raw_key.get(), f.signing_input);
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Issue(benchmark::State& state, SigningAlg alg) {
  Fixture& f = Get(alg);
  const CredentialClaims claims = TenDisclosureClaims();
  IssueOptions o;
  o.service_id = "https://rp.example";
  o.now = kNow;
  for (auto _ : state) {
    auto issued = f.issuer->Issue(claims, o);
    if (!issued.ok()) state.SkipWithError("issue failed");
    benchmark::DoNotOptimize(issued);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RawVerify(benchmark::State& state, SigningAlg alg) {
  Fixture& f = Get(alg);
  const std::string sig = *internal::SignRaw(f.raw_key.get(), f.signing_input);
  for (auto _ : state) {
    bool ok = internal::VerifyRaw(f.raw_key.get(), f.signing_input, sig);
    if (!ok) state.SkipWithError("raw verify failed");
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Verify(benchmark::State& state, SigningAlg alg) {
  Fixture& f = Get(alg);
  VerifyOptions o;
  o.now = kNow + 10;
  o.audience = "https://rp.example";
  for (auto _ : state) {
    auto r = VerifySdJwtVc(f.token, *f.jwks, o);
    if (!r.ok()) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_RawSign, ES256, SigningAlg::kES256);
BENCHMARK_CAPTURE(BM_Issue, ES256, SigningAlg::kES256);
BENCHMARK_CAPTURE(BM_RawVerify, ES256, SigningAlg::kES256);
BENCHMARK_CAPTURE(BM_Verify, ES256, SigningAlg::kES256);
BENCHMARK_CAPTURE(BM_RawSign, EdDSA, SigningAlg::kEdDSA);
BENCHMARK_CAPTURE(BM_Issue, EdDSA, SigningAlg::kEdDSA);
BENCHMARK_CAPTURE(BM_RawVerify, EdDSA, SigningAlg::kEdDSA);
BENCHMARK_CAPTURE(BM_Verify, EdDSA, SigningAlg::kEdDSA);

// Collects items/s per benchmark name while printing as usual.
class RateReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    // With repetitions, the median is used; otherwise the single run.
    for (const Run& run : runs) {
      auto it = run.counters.find("items_per_second");
      if (it == run.counters.end()) continue;
      if (run.run_type == Run::RT_Aggregate) {
        if (run.aggregate_name == "median") rates[run.run_name.str()] = it->second.value;
      } else if (!medians_seen_.count(run.run_name.str())) {
        rates[run.run_name.str()] = it->second.value;
      }
      if (run.run_type == Run::RT_Aggregate) medians_seen_.insert(run.run_name.str());
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> rates;

 private:
  std::set<std::string> medians_seen_;
};

// "256 bits ecdsa (nistp256)   0.0000s   0.0001s  48000.0  16000.0" and
// "253 bits EdDSA (Ed25519)   0.0000s   0.0001s  40000.0  14000.0".
void OpensslSpeed() {
  FILE* p = ::popen("openssl speed -seconds 1 ecdsap256 ed25519 2>/dev/null", "r");
  if (p == nullptr) return;
  char line[512];
  std::cout << "\nopenssl speed (same run):\n";
  while (std::fgets(line, sizeof(line), p)) {
    const std::string l(line);
    if (l.find("nistp256") == std::string::npos &&
        l.find("Ed25519") == std::string::npos) {
      continue;
    }
    std::istringstream in(l.substr(l.find(')') + 1));
    std::string sign_time, verify_time;
    double sign_per_s = 0, verify_per_s = 0;
    if (in >> sign_time >> verify_time >> sign_per_s >> verify_per_s) {
      std::cout << "  " << l.substr(0, l.find(')') + 1) << ": sign/s "
                << sign_per_s << ", verify/s " << verify_per_s << "\n";
    }
  }
  ::pclose(p);
}

}  // namespace
}  // namespace vouch::attest

int main(int argc, char** argv) {
  bool openssl_speed = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--openssl_speed=false") == 0) openssl_speed = false;
  }
  // Default: 3 repetitions, medians (other helpers share the machine).
  std::vector<char*> args(argv, argv + argc);
  bool has_reps = false;
  for (int i = 1; i < argc; ++i) {
    has_reps |= std::strncmp(argv[i], "--benchmark_repetitions", 23) == 0;
  }
  static char reps[] = "--benchmark_repetitions=3";
  static char aggregates[] = "--benchmark_report_aggregates_only=true";
  if (!has_reps) {
    args.push_back(reps);
    args.push_back(aggregates);
  }
  argc = static_cast<int>(args.size());
  argv = args.data();
  benchmark::Initialize(&argc, argv);
  vouch::attest::RateReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const auto& r = reporter.rates;
  std::cout << "\nattest: rates against raw EVP in the same run (target >= 70%)\n";
  bool all_ok = true;
  for (const char* alg : {"ES256", "EdDSA"}) {
    const std::string a(alg);
    auto ratio = [&](const std::string& ours, const std::string& raw) {
      if (!r.count(ours) || !r.count(raw) || r.at(raw) == 0) return -1.0;
      return r.at(ours) / r.at(raw);
    };
    const double issue = ratio("BM_Issue/" + a, "BM_RawSign/" + a);
    const double verify = ratio("BM_Verify/" + a, "BM_RawVerify/" + a);
    if (issue < 0 || verify < 0) continue;  // Filtered out.
    std::printf("  %-5s issue %8.0f/s vs sign %8.0f/s = %5.1f%% %s\n", alg,
                r.at("BM_Issue/" + a), r.at("BM_RawSign/" + a), 100 * issue,
                issue >= 0.7 ? "ok" : "BELOW TARGET");
    std::printf("  %-5s verify %7.0f/s vs verify %6.0f/s = %5.1f%% %s\n", alg,
                r.at("BM_Verify/" + a), r.at("BM_RawVerify/" + a), 100 * verify,
                verify >= 0.7 ? "ok" : "BELOW TARGET");
    all_ok = all_ok && issue >= 0.7 && verify >= 0.7;
  }
  if (openssl_speed) vouch::attest::OpensslSpeed();
  benchmark::Shutdown();
  return all_ok ? 0 : 1;
}
