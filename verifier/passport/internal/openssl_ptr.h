#ifndef VOUCH_PASSPORT_INTERNAL_OPENSSL_PTR_H_
#define VOUCH_PASSPORT_INTERNAL_OPENSSL_PTR_H_

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>

namespace vouch::passport::internal {

// unique_ptr that releases an OpenSSL object with its own free function.
template <auto kFree>
struct OpenSslDeleter {
  template <typename T>
  void operator()(T* ptr) const {
    kFree(ptr);
  }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr =
    std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX_free>>;
using EvpCipherCtxPtr =
    std::unique_ptr<EVP_CIPHER_CTX, OpenSslDeleter<EVP_CIPHER_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free_all>>;

}  // namespace vouch::passport::internal

#endif  // VOUCH_PASSPORT_INTERNAL_OPENSSL_PTR_H_
