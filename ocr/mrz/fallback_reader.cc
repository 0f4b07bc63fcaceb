#include "mrz/fallback_reader.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mrz/mrz_verdict.h"
#include "ocr/mrz.h"

namespace vouch::ocr::internal {
namespace {

// A trailing filler run may be padded or trimmed by at most this share of
// its length (as read).
constexpr double kMaxFillerAdjustShare = 0.5;

// The cells where `reading` (fitted to the line) differs from line `k` of
// `decoded`, when they all lie in fields with a check digit of their own
// that fails as `decoded` reads them, and at each the glyph model is unsure
// (kUnsureGlyphConfidence) or `reading` has an OCR-B look-alike of its
// character (IsLookAlike), and with `reading` put in each of those checks
// passes; empty otherwise. A field the glyph model reads with its check
// passing is never rewritten, nor one whose check fails either way, nor
// one whose correction the decoder refused as ambiguous.
std::vector<int> CheckedDifferences(const DecodedMrz& decoded, int k,
                                    const std::optional<std::string>& reading,
                                    const std::vector<MrzCheck>& ambiguous) {
  const std::string& line = decoded.lines[k];
  if (!reading || *reading == line) return {};
  const std::vector<std::optional<MrzCheck>> checks = OwnCheckPositions(decoded.format, k);
  const absl::StatusOr<ParsedMrz> parsed = ParseMrz(decoded.lines);
  if (checks.size() != line.size() || !parsed.ok()) return {};
  auto fails = [&](MrzCheck check) {
    return std::any_of(parsed->checks.begin(), parsed->checks.end(),
                       [&](const MrzCheckResult& c) { return c.check == check && !c.passed; });
  };
  std::vector<int> cells;
  std::vector<std::string> put = decoded.lines;
  for (int i = 0; i < static_cast<int>(line.size()); ++i) {
    const char c = (*reading)[i];
    if (c == line[i]) continue;
    if (!checks[i] || !fails(*checks[i])) return {};
    // A correction the decoder refused as ambiguous: the checks cannot
    // tell its candidates apart, and no recogniser breaks that tie here.
    if (std::find(ambiguous.begin(), ambiguous.end(), *checks[i]) != ambiguous.end()) return {};
    if (decoded.confidence[k][i] >= kUnsureGlyphConfidence && !IsLookAlike(line[i], c)) return {};
    cells.push_back(i);
    put[k][i] = c;
  }
  // The reading must make every check it touches pass: a document printed
  // with a failing check digit is reported as printed, not re-read until
  // it passes by another recogniser's look-alikes.
  const absl::StatusOr<ParsedMrz> with = ParseMrz(put);
  if (!with.ok()) return {};
  for (int i : cells) {
    for (const MrzCheckResult& c : with->checks) {
      if (c.check == *checks[i] && !c.passed) return {};
    }
  }
  return cells;
}

// One recogniser's reading of line `k` at its checked differences
// (CheckedDifferences) put into `row`: true when exactly one of `a`, `b`
// qualifies (or both, alike).
bool PutLoneCheckedReading(const DecodedMrz& decoded, int k, const std::optional<std::string>& a,
                           const std::optional<std::string>& b,
                           const std::vector<MrzCheck>& ambiguous, std::vector<CharScores>& row) {
  const std::vector<int> by_a = CheckedDifferences(decoded, k, a, ambiguous);
  const std::vector<int> by_b = CheckedDifferences(decoded, k, b, ambiguous);
  if (!by_a.empty() && !by_b.empty() && *a != *b) return false;
  const std::vector<int>& cells = by_a.empty() ? by_b : by_a;
  if (cells.empty()) return false;
  const std::string& text = by_a.empty() ? *b : *a;
  const std::vector<CharScores> from_text = ScoresFromText(text);
  for (int i : cells) row[i] = from_text[i];
  return true;
}

// The field checks whose correction `scores` leave ambiguous: several
// corrections pass them within the decoder's limits (DecoderOptions'
// tie-breaker is asked), as opposed to failing checks no correction within
// reach makes pass.
std::vector<MrzCheck> AmbiguousChecks(const std::vector<std::vector<CharScores>>& scores,
                                      const DecodedMrz& decoded) {
  std::vector<MrzCheck> ambiguous;
  DecoderOptions options;
  options.glyph_scores = decoded.glyph_scores;
  options.tie_breaker = [&](MrzCheck check, const std::vector<CorrectionCandidate>&) {
    ambiguous.push_back(check);
    return -1;
  };
  (void)DecodeMrz(decoded.format, scores, options);
  return ambiguous;
}

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
    const std::vector<std::string>& first, const std::vector<std::string>& other,
    bool lone_checked) {
  if (first.size() != scores.size() || other.size() != scores.size() ||
      decoded.lines.size() != scores.size()) {
    return std::nullopt;
  }
  std::vector<std::vector<CharScores>> fused = scores;
  bool changed = false;
  std::optional<std::vector<MrzCheck>> ambiguous;  // AmbiguousChecks, once asked.
  for (size_t k = 0; k < scores.size(); ++k) {
    const int len = static_cast<int>(scores[k].size());
    if (static_cast<int>(decoded.lines[k].size()) != len) return std::nullopt;
    const std::optional<std::string> a = FitToLength(first[k], len);
    const std::optional<std::string> b = FitToLength(other[k], len);
    if (lone_checked && (!a || !b || *a != *b)) {
      if (!ambiguous) ambiguous = AmbiguousChecks(scores, decoded);
      changed = PutLoneCheckedReading(decoded, static_cast<int>(k), a, b, *ambiguous, fused[k]) ||
                changed;
      continue;
    }
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
