// vouchd: the gRPC server relying services call. The one place that reads
// flags and builds concrete objects (STYLE.md §7.4).
//
// Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT), 1 when it cannot
// start, 2 for usage errors.

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "attest/key_set.h"
#include "attest/openid4vci.h"
#include "audit/admin_service.h"
#include "auth/auth_config.h"
#include "auth/authenticator.h"
#include "base/openmp_limit.h"
#include "base/status_macros.h"
#include "dedup/duplicate_index.h"
#include "dedup/duplicate_monitor.h"
#include "dedup/face_duplicates.h"
#include "erasure_support.h"
#include "http/trust_server.h"
#include "http/wallet_issuer.h"
#include "httplib.h"
#include "key_rotation.h"
#include "log_setup.h"
#include "operational_metrics.h"
#include "pipeline/attest_adapter.h"
#include "pipeline/ocr_adapter.h"
#include "pipeline/passport_adapter.h"
#include "pipeline/policy.h"
#include "pipeline/verification_pipeline.h"
#include "provider_keys.h"
#include "review/case_sealer.h"
#include "review/review_queue.h"
#include "review/review_service.h"
#include "server_config.h"
#include "service/change_feed.h"
#include "service/metrics.h"
#include "service/monitored_store.h"
#include "service/verification_engine.h"
#include "service/verification_service.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"
#include "startup_health.h"
#include "startup_models.h"
#include "storage/store.h"
#include "telegram_setup.h"
#include "tls_check.h"
#include "tls_reload.h"
#include "version/dependency_versions.h"
#include "wallet_limit_options.h"

namespace vouch::verifier::server {
namespace {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";
  std::string data_dir = "vouch-data";
  std::string config;
  std::string database = "sqlite";
  std::string metrics_listen = "127.0.0.1:9464";
  bool metrics_allow_non_loopback = false;
  std::string log_format = "text";
  std::string log_level = "info";
  std::string ready_file;
  std::string models_dir;
  bool models_dir_from_config = false;
  std::string allow_missing_models;  // "mrz,face": components vouchd may run without.
  bool check_config = false;
  int workers = 0;  // 0 = hardware threads.
  int queue = -1;   // -1 = 2 x workers.
  bool process_jobs = true;
  int64_t max_files_bytes = 40 << 20;
  double drain_seconds = 30;
  // Review queue.
  bool rotate_storage_key = false;
  double purge_seconds = 60;
  // The face 1:N index (docs/dedup.md).
  double face_poll_seconds = 5;
  int64_t face_index_capacity = 1'000'000;
  int job_lease_seconds = 15;
  double database_wait_seconds = 60;
  // Transport and authentication (docs/security.md).
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  int tls_reload_seconds = 60;  // 0: read the certificate once.
  bool insecure_loopback = false;
  std::string auth_config;
  // Public trust plane over HTTPS: issuer metadata, JWKS, status lists.
  std::string http_listen;
  // Per-address budgets of the wallet endpoints on it.
  WalletLimitOptions wallet_limits;
  // Other replicas' changes for Watch without LISTEN/NOTIFY (SQLite).
  double watch_poll_seconds = 1;
  // Key rotation while running.
  double key_publish_delay_seconds = 600;
  double key_check_seconds = 5;
  // Telegram verification badge (docs/telegram.md).
  std::string telegram_token_file;
  std::string telegram_api_url = "https://api.telegram.org";
};

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the ", what, " ", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty() || text.size() > (1 << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", what, " ", path, " is empty or over 1 MiB"));
  }
  return text;
}

// TLS on any address; plaintext only on loopback and only with
// --insecure-loopback. Client certificates are requested but verified by the
// Authenticator (so API-key clients without one connect too).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const ServerOptions& o, std::optional<TlsCertificateInfo>* tls_info) {
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (o.tls_cert.empty()) {
    if (!auth::IsLoopbackAddress(o.listen)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "refusing to serve plaintext on ", o.listen,
          ": give --tls-cert and --tls-key (plaintext is only for loopback addresses)"));
    }
    if (!o.insecure_loopback) {
      return absl::InvalidArgumentError(
          "no TLS certificate: give --tls-cert and --tls-key, or --insecure-loopback for "
          "plaintext on this loopback address");
    }
    if (!o.tls_client_ca.empty()) {
      return absl::InvalidArgumentError("--tls-client-ca needs TLS (--tls-cert, --tls-key)");
    }
    return grpc::InsecureServerCredentials();
  }
  if (o.insecure_loopback) {
    return absl::InvalidArgumentError("--insecure-loopback and --tls-cert exclude each other");
  }
  grpc::SslServerCredentialsOptions ssl(o.tls_client_ca.empty()
                                            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                            : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  VOUCH_ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(o.tls_cert, "TLS certificate"));
  VOUCH_ASSIGN_OR_RETURN(pair.private_key, ReadPem(o.tls_key, "TLS key"));
  VOUCH_ASSIGN_OR_RETURN(*tls_info, CheckTlsKeyPair(pair.cert_chain, pair.private_key));
  struct stat st;
  if (::stat(o.tls_key.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    spdlog::warn("the TLS key file is readable by group or others; chmod 600 it");
  }
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!o.tls_client_ca.empty()) {
    VOUCH_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(o.tls_client_ca, "client CA"));
  }
  return grpc::SslServerCredentials(ssl);
}

// Opens each submission with the Passport key of its relying service when
// the auth config gives that service its own key, else with vouchd's key.
class PerServiceOpener final : public pipeline::PassportOpener {
 public:
  PerServiceOpener(
      std::map<std::string, std::unique_ptr<pipeline::PassportOpener>, std::less<>> by_service,
      std::unique_ptr<pipeline::PassportOpener> fallback)
      : by_service_(std::move(by_service)), fallback_(std::move(fallback)) {}

  absl::StatusOr<pipeline::OpenedSubmission> Open(
      const pipeline::SealedSubmission& submission) override {
    auto it = by_service_.find(submission.relying_service);
    return (it != by_service_.end() ? *it->second : *fallback_).Open(submission);
  }

 private:
  const std::map<std::string, std::unique_ptr<pipeline::PassportOpener>, std::less<>> by_service_;
  const std::unique_ptr<pipeline::PassportOpener> fallback_;
};

absl::StatusOr<std::unique_ptr<pipeline::PassportOpener>> NewOpener(
    const auth::AuthConfig& auth, std::unique_ptr<pipeline::PassportOpener> own) {
  std::map<std::string, std::unique_ptr<pipeline::PassportOpener>, std::less<>> by_service;
  for (const auth::AuthEntry& e : auth.entries) {
    if (e.principal.kind != auth::PrincipalKind::kService || e.passport_key.empty()) continue;
    struct stat st;
    if (::stat(e.passport_key.c_str(), &st) != 0 || (st.st_mode & 077) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("the Passport key of service ", e.principal.id, " (", e.passport_key,
                       ") is missing or readable by others (chmod 600)"));
    }
    VOUCH_ASSIGN_OR_RETURN(std::string pem, ReadPem(e.passport_key, "Passport key"));
    absl::StatusOr<passport::PassportDecryptor> key = passport::PassportDecryptor::FromPem(pem);
    OPENSSL_cleanse(pem.data(), pem.size());
    if (!key.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the Passport key of service ", e.principal.id, " is not a private RSA key"));
    }
    by_service[e.principal.id] = pipeline::NewPassportModuleOpener(*std::move(key));
  }
  return std::make_unique<PerServiceOpener>(std::move(by_service), std::move(own));
}

// Appends a vouchd audit event; failures are logged (the chain's owner, the
// Store, reports them), never fatal.
void Audit(storage::Store& store, absl::string_view action, std::string detail,
           absl::string_view verification_id = "") {
  storage::AuditEvent event;
  event.time = absl::Now();
  event.actor = "vouchd";
  event.action = std::string(action);
  event.verification_id = std::string(verification_id);
  event.detail = std::move(detail);
  absl::StatusOr<storage::AuditEvent> appended = store.AppendAudit(event);
  if (!appended.ok()) {
    spdlog::warn("audit append failed action={} code={}", event.action,
                 absl::StatusCodeToString(appended.status().code()));
  }
}

// Text or JSON Lines, gRPC core's lines included (server/log_setup.h).
absl::Status ConfigureLogging(const ServerOptions& o) {
  return ConfigureServerLogging(o.log_format, o.log_level);
}

// Splits "host:port" for the metrics listener and insists on loopback unless
// `allow_non_loopback` (--metrics-allow-non-loopback: the metrics carry no
// personal data, but policy names and backlog sizes are the provider's own).
absl::StatusOr<std::pair<std::string, int>> MetricsHostPort(const std::string& address,
                                                            bool allow_non_loopback) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError("--metrics-listen must be HOST:PORT");
  }
  std::string host = address.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host != "127.0.0.1" && host != "::1" && !allow_non_loopback) {
    return absl::InvalidArgumentError(
        "--metrics-listen must be a loopback address (or give --metrics-allow-non-loopback)");
  }
  return std::make_pair(host, port);
}

void LogStartupModels(const StartupModels& models) {
  const auto names = [](const std::vector<ModelComponent>& cs) {
    std::vector<std::string> out;
    out.reserve(cs.size());
    for (ModelComponent c : cs) out.emplace_back(ModelComponentName(c));
    return out.empty() ? std::string("none") : absl::StrJoin(out, ",");
  };
  spdlog::info("models dir={} source={} loaded={} missing_allowed={} searched=[{}]",
               models.dir.path.empty() ? "none" : models.dir.path, models.dir.source,
               names(models.loaded), names(models.missing_allowed),
               absl::StrJoin(models.dir.searched, "; "));
  for (ModelComponent c : models.missing_allowed) {
    spdlog::warn(
        "running without the {} models (--allow-missing-models): every verification "
        "reports the checks they feed as unavailable or degraded",
        std::string(ModelComponentName(c)));
  }
}

// ---- the stages of Serve, in their order ----

// Checks the options CLI11 does not; true when --database is PostgreSQL.
absl::StatusOr<bool> CheckServeOptions(const ServerOptions& o) {
  const bool postgres =
      absl::StartsWith(o.database, "postgresql://") || absl::StartsWith(o.database, "postgres://");
  if (o.database != "sqlite" && !postgres) {
    return absl::InvalidArgumentError("--database must be sqlite or a postgresql:// URI");
  }
  if (o.job_lease_seconds < 3 || o.job_lease_seconds > 86400) {
    return absl::InvalidArgumentError("--job-lease-seconds must be 3 .. 86400");
  }
  if (o.max_files_bytes < 1 || o.max_files_bytes > (1LL << 30)) {
    return absl::InvalidArgumentError("--max-files-bytes must be 1 .. 1 GiB");
  }
  return postgres;
}

// Models: found (base/model_paths.h) and loaded once, or vouchd does not start.
absl::StatusOr<StartupModels> LoadModels(const ServerOptions& o) {
  StartupModelsOptions models_options;
  (o.models_dir_from_config ? models_options.models_dir_config : models_options.models_dir_flag) =
      o.models_dir;
  models_options.allow_missing = absl::StrSplit(o.allow_missing_models, ',', absl::SkipEmpty());
  VOUCH_ASSIGN_OR_RETURN(StartupModels models, PrepareStartupModels(models_options));
  LogStartupModels(models);
  return models;
}

// Creates the data directory (0700).
absl::Status MakeDataDir(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec || ::chmod(data_dir.c_str(), 0700) != 0) {
    const std::string why = ec ? ec.message() : std::strerror(errno);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot use --data-dir ", data_dir, ": ", why,
                     " (give --data-dir or [server] data_dir a folder vouchd may write)"));
  }
  return absl::OkStatus();
}

// Authentication: --auth-config, else DATA_DIR/auth.toml, made on the
// first start with an admin token and a "default" service API key.
absl::StatusOr<std::string> AuthConfigPath(const ServerOptions& o, const std::string& data_dir) {
  if (!o.auth_config.empty()) return o.auth_config;
  const std::string auth_path = data_dir + "/auth.toml";
  VOUCH_ASSIGN_OR_RETURN(bool bootstrapped, auth::BootstrapAuthConfig(auth_path, data_dir));
  if (bootstrapped) {
    std::cout << "vouchd: created " << auth_path << " with an admin operator token (" << data_dir
              << "/admin.token) and a \"default\" service API key (" << data_dir
              << "/service-default.token), both 0600\n";
  }
  return auth_path;
}

void AnnouncePassportKey(const PassportKeyFile& passport_key) {
  if (passport_key.created) {
    std::cout << "vouchd: generated the Telegram Passport key " << passport_key.path << "\n"
              << "Register this public key with @BotFather (/setpublickey):\n"
              << passport_key.public_key_pem;
  } else {
    std::cout << "vouchd: Telegram Passport key " << passport_key.path << "\n";
  }
}

// The URI may hold a password: it is never printed. An unreachable
// PostgreSQL is waited for, with gRPC health NOT_SERVING meanwhile.
absl::StatusOr<std::unique_ptr<storage::Store>> OpenStore(
    const ServerOptions& o, bool postgres, const std::string& data_dir,
    const std::shared_ptr<grpc::ServerCredentials>& credentials) {
  std::unique_ptr<grpc::Server> waiting_health;  // NOT_SERVING while waiting.
  VOUCH_ASSIGN_OR_RETURN(
      std::unique_ptr<storage::Store> opened_store,
      service::OpenStoreWithRetry(
          [&]() {
            return postgres ? storage::NewPostgresStore(o.database)
                            : storage::NewSqliteStore(data_dir + "/vouch.db");
          },
          postgres ? absl::Seconds(o.database_wait_seconds) : absl::ZeroDuration(),
          [&]() { waiting_health = StartNotServingHealth(o.listen, credentials); }));
  if (waiting_health != nullptr) waiting_health->Shutdown();
  return opened_store;
}

void AnnounceAttestationKeys(bool created, const std::string& attest_dir,
                             const attest::KeyInfo& active_key, const pipeline::Config& config) {
  std::cout << "vouchd: "
            << (created ? "generated the attestation key set " : "attestation key set ")
            << attest_dir << " (active " << attest::SigningAlgName(active_key.alg) << " key "
            << active_key.kid << "); issuer " << config.issuer_url() << "\n";
  if (absl::EndsWith(config.issuer_url(), ".invalid") ||
      absl::StrContains(config.issuer_url(), ".invalid/")) {
    std::cout << "vouchd: WARNING: the issuer is " << config.issuer_url()
              << ", a placeholder no relying service can resolve: set [issuer] url in --config "
                 "to an https URL you serve (docs/service.md)\n";
    spdlog::warn("issuer is the placeholder {}: set [issuer] url", config.issuer_url());
  }
  std::cout.flush();
}

// After a storage key rotation the face index's embeddings are
// re-sealed under the active key too.
absl::Status RekeyStoredFaces(storage::Store& store, const review::StorageKeyRing& storage_keys) {
  std::vector<std::string> old_keys = storage_keys.key_ids();
  std::erase(old_keys, storage_keys.active_key_id());
  VOUCH_ASSIGN_OR_RETURN(dedup::FaceRekeyOutcome faces,
                         dedup::RekeyFaces(store, review::SealerFor(storage_keys), old_keys));
  spdlog::info("storage key active={} resealed_faces={} unreadable_faces={}",
               storage_keys.active_key_id(), faces.resealed, faces.unreadable);
  if (faces.resealed > 0) {
    Audit(store, "key.reseal",
          absl::StrCat(R"({"key":"storage","kid":")", storage_keys.active_key_id(), R"(","faces":)",
                       faces.resealed, "}"));
  }
  return absl::OkStatus();
}

// Review cases are sealed under the storage key ring (keys/storage.key,
// or VOUCH_STORAGE_KEY); after a rotation the open cases and faces are re-sealed.
absl::StatusOr<review::StorageKeyRing> LoadStorageKeys(const ServerOptions& o,
                                                       const std::string& data_dir,
                                                       storage::Store& store) {
  const std::string storage_key_file = data_dir + "/keys/storage.key";
  const char* env_key = std::getenv("VOUCH_STORAGE_KEY");
  const char* env_old = std::getenv("VOUCH_STORAGE_KEYS_OLD");
  const bool storage_key_from_file = env_key == nullptr || *env_key == '\0';
  const bool storage_key_created =
      storage_key_from_file && !std::filesystem::exists(storage_key_file);
  if (o.rotate_storage_key) {
    VOUCH_RETURN_IF_ERROR(review::StorageKeyRing::RotateFile(storage_key_file).status());
  }
  VOUCH_ASSIGN_OR_RETURN(review::StorageKeyRing storage_keys,
                         review::StorageKeyRing::LoadOrCreate(
                             storage_key_file, env_key ? env_key : "", env_old ? env_old : ""));
  // Key ids only (never key bytes) in the audit log.
  const std::string storage_kid =
      absl::StrCat(R"({"key":"storage","kid":")", storage_keys.active_key_id(), R"("})");
  if (storage_key_created && !o.rotate_storage_key) Audit(store, "key.create", storage_kid);
  if (o.rotate_storage_key) Audit(store, "key.rotate", storage_kid);
  if (storage_keys.key_ids().size() > 1) {
    VOUCH_ASSIGN_OR_RETURN(int rekeyed, review::RekeyCases(store, storage_keys));
    spdlog::info("storage key active={} resealed_cases={}", storage_keys.active_key_id(), rekeyed);
    if (rekeyed > 0) {
      Audit(store, "key.reseal",
            absl::StrCat(R"({"key":"storage","kid":")", storage_keys.active_key_id(),
                         R"(","cases":)", rekeyed, "}"));
    }
    VOUCH_RETURN_IF_ERROR(RekeyStoredFaces(store, storage_keys));
  }
  return storage_keys;
}

// ---- OpenID4VCI issuance to wallets (docs/wallet.md) ----
// With the HTTPS listener, the issuer also makes the wallet_offer mode's
// credential offers; their claims are sealed under the storage key ring.
// Without it: null.
absl::StatusOr<std::unique_ptr<http::WalletIssuer>> NewWalletIssuer(
    const ServerOptions& o, const pipeline::Config& config, const std::string& data_dir,
    pipeline::AttestationIssuer& inner, storage::Store& store,
    const review::StorageKeyRing& storage_keys, Clock& clock) {
  if (o.http_listen.empty()) return nullptr;
  http::WalletIssuerOptions wallet_options;
  wallet_options.issuer_url = config.issuer_url();
  wallet_options.vct = config.vct();
  wallet_options.token_rate_limit = o.wallet_limits.token();
  wallet_options.credential_rate_limit = o.wallet_limits.credential();
  VOUCH_ASSIGN_OR_RETURN(SecureBytes pairwise,
                         pipeline::LoadOrCreatePairwiseSecret(data_dir + "/keys/pairwise.secret"));
  // The c_nonce key: derived from the shared secret, so every replica agrees.
  wallet_options.nonce_key =
      SecureBytes(attest::HashForStorage(absl::StrCat("vouch/c_nonce-key/v1\n", pairwise.view())));
  return std::make_unique<http::WalletIssuer>(std::move(wallet_options), inner, store,
                                              review::SealerFor(storage_keys), clock);
}
// ---- end OpenID4VCI issuance ----

// The gauges of /metrics, read at each scrape.
void SetGauges(service::Metrics& metrics, service::WorkerPool& pool, storage::Store& store,
               const service::MonitoredStore& store_health,
               const std::optional<TlsCertificateInfo>& tls_info) {
  metrics.SetGauges([&pool = pool, &store = store, &store_health = store_health,
                     &tls_info = tls_info](std::map<std::string, double>& g) {
    g["vouch_queue_depth"] = pool.queued();
    g["vouch_in_flight"] = pool.running();
    g["vouch_workers"] = pool.workers();
    absl::StatusOr<int64_t> pending = store.PendingJobCount();
    if (pending.ok()) g["vouch_jobs_pending"] = static_cast<double>(*pending);
    g["vouch_store_up"] = store_health.healthy() ? 1 : 0;
    if (tls_info.has_value()) {
      g["vouch_tls_cert_expiry_timestamp_seconds"] =
          static_cast<double>(absl::ToUnixSeconds(tls_info->not_after));
    }
  });
}

// Key rotation while running: the Admin RPCs' and the maintenance's options.
KeyRotationOptions KeyRotationOptionsFor(const ServerOptions& o, const pipeline::Config& config) {
  KeyRotationOptions key_options;
  key_options.default_publish_delay = absl::Seconds(o.key_publish_delay_seconds);
  key_options.min_publish_delay =
      std::min(key_options.min_publish_delay, key_options.default_publish_delay);
  key_options.check_interval = absl::Seconds(o.key_check_seconds);
  absl::Duration longest = absl::Hours(24);  // The status list tokens' validity.
  for (const auto& [name, policy] : config.policies()) {
    longest = std::max({longest, policy.direct_lifetime, policy.wallet_lifetime});
  }
  key_options.max_signed_lifetime = longest;
  return key_options;
}

// Metrics on a separate loopback HTTP port: /metrics (`render`), /healthz,
// /readyz (`ready`), bound here, served once `http.listen_after_bind()` runs.
// The bound address, "" without --metrics-listen.
absl::StatusOr<std::string> BindMetricsListener(const ServerOptions& o, httplib::Server& http,
                                                std::function<std::string()> render,
                                                std::function<bool()> ready) {
  if (o.metrics_listen.empty()) return "";
  VOUCH_ASSIGN_OR_RETURN(auto host_port,
                         MetricsHostPort(o.metrics_listen, o.metrics_allow_non_loopback));
  http.Get("/metrics",
           [render = std::move(render)](const httplib::Request&, httplib::Response& res) {
             res.set_content(render(), "text/plain; version=0.0.4");
           });
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  http.Get("/readyz", [ready = std::move(ready)](const httplib::Request&, httplib::Response& res) {
    const bool is_ready = ready();
    res.status = is_ready ? 200 : 503;
    res.set_content(is_ready ? "ready\n" : "not ready\n", "text/plain");
  });
  const int metrics_port =
      host_port.second == 0
          ? http.bind_to_any_port(host_port.first)
          : (http.bind_to_port(host_port.first, host_port.second) ? host_port.second : -1);
  if (metrics_port <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", o.metrics_listen));
  }
  return absl::StrCat(host_port.first, ":", metrics_port);
}

// The public trust plane: TLS with the gRPC certificate, plaintext
// only on loopback with --insecure-loopback. /readyz says "draining" once
// `draining` is set. Null without --http-listen.
absl::StatusOr<std::unique_ptr<http::TrustServer>> StartTrustPlane(
    const ServerOptions& o, const pipeline::Config& config, pipeline::AttestationIssuer& issuer,
    http::WalletIssuer* wallet_issuer, const std::atomic<bool>& draining,
    const service::MonitoredStore& store_health) {
  if (o.http_listen.empty()) return nullptr;
  if (o.tls_cert.empty() && (!auth::IsLoopbackAddress(o.http_listen) || !o.insecure_loopback)) {
    return absl::InvalidArgumentError(absl::StrCat("refusing plain HTTP on ", o.http_listen,
                                                   ": give --tls-cert and --tls-key (plain HTTP "
                                                   "only on loopback with --insecure-loopback)"));
  }
  http::TrustServerOptions trust_options;
  trust_options.listen = o.http_listen;
  trust_options.tls_cert_file = o.tls_cert;
  trust_options.tls_key_file = o.tls_key;
  trust_options.issuer_url = config.issuer_url();
  trust_options.vct = config.vct();
  trust_options.status_list_max_age = config.status_list_ttl();
  VOUCH_ASSIGN_OR_RETURN(
      std::unique_ptr<http::TrustServer> trust,
      http::TrustServer::Create(
          std::move(trust_options), issuer,
          [&draining = draining, &store_health = store_health]() -> absl::Status {
            if (draining.load()) return absl::UnavailableError("draining");
            if (!store_health.healthy()) {
              return absl::UnavailableError("store unavailable");
            }
            return absl::OkStatus();
          },
          wallet_issuer));
  VOUCH_RETURN_IF_ERROR(trust->Start());
  return trust;
}

void WriteReadyFile(const std::string& path, const std::string& bound,
                    const std::string& metrics_bound, const std::string& http_bound) {
  std::ofstream ready(path + ".tmp");
  ready << bound << "\n" << metrics_bound << "\n" << http_bound << "\n";
  ready.close();
  std::error_code ec;
  std::filesystem::rename(path + ".tmp", path, ec);
}

// SIGHUP: the TLS certificate, the policies and the auth config are read
// again; a bad file changes nothing.
void ReloadOnSighup(const ServerOptions& o, TlsCertificateStager* tls_stager,
                    pipeline::Config& config, const std::string& auth_path,
                    auth::ConfigAuthenticator& authenticator) {
  if (tls_stager != nullptr) RefreshTlsAndLog(*tls_stager, "sighup");
  if (!o.config.empty()) {
    // Policies: the whole file is checked first; a bad one changes nothing.
    absl::StatusOr<pipeline::Config> next = pipeline::Config::Load(o.config);
    absl::Status reloaded = next.ok() ? config.ReloadPolicies(*next) : next.status();
    if (reloaded.ok()) {
      spdlog::info("policies reloaded count={}", config.policies().size());
    } else {
      spdlog::error("policies not reloaded reason={} (the previous ones stay)",
                    std::string(reloaded.message()));
    }
  }
  absl::StatusOr<auth::AuthConfig> reloaded = auth::AuthConfig::Load(auth_path);
  if (reloaded.ok()) {
    authenticator.Reload(*std::move(reloaded));
    spdlog::info("auth config reloaded");
  } else {
    spdlog::error("auth config not reloaded (the previous one stays): {}",
                  std::string(reloaded.status().message()));
  }
}

absl::Status Serve(const ServerOptions& o) {
  VOUCH_RETURN_IF_ERROR(ConfigureLogging(o));
  // Signals are taken by sigwait() below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);  // Reloads the auth config.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  VOUCH_ASSIGN_OR_RETURN(const bool postgres, CheckServeOptions(o));

  std::optional<TlsCertificateInfo> tls_info;
  VOUCH_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                         ServerCredentials(o, &tls_info));
  std::optional<TlsExpiryWatch> tls_watch;  // Warns now and daily.
  if (tls_info.has_value()) tls_watch.emplace(*tls_info);

  // Configuration.
  pipeline::Config config = pipeline::Config::Default();
  if (!o.config.empty()) {
    VOUCH_ASSIGN_OR_RETURN(config, pipeline::Config::Load(o.config));
  }
  VOUCH_ASSIGN_OR_RETURN(StartupModels models, LoadModels(o));
  if (o.check_config) {
    std::cout << "vouchd: configuration OK (" << (o.config.empty() ? "embedded default" : o.config)
              << "; models " << DescribeModelsDir(models.dir) << ")\n";
    return absl::OkStatus();
  }
  // A relative --data-dir (the default "vouch-data") is under the working
  // directory: every message names the absolute folder, so a vouchd started
  // from / or by a service manager says where its keys and database are.
  std::error_code ec;
  const std::string data_dir =
      std::filesystem::absolute(o.data_dir, ec).lexically_normal().string();
  // TLS served from a checked copy that SIGHUP and --tls-reload-seconds
  // renew (server/tls_reload.h).
  std::unique_ptr<TlsCertificateStager> tls_stager;
  std::optional<TlsReloadLoop> tls_reload_loop;
  if (!o.tls_cert.empty()) {
    VOUCH_ASSIGN_OR_RETURN(tls_stager,
                           TlsCertificateStager::Create(o.tls_cert, o.tls_key, data_dir + "/tls"));
    credentials = tls_stager->Credentials(!o.tls_client_ca.empty());
    if (o.tls_reload_seconds > 0) {
      tls_reload_loop.emplace(*tls_stager, absl::Seconds(o.tls_reload_seconds));
    }
  }

  // Data directory, keys, store.
  VOUCH_RETURN_IF_ERROR(MakeDataDir(data_dir));
  VOUCH_ASSIGN_OR_RETURN(const std::string auth_path, AuthConfigPath(o, data_dir));
  VOUCH_ASSIGN_OR_RETURN(auth::AuthConfig auth_config, auth::AuthConfig::Load(auth_path));
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<auth::ConfigAuthenticator> authenticator,
                         auth::ConfigAuthenticator::Create(auth_config, o.tls_client_ca));
  VOUCH_ASSIGN_OR_RETURN(PassportKeyFile passport_key, EnsurePassportKey(data_dir + "/keys"));
  AnnouncePassportKey(passport_key);
  // Every call goes through MonitoredStore (health, client-safe errors).
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<storage::Store> opened_store,
                         OpenStore(o, postgres, data_dir, credentials));
  auto monitored_store = std::make_unique<service::MonitoredStore>(std::move(opened_store));
  service::MonitoredStore& store_health = *monitored_store;
  std::unique_ptr<storage::Store> store = std::move(monitored_store);
  // Attestation keys (attest's key set: ES256, kid = JWK thumbprint) and the
  // pairwise-subject secret, both made on the first start.
  const std::string attest_dir = data_dir + "/keys/attest";
  const bool new_attest_keys = !std::filesystem::exists(attest_dir);
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<attest::KeySet> attest_keys,
                         attest::KeySet::LoadOrCreate(attest_dir, attest::SigningAlg::kES256));
  VOUCH_ASSIGN_OR_RETURN(attest::KeyInfo active_key, attest_keys->Active());
  pipeline::AttestIssuerOptions attest_options;
  attest_options.issuer_url = config.issuer_url();
  attest_options.vct = config.vct();
  attest_options.status_list_ttl = config.status_list_ttl();
  attest_options.status_list_size = config.status_list_size();
  VOUCH_ASSIGN_OR_RETURN(attest_options.pairwise_secret,
                         pipeline::LoadOrCreatePairwiseSecret(data_dir + "/keys/pairwise.secret"));
  SystemClock clock;
  VOUCH_ASSIGN_OR_RETURN(
      std::unique_ptr<pipeline::AttestationIssuer> issuer,
      pipeline::NewAttestIssuer(std::move(attest_options), *attest_keys, *store, clock));
  AnnounceAttestationKeys(new_attest_keys, attest_dir, active_key, config);
  VOUCH_ASSIGN_OR_RETURN(review::StorageKeyRing storage_keys, LoadStorageKeys(o, data_dir, *store));
  // One process owns the SQLite file: leases left by a previous run are stale.
  // On PostgreSQL other instances may hold leases: a dead one's just expire.
  if (!postgres) VOUCH_RETURN_IF_ERROR(store->ReleaseAllLeases());
  if (passport_key.created) Audit(*store, "key.create", R"({"key":"passport"})");
  if (new_attest_keys) {
    Audit(*store, "key.create",
          absl::StrCat(R"({"key":"attestation","kid":")", active_key.kid, R"("})"));
  }

  // Pipeline and workers.
  const int workers = o.workers > 0
                          ? o.workers
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int queue = o.queue >= 0 ? o.queue : 2 * workers;
  service::Metrics metrics;
  // Per-service Passport keys are read at start (a reload does not change them).
  // vouchd's own Passport key and, after a rotation, the previous one.
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<PassportKeyRing> passport_keys,
                         PassportKeyRing::Load(o.data_dir + "/keys"));
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<pipeline::PassportOpener> opener,
                         NewOpener(auth_config, passport_keys->NewOpener()));
  pipeline::OcrReaderOptions ocr_options;
  ocr_options.models_dir = models.dir.path;
  std::unique_ptr<pipeline::DocumentReaderFactory> readers =
      pipeline::NewOcrDocumentReaderFactory(ocr_options);
  // ---- OpenID4VCI issuance to wallets (docs/wallet.md) ----
  // vouch_attestations_*_total count every credential signed and revoked,
  // the wallets' included: the wallet issuer signs through this one.
  CountingIssuer counting_issuer(*issuer);
  VOUCH_ASSIGN_OR_RETURN(
      std::unique_ptr<http::WalletIssuer> wallet_issuer,
      NewWalletIssuer(o, config, data_dir, counting_issuer, *store, storage_keys, clock));
  // ---- end OpenID4VCI issuance ----
  // What verifications, reviews and the Attestations service use: the wallet
  // issuer (offers) when there is one.
  pipeline::AttestationIssuer& front_issuer =
      wallet_issuer != nullptr ? static_cast<pipeline::AttestationIssuer&>(*wallet_issuer)
                               : counting_issuer;
  pipeline::VerificationPipeline pipeline(*opener, front_issuer, *store, clock);
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<service::WorkerPool> pool,
                         service::WorkerPool::Create(workers, queue, *readers));
  service::EngineOptions engine_options;
  engine_options.max_files_bytes = o.max_files_bytes;
  engine_options.process_jobs = o.process_jobs;
  engine_options.review_keys = &storage_keys;
  // ---- duplicate detection (docs/dedup.md): the index's HMAC keys ----
  VOUCH_ASSIGN_OR_RETURN(std::shared_ptr<const dedup::DedupKeyring> dedup_keys,
                         dedup::DedupKeyring::LoadOrCreate(o.data_dir + "/keys/dedup_hmac.keys"));
  // The face 1:N index: embeddings sealed under the storage keys (as review
  // cases), rebuilt here from the Store, then polled (face_poller below).
  dedup::FaceDuplicateOptions face_options;
  face_options.index.capacity = static_cast<size_t>(o.face_index_capacity);
  dedup::FaceDuplicateIndex face_index(dedup_keys, review::SealerFor(storage_keys), *store,
                                       face_options);
  {
    const absl::Time rebuild_start = absl::Now();
    VOUCH_ASSIGN_OR_RETURN(const int64_t changes, face_index.Sync(clock.Now(), false));
    spdlog::info("face index rebuilt entries={} changes={} ms={}", face_index.size(), changes,
                 absl::ToInt64Milliseconds(absl::Now() - rebuild_start));
  }
  const std::unique_ptr<dedup::DuplicateIndex> duplicate_index =
      dedup::NewStoreDuplicateIndex(dedup_keys, *store, &face_index);
  // Matches counted and audited (ids only), retention and the metrics.
  dedup::DuplicateMonitor duplicate_monitor(*store, clock);
  const std::unique_ptr<dedup::DuplicateIndex> observed_duplicates =
      duplicate_monitor.Observe(*duplicate_index);
  engine_options.duplicate_index = observed_duplicates.get();
  spdlog::info("duplicate index keys={} current={}", dedup_keys->keys().size(),
               dedup_keys->current().id);
  engine_options.job_lease = absl::Seconds(o.job_lease_seconds);
  engine_options.job_heartbeat = engine_options.job_lease / 3;
  VOUCH_ASSIGN_OR_RETURN(
      std::unique_ptr<TelegramSide> telegram,
      TelegramSide::Create(
          {o.telegram_token_file, o.telegram_api_url}, config, *store,
          [&store](absl::string_view action, absl::string_view id, std::string detail) {
            Audit(*store, action, std::move(detail), id);
          }));
  service::VerificationEngine engine(engine_options, config, pipeline, *store, *pool, clock,
                                     metrics);
  // Watch streams see the Telegram badge's changes; the dispatcher
  // stops before the engine goes.
  telegram->OnBadgeChange([&engine](const std::string& id) { engine.NotifyChanged(id); });
  struct StopTelegramFirst {
    TelegramSide& telegram;
    ~StopTelegramFirst() { telegram.Stop(); }
  } stop_telegram_first{*telegram};
  SetGauges(metrics, *pool, *store, store_health, tls_info);

  // Other replicas' changes: a Watch here sees their completions and
  // review decisions, and this replica's signed status lists drop a copy
  // another revoked in (PostgreSQL NOTIFY; SQLite: polling).
  service::ChangeFeedOptions feed_options;
  feed_options.poll = absl::Seconds(o.watch_poll_seconds);
  service::ChangeFeed feed(
      *store, feed_options, [&engine](const std::string& id) { engine.NotifyChanged(id); },
      [&issuer](const std::string& attestation_id) {
        // The issuer re-signs the entry's list from the Store on next fetch.
        absl::StatusOr<bool> dropped = issuer->Revoke(attestation_id, /*suspend=*/false);
        if (!dropped.ok() && !absl::IsNotFound(dropped.status())) {
          spdlog::warn("status list refresh after a change failed code={}",
                       absl::StatusCodeToString(dropped.status().code()));
        }
      });

  // gRPC.
  service::VerificationService verification(engine, *authenticator, &feed);
  service::AttestationsService attestations(front_issuer, *store, *authenticator);
  // Key rotation while running: Admin RPCs and the key maintenance.
  KeyRotation key_rotation(*attest_keys, *passport_keys, *store, KeyRotationOptionsFor(o, config));
  // Admin.Erase's user hashes, status-list mirror and signed receipt.
  VouchdErasureSupport erasure(dedup_keys, *issuer, *attest_keys, config.issuer_url());
  audit::AdminService admin(*store, *authenticator, &key_rotation, &erasure);
  review::ReviewQueue review_queue(config, *store, storage_keys, front_issuer, clock,
                                   [&engine](const std::string& id) { engine.NotifyChanged(id); });
  review::ReviewService review(review_queue, *authenticator);
  VOUCH_ASSIGN_OR_RETURN(telegram::ProviderKeySource provider_keys,
                         NewProviderKeySource(auth_config, *passport_keys));
  telegram::ProviderService provider(config, *authenticator, std::move(provider_keys));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(o.listen, credentials, &port);
  builder.RegisterService(&verification);
  builder.RegisterService(&attestations);
  builder.RegisterService(&admin);
  builder.RegisterService(&review);
  builder.RegisterService(&provider);
  CallCounter calls;  // vouch_grpc_calls_failed_total{code}
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(calls.NewInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  const OperationalMetrics operational_metrics(*store, counting_issuer, calls);
  // The files plus the PassportData JSON and framing.
  const int64_t receive_limit = o.max_files_bytes + (2 << 20);
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<int64_t>(receive_limit, INT32_MAX)));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", o.listen));
  }
  // gRPC health follows the store: NOT_SERVING while it cannot be reached
  // or written (the process stays up).
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  store_health.StartProbing([health](bool serving) { health->SetServingStatus(serving); });
  struct StopProbingFirst {  // Before `server` goes, on every return.
    service::MonitoredStore& store;
    ~StopProbingFirst() { store.StopProbing(); }
  } stop_probing{store_health};
  const std::string host = o.listen.substr(0, o.listen.rfind(':'));
  const std::string bound = absl::StrCat(host, ":", port);
  engine.Start();
  telegram->Start();
  feed.Start();
  key_rotation.Start();
  review::CasePurger purger(review_queue, absl::Seconds(o.purge_seconds));
  // Duplicate-index entries past their duplicate_ttl, on the same schedule.
  dedup::DuplicatePurger duplicate_purger(duplicate_monitor, absl::Seconds(o.purge_seconds));
  // The other replicas' face entries, erasures and reviewers' decisions.
  dedup::FaceIndexPoller face_poller(face_index, clock, absl::Seconds(o.face_poll_seconds));

  // Metrics on a separate loopback HTTP port.
  httplib::Server http;
  std::thread http_thread;
  absl::StatusOr<std::string> metrics_bound = BindMetricsListener(
      o, http,
      [&]() {
        return metrics.Render() + operational_metrics.Render(absl::Now()) +
               telegram->RenderMetrics() + duplicate_monitor.RenderMetrics() +
               face_index.RenderMetrics() + review_queue.RenderRetentionMetrics() +
               (wallet_issuer ? wallet_issuer->RenderMetrics() : "");
      },
      [&]() { return store_health.healthy() && engine.accepting(); });
  if (!metrics_bound.ok()) {
    server->Shutdown();
    return metrics_bound.status();
  }
  std::atomic<bool> draining{false};
  absl::StatusOr<std::unique_ptr<http::TrustServer>> trust =
      StartTrustPlane(o, config, *issuer, wallet_issuer.get(), draining, store_health);
  if (!trust.ok()) {
    server->Shutdown();
    return trust.status();
  }
  if (!metrics_bound->empty()) http_thread = std::thread([&http] { http.listen_after_bind(); });
  const std::string http_bound = *trust != nullptr ? (*trust)->bound_address() : "";
  spdlog::info("serving grpc={} metrics={} http={} workers={} queue={} jobs={}", bound,
               *metrics_bound, http_bound, workers, queue, o.process_jobs ? "on" : "off");
  std::cout << "vouchd: listening on " << bound << "\n";
  std::cout.flush();
  if (!o.ready_file.empty()) WriteReadyFile(o.ready_file, bound, *metrics_bound, http_bound);

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    ReloadOnSighup(o, tls_stager.get(), config, auth_path, *authenticator);
  }

  // Drain: stop taking new work, let in-flight calls and jobs finish within
  // the deadline, then stop.
  spdlog::info("draining signal={} deadline_s={}", signal_number, o.drain_seconds);
  store_health.StopProbing();
  server->GetHealthCheckService()->SetServingStatus(false);
  draining = true;
  engine.StopAccepting();
  // Wait for the pool to finish what it holds (unary calls and running
  // jobs), then stop gRPC; streams still open (Watch) are cancelled.
  const absl::Time deadline = absl::Now() + absl::Seconds(o.drain_seconds);
  while ((pool->queued() > 0 || pool->running() > 0) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  spdlog::info("grpc stopped");
  pool->Drain();
  if (http_thread.joinable()) {
    http.stop();
    http_thread.join();
  }
  if (*trust != nullptr) (*trust)->Stop();
  spdlog::info("stopped");
  return absl::OkStatus();
}

}  // namespace
}  // namespace vouch::verifier::server

int main(int argc, char** argv) {
  // One OpenMP thread per Tesseract unless the operator sets another limit
  // (re-executes in place when OMP_THREAD_LIMIT is unset; see openmp_limit.h).
  vouch::EnsureOpenMpThreadLimit(argv, 1, /*replace_existing=*/false);
  vouch::verifier::server::ServerOptions o;
  CLI::App app{"vouchd: Telegram Passport verification service"};
  // [server] keys of --config come first as arguments; the last value wins,
  // so flags override the file (server/server_config.h).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", [] {
    return vouch::VersionText("vouchd", vouch::verifier::version::DependencyVersions());
  });
  app.add_option("--listen", o.listen, "gRPC address HOST:PORT (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--data-dir", o.data_dir, "keys and the SQLite database (created 0700)")
      ->capture_default_str();
  app.add_option("--config", o.config,
                 "TOML config: [server] (every option here as a key), [issuer], [policies.*] "
                 "(default: the embedded default policy)");
  app.add_flag("--check-config", o.check_config,
               "validate the configuration and the models, then exit (0: valid)");
  app.add_option("--database", o.database,
                 "sqlite (embedded, in --data-dir) or a postgresql:// URI (shared by instances; "
                 "each still keeps its keys in --data-dir); also $VOUCH_DATABASE, which keeps a "
                 "password out of ps")
      ->envname("VOUCH_DATABASE")
      ->capture_default_str();
  app.add_option("--metrics-listen", o.metrics_listen,
                 "loopback HOST:PORT for Prometheus /metrics; empty disables")
      ->capture_default_str();
  app.add_flag("--metrics-allow-non-loopback", o.metrics_allow_non_loopback,
               "let --metrics-listen bind a non-loopback address (e.g. 0.0.0.0:9464 in a "
               "container; plain HTTP: keep it on a private network)");
  app.add_option("--workers", o.workers, "verification worker threads (0: one per core)")
      ->check(CLI::Range(0, 256));
  app.add_option("--queue", o.queue, "requests that may wait for a worker (default 2 x workers)")
      ->check(CLI::Range(-1, 100000));
  app.add_option("--process-jobs", o.process_jobs,
                 "process asynchronous submissions (false: accept and store only)")
      ->capture_default_str();
  app.add_option("--max-files-bytes", o.max_files_bytes,
                 "limit on the encrypted files of one request")
      ->capture_default_str();
  app.add_option("--job-lease-seconds", o.job_lease_seconds,
                 "lease of an async job; renewed every third of it while the job runs, so a "
                 "crashed instance's jobs are taken over (PostgreSQL) once it expires")
      ->capture_default_str();
  app.add_option("--database-wait-seconds", o.database_wait_seconds,
                 "at start, how long to retry an unreachable database before giving up")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--drain-seconds", o.drain_seconds, "SIGTERM: time to finish in-flight work")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--log-format", o.log_format, "text or json")->capture_default_str();
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  app.add_option("--models-dir", o.models_dir,
                 "models folder (mrz/, face/); default $VOUCH_MODELS_DIR, else "
                 "PREFIX/share/vouch/models beside the installed binary, else the source tree's "
                 "models/ (development build)");
  app.add_option("--allow-missing-models", o.allow_missing_models,
                 "comma-separated components vouchd may start without: mrz, face (their checks "
                 "are then reported unavailable or degraded on every verification)");
  app.add_option("--tls-cert", o.tls_cert, "PEM certificate chain for gRPC TLS");
  app.add_option("--tls-key", o.tls_key, "PEM private key for --tls-cert (0600)");
  app.add_option("--tls-client-ca", o.tls_client_ca,
                 "PEM CA bundle for client certificates (mTLS service/operator identities)");
  app.add_option("--tls-reload-seconds", o.tls_reload_seconds,
                 "re-read --tls-cert/--tls-key this often (and on SIGHUP), so a renewed "
                 "certificate needs no restart; a bad pair is refused, the old one stays "
                 "(0: on SIGHUP only)")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  app.add_flag(
      "--insecure-loopback", o.insecure_loopback,
      "serve plaintext gRPC and HTTP (loopback --listen and --http-listen only; no TLS flags)");
  app.add_option("--auth-config", o.auth_config,
                 "TOML services/operators (default DATA_DIR/auth.toml, made at first start)");
  app.add_flag("--rotate-storage-key", o.rotate_storage_key,
               "add a new active storage key and re-seal the open review cases");
  app.add_option("--purge-seconds", o.purge_seconds, "how often expired review cases are purged")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 86400.0));
  app.add_option("--face-poll-seconds", o.face_poll_seconds,
                 "how often the face 1:N index reads the other replicas' changes")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 3600.0));
  app.add_option("--face-index-capacity", o.face_index_capacity,
                 "most faces the in-memory face 1:N index holds")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}));
  app.add_option("--ready-file", o.ready_file,
                 "write the bound gRPC, metrics and HTTP addresses here once serving");
  app.add_option("--watch-poll-seconds", o.watch_poll_seconds,
                 "without PostgreSQL LISTEN/NOTIFY (SQLite), how often a Watch re-reads its "
                 "verification to see changes made by another process")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 60.0));
  app.add_option("--key-publish-delay-seconds", o.key_publish_delay_seconds,
                 "a rotated attestation key is in the JWKS this long before it signs (at least "
                 "the trust plane's JWKS cache time plus --key-check-seconds)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 30.0 * 86400));
  app.add_option("--key-check-seconds", o.key_check_seconds,
                 "how often the key files are re-read (rotations by replicas sharing them), due "
                 "keys activated and expired ones removed")
      ->capture_default_str()
      ->check(CLI::Range(0.2, 3600.0));
  app.add_option("--telegram-token-file", o.telegram_token_file,
                 "the Telegram verifier bot's token (mode 0600; default "
                 "$VOUCH_TELEGRAM_BOT_TOKEN), required when a policy sets [telegram] verify_user");
  app.add_option("--telegram-api-url", o.telegram_api_url,
                 "Bot API server for the verification badge (https; http only on loopback)")
      ->capture_default_str();
  app.add_option("--http-listen", o.http_listen,
                 "HOST:PORT for the public HTTPS trust plane (issuer metadata, JWKS, status "
                 "lists; TLS from --tls-cert/--tls-key, plain HTTP only on loopback with "
                 "--insecure-loopback); empty disables");
  vouch::verifier::server::AddWalletLimitOptions(app, o.wallet_limits);
  std::vector<std::string> args = {argv[0]};
  if (const std::optional<std::string> config =
          vouch::verifier::server::FindConfigPath(argc, argv)) {
    absl::StatusOr<std::vector<std::string>> from_file =
        vouch::verifier::server::ServerFileArguments(*config, app,
                                                     {"config", "check-config", "version", "help"});
    if (!from_file.ok()) {
      std::cerr << "error: " << from_file.status().message() << "\n";
      return 2;
    }
    args.insert(args.end(), from_file->begin(), from_file->end());
    o.models_dir_from_config = true;  // Unless --models-dir is on the command line (below).
  }
  for (int i = 1; i < argc; ++i) {
    args.emplace_back(argv[i]);
    if (absl::StartsWith(argv[i], "--models-dir")) o.models_dir_from_config = false;
  }
  std::vector<char*> arg_pointers;
  arg_pointers.reserve(args.size());
  for (std::string& a : args) arg_pointers.push_back(a.data());
  try {
    app.parse(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  const absl::Status status = vouch::verifier::server::Serve(o);
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
