#include "review/case_sealer.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/openssl_ptr.h"
#include "base/status_macros.h"

namespace vouch::verifier::review {
namespace {

constexpr unsigned char kVersion = 0x01;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kMaxKeys = 64;
constexpr size_t kMaxKeyFileBytes = 64 * 1024;

using CipherCtx = EvpCipherCtxPtr;

std::string Aad(absl::string_view verification_id, absl::string_view key_id) {
  std::string aad = "vouch.case.v1";
  aad.push_back('\0');
  absl::StrAppend(&aad, verification_id);
  aad.push_back('\0');
  absl::StrAppend(&aad, key_id);
  return aad;
}

absl::StatusOr<SecureBytes> DecodeKey(absl::string_view text, absl::string_view what) {
  text = absl::StripAsciiWhitespace(text);
  std::string raw;
  if (!absl::Base64Unescape(text, &raw) || raw.size() != kStorageKeyBytes ||
      absl::Base64Escape(raw) != text) {
    WipeMemory(raw.data(), raw.size());
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": a storage key is 32 bytes in standard base64"));
  }
  SecureBytes key(raw);
  WipeMemory(raw.data(), raw.size());
  return key;
}

SecureBytes RandomKey() {
  SecureBytes key(kStorageKeyBytes);
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) std::abort();
  return key;
}

// Writes the keys (base64, one per line) to `path` through a 0600 temporary
// file and a rename.
absl::Status WriteKeyFile(const std::string& path, const std::vector<const SecureBytes*>& keys) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot create ", tmp));
  std::string text;
  for (const SecureBytes* k : keys) {
    absl::StrAppend(&text, absl::Base64Escape(k->view()), "\n");
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  WipeMemory(text.data(), text.size());
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SecureBytes>> ReadKeyFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return absl::NotFoundError(path);
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is readable by group or others; chmod 600 it"));
  }
  if (st.st_size > static_cast<off_t>(kMaxKeyFileBytes)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is too large for a key file"));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  SecureBytes buf(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  buf.Truncate(got);
  std::vector<SecureBytes> keys;
  for (absl::string_view line : absl::StrSplit(buf.view(), '\n', absl::SkipWhitespace())) {
    if (keys.size() >= kMaxKeys) return absl::InvalidArgumentError("too many storage keys");
    VOUCH_ASSIGN_OR_RETURN(SecureBytes key, DecodeKey(line, path));
    keys.push_back(std::move(key));
  }
  if (keys.empty()) return absl::InvalidArgumentError(absl::StrCat(path, " holds no key"));
  return keys;
}

}  // namespace

std::string StorageKeyId(const SecureBytes& key) {
  static constexpr char kLabel[] = "vouch.storage-key-id.v1";
  SecureBytes input(sizeof(kLabel) + key.size());
  std::memcpy(input.data(), kLabel, sizeof(kLabel));
  std::memcpy(input.data() + sizeof(kLabel), key.data(), key.size());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(input.data(), input.size(), md, &md_len, EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
  return absl::StrCat(
      "sk-", absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(md), 8)));
}

absl::StatusOr<StorageKeyRing> StorageKeyRing::FromKeys(std::vector<SecureBytes> keys) {
  if (keys.empty()) return absl::InvalidArgumentError("no storage key");
  if (keys.size() > kMaxKeys) return absl::InvalidArgumentError("too many storage keys");
  StorageKeyRing ring;
  for (SecureBytes& k : keys) {
    if (k.size() != kStorageKeyBytes) {
      return absl::InvalidArgumentError("a storage key is 32 bytes");
    }
    ring.ids_.push_back(StorageKeyId(k));
    ring.keys_.push_back(std::make_shared<const SecureBytes>(std::move(k)));
  }
  return ring;
}

absl::StatusOr<StorageKeyRing> StorageKeyRing::LoadOrCreate(const std::string& key_file,
                                                            absl::string_view env_active,
                                                            absl::string_view env_old) {
  if (!env_active.empty()) {
    std::vector<SecureBytes> keys;
    for (absl::string_view old : absl::StrSplit(env_old, ',', absl::SkipWhitespace())) {
      VOUCH_ASSIGN_OR_RETURN(SecureBytes key, DecodeKey(old, "VOUCH_STORAGE_KEYS_OLD"));
      keys.push_back(std::move(key));
    }
    VOUCH_ASSIGN_OR_RETURN(SecureBytes active, DecodeKey(env_active, "VOUCH_STORAGE_KEY"));
    keys.push_back(std::move(active));
    VOUCH_ASSIGN_OR_RETURN(StorageKeyRing ring, FromKeys(std::move(keys)));
    ring.from_env_ = true;
    return ring;
  }
  absl::StatusOr<std::vector<SecureBytes>> keys = ReadKeyFile(key_file);
  if (absl::IsNotFound(keys.status())) {
    SecureBytes key = RandomKey();
    VOUCH_RETURN_IF_ERROR(WriteKeyFile(key_file, {&key}));
    std::vector<SecureBytes> one;
    one.push_back(std::move(key));
    return FromKeys(std::move(one));
  }
  if (!keys.ok()) return keys.status();
  return FromKeys(*std::move(keys));
}

absl::StatusOr<StorageKeyRing> StorageKeyRing::RotateFile(const std::string& key_file) {
  VOUCH_ASSIGN_OR_RETURN(std::vector<SecureBytes> keys, ReadKeyFile(key_file));
  if (keys.size() >= kMaxKeys) return absl::FailedPreconditionError("too many storage keys");
  keys.push_back(RandomKey());
  std::vector<const SecureBytes*> view;
  for (const SecureBytes& k : keys) view.push_back(&k);
  VOUCH_RETURN_IF_ERROR(WriteKeyFile(key_file, view));
  return FromKeys(std::move(keys));
}

std::string StorageKeyRing::Seal(absl::string_view verification_id,
                                 absl::string_view plaintext) const {
  const SecureBytes& key = *keys_.back();
  const std::string aad = Aad(verification_id, active_key_id());
  std::string out(1 + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(out.data());
  p[0] = kVersion;
  unsigned char* nonce = p + 1;
  unsigned char* ct = nonce + kNonceBytes;
  if (RAND_bytes(nonce, kNonceBytes) != 1) std::abort();
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  // Failures here are allocation failures or misuse; none can be recovered.
  if (ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ct, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, ct + plaintext.size()) != 1) {
    std::abort();
  }
  return out;
}

absl::StatusOr<SecureBytes> StorageKeyRing::Open(absl::string_view verification_id,
                                                 absl::string_view key_id,
                                                 absl::string_view sealed) const {
  const SecureBytes* key = nullptr;
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (ids_[i] == key_id) key = keys_[i].get();
  }
  if (key == nullptr) return absl::NotFoundError("case sealed under an unknown storage key");
  if (sealed.size() < 1 + kNonceBytes + kTagBytes || sealed.size() > kMaxSealedBytes ||
      static_cast<unsigned char>(sealed[0]) != kVersion) {
    return absl::DataLossError("sealed case malformed");
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(sealed.data());
  const unsigned char* nonce = p + 1;
  const unsigned char* ct = nonce + kNonceBytes;
  const size_t ct_size = sealed.size() - 1 - kNonceBytes - kTagBytes;
  unsigned char tag[kTagBytes];
  std::memcpy(tag, ct + ct_size, kTagBytes);
  const std::string aad = Aad(verification_id, key_id);
  SecureBytes plain(ct_size);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0, tail = 0;
  if (ctx == nullptr ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key->data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), plain.data(), &len, ct, static_cast<int>(ct_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), plain.data() + len, &tail) != 1) {
    return absl::DataLossError("sealed case does not authenticate");
  }
  return plain;
}

::vouch::Sealer SealerFor(const StorageKeyRing& ring) {
  ::vouch::Sealer sealer;
  sealer.seal = [&ring](absl::string_view context, absl::string_view plaintext) {
    return std::make_pair(ring.Seal(context, plaintext), ring.active_key_id());
  };
  sealer.open = [&ring](absl::string_view context, absl::string_view key_id,
                        absl::string_view sealed) { return ring.Open(context, key_id, sealed); };
  return sealer;
}

std::pair<std::string, std::string> SealCase(const StorageKeyRing& ring,
                                             const v1::CaseContent& content) {
  SecureBytes plain(content.ByteSizeLong());
  content.SerializeWithCachedSizesToArray(plain.data());
  return {ring.Seal(content.verification_id(), plain.view()), ring.active_key_id()};
}

namespace {
void Wipe(std::string* s) { WipeMemory(s->data(), s->size()); }
void WipeMap(google::protobuf::Map<std::string, std::string>* m) {
  for (auto& [k, v] : *m) Wipe(&v);
}
}  // namespace

void WipeCaseContent(v1::CaseContent& c) {
  for (v1::SealedElement& e : *c.mutable_elements()) {
    WipeMap(e.mutable_fields());
    WipeMap(e.mutable_mrz());
    for (v1::SealedImage& i : *e.mutable_images()) Wipe(i.mutable_content());
  }
  v1::PendingAttestation& a = *c.mutable_attestation();
  if (a.has_given_name()) Wipe(a.mutable_given_name());
  if (a.has_family_name()) Wipe(a.mutable_family_name());
  if (a.has_birthdate()) Wipe(a.mutable_birthdate());
  for (std::string& n : *a.mutable_nationalities()) Wipe(&n);
  Wipe(c.mutable_first_note());
}

OpenedCase::~OpenedCase() { WipeCaseContent(content_); }

absl::Status OpenCase(const StorageKeyRing& ring, const storage::ReviewCase& review_case,
                      OpenedCase& out) {
  VOUCH_ASSIGN_OR_RETURN(SecureBytes plain, ring.Open(review_case.verification_id,
                                                      review_case.key_id, review_case.sealed));
  if (!out.content().ParseFromArray(plain.data(), static_cast<int>(plain.size())) ||
      out.content().verification_id() != review_case.verification_id) {
    WipeCaseContent(out.content());
    out.content().Clear();
    return absl::DataLossError("sealed case content unreadable");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> RekeyCases(storage::Store& store, const StorageKeyRing& ring) {
  int rekeyed = 0;
  for (const std::string& old_id : ring.key_ids()) {
    if (old_id == ring.active_key_id()) continue;
    VOUCH_ASSIGN_OR_RETURN(std::vector<std::string> ids, store.CasesSealedWith(old_id));
    for (const std::string& id : ids) {
      absl::StatusOr<storage::ReviewCase> c = store.GetCase(id);
      if (absl::IsNotFound(c.status())) continue;  // decided or purged meanwhile
      if (!c.ok()) return c.status();
      if (c->key_id != old_id) continue;
      VOUCH_ASSIGN_OR_RETURN(SecureBytes plain,
                             ring.Open(c->verification_id, c->key_id, c->sealed));
      const std::string resealed = ring.Seal(c->verification_id, plain.view());
      const absl::Status s = store.RekeyCase(id, old_id, resealed, ring.active_key_id());
      if (absl::IsNotFound(s) || absl::IsFailedPrecondition(s)) continue;
      VOUCH_RETURN_IF_ERROR(s);
      ++rekeyed;
    }
  }
  return rekeyed;
}

}  // namespace vouch::verifier::review
