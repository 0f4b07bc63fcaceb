#ifndef VOUCH_VERIFIER_PIPELINE_REASONS_H_
#define VOUCH_VERIFIER_PIPELINE_REASONS_H_

// The reasons a check gives for an outcome other than PASS: one table, each
// row a stable wire name (Check.reason; relying services, review filters and
// tests match on it, so a name never changes) and the message a user sees in
// a PassportElementError (empty: the generic "could not be verified" one).
//
// Three suffixes derive further wire names from a row, written by Findings:
// "_uncertain" (a score in the policy's review band), "_single_signal" (a
// fraud signal certain on its own) and "_on_read_page" (a quality failure on
// a page whose MRZ was read valid). Image-quality signals are named by the
// reader ("poor_<signal>", "<signal>_unavailable"): Reason::kPoorQuality and
// kQualitySignalUnavailable stand for them.

#include <optional>

#include "absl/strings/string_view.h"

namespace vouch::verifier::pipeline {

enum class Reason {
  // Images.
  kImageUnreadable,
  kImageTooLarge,
  kReaderUnavailable,
  kQualityUnavailable,
  kPoorQuality,               // "poor_<signal>"
  kQualitySignalUnavailable,  // "<signal>_unavailable"
  kFrontSideMissing,
  kTextMissing,
  // Machine-readable zone.
  kMrzNotFound,
  // A check digit fails as printed (the reader is sure of what it read):
  // one fraud signal (Findings::CertainFraudSignal).
  kMrzCheckDigits,
  // Every check digit passes as printed, but a state code is on no ICAO
  // list or a date is on no calendar: a person looks.
  kMrzImplausible,
  kMrzLowConfidence,
  kMrzUnreadable,
  kMrzReaderUnavailable,
  kMrzAbsent,
  kMrzAbsentBarcodeRead,
  // Barcode (AAMVA PDF417).
  kBarcodeUnreadable,
  kBarcodeNotAamva,
  kBarcodeNotFound,
  // Faces.
  kFaceNotFound,
  kFaceMismatch,
  kFaceMatchUnavailable,
  kSelfieMissing,
  // Why a face could not be compared (FaceFailure): the photo, then the problem.
  kSelfieNoFace,
  kSelfieSeveralFaces,
  kSelfieFaceTooSmall,
  kSelfieFaceBlurred,
  kSelfieFaceTurned,
  kSelfieFaceUnmeasurable,
  kDocumentNoFace,
  kDocumentSeveralFaces,
  kDocumentFaceTooSmall,
  kDocumentFaceBlurred,
  kDocumentFaceTurned,
  kDocumentFaceUnmeasurable,
  // The front shows a valid MRZ of a layout printed beside the holder's
  // portrait (a passport's data page, a visa), yet no face was detected: the
  // detector's limit, or a covered portrait; a person looks (review).
  kDocumentPortraitNotDetected,
  kDocumentUnreadable,
  // Policy rules.
  kRequiredElementMissing,
  kDocumentExpired,
  kNoExpiryDate,
  kUnderMinimumAge,
  kBirthDateMissing,
  kNoIdentityDocument,
  kIssuingCountryNotAllowed,
  kIssuingCountryUnknown,
  kDocumentTypeNotAllowed,
  kDocumentKindMismatch,  // the MRZ says another kind of document than the chosen type
  kDocumentKindUnclear,   // the MRZ's document code and layout disagree
  // Document against typed data.
  kLastNameMismatch,
  kFirstNameMismatch,
  kFirstNameNotInMrz,  // the MRZ prints no given names: a person compares the page
  kBirthDateMismatch,
  // The MRZ prints the birth date partly unknown (ICAO fillers for the
  // day, month or year) and the typed date lies within it: the document
  // does not confirm the typed day; a person looks (and the age check, when
  // the unknown part decides it).
  kBirthDatePartlyUnknown,
  kGenderMismatch,
  kGenderUnspecifiedInMrz,
  kNationalityMismatch,
  // The MRZ's nationality is no country (a stateless person, a refugee, an
  // organisation's staff): nothing typed can match it; a person looks.
  kNationalityNotACountry,
  kDocumentNumberMismatch,
  kExpiryDateMismatch,
  // ---- duplicate detection (docs/dedup.md) ----
  kDuplicateDocument,          // the document was verified for another Telegram user
  kDuplicatePerson,            // the person was verified for another Telegram user
  kDuplicateForged,            // a reviewer rejected this document or person as forged
  kDuplicateIndexUnavailable,  // the policy asks for it, vouchd has no index
  kDuplicateFace,              // the same face on another document of another Telegram user
};

// The stable wire name ("mrz_not_found"). For kPoorQuality and
// kQualitySignalUnavailable, the prefix or suffix the signal name completes.
absl::string_view WireName(Reason reason);

// The message shown to the user when a check with this reason fails and
// points at something to fix.
absl::string_view UserMessage(Reason reason);

// The message for a failed check whose reason is not in the table (quality
// signals without a hint).
inline constexpr absl::string_view kGenericUserMessage =
    "This item could not be verified. Please upload it again.";

// Every row, for tests and docs.
struct ReasonRow {
  Reason reason;
  absl::string_view wire_name;
  absl::string_view user_message;  // "" = kGenericUserMessage.
};
const ReasonRow* ReasonRows(int* count);

// The reason whose wire name is `wire_name` (the rows' own names, not the
// derived "poor_<signal>" or suffixed ones); nullopt when there is none.
std::optional<Reason> ReasonByWireName(absl::string_view wire_name);

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_REASONS_H_
