#ifndef VOUCH_VERIFIER_PIPELINE_OCR_ADAPTER_H_
#define VOUCH_VERIFIER_PIPELINE_OCR_ADAPTER_H_

// DocumentReader over the ocr module: image intake with limits (non-images,
// truncated files and decompression bombs), quality checks (ocr's calibrated
// thresholds and verdicts, zones from the document type), the MRZ reader
// (one per worker: it owns its OCR engines), the PDF417/AAMVA barcode on
// licence and ID card backs, and face match. A part whose model is missing reports "not run",
// which the pipeline counts as unavailable, never as a pass.

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "ocr/checks.h"
#include "ocr/image.h"
#include "pipeline/document_reader.h"

namespace vouch::verifier {

struct OcrReaderOptions {
  ocr::DecodeLimits limits;
  // Folder with mrz/ocrb_glyphs.bin and face/*.onnx (the repo's models/).
  // Empty or missing files: the MRZ reader trains from the OCR-B font, and
  // face match is unavailable.
  std::string models_dir;
  // Run the MRZ reader and the quality checks (false: decode only).
  bool read_mrz = true;
  bool quality = true;
  // Read the PDF417 on driver licence and identity card backs (AAMVA).
  bool barcode = true;
};

// Errors: none at creation; readers made later report what could not load.
std::unique_ptr<DocumentReaderFactory> NewOcrDocumentReaderFactory(OcrReaderOptions options = {});

// Why the ocr reader's FaceMatch had no face to compare. FaceMatch returns
// kNotFound when a photo must be retaken (no face, several faces, a face too
// small) and kUnimplemented when a person can still compare the faces (a
// blurred, turned or unmeasurable face); either carries an ErrorInfo reason
// (pipeline/errors.h) naming the photo and the problem:
//   <side>_no_face, <side>_several_faces, <side>_face_too_small,
//   <side>_face_blurred, <side>_face_turned, <side>_face_unmeasurable
// with <side> "selfie" or "document" (the front side's portrait). When both
// photos have a problem, one that needs a retake is named first, then the
// document's (a new selfie cannot fix it).
struct FaceFailure {
  std::string reason;    // "selfie_several_faces", ...
  bool selfie = false;   // The selfie (else the document's front side).
  bool retake = false;   // The user must retake that photo (kNotFound).
};

// The face failure FaceMatch's `status` carries; nullopt for any other
// status (OK, a decode error, models missing).
std::optional<FaceFailure> FaceFailureOf(const absl::Status& status);

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_PIPELINE_OCR_ADAPTER_H_
