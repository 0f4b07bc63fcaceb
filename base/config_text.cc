#include "base/config_text.h"

#include "absl/strings/str_cat.h"

namespace vouch {

absl::Status CheckAsciiConfig(absl::string_view text, absl::string_view what) {
  size_t line = 1;
  for (const char c : text) {
    if (c == '\n') ++line;
    if (static_cast<unsigned char>(c) >= 0x80) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": line ", line,
                       ": non-ASCII character (config files are ASCII, comments included)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace vouch
