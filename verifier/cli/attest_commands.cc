#include "attest_commands.h"

#include <sys/stat.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include "attest/issuer.h"
#include "attest/key_set.h"
#include "attest/verify.h"
#include "client_options.h"
#include "command_helpers.h"
#include "vouch/v1/attestations.grpc.pb.h"

namespace vouch::verifier::cli {
namespace {

constexpr size_t kMaxFileBytes = 4 << 20;

absl::StatusOr<std::string> ReadInput(const std::string& path) {
  std::istream* in = &std::cin;
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return absl::NotFoundError("cannot open " + path);
    in = &file;
  }
  std::string data;
  char buf[8192];
  while (in->read(buf, sizeof(buf)) || in->gcount() > 0) {
    data.append(buf, static_cast<size_t>(in->gcount()));
    if (data.size() > kMaxFileBytes) {
      return absl::InvalidArgumentError(path + " is too large");
    }
  }
  while (!data.empty() && (data.back() == '\n' || data.back() == '\r')) {
    data.pop_back();
  }
  return data;
}

// The pairwise secret comes from the environment, never from a flag (flags
// show up in process listings). Without it, a per-key-dir secret file (0600)
// is created on first use.
absl::StatusOr<SecureBytes> LoadPairwiseSecret(const std::string& key_dir) {
  if (const char* env = std::getenv("VOUCH_PAIRWISE_SECRET"); env && *env) {
    return SecureBytes(absl::string_view(env));
  }
  // Reuse the key set's storage conventions: a 0600 file beside the keys.
  const std::string path = key_dir + "/pairwise.secret";
  std::ifstream in(path, std::ios::binary);
  if (in) {
    SecureBytes secret(32);
    char extra = 0;
    if (!in.read(reinterpret_cast<char*>(secret.data()), 32) || in.get(extra)) {
      return absl::InvalidArgumentError(path + " must hold exactly 32 bytes");
    }
    return secret;
  }
  SecureBytes secret(32);
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  if (!urandom.read(reinterpret_cast<char*>(secret.data()), 32)) {
    return absl::InternalError("cannot read /dev/urandom");
  }
  const mode_t old = umask(077);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  umask(old);
  if (!out.write(reinterpret_cast<const char*>(secret.data()), 32)) {
    return absl::PermissionDeniedError("cannot write " + path);
  }
  return secret;
}

struct IssueArgs {
  std::string key_dir, claims, aud, holder_jwk, issuer = "https://vouch.example";
  int64_t lifetime = 0;
};

int RunIssue(const IssueArgs& args, bool has_aud, bool has_holder, bool has_lifetime) {
  if (has_aud == has_holder) {
    std::cerr << "error: give exactly one of --aud (direct mode) or "
                 "--holder-jwk (wallet mode)\n";
    return 2;
  }
  if (!std::ifstream(args.key_dir + "/keys.json").good()) {
    return Fail(absl::NotFoundError("no key set in " + args.key_dir + " (run attest keygen)"));
  }
  auto keys = attest::KeySet::LoadOrCreate(args.key_dir, attest::SigningAlg::kES256);
  if (!keys.ok()) return Fail(keys.status());
  auto claims_text = ReadInput(args.claims);
  if (!claims_text.ok()) return Fail(claims_text.status());
  auto claims = attest::Issuer::ClaimsFromJson(*claims_text);
  if (!claims.ok()) return Fail(claims.status());
  auto secret = LoadPairwiseSecret(args.key_dir);
  if (!secret.ok()) return Fail(secret.status());
  attest::IssuerConfig config;
  config.issuer = args.issuer;
  config.pairwise_secret = std::move(*secret);
  // The CLI keeps no status list: wallet credentials it issues are limited to
  // 24 h unless a lifetime is given (then issuance fails without a list).
  config.wallet_lifetime_seconds = 24 * 3600;
  auto issuer = attest::Issuer::Create(std::move(config), **keys, nullptr);
  if (!issuer.ok()) return Fail(issuer.status());
  attest::IssueOptions options;
  if (has_aud) {
    options.service_id = args.aud;
  } else {
    auto jwk = ReadInput(args.holder_jwk);
    if (!jwk.ok()) return Fail(jwk.status());
    options.holder_jwk_json = *jwk;
    // No audience in wallet mode; the pairwise sub still needs a service id.
    options.service_id = "wallet";
  }
  if (has_lifetime) options.lifetime_seconds = args.lifetime;
  auto issued = (*issuer)->Issue(*claims, options);
  if (!issued.ok()) return Fail(issued.status());
  std::cout << issued->token << "\n";
  return 0;
}

// --- Revocation against a running vouchd ------------------------------------

struct RemoteArgs {
  ClientOptions client;
  std::string verification_id;
  bool suspend = false;
  double timeout_seconds = 30;
};

// The Attestations stub and a call context, or an exit code.
absl::StatusOr<std::unique_ptr<v1::Attestations::Stub>> Stub(const RemoteArgs& a,
                                                             ClientOptions& resolved) {
  absl::StatusOr<ClientOptions> options = ResolveClientOptions(a.client);
  if (!options.ok()) return options.status();
  resolved = *std::move(options);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = Dial(resolved);
  if (!channel.ok()) return channel.status();
  return v1::Attestations::NewStub(*channel);
}

void Prepare(grpc::ClientContext& context, const RemoteArgs& a, const ClientOptions& resolved) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(a.timeout_seconds * 1000)));
  Attach(context, resolved);
}

int RunRevoke(const RemoteArgs& a) {
  ClientOptions resolved;
  auto stub = Stub(a, resolved);
  if (!stub.ok()) return Fail(stub.status());
  v1::RevokeRequest request;
  request.set_verification_id(a.verification_id);
  request.set_suspend(a.suspend);
  v1::RevokeResponse response;
  grpc::ClientContext context;
  Prepare(context, a, resolved);
  const grpc::Status status = (*stub)->Revoke(&context, request, &response);
  if (!status.ok()) {
    PrintRpcError(status);
    return 1;
  }
  std::cout << (a.suspend ? "suspended " : "revoked ") << a.verification_id
            << (response.changed() ? "" : " (already)") << "\n";
  return 0;
}

int RunStatus(const RemoteArgs& a) {
  ClientOptions resolved;
  auto stub = Stub(a, resolved);
  if (!stub.ok()) return Fail(stub.status());
  v1::GetAttestationStatusRequest request;
  request.set_verification_id(a.verification_id);
  v1::AttestationStatus response;
  grpc::ClientContext context;
  Prepare(context, a, resolved);
  const grpc::Status status = (*stub)->GetAttestationStatus(&context, request, &response);
  if (!status.ok()) {
    PrintRpcError(status);
    return 1;
  }
  std::cout << "verification " << response.verification_id() << "\nattestation "
            << response.attestation_id() << "\nstatus " << response.status() << "\n";
  if (!response.status_list_uri().empty()) {
    std::cout << "status_list " << response.status_list_uri() << " index "
              << response.status_list_index() << "\n";
  }
  std::cout << "expires " << response.expire_time().seconds() << "\n";
  return 0;
}

void AddRemoteCommands(CLI::App* attest, int& exit_code) {
  auto revoke_args = std::make_shared<RemoteArgs>();
  CLI::App* revoke = attest->add_subcommand(
      "revoke", "revoke (or --suspend) the attestation of a verification (admin; vouchd)");
  revoke->add_option("VERIFICATION_ID", revoke_args->verification_id)->required();
  revoke->add_flag("--suspend", revoke_args->suspend, "suspend (reversible) instead of revoking");
  revoke->add_option("--timeout", revoke_args->timeout_seconds, "seconds")->capture_default_str();
  AddClientOptions(*revoke, revoke_args->client);
  revoke->callback([revoke_args, &exit_code] { exit_code = RunRevoke(*revoke_args); });

  auto status_args = std::make_shared<RemoteArgs>();
  CLI::App* status = attest->add_subcommand(
      "status", "the attestation of a verification and its status (admin; vouchd)");
  status->add_option("VERIFICATION_ID", status_args->verification_id)->required();
  status->add_option("--timeout", status_args->timeout_seconds, "seconds")->capture_default_str();
  AddClientOptions(*status, status_args->client);
  status->callback([status_args, &exit_code] { exit_code = RunStatus(*status_args); });
}

}  // namespace

void AddAttestCommands(CLI::App& app, int& exit_code) {
  CLI::App* attest = app.add_subcommand(
      "attest", "attestation keys, issuing and presenting (local); revoke and status (vouchd)");
  attest->require_subcommand(1);
  AddRemoteCommands(attest, exit_code);

  // keygen
  CLI::App* keygen =
      attest->add_subcommand("keygen", "create a signing key (active if none is, else next)");
  auto key_dir = std::make_shared<std::string>();
  auto alg = std::make_shared<std::string>("ES256");
  keygen->add_option("--key-dir", *key_dir, "key directory")->required();
  keygen->add_option("--alg", *alg, "ES256 or EdDSA")->check(CLI::IsMember({"ES256", "EdDSA"}));
  keygen->callback([key_dir, alg, &exit_code] {
    auto parsed = attest::ParseSigningAlg(*alg);
    if (!parsed.ok()) {
      exit_code = Fail(parsed.status());
      return;
    }
    const bool existed = std::ifstream(*key_dir + "/keys.json").good();
    auto keys = attest::KeySet::LoadOrCreate(*key_dir, *parsed);
    if (!keys.ok()) {
      exit_code = Fail(keys.status());
      return;
    }
    std::string kid;
    if (existed) {
      auto generated = (*keys)->Generate(*parsed, std::time(nullptr));
      if (!generated.ok()) {
        exit_code = Fail(generated.status());
        return;
      }
      kid = *generated;
    } else {
      kid = (*keys)->Active()->kid;
    }
    for (const auto& k : (*keys)->Keys()) {
      if (k.kid == kid) {
        std::cout << kid << " " << attest::SigningAlgName(k.alg) << " "
                  << attest::KeyStateName(k.state) << "\n";
      }
    }
  });

  // activate (offline rotation of private key-set copies; vouchd stopped or
  // restarted after)
  CLI::App* activate = attest->add_subcommand(
      "activate", "make a published (next) key the signing key; the active one retires");
  auto activate_dir = std::make_shared<std::string>();
  auto activate_kid = std::make_shared<std::string>();
  activate->add_option("--key-dir", *activate_dir, "key directory")->required();
  activate->add_option("KID", *activate_kid, "the next key's kid")->required();
  activate->callback([activate_dir, activate_kid, &exit_code] {
    if (!std::ifstream(*activate_dir + "/keys.json").good()) {
      exit_code = Fail(absl::NotFoundError("no key set in " + *activate_dir));
      return;
    }
    auto keys = attest::KeySet::LoadOrCreate(*activate_dir, attest::SigningAlg::kES256);
    if (!keys.ok()) {
      exit_code = Fail(keys.status());
      return;
    }
    if (absl::Status s = (*keys)->Activate(*activate_kid, std::time(nullptr)); !s.ok()) {
      exit_code = Fail(s);
      return;
    }
    std::cout << *activate_kid << " active\n";
  });

  // jwks
  CLI::App* jwks = attest->add_subcommand("jwks", "print the public JWKS");
  auto jwks_dir = std::make_shared<std::string>();
  jwks->add_option("--key-dir", *jwks_dir, "key directory")->required();
  jwks->callback([jwks_dir, &exit_code] {
    if (!std::ifstream(*jwks_dir + "/keys.json").good()) {
      exit_code = Fail(absl::NotFoundError("no key set in " + *jwks_dir + " (run attest keygen)"));
      return;
    }
    auto keys = attest::KeySet::LoadOrCreate(*jwks_dir, attest::SigningAlg::kES256);
    if (!keys.ok()) {
      exit_code = Fail(keys.status());
      return;
    }
    std::cout << (*keys)->JwksJson() << "\n";
  });

  // issue
  CLI::App* issue = attest->add_subcommand("issue", "issue an SD-JWT VC");
  auto issue_args = std::make_shared<IssueArgs>();
  issue->add_option("--key-dir", issue_args->key_dir, "key directory")->required();
  issue->add_option("--claims", issue_args->claims, "CLAIMS.json")->required();
  auto* aud_opt = issue->add_option("--aud", issue_args->aud, "direct mode: the relying service");
  auto* holder_opt = issue->add_option("--holder-jwk", issue_args->holder_jwk,
                                       "wallet mode: holder public JWK file");
  aud_opt->excludes(holder_opt);
  auto* lifetime_opt =
      issue->add_option("--lifetime", issue_args->lifetime, "seconds")->check(CLI::PositiveNumber);
  issue->add_option("--issuer", issue_args->issuer, "iss (https URL)");
  issue->callback([issue_args, aud_opt, holder_opt, lifetime_opt, &exit_code] {
    exit_code = RunIssue(*issue_args, static_cast<bool>(*aud_opt), static_cast<bool>(*holder_opt),
                         static_cast<bool>(*lifetime_opt));
  });

  // present
  CLI::App* present = attest->add_subcommand(
      "present", "keep chosen disclosures; sign a KB-JWT with the holder key");
  struct PresentArgs {
    std::string token, disclose, holder_key, aud, nonce;
  };
  auto pargs = std::make_shared<PresentArgs>();
  present->add_option("--token", pargs->token, "credential file, - for stdin")->required();
  present->add_option("--disclose", pargs->disclose, "PATH[,PATH...]")->required();
  auto* hk =
      present->add_option("--holder-key", pargs->holder_key, "holder private key (PKCS#8 PEM)");
  auto* paud = present->add_option("--aud", pargs->aud, "KB-JWT audience");
  auto* pnonce = present->add_option("--nonce", pargs->nonce, "KB-JWT nonce");
  hk->needs(paud)->needs(pnonce);
  present->callback([pargs, hk, &exit_code] {
    auto token = ReadInput(pargs->token);
    if (!token.ok()) {
      exit_code = Fail(token.status());
      return;
    }
    attest::PresentOptions options;
    for (absl::string_view p : absl::StrSplit(pargs->disclose, ',', absl::SkipEmpty())) {
      options.disclose.emplace_back(p);
    }
    if (*hk) {
      auto pem = ReadInput(pargs->holder_key);
      if (!pem.ok()) {
        exit_code = Fail(pem.status());
        return;
      }
      options.holder_key_pem = *pem;
      options.audience = pargs->aud;
      options.nonce = pargs->nonce;
    }
    auto presented = attest::Present(*token, options);
    if (!presented.ok()) {
      std::cerr << "error: " << presented.error().ToString() << "\n";
      exit_code = 1;
      return;
    }
    std::cout << *presented << "\n";
  });
}

}  // namespace vouch::verifier::cli
