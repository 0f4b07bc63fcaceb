#include "mrz/fallback_reader.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace vouch::ocr::internal {
namespace {

// A trailing filler run may be padded or trimmed by at most this share of
// its length (as read).
constexpr double kMaxFillerAdjustShare = 0.5;

}  // namespace

std::optional<std::string> FitToLength(const std::string& text, int length) {
  const int n = static_cast<int>(text.size());
  if (n == length) return text;
  if (n == 0 || length <= 0 || text.back() != '<') return std::nullopt;
  const size_t last = text.find_last_not_of('<');
  const int run = last == std::string::npos ? n : n - static_cast<int>(last) - 1;
  const int change = length - n;  // Fillers to add (negative: remove).
  if (run + change < 1 || std::abs(change) > kMaxFillerAdjustShare * run) {
    return std::nullopt;
  }
  std::string out = text.substr(0, n - run);
  out.append(static_cast<size_t>(run + change), '<');
  return out;
}

std::optional<std::vector<std::vector<CharScores>>> FuseAgreedLines(
    const std::vector<std::vector<CharScores>>& scores, const DecodedMrz& decoded,
    const std::vector<std::string>& first, const std::vector<std::string>& other) {
  if (first.size() != scores.size() || other.size() != scores.size() ||
      decoded.lines.size() != scores.size()) {
    return std::nullopt;
  }
  std::vector<std::vector<CharScores>> fused = scores;
  bool changed = false;
  for (size_t k = 0; k < scores.size(); ++k) {
    const int len = static_cast<int>(scores[k].size());
    if (static_cast<int>(decoded.lines[k].size()) != len) return std::nullopt;
    const std::optional<std::string> a = FitToLength(first[k], len);
    const std::optional<std::string> b = FitToLength(other[k], len);
    if (!a || !b || *a != *b || *a == decoded.lines[k]) continue;
    int differing = 0, unsure = 0;
    for (int i = 0; i < len; ++i) {
      if ((*a)[i] == decoded.lines[k][i]) continue;
      ++differing;
      unsure += decoded.confidence[k][i] < kUnsureGlyphConfidence;
    }
    if (unsure == 0) continue;
    fused[k] = ScoresFromText(*a);
    changed = true;
  }
  if (!changed) return std::nullopt;
  return fused;
}

}  // namespace vouch::ocr::internal
