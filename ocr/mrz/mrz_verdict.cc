#include "ocr/mrz_reader.h"

namespace vouch::ocr {

absl::string_view MrzVerdictName(MrzVerdict verdict) {
  switch (verdict) {
    case MrzVerdict::kValid: return "valid";
    case MrzVerdict::kInvalid: return "invalid";
    case MrzVerdict::kUnreadable: return "unreadable";
  }
  return "?";
}

}  // namespace vouch::ocr
