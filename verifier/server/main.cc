// vouchd: the gRPC server relying services call. The one place that reads
// flags and builds concrete objects (STYLE.md §7.4).
//
// Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT), 1 when it cannot
// start, 2 for usage errors.

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/openmp_limit.h"
#include "base/status_macros.h"
#include "httplib.h"
#include "attest/key_set.h"
#include "http/trust_server.h"
#include "audit/admin_service.h"
#include "auth/auth_config.h"
#include "auth/authenticator.h"
#include "pipeline/attest_adapter.h"
#include "pipeline/ocr_adapter.h"
#include "pipeline/passport_adapter.h"
#include "pipeline/policy.h"
#include "pipeline/verification_pipeline.h"
#include "review/case_sealer.h"
#include "review/review_queue.h"
#include "review/review_service.h"
#include "server/provider_keys.h"
#include "service/metrics.h"
#include "service/verification_engine.h"
#include "service/verification_service.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"
#include "storage/store.h"

namespace vouch::verifier {
namespace {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";
  std::string data_dir = "vouch-data";
  std::string config;
  std::string database = "sqlite";
  std::string metrics_listen = "127.0.0.1:9464";
  std::string log_format = "text";
  std::string log_level = "info";
  std::string ready_file;
  std::string models_dir;
  int workers = 0;  // 0 = hardware threads.
  int queue = -1;   // -1 = 2 x workers.
  bool process_jobs = true;
  int64_t max_files_bytes = 40 << 20;
  double drain_seconds = 30;
  // Review queue (#7).
  bool rotate_storage_key = false;
  double purge_seconds = 60;
  int job_lease_seconds = 600;
  // Transport and authentication (docs/security.md).
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  bool insecure_loopback = false;
  std::string auth_config;
  // Public trust plane over HTTPS (#14): issuer metadata, JWKS, status lists.
  std::string http_listen;
};

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the ", what, " ", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty() || text.size() > (1 << 20)) {
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " ", path, " is empty or over 1 MiB"));
  }
  return text;
}

// TLS on any address; plaintext only on loopback and only with
// --insecure-loopback. Client certificates are requested but verified by the
// Authenticator (so API-key clients without one connect too).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(const ServerOptions& o) {
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (o.tls_cert.empty()) {
    if (!IsLoopbackAddress(o.listen)) {
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
  grpc::SslServerCredentialsOptions ssl(
      o.tls_client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                              : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  VOUCH_ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(o.tls_cert, "TLS certificate"));
  VOUCH_ASSIGN_OR_RETURN(pair.private_key, ReadPem(o.tls_key, "TLS key"));
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
class PerServiceOpener final : public PassportOpener {
 public:
  PerServiceOpener(std::map<std::string, std::unique_ptr<PassportOpener>, std::less<>> by_service,
                   std::unique_ptr<PassportOpener> fallback)
      : by_service_(std::move(by_service)), fallback_(std::move(fallback)) {}

  absl::StatusOr<OpenedSubmission> Open(const SealedSubmission& submission) override {
    auto it = by_service_.find(submission.relying_service);
    return (it != by_service_.end() ? *it->second : *fallback_).Open(submission);
  }

 private:
  const std::map<std::string, std::unique_ptr<PassportOpener>, std::less<>> by_service_;
  const std::unique_ptr<PassportOpener> fallback_;
};

absl::StatusOr<std::unique_ptr<PassportOpener>> NewOpener(const AuthConfig& auth,
                                                          passport::PassportDecryptor own) {
  std::map<std::string, std::unique_ptr<PassportOpener>, std::less<>> by_service;
  for (const AuthEntry& e : auth.entries) {
    if (e.principal.kind != PrincipalKind::kService || e.passport_key.empty()) continue;
    struct stat st;
    if (::stat(e.passport_key.c_str(), &st) != 0 || (st.st_mode & 077) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the Passport key of service ", e.principal.id, " (", e.passport_key,
          ") is missing or readable by others (chmod 600)"));
    }
    VOUCH_ASSIGN_OR_RETURN(std::string pem, ReadPem(e.passport_key, "Passport key"));
    absl::StatusOr<passport::PassportDecryptor> key = passport::PassportDecryptor::FromPem(pem);
    OPENSSL_cleanse(pem.data(), pem.size());
    if (!key.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the Passport key of service ", e.principal.id, " is not a private RSA key"));
    }
    by_service[e.principal.id] = NewPassportModuleOpener(*std::move(key));
  }
  return std::make_unique<PerServiceOpener>(std::move(by_service),
                                            NewPassportModuleOpener(std::move(own)));
}

// Appends a vouchd audit event; failures are logged (the chain's owner, the
// Store, reports them), never fatal.
void Audit(Store& store, absl::string_view action, std::string detail) {
  AuditEvent event;
  event.time = absl::Now();
  event.actor = "vouchd";
  event.action = std::string(action);
  event.detail = std::move(detail);
  absl::StatusOr<AuditEvent> appended = store.AppendAudit(event);
  if (!appended.ok()) {
    spdlog::warn("audit append failed action={} code={}", event.action,
                 absl::StatusCodeToString(appended.status().code()));
  }
}

absl::Status ConfigureLogging(const ServerOptions& o) {
  auto logger = spdlog::stderr_logger_mt("vouchd");
  spdlog::set_default_logger(logger);
  if (o.log_format == "json") {
    // Messages are key=value lists of ids, codes and timings only: no
    // personal data, no quotes to escape.
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else if (o.log_format != "text") {
    return absl::InvalidArgumentError("--log-format must be text or json");
  }
  const spdlog::level::level_enum level = spdlog::level::from_str(o.log_level);
  if (level == spdlog::level::off && o.log_level != "off") {
    return absl::InvalidArgumentError("unknown --log-level");
  }
  spdlog::set_level(level);
  return absl::OkStatus();
}

// Splits "host:port" for the metrics listener and insists on loopback.
absl::StatusOr<std::pair<std::string, int>> LoopbackHostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError("--metrics-listen must be HOST:PORT");
  }
  std::string host = address.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  if (host != "127.0.0.1" && host != "[::1]" && host != "::1") {
    return absl::InvalidArgumentError("--metrics-listen must be a loopback address");
  }
  if (host == "[::1]") host = "::1";
  return std::make_pair(host, port);
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

  const bool postgres = absl::StartsWith(o.database, "postgresql://") ||
                        absl::StartsWith(o.database, "postgres://");
  if (o.database != "sqlite" && !postgres) {
    return absl::InvalidArgumentError("--database must be sqlite or a postgresql:// URI");
  }
  if (o.job_lease_seconds < 1 || o.job_lease_seconds > 86400) {
    return absl::InvalidArgumentError("--job-lease-seconds must be 1 .. 86400");
  }
  if (o.max_files_bytes < 1 || o.max_files_bytes > (1LL << 30)) {
    return absl::InvalidArgumentError("--max-files-bytes must be 1 .. 1 GiB");
  }

  VOUCH_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                         ServerCredentials(o));

  // Configuration.
  Config config = Config::Default();
  if (!o.config.empty()) {
    VOUCH_ASSIGN_OR_RETURN(config, Config::Load(o.config));
  }

  // Data directory, keys, store.
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  if (ec || ::chmod(o.data_dir.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot use --data-dir ", o.data_dir));
  }
  // Authentication: --auth-config, else DATA_DIR/auth.toml, made on the
  // first start with an admin token and a "default" service API key.
  std::string auth_path = o.auth_config;
  if (auth_path.empty()) {
    auth_path = o.data_dir + "/auth.toml";
    VOUCH_ASSIGN_OR_RETURN(bool bootstrapped, BootstrapAuthConfig(auth_path, o.data_dir));
    if (bootstrapped) {
      std::cout << "vouchd: created " << auth_path << " with an admin operator token ("
                << o.data_dir << "/admin.token) and a \"default\" service API key ("
                << o.data_dir << "/service-default.token), both 0600\n";
    }
  }
  VOUCH_ASSIGN_OR_RETURN(AuthConfig auth_config, AuthConfig::Load(auth_path));
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<ConfigAuthenticator> authenticator,
                         ConfigAuthenticator::Create(auth_config, o.tls_client_ca));
  VOUCH_ASSIGN_OR_RETURN(PassportKeyFile passport_key,
                         EnsurePassportKey(o.data_dir + "/keys"));
  if (passport_key.created) {
    std::cout << "vouchd: generated the Telegram Passport key " << passport_key.path << "\n"
              << "Register this public key with @BotFather (/setpublickey):\n"
              << passport_key.public_key_pem;
  } else {
    std::cout << "vouchd: Telegram Passport key " << passport_key.path << "\n";
  }
  // The URI may hold a password: it is never printed.
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                         postgres ? NewPostgresStore(o.database)
                                  : NewSqliteStore(o.data_dir + "/vouch.db"));
  // Attestation keys (attest's key set: ES256, kid = JWK thumbprint) and the
  // pairwise-subject secret, both made on the first start.
  const std::string attest_dir = o.data_dir + "/keys/attest";
  const bool new_attest_keys = !std::filesystem::exists(attest_dir);
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<attest::KeySet> attest_keys,
                         attest::KeySet::LoadOrCreate(attest_dir, attest::SigningAlg::kES256));
  VOUCH_ASSIGN_OR_RETURN(attest::KeyInfo active_key, attest_keys->Active());
  AttestIssuerOptions attest_options;
  attest_options.issuer_url = config.issuer_url();
  attest_options.vct = config.vct();
  attest_options.status_list_ttl = config.status_list_ttl();
  attest_options.status_list_size = config.status_list_size();
  VOUCH_ASSIGN_OR_RETURN(attest_options.pairwise_secret,
                         LoadOrCreatePairwiseSecret(o.data_dir + "/keys/pairwise.secret"));
  SystemClock clock;
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<AttestationIssuer> issuer,
                         NewAttestIssuer(std::move(attest_options), *attest_keys, *store, clock));
  std::cout << "vouchd: " << (new_attest_keys ? "generated the attestation key set " : "attestation key set ")
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
  // Review cases are sealed under the storage key ring (keys/storage.key,
  // or VOUCH_STORAGE_KEY); after a rotation the open cases are re-sealed.
  const std::string storage_key_file = o.data_dir + "/keys/storage.key";
  const char* env_key = std::getenv("VOUCH_STORAGE_KEY");
  const char* env_old = std::getenv("VOUCH_STORAGE_KEYS_OLD");
  const bool storage_key_from_file = env_key == nullptr || *env_key == '\0';
  const bool storage_key_created =
      storage_key_from_file && !std::filesystem::exists(storage_key_file);
  if (o.rotate_storage_key) {
    VOUCH_RETURN_IF_ERROR(StorageKeyRing::RotateFile(storage_key_file).status());
  }
  VOUCH_ASSIGN_OR_RETURN(StorageKeyRing storage_keys,
                         StorageKeyRing::LoadOrCreate(storage_key_file, env_key ? env_key : "",
                                                      env_old ? env_old : ""));
  // Key ids only (never key bytes) in the audit log.
  const std::string storage_kid = absl::StrCat(R"({"key":"storage","kid":")",
                                               storage_keys.active_key_id(), R"("})");
  if (storage_key_created && !o.rotate_storage_key) Audit(*store, "key.create", storage_kid);
  if (o.rotate_storage_key) Audit(*store, "key.rotate", storage_kid);
  if (storage_keys.key_ids().size() > 1) {
    VOUCH_ASSIGN_OR_RETURN(int rekeyed, RekeyCases(*store, storage_keys));
    spdlog::info("storage key active={} resealed_cases={}", storage_keys.active_key_id(), rekeyed);
    if (rekeyed > 0) {
      Audit(*store, "key.reseal",
            absl::StrCat(R"({"key":"storage","kid":")", storage_keys.active_key_id(),
                         R"(","cases":)", rekeyed, "}"));
    }
  }
  // One process owns the SQLite file: leases left by a previous run are stale.
  // On PostgreSQL other instances may hold leases: a dead one's just expire.
  if (!postgres) VOUCH_RETURN_IF_ERROR(store->ReleaseAllLeases());
  if (passport_key.created) Audit(*store, "key.create", R"({"key":"passport"})");
  if (new_attest_keys) {
    Audit(*store, "key.create",
          absl::StrCat(R"({"key":"attestation","kid":")", active_key.kid, R"("})"));
  }

  // Pipeline and workers.
  const int workers =
      o.workers > 0 ? o.workers : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int queue = o.queue >= 0 ? o.queue : 2 * workers;
  Metrics metrics;
  // Per-service Passport keys are read at start (a reload does not change them).
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<PassportOpener> opener,
                         NewOpener(auth_config, *passport_key.decryptor));
  OcrReaderOptions ocr_options;
  ocr_options.models_dir = o.models_dir;
  if (ocr_options.models_dir.empty()) {
    const char* env = std::getenv("VOUCH_MODELS_DIR");
    ocr_options.models_dir = env != nullptr && *env != '\0' ? env : "models";
  }
  std::unique_ptr<DocumentReaderFactory> readers = NewOcrDocumentReaderFactory(ocr_options);
  VerificationPipeline pipeline(*opener, issuer.get(), *store, clock);
  VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<WorkerPool> pool,
                         WorkerPool::Create(workers, queue, *readers));
  EngineOptions engine_options;
  engine_options.max_files_bytes = o.max_files_bytes;
  engine_options.process_jobs = o.process_jobs;
  engine_options.review_keys = &storage_keys;
  engine_options.job_lease = absl::Seconds(o.job_lease_seconds);
  VerificationEngine engine(engine_options, config, pipeline, *store, *pool, clock, metrics);
  metrics.SetGauges([&](std::map<std::string, double>& g) {
    g["vouch_queue_depth"] = pool->queued();
    g["vouch_in_flight"] = pool->running();
    g["vouch_workers"] = pool->workers();
    absl::StatusOr<int64_t> pending = store->PendingJobCount();
    if (pending.ok()) g["vouch_jobs_pending"] = static_cast<double>(*pending);
  });

  // gRPC.
  VerificationService verification(engine, authenticator.get());
  AttestationsService attestations(issuer.get(), *store, authenticator.get());
  AdminService admin(*store, *authenticator);
  ReviewQueue review_queue(config, *store, storage_keys, issuer.get(), clock,
                           [&engine](const std::string& id) { engine.NotifyChanged(id); });
  ReviewService review(review_queue, *authenticator);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(o.listen, credentials, &port);
  builder.RegisterService(&verification);
  builder.RegisterService(&attestations);
  builder.RegisterService(&admin);
  builder.RegisterService(&review);
  // The files plus the PassportData JSON and framing.
  const int64_t receive_limit = o.max_files_bytes + (2 << 20);
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<int64_t>(receive_limit, INT32_MAX)));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", o.listen));
  }
  server->GetHealthCheckService()->SetServingStatus(true);
  const std::string host = o.listen.substr(0, o.listen.rfind(':'));
  const std::string bound = absl::StrCat(host, ":", port);
  engine.Start();
  CasePurger purger(review_queue, absl::Seconds(o.purge_seconds));

  // Metrics on a separate loopback HTTP port.
  httplib::Server http;
  std::thread http_thread;
  std::string metrics_bound;
  if (!o.metrics_listen.empty()) {
    VOUCH_ASSIGN_OR_RETURN(auto host_port, LoopbackHostPort(o.metrics_listen));
    http.Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics.Render(), "text/plain; version=0.0.4");
    });
    const int metrics_port = host_port.second == 0
                                 ? http.bind_to_any_port(host_port.first)
                                 : (http.bind_to_port(host_port.first, host_port.second)
                                        ? host_port.second
                                        : -1);
    if (metrics_port <= 0) {
      server->Shutdown();
      return absl::UnavailableError(absl::StrCat("cannot listen on ", o.metrics_listen));
    }
    metrics_bound = absl::StrCat(host_port.first, ":", metrics_port);
    http_thread = std::thread([&http] { http.listen_after_bind(); });
  }
  // The public trust plane (#14): TLS with the gRPC certificate, plaintext
  // only on loopback with --insecure-loopback. /readyz says "draining" once
  // SIGTERM arrives.
  std::atomic<bool> draining{false};
  std::unique_ptr<TrustServer> trust;
  std::string http_bound;
  if (!o.http_listen.empty()) {
    if (o.tls_cert.empty() && (!IsLoopbackAddress(o.http_listen) || !o.insecure_loopback)) {
      server->Shutdown();
      return absl::InvalidArgumentError(absl::StrCat(
          "refusing plain HTTP on ", o.http_listen,
          ": give --tls-cert and --tls-key (plain HTTP only on loopback with --insecure-loopback)"));
    }
    TrustServerOptions trust_options;
    trust_options.listen = o.http_listen;
    trust_options.tls_cert_file = o.tls_cert;
    trust_options.tls_key_file = o.tls_key;
    trust_options.issuer_url = config.issuer_url();
    trust_options.vct = config.vct();
    trust_options.status_list_max_age = config.status_list_ttl();
    absl::StatusOr<std::unique_ptr<TrustServer>> created =
        TrustServer::Create(std::move(trust_options), *issuer, [&draining]() -> absl::Status {
          if (draining.load()) return absl::UnavailableError("draining");
          return absl::OkStatus();
        });
    absl::Status started = created.ok() ? (*created)->Start() : created.status();
    if (!started.ok()) {
      server->Shutdown();
      return started;
    }
    trust = *std::move(created);
    http_bound = trust->bound_address();
  }
  spdlog::info("serving grpc={} metrics={} http={} workers={} queue={} jobs={}", bound,
               metrics_bound, http_bound, workers, queue, o.process_jobs ? "on" : "off");
  std::cout << "vouchd: listening on " << bound << "\n";
  std::cout.flush();
  if (!o.ready_file.empty()) {
    std::ofstream ready(o.ready_file + ".tmp");
    ready << bound << "\n" << metrics_bound << "\n" << http_bound << "\n";
    ready.close();
    std::filesystem::rename(o.ready_file + ".tmp", o.ready_file, ec);
  }

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    absl::StatusOr<AuthConfig> reloaded = AuthConfig::Load(auth_path);
    if (reloaded.ok()) {
      authenticator->Reload(*std::move(reloaded));
      spdlog::info("auth config reloaded");
    } else {
      spdlog::error("auth config not reloaded (the previous one stays): {}",
                    std::string(reloaded.status().message()));
    }
  }

  // Drain: stop taking new work, let in-flight calls and jobs finish within
  // the deadline, then stop.
  spdlog::info("draining signal={} deadline_s={}", signal_number, o.drain_seconds);
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
  if (trust) trust->Stop();
  spdlog::info("stopped");
  return absl::OkStatus();
}

}  // namespace
}  // namespace vouch::verifier

int main(int argc, char** argv) {
  // One OpenMP thread per Tesseract unless the operator sets another limit
  // (re-executes in place when OMP_THREAD_LIMIT is unset; see openmp_limit.h).
  vouch::EnsureOpenMpThreadLimit(argv, 1, /*replace_existing=*/false);
  vouch::verifier::ServerOptions o;
  CLI::App app{"vouchd: Telegram Passport verification service"};
  app.add_option("--listen", o.listen, "gRPC address HOST:PORT (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--data-dir", o.data_dir, "keys and the SQLite database (created 0700)")
      ->capture_default_str();
  app.add_option("--config", o.config, "TOML config (default: the embedded default)");
  app.add_option("--database", o.database,
                 "sqlite (embedded, in --data-dir) or a postgresql:// URI (shared by instances; "
                 "each still keeps its keys in --data-dir)")
      ->capture_default_str();
  app.add_option("--metrics-listen", o.metrics_listen,
                 "loopback HOST:PORT for Prometheus /metrics; empty disables")
      ->capture_default_str();
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
                 "how long an async job is leased to a worker; after a crash another instance "
                 "(PostgreSQL) takes it over once this expires")
      ->capture_default_str();
  app.add_option("--drain-seconds", o.drain_seconds, "SIGTERM: time to finish in-flight work")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--log-format", o.log_format, "text or json")->capture_default_str();
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  app.add_option("--models-dir", o.models_dir,
                 "models folder (mrz/, face/); default $VOUCH_MODELS_DIR or ./models");
  app.add_option("--tls-cert", o.tls_cert, "PEM certificate chain for gRPC TLS");
  app.add_option("--tls-key", o.tls_key, "PEM private key for --tls-cert (0600)");
  app.add_option("--tls-client-ca", o.tls_client_ca,
                 "PEM CA bundle for client certificates (mTLS service/operator identities)");
  app.add_flag("--insecure-loopback", o.insecure_loopback,
               "serve plaintext gRPC and HTTP (loopback --listen and --http-listen only; no TLS flags)");
  app.add_option("--auth-config", o.auth_config,
                 "TOML services/operators (default DATA_DIR/auth.toml, made at first start)");
  app.add_flag("--rotate-storage-key", o.rotate_storage_key,
               "add a new active storage key and re-seal the open review cases");
  app.add_option("--purge-seconds", o.purge_seconds, "how often expired review cases are purged")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 86400.0));
  app.add_option("--ready-file", o.ready_file,
                 "write the bound gRPC, metrics and HTTP addresses here once serving");
  app.add_option("--http-listen", o.http_listen,
                 "HOST:PORT for the public HTTPS trust plane (issuer metadata, JWKS, status "
                 "lists; TLS from --tls-cert/--tls-key, plain HTTP only on loopback with "
                 "--insecure-loopback); empty disables");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  const absl::Status status = vouch::verifier::Serve(o);
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
