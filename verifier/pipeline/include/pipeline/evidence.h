#ifndef VOUCH_VERIFIER_PIPELINE_EVIDENCE_H_
#define VOUCH_VERIFIER_PIPELINE_EVIDENCE_H_

// The typed evidence the checks read, built once per submission: element
// types as enums, dates as absl::CivilDay, and per identity document the
// resolved fields (the MRZ's when it was read valid, else the barcode's, else
// what the user typed). Checks never parse strings again.
//
// Strings are views into the OpenedSubmission's elements (wiped when it is
// destroyed) and into the DocumentEvidence's own readings: evidence must not
// outlive the submission it was built from.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "dedup/duplicate_index.h"
#include "passport/types.h"
#include "pipeline/document_reader.h"
#include "pipeline/passport_opener.h"

namespace vouch::verifier::pipeline {

// Telegram Passport element types: verifier/passport's enum, the one
// vocabulary (passport::ParseElementType, ElementTypeName, IsIdDocument,
// IsAddressDocument).
using passport::ElementType;

// A sex or gender as documents and the Bot API state it; kUnspecified for
// the MRZ's "X" or "<", and for anything a user typed that is not
// "male"/"female".
enum class Sex { kUnspecified, kMale, kFemale };

// Completed years from `birth` to `today`.
int AgeOn(absl::CivilDay birth, absl::CivilDay today);
// A document number as the MRZ writes it, for comparing: A-Z0-9 only.
std::string MrzDocumentNumber(absl::string_view number);

// An MRZ as read (its dates typed by the reader), with its sex typed.
struct MrzEvidence {
  MrzFields fields;
  Sex sex = Sex::kUnspecified;
  // Every check digit matched: only then is the reading used.
  bool valid() const { return fields.check_digits_ok; }
  // The name field is used to its last character (names may be truncated).
  bool name_field_full() const;
};
MrzEvidence ToEvidence(MrzFields fields);

// A valid AAMVA record from the back's PDF417 (its dates typed by the
// reader), with its sex typed.
struct BarcodeEvidence {
  BarcodeFields fields;
  Sex sex = Sex::kUnspecified;
};
BarcodeEvidence ToEvidence(BarcodeFields fields);

// What the user typed in personal_details.
struct PersonalEvidence {
  const OpenedElement* element = nullptr;
  absl::string_view first_name;
  absl::string_view middle_name;
  absl::string_view last_name;
  absl::string_view first_name_native;
  absl::string_view middle_name_native;
  absl::string_view last_name_native;
  std::optional<absl::CivilDay> birth_date;
  Sex gender = Sex::kUnspecified;
  absl::string_view country_code;  // ISO 3166-1 alpha-2 as typed.
};
PersonalEvidence ToPersonalEvidence(const OpenedElement& personal_details);

// One identity document: what reading its images produced, what the user
// typed on it, and the fields resolved from those.
struct DocumentEvidence {
  const OpenedElement* element = nullptr;  // Scans and hashes, for errors.
  std::optional<ElementType> type;         // nullopt: not a known element type.

  // Reading (filled by the documents stage).
  bool front_read = false;         // The front side's image was read.
  bool back_read = false;          // The reverse side's image was read.
  bool mrz_checked = false;        // An MRZ reader ran on some side.
  bool mrz_unreadable = false;     // A band was found but not read reliably.
  std::optional<MrzEvidence> mrz;  // Front's, else back's (TD1 cards).
  bool mrz_on_front = false;       // `mrz` was read on the front side.
  // The barcode signal of the reverse side, when the reader ran the check.
  std::optional<QualitySignal> barcode_signal;
  std::optional<BarcodeEvidence> barcode;  // Set iff the signal passed.
  // The reader's similarity of selfie and portrait (or the error that is a
  // finding: kNotFound, kInvalidArgument, kResourceExhausted,
  // kUnimplemented); unset when it was not asked.
  std::optional<absl::StatusOr<double>> face_similarity;
  // The face 1:N index: the selfie's embedding, else the portrait's
  // (512 values); taken only when the policy's duplicate_face asks for it.
  // Moved into the DuplicateSubject (which wipes it).
  std::vector<float> face_embedding;

  // Typed on the element (IdDocumentData).
  absl::string_view typed_document_number;
  std::optional<absl::CivilDay> typed_expiry;  // Set iff the user filled it in.

  // Resolved by Resolve(): the MRZ's when valid, else the barcode's, else
  // the typed value (expiry only: a typed birth date is personal data).
  std::optional<absl::CivilDay> expiry;
  std::optional<absl::CivilDay> birth_date;
  // The usable MRZ's birth date printed partly unknown (MrzFields); then
  // `birth_date` is nullopt (a barcode's or typed date is never put in
  // its place: the document says the day is unknown).
  std::optional<DayRange> birth_date_range;
  std::string issuing_country;  // ICAO code; "" when neither was read.

  bool any_side_read() const { return front_read || back_read; }
  // The MRZ when it was read and is valid, else null.
  const MrzEvidence* usable_mrz() const {
    return mrz.has_value() && mrz->valid() ? &*mrz : nullptr;
  }
};

// A DocumentEvidence for `element` with its typed fields; reading fields
// empty.
DocumentEvidence StartDocumentEvidence(const OpenedElement& element);
// Fills the resolved fields from the reading and the typed fields.
void Resolve(DocumentEvidence& doc);

// ---- duplicate detection ----
// What the duplicate index answered for the submission.
struct DuplicateEvidence {
  bool document_looked_up = false;  // A document identity was hashed and looked up.
  bool person_looked_up = false;    // A person was hashed and looked up.
  bool face_looked_up = false;      // A face was looked up in the face 1:N index.
  bool faces_searchable = false;    // vouchd has a face 1:N index.
  dedup::DuplicateMatches matches;
};

// Everything the consistency and policy checks read.
struct Evidence {
  std::vector<DocumentEvidence> documents;  // Identity documents, in order.
  std::optional<PersonalEvidence> personal;
  absl::CivilDay today;  // UTC, at the consistency stage.
  // Set when the policy asks for duplicate detection and vouchd has an
  // index.
  std::optional<DuplicateEvidence> duplicates;
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_EVIDENCE_H_
