#ifndef VOUCH_OCR_CHECKS_H_
#define VOUCH_OCR_CHECKS_H_

// Image checks on a document scan (and its selfie): is the scan usable
// (resolution, focus, glare, exposure, cutoff, colour, screen recapture), does
// the selfie show the document's holder, does the back's PDF417 decode, and
// are there signs of tampering.
//
// A check that fails is a *verdict*, not an error: the functions here return
// an error Status only for unusable input (empty or non-8-bit images).
// Every result names the Telegram Passport error source it maps to, so the
// service can turn a failed check into a PassportElementError.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ocr/aamva.h"
#include "ocr/barcode.h"
#include "ocr/document.h"
#include "opencv2/core/mat.hpp"

namespace vouch::ocr {

class FaceModels;  // ocr/face.h

enum class CheckVerdict {
  kPass,
  kFail,
  // Borderline: a human should look. Also what an advisory check's fail
  // becomes (face_match by default).
  kReview,
  // The check could not run (a model is missing, no input for it). Never
  // counts as a pass.
  kUnavailable,
};

absl::string_view CheckVerdictName(CheckVerdict verdict);  // "pass", ...

// Telegram Passport's PassportElementError sources a check can map to.
enum class TelegramSource {
  kFrontSide,        // PassportElementErrorFrontSide
  kReverseSide,      // PassportElementErrorReverseSide
  kSelfie,           // PassportElementErrorSelfie
  kFiles,            // PassportElementErrorFile(s)
  kTranslationFile,  // PassportElementErrorTranslationFile(s)
};

absl::string_view TelegramSourceName(TelegramSource source);  // "front_side"

// What a failed check means. A quality check's fail asks for a retake (the
// photo is unusable); a fraud signal's fail says the document may not be
// genuine, which must never reach a genuine user on one signal's word
// (ApplyFraudRule).
enum class CheckKind {
  kQuality,  // resolution, focus, glare, exposure, cutoff; faces; barcode
  kFraud,    // screen (recapture), colour (black-and-white copy)
};

// Outcome of one check. `score` and `threshold` are in the check's own unit
// (docs/checks.md lists them); higher is always better, and the verdict is
// kPass iff score >= threshold (unless the check is unavailable).
struct CheckResult {
  std::string name;  // "focus", "glare", ... (stable, used in JSON)
  double score = 0;
  double threshold = 0;
  CheckVerdict verdict = CheckVerdict::kUnavailable;
  // A sentence the user can act on ("too blurry: hold the camera still and
  // retake in daylight"). Never contains document data.
  std::string reason;
  TelegramSource source = TelegramSource::kFrontSide;
  CheckKind kind = CheckKind::kQuality;
};

// The decision rule for fraud signals (docs/checks.md, "Decision rule").
// A fraud signal's own verdict is kReview when its score is in the review
// band (suspected) and kFail below it (certain). A certain signal stays
// kFail only when at least kIndependentFraudSignals *different* fraud
// signals (by name: screen, colour; the same signal on the front and
// the back is one) are certain in `checks`; otherwise every kFail fraud
// signal becomes kReview and its reason says a person will check.
// Quality checks are left alone. Null pointers are ignored.
inline constexpr int kIndependentFraudSignals = 2;
void ApplyFraudRule(const std::vector<CheckResult*>& checks);

// pass iff score >= pass; review iff review <= score < pass; else fail.
// review == pass means no review band.
struct Threshold {
  double pass = 0;
  double review = 0;
};

// Thresholds of the quality checks, with the defaults measured on the
// synthetic labelled set (tests/bench_checks; figures in docs/checks.md).
struct QualityOptions {
  // Estimated dpi of the document (long side / physical width). Below
  // `pass` it asks for review, never fails by default: the estimate depends
  // on the detected outline, and whether the text is legible is the MRZ
  // reader's verdict. The pass mark is where no reader can read an MRZ any
  // more (its 2.54 mm character pitch under 6 px), below the lowest real
  // page of the tuning set read with valid check digits (72 dpi,
  // corpus/specimens; docs/checks.md, "Calibration").
  Threshold resolution{60, 0};
  // Edge sharpness: 1 for a crisp edge, ~0 for a smeared one.
  Threshold focus{0.5, 0.35};
  // 1 - share of the MRZ / portrait / data areas covered by specular glare.
  Threshold glare{0.97, 0.90};
  // 1 well exposed .. 0 black or washed out.
  Threshold exposure{0.6, 0.4};
  // 1 whole document with margin .. 0 cut off. Never fails by default
  // (review 0): the evidence is the detected outline's geometry, and on the
  // genuine real pages the outline found was often not the document (tight
  // crops of specimens whose MRZ the reader missed were REJECTED as "cut
  // off"); a person looks instead. review 0.5 restores the retake request.
  Threshold cutoff{0.9, 0.0};
  // Colour spread of the document (chroma, Lab units): ~0 for a grey copy
  // (fraud signal).
  Threshold colour{3.0, 1.0};
  // 1 no periodic screen pattern .. 0 strong moiré / pixel grid shared by
  // the whole document (fraud signal).
  Threshold screen{0.8, 0.125};
  // Smallest share of the frame the document must fill.
  double min_fill = 0.2;
  // Physical width of the document's long side in millimetres, for the dpi
  // estimate (ID-1 card 85.6, TD3 passport page 125).
  double document_width_mm = 85.6;
  // Long side over short side of the document (ID-1 85.6 / 53.98; TD3
  // 125 / 88), for telling a tight crop from a document cut off by the frame.
  double document_aspect = 85.6 / 53.98;
  // Where the critical zones are on the rectified document.
  DocumentLayout layout = DocumentLayout::Id1Front();
  // The page's machine-readable zone was read with every check digit
  // valid (the caller ran the MRZ reader): the page is legible. A quality
  // check (not a fraud signal) in its review band, or unavailable, then
  // passes, its reason saying why: the quality checks exist so that the
  // page can be read, and this one was. Fails stay fails.
  bool legibility_proven = false;
  // Measure the tampering hints (QualityReport::tamper_signals): hints for a
  // person, never a verdict, so only a caller that shows them asks (RunChecks
  // does for the front, which `vouchctl ocr check` prints; the verifier's
  // pipeline does not). Off, tamper_signals stays empty.
  bool tamper_hints = false;
};

// `options` with the layout, physical width and aspect of `side` of a
// `type` document (DocumentLayout::For, DocumentWidthMm). kUnknown changes
// nothing.
QualityOptions WithDocumentType(QualityOptions options, DocumentType type, DocumentSide side);

// Thresholds of the face checks. `match` is the cosine similarity of 512-d
// embeddings, calibrated on ../shared/corpus/faces (models/face/README.md;
// the verifier's policy default "face_match" holds the same values).
struct FaceOptions {
  Threshold match{0.45, 0.30};
  // Smallest face height in pixels (document portrait and selfie).
  int min_face_px = 48;
  // Largest |yaw|, |pitch| and |roll| in degrees (Face) for a face that
  // can be compared.
  double max_yaw_deg = 35;
  double max_pitch_deg = 35;
  double max_roll_deg = 25;
  // Smallest Face::sharpness of a face that can be compared.
  double min_sharpness = 0.10;
  // A similarity below match.review fails face_match (the default, as the
  // verifier's policy rejects it); false makes that fail a kReview.
  bool match_fail_is_final = true;
};

struct BarcodeOptions {
  // Rotation search, attempt and time budget (ocr/barcode.h).
  Pdf417Options read;
  // The document must carry a PDF417 (a US/Canadian driver licence or ID
  // card): no barcode is a fail. When false (document type unknown), no
  // barcode is kUnavailable instead.
  bool required = true;
};

// One tampering signal: a hint for a human reviewer, never a verdict (on
// the calibration data no threshold separated pasted portraits from genuine
// pages; docs/checks.md).
struct TamperSignal {
  std::string name;    // "portrait_noise", "portrait_ela", "editor_metadata", "mrz_glyphs"
  double score = 0;    // 0 none .. 1 strong evidence of editing
  std::string detail;  // Why (no document data).
};

// Quality report for one side of a document.
struct QualityReport {
  DocumentDetection document;  // Where the document is, and its rectified image.
  // resolution, focus, glare, exposure, cutoff, colour, screen (this order).
  // Fraud signals (colour, screen) carry their own verdict here;
  // ApplyFraudRule combines them across a submission.
  std::vector<CheckResult> checks;
  std::vector<TamperSignal> tamper_signals;  // Empty unless QualityOptions::tamper_hints.
  uint64_t perceptual_hash = 0;              // Of the rectified document (PerceptualHash).
};

// Runs the quality checks on one side (`image` 8-bit BGR or grey). `encoded`,
// when given, is the file as received: it is scanned for editor metadata.
// Errors: kInvalidArgument for an empty or non-8-bit image.
absl::StatusOr<QualityReport> RunQualityChecks(const cv::Mat& image, TelegramSource source,
                                               const QualityOptions& options = {},
                                               absl::string_view encoded = {});

// Face checks and match between the document portrait and the selfie.
struct FaceReport {
  CheckResult document_face;  // "document_face" (source: front_side)
  CheckResult selfie_face;    // "selfie_face" (source: selfie)
  CheckResult face_match;     // "face_match" (source: selfie); score = similarity
  // Why each photo's face could not be compared, as FaceProblemName
  // (ocr/face_gate.h): "none", "no_face", "several_faces", "too_small",
  // "unmeasurable", "blurred", "turned"; "" when the check did not run.
  std::string document_problem;
  std::string selfie_problem;
  // Embeddings (L2-normalised, 512-d) for duplicate detection; empty when no
  // single face was found or models are missing.
  std::vector<float> document_embedding;
  std::vector<float> selfie_embedding;
};

// `models` may be null: every face check is then kUnavailable.
// `document` is the rectified document (QualityReport::document.rectified)
// or a raw image of it. Errors: kInvalidArgument for empty/non-8-bit input.
absl::StatusOr<FaceReport> RunFaceChecks(const cv::Mat& document, const cv::Mat& selfie,
                                         FaceModels* models, const FaceOptions& options = {});

struct BarcodeReport {
  CheckResult check;                 // "barcode" (source: reverse_side)
  std::optional<AamvaRecord> aamva;  // Set when a DL/ID subfile parsed.
  double rotation_deg = 0;           // Rotation at which it decoded.
};

// Reads the PDF417 on a driver licence back and parses it as AAMVA.
// Errors: kInvalidArgument for an empty or non-8-bit image.
absl::StatusOr<BarcodeReport> RunBarcodeCheck(const cv::Mat& back,
                                              const BarcodeOptions& options = {});

// Everything for one submission. Each image is optional except the front.
struct CheckInput {
  cv::Mat front;                    // Required.
  absl::string_view front_encoded;  // Optional: the file as received.
  cv::Mat back;                     // Optional: reverse side.
  cv::Mat selfie;                   // Optional.
};

struct CheckOptions {
  // What the document is (from the MRZ reader or the Telegram element
  // type). When known, it decides each side's zones and physical width
  // (WithDocumentType: overrides quality.layout and document_width_mm) and
  // whether the back must carry a barcode (barcode.required is then true
  // for kDriverLicense only). kUnknown: the options below apply as given,
  // with the TD1 back layout on the back.
  DocumentType document_type = DocumentType::kUnknown;
  QualityOptions quality;
  FaceOptions face;
  BarcodeOptions barcode;
  // Run the barcode check on the back (driver licences).
  bool read_barcode = true;
};

struct CheckReport {
  // Fraud signals of both sides after ApplyFraudRule.
  QualityReport front;
  std::optional<QualityReport> back;
  std::optional<FaceReport> faces;       // Set when a selfie was given.
  std::optional<BarcodeReport> barcode;  // Set when a back was given.
  // All check results in one list: front quality, back quality (sources
  // reverse_side), document_face, selfie_face, face_match, barcode.
  std::vector<CheckResult> AllChecks() const;
};

// `models` may be null (face checks kUnavailable). Not owned; not
// thread-safe (one FaceModels per thread).
// Errors: kInvalidArgument when `front` is empty or any image is not 8-bit.
absl::StatusOr<CheckReport> RunChecks(const CheckInput& input, FaceModels* models,
                                      const CheckOptions& options = {});

// Helpers shared by the checks (exposed for tests and the service).
CheckVerdict VerdictFor(double score, const Threshold& threshold);

}  // namespace vouch::ocr

#endif  // VOUCH_OCR_CHECKS_H_
