#include "base/model_paths.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vouch {
namespace {

namespace fs = std::filesystem;

bool IsDirectory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

// True when `path` is `dir` or inside it (both made absolute and normal).
bool IsInside(const std::string& path, const std::string& dir) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(path, ec);
  if (ec) return false;
  const fs::path d = fs::weakly_canonical(dir, ec);
  if (ec) return false;
  auto pit = p.begin();
  for (auto dit = d.begin(); dit != d.end(); ++dit, ++pit) {
    if (dit->empty()) continue;  // The trailing "" of "a/b/".
    if (pit == p.end() || *pit != *dit) return false;
  }
  return true;
}

std::string Hint(ModelComponent component) {
  switch (component) {
    case ModelComponent::kMrz:
      return "the MRZ models ship in the source tree's models/mrz and are installed by "
             "`cmake --install` under share/vouch/models";
    case ModelComponent::kFace:
      return "install the face models with models/face/install.sh [DIR] (then `cmake "
             "--install` copies them under share/vouch/models)";
  }
  return "";
}

}  // namespace

absl::string_view ModelComponentName(ModelComponent component) {
  switch (component) {
    case ModelComponent::kMrz:
      return "mrz";
    case ModelComponent::kFace:
      return "face";
  }
  return "?";
}

absl::StatusOr<ModelComponent> ParseModelComponent(absl::string_view name) {
  if (name == "mrz") return ModelComponent::kMrz;
  if (name == "face") return ModelComponent::kFace;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown model component '", name, "' (known: mrz, face)"));
}

std::vector<std::string> ModelFiles(ModelComponent component) {
  switch (component) {
    case ModelComponent::kMrz:
      return {std::string(kMrzGlyphModel),
              absl::StrCat(kMrzTesseractDir, "/", kMrzTesseractLanguage, ".traineddata")};
    case ModelComponent::kFace:
      return {absl::StrCat(kFaceModelDir, "/fr_detect.onnx"),
              absl::StrCat(kFaceModelDir, "/fr_landmark.onnx"),
              absl::StrCat(kFaceModelDir, "/fr_feature.onnx")};
  }
  return {};
}

ModelsDirInputs DefaultModelsDirInputs(absl::string_view flag, absl::string_view config) {
  ModelsDirInputs in;
  in.flag = std::string(flag);
  in.config = std::string(config);
  if (const char* env = std::getenv("VOUCH_MODELS_DIR"); env != nullptr) in.environment = env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) in.executable = exe.string();
#ifdef VOUCH_INSTALLED_MODELS_RELATIVE
  in.installed_relative = VOUCH_INSTALLED_MODELS_RELATIVE;
#endif
#ifdef VOUCH_BUILD_TREE
  in.build_tree = VOUCH_BUILD_TREE;
#endif
#ifdef VOUCH_SOURCE_MODELS_DIR
  in.source_models = VOUCH_SOURCE_MODELS_DIR;
#endif
  return in;
}

absl::StatusOr<ModelsDir> ResolveModelsDir(const ModelsDirInputs& in) {
  ModelsDir out;
  const auto explicit_candidate = [&out](const std::string& path, const char* source) {
    out.searched.push_back(absl::StrCat(source, ": ", path.empty() ? "(not set)" : path));
    if (path.empty()) return false;
    out.path = path;
    out.source = source;
    return true;
  };
  if (explicit_candidate(in.flag, "--models-dir") ||
      explicit_candidate(in.config, "config models_dir") ||
      explicit_candidate(in.environment, "VOUCH_MODELS_DIR")) {
    return out;
  }
  if (!in.executable.empty() && !in.installed_relative.empty()) {
    const std::string installed =
        (fs::path(in.executable).parent_path() / in.installed_relative).lexically_normal().string();
    out.searched.push_back(absl::StrCat("installed: ", installed));
    if (IsDirectory(installed)) {
      out.path = installed;
      out.source = "installed";
      return out;
    }
  }
  if (!in.executable.empty() && !in.build_tree.empty() && !in.source_models.empty()) {
    if (IsInside(in.executable, in.build_tree)) {
      out.searched.push_back(absl::StrCat("source tree: ", in.source_models));
      if (IsDirectory(in.source_models)) {
        out.path = in.source_models;
        out.source = "source tree";
        return out;
      }
    } else {
      out.searched.push_back(absl::StrCat("source tree: (not used: ", in.executable,
                                          " is not in the build tree ", in.build_tree, ")"));
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "no models folder found; searched: ", absl::StrJoin(out.searched, "; "),
      ". Give --models-dir DIR or set VOUCH_MODELS_DIR (the folder holding mrz/ and face/)"));
}

absl::Status CheckModelFiles(const ModelsDir& dir, const std::vector<ModelComponent>& components) {
  std::vector<std::string> missing;
  std::vector<std::string> hints;
  for (ModelComponent component : components) {
    bool component_missing = false;
    for (const std::string& file : ModelFiles(component)) {
      const std::string path = (fs::path(dir.path) / file).string();
      std::error_code ec;
      const bool ok = fs::is_regular_file(path, ec) && fs::file_size(path, ec) > 0 && !ec &&
                      ::access(path.c_str(), R_OK) == 0;
      if (!ok) {
        missing.push_back(path);
        component_missing = true;
      }
    }
    if (component_missing) hints.push_back(Hint(component));
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat(
      "missing model file", missing.size() > 1 ? "s " : " ", absl::StrJoin(missing, ", "),
      " in the models folder ", dir.path, " (from ", dir.source,
      "; searched: ", absl::StrJoin(dir.searched, "; "), "). Fix: ", absl::StrJoin(hints, "; "),
      "; or point --models-dir / VOUCH_MODELS_DIR at a complete models folder"));
}

std::string DescribeModelsDir(const ModelsDir& dir) {
  return absl::StrCat(dir.path, " (", dir.source, ")");
}

}  // namespace vouch
