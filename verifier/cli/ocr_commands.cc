#include "ocr_commands.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/model_paths.h"
#include "nlohmann/json.hpp"
#include "ocr/image.h"
#include "ocr/mrz.h"
#include "ocr/mrz_reader.h"

namespace vouch::verifier::cli {
namespace {

struct OcrReadArgs {
  std::vector<std::string> images;
  bool json = false;
  std::string tessdata;
  std::string lang;  // Empty: the project's MRZ model when installed, else eng.
  std::string models;
};

// Reads at most `limit` + 1 bytes, so an oversized file is refused by the
// decoder's limit without being read whole.
absl::StatusOr<std::string> ReadFileBounded(const std::string& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot open file");
  std::string bytes(limit + 1, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) return absl::DataLossError("cannot read file");
  return bytes;
}

std::string DateOrRaw(const std::optional<absl::CivilDay>& day, const std::string& raw) {
  return day ? ocr::FormatIsoDate(*day) : raw;
}

nlohmann::json MrzJson(const ocr::MrzReadResult& r) {
  nlohmann::json j;
  j["verdict"] = std::string(ocr::MrzVerdictName(r.verdict));
  j["valid"] = r.verdict == ocr::MrzVerdict::kValid;
  j["confidence"] = r.confidence;
  nlohmann::json box = nlohmann::json::array();
  for (const cv::Point2f& p : r.box) box.push_back({p.x, p.y});
  j["box"] = box;
  j["reasons"] = r.reasons;
  if (!r.mrz) {
    j["type"] = nullptr;
    j["lines"] = nlohmann::json::array();
    return j;
  }
  const ocr::ParsedMrz& m = *r.mrz;
  const ocr::MrzFields& f = m.fields;
  j["type"] = std::string(ocr::MrzFormatName(m.format));
  j["lines"] = m.lines;
  nlohmann::json fields = {
      {"document_code", f.document_code},
      {"issuing_state", f.issuing_state},
      {"document_number", f.document_number},
      {"surname", f.surname},
      {"given_names", f.given_names},
      {"nationality", f.nationality},
      {"birth_date", DateOrRaw(r.birth_date, f.birth_date)},
      {"sex", f.sex},
      {"expiry_date", DateOrRaw(r.expiry_date, f.expiry_date)},
      {"optional_data", f.optional_data},
  };
  if (m.format == ocr::MrzFormat::kTd1) fields["optional_data_2"] = f.optional_data_2;
  if (r.birth_date_range.has_value()) {
    // A birth date printed partly unknown (fillers): the days it may be.
    fields["birth_date_range"] = {{"earliest", ocr::FormatIsoDate(r.birth_date_range->earliest)},
                                  {"latest", ocr::FormatIsoDate(r.birth_date_range->latest)}};
  }
  j["fields"] = fields;
  // Where the document follows its own national rules (names, an empty
  // expiry): the scheme's name, else null.
  j["national_scheme"] = m.national_scheme != nullptr
                             ? nlohmann::json(std::string(m.national_scheme->name))
                             : nlohmann::json(nullptr);
  nlohmann::json checks = nlohmann::json::object();
  for (const ocr::MrzCheckResult& c : m.checks) {
    checks[std::string(ocr::MrzCheckName(c.check))] = c.passed;
  }
  j["checks"] = checks;
  j["field_confidence"] = r.field_confidence;
  return j;
}

// The reader's options: the glyph model and, unless --tessdata or --lang
// choose another, the project's Tesseract MRZ model, from the models folder.
// Errors: kNotFound naming the missing file and every folder searched.
absl::StatusOr<ocr::MrzReaderOptions> MrzReaderOptionsFor(const OcrReadArgs& args) {
  absl::StatusOr<ModelsDir> dir = ResolveModelsDir(DefaultModelsDirInputs(args.models, ""));
  if (!dir.ok()) return dir.status();
  ocr::MrzReaderOptions options;
  options.tessdata_dir = args.tessdata;
  options.tesseract_language = args.lang;
  const bool own_tesseract = args.tessdata.empty() && args.lang.empty();
  if (own_tesseract) {
    absl::Status files = CheckModelFiles(*dir, {ModelComponent::kMrz});
    if (!files.ok()) return files;
    options.tessdata_dir = (std::filesystem::path(dir->path) / kMrzTesseractDir).string();
    options.tesseract_language = std::string(kMrzTesseractLanguage);
  }
  const std::filesystem::path glyphs = std::filesystem::path(dir->path) / kMrzGlyphModel;
  if (!std::filesystem::exists(glyphs)) {
    return absl::NotFoundError(absl::StrCat("missing model file ", glyphs.string(), " (from ",
                                            dir->source,
                                            "); give --models DIR or set "
                                            "VOUCH_MODELS_DIR"));
  }
  options.glyph_model = glyphs.string();
  return options;
}

void RunOcrRead(const OcrReadArgs& args, int& exit_code) {
  // The project's MRZ models, found like vouchd finds them (base/model_paths.h):
  // a missing model is an error, never a silently weaker reader.
  absl::StatusOr<ocr::MrzReaderOptions> options = MrzReaderOptionsFor(args);
  if (!options.ok()) {
    std::cerr << "error: " << options.status().message() << "\n";
    exit_code = 1;
    return;
  }
  absl::StatusOr<std::unique_ptr<ocr::MrzReader>> reader = ocr::MrzReader::Create(*options);
  if (!reader.ok()) {
    std::cerr << "error: " << reader.status().message() << "\n";
    exit_code = 1;
    return;
  }
  if (!args.json) {
    std::cout << absl::StrFormat("%-40s %-5s %-10s %5s %-12s %-30s %6s\n", "FILE", "TYPE",
                                 "VERDICT", "CONF", "DOC NO", "NAME", "MS");
  }
  const ocr::DecodeLimits limits;
  for (const std::string& path : args.images) {
    const auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<std::string> bytes = ReadFileBounded(path, limits.max_bytes);
    absl::StatusOr<ocr::DecodedImage> image =
        bytes.ok() ? ocr::DecodeImage(*bytes, limits)
                   : absl::StatusOr<ocr::DecodedImage>(bytes.status());
    absl::StatusOr<std::optional<ocr::MrzReadResult>> result =
        image.ok() ? (*reader)->Read(image->bgr)
                   : absl::StatusOr<std::optional<ocr::MrzReadResult>>(image.status());
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!result.ok()) {
      exit_code = 1;
      if (args.json) {
        nlohmann::json j = {{"file", path}, {"error", std::string(result.status().message())}};
        std::cout << j.dump() << "\n";
      } else {
        std::cout << absl::StrFormat("%-40s error: %s\n", path, result.status().message());
      }
      continue;
    }
    if (args.json) {
      nlohmann::json j;
      j["file"] = path;
      j["mrz"] = result->has_value() ? MrzJson(**result) : nlohmann::json(nullptr);
      j["ms"] = static_cast<int>(ms + 0.5);
      std::cout << j.dump() << "\n";
      continue;
    }
    if (!result->has_value()) {
      std::cout << absl::StrFormat("%-40s %-5s %-10s %5s %-12s %-30s %6.0f\n", path, "-", "no MRZ",
                                   "-", "-", "-", ms);
      continue;
    }
    const ocr::MrzReadResult& r = **result;
    std::string type = "-", number = "-", name = "-";
    if (r.mrz) {
      type = std::string(ocr::MrzFormatName(r.mrz->format));
      number = r.mrz->fields.document_number;
      name = r.mrz->fields.surname + ", " + r.mrz->fields.given_names;
    }
    std::cout << absl::StrFormat("%-40s %-5s %-10s %5.2f %-12s %-30s %6.0f\n", path, type,
                                 ocr::MrzVerdictName(r.verdict), r.confidence, number,
                                 name.substr(0, 30), ms);
    if (r.mrz) {
      for (const std::string& l : r.mrz->lines) std::cout << "    " << l << "\n";
    }
  }
}

}  // namespace

void AddOcrReadCommand(CLI::App& ocr, int& exit_code) {
  auto args = std::make_shared<OcrReadArgs>();
  CLI::App* read =
      ocr.add_subcommand("read", "Read the machine-readable zone of passport/ID/visa images");
  read->add_option("images", args->images, "image files (JPEG, PNG, WebP)")->required();
  read->add_flag("--json", args->json, "print JSON Lines, one per image");
  read->add_option("--tessdata", args->tessdata, "tessdata folder for the second recogniser");
  read->add_option("--lang", args->lang,
                   "tesseract language of the second recogniser (default: the project's MRZ "
                   "model when installed, else eng)");
  read->add_option("--models,--models-dir", args->models,
                   "models folder (default $VOUCH_MODELS_DIR, else PREFIX/share/vouch/models "
                   "beside an installed vouchctl, else the source tree's models/)");
  read->callback([args, &exit_code] { RunOcrRead(*args, exit_code); });
}

void AddOcrCommands(CLI::App& app, int& exit_code) {
  CLI::App* ocr = app.add_subcommand("ocr", "Local document OCR tools");
  ocr->require_subcommand(1);
  AddOcrReadCommand(*ocr, exit_code);
}

}  // namespace vouch::verifier::cli
