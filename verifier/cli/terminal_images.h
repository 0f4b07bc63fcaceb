#ifndef VOUCH_VERIFIER_CLI_TERMINAL_IMAGES_H_
#define VOUCH_VERIFIER_CLI_TERMINAL_IMAGES_H_

// Images drawn inside the terminal (`vouchctl queue show --inline-images`),
// for terminals with a graphics protocol:
//   - kitty's graphics protocol (kitty, Ghostty, WezTerm, Konsole):
//     https://sw.kovidgoyal.net/kitty/graphics-protocol/ — a PNG sent as
//     base64 in chunks of at most 4096 bytes (a=T transmit and show,
//     f=100 PNG, m=1 while more chunks follow);
//   - iTerm2's inline images (iTerm2, WezTerm):
//     https://iterm2.com/documentation-images.html — OSC 1337 File=inline=1.
// The escape sequences carry decrypted document images: vouchctl writes them
// only to a terminal (stdout a TTY), never to a file or a pipe.

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vouch::verifier::cli {

enum class TerminalGraphics {
  kNone,
  kKitty,  // kitty graphics protocol
  kIterm,  // iTerm2 inline images (OSC 1337)
};

// The protocol the terminal described by the environment speaks, from
// KITTY_WINDOW_ID, TERM and TERM_PROGRAM (`getenv` returns null when unset).
// kNone when unknown: vouchctl then says so rather than print garbage.
TerminalGraphics DetectTerminalGraphics(const std::function<const char*(const char*)>& getenv);

// The kitty escape sequence that shows `png` (a PNG file's bytes) at the
// cursor.
std::string KittyPngSequence(absl::string_view png);

// The iTerm2 escape sequence that shows `image` (any format the terminal
// decodes: JPEG, PNG, WebP) at the cursor, at most `width_cells` wide.
std::string ItermImageSequence(absl::string_view image, int width_cells);

// `image` (JPEG, PNG or WebP bytes) re-encoded as PNG no wider than
// `max_width` pixels, for kitty (which takes PNG or raw pixels only).
// Errors: kInvalidArgument when the bytes do not decode as an image.
absl::StatusOr<std::string> ToPngForTerminal(absl::string_view image, int max_width);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_TERMINAL_IMAGES_H_
