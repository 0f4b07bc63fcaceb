// RSA keys of the provider: OAEP(SHA-1, MGF1-SHA-1) per telegram-passport.md
// §5.1, PEM loading, key generation.

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/openssl_ptr.h"
#include "base/status_macros.h"
#include "internal/crypto.h"
#include "passport/decrypt.h"
#include "passport/errors.h"
#include "passport/seal.h"

namespace vouch::passport {

// Prepared OAEP decryption contexts are pooled: creating and initialising an
// EVP_PKEY_CTX (provider fetches, parameter lookups) costs about 4% of an
// RSA-2048 decryption in OpenSSL 3.0. A context is used by one thread at a
// time; the pool dies with the key.
struct PassportDecryptor::Impl {
  EvpPkeyPtr pkey;
  int bits = 0;
  mutable absl::Mutex mu;
  mutable std::vector<EvpPkeyCtxPtr> idle ABSL_GUARDED_BY(mu);
};

struct PassportPublicKey::Impl {
  EvpPkeyPtr pkey;
};

namespace {

constexpr size_t kMaxPemBytes = 64 * 1024;
constexpr int kMinBits = 2048;
constexpr int kMaxBits = 4096;
constexpr size_t kMaxIdleContexts = 64;

absl::Status KeyError(absl::string_view message) {
  ERR_clear_error();
  return PassportError(ErrorCategory::kRsa, message);
}

// Never prompt for a passphrase: encrypted keys are refused.
int NoPassphrase(char*, int, int, void*) { return -1; }

absl::Status CheckRsaKey(EVP_PKEY* pkey) {
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
    return KeyError("key is not an RSA key");
  }
  const int bits = EVP_PKEY_get_bits(pkey);
  if (bits < kMinBits || bits > kMaxBits) {
    return KeyError(absl::StrCat("RSA key has ", bits, " bits; 2048..4096 are accepted"));
  }
  return absl::OkStatus();
}

// Sets RSAES-OAEP with SHA-1, MGF1-SHA-1 and no label explicitly (§8).
bool SetOaep(EVP_PKEY_CTX* ctx) {
  return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
         EVP_PKEY_CTX_set_rsa_oaep_md(ctx, internal::Sha1()) > 0 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, internal::Sha1()) > 0;
}

absl::StatusOr<std::string> SpkiPem(EVP_PKEY* pkey) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), pkey) != 1) {
    ERR_clear_error();
    return PassportError(ErrorCategory::kInternal, "cannot write public key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

absl::StatusOr<PassportDecryptor> PassportDecryptor::FromPem(absl::string_view pem) {
  if (pem.size() > kMaxPemBytes) return KeyError("private key PEM too large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return KeyError("cannot read private key");
  // Reads PKCS#1 ("RSA PRIVATE KEY") and PKCS#8 ("PRIVATE KEY").
  EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (pkey == nullptr) {
    return KeyError("not an unencrypted PEM private key (PKCS#1 or PKCS#8)");
  }
  VOUCH_RETURN_IF_ERROR(CheckRsaKey(pkey.get()));
  auto impl = std::make_shared<Impl>();
  impl->bits = EVP_PKEY_get_bits(pkey.get());
  impl->pkey = std::move(pkey);
  ERR_clear_error();
  return PassportDecryptor(std::move(impl));
}

int PassportDecryptor::bits() const { return impl_->bits; }

absl::StatusOr<std::string> PassportDecryptor::PublicKeyPem() const {
  return SpkiPem(impl_->pkey.get());
}

absl::StatusOr<SecureBytes> PassportDecryptor::RsaDecrypt(absl::string_view ciphertext) const {
  // One message for every failure: no OAEP oracle (§8).
  auto failed = [] { return KeyError("credentials: RSA-OAEP decryption failed"); };
  if (ciphertext.empty() || ciphertext.size() > static_cast<size_t>(kMaxBits / 8)) {
    return failed();
  }
  EvpPkeyCtxPtr ctx;
  {
    absl::MutexLock lock(&impl_->mu);
    if (!impl_->idle.empty()) {
      ctx = std::move(impl_->idle.back());
      impl_->idle.pop_back();
    }
  }
  if (ctx == nullptr) {
    ctx.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->pkey.get(), nullptr));
    if (ctx == nullptr || EVP_PKEY_decrypt_init(ctx.get()) <= 0 || !SetOaep(ctx.get())) {
      return failed();
    }
  }
  SecureBytes out(static_cast<size_t>(EVP_PKEY_get_size(impl_->pkey.get())));
  size_t out_len = out.size();
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &out_len,
                       reinterpret_cast<const unsigned char*>(ciphertext.data()),
                       ciphertext.size()) <= 0) {
    return failed();  // The context is dropped, not reused after a failure.
  }
  out.Truncate(out_len);
  {
    absl::MutexLock lock(&impl_->mu);
    if (impl_->idle.size() < kMaxIdleContexts) {
      impl_->idle.push_back(std::move(ctx));
    }
  }
  return out;
}

absl::StatusOr<PassportPublicKey> PassportPublicKey::FromPem(absl::string_view pem) {
  if (pem.size() > kMaxPemBytes) return KeyError("public key PEM too large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return KeyError("cannot read public key");
  EvpPkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (pkey == nullptr) {
    return KeyError("not a PEM SubjectPublicKeyInfo (BEGIN PUBLIC KEY)");
  }
  VOUCH_RETURN_IF_ERROR(CheckRsaKey(pkey.get()));
  auto impl = std::make_shared<Impl>();
  impl->pkey = std::move(pkey);
  ERR_clear_error();
  return PassportPublicKey(std::move(impl));
}

absl::StatusOr<std::string> PassportPublicKey::RsaEncrypt(absl::string_view plaintext) const {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->pkey.get(), nullptr));
  size_t out_len = 0;
  if (ctx == nullptr || EVP_PKEY_encrypt_init(ctx.get()) <= 0 || !SetOaep(ctx.get()) ||
      EVP_PKEY_encrypt(ctx.get(), nullptr, &out_len,
                       reinterpret_cast<const unsigned char*>(plaintext.data()),
                       plaintext.size()) <= 0) {
    return KeyError("RSA-OAEP encryption failed");
  }
  std::string out(out_len, '\0');
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &out_len,
                       reinterpret_cast<const unsigned char*>(plaintext.data()),
                       plaintext.size()) <= 0) {
    return KeyError("RSA-OAEP encryption failed");
  }
  out.resize(out_len);
  return out;
}

absl::StatusOr<ProviderKey> GenerateProviderKey(int bits) {
  if (bits < kMinBits || bits > kMaxBits) {
    return KeyError("RSA key size must be 2048..4096 bits");
  }
  EvpPkeyPtr pkey(EVP_RSA_gen(static_cast<unsigned int>(bits)));
  if (pkey == nullptr) {
    ERR_clear_error();
    return PassportError(ErrorCategory::kInternal, "RSA key generation failed");
  }
  // Secure-heap BIO when available, so the PEM text is wiped on free.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr || PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0,
                                                      nullptr, nullptr) != 1) {
    ERR_clear_error();
    return PassportError(ErrorCategory::kInternal, "cannot write private key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  ProviderKey key;
  key.private_key_pem =
      SecureBytes(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(len));
  VOUCH_ASSIGN_OR_RETURN(key.public_key_pem, SpkiPem(pkey.get()));
  return key;
}

}  // namespace vouch::passport
