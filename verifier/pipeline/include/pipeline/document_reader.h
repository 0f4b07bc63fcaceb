#ifndef VOUCH_VERIFIER_PIPELINE_DOCUMENT_READER_H_
#define VOUCH_VERIFIER_PIPELINE_DOCUMENT_READER_H_

// The pipeline's view of image checks: MRZ, quality, faces, barcode (AAMVA). The real
// implementation adapts ocr; tests pass a fake.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace vouch::verifier::pipeline {

// How the MRZ writes names (ocr::MrzNameScript): by the ICAO table, or by
// the Russian internal passport's one symbol per Cyrillic letter.
enum class MrzNameScript { kIcao, kRussianInternal };

// Days, both ends included.
struct DayRange {
  absl::CivilDay earliest;
  absl::CivilDay latest;

  bool Contains(absl::CivilDay day) const { return earliest <= day && day <= latest; }
};

// The fields of a machine-readable zone (ICAO Doc 9303), as read. Names use
// spaces between components ('<' fillers removed).
struct MrzFields {
  std::string format;         // "TD1", "TD2", "TD3", "MRVA", "MRVB".
  std::string document_code;  // "P", "I", "ID", "AC", ...
  std::string issuing_state;  // ICAO code, e.g. "UTO", "D".
  std::string surname;
  std::string given_names;
  std::string document_number;  // Without fillers.
  std::string nationality;
  std::optional<absl::CivilDay> birth_date;  // nullopt when not a date.
  // The days the birth date may be when the MRZ prints it partly unknown
  // (ICAO 9303-3: the unknown day, month or year as fillers); `birth_date`
  // is then nullopt.
  std::optional<DayRange> birth_date_range;
  std::string sex;                            // "M", "F" or "X".
  std::optional<absl::CivilDay> expiry_date;  // nullopt when none.
  // The optional data elements as printed, inner fillers kept, trailing
  // ones stripped (TD1: line 1 and line 2; others: the one field). Issuers
  // put a national identity or personal number here (Spain's DNI number
  // on its identity card).
  std::string optional_data;
  std::string optional_data_2;
  // The national scheme the document follows where its MRZ departs from
  // ICAO 9303 ("RUS internal passport"); empty for an ICAO document.
  std::string national_scheme;
  MrzNameScript name_script = MrzNameScript::kIcao;
  // The scheme's document is an internal passport (Telegram's
  // `internal_passport`), not a travel document.
  bool internal_passport = false;
  // The reader read the MRZ `valid`: every check digit (including the
  // composite) matched, the state codes are ICAO's and the dates are dates.
  bool check_digits_ok = false;
  // Read with confidence but not valid (check_digits_ok false), why: a
  // check digit fails as printed; else a state code on no ICAO list or a
  // date on no calendar.
  bool printed_checks_fail = false;
  // Overall confidence in [0, 1] that the read is exact.
  double confidence = 0;
};

// One image-quality signal: a score in [0, 1] (1 = fine) and a reason a user
// can act on when it is low.
struct QualitySignal {
  // The reader's own verdict, when it applies calibrated thresholds (ocr
  // does); kNone: the policy's thresholds for "quality.<name>" decide.
  enum class Verdict { kNone, kPass, kReview, kFail, kUnavailable };

  std::string name;  // "focus", "glare", "exposure", ...
  double score = 0;
  std::string hint;      // e.g. "too blurry: retake in daylight".
  double threshold = 0;  // With a verdict: the reader's pass threshold.
  Verdict verdict = Verdict::kNone;
  // A fraud signal (screen recapture, black-and-white copy, tampering)
  // rather than a quality one. Its kFail means "certain" for this signal
  // alone; the pipeline rejects only when two different fraud signals of a
  // submission are certain, and otherwise sends the case to review
  // (docs/checks.md, "Decision rule").
  bool fraud = false;
};

enum class ImageRole { kIdFront, kIdBack, kSelfie, kAddressDocument, kTranslation };

// An AAMVA DL/ID record read from the PDF417 on the back of a US or
// Canadian driver licence or ID card. Names upper case as printed.
struct BarcodeFields {
  std::string family_name;   // DCS
  std::string first_name;    // DAC
  std::string middle_names;  // DAD
  // DDE / DDF: the jurisdiction truncated the family / first name.
  bool family_name_truncated = false;
  bool first_name_truncated = false;
  std::string document_number;                // DAQ
  std::string sex;                            // "M", "F", "X" or "" (DBC)
  std::optional<absl::CivilDay> birth_date;   // DBB
  std::optional<absl::CivilDay> expiry_date;  // DBA
  std::string country;                        // "USA", "CAN" or "" (DCG)
};

struct ImageFindings {
  // Whether the quality checks and the MRZ reader ran at all (a reader
  // without them reports false, and the pipeline counts those checks as
  // unavailable instead of passed or failed).
  bool quality_checked = false;
  bool mrz_checked = false;
  std::vector<QualitySignal> quality;
  // Set when the MRZ reader ran, the role asks for an MRZ and one was
  // found and read (valid or not).
  std::optional<MrzFields> mrz;
  // An MRZ-like band was found but could not be read reliably.
  bool mrz_unreadable = false;
  // Number of faces found (front side and selfie).
  int faces = 0;
  // How much of the image is print, for address documents, in [0, 1]
  // (ocr adapter: 1 when text lines cover >= 6 % of the frame).
  double text_presence = 0;
  // The barcode check (reverse sides of driver licences and identity cards):
  // whether it ran, its verdict (name "barcode": pass = a valid AAMVA
  // record, review = a PDF417 that is not one, fail = none decoded where
  // one is required, unavailable = none where it is optional), and the
  // record when it parsed.
  bool barcode_checked = false;
  QualitySignal barcode;
  std::optional<BarcodeFields> aamva;
};

// Reads one worker's images. Thread-compatible: one reader per worker thread
// (it owns an OCR engine).
class DocumentReader {
 public:
  virtual ~DocumentReader() = default;

  // `element_type` is the Telegram element type ("passport",
  // "driver_license", ...): it decides the document's zones and physical
  // size for the quality checks (when no MRZ says otherwise) and whether
  // the back carries a barcode.
  // Errors: kInvalidArgument for bytes that are not an image or are
  // truncated; kResourceExhausted for an image over the pixel or byte limits
  // (decompression bombs); kUnimplemented when the reader cannot run at all.
  virtual absl::StatusOr<ImageFindings> Read(absl::string_view image, ImageRole role,
                                             absl::string_view element_type) = 0;

  // Similarity in [0, 1] between the document portrait and the selfie.
  // Errors: as Read; kNotFound when either image has no usable face, and
  // kUnimplemented when the match could not run; either may say why with a
  // FaceFailure (below).
  virtual absl::StatusOr<double> FaceMatch(absl::string_view document_front,
                                           absl::string_view selfie) = 0;

  // The submission's images are done with: drop anything kept from them
  // (the pipeline calls it at the end of the documents stage).
  virtual void Forget() {}

  // ---- the face 1:N index (docs/dedup.md) ----
  // The face embedding (L2-normalised, 512 values) of the last FaceMatch:
  // the selfie's, else the document portrait's; empty when neither had a
  // single usable face or the reader embeds no faces. Taking it clears it
  // (so do Forget and the next FaceMatch).
  virtual std::vector<float> TakeFaceEmbedding() { return {}; }
  // The embedding of the portrait on `document_front` (a document without
  // a selfie). Errors: as Read; kNotFound when it has no usable face;
  // kUnimplemented when the reader embeds no faces.
  virtual absl::StatusOr<std::vector<float>> PortraitEmbedding(absl::string_view document_front) {
    (void)document_front;
    return absl::UnimplementedError("this reader embeds no faces");
  }
};

// Why a reader's FaceMatch had no face to compare. FaceMatch returns
// kNotFound when a photo must be retaken (no face, several faces, a face too
// small) and kUnimplemented when a person can still compare the faces (a
// blurred, turned or unmeasurable face); either carries an ErrorInfo reason
// (rpc/errors.h) naming the photo and the problem:
//   <side>_no_face, <side>_several_faces, <side>_face_too_small,
//   <side>_face_blurred, <side>_face_turned, <side>_face_unmeasurable
// with <side> "selfie" or "document" (the front side's portrait). When both
// photos have a problem, one that needs a retake is named first, then the
// document's (a new selfie cannot fix it).
struct FaceFailure {
  std::string reason;   // "selfie_several_faces", ...
  bool selfie = false;  // The selfie (else the document's front side).
  bool retake = false;  // The user must retake that photo (kNotFound).
};

// The face failure FaceMatch's `status` carries; nullopt for any other
// status (OK, a decode error, models missing).
std::optional<FaceFailure> FaceFailureOf(const absl::Status& status);

// Makes one reader per worker thread. Thread-safe.
class DocumentReaderFactory {
 public:
  virtual ~DocumentReaderFactory() = default;
  virtual absl::StatusOr<std::unique_ptr<DocumentReader>> NewReader() = 0;
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_DOCUMENT_READER_H_
