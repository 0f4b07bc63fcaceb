// One submission's checks: both sides' quality, faces and the barcode.

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ocr/checks.h"

namespace vouch::ocr {
namespace {

absl::Status CheckOptional(const cv::Mat& image, absl::string_view what) {
  if (image.empty()) return absl::OkStatus();
  if (image.depth() != CV_8U) {
    return absl::InvalidArgumentError(absl::StrCat(what, " image must be 8-bit"));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<CheckResult> CheckReport::AllChecks() const {
  std::vector<CheckResult> all = front.checks;
  if (back.has_value()) {
    for (CheckResult r : back->checks) {
      r.source = TelegramSource::kReverseSide;
      all.push_back(std::move(r));
    }
  }
  if (faces.has_value()) {
    all.push_back(faces->document_face);
    all.push_back(faces->selfie_face);
    all.push_back(faces->face_match);
  }
  if (barcode.has_value()) all.push_back(barcode->check);
  return all;
}

absl::StatusOr<CheckReport> RunChecks(const CheckInput& input, FaceModels* models,
                                      const CheckOptions& options) {
  if (input.front.empty()) {
    return absl::InvalidArgumentError("the front image is required");
  }
  if (absl::Status s = CheckOptional(input.front, "front"); !s.ok()) return s;
  if (absl::Status s = CheckOptional(input.back, "back"); !s.ok()) return s;
  if (absl::Status s = CheckOptional(input.selfie, "selfie"); !s.ok()) return s;

  const DocumentType type = options.document_type;
  CheckReport report;
  QualityOptions front_options = WithDocumentType(options.quality, type, DocumentSide::kFront);
  // The front's tampering hints are part of this report (the back's only
  // when asked for).
  front_options.tamper_hints = true;
  absl::StatusOr<QualityReport> front =
      RunQualityChecks(input.front, TelegramSource::kFrontSide, front_options, input.front_encoded);
  if (!front.ok()) return front.status();
  report.front = *std::move(front);

  if (!input.back.empty()) {
    QualityOptions back_options = options.quality;
    if (type == DocumentType::kUnknown) {
      back_options.layout = DocumentLayout::Td1Back();
    } else {
      back_options = WithDocumentType(back_options, type, DocumentSide::kBack);
    }
    absl::StatusOr<QualityReport> back =
        RunQualityChecks(input.back, TelegramSource::kReverseSide, back_options);
    if (!back.ok()) return back.status();
    report.back = *std::move(back);
    if (options.read_barcode) {
      BarcodeOptions barcode_options = options.barcode;
      if (type != DocumentType::kUnknown) {
        barcode_options.required = type == DocumentType::kDriverLicense;
      }
      absl::StatusOr<BarcodeReport> barcode = RunBarcodeCheck(input.back, barcode_options);
      if (!barcode.ok()) return barcode.status();
      report.barcode = *std::move(barcode);
    }
  }
  if (!input.selfie.empty()) {
    absl::StatusOr<FaceReport> faces =
        RunFaceChecks(report.front.document.rectified, input.selfie, models, options.face);
    if (!faces.ok()) return faces.status();
    report.faces = *std::move(faces);
  }
  std::vector<CheckResult*> signals;
  for (CheckResult& c : report.front.checks) signals.push_back(&c);
  if (report.back.has_value()) {
    for (CheckResult& c : report.back->checks) signals.push_back(&c);
  }
  ApplyFraudRule(signals);
  return report;
}

}  // namespace vouch::ocr
