// Base64 and the symmetric half of telegram-passport.md §5.1 / §5.5.

#include "internal/crypto.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/openssl_ptr.h"
#include "base/status_macros.h"
#include "passport/decrypt.h"
#include "passport/errors.h"
#include "passport/seal.h"

namespace vouch::passport {
namespace internal {

const EVP_MD* Sha1() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return md;
}
const EVP_MD* Sha256() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}
const EVP_MD* Sha512() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  return md;
}
const EVP_CIPHER* Aes256Cbc() {
  static const EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  return cipher;
}

void RandomBytesOrDie(void* out, size_t size) {
  if (size > 0 && RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(size)) != 1) {
    std::abort();
  }
}

bool SecretChecksumOk(absl::string_view secret) {
  unsigned sum = 0;
  for (unsigned char c : secret) sum += c;
  return sum % 255 == 239;
}

std::string Sha256Of(absl::string_view data) {
  std::string out(kHashSize, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 Sha256(), nullptr) != 1) {
    // Only on allocation failure; fail closed with a value nothing matches.
    std::fill(out.begin(), out.end(), '\xff');
  }
  return out;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  const std::string ha = Sha256Of(a);
  const std::string hb = Sha256Of(b);
  return CRYPTO_memcmp(ha.data(), hb.data(), kHashSize) == 0;
}

}  // namespace internal

namespace {

using internal::kHashSize;
using internal::kSecretSize;

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// key = SHA512(secret || hash)[0:32], iv = [32:48] (§5.1).
struct KeyIv {
  std::array<unsigned char, 64> digest{};
  ~KeyIv() { OPENSSL_cleanse(digest.data(), digest.size()); }
  const unsigned char* key() const { return digest.data(); }
  const unsigned char* iv() const { return digest.data() + 32; }
};

bool DeriveKeyIv(absl::string_view secret, absl::string_view hash, KeyIv& out) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned int len = 0;
  return ctx != nullptr && EVP_DigestInit_ex2(ctx.get(), internal::Sha512(), nullptr) == 1 &&
         EVP_DigestUpdate(ctx.get(), secret.data(), secret.size()) == 1 &&
         EVP_DigestUpdate(ctx.get(), hash.data(), hash.size()) == 1 &&
         EVP_DigestFinal_ex(ctx.get(), out.digest.data(), &len) == 1 && len == 64;
}

absl::Status Internal(absl::string_view what) {
  ERR_clear_error();
  return PassportError(ErrorCategory::kInternal, absl::StrCat(what, ": OpenSSL failure"));
}

}  // namespace

absl::StatusOr<std::string> DecodeBase64Strict(absl::string_view text, absl::string_view what) {
  auto bad = [&] {
    return PassportError(ErrorCategory::kBase64,
                         absl::StrCat(what, ": not strict standard base64"));
  };
  if (text.size() % 4 != 0 || text.size() > INT_MAX / 2) return bad();
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  if (pad == 1 && text.back() != '=') return bad();
  for (size_t i = 0; i < text.size() - pad; ++i) {
    if (!IsBase64Char(text[i])) return bad();
  }
  std::string out(text.size() / 4 * 3, '\0');
  if (text.empty()) return out;
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return bad();
  out.resize(out.size() - pad);
  // Canonical form only: re-encoding must give the input back, which rejects
  // non-zero trailing bits ("QQ==" vs "QR==").
  if (EncodeBase64(out) != text) {
    OPENSSL_cleanse(out.data(), out.size());
    return bad();
  }
  return out;
}

std::string EncodeBase64(absl::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

absl::StatusOr<DecryptedValue> DecryptValue(absl::string_view secret, absl::string_view hash,
                                            absl::string_view ciphertext, size_t max_bytes,
                                            absl::string_view what) {
  if (hash.size() != kHashSize) {
    return PassportError(ErrorCategory::kHashLength, absl::StrCat(what, ": hash is not 32 bytes"));
  }
  if (ciphertext.empty() || ciphertext.size() % 16 != 0) {
    return PassportError(ErrorCategory::kLength,
                         absl::StrCat(what,
                                      ": ciphertext is empty or not a multiple of 16 "
                                      "bytes (",
                                      ciphertext.size(), ")"));
  }
  if (ciphertext.size() > max_bytes || ciphertext.size() > INT_MAX) {
    return PassportError(
        ErrorCategory::kLimit,
        absl::StrCat(what, ": ciphertext of ", ciphertext.size(), " bytes exceeds ", max_bytes));
  }
  if (secret.size() != kSecretSize) {
    return PassportError(ErrorCategory::kSecretLength,
                         absl::StrCat(what, ": secret is not 32 bytes"));
  }

  KeyIv key_iv;
  if (!DeriveKeyIv(secret, hash, key_iv)) return Internal(what);
  EvpCipherCtxPtr cipher(EVP_CIPHER_CTX_new());
  EvpMdCtxPtr sha(EVP_MD_CTX_new());
  if (cipher == nullptr || sha == nullptr ||
      EVP_DecryptInit_ex2(cipher.get(), internal::Aes256Cbc(), key_iv.key(), key_iv.iv(),
                          nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(cipher.get(), 0) != 1 ||
      EVP_DigestInit_ex2(sha.get(), internal::Sha256(), nullptr) != 1) {
    return Internal(what);
  }

  DecryptedValue result;
  result.plaintext = SecureBytes(ciphertext.size());
  uint8_t* out = result.plaintext.data();
  const auto* in = reinterpret_cast<const uint8_t*>(ciphertext.data());
  // Decrypt and hash in cache-sized chunks so each chunk is hashed while it
  // is still in L1/L2.
  constexpr size_t kChunk = 16 * 1024;
  for (size_t off = 0; off < ciphertext.size(); off += kChunk) {
    const int n = static_cast<int>(std::min(kChunk, ciphertext.size() - off));
    int written = 0;
    if (EVP_DecryptUpdate(cipher.get(), out + off, &written, in + off, n) != 1 || written != n ||
        EVP_DigestUpdate(sha.get(), out + off, static_cast<size_t>(n)) != 1) {
      return Internal(what);
    }
  }
  int tail = 0;
  unsigned char digest[kHashSize];
  unsigned int digest_len = 0;
  if (EVP_DecryptFinal_ex(cipher.get(), out + ciphertext.size(), &tail) != 1 || tail != 0 ||
      EVP_DigestFinal_ex(sha.get(), digest, &digest_len) != 1 || digest_len != kHashSize) {
    return Internal(what);
  }
  // Authenticate the whole padded plaintext before looking at any byte of it
  // (§8: no padding oracle).
  if (CRYPTO_memcmp(digest, hash.data(), kHashSize) != 0) {
    return PassportError(ErrorCategory::kHashMismatch,
                         absl::StrCat(what,
                                      ": SHA-256 of the decrypted data does not match "
                                      "its hash"));
  }
  const size_t padding = result.plaintext[0];
  if (padding < internal::kMinPadding || padding > ciphertext.size()) {
    return PassportError(
        ErrorCategory::kPadding,
        absl::StrCat(what, ": padding length ", padding, " is outside 32..", ciphertext.size()));
  }
  result.plaintext.DropPrefix(padding);
  result.padding_len = static_cast<int>(padding);
  result.secret_checksum_ok = internal::SecretChecksumOk(secret);
  return result;
}

absl::StatusOr<DecryptedValue> DecryptElementDataBase64(absl::string_view data_b64,
                                                        absl::string_view data_hash_b64,
                                                        absl::string_view secret_b64,
                                                        const Limits& limits) {
  if (data_b64.size() > limits.max_value_bytes / 3 * 4 + 4) {
    return PassportError(ErrorCategory::kLimit, "data: too large");
  }
  VOUCH_ASSIGN_OR_RETURN(std::string data, DecodeBase64Strict(data_b64, "data"));
  VOUCH_ASSIGN_OR_RETURN(std::string hash, DecodeBase64Strict(data_hash_b64, "data_hash"));
  VOUCH_ASSIGN_OR_RETURN(std::string secret_text, DecodeBase64Strict(secret_b64, "secret"));
  SecureBytes secret(secret_text);
  OPENSSL_cleanse(secret_text.data(), secret_text.size());
  return DecryptValue(secret.view(), hash, data, limits.max_value_bytes, "data");
}

absl::StatusOr<DecryptedValue> DecryptFileBase64(absl::string_view encrypted,
                                                 absl::string_view file_hash_b64,
                                                 absl::string_view secret_b64,
                                                 const Limits& limits) {
  VOUCH_ASSIGN_OR_RETURN(std::string hash, DecodeBase64Strict(file_hash_b64, "file_hash"));
  VOUCH_ASSIGN_OR_RETURN(std::string secret_text, DecodeBase64Strict(secret_b64, "secret"));
  SecureBytes secret(secret_text);
  OPENSSL_cleanse(secret_text.data(), secret_text.size());
  return DecryptValue(secret.view(), hash, encrypted, limits.max_file_bytes, "file");
}

SecureBytes NewPassportSecret() {
  SecureBytes secret(kSecretSize);
  internal::RandomBytesOrDie(secret.data(), secret.size());
  // Fix the last byte so the byte sum mod 255 is 239 (§5.1, like clients).
  unsigned sum = 0;
  for (size_t i = 0; i + 1 < secret.size(); ++i) sum += secret[i];
  const unsigned last = (239 + 255 - sum % 255) % 255;
  secret[kSecretSize - 1] = static_cast<uint8_t>(last);
  return secret;
}

absl::StatusOr<SealedValue> SealValue(absl::string_view secret, absl::string_view value,
                                      std::optional<int> padding_len) {
  if (secret.size() != kSecretSize) {
    return PassportError(ErrorCategory::kSecretLength, "secret is not 32 bytes");
  }
  size_t padding = 0;
  if (padding_len.has_value()) {
    if (*padding_len < internal::kMinPadding || *padding_len > internal::kMaxPadding ||
        (value.size() + *padding_len) % 16 != 0) {
      return PassportError(ErrorCategory::kPadding,
                           "padding length must be 32..255 and make the total "
                           "a multiple of 16");
    }
    padding = static_cast<size_t>(*padding_len);
  } else {
    // Uniform over the lengths in 32..255 that align the total to 16 bytes.
    const size_t first = 32 + (16 - (value.size() + 32) % 16) % 16;
    const size_t choices = (255 - first) / 16 + 1;
    unsigned char r[2];
    internal::RandomBytesOrDie(r, 2);
    padding = first + 16 * ((r[0] << 8 | r[1]) % choices);
  }
  SecureBytes padded(padding + value.size());
  internal::RandomBytesOrDie(padded.data(), padding);
  padded[0] = static_cast<uint8_t>(padding);
  if (!value.empty()) std::memcpy(padded.data() + padding, value.data(), value.size());

  SealedValue sealed;
  sealed.hash = internal::Sha256Of(padded.view());
  KeyIv key_iv;
  if (!DeriveKeyIv(secret, sealed.hash, key_iv)) return Internal("seal");
  EvpCipherCtxPtr cipher(EVP_CIPHER_CTX_new());
  sealed.ciphertext.resize(padded.size());
  int written = 0;
  int tail = 0;
  if (cipher == nullptr ||
      EVP_EncryptInit_ex2(cipher.get(), internal::Aes256Cbc(), key_iv.key(), key_iv.iv(),
                          nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(cipher.get(), 0) != 1 ||
      EVP_EncryptUpdate(cipher.get(), reinterpret_cast<unsigned char*>(sealed.ciphertext.data()),
                        &written, padded.data(), static_cast<int>(padded.size())) != 1 ||
      EVP_EncryptFinal_ex(cipher.get(),
                          reinterpret_cast<unsigned char*>(sealed.ciphertext.data()) + written,
                          &tail) != 1 ||
      static_cast<size_t>(written + tail) != padded.size()) {
    return Internal("seal");
  }
  return sealed;
}

}  // namespace vouch::passport
