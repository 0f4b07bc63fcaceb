#include "pipeline/ocr_adapter.h"

namespace vouch::verifier {
namespace {

class OcrDocumentReader final : public DocumentReader {
 public:
  explicit OcrDocumentReader(ocr::DecodeLimits limits) : limits_(limits) {}

  absl::StatusOr<ImageFindings> Read(absl::string_view image, ImageRole) override {
    absl::StatusOr<ocr::DecodedImage> decoded = ocr::DecodeImage(image, limits_);
    if (!decoded.ok()) return decoded.status();  // kInvalidArgument / kResourceExhausted.
    return ImageFindings();  // Decoded; no MRZ or quality checks ran.
  }

  absl::StatusOr<double> FaceMatch(absl::string_view document_front,
                                   absl::string_view selfie) override {
    for (absl::string_view image : {document_front, selfie}) {
      absl::StatusOr<ocr::DecodedImage> decoded = ocr::DecodeImage(image, limits_);
      if (!decoded.ok()) return decoded.status();
    }
    return absl::UnimplementedError("face match is not available in this build");
  }

 private:
  const ocr::DecodeLimits limits_;
};

class OcrDocumentReaderFactory final : public DocumentReaderFactory {
 public:
  explicit OcrDocumentReaderFactory(ocr::DecodeLimits limits) : limits_(limits) {}
  absl::StatusOr<std::unique_ptr<DocumentReader>> NewReader() override {
    return std::unique_ptr<DocumentReader>(new OcrDocumentReader(limits_));
  }

 private:
  const ocr::DecodeLimits limits_;
};

}  // namespace

std::unique_ptr<DocumentReaderFactory> NewOcrDocumentReaderFactory(ocr::DecodeLimits limits) {
  return std::make_unique<OcrDocumentReaderFactory>(limits);
}

}  // namespace vouch::verifier
