#ifndef VOUCH_BASE_CONFIG_TEXT_H_
#define VOUCH_BASE_CONFIG_TEXT_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vouch {

// Config files (policies, auth, vouchctl's) are ASCII. toml++ 3.3.0, the
// Debian 12 version, reaches __builtin_unreachable() on some non-ASCII
// characters right after a value (tomlplusplus#190, fixed upstream in #305;
// fuzz/regressions/config), so any byte >= 0x80 is refused here, with its
// line, before toml++ sees the text. `what` names the file in the message.
absl::Status CheckAsciiConfig(absl::string_view text, absl::string_view what);

}  // namespace vouch

#endif  // VOUCH_BASE_CONFIG_TEXT_H_
