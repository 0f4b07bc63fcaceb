#include "submit_commands.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "client_options.h"
#include "command_helpers.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "nlohmann/json.hpp"
#include "vouch/v1/verification.grpc.pb.h"

namespace vouch::verifier::cli {
namespace {

struct SubmitArgs {
  ClientOptions client;
  std::string passport_data;
  std::string files_dir;
  std::string nonce;
  std::string policy;
  std::string aud;
  std::string holder_jwk;
  std::string service;
  std::string idempotency_key;
  int64_t user_id = 0;
  bool async = false;
  bool wait = false;
  bool json = false;
  double timeout_seconds = 120;
};

constexpr size_t kMaxInputBytes = 64 << 20;

// The file_ids a PassportData (or a Message/Update holding one) references.
absl::StatusOr<std::set<std::string>> ReferencedFileIds(const std::string& json_text) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("--passport-data is not a JSON object");
  }
  if (j.contains("message") && j["message"].is_object()) j = j["message"];
  if (j.contains("passport_data") && j["passport_data"].is_object()) j = j["passport_data"];
  if (!j.contains("data") || !j["data"].is_array()) {
    return absl::InvalidArgumentError("--passport-data has no PassportData.data array");
  }
  std::set<std::string> ids;
  const auto add = [&ids](const nlohmann::json& f) {
    if (f.is_object() && f.contains("file_id") && f["file_id"].is_string()) {
      ids.insert(f["file_id"].get<std::string>());
    }
  };
  for (const nlohmann::json& e : j["data"]) {
    if (!e.is_object()) continue;
    for (const char* key : {"front_side", "reverse_side", "selfie"}) {
      if (e.contains(key)) add(e[key]);
    }
    for (const char* key : {"files", "translation"}) {
      if (e.contains(key) && e[key].is_array()) {
        for (const nlohmann::json& f : e[key]) add(f);
      }
    }
  }
  return ids;
}

absl::StatusOr<v1::VerifyRequest> BuildRequest(const SubmitArgs& a) {
  v1::VerifyRequest r;
  absl::StatusOr<std::string> json = ReadFile(a.passport_data, kMaxInputBytes);
  if (!json.ok()) return json.status();
  absl::StatusOr<std::set<std::string>> ids = ReferencedFileIds(*json);
  if (!ids.ok()) return ids.status();
  for (const std::string& id : *ids) {
    if (id.find('/') != std::string::npos || id == "." || id == "..") {
      return absl::InvalidArgumentError(absl::StrCat("file_id ", id, " is not a file name"));
    }
    const std::string path = (std::filesystem::path(a.files_dir) / id).string();
    absl::StatusOr<std::string> bytes = ReadFile(path, kMaxInputBytes);
    if (!bytes.ok()) {
      return absl::NotFoundError(absl::StrCat("no file for file_id ", id, " in ", a.files_dir));
    }
    v1::EncryptedFile* f = r.add_files();
    f->set_file_id(id);
    f->set_content(*std::move(bytes));
  }
  r.set_passport_data_json(*std::move(json));
  r.set_nonce(a.nonce);
  r.set_policy(a.policy);
  r.set_telegram_user_id(a.user_id);
  r.set_idempotency_key(a.idempotency_key);
  // vouchd takes the relying service from the credentials; --service only
  // states it (a different one is refused).
  r.set_relying_service(a.service);
  if (!a.holder_jwk.empty()) {
    absl::StatusOr<std::string> jwk = ReadFile(a.holder_jwk, kMaxInputBytes);
    if (!jwk.ok()) return jwk.status();
    r.mutable_attestation()->mutable_wallet()->set_holder_jwk_json(*jwk);
  } else if (!a.aud.empty()) {
    r.mutable_attestation()->mutable_direct()->set_audience(a.aud);
  }
  return r;
}

int FailWithCode(const absl::Status& status) {
  return Fail(status, absl::StatusCodeToString(status.code()));
}

void Print(const v1::VerificationResult& r, bool json) {
  if (json) {
    std::string out;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(r, &out, options);
    std::cout << out << "\n";
    return;
  }
  std::cout << "verification " << r.verification_id() << "\n"
            << "state        " << v1::VerificationState_Name(r.state()) << "\n"
            << "decision     " << v1::Decision_Name(r.decision()) << "\n"
            << "policy       " << r.policy() << "\n";
  if (r.has_error()) {
    std::cout << "error        " << r.error().code() << ": " << r.error().message() << "\n";
  }
  if (r.checks_size() > 0) std::cout << "checks:\n";
  for (const v1::Check& c : r.checks()) {
    std::string outcome = v1::CheckOutcome_Name(c.outcome());
    outcome = outcome.substr(std::string("CHECK_OUTCOME_").size());
    std::cout << "  " << outcome << std::string(8 - std::min<size_t>(7, outcome.size()), ' ')
              << c.name() << " [" << c.element() << "] score=" << c.score()
              << " threshold=" << c.threshold() << (c.reason().empty() ? "" : " reason=")
              << c.reason() << "\n";
  }
  if (r.errors_size() > 0) {
    std::cout << "errors (setPassportDataErrors):\n  " << r.errors_json() << "\n";
  }
  if (r.has_attestation()) {
    std::cout << "attestation  " << r.attestation().attestation_id() << " ("
              << r.attestation().format() << ", kid " << r.attestation().kid() << ")\n"
              << r.attestation().sd_jwt() << "\n";
  }
}

int Run(const SubmitArgs& a) {
  absl::StatusOr<v1::VerifyRequest> request = BuildRequest(a);
  if (!request.ok()) return FailWithCode(request.status());
  absl::StatusOr<ClientOptions> client = ResolveClientOptions(a.client);
  if (!client.ok()) return FailWithCode(client.status());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      Dial(*client, static_cast<int>(kMaxInputBytes * 2));
  if (!channel.ok()) return FailWithCode(channel.status());
  auto stub = v1::Verification::NewStub(*channel);
  const auto deadline = std::chrono::system_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(a.timeout_seconds * 1000));
  if (!a.async) {
    grpc::ClientContext context;
    context.set_deadline(deadline);
    Attach(context, *client);
    v1::VerificationResult result;
    const grpc::Status status = stub->Verify(&context, *request, &result);
    if (!status.ok()) return FailRpc(status);
    Print(result, a.json);
    return 0;
  }
  grpc::ClientContext context;
  context.set_deadline(deadline);
  Attach(context, *client);
  v1::SubmitResponse submitted;
  grpc::Status status = stub->Submit(&context, *request, &submitted);
  if (!status.ok()) return FailRpc(status);
  if (!a.wait) {
    if (a.json) {
      std::cout << nlohmann::json{{"verification_id", submitted.verification_id()},
                                  {"state", v1::VerificationState_Name(submitted.state())},
                                  {"deduplicated", submitted.deduplicated()}}
                       .dump()
                << "\n";
    } else {
      std::cout << "submitted " << submitted.verification_id()
                << (submitted.deduplicated() ? " (deduplicated)" : "") << "\n";
    }
    return 0;
  }
  grpc::ClientContext watch_context;
  watch_context.set_deadline(deadline);
  Attach(watch_context, *client);
  v1::WatchVerificationRequest watch;
  watch.set_verification_id(submitted.verification_id());
  auto reader = stub->WatchVerification(&watch_context, watch);
  v1::VerificationResult update, last;
  while (reader->Read(&update)) {
    last = update;
    if (!a.json) {
      std::cerr << "state " << v1::VerificationState_Name(update.state()) << "\n";
    }
  }
  status = reader->Finish();
  if (!status.ok()) return FailRpc(status);
  Print(last, a.json);
  return 0;
}

}  // namespace

void AddSubmitCommands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<SubmitArgs>();
  CLI::App* submit = app.add_subcommand(
      "submit", "Send a sealed Telegram Passport submission to vouchd and print the result");
  AddClientOptions(*submit, a->client);
  submit
      ->add_option("--passport-data", a->passport_data,
                   "Bot API PassportData JSON (or a Message/Update containing it)")
      ->required();
  submit
      ->add_option("--files-dir", a->files_dir,
                   "folder with the encrypted files, each named by its file_id")
      ->required();
  submit->add_option("--nonce", a->nonce, "the nonce of the Passport request")->required();
  submit->add_option("--policy", a->policy, "policy name (default: \"default\")");
  auto* aud = submit->add_option("--aud", a->aud, "direct mode: the relying service audience");
  auto* jwk = submit->add_option("--holder-jwk", a->holder_jwk,
                                 "wallet mode: file with the holder's public JWK");
  aud->excludes(jwk);
  submit->add_option("--service", a->service,
                     "relying service name (default: the authenticated service)");
  submit->add_option("--user-id", a->user_id, "Telegram user id (Message.from.id)")->default_val(1);
  submit->add_option("--idempotency-key", a->idempotency_key, "makes retries safe");
  auto* async = submit->add_flag("--async", a->async, "Submit instead of Verify");
  submit->add_flag("--wait", a->wait, "with --async: watch until complete")->needs(async);
  submit->add_flag("--json", a->json, "print the VerificationResult as JSON");
  submit->add_option("--timeout", a->timeout_seconds, "seconds")->capture_default_str();
  submit->callback([a, &exit_code] { exit_code = Run(*a); });
}

}  // namespace vouch::verifier::cli
