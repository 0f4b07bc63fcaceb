#include "mrz/fallback_reader.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "mrz/mrz_verdict.h"

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

std::vector<AgreedLookAlike> LookAlikeCandidates(const DecodedMrz& decoded, int line) {
  std::vector<AgreedLookAlike> out;
  if (line < 0 || line >= static_cast<int>(decoded.lines.size())) return out;
  const std::string& text = decoded.lines[line];
  for (int i = 0; i < static_cast<int>(text.size()); ++i) {
    if (decoded.confidence[line][i] >= kUnsureGlyphConfidence) continue;
    if (line < static_cast<int>(decoded.corrected.size()) && decoded.corrected[line][i]) continue;
    int best = -1;
    for (int c = 0; c < kMrzAlphabetSize; ++c) {
      const char ch = kMrzAlphabet[c];
      if (ch == text[i] || !IsLookAlike(text[i], ch)) continue;
      if (decoded.probability[line][i][c] < kMinAgreedLookAlikeProbability) continue;
      if (!PositionAllows(decoded.format, decoded.lines, line, i, ch)) continue;
      if (best < 0 || decoded.probability[line][i][c] > decoded.probability[line][i][best])
        best = c;
    }
    if (best >= 0) out.push_back({line, i, kMrzAlphabet[best]});
  }
  return out;
}

std::vector<AgreedLookAlike> AgreedLookAlikes(const DecodedMrz& decoded,
                                              const std::vector<AgreedLookAlike>& candidates,
                                              const std::vector<std::string>& first,
                                              const std::string& other) {
  std::vector<AgreedLookAlike> out;
  if (other.empty()) return out;
  for (const AgreedLookAlike& a : candidates) {
    std::string put = decoded.lines[a.line];
    put[a.index] = a.c;
    bool by_first = false;
    for (const std::string& reading : first) {
      by_first = by_first || (!reading.empty() && ConfirmedPositions(put, reading)[a.index]);
    }
    if (!by_first) continue;
    // `other` reads the look-alike where it aligns with the cell (its
    // neighbours may be garbled: `eng` reads an MRZ less well).
    if (AlignedCharacters(put, other)[a.index] == a.c) out.push_back(a);
  }
  return out;
}

std::vector<std::vector<CharScores>> WithLookAlikes(
    const std::vector<std::vector<CharScores>>& scores, const DecodedMrz& decoded,
    const std::vector<AgreedLookAlike>& agreed) {
  std::vector<std::vector<CharScores>> out = scores;
  for (const AgreedLookAlike& a : agreed) {
    CharScores& s = out[a.line][a.index];
    std::swap(s[MrzIndex(decoded.lines[a.line][a.index])], s[MrzIndex(a.c)]);
  }
  return out;
}

}  // namespace vouch::ocr::internal
