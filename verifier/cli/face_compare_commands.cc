#include "face_compare_commands.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "ocr/checks.h"
#include "ocr/face.h"
#include "ocr/face_gate.h"
#include "ocr/image.h"
#include "ocr_check_commands.h"
#include "pipeline/policy.h"

namespace vouch::verifier::cli {
namespace {

struct CompareArgs {
  std::string a;
  std::string b;
  std::string face_models;  // Empty: face/ of the models folder (LoadFaceModels).
  bool json = false;
};

// One photo's side of the comparison.
struct Side {
  std::string label;  // "first photo" / "second photo"
  std::string error;  // Set when the file is not a usable image.
  ocr::FaceSelection selection;
  std::vector<float> embedding;
};

absl::StatusOr<cv::Mat> LoadImage(const std::string& path) {
  const size_t limit = ocr::DecodeLimits{}.max_bytes;
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot be opened");
  std::string bytes(limit + 1, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  if (bytes.size() > limit) {
    return absl::ResourceExhaustedError(absl::StrCat("is larger than ", limit, " bytes"));
  }
  absl::StatusOr<ocr::DecodedImage> image = ocr::DecodeImage(bytes);
  if (!image.ok()) return image.status();
  return image->bgr;
}

// Detects, gates and embeds one photo. Errors only from the models.
absl::Status Examine(const std::string& path, ocr::FaceModels& models,
                     const ocr::FaceOptions& options, Side& side) {
  absl::StatusOr<cv::Mat> image = LoadImage(path);
  if (!image.ok()) {
    side.error =
        absl::StrCat("the ", side.label, " is not a usable image (", image.status().message(), ")");
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<ocr::Face>> faces = models.Detect(*image);
  if (!faces.ok()) return faces.status();
  side.selection = ocr::SelectOneFace(*faces, options);
  if (side.selection.problem != ocr::FaceProblem::kNone) return absl::OkStatus();
  absl::StatusOr<std::vector<float>> e = models.Embed(*image, *side.selection.face);
  if (!e.ok()) return e.status();
  side.embedding = *std::move(e);
  return absl::OkStatus();
}

std::string Reason(const Side& s) {
  if (!s.error.empty()) return s.error;
  return ocr::FaceProblemReason(s.selection.problem, absl::StrCat("in the ", s.label));
}

bool Usable(const Side& s) { return s.error.empty() && !s.embedding.empty(); }

nlohmann::json SideJson(const Side& s) {
  nlohmann::json j;
  j["usable"] = Usable(s);
  j["problem"] =
      s.error.empty() ? std::string(ocr::FaceProblemName(s.selection.problem)) : "not_an_image";
  j["reason"] = Reason(s);
  j["faces"] = s.selection.faces_counted;
  if (s.error.empty() && s.selection.face.has_value()) {
    const ocr::Face& f = *s.selection.face;
    j["box"] = {{"x", f.box.x}, {"y", f.box.y}, {"width", f.box.width}, {"height", f.box.height}};
    j["confidence"] = f.confidence;
    if (f.pose_known) {
      j["pose"] = {{"yaw_deg", f.yaw_deg}, {"pitch_deg", f.pitch_deg}, {"roll_deg", f.roll_deg}};
    } else {
      j["pose"] = nullptr;
    }
    j["sharpness"] = f.sharpness;
  } else {
    j["box"] = nullptr;
  }
  return j;
}

void PrintSide(const Side& s) {
  std::printf("%s: ", s.label.c_str());
  if (!s.error.empty() || !s.selection.face.has_value()) {
    std::printf("%s\n", Reason(s).c_str());
    return;
  }
  const ocr::Face& f = *s.selection.face;
  std::printf("face at %.0f,%.0f %.0fx%.0f px (confidence %.2f)", f.box.x, f.box.y, f.box.width,
              f.box.height, f.confidence);
  if (f.pose_known) {
    std::printf(", yaw %+.0f° pitch %+.0f° roll %+.0f°", f.yaw_deg, f.pitch_deg, f.roll_deg);
  }
  std::printf(", sharpness %.2f\n", f.sharpness);
  if (!Usable(s)) std::printf("  unusable: %s\n", Reason(s).c_str());
}

const char* VerdictOf(double similarity, const verifier::pipeline::CheckThreshold& t) {
  if (similarity >= t.pass) return "pass";
  if (similarity >= t.review) return "review";
  return "fail";
}

const char* Meaning(absl::string_view verdict) {
  if (verdict == "pass") return "the same person";
  if (verdict == "review") return "uncertain: a person would look";
  return "different people: the verification would be rejected";
}

int RunCompare(const CompareArgs& args) {
  const verifier::pipeline::Config config = verifier::pipeline::Config::Default();
  absl::StatusOr<const verifier::pipeline::Policy*> policy = config.FindPolicy("default");
  if (!policy.ok()) {
    std::cerr << "error: " << policy.status().message() << "\n";
    return 1;
  }
  const verifier::pipeline::CheckThreshold threshold = (*policy)->ThresholdFor("face_match");
  absl::StatusOr<std::unique_ptr<ocr::FaceModels>> models = LoadFaceModels(args.face_models);
  if (!models.ok()) {
    std::cerr << "error: " << models.status().message() << "\n";
    return 1;
  }
  const ocr::FaceOptions options;
  Side a{"first photo", "", {}, {}}, b{"second photo", "", {}, {}};
  for (auto [path, side] : {std::pair{&args.a, &a}, std::pair{&args.b, &b}}) {
    if (absl::Status s = Examine(*path, **models, options, *side); !s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      return 1;
    }
  }
  const bool compared = Usable(a) && Usable(b);
  std::optional<double> similarity;
  if (compared) similarity = ocr::CosineSimilarity(a.embedding, b.embedding);
  if (args.json) {
    nlohmann::json j;
    j["compared"] = compared;
    j["similarity"] = similarity.has_value() ? nlohmann::json(*similarity) : nullptr;
    j["verdict"] =
        similarity.has_value() ? nlohmann::json(VerdictOf(*similarity, threshold)) : nullptr;
    j["threshold"] = {{"pass", threshold.pass}, {"review", threshold.review}};
    j["first"] = SideJson(a);
    j["second"] = SideJson(b);
    std::cout << j.dump(2) << "\n";
  } else {
    PrintSide(a);
    PrintSide(b);
    if (similarity.has_value()) {
      const char* verdict = VerdictOf(*similarity, threshold);
      std::printf("similarity %.3f: %s (%s; default policy: pass >= %.3f, review >= %.3f)\n",
                  *similarity, verdict, Meaning(verdict), threshold.pass, threshold.review);
    } else {
      std::printf("not compared\n");
    }
  }
  if (!compared) {
    for (const Side* s : {&a, &b}) {
      if (!Usable(*s)) std::cerr << "error: " << Reason(*s) << "\n";
    }
    return 1;
  }
  return 0;
}

}  // namespace

void AddFaceCompareCommands(CLI::App& app, int& exit_code) {
  CLI::App* ocr = nullptr;
  for (CLI::App* sub : app.get_subcommands([](CLI::App* s) { return s->get_name() == "ocr"; })) {
    ocr = sub;
  }
  if (ocr == nullptr) ocr = app.add_subcommand("ocr", "Local document OCR tools");
  ocr->require_subcommand(1);
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = ocr->add_subcommand(
      "face-compare", "Compare the faces in two photos (one face each, no document search)");
  cmd->add_option("A", args->a, "First photo")->required()->check(CLI::ExistingFile);
  cmd->add_option("B", args->b, "Second photo")->required()->check(CLI::ExistingFile);
  cmd->add_option("--face-models", args->face_models,
                  "Folder with the face models (default: face/ of the models folder, as "
                  "vouchd finds it)");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args, &exit_code] { exit_code = RunCompare(*args); });
}

}  // namespace vouch::verifier::cli
