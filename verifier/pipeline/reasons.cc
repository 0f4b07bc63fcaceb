#include "pipeline/reasons.h"

#include <iterator>

namespace vouch::verifier::pipeline {
namespace {

// In the enum's order (checked by reasons_test).
constexpr ReasonRow kRows[] = {
    {Reason::kImageUnreadable, "image_unreadable",
     "The file is not a readable image. Upload a new photo."},
    {Reason::kImageTooLarge, "image_too_large", "The image is too large. Upload a smaller photo."},
    {Reason::kReaderUnavailable, "reader_unavailable", ""},
    {Reason::kQualityUnavailable, "quality_unavailable", ""},
    {Reason::kPoorQuality, "poor_", ""},
    {Reason::kQualitySignalUnavailable, "_unavailable", ""},
    {Reason::kFrontSideMissing, "front_side_missing", ""},
    {Reason::kTextMissing, "text_missing",
     "No text could be found on the document. Upload a clear scan."},
    {Reason::kMrzNotFound, "mrz_not_found",
     "The machine-readable zone could not be read. Retake the photo with the whole page "
     "visible."},
    {Reason::kMrzCheckDigits, "mrz_check_digits",
     "The machine-readable zone does not match its own check digits."},
    {Reason::kMrzImplausible, "mrz_implausible", ""},
    {Reason::kMrzLowConfidence, "mrz_low_confidence",
     "The machine-readable zone could not be read reliably. Retake the photo."},
    {Reason::kMrzUnreadable, "mrz_unreadable", ""},
    {Reason::kMrzReaderUnavailable, "mrz_reader_unavailable", ""},
    {Reason::kMrzAbsent, "mrz_absent", ""},
    {Reason::kMrzAbsentBarcodeRead, "mrz_absent_barcode_read", ""},
    {Reason::kBarcodeUnreadable, "barcode_unreadable", ""},
    {Reason::kBarcodeNotAamva, "barcode_not_aamva", ""},
    {Reason::kBarcodeNotFound, "barcode_not_found", ""},
    {Reason::kFaceNotFound, "face_not_found",
     "No face could be found. Retake the photo with your face clearly visible."},
    {Reason::kFaceMismatch, "face_mismatch", "The selfie does not match the document photo."},
    {Reason::kFaceMatchUnavailable, "face_match_unavailable", ""},
    {Reason::kSelfieMissing, "selfie_missing", "A selfie with the document is required."},
    {Reason::kSelfieNoFace, "selfie_no_face",
     "No face could be found in the selfie. Take a new selfie with your face clearly visible."},
    {Reason::kSelfieSeveralFaces, "selfie_several_faces",
     "The selfie shows more than one face. Take a new selfie of yourself alone."},
    {Reason::kSelfieFaceTooSmall, "selfie_face_too_small",
     "Your face is too small in the selfie. Take a new selfie closer to the camera."},
    {Reason::kSelfieFaceBlurred, "selfie_face_blurred", ""},
    {Reason::kSelfieFaceTurned, "selfie_face_turned", ""},
    {Reason::kSelfieFaceUnmeasurable, "selfie_face_unmeasurable", ""},
    {Reason::kDocumentNoFace, "document_no_face",
     "No portrait could be found on the document. Upload a photo of the page with your portrait."},
    {Reason::kDocumentSeveralFaces, "document_several_faces",
     "More than one face was found on the document photo. Upload a photo of the document alone."},
    {Reason::kDocumentFaceTooSmall, "document_face_too_small",
     "The portrait on the document is too small to compare. Upload a closer photo of the page."},
    {Reason::kDocumentFaceBlurred, "document_face_blurred", ""},
    {Reason::kDocumentFaceTurned, "document_face_turned", ""},
    {Reason::kDocumentFaceUnmeasurable, "document_face_unmeasurable", ""},
    {Reason::kDocumentPortraitNotDetected, "document_portrait_not_detected", ""},
    {Reason::kDocumentUnreadable, "document_unreadable", ""},
    {Reason::kRequiredElementMissing, "required_element_missing", ""},
    {Reason::kDocumentExpired, "document_expired",
     "The document has expired. Upload a valid document."},
    {Reason::kNoExpiryDate, "no_expiry_date", ""},
    {Reason::kUnderMinimumAge, "under_minimum_age",
     "You do not meet the minimum age for this service."},
    {Reason::kBirthDateMissing, "birth_date_missing", "Enter your date of birth."},
    {Reason::kNoIdentityDocument, "no_identity_document", ""},
    {Reason::kIssuingCountryNotAllowed, "issuing_country_not_allowed",
     "Documents from this country are not accepted."},
    {Reason::kIssuingCountryUnknown, "issuing_country_unknown", ""},
    {Reason::kDocumentTypeNotAllowed, "document_type_not_allowed",
     "This document type is not accepted."},
    {Reason::kDocumentKindMismatch, "document_kind_mismatch",
     "This scan shows another kind of document. Upload the document you chose, or choose the "
     "type of the document you have."},
    {Reason::kDocumentKindUnclear, "document_kind_unclear", ""},
    {Reason::kLastNameMismatch, "last_name_mismatch", "The last name does not match the document."},
    {Reason::kFirstNameMismatch, "first_name_mismatch",
     "The first name does not match the document."},
    {Reason::kFirstNameNotInMrz, "first_name_not_in_mrz", ""},
    {Reason::kBirthDateMismatch, "birth_date_mismatch",
     "The date of birth does not match the document."},
    {Reason::kBirthDatePartlyUnknown, "birth_date_partly_unknown", ""},
    {Reason::kGenderMismatch, "gender_mismatch", "The gender does not match the document."},
    {Reason::kGenderUnspecifiedInMrz, "gender_unspecified_in_mrz", ""},
    {Reason::kNationalityMismatch, "nationality_mismatch",
     "The citizenship does not match the document."},
    {Reason::kNationalityNotACountry, "nationality_not_a_country", ""},
    {Reason::kDocumentNumberMismatch, "document_number_mismatch",
     "The document number does not match the document."},
    {Reason::kExpiryDateMismatch, "expiry_date_mismatch",
     "The expiry date does not match the document."},
    // ---- duplicate detection: no message (nothing for the user to fix).
    {Reason::kDuplicateDocument, "duplicate_document", ""},
    {Reason::kDuplicatePerson, "duplicate_person", ""},
    {Reason::kDuplicateForged, "duplicate_forged", ""},
    {Reason::kDuplicateIndexUnavailable, "duplicate_index_unavailable", ""},
    {Reason::kDuplicateFace, "duplicate_face", ""},
};

const ReasonRow& Row(Reason reason) { return kRows[static_cast<int>(reason)]; }

}  // namespace

absl::string_view WireName(Reason reason) { return Row(reason).wire_name; }

absl::string_view UserMessage(Reason reason) {
  const absl::string_view message = Row(reason).user_message;
  return message.empty() ? kGenericUserMessage : message;
}

std::optional<Reason> ReasonByWireName(absl::string_view wire_name) {
  for (const ReasonRow& row : kRows) {
    if (row.wire_name == wire_name) return row.reason;
  }
  return std::nullopt;
}

const ReasonRow* ReasonRows(int* count) {
  *count = static_cast<int>(std::size(kRows));
  return kRows;
}

}  // namespace vouch::verifier::pipeline
