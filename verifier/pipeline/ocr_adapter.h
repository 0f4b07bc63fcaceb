#ifndef VOUCH_VERIFIER_PIPELINE_OCR_ADAPTER_H_
#define VOUCH_VERIFIER_PIPELINE_OCR_ADAPTER_H_

// DocumentReader over the ocr module. Today ocr provides image intake
// (decoding with limits checked before decoding), so non-images, truncated
// files and decompression bombs are caught for real; the MRZ reader, quality
// checks and face match are reported as not run (mrz_checked and
// quality_checked false, FaceMatch kUnimplemented) until they are linked.
// TODO(service): wire ocr's MRZ reader (#3) and image checks (#4).

#include <memory>

#include "ocr/image.h"
#include "pipeline/document_reader.h"

namespace vouch::verifier {

std::unique_ptr<DocumentReaderFactory> NewOcrDocumentReaderFactory(
    ocr::DecodeLimits limits = {});

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_PIPELINE_OCR_ADAPTER_H_
