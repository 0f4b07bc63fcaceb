#ifndef VOUCH_OCR_DOCUMENT_H_
#define VOUCH_OCR_DOCUMENT_H_

// Finding the document in a photo: its quadrilateral, a rectified (flat,
// upright-as-photographed) copy for the other checks, and a perceptual hash
// of it for duplicate detection.

#include <array>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ocr/mrz.h"
#include "opencv2/core/mat.hpp"
#include "opencv2/core/types.hpp"

namespace vouch::ocr {

// What the document is, as far as the caller knows: the MRZ format the MRZ
// reader found, or the Telegram Passport element type. Decides where the
// zones are (DocumentLayout::For) and the physical width for the dpi estimate.
enum class DocumentType {
  kUnknown,        // ID-1 front layout on the front, TD1 back layout on the back.
  kTd1,            // ID-1 identity card: portrait front, 3-line MRZ on the back.
  kTd2,            // 105 x 74 mm card/page, 2-line MRZ under the portrait.
  kTd3,            // Passport data page, 2-line MRZ under the portrait.
  kMrvA,           // Visa sticker 120 x 80 mm.
  kMrvB,           // Visa sticker 105 x 74 mm.
  kPassport,       // Telegram "passport" / "internal_passport": as kTd3.
  kIdentityCard,   // Telegram "identity_card": as kTd1.
  kDriverLicense,  // Telegram "driver_license": ID-1, PDF417 on the back.
};

enum class DocumentSide { kFront, kBack };

// "unknown", "td1", "td2", "td3", "mrva", "mrvb", "passport",
// "identity_card", "driver_license".
absl::string_view DocumentTypeName(DocumentType type);
// Parses a DocumentTypeName (also "internal_passport" as kPassport, and
// "licence"/"driver_licence"). Errors: kInvalidArgument.
absl::StatusOr<DocumentType> ParseDocumentType(absl::string_view name);
// The type an MRZ of `format` implies.
DocumentType DocumentTypeForMrz(MrzFormat format);
// Physical width of the document's long side in millimetres (ISO/IEC 7810,
// ICAO Doc 9303): 85.6 for ID-1 (and kUnknown), 105 TD2/MRV-B, 120 MRV-A,
// 125 TD3.
double DocumentWidthMm(DocumentType type);

// Zones of a rectified document, as fractions of its width and height
// (x, y, w, h in 0..1). Glare is judged where it covers these zones; an
// empty rect means the zone is absent on this side.
struct DocumentLayout {
  cv::Rect2d mrz;
  cv::Rect2d portrait;
  cv::Rect2d data;

  // ID-1 card front (driver licence, TD1 identity card): portrait left,
  // data right, no MRZ.
  static DocumentLayout Id1Front();
  // TD1 card back: MRZ in the bottom 3 lines.
  static DocumentLayout Td1Back();
  // TD3 passport data page: portrait left, data right, two-line MRZ below.
  static DocumentLayout Td3();
  // The zones of `side` of a `type` document (ICAO Doc 9303 parts 4-7,
  // ISO/IEC 18013-1): TD3/passport, TD2 and visas have their MRZ under the
  // portrait on the data page; TD1 cards have the portrait on the front and
  // the MRZ on the back; a driver licence back is its barcode and data
  // (no MRZ). Sides a type does not have (a passport's "back") count as
  // data only. kUnknown: Id1Front() / Td1Back().
  static DocumentLayout For(DocumentType type, DocumentSide side);
};

struct DocumentDetection {
  // True when a document quadrilateral was found. When false, `corners` is
  // the whole frame and `rectified` the whole image.
  bool found = false;
  // Corners in the input image: top-left, top-right, bottom-right,
  // bottom-left (as photographed).
  std::array<cv::Point2f, 4> corners;
  // Share of the frame the document covers (0..1).
  double fill = 0;
  // Share of the document outline lying on the frame border (0..1): > 0
  // means the document runs off the picture.
  double border_contact = 0;
  // Number of frame sides (0..4) the document outline runs along.
  int sides_touching = 0;
  // Number of the quadrilateral's corners (0..4) on the frame border: a
  // document cut by the frame has its outline closed by the border there.
  int corners_on_border = 0;
  // The document warped to a rectangle, long side horizontal, at the
  // resolution it was photographed at (capped at 1000 px wide). 8-bit BGR.
  // When the outline found holds no print (a featureless area), the whole
  // frame instead (long side horizontal); `corners` stay that outline.
  cv::Mat rectified;
};

// Finds the largest document-like quadrilateral in `image` (8-bit, 1 or 3
// channels) and rectifies it.
// Errors: kInvalidArgument for an empty or non-8-bit image.
absl::StatusOr<DocumentDetection> DetectDocument(const cv::Mat& image);

// 64-bit DCT perceptual hash (pHash) of `image`: near-identical pictures of
// the same document are a few bits apart (HammingDistance), different
// documents ~32. Errors: kInvalidArgument for an empty or non-8-bit image.
absl::StatusOr<uint64_t> PerceptualHash(const cv::Mat& image);

int HammingDistance(uint64_t a, uint64_t b);

}  // namespace vouch::ocr

#endif  // VOUCH_OCR_DOCUMENT_H_
