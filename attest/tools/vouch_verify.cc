// vouch-verify: checks a vouch attestation (SD-JWT VC, or an SD-JWT+KB
// presentation) offline against a JWKS and prints the disclosed claims.
//
//   vouch-verify --jwks JWKS.json --token FILE|- [--aud X] [--nonce N]
//                [--require-kb] [--status-list FILE] [--now UNIX_SECONDS]
//   vouch-verify --jwks JWKS.json --receipt FILE|- [--now UNIX_SECONDS]
//
// --receipt checks an erasure receipt (Admin.Erase, `vouchctl erase`; typ
// vouch-erasure-receipt+jwt, docs/erasure.md) instead, and prints what it
// states (its claims as JSON).
//
// Exit codes: 0 valid (claims as JSON on stdout); 1 invalid ("invalid:
// reason" on stderr); 2 usage error (bad flags, unreadable file, unusable
// JWKS such as one holding a private key).

#include <openssl/crypto.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "CLI/CLI.hpp"
#include "attest/verify.h"
#include "base/build_info.h"
#include "nlohmann/json.hpp"
#include "simdjson.h"

namespace {

constexpr size_t kMaxInputBytes = 4 << 20;

bool ReadInput(const std::string& path, std::string* out) {
  std::istream* in = &std::cin;
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return false;
    in = &file;
  }
  out->clear();
  char buf[8192];
  while (in->read(buf, sizeof(buf)) || in->gcount() > 0) {
    out->append(buf, static_cast<size_t>(in->gcount()));
    if (out->size() > kMaxInputBytes) return false;
  }
  return true;
}

// Reads a token-like input (a credential, a receipt, a status list): they
// are often saved with a trailing newline, which is dropped (nothing else is
// trimmed). Says which input it could not read.
bool ReadToken(const std::string& path, const char* what, std::string* out) {
  if (!ReadInput(path, out)) {
    std::cerr << "error: cannot read " << what << " " << path << "\n";
    return false;
  }
  while (!out->empty() && (out->back() == '\n' || out->back() == '\r')) out->pop_back();
  return true;
}

// The exit code of a check, with its claims as JSON on stdout (0) or the
// reason on stderr (1).
template <typename Verified>
int Report(const Verified& verified) {
  if (!verified.ok()) {
    std::cerr << "invalid: " << verified.error().ToString() << "\n";
    return 1;
  }
  std::cout << verified->claims.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vouch-verify: offline check of a vouch attestation"};
  app.set_version_flag("--version", [] {
    return vouch::VersionText(
        "vouch-verify", {{"OpenSSL", OpenSSL_version(OPENSSL_VERSION_STRING)},
                         {"simdjson", std::to_string(simdjson::SIMDJSON_VERSION_MAJOR) + "." +
                                          std::to_string(simdjson::SIMDJSON_VERSION_MINOR) + "." +
                                          std::to_string(simdjson::SIMDJSON_VERSION_REVISION)},
                         {"nlohmann_json", std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
                                               std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." +
                                               std::to_string(NLOHMANN_JSON_VERSION_PATCH)}});
  });
  std::string jwks_path, token_path, receipt_path, status_path, aud, nonce;
  int64_t now = 0;
  bool require_kb = false;
  app.add_option("--jwks", jwks_path, "JWKS of the issuer (JSON file)")->required();
  auto* token_opt =
      app.add_option("--token", token_path, "credential or presentation file, - for stdin");
  auto* receipt_opt = app.add_option("--receipt", receipt_path,
                                     "erasure receipt file (vouchctl erase), - for stdin");
  token_opt->excludes(receipt_opt);
  receipt_opt->excludes(token_opt);
  auto* aud_opt = app.add_option("--aud", aud, "expected audience (this service)");
  auto* nonce_opt = app.add_option("--nonce", nonce, "expected KB-JWT nonce");
  app.add_flag("--require-kb", require_kb, "refuse credentials without a KB-JWT");
  auto* status_opt = app.add_option("--status-list", status_path, "statuslist+jwt file");
  auto* now_opt = app.add_option("--now", now, "verification time, Unix seconds");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (!*token_opt && !*receipt_opt) {
    std::cerr << "error: give --token or --receipt\n";
    return 2;
  }
  std::string jwks_text;
  if (!ReadInput(jwks_path, &jwks_text)) {
    std::cerr << "error: cannot read JWKS " << jwks_path << "\n";
    return 2;
  }
  vouch::attest::VerifyOptions options;
  if (*now_opt) options.now = now;
  std::string token, status_text;
  if (*receipt_opt) {  // An erasure receipt.
    if (!ReadToken(receipt_path, "receipt", &token)) return 2;
  } else {
    if (!ReadToken(token_path, "token", &token)) return 2;
    if (*status_opt) {
      if (!ReadToken(status_path, "status list", &status_text)) return 2;
      options.status_list_token = status_text;
    }
    if (*aud_opt) options.audience = aud;
    if (*nonce_opt) options.nonce = nonce;
    options.require_key_binding = require_kb;
  }
  auto jwks = vouch::attest::Jwks::Parse(jwks_text);
  if (!jwks.ok()) {
    std::cerr << "error: unusable JWKS: " << jwks.error().ToString() << "\n";
    return 2;
  }
  if (*receipt_opt) return Report(vouch::attest::VerifyErasureReceipt(token, *jwks, options));
  return Report(vouch::attest::VerifySdJwtVc(token, *jwks, options));
}
