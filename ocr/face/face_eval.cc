#include "face/face_eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr::face_eval {
namespace {

constexpr double kFmr1e2 = 1e-2;
constexpr double kFmr1e3 = 1e-3;

absl::StatusOr<nlohmann::json> ReadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path.string()));
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(path.string(), " is not JSON"));
  }
  return j;
}

absl::Status AddPairs(const nlohmann::json& list,
                      const std::unordered_map<std::string, size_t>& index,
                      std::vector<std::pair<size_t, size_t>>& out) {
  if (!list.is_array()) return absl::InvalidArgumentError("pairs must be arrays");
  for (const nlohmann::json& p : list) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string()) {
      return absl::InvalidArgumentError("a pair must be [file, file]");
    }
    const auto a = index.find(p[0].get<std::string>());
    const auto b = index.find(p[1].get<std::string>());
    if (a == index.end() || b == index.end()) {
      return absl::InvalidArgumentError("a pair names a file not in manifest.json");
    }
    out.emplace_back(a->second, b->second);
  }
  return absl::OkStatus();
}

// Lowest threshold t among the impostor scores (and +inf) with
// FMR(t) <= target.
double ThresholdAtFmr(const std::vector<double>& impostor_sorted, double target) {
  // FMR(t) = share of impostors with score >= t. Allowed count of
  // impostors at or above t:
  const size_t n = impostor_sorted.size();
  const size_t allowed = static_cast<size_t>(target * static_cast<double>(n) + 1e-9);
  if (n == 0) return 0;
  // Threshold just above the (allowed+1)-th highest score.
  const size_t k = n - 1 - std::min(allowed, n - 1);  // Index of that score.
  if (allowed >= n) return impostor_sorted.front();
  return std::nextafter(impostor_sorted[k], 1e9);
}

bool IsGreyscale(const cv::Mat& bgr) {
  std::vector<cv::Mat> ch;
  cv::split(bgr, ch);
  return cv::countNonZero(ch[0] != ch[1]) == 0 && cv::countNonZero(ch[1] != ch[2]) == 0;
}

// Problems after which the face still has landmarks to align on.
bool Embeddable(FaceProblem p) {
  return p == FaceProblem::kNone || p == FaceProblem::kBlurred || p == FaceProblem::kTurned;
}

}  // namespace

absl::StatusOr<Corpus> LoadCorpus(const std::filesystem::path& dir) {
  absl::StatusOr<nlohmann::json> manifest = ReadJson(dir / "manifest.json");
  if (!manifest.ok()) return manifest.status();
  absl::StatusOr<nlohmann::json> pairs = ReadJson(dir / "pairs.json");
  if (!pairs.ok()) return pairs.status();
  if (!manifest->is_array()) {
    return absl::InvalidArgumentError("manifest.json must be an array");
  }
  Corpus corpus;
  corpus.dir = dir;
  std::unordered_map<std::string, size_t> index;
  for (const nlohmann::json& e : *manifest) {
    if (!e.is_object() || !e.contains("file") || !e["file"].is_string() ||
        !e.contains("identity") || !e["identity"].is_string()) {
      return absl::InvalidArgumentError("manifest.json entries need \"file\" and \"identity\"");
    }
    index[e["file"].get<std::string>()] = corpus.files.size();
    corpus.files.push_back(e["file"].get<std::string>());
    corpus.identities.push_back(e["identity"].get<std::string>());
  }
  if (!pairs->is_object() || !pairs->contains("genuine") || !pairs->contains("impostor")) {
    return absl::InvalidArgumentError("pairs.json needs \"genuine\" and \"impostor\"");
  }
  if (absl::Status s = AddPairs((*pairs)["genuine"], index, corpus.genuine); !s.ok()) {
    return s;
  }
  if (absl::Status s = AddPairs((*pairs)["impostor"], index, corpus.impostor); !s.ok()) {
    return s;
  }
  return corpus;
}

absl::StatusOr<ImageOutcome> RunImage(const cv::Mat& bgr, FaceModels& models,
                                      const FaceOptions& options) {
  ImageOutcome o;
  if (bgr.empty()) return o;
  o.decoded = true;
  o.greyscale = IsGreyscale(bgr);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<Face>> faces = models.Detect(bgr);
  if (!faces.ok()) return faces.status();
  o.detect_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  o.selection = SelectOneFace(*faces, options);
  if (Embeddable(o.selection.problem)) {
    absl::StatusOr<std::vector<float>> e = models.Embed(bgr, *o.selection.face);
    if (!e.ok()) return e.status();
    o.embedding = *std::move(e);
  }
  o.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return o;
}

absl::StatusOr<std::vector<ImageOutcome>> RunImages(const Corpus& corpus, FaceModels& models,
                                                    const FaceOptions& options) {
  std::vector<ImageOutcome> out;
  out.reserve(corpus.files.size());
  for (const std::string& file : corpus.files) {
    absl::StatusOr<ImageOutcome> o =
        RunImage(cv::imread((corpus.dir / file).string(), cv::IMREAD_COLOR), models, options);
    if (!o.ok()) return o.status();
    out.push_back(*std::move(o));
  }
  return out;
}

double FalseMatchRate(const std::vector<double>& impostor, double threshold) {
  if (impostor.empty()) return 0;
  const auto n =
      std::count_if(impostor.begin(), impostor.end(), [&](double s) { return s >= threshold; });
  return static_cast<double>(n) / static_cast<double>(impostor.size());
}

double FalseNonMatchRate(const std::vector<double>& genuine, double threshold) {
  if (genuine.empty()) return 0;
  const auto n =
      std::count_if(genuine.begin(), genuine.end(), [&](double s) { return s < threshold; });
  return static_cast<double>(n) / static_cast<double>(genuine.size());
}

Roc ComputeRoc(std::vector<double> genuine, std::vector<double> impostor) {
  Roc roc;
  roc.genuine_scored = genuine.size();
  roc.impostor_scored = impostor.size();
  if (genuine.empty() || impostor.empty()) return roc;
  std::sort(genuine.begin(), genuine.end());
  std::sort(impostor.begin(), impostor.end());
  // EER: scan every candidate threshold (each score), keep the one where
  // FMR and FNMR are closest, report their mean.
  std::vector<double> candidates = genuine;
  candidates.insert(candidates.end(), impostor.begin(), impostor.end());
  std::sort(candidates.begin(), candidates.end());
  double best_gap = 2;
  for (double t : candidates) {
    const double fnmr =
        static_cast<double>(std::lower_bound(genuine.begin(), genuine.end(), t) - genuine.begin()) /
        genuine.size();
    const double fmr = static_cast<double>(impostor.end() -
                                           std::lower_bound(impostor.begin(), impostor.end(), t)) /
                       impostor.size();
    if (std::fabs(fnmr - fmr) < best_gap) {
      best_gap = std::fabs(fnmr - fmr);
      roc.eer = (fnmr + fmr) / 2;
      roc.eer_threshold = t;
    }
  }
  roc.threshold_fmr_1e2 = ThresholdAtFmr(impostor, kFmr1e2);
  roc.fnmr_at_fmr_1e2 = FalseNonMatchRate(genuine, roc.threshold_fmr_1e2);
  roc.threshold_fmr_1e3 = ThresholdAtFmr(impostor, kFmr1e3);
  roc.fnmr_at_fmr_1e3 = FalseNonMatchRate(genuine, roc.threshold_fmr_1e3);
  return roc;
}

PairScores ScorePairs(const Corpus& corpus, const std::vector<ImageOutcome>& first,
                      const std::vector<ImageOutcome>& second, bool gated,
                      const std::function<bool(size_t, size_t)>& keep) {
  PairScores out;
  auto score = [&](const std::pair<size_t, size_t>& p, std::vector<double>& into) {
    if (keep && !keep(p.first, p.second)) return;
    const ImageOutcome& a = first[p.first];
    const ImageOutcome& b = second[p.second];
    if (a.embedding.empty() || b.embedding.empty()) return;
    if (gated && !(a.scored() && b.scored())) return;
    into.push_back(CosineSimilarity(a.embedding, b.embedding));
  };
  for (const auto& p : corpus.genuine) score(p, out.genuine);
  for (const auto& p : corpus.impostor) score(p, out.impostor);
  return out;
}

}  // namespace vouch::ocr::face_eval
