// document_face, selfie_face and face_match.

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ocr/checks.h"
#include "ocr/face.h"
#include "ocr/face_gate.h"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr {
namespace {

CheckResult Unavailable(absl::string_view name, TelegramSource source, std::string reason) {
  CheckResult r;
  r.name = std::string(name);
  r.verdict = CheckVerdict::kUnavailable;
  r.reason = std::move(reason);
  r.source = source;
  return r;
}

cv::Mat ToBgr(const cv::Mat& image) {
  if (image.channels() == 3) return image;
  cv::Mat bgr;
  cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR);
  return bgr;
}

// document_face / selfie_face: pass mark on the detector's confidence, and
// the score reported for a face sent to review.
constexpr double kFaceConfidencePass = 0.5;
constexpr double kReviewScore = 0.3;

struct FaceFinding {
  CheckResult check;
  std::optional<Face> face;  // Set when the check passed.
  FaceProblem problem = FaceProblem::kNoFace;
};

// Exactly one face of sufficient size, sharp and frontal (SelectOneFace).
// The score is the face's detector confidence when the face qualifies, 0
// otherwise. A turned or blurred face is sent to review (a person can still
// compare it); no face, several or a tiny one fail.
absl::StatusOr<FaceFinding> FindOneFace(FaceModels& models, const cv::Mat& bgr,
                                        absl::string_view name, TelegramSource source,
                                        const FaceOptions& options, absl::string_view where) {
  absl::StatusOr<std::vector<Face>> faces = models.Detect(bgr);
  if (!faces.ok()) return faces.status();
  const FaceSelection selection = SelectOneFace(*faces, options);
  FaceFinding out;
  out.problem = selection.problem;
  CheckResult& c = out.check;
  c.name = std::string(name);
  c.source = source;
  c.threshold = kFaceConfidencePass;
  c.reason = FaceProblemReason(selection.problem, where);
  switch (selection.problem) {
    case FaceProblem::kNone:
      c.score = selection.face->confidence;
      c.verdict = VerdictFor(c.score, Threshold{c.threshold, c.threshold});
      c.reason = "one frontal face";
      out.face = selection.face;
      break;
    case FaceProblem::kBlurred:
    case FaceProblem::kTurned:
      c.score = kReviewScore;
      c.verdict = CheckVerdict::kReview;
      break;
    default:
      c.verdict = CheckVerdict::kFail;
      break;
  }
  return out;
}

// The turns tried, in order, on a document photo with no usable upright
// portrait: the detector finds a face only near upright (a quarter-turned
// face is missed or read as turned).
constexpr cv::RotateFlags kDocumentTurns[] = {cv::ROTATE_180, cv::ROTATE_90_CLOCKWISE,
                                              cv::ROTATE_90_COUNTERCLOCKWISE};

// A document photographed upside down shows its portrait upside down, and
// the detector and landmark networks still place an upright face on it:
// the embedding is then of no use (genuine pairs score ~0 on docgen pages
// turned 180°, bench_checks --faces). When the match does not pass, the
// document is tried turned 180° as well, and the better similarity counts
// (an impostor gains at most a second draw; the FMR at the pass mark stays
// <= 1e-3, models/face/README.md). `embedding` becomes the turned
// portrait's when that one matches better. nullopt when the turned
// document has no single clear face.
absl::StatusOr<std::optional<double>> UpsideDownSimilarity(FaceModels& models,
                                                           const cv::Mat& doc_bgr,
                                                           const std::vector<float>& selfie,
                                                           const FaceOptions& options,
                                                           std::vector<float>& embedding) {
  cv::Mat turned;
  try {
    cv::rotate(doc_bgr, turned, cv::ROTATE_180);
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("face checks failed: ", e.what()));
  }
  absl::StatusOr<std::vector<Face>> faces = models.Detect(turned);
  if (!faces.ok()) return faces.status();
  const FaceSelection selection = SelectOneFace(*faces, options);
  if (selection.problem != FaceProblem::kNone) return std::nullopt;
  absl::StatusOr<std::vector<float>> e = models.Embed(turned, *selection.face);
  if (!e.ok()) return e.status();
  const double similarity = CosineSimilarity(*e, selfie);
  if (similarity > CosineSimilarity(embedding, selfie)) embedding = *std::move(e);
  return similarity;
}

}  // namespace

absl::StatusOr<FaceReport> RunFaceChecks(const cv::Mat& document, const cv::Mat& selfie,
                                         FaceModels* models, const FaceOptions& options) {
  for (const cv::Mat* m : {&document, &selfie}) {
    if (m->empty() || m->depth() != CV_8U || (m->channels() != 1 && m->channels() != 3)) {
      return absl::InvalidArgumentError("document and selfie must be non-empty 8-bit images");
    }
  }
  FaceReport report;
  if (models == nullptr) {
    const std::string why = "face models are not installed (models/face/install.sh)";
    report.document_face = Unavailable("document_face", TelegramSource::kFrontSide, why);
    report.selfie_face = Unavailable("selfie_face", TelegramSource::kSelfie, why);
    report.face_match = Unavailable("face_match", TelegramSource::kSelfie, why);
    report.face_match.threshold = options.match.pass;
    return report;
  }
  cv::Mat doc_bgr, selfie_bgr;
  try {
    doc_bgr = ToBgr(document);
    selfie_bgr = ToBgr(selfie);
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("face checks failed: ", e.what()));
  }
  absl::StatusOr<FaceFinding> doc = FindOneFace(
      *models, doc_bgr, "document_face", TelegramSource::kFrontSide, options, "on the document");
  if (!doc.ok()) return doc.status();
  // No usable portrait: the document may have been photographed upside
  // down (see UpsideDownSimilarity) or with the phone turned a quarter; the
  // first turned photo with one usable face counts.
  for (const cv::RotateFlags turn : kDocumentTurns) {
    if (doc->face.has_value()) break;
    cv::Mat turned;
    try {
      cv::rotate(doc_bgr, turned, turn);
    } catch (const cv::Exception& e) {
      return absl::InternalError(absl::StrCat("face checks failed: ", e.what()));
    }
    absl::StatusOr<FaceFinding> retry = FindOneFace(
        *models, turned, "document_face", TelegramSource::kFrontSide, options, "on the document");
    if (!retry.ok()) return retry.status();
    if (retry->face.has_value()) {
      doc = *std::move(retry);
      doc_bgr = turned;
    }
  }
  absl::StatusOr<FaceFinding> self = FindOneFace(*models, selfie_bgr, "selfie_face",
                                                 TelegramSource::kSelfie, options, "in the selfie");
  if (!self.ok()) return self.status();
  report.document_face = doc->check;
  report.selfie_face = self->check;
  report.document_problem = std::string(FaceProblemName(doc->problem));
  report.selfie_problem = std::string(FaceProblemName(self->problem));

  if (doc->face.has_value()) {
    absl::StatusOr<std::vector<float>> e = models->Embed(doc_bgr, *doc->face);
    if (!e.ok()) return e.status();
    report.document_embedding = *std::move(e);
  }
  if (self->face.has_value()) {
    absl::StatusOr<std::vector<float>> e = models->Embed(selfie_bgr, *self->face);
    if (!e.ok()) return e.status();
    report.selfie_embedding = *std::move(e);
  }
  CheckResult& m = report.face_match;
  m.name = "face_match";
  m.source = TelegramSource::kSelfie;
  m.threshold = options.match.pass;
  if (report.document_embedding.empty() || report.selfie_embedding.empty()) {
    m.verdict = CheckVerdict::kUnavailable;
    m.reason = "no single clear face on both the document and the selfie";
    return report;
  }
  m.score = CosineSimilarity(report.document_embedding, report.selfie_embedding);
  if (m.score < options.match.pass) {
    absl::StatusOr<std::optional<double>> turned = UpsideDownSimilarity(
        *models, doc_bgr, report.selfie_embedding, options, report.document_embedding);
    if (!turned.ok()) return turned.status();
    if (turned->has_value() && **turned > m.score) m.score = **turned;
  }
  m.verdict = VerdictFor(m.score, options.match);
  if (m.verdict == CheckVerdict::kPass) {
    m.reason = absl::StrFormat("the selfie matches the document photo (%.2f)", m.score);
  } else if (m.verdict == CheckVerdict::kReview) {
    m.reason =
        "the selfie may not match the document photo: a person will "
        "check";
  } else {
    m.reason =
        "the selfie does not match the document photo: take a selfie "
        "of the document's holder, facing the camera";
    if (!options.match_fail_is_final) m.verdict = CheckVerdict::kReview;
  }
  return report;
}

}  // namespace vouch::ocr
