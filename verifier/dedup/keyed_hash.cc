#include "dedup/keyed_hash.h"

#include <fcntl.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/private_file.h"

namespace vouch::verifier::dedup {
namespace {

constexpr size_t kSecretBytes = 32;
constexpr absl::string_view kDomain = "vouch.dedup.v1";

std::string Hex(const unsigned char* bytes, size_t size) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), size));
}

// Appends a field as 8-byte big-endian length then bytes, so no two field
// lists encode alike.
void AppendField(std::string& out, absl::string_view field) {
  const uint64_t n = field.size();
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(field.data(), field.size());
}

std::string Hmac(const DedupKey& key, std::initializer_list<absl::string_view> fields) {
  std::string message;
  AppendField(message, kDomain);
  for (absl::string_view f : fields) AppendField(message, f);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len);
  WipeMemory(message.data(), message.size());
  std::string out = Hex(mac, mac_len);
  WipeMemory(mac, sizeof(mac));
  return out;
}

absl::StatusOr<std::string> NewKeyLine() {
  SecureBytes secret(kSecretBytes);
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    return absl::InternalError("cannot draw a dedup key");
  }
  return absl::StrCat(DedupKeyId(secret.view()), " ", Hex(secret.data(), secret.size()), "\n");
}

absl::StatusOr<std::vector<DedupKey>> ParseKeys(const std::string& path, absl::string_view text) {
  std::vector<DedupKey> keys;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    std::string secret;
    if (parts.size() != 2 || parts[1].size() != 2 * kSecretBytes ||
        !absl::c_all_of(parts[1], absl::ascii_isxdigit)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": line ", line_number, " is not \"<key id> <64 hex characters>\""));
    }
    secret = absl::HexStringToBytes(parts[1]);
    DedupKey key{DedupKeyId(secret), SecureBytes(secret)};
    WipeMemory(secret.data(), secret.size());
    if (key.id != parts[0]) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": line ", line_number, ": the key id does not match the key"));
    }
    keys.push_back(std::move(key));
  }
  if (keys.empty()) return absl::FailedPreconditionError(absl::StrCat(path, " holds no key"));
  return keys;
}

std::string Collapse(absl::string_view text, bool letters_and_digits_only) {
  std::string out;
  bool pending_space = false;
  for (char c : text) {
    const char u = absl::ascii_toupper(static_cast<unsigned char>(c));
    if (absl::ascii_isalnum(static_cast<unsigned char>(u)) ||
        static_cast<unsigned char>(u) >= 0x80) {
      if (pending_space && !out.empty()) out.push_back(' ');
      pending_space = false;
      out.push_back(u);
    } else if (!letters_and_digits_only && (u == ' ' || u == '<' || u == '-' || u == '\t')) {
      pending_space = true;
    }
  }
  return out;
}

}  // namespace

std::string NormalizeDocumentNumber(absl::string_view number) {
  std::string out;
  for (char c : number) {
    const char u = absl::ascii_toupper(static_cast<unsigned char>(c));
    if (absl::ascii_isalnum(static_cast<unsigned char>(u))) out.push_back(u);
  }
  return out;
}

std::string NormalizeIssuingState(absl::string_view state) {
  return NormalizeDocumentNumber(absl::StripAsciiWhitespace(state));
}

std::string NormalizeDocumentType(absl::string_view type) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(type));
}

std::string NormalizePersonName(absl::string_view name) { return Collapse(name, false); }

bool IsHashable(const DocumentIdentity& identity) {
  return NormalizeDocumentNumber(identity.document_number).size() >= 4 &&
         !NormalizeIssuingState(identity.issuing_state).empty() &&
         !NormalizeDocumentType(identity.document_type).empty();
}

bool IsHashable(const PersonIdentity& person) {
  return NormalizePersonName(person.name).size() >= 2;
}

std::string DedupKeyId(absl::string_view secret) {
  std::string input = absl::StrCat("vouch.dedup.key-id", secret);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  WipeMemory(input.data(), input.size());
  return Hex(digest, 8);
}

absl::StatusOr<std::shared_ptr<const DedupKeyring>> DedupKeyring::LoadOrCreate(
    const std::string& path) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    const bool made = std::filesystem::create_directories(dir, ec);
    if (ec || (made && ::chmod(dir.c_str(), 0700) != 0)) {
      return absl::InternalError(absl::StrCat("cannot create ", dir.string()));
    }
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    absl::StatusOr<std::string> line = NewKeyLine();
    if (!line.ok()) return line.status();
    const std::string text = absl::StrCat(
        "# vouch duplicate-detection HMAC keys (docs/dedup.md); current first\n", *line);
    WipeMemory(line->data(), line->size());
    if (absl::Status written = WritePrivateFile(path, text); !written.ok()) return written;
  }
  absl::StatusOr<SecureBytes> text = ReadPrivateFile(path, FileAccess::kOwnerOnly);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::vector<DedupKey>> keys = ParseKeys(path, text->view());
  if (!keys.ok()) return keys.status();
  return std::shared_ptr<const DedupKeyring>(new DedupKeyring(*std::move(keys)));
}

absl::StatusOr<std::string> DedupKeyring::Rotate(const std::string& path) {
  absl::StatusOr<SecureBytes> text = ReadPrivateFile(path, FileAccess::kOwnerOnly);
  if (!text.ok()) return text.status();
  if (absl::StatusOr<std::vector<DedupKey>> keys = ParseKeys(path, text->view()); !keys.ok()) {
    return keys.status();
  }
  absl::StatusOr<std::string> line = NewKeyLine();
  if (!line.ok()) return line.status();
  const std::string id = line->substr(0, line->find(' '));
  // The new key goes before the first key line (comments stay on top).
  std::string old(text->view());
  size_t at = 0;
  while (at < old.size() && old[at] == '#') {
    const size_t end = old.find('\n', at);
    at = end == std::string::npos ? old.size() : end + 1;
  }
  std::string next = old.substr(0, at) + *line + old.substr(at);
  const absl::Status written = WritePrivateFile(path, next);
  WipeMemory(old.data(), old.size());
  WipeMemory(next.data(), next.size());
  WipeMemory(line->data(), line->size());
  if (!written.ok()) return written;
  return id;
}

absl::StatusOr<std::shared_ptr<const DedupKeyring>> DedupKeyring::FromKeys(
    std::vector<DedupKey> keys) {
  if (keys.empty()) return absl::InvalidArgumentError("a dedup keyring needs a key");
  for (const DedupKey& k : keys) {
    if (k.secret.size() != kSecretBytes) {
      return absl::InvalidArgumentError("a dedup key is 32 bytes");
    }
  }
  return std::shared_ptr<const DedupKeyring>(new DedupKeyring(std::move(keys)));
}

std::string DocumentHash(const DedupKey& key, absl::string_view scope,
                         const DocumentIdentity& identity) {
  std::string state = NormalizeIssuingState(identity.issuing_state);
  std::string type = NormalizeDocumentType(identity.document_type);
  std::string number = NormalizeDocumentNumber(identity.document_number);
  std::string out = Hmac(key, {"document", scope, state, type, number});
  WipeMemory(number.data(), number.size());
  return out;
}

std::string PersonHash(const DedupKey& key, absl::string_view scope, const PersonIdentity& person) {
  std::string name = NormalizePersonName(person.name);
  std::string birth = absl::FormatCivilTime(person.birth_date);
  std::string out = Hmac(key, {"person", scope, name, birth});
  WipeMemory(name.data(), name.size());
  WipeMemory(birth.data(), birth.size());
  return out;
}

std::string TelegramUserHash(const DedupKey& key, absl::string_view scope,
                             int64_t telegram_user_id) {
  return Hmac(key, {"telegram_user", scope, absl::StrCat(telegram_user_id)});
}

}  // namespace vouch::verifier::dedup
