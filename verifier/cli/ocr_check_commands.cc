#include "ocr_check_commands.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/model_paths.h"
#include "base/status_macros.h"
#include "command_helpers.h"
#include "nlohmann/json.hpp"
#include "ocr/checks.h"
#include "ocr/face.h"
#include "ocr/image.h"

namespace vouch::verifier::cli {
namespace {

struct CheckArgs {
  std::string document;
  std::string back;
  std::string selfie;
  std::string face_models;  // Empty: face/ of the models folder (base/model_paths.h).
  bool licence = false;
  std::string type = "unknown";
  bool json = false;
};

absl::StatusOr<cv::Mat> Load(const std::string& path, std::string* encoded) {
  absl::StatusOr<std::string> bytes = ReadFile(path, ocr::DecodeLimits{}.max_bytes);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<ocr::DecodedImage> image = ocr::DecodeImage(*bytes);
  if (!image.ok()) {
    return absl::Status(image.status().code(), absl::StrCat(path, ": ", image.status().message()));
  }
  if (encoded != nullptr) *encoded = *std::move(bytes);
  return image->bgr;
}

nlohmann::json CheckJson(const ocr::CheckResult& c) {
  return {{"name", c.name},           {"score", c.score},
          {"threshold", c.threshold}, {"verdict", std::string(ocr::CheckVerdictName(c.verdict))},
          {"reason", c.reason},       {"source", std::string(ocr::TelegramSourceName(c.source))}};
}

std::string Day(const std::optional<absl::CivilDay>& d) {
  return d.has_value() ? absl::FormatCivilTime(*d) : std::string();
}

nlohmann::json ReportJson(const ocr::CheckReport& report, double ms) {
  nlohmann::json out;
  out["checks"] = nlohmann::json::array();
  for (const ocr::CheckResult& c : report.AllChecks()) {
    out["checks"].push_back(CheckJson(c));
  }
  if (report.faces.has_value()) {
    out["face_match"] = {
        {"similarity", report.faces->face_match.score},
        {"verdict", std::string(ocr::CheckVerdictName(report.faces->face_match.verdict))}};
  } else {
    out["face_match"] = nullptr;
  }
  if (report.barcode.has_value()) {
    nlohmann::json b = {
        {"verdict", std::string(ocr::CheckVerdictName(report.barcode->check.verdict))},
        {"rotation_deg", report.barcode->rotation_deg}};
    if (report.barcode->aamva.has_value()) {
      const ocr::AamvaRecord& a = *report.barcode->aamva;
      b["aamva"] = {{"issuer_id", a.issuer_id},
                    {"version", a.aamva_version},
                    {"subfile", a.subfile_type},
                    {"document_number", a.document_number},
                    {"family_name", a.family_name},
                    {"first_name", a.first_name},
                    {"date_of_birth", Day(a.date_of_birth)},
                    {"expiry_date", Day(a.expiry_date)},
                    {"sex", a.sex},
                    {"state", a.state},
                    {"country", a.country}};
    }
    out["barcode"] = b;
  } else {
    out["barcode"] = nullptr;
  }
  out["tamper_signals"] = nlohmann::json::array();
  for (const ocr::TamperSignal& s : report.front.tamper_signals) {
    out["tamper_signals"].push_back({{"name", s.name}, {"score", s.score}, {"detail", s.detail}});
  }
  out["perceptual_hash"] = absl::StrFormat("%016x", report.front.perceptual_hash);
  out["document_found"] = report.front.document.found;
  out["ms"] = static_cast<int64_t>(ms + 0.5);
  return out;
}

void PrintTable(const ocr::CheckReport& report, double ms) {
  std::printf("%-14s %-12s %9s %9s  %s\n", "check", "source", "score", "threshold",
              "verdict: reason");
  for (const ocr::CheckResult& c : report.AllChecks()) {
    std::printf("%-14s %-12s %9.3g %9.3g  %s: %s\n", c.name.c_str(),
                std::string(ocr::TelegramSourceName(c.source)).c_str(), c.score, c.threshold,
                std::string(ocr::CheckVerdictName(c.verdict)).c_str(), c.reason.c_str());
  }
  std::printf("\ntampering signals (advisory):\n");
  for (const ocr::TamperSignal& s : report.front.tamper_signals) {
    std::printf("  %-16s %.2f  %s\n", s.name.c_str(), s.score, s.detail.c_str());
  }
  std::printf("perceptual hash %016llx, %.0f ms\n",
              static_cast<unsigned long long>(report.front.perceptual_hash), ms);
}

int RunCheck(const CheckArgs& args) {
  // Usage errors first, before any file is read.
  ocr::CheckOptions options;
  options.barcode.required = args.licence;
  if (args.licence) options.document_type = ocr::DocumentType::kDriverLicense;
  if (args.type != "unknown") {
    absl::StatusOr<ocr::DocumentType> type = ocr::ParseDocumentType(args.type);
    if (!type.ok()) {
      std::cerr << "error: " << type.status().message() << "\n";
      return 2;
    }
    if (args.licence && *type != ocr::DocumentType::kDriverLicense) {
      std::cerr << "error: --licence contradicts --type " << args.type << "\n";
      return 2;
    }
    options.document_type = *type;
  }
  const auto start = std::chrono::steady_clock::now();
  ocr::CheckInput input;
  std::string front_bytes;
  absl::StatusOr<cv::Mat> front = Load(args.document, &front_bytes);
  if (!front.ok()) {
    std::cerr << "error: " << front.status().message() << "\n";
    return 1;
  }
  input.front = *front;
  input.front_encoded = front_bytes;
  if (!args.back.empty()) {
    absl::StatusOr<cv::Mat> back = Load(args.back, nullptr);
    if (!back.ok()) {
      std::cerr << "error: " << back.status().message() << "\n";
      return 1;
    }
    input.back = *back;
  }
  std::unique_ptr<ocr::FaceModels> models;
  if (!args.selfie.empty()) {
    absl::StatusOr<cv::Mat> selfie = Load(args.selfie, nullptr);
    if (!selfie.ok()) {
      std::cerr << "error: " << selfie.status().message() << "\n";
      return 1;
    }
    input.selfie = *selfie;
    // A selfie asks for a face match: without its models that is an error,
    // not a quiet "unavailable".
    absl::StatusOr<std::unique_ptr<ocr::FaceModels>> loaded = LoadFaceModels(args.face_models);
    if (!loaded.ok()) {
      std::cerr << "error: " << loaded.status().message() << "\n";
      return 1;
    }
    models = *std::move(loaded);
  }
  absl::StatusOr<ocr::CheckReport> report = ocr::RunChecks(input, models.get(), options);
  if (!report.ok()) {
    std::cerr << "error: " << report.status().message() << "\n";
    return 1;
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (args.json) {
    std::cout << ReportJson(*report, ms).dump(2) << "\n";
  } else {
    PrintTable(*report, ms);
  }
  return 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ocr::FaceModels>> LoadFaceModels(const std::string& flag) {
  std::string dir = flag;
  if (dir.empty()) {
    absl::StatusOr<ModelsDir> models = ResolveModelsDir(DefaultModelsDirInputs("", ""));
    if (!models.ok()) return models.status();
    VOUCH_RETURN_IF_ERROR(CheckModelFiles(*models, {ModelComponent::kFace}));
    dir = (std::filesystem::path(models->path) / kFaceModelDir).string();
  }
  absl::StatusOr<std::unique_ptr<ocr::FaceModels>> loaded = ocr::FaceModels::Load(dir);
  if (!loaded.ok()) {
    return absl::Status(loaded.status().code(),
                        absl::StrCat("face models in ", dir, ": ", loaded.status().message()));
  }
  return loaded;
}

void AddOcrCheckCommand(CLI::App& ocr, int& exit_code) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* check = ocr.add_subcommand(
      "check", "Image checks on a document photo: quality, faces, PDF417 barcode");
  check->add_option("--document", args->document, "Front side image")
      ->required()
      ->check(CLI::ExistingFile);
  check->add_option("--back", args->back, "Reverse side image (barcode)")->check(CLI::ExistingFile);
  check->add_option("--selfie", args->selfie, "Selfie image (face match)")
      ->check(CLI::ExistingFile);
  check->add_option("--face-models", args->face_models,
                    "Folder with the face models (models/face/install.sh; default: face/ of "
                    "$VOUCH_MODELS_DIR or of the installed or source-tree models folder)");
  check->add_flag("--licence", args->licence,
                  "The document is a driver licence: the back must carry a "
                  "readable PDF417 (else a missing barcode is 'unavailable')");
  check
      ->add_option("--type", args->type,
                   "Document type, for the zones glare and tampering look "
                   "at: td1, td2, td3, mrva, mrvb (the MRZ format), passport, "
                   "identity_card, driver_license")
      ->capture_default_str();
  check->add_flag("--json", args->json, "Print one JSON object");
  check->callback([args, &exit_code] { exit_code = RunCheck(*args); });
}

void AddOcrCheckCommands(CLI::App& app, int& exit_code) {
  CLI::App* ocr = nullptr;
  for (CLI::App* sub : app.get_subcommands([](CLI::App* s) { return s->get_name() == "ocr"; })) {
    ocr = sub;
  }
  if (ocr == nullptr) ocr = app.add_subcommand("ocr", "Local document OCR tools");
  ocr->require_subcommand(1);
  AddOcrCheckCommand(*ocr, exit_code);
}

}  // namespace vouch::verifier::cli
