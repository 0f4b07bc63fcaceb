#include "pipeline/ocr_adapter.h"

#include <algorithm>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "base/secure_bytes.h"
#include "base/status_macros.h"
#include "ocr/aamva.h"
#include "ocr/document.h"
#include "ocr/face.h"
#include "ocr/mrz.h"
#include "ocr/mrz_reader.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"
#include "rpc/errors.h"
#include "spdlog/spdlog.h"

namespace vouch::verifier::pipeline {
namespace {

QualitySignal::Verdict ToVerdict(ocr::CheckVerdict v) {
  switch (v) {
    case ocr::CheckVerdict::kPass:
      return QualitySignal::Verdict::kPass;
    case ocr::CheckVerdict::kFail:
      return QualitySignal::Verdict::kFail;
    case ocr::CheckVerdict::kReview:
      return QualitySignal::Verdict::kReview;
    case ocr::CheckVerdict::kUnavailable:
      return QualitySignal::Verdict::kUnavailable;
  }
  return QualitySignal::Verdict::kUnavailable;
}

ocr::TelegramSource SourceOf(ImageRole role) {
  switch (role) {
    case ImageRole::kIdFront:
      return ocr::TelegramSource::kFrontSide;
    case ImageRole::kIdBack:
      return ocr::TelegramSource::kReverseSide;
    case ImageRole::kSelfie:
      return ocr::TelegramSource::kSelfie;
    case ImageRole::kAddressDocument:
      return ocr::TelegramSource::kFiles;
    case ImageRole::kTranslation:
      return ocr::TelegramSource::kTranslationFile;
  }
  return ocr::TelegramSource::kFrontSide;
}

// How much of an image reads as lines of print, in [0, 1]: characters
// joined into horizontal runs (morphological gradient, Otsu, a horizontal
// closing), kept when shaped like a text line (wider than 2.5x its height,
// 5..60 px high at <= 1200 px, mostly ink-edged). 1 when such lines cover
// at least kFullTextShare of the frame (a utility bill or statement photo
// covers 15-30 %; a photo with a few words, a blank page or a face much
// less). Errors: kInternal if OpenCV fails.
constexpr double kFullTextShare = 0.06;

absl::StatusOr<double> TextPresence(const cv::Mat& bgr) {
  try {
    cv::Mat gray;
    cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
    const double scale = 1200.0 / std::max(gray.cols, gray.rows);
    if (scale < 1) cv::resize(gray, gray, cv::Size(), scale, scale, cv::INTER_AREA);
    cv::Mat grad, bw, joined;
    cv::morphologyEx(gray, grad, cv::MORPH_GRADIENT,
                     cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
    cv::threshold(grad, bw, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    // Otsu on a nearly flat gradient picks noise: require real edges.
    cv::Mat strong = grad > 40;
    cv::bitwise_and(bw, strong, bw);
    cv::morphologyEx(bw, joined, cv::MORPH_CLOSE,
                     cv::getStructuringElement(cv::MORPH_RECT, cv::Size(9, 1)));
    // Outer boundaries of every component (two-level hierarchy), also those
    // inside another's hole: lines of print inside the page's outline.
    std::vector<std::vector<cv::Point>> contours;
    std::vector<cv::Vec4i> hierarchy;
    cv::findContours(joined, contours, hierarchy, cv::RETR_CCOMP, cv::CHAIN_APPROX_SIMPLE);
    double text_area = 0;
    for (size_t i = 0; i < contours.size(); ++i) {
      if (hierarchy[i][3] >= 0) continue;  // A hole.
      const cv::Rect r = cv::boundingRect(contours[i]);
      if (r.height < 5 || r.height > 60 || r.width < 2.5 * r.height) continue;
      const double ink = cv::countNonZero(bw(r)) / static_cast<double>(r.area());
      if (ink < 0.2 || ink > 0.9) continue;  // Edges of glyphs, not a bar or a smear.
      text_area += r.area();
    }
    const double share = text_area / (static_cast<double>(joined.cols) * joined.rows);
    return std::min(1.0, share / kFullTextShare);
  } catch (const cv::Exception&) {
    return absl::InternalError("text presence measure failed");
  }
}

// FaceProblemName (ocr/face_gate.h) -> the reason's problem part, and
// whether the photo must be retaken (else a person can still compare).
struct FaceProblemCode {
  absl::string_view problem;
  absl::string_view code;
  bool retake;
};
constexpr FaceProblemCode kFaceProblemCodes[] = {
    {"no_face", "no_face", true},          {"several_faces", "several_faces", true},
    {"too_small", "face_too_small", true}, {"blurred", "face_blurred", false},
    {"turned", "face_turned", false},      {"unmeasurable", "face_unmeasurable", false},
};

const FaceProblemCode* CodeFor(absl::string_view problem) {
  for (const FaceProblemCode& c : kFaceProblemCodes) {
    if (c.problem == problem) return &c;
  }
  return nullptr;
}

// The error for a face report whose match could not run, or OK when both
// photos had a usable face (the match was unavailable for another reason).
// A photo that must be retaken is named before one a person can still
// compare; between equals, the document (a new selfie cannot fix it).
absl::Status FaceProblemStatus(const ocr::FaceReport& report) {
  const FaceProblemCode* doc_code = CodeFor(report.document_problem);
  const FaceProblemCode* selfie_code = CodeFor(report.selfie_problem);
  const bool document =
      doc_code != nullptr && (doc_code->retake || selfie_code == nullptr || !selfie_code->retake);
  const FaceProblemCode* code = document ? doc_code : selfie_code;
  if (code == nullptr) return absl::OkStatus();
  const std::string& hint = document ? report.document_face.reason : report.selfie_face.reason;
  const std::string reason = absl::StrCat(document ? "document_" : "selfie_", code->code);
  // The hint is ocr's fixed sentence ("the face in the selfie is turned
  // ..."): no document data.
  return rpc::WithReason(code->retake ? absl::NotFoundError(hint) : absl::UnimplementedError(hint),
                         reason);
}

BarcodeFields ToBarcodeFields(const ocr::AamvaRecord& r) {
  BarcodeFields b;
  b.family_name = r.family_name;
  b.first_name = r.first_name;
  b.middle_names = r.middle_names;
  const auto truncated = [&](const char* id) {
    auto it = r.elements.find(id);
    return it != r.elements.end() && it->second == "T";
  };
  b.family_name_truncated = truncated("DDE");
  b.first_name_truncated = truncated("DDF");
  b.document_number = r.document_number;
  b.sex = r.sex;
  b.birth_date = r.date_of_birth;
  b.expiry_date = r.expiry_date;
  b.country = r.country;
  return b;
}

MrzNameScript ToNameScript(ocr::MrzNameScript script) {
  switch (script) {
    case ocr::MrzNameScript::kIcao:
      return MrzNameScript::kIcao;
    case ocr::MrzNameScript::kRussianInternal:
      return MrzNameScript::kRussianInternal;
  }
  return MrzNameScript::kIcao;
}

// The pipeline's MrzFields of a reading that found and read an MRZ.
MrzFields ToMrzFields(const ocr::MrzReadResult& r) {
  const ocr::MrzFields& f = r.mrz->fields;
  MrzFields m;
  m.format = std::string(ocr::MrzFormatName(r.mrz->format));
  m.document_code = f.document_code;
  m.issuing_state = f.issuing_state;
  m.surname = f.surname;
  m.given_names = f.given_names;
  m.document_number = f.document_number;
  m.nationality = f.nationality;
  m.birth_date = r.birth_date;
  if (r.birth_date_range.has_value()) {
    m.birth_date_range = DayRange{r.birth_date_range->earliest, r.birth_date_range->latest};
  }
  m.sex = f.sex == "<" ? "X" : f.sex;
  m.expiry_date = r.expiry_date;
  m.optional_data = f.optional_data;
  m.optional_data_2 = f.optional_data_2;
  if (const ocr::MrzNationalScheme* scheme = r.mrz->national_scheme) {
    m.national_scheme = std::string(scheme->name);
    m.name_script = ToNameScript(scheme->name_script);
    m.internal_passport = scheme->internal_passport;
  }
  m.check_digits_ok = r.verdict == ocr::MrzVerdict::kValid;
  m.printed_checks_fail = r.verdict == ocr::MrzVerdict::kInvalid && !r.mrz->valid();
  m.confidence = r.confidence;
  return m;
}

QualitySignal ToSignal(const ocr::CheckResult& c) {
  QualitySignal q;
  q.name = c.name;
  q.score = c.score;
  q.threshold = c.threshold;
  q.verdict = ToVerdict(c.verdict);
  q.hint = c.reason;
  q.fraud = c.kind == ocr::CheckKind::kFraud;
  return q;
}

class OcrDocumentReader final : public DocumentReader {
 public:
  OcrDocumentReader(const OcrReaderOptions& options, std::unique_ptr<ocr::MrzReader> mrz,
                    std::unique_ptr<ocr::FaceModels> faces)
      : options_(options), mrz_(std::move(mrz)), faces_(std::move(faces)) {}

  absl::StatusOr<ImageFindings> Read(absl::string_view image, ImageRole role,
                                     absl::string_view element_type) override {
    ForgetFront();
    absl::StatusOr<ocr::DecodedImage> decoded = ocr::DecodeImage(image, options_.limits);
    if (!decoded.ok()) return decoded.status();  // kInvalidArgument / kResourceExhausted.
    if (role == ImageRole::kIdFront) {
      // FaceMatch on the same front follows: keep the decoded image.
      front_bytes_ = SecureBytes(image);
      front_ = decoded->bgr;
    }
    ImageFindings out;
    // What the document is: the MRZ's format when one is read, else the
    // element type. It places the quality checks' zones and gives the
    // physical width for the dpi estimate.
    ocr::DocumentType type = ocr::DocumentType::kUnknown;
    if (absl::StatusOr<ocr::DocumentType> t = ocr::ParseDocumentType(element_type); t.ok()) {
      type = *t;
    }
    if (mrz_ != nullptr && (role == ImageRole::kIdFront || role == ImageRole::kIdBack)) {
      VOUCH_RETURN_IF_ERROR(ReadMrz(decoded->bgr, out, type));
    }
    if (options_.quality && role != ImageRole::kSelfie) {
      VOUCH_RETURN_IF_ERROR(ReadQuality(decoded->bgr, image, role, type, out));
    }
    if (role == ImageRole::kAddressDocument) {
      absl::StatusOr<double> text = TextPresence(decoded->bgr);
      if (!text.ok()) return text.status();
      out.text_presence = *text;
    }
    // The PDF417 on the back of driver licences (required: AAMVA) and
    // identity cards (optional: US/Canadian ID cards carry one).
    if (options_.barcode && role == ImageRole::kIdBack &&
        (element_type == "driver_license" || element_type == "identity_card")) {
      VOUCH_RETURN_IF_ERROR(ReadBarcode(decoded->bgr, element_type, out));
    }
    return out;
  }

  absl::StatusOr<double> FaceMatch(absl::string_view document_front,
                                   absl::string_view selfie) override {
    KeepEmbedding({});  // None until this match gives one.
    // The front as the last Read decoded it, when it is the same file
    // (compared byte for byte), else decoded again.
    cv::Mat front;
    if (!front_.empty() && front_bytes_.view() == document_front) front = front_;
    ForgetFront();
    if (front.empty()) {
      absl::StatusOr<ocr::DecodedImage> doc = ocr::DecodeImage(document_front, options_.limits);
      if (!doc.ok()) return doc.status();
      front = doc->bgr;
    }
    absl::StatusOr<ocr::DecodedImage> self = ocr::DecodeImage(selfie, options_.limits);
    if (!self.ok()) return self.status();
    if (faces_ == nullptr) {
      return absl::UnimplementedError("face models are not installed");
    }
    absl::StatusOr<ocr::FaceReport> report =
        ocr::RunFaceChecks(front, self->bgr, faces_.get(), ocr::FaceOptions());
    if (!report.ok()) return report.status();
    // The face 1:N index: the selfie's embedding, else the portrait's.
    KeepEmbedding(!report->selfie_embedding.empty() ? std::move(report->selfie_embedding)
                                                    : std::move(report->document_embedding));
    WipeFloats(report->document_embedding);
    if (report->face_match.verdict == ocr::CheckVerdict::kUnavailable) {
      // No single usable face on one side (FaceFailureOf names which and
      // why), or no model: nothing to compare.
      if (absl::Status problem = FaceProblemStatus(*report); !problem.ok()) return problem;
      return absl::UnimplementedError("face match could not run");
    }
    return report->face_match.score;
  }

  void Forget() override {
    ForgetFront();
    KeepEmbedding({});
  }

  // ---- the face 1:N index ----
  std::vector<float> TakeFaceEmbedding() override { return std::exchange(embedding_, {}); }

  absl::StatusOr<std::vector<float>> PortraitEmbedding(absl::string_view document_front) override {
    if (faces_ == nullptr) return absl::UnimplementedError("face models are not installed");
    cv::Mat front;
    if (!front_.empty() && front_bytes_.view() == document_front) front = front_;
    if (front.empty()) {
      absl::StatusOr<ocr::DecodedImage> doc = ocr::DecodeImage(document_front, options_.limits);
      if (!doc.ok()) return doc.status();
      front = doc->bgr;
    }
    // The portrait as FaceMatch gates it (one usable face), against itself.
    absl::StatusOr<ocr::FaceReport> report =
        ocr::RunFaceChecks(front, front, faces_.get(), ocr::FaceOptions());
    if (!report.ok()) return report.status();
    WipeFloats(report->selfie_embedding);
    if (report->document_embedding.empty()) return absl::NotFoundError("no usable portrait");
    return std::move(report->document_embedding);
  }

 private:
  // The MRZ of an identity document's side into `out`; `type` becomes the
  // MRZ's format when it reads valid.
  absl::Status ReadMrz(const cv::Mat& bgr, ImageFindings& out, ocr::DocumentType& type) {
    absl::StatusOr<std::optional<ocr::MrzReadResult>> read = mrz_->Read(bgr);
    if (!read.ok()) return read.status();
    out.mrz_checked = true;
    if (!read->has_value()) return absl::OkStatus();
    const ocr::MrzReadResult& r = **read;
    if (r.verdict == ocr::MrzVerdict::kUnreadable || !r.mrz.has_value()) {
      out.mrz_unreadable = true;
      return absl::OkStatus();
    }
    out.mrz = ToMrzFields(r);
    if (r.verdict == ocr::MrzVerdict::kValid) type = ocr::DocumentTypeForMrz(r.mrz->format);
    return absl::OkStatus();
  }

  // The quality checks of a page placed as `type`, into `out`. An image the
  // checks cannot take (kInvalidArgument) leaves them unchecked.
  absl::Status ReadQuality(const cv::Mat& bgr, absl::string_view image, ImageRole role,
                           ocr::DocumentType type, ImageFindings& out) const {
    ocr::QualityOptions quality = ocr::WithDocumentType(
        ocr::QualityOptions(), type,
        role == ImageRole::kIdBack ? ocr::DocumentSide::kBack : ocr::DocumentSide::kFront);
    // An MRZ read with valid check digits proves the page legible: the
    // quality checks' uncertain verdicts then pass (docs/checks.md).
    quality.legibility_proven = out.mrz.has_value() && out.mrz->check_digits_ok;
    absl::StatusOr<ocr::QualityReport> report =
        ocr::RunQualityChecks(bgr, SourceOf(role), quality, image);
    if (!report.ok()) {
      return absl::IsInvalidArgument(report.status()) ? absl::OkStatus() : report.status();
    }
    out.quality_checked = true;
    for (const ocr::CheckResult& c : report->checks) out.quality.push_back(ToSignal(c));
    return absl::OkStatus();
  }

  // The PDF417 of a back side, into `out`. An image the check cannot take
  // (kInvalidArgument) leaves it unchecked.
  absl::Status ReadBarcode(const cv::Mat& bgr, absl::string_view element_type,
                           ImageFindings& out) const {
    ocr::BarcodeOptions barcode;
    barcode.required = element_type == "driver_license";
    absl::StatusOr<ocr::BarcodeReport> report = ocr::RunBarcodeCheck(bgr, barcode);
    if (!report.ok()) {
      return absl::IsInvalidArgument(report.status()) ? absl::OkStatus() : report.status();
    }
    out.barcode_checked = true;
    out.barcode.name = report->check.name;
    out.barcode.score = report->check.score;
    out.barcode.threshold = report->check.threshold;
    out.barcode.verdict = ToVerdict(report->check.verdict);
    out.barcode.hint = report->check.reason;
    if (report->aamva.has_value()) out.aamva = ToBarcodeFields(*report->aamva);
    return absl::OkStatus();
  }

  void ForgetFront() {
    front_bytes_ = SecureBytes();
    front_.release();
  }

  static void WipeFloats(std::vector<float>& v) {
    WipeMemory(v.data(), v.size() * sizeof(float));
    v.clear();
  }
  void KeepEmbedding(std::vector<float> e) {
    WipeFloats(embedding_);
    embedding_ = std::move(e);
  }

  const OcrReaderOptions options_;  // A copy: readers may outlive their factory.
  // The last front side Read decoded (its bytes and pixels), for FaceMatch;
  // dropped by the next Read or FaceMatch.
  SecureBytes front_bytes_;
  cv::Mat front_;
  std::unique_ptr<ocr::MrzReader> mrz_;
  std::unique_ptr<ocr::FaceModels> faces_;  // Per worker: cv::dnn::Net is not thread-safe.
  std::vector<float> embedding_;            // Of the last FaceMatch.
};

class OcrDocumentReaderFactory final : public DocumentReaderFactory {
 public:
  explicit OcrDocumentReaderFactory(OcrReaderOptions options) : options_(std::move(options)) {}

  absl::StatusOr<std::unique_ptr<DocumentReader>> NewReader() override {
    std::unique_ptr<ocr::MrzReader> mrz;
    if (options_.read_mrz) {
      ocr::MrzReaderOptions mrz_options;
      const std::filesystem::path glyphs =
          std::filesystem::path(options_.models_dir) / "mrz" / "ocrb_glyphs.bin";
      if (!options_.models_dir.empty() && std::filesystem::exists(glyphs)) {
        mrz_options.glyph_model = glyphs.string();
      }
      absl::StatusOr<std::unique_ptr<ocr::MrzReader>> reader = ocr::MrzReader::Create(mrz_options);
      if (reader.ok()) {
        mrz = *std::move(reader);
      } else {
        spdlog::warn("MRZ reader not available code={}",
                     absl::StatusCodeToString(reader.status().code()));
      }
    }
    std::unique_ptr<ocr::FaceModels> faces;
    if (!options_.models_dir.empty()) {
      absl::StatusOr<std::unique_ptr<ocr::FaceModels>> loaded =
          ocr::FaceModels::Load((std::filesystem::path(options_.models_dir) / "face").string());
      if (loaded.ok()) {
        faces = *std::move(loaded);
      } else {
        spdlog::warn("face models not loaded: face match unavailable code={}",
                     absl::StatusCodeToString(loaded.status().code()));
      }
    }
    return std::unique_ptr<DocumentReader>(
        new OcrDocumentReader(options_, std::move(mrz), std::move(faces)));
  }

 private:
  const OcrReaderOptions options_;
};

}  // namespace

std::unique_ptr<DocumentReaderFactory> NewOcrDocumentReaderFactory(OcrReaderOptions options) {
  return std::make_unique<OcrDocumentReaderFactory>(std::move(options));
}

std::optional<FaceFailure> FaceFailureOf(const absl::Status& status) {
  if (!absl::IsNotFound(status) && !absl::IsUnimplemented(status)) return std::nullopt;
  const std::optional<google::rpc::ErrorInfo> info = rpc::GetErrorInfo(status);
  if (!info.has_value()) return std::nullopt;
  for (absl::string_view side : {"selfie_", "document_"}) {
    if (!absl::StartsWith(info->reason(), side)) continue;
    const FaceProblemCode* code = nullptr;
    for (const FaceProblemCode& c : kFaceProblemCodes) {
      if (info->reason().substr(side.size()) == c.code) code = &c;
    }
    if (code == nullptr || code->retake != absl::IsNotFound(status)) return std::nullopt;
    return FaceFailure{info->reason(), side == "selfie_", code->retake};
  }
  return std::nullopt;
}

}  // namespace vouch::verifier::pipeline
