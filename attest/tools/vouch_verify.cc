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

// Tokens are often saved with a trailing newline; nothing else is trimmed.
void TrimTrailingNewlines(std::string* s) {
  while (!s->empty() && (s->back() == '\n' || s->back() == '\r')) s->pop_back();
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
  std::string jwks_text, token, status_text;
  if (!ReadInput(jwks_path, &jwks_text)) {
    std::cerr << "error: cannot read JWKS " << jwks_path << "\n";
    return 2;
  }
  if (*receipt_opt) {  // #17: an erasure receipt.
    std::string receipt;
    if (!ReadInput(receipt_path, &receipt)) {
      std::cerr << "error: cannot read receipt " << receipt_path << "\n";
      return 2;
    }
    TrimTrailingNewlines(&receipt);
    auto jwks = vouch::attest::Jwks::Parse(jwks_text);
    if (!jwks.ok()) {
      std::cerr << "error: unusable JWKS: " << jwks.error().ToString() << "\n";
      return 2;
    }
    vouch::attest::VerifyOptions options;
    if (*now_opt) options.now = now;
    auto verified = vouch::attest::VerifyErasureReceipt(receipt, *jwks, options);
    if (!verified.ok()) {
      std::cerr << "invalid: " << verified.error().ToString() << "\n";
      return 1;
    }
    std::cout << verified->claims.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
    return 0;
  }
  if (!ReadInput(token_path, &token)) {
    std::cerr << "error: cannot read token " << token_path << "\n";
    return 2;
  }
  TrimTrailingNewlines(&token);
  vouch::attest::VerifyOptions options;
  if (*status_opt) {
    if (!ReadInput(status_path, &status_text)) {
      std::cerr << "error: cannot read status list " << status_path << "\n";
      return 2;
    }
    TrimTrailingNewlines(&status_text);
    options.status_list_token = status_text;
  }
  auto jwks = vouch::attest::Jwks::Parse(jwks_text);
  if (!jwks.ok()) {
    std::cerr << "error: unusable JWKS: " << jwks.error().ToString() << "\n";
    return 2;
  }
  if (*aud_opt) options.audience = aud;
  if (*nonce_opt) options.nonce = nonce;
  if (*now_opt) options.now = now;
  options.require_key_binding = require_kb;

  auto verified = vouch::attest::VerifySdJwtVc(token, *jwks, options);
  if (!verified.ok()) {
    std::cerr << "invalid: " << verified.error().ToString() << "\n";
    return 1;
  }
  std::cout << verified->claims.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n";
  return 0;
}
