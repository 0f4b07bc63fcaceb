#include "auth/authenticator.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/server_context.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/openssl_ptr.h"

namespace vouch::verifier::auth {
namespace {

constexpr size_t kMaxTokenBytes = 512;
constexpr size_t kMaxCertBytes = 64 << 10;

// A stack of certificates, each freed with it.
void FreeCertStack(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
using X509Ptr = OpenSslPtr<X509, X509_free>;

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("authentication failed: ", why));
}

// Every certificate in `pem`, in order.
std::vector<X509Ptr> ReadCertificates(absl::string_view pem) {
  std::vector<X509Ptr> out;
  if (pem.empty() || pem.size() > kMaxCertBytes) return out;
  OpenSslPtr<BIO, BIO_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return out;
  while (out.size() < 16) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) break;
    out.push_back(std::move(cert));
  }
  return out;
}

// The subject CNs and the DNS, URI and email subjectAltNames.
std::vector<std::string> CertificateNames(X509* cert) {
  std::vector<std::string> names;
  X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, data);
    if (n > 0) names.emplace_back(reinterpret_cast<const char*>(utf8), n);
    OPENSSL_free(utf8);
  }
  OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free> sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans.get()) && i < 64; ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans.get(), i);
      const ASN1_IA5STRING* s = nullptr;
      if (name->type == GEN_DNS) s = name->d.dNSName;
      if (name->type == GEN_URI) s = name->d.uniformResourceIdentifier;
      if (name->type == GEN_EMAIL) s = name->d.rfc822Name;
      if (s != nullptr) {
        names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                           static_cast<size_t>(ASN1_STRING_length(s)));
      }
    }
  }
  return names;
}

}  // namespace

struct ConfigAuthenticator::CaStore {
  OpenSslPtr<X509_STORE, X509_STORE_free> store;
};

ConfigAuthenticator::ConfigAuthenticator(std::shared_ptr<const AuthConfig> config,
                                         std::unique_ptr<CaStore> ca)
    : ca_(std::move(ca)), config_(std::move(config)) {}

ConfigAuthenticator::~ConfigAuthenticator() = default;

absl::StatusOr<std::unique_ptr<ConfigAuthenticator>> ConfigAuthenticator::Create(
    AuthConfig config, const std::string& client_ca_file) {
  std::unique_ptr<CaStore> ca;
  if (!client_ca_file.empty()) {
    ca = std::make_unique<CaStore>();
    ca->store.reset(X509_STORE_new());
    if (ca->store == nullptr ||
        X509_STORE_load_file(ca->store.get(), client_ca_file.c_str()) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot load the client CA file ", client_ca_file));
    }
  }
  return std::unique_ptr<ConfigAuthenticator>(new ConfigAuthenticator(
      std::make_shared<const AuthConfig>(std::move(config)), std::move(ca)));
}

std::shared_ptr<const AuthConfig> ConfigAuthenticator::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return config_;
}

void ConfigAuthenticator::Reload(AuthConfig config) {
  auto next = std::make_shared<const AuthConfig>(std::move(config));
  absl::MutexLock lock(&mu_);
  config_ = std::move(next);
}

std::string ConfigAuthenticator::PassportKeyFor(absl::string_view service_id) const {
  std::shared_ptr<const AuthConfig> config = Snapshot();
  for (const AuthEntry& e : config->entries) {
    if (e.principal.kind == PrincipalKind::kService && e.principal.id == service_id) {
      return e.passport_key;
    }
  }
  return "";
}

absl::StatusOr<Principal> ConfigAuthenticator::Authenticate(
    const grpc::ServerContextBase& context) const {
  std::optional<absl::string_view> authorization;
  const auto& metadata = context.client_metadata();
  auto [begin, end] = metadata.equal_range("authorization");
  for (auto it = begin; it != end; ++it) {
    if (authorization.has_value()) return Unauthenticated("more than one authorization header");
    authorization = absl::string_view(it->second.data(), it->second.size());
  }
  std::string cert, chain;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  // Client certificates are requested without gRPC verifying them (so the
  // peer counts as unauthenticated to gRPC); the certificate is still here.
  if (auth != nullptr) {
    for (const grpc::string_ref& v : auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME)) {
      cert.assign(v.data(), v.size());
    }
    for (const grpc::string_ref& v :
         auth->FindPropertyValues(GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME)) {
      chain.assign(v.data(), v.size());
    }
  }
  return AuthenticateCredentials(authorization, cert, chain, absl::Now());
}

absl::StatusOr<Principal> ConfigAuthenticator::AuthenticateCredentials(
    std::optional<absl::string_view> authorization, absl::string_view peer_cert_pem,
    absl::string_view peer_chain_pem, absl::Time now) const {
  std::shared_ptr<const AuthConfig> config = Snapshot();
  if (authorization.has_value()) {
    absl::string_view value = absl::StripAsciiWhitespace(*authorization);
    if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) {
      return Unauthenticated("the authorization header must be \"Bearer TOKEN\"");
    }
    const absl::string_view token = absl::StripLeadingAsciiWhitespace(value.substr(7));
    if (token.empty() || token.size() > kMaxTokenBytes) return Unauthenticated("invalid token");
    const std::string digest = absl::HexStringToBytes(TokenSha256Hex(token));
    // Compare with every hash, without stopping at a match.
    const AuthEntry* found = nullptr;
    const TokenEntry* found_token = nullptr;
    for (const AuthEntry& e : config->entries) {
      for (const TokenEntry& t : e.tokens) {
        const bool match = t.sha256.size() == digest.size() &&
                           CRYPTO_memcmp(t.sha256.data(), digest.data(), digest.size()) == 0;
        if (match) {
          found = &e;
          found_token = &t;
        }
      }
    }
    if (found == nullptr) return Unauthenticated("unknown or revoked token");
    if (found->disabled) return Unauthenticated("the principal is disabled");
    if (found_token->expires.has_value() && now >= *found_token->expires) {
      return Unauthenticated("the token has expired");
    }
    return found->principal;
  }
  if (peer_cert_pem.empty()) {
    return Unauthenticated("no credentials (a bearer token or a client certificate)");
  }
  if (ca_ == nullptr) {
    return Unauthenticated("client certificates are not accepted (no client CA configured)");
  }
  std::vector<X509Ptr> leaf = ReadCertificates(peer_cert_pem);
  if (leaf.empty()) return Unauthenticated("unreadable client certificate");
  OpenSslPtr<STACK_OF(X509), FreeCertStack> untrusted(sk_X509_new_null());
  if (untrusted == nullptr) return absl::ResourceExhaustedError("out of memory");
  for (X509Ptr& c : ReadCertificates(peer_chain_pem)) {
    if (X509_cmp(c.get(), leaf[0].get()) == 0) continue;
    if (sk_X509_push(untrusted.get(), c.get()) > 0) c.release();
  }
  OpenSslPtr<X509_STORE_CTX, X509_STORE_CTX_free> ctx(X509_STORE_CTX_new());
  if (ctx == nullptr ||
      X509_STORE_CTX_init(ctx.get(), ca_->store.get(), leaf[0].get(), untrusted.get()) != 1) {
    return absl::ResourceExhaustedError("cannot verify the client certificate");
  }
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), absl::ToTimeT(now));
  if (X509_verify_cert(ctx.get()) != 1) {
    return Unauthenticated(
        absl::StrCat("client certificate not accepted: ",
                     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()))));
  }
  const AuthEntry* found = nullptr;
  for (const std::string& name : CertificateNames(leaf[0].get())) {
    for (const AuthEntry& e : config->entries) {
      for (const std::string& configured : e.certificate_names) {
        if (configured != name) continue;
        if (found != nullptr && found != &e) {
          return Unauthenticated("the client certificate names more than one principal");
        }
        found = &e;
      }
    }
  }
  if (found == nullptr) return Unauthenticated("the client certificate names no principal");
  if (found->disabled) return Unauthenticated("the principal is disabled");
  return found->principal;
}

}  // namespace vouch::verifier::auth
