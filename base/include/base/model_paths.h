#ifndef VOUCH_BASE_MODEL_PATHS_H_
#define VOUCH_BASE_MODEL_PATHS_H_

// Where vouch's model files are: one resolution shared by vouchd, vouchctl
// and the benchmarks, so a binary started from any directory either finds
// its models or says loudly what it looked for.
//
// Candidates, first match wins:
//   1. an explicit flag (--models-dir),
//   2. a config key ([server] models_dir),
//   3. the VOUCH_MODELS_DIR environment variable,
//   4. the installed layout relative to the running executable
//      (<prefix>/bin/X -> <prefix>/share/vouch/models, via /proc/self/exe),
//   5. the source tree's models/ when the executable is inside the build tree
//      it was built in (a development build).
// The explicit ones (1-3) are taken as given, existing or not (a typo must
// not silently pick another folder); 4 and 5 only when the folder exists.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vouch {

// Model components and their files, relative to the models directory.
enum class ModelComponent {
  kMrz,   // mrz/ocrb_glyphs.bin and mrz/tesseract/mrz.traineddata
  kFace,  // face/fr_detect.onnx, face/fr_landmark.onnx, face/fr_feature.onnx
};

// "mrz" or "face" (the names the config and --allow-missing-models use).
absl::string_view ModelComponentName(ModelComponent component);
// Errors: kInvalidArgument for another name.
absl::StatusOr<ModelComponent> ParseModelComponent(absl::string_view name);

// The files of `component`, relative to the models directory.
std::vector<std::string> ModelFiles(ModelComponent component);

inline constexpr char kMrzGlyphModel[] = "mrz/ocrb_glyphs.bin";
inline constexpr char kMrzTesseractDir[] = "mrz/tesseract";
inline constexpr char kMrzTesseractLanguage[] = "mrz";
inline constexpr char kFaceModelDir[] = "face";

// The inputs of the resolution. Empty strings are "not given".
struct ModelsDirInputs {
  std::string flag;         // --models-dir
  std::string config;       // [server] models_dir
  std::string environment;  // $VOUCH_MODELS_DIR
  // The running executable's path (/proc/self/exe). Empty: candidates 4 and
  // 5 are skipped.
  std::string executable;
  // Set by the build (see base/CMakeLists.txt): the install layout's models
  // folder relative to the executable's folder, the build tree the binaries
  // were built in, and the source tree's models folder.
  std::string installed_relative;
  std::string build_tree;
  std::string source_models;
};

// The chosen folder, where it came from ("--models-dir", "config",
// "VOUCH_MODELS_DIR", "installed", "source tree"), and every candidate
// looked at, in order, as "source: path" lines for logs and errors.
struct ModelsDir {
  std::string path;
  std::string source;
  std::vector<std::string> searched;
};

// The inputs for this process: `flag` and `config` as given, the
// environment variable, /proc/self/exe and the build's paths.
ModelsDirInputs DefaultModelsDirInputs(absl::string_view flag, absl::string_view config);

// Picks the models folder. Errors: kNotFound when no candidate applies; the
// message lists every path searched and how to set one.
absl::StatusOr<ModelsDir> ResolveModelsDir(const ModelsDirInputs& inputs);

// Checks that every file of `components` is a readable, non-empty regular
// file under `dir`. Errors: kNotFound naming each missing file, the folder's
// source, the paths searched, and the fixes (install the models, point
// --models-dir / VOUCH_MODELS_DIR at them, or allow running without).
absl::Status CheckModelFiles(const ModelsDir& dir, const std::vector<ModelComponent>& components);

// "path (source)" for a start-up log line.
std::string DescribeModelsDir(const ModelsDir& dir);

}  // namespace vouch

#endif  // VOUCH_BASE_MODEL_PATHS_H_
