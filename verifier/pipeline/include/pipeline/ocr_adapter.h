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

namespace vouch::verifier::pipeline {

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

// FaceFailure and FaceFailureOf (the errors of FaceMatch): pipeline/document_reader.h.

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_OCR_ADAPTER_H_
