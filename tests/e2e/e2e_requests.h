#ifndef VOUCH_TESTS_E2E_E2E_REQUESTS_H_
#define VOUCH_TESTS_E2E_E2E_REQUESTS_H_

// Building VerifyRequests for end-to-end tests: the public half of the
// Passport key vouchd generated, and a sealed Passport as a request.

#include <string>

#include "absl/status/statusor.h"
#include "passport/decrypt.h"
#include "passport/seal.h"
#include "testing/cli_run.h"
#include "vouch/v1/verification.pb.h"

namespace vouch::testing {

// The public key of the Passport private key in PEM file `private_pem_path`
// (vouchd writes its own to <data dir>/keys/passport_rsa.pem). Errors: those
// of PassportDecryptor::FromPem (also for a missing file, read as empty).
inline absl::StatusOr<passport::PassportPublicKey> PassportPublicKeyOf(
    const std::string& private_pem_path) {
  absl::StatusOr<passport::PassportDecryptor> decryptor =
      passport::PassportDecryptor::FromPem(ReadFileOrEmpty(private_pem_path));
  if (!decryptor.ok()) return decryptor.status();
  absl::StatusOr<std::string> public_pem = decryptor->PublicKeyPem();
  if (!public_pem.ok()) return public_pem.status();
  return passport::PassportPublicKey::FromPem(*public_pem);
}

// A request carrying `sealed` (its PassportData JSON and every encrypted
// file by id) with the `nonce` it was sealed with. Callers add the user id,
// relying service and attestation they need.
inline v1::VerifyRequest VerifyRequestFor(const passport::SealedPassport& sealed,
                                          const std::string& nonce) {
  v1::VerifyRequest r;
  r.set_passport_data_json(sealed.passport_data_json);
  for (const auto& [id, bytes] : sealed.encrypted_files_by_file_id) {
    v1::EncryptedFile* f = r.add_files();
    f->set_file_id(id);
    f->set_content(bytes);
  }
  r.set_nonce(nonce);
  return r;
}

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_E2E_E2E_REQUESTS_H_
