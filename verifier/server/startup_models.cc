#include "startup_models.h"

#include <algorithm>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "ocr/face.h"
#include "ocr/mrz_reader.h"

namespace vouch::verifier::server {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kAllowHint =
    " (to run without it anyway, face match then unavailable or the MRZ read with the "
    "generic OCR-B model on every verification: --allow-missing-models ";

// Loads the component's models once; the readers vouchd's workers make later
// load the same files.
absl::Status LoadOnce(const ModelsDir& dir, ModelComponent component) {
  const fs::path root(dir.path);
  switch (component) {
    case ModelComponent::kMrz: {
      ocr::MrzReaderOptions options;
      options.glyph_model = (root / kMrzGlyphModel).string();
      options.tessdata_dir = (root / kMrzTesseractDir).string();
      options.tesseract_language = std::string(kMrzTesseractLanguage);
      absl::StatusOr<std::unique_ptr<ocr::MrzReader>> reader = ocr::MrzReader::Create(options);
      if (!reader.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the MRZ models in ", root.string(), "/mrz do not load: ", reader.status().message()));
      }
      return absl::OkStatus();
    }
    case ModelComponent::kFace: {
      absl::StatusOr<std::unique_ptr<ocr::FaceModels>> faces =
          ocr::FaceModels::Load((root / kFaceModelDir).string());
      if (!faces.ok()) {
        return absl::FailedPreconditionError(
            absl::StrCat("the face models in ", (root / kFaceModelDir).string(),
                         " do not load: ", faces.status().message()));
      }
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unknown model component");
}

}  // namespace

absl::StatusOr<StartupModels> PrepareStartupModels(const StartupModelsOptions& options) {
  std::vector<ModelComponent> allowed;
  for (const std::string& name : options.allow_missing) {
    VOUCH_ASSIGN_OR_RETURN(ModelComponent c, ParseModelComponent(name));
    allowed.push_back(c);
  }
  const auto is_allowed = [&allowed](ModelComponent c) {
    return std::find(allowed.begin(), allowed.end(), c) != allowed.end();
  };
  StartupModels out;
  absl::StatusOr<ModelsDir> dir =
      ResolveModelsDir(DefaultModelsDirInputs(options.models_dir_flag, options.models_dir_config));
  if (!dir.ok()) {
    if (!is_allowed(ModelComponent::kMrz) || !is_allowed(ModelComponent::kFace)) {
      return dir.status();
    }
    out.missing_allowed = allowed;
    return out;
  }
  out.dir = *std::move(dir);
  for (ModelComponent c : {ModelComponent::kMrz, ModelComponent::kFace}) {
    absl::Status s = CheckModelFiles(out.dir, {c});
    if (s.ok()) s = LoadOnce(out.dir, c);
    if (s.ok()) {
      out.loaded.push_back(c);
    } else if (is_allowed(c)) {
      out.missing_allowed.push_back(c);
    } else {
      return absl::Status(s.code(),
                          absl::StrCat(s.message(), kAllowHint, ModelComponentName(c), ")"));
    }
  }
  return out;
}

}  // namespace vouch::verifier::server
