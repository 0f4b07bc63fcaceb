#include "passport_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "base/private_file.h"
#include "base/secure_bytes.h"
#include "base/status_macros.h"
#include "command_helpers.h"
#include "nlohmann/json.hpp"
#include "passport/passport.h"

namespace vouch::verifier::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using passport::ErrorCategory;

constexpr size_t kMaxKeyBytes = 64 * 1024;
constexpr size_t kMaxPlainJsonBytes = 1 << 20;

absl::Status IoError(absl::string_view message) {
  // I/O failures are not passport categories; the CLI names them "io".
  return absl::Status(absl::StatusCode::kFailedPrecondition, absl::StrCat("io: ", message));
}

// Prints the failure as the last stderr line and returns exit code 1.
int FailWithCategory(const absl::Status& status) {
  std::optional<ErrorCategory> category = passport::GetErrorCategory(status);
  if (!category.has_value()) return Fail(status);
  return Fail(status, passport::ErrorCategoryName(*category));
}

// Reads at most `max_bytes` of a regular file into a wiped buffer.
absl::StatusOr<SecureBytes> ReadSecureFile(const fs::path& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return IoError(absl::StrCat("cannot open ", path.string(), ": ", std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return IoError(absl::StrCat(path.string(), " is not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return passport::PassportError(
        ErrorCategory::kLimit,
        absl::StrCat(path.string(), " is larger than ", max_bytes, " bytes"));
  }
  SecureBytes bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return IoError(absl::StrCat("cannot read ", path.string()));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return bytes;
}

// Writes `bytes` to `path` with mode 0600 (also when the file existed),
// through base/private_file.h: a 0600 temporary file renamed over `path`, so
// a file or symlink there is replaced, never written through. `exclusive`:
// refused when `path` exists (claimed with O_EXCL before the rename).
absl::Status WriteOutputFile(const fs::path& path, absl::string_view bytes,
                             bool exclusive = false) {
  if (exclusive) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      return IoError(absl::StrCat("cannot create ", path.string(), ": ", std::strerror(errno)));
    }
    ::close(fd);
  }
  const absl::Status written = ::vouch::WritePrivateFile(path.string(), bytes);
  if (!written.ok()) {
    if (exclusive) ::unlink(path.c_str());
    return IoError(written.message());
  }
  return absl::OkStatus();
}

absl::Status MakePrivateDir(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return absl::OkStatus();
  if (!fs::create_directories(dir, ec) || ec) {
    return IoError(absl::StrCat("cannot create directory ", dir.string()));
  }
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  return absl::OkStatus();
}

// file_ids name files in --files-dir/--out-dir: refuse anything that is not a
// plain file name.
bool SafeFileName(absl::string_view id) {
  if (id.empty() || id.size() > 255 || id[0] == '.') return false;
  for (char c : id) {
    if (c == '/' || c == '\\' || c == '\0') return false;
  }
  return true;
}

// --- decrypt ---------------------------------------------------------------

struct DecryptArgs {
  std::string key;
  std::string passport_data;
  std::string files_dir;
  std::optional<std::string> nonce;
  std::string out_dir;
};

absl::Status RunDecrypt(const DecryptArgs& args) {
  const passport::DecryptOptions options;
  VOUCH_ASSIGN_OR_RETURN(SecureBytes pem, ReadSecureFile(args.key, kMaxKeyBytes));
  VOUCH_ASSIGN_OR_RETURN(passport::PassportDecryptor key,
                         passport::PassportDecryptor::FromPem(pem.view()));
  VOUCH_ASSIGN_OR_RETURN(
      SecureBytes json,
      ReadSecureFile(args.passport_data, options.limits.max_passport_data_json_bytes));
  std::map<std::string, std::string> files;
  if (!args.files_dir.empty()) {
    // Every PassportFile of the submission whose file exists in the folder.
    VOUCH_ASSIGN_OR_RETURN(passport::PassportData data,
                           passport::ParsePassportData(json.view(), options.limits));
    for (const auto& element : data.data) {
      std::vector<const passport::PassportFile*> all;
      for (const auto* f : {&element.front_side, &element.reverse_side, &element.selfie}) {
        if (f->has_value()) all.push_back(&**f);
      }
      for (const auto& f : element.files) all.push_back(&f);
      for (const auto& f : element.translation) all.push_back(&f);
      for (const passport::PassportFile* f : all) {
        if (!SafeFileName(f->file_id)) continue;
        const fs::path path = fs::path(args.files_dir) / f->file_id;
        std::error_code ec;
        if (!fs::exists(path, ec)) continue;
        VOUCH_ASSIGN_OR_RETURN(SecureBytes bytes,
                               ReadSecureFile(path, options.limits.max_file_bytes));
        files[f->file_id] = std::string(bytes.view());
      }
    }
  }
  std::optional<absl::string_view> nonce;
  if (args.nonce.has_value()) nonce = *args.nonce;
  VOUCH_ASSIGN_OR_RETURN(passport::DecryptedPassport result,
                         passport::DecryptPassportData(key, json.view(), files, nonce, options));
  if (!args.out_dir.empty()) {
    VOUCH_RETURN_IF_ERROR(MakePrivateDir(args.out_dir));
    for (const auto& file : result.files) {
      if (!file.plaintext.has_value()) continue;
      if (!SafeFileName(file.file_id)) {
        return IoError("a file_id is not usable as a file name");
      }
      const absl::string_view bytes = file.plaintext->view();
      const bool jpeg = bytes.size() >= 3 && bytes.substr(0, 3) == "\xff\xd8\xff";
      VOUCH_RETURN_IF_ERROR(WriteOutputFile(
          fs::path(args.out_dir) / (file.file_id + (jpeg ? ".jpg" : ".bin")), bytes));
    }
  }
  SecureBytes document = passport::ResultDocumentJson(result);
  std::cout.write(reinterpret_cast<const char*>(document.data()),
                  static_cast<std::streamsize>(document.size()));
  std::cout << std::endl;
  return absl::OkStatus();
}

// --- seal ------------------------------------------------------------------

struct SealArgs {
  std::string public_key;
  std::string in;
  std::string files_dir;
  std::string out_dir;
};

absl::Status PlainError(absl::string_view message) {
  return passport::PassportError(ErrorCategory::kJson, absl::StrCat("PLAIN.json: ", message));
}

absl::StatusOr<passport::PlainFile> LoadPlainFile(const Json& spec, const fs::path& files_dir) {
  passport::PlainFile file;
  std::string name;
  if (spec.is_string()) {
    name = spec.get<std::string>();
  } else if (spec.is_object() && spec.contains("path") && spec["path"].is_string()) {
    name = spec["path"].get<std::string>();
    if (spec.contains("file_id")) {
      if (!spec["file_id"].is_string() || !SafeFileName(spec["file_id"].get<std::string>())) {
        return PlainError("file_id must be a plain file name");
      }
      file.file_id = spec["file_id"].get<std::string>();
    }
  } else {
    return PlainError("a file is a name or {\"path\", \"file_id\"}");
  }
  VOUCH_ASSIGN_OR_RETURN(file.bytes,
                         ReadSecureFile(files_dir / name, passport::Limits().max_file_bytes));
  return file;
}

absl::Status RunSeal(const SealArgs& args) {
  VOUCH_ASSIGN_OR_RETURN(SecureBytes pem, ReadSecureFile(args.public_key, kMaxKeyBytes));
  VOUCH_ASSIGN_OR_RETURN(passport::PassportPublicKey key,
                         passport::PassportPublicKey::FromPem(pem.view()));
  VOUCH_ASSIGN_OR_RETURN(SecureBytes plain_text, ReadSecureFile(args.in, kMaxPlainJsonBytes));
  Json plain = Json::parse(plain_text.view(), nullptr, /*allow_exceptions=*/false);
  if (plain.is_discarded() || !plain.is_object()) {
    return PlainError("not a JSON object");
  }
  std::string nonce;
  if (plain.contains("nonce")) {
    if (!plain["nonce"].is_string()) return PlainError("nonce is not a string");
    nonce = plain["nonce"].get<std::string>();
  }
  passport::SealOptions options;
  options.file_date = static_cast<int64_t>(::time(nullptr));
  if (plain.contains("legacy_payload")) {
    if (!plain["legacy_payload"].is_boolean()) {
      return PlainError("legacy_payload is not a boolean");
    }
    options.legacy_payload_key = plain["legacy_payload"].get<bool>();
  }
  if (!plain.contains("elements") || !plain["elements"].is_array()) {
    return PlainError("elements is missing or not an array");
  }
  const fs::path files_dir(args.files_dir);
  std::vector<passport::PlainElement> elements;
  for (const Json& e : plain["elements"]) {
    if (!e.is_object() || !e.contains("type") || !e["type"].is_string()) {
      return PlainError("an element has no type");
    }
    std::optional<passport::ElementType> type =
        passport::ParseElementType(e["type"].get<std::string>());
    if (!type.has_value()) {
      return passport::PassportError(ErrorCategory::kType, "PLAIN.json: unknown element type");
    }
    passport::PlainElement element;
    element.type = *type;
    const std::string name(passport::ElementTypeName(*type));
    for (auto it = e.begin(); it != e.end(); ++it) {
      const std::string& k = it.key();
      if (k == "type") continue;
      if (k == "data") {
        if (!it->is_object()) return PlainError("data is not an object");
        element.data_json = it->dump();
      } else if (k == "phone_number" || k == "email") {
        if (!it->is_string() || k != name) {
          return passport::PassportError(
              ErrorCategory::kType,
              absl::StrCat("PLAIN.json: ", name, ": field ", k, " not allowed"));
        }
        element.value = it->get<std::string>();
      } else if (k == "front_side" || k == "reverse_side" || k == "selfie") {
        VOUCH_ASSIGN_OR_RETURN(passport::PlainFile file, LoadPlainFile(*it, files_dir));
        (k == "front_side"     ? element.front_side
         : k == "reverse_side" ? element.reverse_side
                               : element.selfie) = std::move(file);
      } else if (k == "files" || k == "translation") {
        if (!it->is_array()) return PlainError(absl::StrCat(k, " is not an array"));
        for (const Json& spec : *it) {
          VOUCH_ASSIGN_OR_RETURN(passport::PlainFile file, LoadPlainFile(spec, files_dir));
          (k == "files" ? element.files : element.translation).push_back(std::move(file));
        }
      } else {
        return PlainError(absl::StrCat(name, ": unknown field ", k));
      }
    }
    elements.push_back(std::move(element));
  }
  VOUCH_ASSIGN_OR_RETURN(passport::SealedPassport sealed,
                         passport::SealPassportData(key, elements, nonce, options));
  VOUCH_RETURN_IF_ERROR(MakePrivateDir(args.out_dir));
  const fs::path out_dir(args.out_dir);
  for (const auto& [file_id, bytes] : sealed.encrypted_files_by_file_id) {
    if (!SafeFileName(file_id)) return IoError("file_id is not a file name");
    VOUCH_RETURN_IF_ERROR(WriteOutputFile(out_dir / file_id, bytes));
  }
  VOUCH_RETURN_IF_ERROR(WriteOutputFile(out_dir / "passport_data.json", sealed.passport_data_json));
  std::cout << sealed.passport_data_json << std::endl;
  return absl::OkStatus();
}

// --- keygen ----------------------------------------------------------------

absl::Status RunKeygen(const std::string& out, int bits) {
  VOUCH_ASSIGN_OR_RETURN(passport::ProviderKey key, passport::GenerateProviderKey(bits));
  // Never overwrite: an existing key may be registered with @BotFather.
  VOUCH_RETURN_IF_ERROR(WriteOutputFile(out, key.private_key_pem.view(), /*exclusive=*/true));
  std::cout << key.public_key_pem << std::flush;
  return absl::OkStatus();
}

}  // namespace

void AddPassportCommands(CLI::App& app, int& exit_code) {
  CLI::App* group =
      app.add_subcommand("passport", "Telegram Passport tools: decrypt, seal, keygen");
  group->require_subcommand(1);

  auto decrypt_args = std::make_shared<DecryptArgs>();
  CLI::App* decrypt = group->add_subcommand(
      "decrypt",
      "Decrypt a Bot API PassportData (or Message/Update) and print the result "
      "document as JSON");
  decrypt->add_option("--key", decrypt_args->key, "provider private key (PEM, PKCS#1 or PKCS#8)")
      ->required();
  decrypt
      ->add_option("--passport-data", decrypt_args->passport_data,
                   "PassportData, Message or Update JSON file")
      ->required();
  decrypt->add_option("--files-dir", decrypt_args->files_dir,
                      "folder with encrypted files named by file_id");
  decrypt->add_option("--nonce", decrypt_args->nonce, "expected nonce (not checked when absent)");
  decrypt->add_option("--out-dir", decrypt_args->out_dir, "write decrypted files here (mode 0600)");
  decrypt->callback([decrypt_args, &exit_code] {
    absl::Status status = RunDecrypt(*decrypt_args);
    exit_code = status.ok() ? 0 : FailWithCategory(status);
  });

  auto seal_args = std::make_shared<SealArgs>();
  CLI::App* seal = group->add_subcommand(
      "seal",
      "Encrypt plaintext elements and scans like a Telegram app: writes "
      "passport_data.json and encrypted files (named by file_id) to --out-dir");
  seal->add_option("--public-key", seal_args->public_key, "provider public key (SPKI PEM)")
      ->required();
  seal->add_option("--in", seal_args->in, "PLAIN.json (see docs/passport.md)")->required();
  seal->add_option("--files-dir", seal_args->files_dir,
                   "folder the file names in PLAIN.json are relative to")
      ->required();
  seal->add_option("--out-dir", seal_args->out_dir, "output folder")->required();
  seal->callback([seal_args, &exit_code] {
    absl::Status status = RunSeal(*seal_args);
    exit_code = status.ok() ? 0 : FailWithCategory(status);
  });

  auto keygen_out = std::make_shared<std::string>();
  auto keygen_bits = std::make_shared<int>(2048);
  CLI::App* keygen =
      group->add_subcommand("keygen",
                            "Generate a provider RSA key (PKCS#8, mode 0600) and print its SPKI "
                            "public key PEM for @BotFather /setpublickey");
  keygen->add_option("--out", *keygen_out, "private key file to create")->required();
  keygen->add_option("--bits", *keygen_bits, "RSA key size")
      ->check(CLI::Range(2048, 4096))
      ->capture_default_str();
  keygen->callback([keygen_out, keygen_bits, &exit_code] {
    absl::Status status = RunKeygen(*keygen_out, *keygen_bits);
    exit_code = status.ok() ? 0 : FailWithCategory(status);
  });
}

}  // namespace vouch::verifier::cli
