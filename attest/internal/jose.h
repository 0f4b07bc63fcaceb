#ifndef VOUCH_ATTEST_INTERNAL_JOSE_H_
#define VOUCH_ATTEST_INTERNAL_JOSE_H_

// JOSE building blocks shared by the signer and the verifier: strict
// base64url, strict JSON, SHA-256, JWK <-> EVP_PKEY, JWS sign/verify with raw
// R||S for ES256, and a bounded zlib inflater. Private to attest.

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "attest/result.h"
#include "nlohmann/json.hpp"

namespace vouch::attest::internal {

template <auto kFree>
struct OpenSslDeleter {
  template <typename T>
  void operator()(T* ptr) const {
    kFree(ptr);
  }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using EvpMdCtxPtr =
    std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX_free>>;

// Limits on hostile input.
inline constexpr size_t kMaxTokenBytes = 1 << 20;        // Whole token.
inline constexpr size_t kMaxDisclosures = 1024;
inline constexpr int kMaxJsonDepth = 32;

// base64url without padding (RFC 7515 §2).
std::string Base64UrlEncode(std::string_view bytes);
// Strict: only [A-Za-z0-9_-], no '=', no whitespace, length % 4 != 1, and
// unused trailing bits zero (canonical). False on any violation.
bool Base64UrlDecode(std::string_view text, std::string* out);

// Parses JSON, refusing duplicate member names, nesting deeper than
// kMaxJsonDepth and invalid UTF-8. Never throws.
Result<nlohmann::json> ParseJsonStrict(std::string_view text);
// Strict UTF-8 (RFC 3629): no overlong forms, surrogates or > U+10FFFF.
bool IsValidUtf8(std::string_view s);

// Parses the JSON string literal starting at text[*pos] (which must be '"'),
// strictly as RFC 8259 does (escapes, surrogate pairs, no control
// characters, valid UTF-8), and advances *pos past it. False otherwise.
bool ParseJsonStringAt(std::string_view text, size_t* pos, std::string* out);

// Serializes compactly; invalid UTF-8 is replaced, never thrown.
std::string DumpJson(const nlohmann::json& value);

// The SHA-256 EVP_MD, fetched once.
const EVP_MD* Sha256Md();
// SHA-256 of `data` (raw 32 bytes).
std::string Sha256(std::string_view data);
// base64url(SHA-256(ascii(text))): disclosure digests and sd_hash.
std::string Sha256B64(std::string_view text);

// The same, reusing one digest context across calls (saves two allocations
// per digest when hashing many disclosures). Not thread-safe; one per call
// site and thread.
class Sha256Hasher {
 public:
  Sha256Hasher();
  std::string B64(std::string_view text);

 private:
  EvpMdCtxPtr ctx_;
};

// Key type of an algorithm.
enum class KeyType { kP256, kEd25519, kUnsupported };
// "ES256" -> kP256; "EdDSA"/"Ed25519" -> kEd25519; everything else (none,
// HS*, RS*...) -> kUnsupported.
KeyType KeyTypeForAlg(std::string_view alg);
KeyType KeyTypeOf(EVP_PKEY* pkey);

// A public key from a JWK (EC P-256 with 32-byte x and y on the curve, or
// OKP Ed25519 with 32-byte x). Refuses a JWK with "d".
Result<EvpPkeyPtr> PublicKeyFromJwk(const nlohmann::json& jwk);
// The public JWK members of `pkey` (kty, crv, x[, y]) in RFC 7638 order.
Result<nlohmann::json> PublicJwk(EVP_PKEY* pkey);
// RFC 7638 thumbprint (SHA-256, base64url) of a public JWK.
Result<std::string> JwkThumbprint(const nlohmann::json& jwk);

// PKCS#8 PEM private key (P-256 or Ed25519).
Result<EvpPkeyPtr> PrivateKeyFromPem(std::string_view pem);
Result<EvpPkeyPtr> GenerateKey(KeyType type);
// Unencrypted PKCS#8 PEM.
Result<std::string> PrivateKeyToPem(EVP_PKEY* pkey);

// JWS signature over `input`: ES256 -> raw R||S (64 bytes), Ed25519 -> 64.
Result<std::string> SignRaw(EVP_PKEY* pkey, std::string_view input);
// Verifies a raw JWS signature; any length other than 64 fails.
bool VerifyRaw(EVP_PKEY* pkey, std::string_view input,
               std::string_view signature);

// b64(header).b64(payload).b64(sig).
Result<std::string> SignCompactJws(EVP_PKEY* pkey,
                                   const nlohmann::json& header,
                                   const nlohmann::json& payload);

// A JWS split into its parts, with header and payload decoded and parsed.
struct DecodedJws {
  std::string signing_input;  // b64(header).b64(payload)
  nlohmann::json header;
  nlohmann::json payload;
  std::string signature;  // Raw.
};
// Errors: kMalformed.
Result<DecodedJws> DecodeCompactJws(std::string_view jws);

// zlib (RFC 1950) inflate of `data`, refusing output over `max_output`.
// Errors: kMalformed.
Result<std::string> ZlibInflate(std::string_view data, size_t max_output);

// The system clock in Unix seconds.
int64_t NowUnix();

}  // namespace vouch::attest::internal

#endif  // VOUCH_ATTEST_INTERNAL_JOSE_H_
