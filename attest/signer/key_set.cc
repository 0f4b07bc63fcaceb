#include "attest/key_set.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/private_file.h"
#include "base/status_macros.h"
#include "internal/jose.h"
#include "internal/status_convert.h"

namespace vouch::attest {
namespace {

using internal::EvpPkeyPtr;
using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr char kManifest[] = "keys.json";
constexpr char kLockFile[] = "keys.lock";
constexpr size_t kMaxFileBytes = 1 << 20;

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string data;
  char buf[4096];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    data.append(buf, static_cast<size_t>(in.gcount()));
    if (data.size() > kMaxFileBytes) {
      return absl::InvalidArgumentError(absl::StrCat(path, " is too large"));
    }
  }
  return data;
}

// Writes `data` to `path` atomically (temp file + rename), mode 0600
// (base/private_file.h).
absl::Status WriteFileAtomic(const std::string& path, absl::string_view data) {
  return WritePrivateFile(path, data);
}

internal::KeyType KeyTypeFor(SigningAlg alg) {
  return alg == SigningAlg::kES256 ? internal::KeyType::kP256 : internal::KeyType::kEd25519;
}

absl::StatusOr<KeyState> ParseKeyState(const std::string& s) {
  if (s == "next") return KeyState::kNext;
  if (s == "active") return KeyState::kActive;
  if (s == "retired") return KeyState::kRetired;
  return absl::InvalidArgumentError(absl::StrCat("unknown key state '", s, "'"));
}

// An exclusive flock on <dir>/keys.lock while alive: one process at a time
// changes a shared key directory.
class DirLock {
 public:
  static absl::StatusOr<DirLock> Acquire(const std::string& dir) {
    const std::string path = (fs::path(dir) / kLockFile).string();
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
    }
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return absl::InternalError(absl::StrCat("cannot lock ", path));
    }
    return DirLock(fd);
  }
  DirLock(DirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DirLock& operator=(DirLock&&) = delete;
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // Releases the lock.
  }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace

const char* SigningAlgName(SigningAlg alg) { return alg == SigningAlg::kES256 ? "ES256" : "EdDSA"; }

absl::StatusOr<SigningAlg> ParseSigningAlg(absl::string_view name) {
  if (name == "ES256") return SigningAlg::kES256;
  if (name == "EdDSA") return SigningAlg::kEdDSA;
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported algorithm '", name, "' (ES256 or EdDSA)"));
}

const char* KeyStateName(KeyState state) {
  switch (state) {
    case KeyState::kNext:
      return "next";
    case KeyState::kActive:
      return "active";
    case KeyState::kRetired:
      return "retired";
  }
  return "unknown";
}

struct KeySet::Impl {
  struct Key {
    KeyInfo info;
    EvpPkeyPtr pkey;
    json public_jwk;
    // The signing context, prepared once per key; shared so that SignJwt
    // signs outside the lock while a rotation replaces the key list.
    std::shared_ptr<const internal::PreparedKey> signer;
    // base64url(JSON header) per typ, serialized on first use (it depends
    // only on the key and the typ).
    std::map<std::string, std::string, std::less<>> header_b64;
  };

  static absl::Status Prepare(Key& key) {
    auto prepared =
        internal::PreparedKey::Create(key.pkey.get(), internal::PreparedKey::Use::kSign);
    if (!prepared.ok()) return internal::ToAbslStatus(prepared.error());
    key.signer = std::make_shared<const internal::PreparedKey>(std::move(*prepared));
    return absl::OkStatus();
  }

  std::string dir;
  mutable absl::Mutex mu;
  std::vector<Key> keys ABSL_GUARDED_BY(mu);
  // The manifest as last read or written ("" before).
  std::string manifest_text ABSL_GUARDED_BY(mu);

  std::string KeyPath(const std::string& kid) const {
    return (fs::path(dir) / (kid + ".pem")).string();
  }

  absl::Status SaveManifest() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    json list = json::array();
    for (const Key& k : keys) {
      list.push_back({{"kid", k.info.kid},
                      {"alg", SigningAlgName(k.info.alg)},
                      {"state", KeyStateName(k.info.state)},
                      {"created_at", k.info.created_at},
                      {"retired_at", k.info.retired_at},
                      {"activate_at", k.info.activate_at}});
    }
    const json manifest = {{"version", 1}, {"keys", list}};
    std::string text = manifest.dump(2) + "\n";
    VOUCH_RETURN_IF_ERROR(WriteFileAtomic((fs::path(dir) / kManifest).string(), text));
    manifest_text = std::move(text);
    return absl::OkStatus();
  }

  // Reads the manifest from disk when it differs from the one in memory;
  // keys already loaded are kept (their files are not read again). Returns
  // whether the keys changed. Nothing changes on an error.
  absl::StatusOr<bool> ReloadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const std::string path = (fs::path(dir) / kManifest).string();
    std::error_code ec;
    if (!fs::exists(path, ec)) return false;
    VOUCH_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
    if (text == manifest_text) return false;
    auto manifest = internal::ParseJsonStrict(text);
    if (!manifest.ok() || !manifest->is_object() || !manifest->contains("keys") ||
        !(*manifest)["keys"].is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(path, " is not a key manifest"));
    }
    // Phase 1 (may fail, changes nothing): each entry's info, and the keys
    // not loaded yet.
    std::vector<KeyInfo> infos;
    std::map<std::string, Key> fresh;
    int active = 0;
    for (const json& entry : (*manifest)["keys"]) {
      const std::string kid = entry.is_object() && entry.contains("kid") && entry["kid"].is_string()
                                  ? entry["kid"].get<std::string>()
                                  : std::string();
      const bool known =
          std::any_of(keys.begin(), keys.end(), [&kid](const Key& k) { return k.info.kid == kid; });
      KeyInfo info;
      if (known && entry.contains("state") && entry["state"].is_string()) {
        info.kid = kid;
        VOUCH_ASSIGN_OR_RETURN(info.state, ParseKeyState(entry["state"].get<std::string>()));
      } else {
        VOUCH_ASSIGN_OR_RETURN(Key key, LoadKey(entry));
        info = key.info;
        fresh.emplace(info.kid, std::move(key));
      }
      info.created_at = entry.value("created_at", int64_t{0});
      info.retired_at = entry.value("retired_at", int64_t{0});
      info.activate_at = entry.value("activate_at", int64_t{0});
      for (const KeyInfo& i : infos) {
        if (i.kid == info.kid) return absl::InvalidArgumentError("duplicate kid in key manifest");
      }
      active += info.state == KeyState::kActive;
      infos.push_back(std::move(info));
    }
    if (active > 1) return absl::InvalidArgumentError("more than one active key");
    // Phase 2: the new list (known keys keep their prepared signers).
    std::vector<Key> loaded;
    for (const KeyInfo& info : infos) {
      auto known = std::find_if(keys.begin(), keys.end(),
                                [&info](const Key& k) { return k.info.kid == info.kid; });
      Key key = known != keys.end() ? std::move(*known) : std::move(fresh.at(info.kid));
      const SigningAlg alg = key.info.alg;
      key.info = info;
      key.info.alg = alg;
      loaded.push_back(std::move(key));
    }
    keys = std::move(loaded);
    manifest_text = std::move(text);
    return true;
  }

  absl::StatusOr<Key> LoadKey(const json& entry) {
    if (!entry.is_object() || !entry.contains("kid") || !entry["kid"].is_string() ||
        !entry.contains("alg") || !entry["alg"].is_string() || !entry.contains("state") ||
        !entry["state"].is_string()) {
      return absl::InvalidArgumentError("key manifest entry lacks kid/alg/state");
    }
    Key key;
    key.info.kid = entry["kid"].get<std::string>();
    VOUCH_ASSIGN_OR_RETURN(key.info.alg, ParseSigningAlg(entry["alg"].get<std::string>()));
    VOUCH_ASSIGN_OR_RETURN(key.info.state, ParseKeyState(entry["state"].get<std::string>()));
    key.info.created_at = entry.value("created_at", int64_t{0});
    key.info.retired_at = entry.value("retired_at", int64_t{0});
    key.info.activate_at = entry.value("activate_at", int64_t{0});
    if (key.info.kid.empty() ||
        key.info.kid.find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
            std::string::npos) {
      return absl::InvalidArgumentError("bad kid in key manifest");
    }
    const std::string path = KeyPath(key.info.kid);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat("missing key file ", path));
    }
    if ((st.st_mode & 077) != 0) {
      return absl::PermissionDeniedError(
          absl::StrCat(path, " is accessible by others; chmod 600 it"));
    }
    // Read into wiped memory (base/private_file.h); the mode was checked above.
    VOUCH_ASSIGN_OR_RETURN(SecureBytes pem, ReadPrivateFile(path));
    auto pkey = internal::PrivateKeyFromPem(std::string_view(pem.view().data(), pem.size()));
    if (!pkey.ok()) return internal::ToAbslStatus(pkey.error());
    if (internal::KeyTypeOf(pkey->get()) != KeyTypeFor(key.info.alg)) {
      return absl::InvalidArgumentError(
          absl::StrCat("key ", key.info.kid, " does not match its alg"));
    }
    auto jwk = internal::PublicJwk(pkey->get());
    if (!jwk.ok()) return internal::ToAbslStatus(jwk.error());
    auto thumb = internal::JwkThumbprint(*jwk);
    if (!thumb.ok()) return internal::ToAbslStatus(thumb.error());
    if (*thumb != key.info.kid) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key file for ", key.info.kid, " holds a different key (thumbprint mismatch)"));
    }
    key.pkey = std::move(*pkey);
    key.public_jwk = std::move(*jwk);
    VOUCH_RETURN_IF_ERROR(Prepare(key));
    return key;
  }

  absl::StatusOr<std::string> GenerateLocked(SigningAlg alg, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto pkey = internal::GenerateKey(KeyTypeFor(alg));
    if (!pkey.ok()) return internal::ToAbslStatus(pkey.error());
    auto jwk = internal::PublicJwk(pkey->get());
    if (!jwk.ok()) return internal::ToAbslStatus(jwk.error());
    auto kid = internal::JwkThumbprint(*jwk);
    if (!kid.ok()) return internal::ToAbslStatus(kid.error());
    auto pem = internal::PrivateKeyToPem(pkey->get());
    if (!pem.ok()) return internal::ToAbslStatus(pem.error());
    absl::Status written = WriteFileAtomic(KeyPath(*kid), *pem);
    OPENSSL_cleanse(pem->data(), pem->size());
    VOUCH_RETURN_IF_ERROR(written);
    bool has_active = false;
    for (const Key& k : keys) has_active |= k.info.state == KeyState::kActive;
    Key key;
    key.info = KeyInfo{*kid, alg, has_active ? KeyState::kNext : KeyState::kActive, now, 0, 0};
    key.pkey = std::move(*pkey);
    key.public_jwk = std::move(*jwk);
    VOUCH_RETURN_IF_ERROR(Prepare(key));
    keys.push_back(std::move(key));
    VOUCH_RETURN_IF_ERROR(SaveManifest());
    return *kid;
  }
};

KeySet::KeySet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KeySet::~KeySet() = default;

absl::StatusOr<std::unique_ptr<KeySet>> KeySet::LoadOrCreate(const std::string& dir,
                                                             SigningAlg alg) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot create key dir ", dir, ": ", ec.message()));
    }
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  if (!fs::is_directory(dir, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(dir, " is not a directory"));
  }
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  absl::MutexLock lock(&impl->mu);
  VOUCH_RETURN_IF_ERROR(impl->ReloadLocked().status());
  if (impl->keys.empty()) {
    // Only a change takes the lock (a read-only copy of a key set loads).
    VOUCH_ASSIGN_OR_RETURN(DirLock dir_lock, DirLock::Acquire(dir));
    VOUCH_RETURN_IF_ERROR(impl->ReloadLocked().status());
    if (impl->keys.empty()) {
      VOUCH_RETURN_IF_ERROR(impl->GenerateLocked(alg, internal::NowUnix()).status());
    }
  }
  return std::unique_ptr<KeySet>(new KeySet(std::move(impl)));
}

absl::StatusOr<std::string> KeySet::Generate(SigningAlg alg, int64_t now) {
  VOUCH_ASSIGN_OR_RETURN(DirLock dir_lock, DirLock::Acquire(impl_->dir));
  absl::MutexLock lock(&impl_->mu);
  VOUCH_RETURN_IF_ERROR(impl_->ReloadLocked().status());
  return impl_->GenerateLocked(alg, now);
}

absl::StatusOr<std::string> KeySet::GenerateScheduled(SigningAlg alg, int64_t now,
                                                      int64_t activate_at) {
  if (activate_at < now) {
    return absl::InvalidArgumentError("a key cannot start signing before it is published");
  }
  VOUCH_ASSIGN_OR_RETURN(DirLock dir_lock, DirLock::Acquire(impl_->dir));
  absl::MutexLock lock(&impl_->mu);
  VOUCH_RETURN_IF_ERROR(impl_->ReloadLocked().status());
  for (const Impl::Key& k : impl_->keys) {
    if (k.info.state == KeyState::kNext) {
      return absl::FailedPreconditionError(absl::StrCat(
          "key ", k.info.kid, " is already published and waiting to sign; rotate again after it"));
    }
  }
  VOUCH_ASSIGN_OR_RETURN(std::string kid, impl_->GenerateLocked(alg, now));
  for (Impl::Key& k : impl_->keys) {
    if (k.info.kid == kid && k.info.state == KeyState::kNext) k.info.activate_at = activate_at;
  }
  VOUCH_RETURN_IF_ERROR(impl_->SaveManifest());
  return kid;
}

absl::StatusOr<std::string> KeySet::ActivateDue(int64_t now) {
  {
    // Nothing due (the usual case): no lock, nothing written.
    absl::MutexLock lock(&impl_->mu);
    VOUCH_RETURN_IF_ERROR(impl_->ReloadLocked().status());
    if (std::none_of(impl_->keys.begin(), impl_->keys.end(), [now](const Impl::Key& k) {
          return k.info.state == KeyState::kNext && k.info.activate_at > 0 &&
                 k.info.activate_at <= now;
        })) {
      return std::string();
    }
  }
  VOUCH_ASSIGN_OR_RETURN(DirLock dir_lock, DirLock::Acquire(impl_->dir));
  absl::MutexLock lock(&impl_->mu);
  VOUCH_RETURN_IF_ERROR(impl_->ReloadLocked().status());
  Impl::Key* due = nullptr;
  for (Impl::Key& k : impl_->keys) {
    if (k.info.state == KeyState::kNext && k.info.activate_at > 0 && k.info.activate_at <= now &&
        (due == nullptr || k.info.activate_at > due->info.activate_at)) {
      due = &k;
    }
  }
  if (due == nullptr) return std::string();
  for (Impl::Key& k : impl_->keys) {
    if (k.info.state == KeyState::kActive) {
      k.info.state = KeyState::kRetired;
      k.info.retired_at = now;
    }
  }
  due->info.state = KeyState::kActive;
  const std::string kid = due->info.kid;
  VOUCH_RETURN_IF_ERROR(impl_->SaveManifest());
  return kid;
}

absl::StatusOr<bool> KeySet::Reload() {
  absl::MutexLock lock(&impl_->mu);
  return impl_->ReloadLocked();
}

std::vector<std::string> KeySet::Prunable(int64_t now,
                                          int64_t max_credential_lifetime_seconds) const {
  absl::MutexLock lock(&impl_->mu);
  std::vector<std::string> out;
  for (const Impl::Key& k : impl_->keys) {
    if (k.info.state == KeyState::kRetired &&
        k.info.retired_at + max_credential_lifetime_seconds < now) {
      out.push_back(k.info.kid);
    }
  }
  return out;
}

absl::Status KeySet::Activate(absl::string_view kid, int64_t now) {
  VOUCH_ASSIGN_OR_RETURN(DirLock dir_lock, DirLock::Acquire(impl_->dir));
  absl::MutexLock lock(&impl_->mu);
  VOUCH_RETURN_IF_ERROR(impl_->ReloadLocked().status());
  Impl::Key* target = nullptr;
  for (Impl::Key& k : impl_->keys) {
    if (k.info.kid == kid) target = &k;
  }
  if (target == nullptr) return absl::NotFoundError(absl::StrCat("no key ", kid));
  if (target->info.state != KeyState::kNext) {
    return absl::FailedPreconditionError(
        "only a key in state next can be activated (publish before use)");
  }
  for (Impl::Key& k : impl_->keys) {
    if (k.info.state == KeyState::kActive) {
      k.info.state = KeyState::kRetired;
      k.info.retired_at = now;
    }
  }
  target->info.state = KeyState::kActive;
  return impl_->SaveManifest();
}

absl::StatusOr<std::vector<std::string>> KeySet::Prune(int64_t now,
                                                       int64_t max_credential_lifetime_seconds) {
  if (Prunable(now, max_credential_lifetime_seconds).empty()) {
    return std::vector<std::string>();
  }
  VOUCH_ASSIGN_OR_RETURN(DirLock dir_lock, DirLock::Acquire(impl_->dir));
  absl::MutexLock lock(&impl_->mu);
  VOUCH_RETURN_IF_ERROR(impl_->ReloadLocked().status());
  std::vector<Impl::Key> kept;
  std::vector<std::string> removed;
  for (Impl::Key& k : impl_->keys) {
    if (k.info.state == KeyState::kRetired &&
        k.info.retired_at + max_credential_lifetime_seconds < now) {
      removed.push_back(k.info.kid);
    } else {
      kept.push_back(std::move(k));
    }
  }
  impl_->keys = std::move(kept);
  VOUCH_RETURN_IF_ERROR(impl_->SaveManifest());
  for (const std::string& kid : removed) ::unlink(impl_->KeyPath(kid).c_str());
  return removed;
}

std::vector<KeyInfo> KeySet::Keys() const {
  absl::MutexLock lock(&impl_->mu);
  std::vector<KeyInfo> out;
  for (const Impl::Key& k : impl_->keys) out.push_back(k.info);
  return out;
}

absl::StatusOr<KeyInfo> KeySet::Active() const {
  absl::MutexLock lock(&impl_->mu);
  for (const Impl::Key& k : impl_->keys) {
    if (k.info.state == KeyState::kActive) return k.info;
  }
  return absl::FailedPreconditionError("no active signing key");
}

absl::StatusOr<std::string> KeySet::SignJwt(absl::string_view typ,
                                            absl::string_view payload_json) const {
  std::shared_ptr<const internal::PreparedKey> signer;
  std::string header_b64;
  {
    absl::MutexLock lock(&impl_->mu);
    for (Impl::Key& k : impl_->keys) {
      if (k.info.state != KeyState::kActive) continue;
      auto it = k.header_b64.find(std::string_view(typ.data(), typ.size()));
      if (it == k.header_b64.end()) {
        json header(json::value_t::object);
        auto& members = header.get_ref<json::object_t&>();
        members.emplace("alg", SigningAlgName(k.info.alg));
        members.emplace("kid", k.info.kid);
        members.emplace("typ", std::string(typ));
        it = k.header_b64
                 .emplace(std::string(typ), internal::Base64UrlEncode(internal::DumpJson(header)))
                 .first;
      }
      signer = k.signer;
      header_b64 = it->second;
      break;
    }
  }
  if (!signer) return absl::FailedPreconditionError("no active signing key");
  // header.payload.signature, in one buffer (86 = base64url of 64 bytes).
  std::string jwt;
  jwt.reserve(header_b64.size() + (payload_json.size() + 2) / 3 * 4 + 90);
  jwt = std::move(header_b64);
  jwt.push_back('.');
  internal::Base64UrlAppend(std::string_view(payload_json.data(), payload_json.size()), &jwt);
  auto sig = signer->Sign(jwt);
  if (!sig.ok()) return internal::ToAbslStatus(sig.error());
  jwt.push_back('.');
  internal::Base64UrlAppend(*sig, &jwt);
  return jwt;
}

std::string KeySet::JwksJson() const {
  absl::MutexLock lock(&impl_->mu);
  json keys = json::array();
  for (const Impl::Key& k : impl_->keys) {
    json jwk = k.public_jwk;
    jwk["kid"] = k.info.kid;
    jwk["use"] = "sig";
    // Equal to the header alg we sign with (jose compares exactly).
    jwk["alg"] = SigningAlgName(k.info.alg);
    keys.push_back(std::move(jwk));
  }
  return internal::DumpJson(json{{"keys", keys}});
}

std::string KeySet::IssuerMetadataJson(absl::string_view issuer, absl::string_view jwks_uri) {
  return internal::DumpJson(
      json{{"issuer", std::string(issuer)}, {"jwks_uri", std::string(jwks_uri)}});
}

}  // namespace vouch::attest
