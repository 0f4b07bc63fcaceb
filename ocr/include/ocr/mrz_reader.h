#ifndef VOUCH_OCR_MRZ_READER_H_
#define VOUCH_OCR_MRZ_READER_H_

// Reads the machine-readable zone of a passport, ID card or visa from a
// photo or scan: finds the MRZ band, deskews it, recognises its characters
// with two independent recognisers (an OCR-B glyph classifier and
// Tesseract), and decodes the text as a constrained search in which check
// digits choose among per-character alternatives.
//
// Contract: a wrong MRZ never comes out kValid. When in doubt the reader
// says kUnreadable (or lowers field confidences) so the caller routes the
// document to human review.

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "ocr/mrz.h"
#include "opencv2/core/mat.hpp"
#include "opencv2/core/types.hpp"

namespace vouch::ocr {

enum class MrzVerdict {
  // Read, every check digit passes, every state code is on the ICAO list,
  // the dates are calendar dates (or a birth date printed partly unknown:
  // MrzReadResult::birth_date_range), and every field not covered by a check
  // digit (names, codes, sex, nationality) was read with high confidence.
  kValid,
  // Read with confidence, but a check digit fails or a code or date is
  // impossible: the document (or its image) is not acceptable as is.
  kInvalid,
  // An MRZ-like band was found but could not be read reliably.
  kUnreadable,
};

// "valid", "invalid", "unreadable".
absl::string_view MrzVerdictName(MrzVerdict verdict);

struct MrzReadResult {
  MrzVerdict verdict = MrzVerdict::kUnreadable;
  // Set unless kUnreadable.
  std::optional<ParsedMrz> mrz;
  // Dates resolved to a calendar day (birth in the past, expiry with the
  // rule of ResolveExpiryDate); nullopt when impossible.
  std::optional<absl::CivilDay> birth_date;
  std::optional<absl::CivilDay> expiry_date;
  // The days the birth date may be when the document prints it partly
  // unknown (ParsedMrz::birth_date_partly_unknown; `birth_date` is then
  // nullopt). Such a date is no fault of the read: it may be kValid.
  std::optional<MrzDayRange> birth_date_range;
  // Per field ("document_code", "issuing_state", "document_number",
  // "surname", "given_names", "nationality", "birth_date", "sex",
  // "expiry_date", "optional_data", ...): 0..1. Fields without a check
  // digit: the product of their character confidences, raised when the
  // second recogniser reads the field verbatim. Fields under passing check
  // digits: one minus the estimated chance of an error that every passing
  // check covering the field misses (docs/ocr.md, "the verdict rule").
  std::map<std::string, double> field_confidence;
  // Overall 0..1: the lowest field confidence.
  double confidence = 0.0;
  // The MRZ band in the input image's pixel coordinates (corners clockwise
  // from top-left of the text as read, so an upside-down page gives a box
  // whose "top-left" is at the image's bottom-right).
  std::array<cv::Point2f, 4> box{};
  // Why the verdict is not kValid, for logs and reviewers (no MRZ content):
  // e.g. "check:birth_date", "unknown_state:nationality",
  // "low_confidence:surname", "implausible:expiry_date".
  std::vector<std::string> reasons;
  // How well the read's glyphs fit the OCR-B glyph model:
  // the mean over its cells of the best class score (0 is a perfect fit;
  // clean OCR-B reads score about -1, junk below -4). 0 when no cells were
  // read.
  double glyph_fit = 0.0;
};

struct MrzReaderOptions {
  // The OCR-B font the glyph classifier is trained from (Debian
  // fonts-ocr-b).
  std::string ocr_b_font = "/usr/share/fonts/opentype/ocr-b/OCRB.otf";
  // Glyph model (models/mrz/ocrb_glyphs.bin): OCR-B cells cut by this
  // reader from generated pages. Empty: train from `ocr_b_font` at Create()
  // (less accurate; about 0.3 s).
  std::string glyph_model;
  // Tesseract data directory holding `tesseract_language`.traineddata.
  // Empty: see tesseract_language; for a named language, Tesseract's
  // compiled-in default (Debian: /usr/share/tesseract-ocr/5/tessdata).
  std::string tessdata_dir;
  // Language to load, e.g. "mrz" (the project's MRZ model,
  // models/mrz/tesseract/) or "eng" (Debian). Empty (the default): the
  // project's model, from `tessdata_dir` or else from the `tesseract/`
  // folder beside `glyph_model` (models/mrz/tesseract/mrz.traineddata, found
  // like the glyph model); Debian's "eng" when there is no such file (or no
  // glyph model). See ResolveSecondRecogniser.
  std::string tesseract_language;
  // Use Tesseract as the second recogniser. Off: the glyph classifier
  // alone decides (faster; fields then cap at a lower confidence).
  bool use_tesseract = true;
  // With use_tesseract, also load the other Tesseract model (`eng` when the
  // second recogniser is the MRZ model, else the MRZ model beside the glyph
  // model) for MRZs not printed in OCR-B: on a page not read `valid`, a
  // cell the glyph model is unsure of takes the character both Tesseract
  // models put there (docs/ocr.md, "Not OCR-B"). Skipped silently when the
  // other model is missing.
  bool use_fallback_recogniser = true;
  // Every field needs at least this confidence for a kValid verdict
  // (see MrzReadResult::field_confidence).
  double min_field_confidence = 0.90;
  // "Today" for date resolution; nullopt = the system clock.
  std::optional<absl::CivilDay> today;
  // Process-wide, glibc only, set once by the first Create() that asks:
  // keep freed blocks of up to 32 MB in the heap instead of handing them
  // back to the kernel (mallopt M_MMAP_THRESHOLD, M_TRIM_THRESHOLD,
  // M_TOP_PAD). Every read allocates and frees image buffers of a few MB
  // (a 1000-px float gradient is 2.6 MB), and by default glibc maps such a
  // block anew or trims it off the heap's top, so each step faulted its
  // pages in again: about a third of a real scan's CPU (docs/ocr.md,
  // "a third of a scan's CPU was page faults"). The cost: the heap keeps its peak size.
  bool keep_image_buffers_in_heap = true;
};

// The Tesseract data folder and language MrzReader::Create() loads for
// `options` (see MrzReaderOptions::tesseract_language): `tessdata_dir`
// empty means Tesseract's compiled-in default.
struct SecondRecogniser {
  std::string tessdata_dir;
  std::string language;
};
SecondRecogniser ResolveSecondRecogniser(const MrzReaderOptions& options);

// Thread-compatible: Create() loads the models (slow: tens of ms); give
// each worker thread its own reader.
class MrzReader {
 public:
  // Errors: kFailedPrecondition when a model cannot be loaded (missing
  // OCR-B font, missing traineddata).
  static absl::StatusOr<std::unique_ptr<MrzReader>> Create(const MrzReaderOptions& options = {});

  virtual ~MrzReader() = default;

  // Reads the MRZ on `page` (8-bit BGR or gray, any orientation of 0/180
  // degrees up to ±20 degrees of skew). Returns nullopt when the page has no
  // MRZ-like band. Errors: kInvalidArgument for an empty or non-8-bit image.
  virtual absl::StatusOr<std::optional<MrzReadResult>> Read(const cv::Mat& page) = 0;
};

}  // namespace vouch::ocr

#endif  // VOUCH_OCR_MRZ_READER_H_
