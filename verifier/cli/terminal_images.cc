#include "terminal_images.h"

#include <algorithm>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ocr/image.h"

namespace vouch::verifier::cli {
namespace {

// kitty: "Escape codes are limited to 4096 bytes of base64 payload each".
constexpr size_t kKittyChunk = 4096;
constexpr char kEsc = '\x1b';

bool Is(const char* value, absl::string_view want) {
  return value != nullptr && absl::string_view(value) == want;
}

}  // namespace

TerminalGraphics DetectTerminalGraphics(const std::function<const char*(const char*)>& getenv) {
  const char* kitty_window = getenv("KITTY_WINDOW_ID");
  if ((kitty_window != nullptr && *kitty_window != '\0') || Is(getenv("TERM"), "xterm-kitty") ||
      Is(getenv("TERM"), "xterm-ghostty") || Is(getenv("TERM_PROGRAM"), "ghostty") ||
      Is(getenv("TERM_PROGRAM"), "WezTerm")) {
    return TerminalGraphics::kKitty;
  }
  if (Is(getenv("TERM_PROGRAM"), "iTerm.app")) return TerminalGraphics::kIterm;
  return TerminalGraphics::kNone;
}

std::string KittyPngSequence(absl::string_view png) {
  const std::string payload = absl::Base64Escape(png);
  std::string out;
  for (size_t offset = 0; offset < payload.size() || offset == 0; offset += kKittyChunk) {
    const bool first = offset == 0;
    const bool more = offset + kKittyChunk < payload.size();
    absl::StrAppend(&out, std::string(1, kEsc), "_G", first ? "a=T,f=100," : "", "m=", more ? 1 : 0,
                    ";", absl::string_view(payload).substr(offset, kKittyChunk),
                    std::string(1, kEsc), "\\");
    if (payload.empty()) break;
  }
  return out;
}

std::string ItermImageSequence(absl::string_view image, int width_cells) {
  return absl::StrCat(std::string(1, kEsc), "]1337;File=inline=1;size=", image.size(),
                      ";width=", width_cells, ";preserveAspectRatio=1:", absl::Base64Escape(image),
                      "\a");
}

absl::StatusOr<std::string> ToPngForTerminal(absl::string_view image, int max_width) {
  absl::StatusOr<ocr::DecodedImage> decoded = ocr::DecodeImage(image);
  if (!decoded.ok()) return decoded.status();
  cv::Mat shown = decoded->bgr;
  try {
    if (shown.cols > max_width) {
      const double scale = static_cast<double>(max_width) / shown.cols;
      cv::resize(shown, shown, cv::Size(), scale, scale, cv::INTER_AREA);
    }
    std::vector<uchar> png;
    if (!cv::imencode(".png", shown, png)) {
      return absl::InternalError("cannot encode the image as PNG");
    }
    std::string out(png.begin(), png.end());
    std::fill(png.begin(), png.end(), uchar{0});
    return out;
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("cannot re-encode the image: ", e.what()));
  }
}

}  // namespace vouch::verifier::cli
