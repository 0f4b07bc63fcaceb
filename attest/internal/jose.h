#ifndef VOUCH_ATTEST_INTERNAL_JOSE_H_
#define VOUCH_ATTEST_INTERNAL_JOSE_H_

// JOSE building blocks shared by the signer and the verifier: strict
// base64url (OpenSSL's base64), strict JSON (simdjson's parser, nlohmann's
// DOM), SHA-256,
// JWK <-> EVP_PKEY, JWS sign/verify with raw R||S for ES256, and bounded zlib
// inflate. Private to attest.

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "attest/result.h"
#include "base/openssl_ptr.h"
#include "nlohmann/json.hpp"

namespace vouch::attest::internal {

using ::vouch::EvpMdCtxPtr;
using ::vouch::EvpPkeyPtr;

// An Error with `code` and `message`: the one constructor the verifier's files share.
inline Error Err(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

// Limits on hostile input.
inline constexpr size_t kMaxTokenBytes = 1 << 20;  // Whole token.
inline constexpr size_t kMaxDisclosures = 1024;
inline constexpr int kMaxJsonDepth = 32;

// base64url without padding (RFC 7515 §2).
std::string Base64UrlEncode(std::string_view bytes);
// Appends base64url(bytes) to *out.
void Base64UrlAppend(std::string_view bytes, std::string* out);
// Strict: only [A-Za-z0-9_-], no '=', no whitespace, length % 4 != 1, and
// unused trailing bits zero (canonical). False on any violation.
bool Base64UrlDecode(std::string_view text, std::string* out);

// Parses JSON (RFC 8259, valid UTF-8: simdjson's parser) into nlohmann's
// DOM, refusing duplicate member names, nesting deeper than kMaxJsonDepth and
// integers beyond 64 bits. Never throws.
Result<nlohmann::json> ParseJsonStrict(std::string_view text);

// Serializes compactly; invalid UTF-8 is replaced, never thrown.
std::string DumpJson(const nlohmann::json& value);
// Serializes compactly; false if a string in `value` is not valid UTF-8
// (nlohmann's strict serializer is the check). Never throws.
bool DumpJsonStrict(const nlohmann::json& value, std::string* out);

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
  // Characters of base64url(SHA-256(...)).
  static constexpr size_t kB64Size = 43;

  Sha256Hasher();
  std::string B64(std::string_view text);
  // The same into `out` (exactly kB64Size characters, no NUL); no heap use.
  void B64(std::string_view text, char* out);

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
bool VerifyRaw(EVP_PKEY* pkey, std::string_view input, std::string_view signature);

// A key whose EVP signing or verification context is set up once:
// EVP_DigestSignInit/EVP_DigestVerifyInit fetch the signature algorithm and
// export the key to its provider on every call (about a sixth of an ES256
// signature). Ed25519: each operation copies the prepared EVP_MD_CTX
// (EVP_MD_CTX_copy_ex) and calls EVP_DigestSign/EVP_DigestVerify. ES256:
// SHA-256 of the input (EVP_Digest, pre-fetched SHA-256), then
// EVP_PKEY_sign/EVP_PKEY_verify on an EVP_PKEY_CTX initialised once and
// reused (a small pool, one context per concurrent caller), as
// `openssl speed` does. Thread-safe; immutable after Create.
class PreparedKey {
 public:
  enum class Use { kSign, kVerify };
  // Takes a reference on `pkey` (P-256 or Ed25519; a private key for kSign).
  // Errors: kInvalidArgument (unsupported key), kInternal.
  static Result<PreparedKey> Create(EVP_PKEY* pkey, Use use);

  PreparedKey(PreparedKey&&) noexcept;
  PreparedKey& operator=(PreparedKey&&) noexcept;
  ~PreparedKey();

  KeyType type() const { return type_; }
  EVP_PKEY* pkey() const { return pkey_.get(); }

  // JWS signature over `input`: ES256 -> raw R||S, Ed25519 -> 64 bytes.
  // Only for Use::kSign.
  Result<std::string> Sign(std::string_view input) const;
  // Verifies a raw JWS signature; any length other than 64 fails. Only for
  // Use::kVerify.
  bool Verify(std::string_view input, std::string_view signature) const;

 private:
  struct Pool;
  PreparedKey() = default;
  EvpMdCtxPtr Copy() const;

  KeyType type_ = KeyType::kUnsupported;
  Use use_ = Use::kVerify;
  EvpPkeyPtr pkey_;
  EvpMdCtxPtr prepared_;  // Ed25519.
  // Guards copying from prepared_ (OpenSSL does not document concurrent
  // EVP_MD_CTX_copy_ex from one source as safe) and the ES256 pool.
  std::unique_ptr<std::mutex> mu_;
  std::unique_ptr<Pool> pool_;  // ES256: initialised EVP_PKEY_CTXs.
};

// b64(header).b64(payload).b64(sig).
Result<std::string> SignCompactJws(EVP_PKEY* pkey, const nlohmann::json& header,
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
