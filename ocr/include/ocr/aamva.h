#ifndef VOUCH_OCR_AAMVA_H_
#define VOUCH_OCR_AAMVA_H_

// Parser for the AAMVA DL/ID card design standard's PDF417 payload (the
// barcode on the back of US and Canadian driver licences and ID cards):
// header, subfile designators (offsets and lengths validated), and the DL/ID
// subfile's data elements.

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace vouch::ocr {

struct AamvaRecord {
  std::string issuer_id;  // 6-digit IIN (e.g. "636014" for California).
  int aamva_version = 0;  // 00..99 (01 = 2000, ..., 10 = 2020).
  int jurisdiction_version = 0;
  std::string subfile_type;  // "DL" or "ID".

  // Common elements, empty when absent.
  std::string family_name;                      // DCS
  std::string first_name;                       // DAC
  std::string middle_names;                     // DAD
  std::string document_number;                  // DAQ
  std::string sex;                              // DBC: "M", "F" or "X"
  std::string state;                            // DAJ
  std::string country;                          // DCG: "USA" or "CAN"
  std::optional<absl::CivilDay> date_of_birth;  // DBB
  std::optional<absl::CivilDay> expiry_date;    // DBA
  std::optional<absl::CivilDay> issue_date;     // DBD

  // Every element of the subfile by its 3-letter id, as printed.
  std::map<std::string, std::string> elements;
};

// Limits: a PDF417 holds at most ~1.8 kB; anything larger is not AAMVA.
inline constexpr size_t kMaxAamvaPayloadBytes = 4096;

// Parses `payload` (the barcode's raw bytes).
// Errors: kInvalidArgument for a payload that is not AAMVA (bad header or
// compliance indicators), a subfile offset/length outside the payload or not
// pointing at its type, no DL/ID subfile, a malformed element or date;
// kResourceExhausted for a payload over kMaxAamvaPayloadBytes. Messages
// never quote the payload.
absl::StatusOr<AamvaRecord> ParseAamva(absl::string_view payload);

}  // namespace vouch::ocr

#endif  // VOUCH_OCR_AAMVA_H_
