#include "client_options.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "auth/auth_config.h"
#include "base/config_text.h"
#include "base/status_macros.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

// toml++ throws unless told otherwise (as in pipeline/policy.cc).
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

namespace vouch::verifier::cli {
namespace {

constexpr int64_t kMaxSmallFile = 1 << 20;

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, const char* what) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("cannot read the ", what, " ", path));
  if (size > static_cast<uintmax_t>(kMaxSmallFile)) {
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " ", path, " is over 1 MiB"));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return absl::NotFoundError(absl::StrCat("cannot read the ", what, " ", path));
  }
  return out.str();
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

void Fill(std::string& field, const std::string& value) {
  if (field.empty()) field = value;
}

std::string DefaultConfigPath() {
  std::string base = Env("XDG_CONFIG_HOME");
  if (base.empty()) {
    const std::string home = Env("HOME");
    if (home.empty()) return "";
    base = home + "/.config";
  }
  return base + "/vouch/vouchctl.toml";
}

absl::Status ApplyConfigFile(const std::string& path, bool required, ClientOptions& o) {
  std::error_code ec;
  if (!required && !std::filesystem::exists(path, ec)) return absl::OkStatus();
  absl::StatusOr<std::string> text = ReadSmallFile(path, "client config");
  if (!text.ok()) return text.status();
  VOUCH_RETURN_IF_ERROR(CheckAsciiConfig(*text, path));
  toml::parse_result parsed = toml::parse(std::string_view(*text));
  if (!parsed) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": line ",
                                                   parsed.error().source().begin.line, ": ",
                                                   std::string(parsed.error().description())));
  }
  for (const auto& [key_node, value] : parsed.table()) {
    const std::string key(key_node.str());
    std::string* field = nullptr;
    if (key == "server") field = &o.server;
    if (key == "tls") field = &o.tls;
    if (key == "ca") field = &o.ca_file;
    if (key == "cert") field = &o.cert_file;
    if (key == "key") field = &o.key_file;
    if (key == "token_file") field = &o.token_file;
    if (key == "token") field = &o.token;
    if (key == "server_name") field = &o.server_name;
    if (field == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": unknown key ", key));
    }
    if (!value.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", key, " must be a string"));
    }
    Fill(*field, *value.value<std::string>());
  }
  return absl::OkStatus();
}

}  // namespace

void AddClientOptions(CLI::App& cmd, ClientOptions& o) {
  cmd.add_option("--server", o.server,
                 "vouchd address HOST:PORT (env VOUCH_SERVER; default 127.0.0.1:50051)");
  cmd.add_option("--tls", o.tls,
                 "auto|on|off (env VOUCH_TLS; auto: TLS unless loopback without --ca/--cert)")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  cmd.add_option("--ca", o.ca_file, "PEM CA bundle that signed vouchd's certificate (VOUCH_CA)");
  cmd.add_option("--cert", o.cert_file, "client certificate PEM for mutual TLS (VOUCH_CERT)");
  cmd.add_option("--key", o.key_file, "client private key PEM (VOUCH_KEY)");
  cmd.add_option("--token-file", o.token_file,
                 "file with the bearer token (VOUCH_TOKEN_FILE; or the token in VOUCH_TOKEN)");
  cmd.add_option("--server-name", o.server_name,
                 "TLS name to verify instead of the host (VOUCH_SERVER_NAME)");
  cmd.add_option(
      "--client-config", o.config_file,
      "vouchctl TOML config (VOUCH_CLIENT_CONFIG; default ~/.config/vouch/vouchctl.toml)");
}

absl::StatusOr<ClientOptions> ResolveClientOptions(const ClientOptions& flags) {
  ClientOptions o = flags;
  Fill(o.server, Env("VOUCH_SERVER"));
  Fill(o.tls, Env("VOUCH_TLS"));
  Fill(o.ca_file, Env("VOUCH_CA"));
  Fill(o.cert_file, Env("VOUCH_CERT"));
  Fill(o.key_file, Env("VOUCH_KEY"));
  Fill(o.token_file, Env("VOUCH_TOKEN_FILE"));
  if (o.token_file.empty()) Fill(o.token, Env("VOUCH_TOKEN"));
  Fill(o.server_name, Env("VOUCH_SERVER_NAME"));
  Fill(o.config_file, Env("VOUCH_CLIENT_CONFIG"));
  if (!o.config_file.empty()) {
    if (absl::Status s = ApplyConfigFile(o.config_file, true, o); !s.ok()) return s;
  } else if (const std::string path = DefaultConfigPath(); !path.empty()) {
    if (absl::Status s = ApplyConfigFile(path, false, o); !s.ok()) return s;
  }
  Fill(o.server, "127.0.0.1:50051");
  Fill(o.tls, "auto");
  if (o.tls != "auto" && o.tls != "on" && o.tls != "off") {
    return absl::InvalidArgumentError("tls must be auto, on or off");
  }
  if (o.cert_file.empty() != o.key_file.empty()) {
    return absl::InvalidArgumentError("--cert and --key go together");
  }
  if (o.tls == "auto") {
    o.tls = verifier::auth::IsLoopbackAddress(o.server) && o.ca_file.empty() && o.cert_file.empty()
                ? "off"
                : "on";
  }
  if (o.tls == "off" && !verifier::auth::IsLoopbackAddress(o.server)) {
    return absl::InvalidArgumentError(absl::StrCat("refusing plaintext to ", o.server,
                                                   ": only loopback addresses may go without TLS"));
  }
  if (o.tls == "off" && !o.cert_file.empty()) {
    return absl::InvalidArgumentError("a client certificate needs TLS (--tls on)");
  }
  if (!o.token_file.empty()) {
    absl::StatusOr<std::string> token = ReadSmallFile(o.token_file, "token file");
    if (!token.ok()) return token.status();
    o.token = std::string(absl::StripAsciiWhitespace(*token));
    if (o.token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("the token file ", o.token_file, " is empty"));
    }
  }
  if (o.token.size() > 512 || o.token.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("the token is malformed");
  }
  return o;
}

namespace {
bool Resolved(const ClientOptions& o) { return o.tls == "on" || o.tls == "off"; }

// The address and transport of the last Dial, for PrintRpcError's hint (a
// command talks to one vouchd).
std::string& LastDialed() {
  static std::string* const dialed = new std::string();
  return *dialed;
}
}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> Dial(const ClientOptions& options,
                                                    int max_send_bytes, int max_receive_bytes) {
  if (!Resolved(options)) {
    // Flags as parsed: resolve here (Attach does the same).
    absl::StatusOr<ClientOptions> resolved = ResolveClientOptions(options);
    if (!resolved.ok()) return resolved.status();
    return Dial(*resolved, max_send_bytes, max_receive_bytes);
  }
  const ClientOptions& o = options;
  LastDialed() = absl::StrCat(o.server, o.tls == "off" ? " (plaintext)" : " (TLS)");
  grpc::ChannelArguments args;
  if (max_send_bytes > 0) args.SetMaxSendMessageSize(max_send_bytes);
  args.SetMaxReceiveMessageSize(max_receive_bytes);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (o.tls == "off") {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    if (!o.ca_file.empty()) {
      absl::StatusOr<std::string> ca = ReadSmallFile(o.ca_file, "CA file");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!o.cert_file.empty()) {
      absl::StatusOr<std::string> cert = ReadSmallFile(o.cert_file, "client certificate");
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadSmallFile(o.key_file, "client key");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
    if (!o.server_name.empty()) args.SetSslTargetNameOverride(o.server_name);
  }
  return grpc::CreateCustomChannel(o.server, credentials, args);
}

void Attach(grpc::ClientContext& context, const ClientOptions& options) {
  std::string token = options.token;
  if (!Resolved(options)) {
    // Dial already reported any problem with these options.
    absl::StatusOr<ClientOptions> resolved = ResolveClientOptions(options);
    token = resolved.ok() ? resolved->token : "";
  }
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
}

std::string RpcErrorReason(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "";
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

void PrintRpcError(const grpc::Status& status) {
  static const char* const kCodes[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int code = status.error_code();
  const std::string reason = RpcErrorReason(status);
  std::cerr << "error: " << (code >= 0 && code <= 16 ? kCodes[code] : "UNKNOWN") << ": "
            << (reason.empty() ? "" : reason + ": ");
  if (code == grpc::StatusCode::UNAVAILABLE && reason.empty() && !LastDialed().empty()) {
    // A transport failure: say where we tried and what usually fixes it.
    std::cerr << "cannot reach vouchd at " << LastDialed() << ": " << status.error_message()
              << " (is vouchd running there? check --server / VOUCH_SERVER; for TLS --tls, "
                 "--ca and --server-name; a plaintext vouchd needs --tls off)\n";
    return;
  }
  std::cerr << status.error_message() << "\n";
}

}  // namespace vouch::verifier::cli
