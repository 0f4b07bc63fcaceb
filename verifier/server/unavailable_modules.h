#ifndef VOUCH_VERIFIER_SERVER_UNAVAILABLE_MODULES_H_
#define VOUCH_VERIFIER_SERVER_UNAVAILABLE_MODULES_H_

// Stand-ins for modules this build does not link yet. They never pretend to
// work: image checks report "unavailable" (kUnimplemented), which a policy
// turns into NEEDS_REVIEW or REJECTED, never into a pass.

#include <memory>

#include "pipeline/document_reader.h"
#include "pipeline/errors.h"

namespace vouch::verifier {

// TODO(service): replace with the ocr adapter once #3/#4 land.
class UnavailableDocumentReader final : public DocumentReader {
 public:
  absl::StatusOr<ImageFindings> Read(absl::string_view, ImageRole) override {
    return absl::UnimplementedError("image checks are not available in this build");
  }
  absl::StatusOr<double> FaceMatch(absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("face match is not available in this build");
  }
};

class UnavailableDocumentReaderFactory final : public DocumentReaderFactory {
 public:
  absl::StatusOr<std::unique_ptr<DocumentReader>> NewReader() override {
    return std::unique_ptr<DocumentReader>(new UnavailableDocumentReader());
  }
};

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_SERVER_UNAVAILABLE_MODULES_H_
