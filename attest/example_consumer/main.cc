// Example relying service: verifies a vouch attestation offline with the
// installed vouch::attest_verify library and prints one disclosed claim.
//
//   verify_attestation JWKS_FILE TOKEN_FILE AUDIENCE

#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "attest/verify.h"

namespace {
std::string Slurp(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: verify_attestation JWKS_FILE TOKEN_FILE AUDIENCE\n";
    return 2;
  }
  auto jwks = vouch::attest::Jwks::Parse(Slurp(argv[1]));
  if (!jwks.ok()) {
    std::cerr << jwks.error().ToString() << "\n";
    return 2;
  }
  vouch::attest::VerifyOptions options;
  options.audience = argv[3];
  auto verified = vouch::attest::VerifySdJwtVc(Slurp(argv[2]), *jwks, options);
  if (!verified.ok()) {
    std::cerr << "invalid: " << verified.error().ToString() << "\n";
    return 1;
  }
  std::cout << std::boolalpha
            << "age_equal_or_over.18=" << verified->claims["age_equal_or_over"].value("18", false)
            << "\n";
  return 0;
}
