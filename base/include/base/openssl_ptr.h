#ifndef VOUCH_BASE_OPENSSL_PTR_H_
#define VOUCH_BASE_OPENSSL_PTR_H_

// unique_ptr for OpenSSL objects, released with their own free function.
// Header-only: the embeddable attest verify library uses it too without
// linking vouch::base.

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>

namespace vouch {

template <auto kFree>
struct OpenSslDeleter {
  template <typename T>
  void operator()(T* ptr) const {
    kFree(ptr);
  }
};

// OpenSslPtr<X509, X509_free> and the like.
template <typename T, auto kFree>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter<kFree>>;

using EvpPkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpPkeyCtxPtr = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpCipherCtxPtr = OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using EvpMdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free_all>;

}  // namespace vouch

#endif  // VOUCH_BASE_OPENSSL_PTR_H_
