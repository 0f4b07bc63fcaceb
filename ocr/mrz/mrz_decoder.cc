#include "mrz/mrz_decoder.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace vouch::ocr::internal {
namespace {

using Mask = uint64_t;

constexpr Mask Bit(int i) { return Mask{1} << i; }
constexpr Mask kDigits = (Mask{1} << 10) - 1;
constexpr Mask kAlpha = ((Mask{1} << 26) - 1) << 10;
constexpr Mask kFiller = Mask{1} << 36;
constexpr Mask kAlnumF = kDigits | kAlpha | kFiller;
constexpr Mask kAlphaF = kAlpha | kFiller;
constexpr Mask kDigitF = kDigits | kFiller;
const Mask kSex = Bit(MrzIndex('M')) | Bit(MrzIndex('F')) | kFiller;

// The birth date's first position on the second line (YYMMDD, then its
// check digit).
int BirthDateStart(MrzFormat format) { return format == MrzFormat::kTd1 ? 0 : 13; }

// Position alphabets per ICAO 9303 layouts (4 §4.2.2, 5 §4.2.2, 6 §4.2.2,
// 7 §4.2.2 / §5.2.2). Document numbers and optional data are alphanumeric;
// dates and check digits numeric; names, codes and nationality alphabetic
// (state codes have no digits; '<' pads short codes such as "D<<"). A birth
// date's digits may be fillers where the issuer does not know a part of it
// (IsPartlyUnknownDate).
std::vector<std::vector<Mask>> Alphabets(MrzFormat format) {
  const int len = MrzLineLength(format);
  std::vector<std::vector<Mask>> m(MrzLineCount(format), std::vector<Mask>(len, kAlnumF));
  auto set = [&](int line, int from, int to, Mask mask) {  // [from, to)
    for (int i = from; i < to; ++i) m[line][i] = mask;
  };
  auto second_line_common = [&](int line) {
    set(line, 0, 9, kAlnumF);
    set(line, 9, 10, format == MrzFormat::kTd2 ? kDigitF : kDigits);
    set(line, 10, 13, kAlphaF);
    set(line, 13, 19, kDigitF);  // Birth date (KeepBirthDateFillersInPattern).
    set(line, 19, 20, kDigits);
    set(line, 20, 21, kSex);
    set(line, 21, 28, kDigits);
  };
  switch (format) {
    case MrzFormat::kTd1:
      set(0, 0, 1, kAlpha);
      set(0, 1, 5, kAlphaF);
      set(0, 5, 14, kAlnumF);
      set(0, 14, 15, kDigitF);
      set(0, 15, 30, kAlnumF);
      set(1, 0, 6, kDigitF);  // Birth date (KeepBirthDateFillersInPattern).
      set(1, 6, 7, kDigits);
      set(1, 7, 8, kSex);
      set(1, 8, 15, kDigits);
      set(1, 15, 18, kAlphaF);
      set(1, 18, 29, kAlnumF);
      set(1, 29, 30, kDigits);
      set(2, 0, 30, kAlphaF);
      break;
    case MrzFormat::kTd2:
    case MrzFormat::kTd3:
    case MrzFormat::kMrvA:
    case MrzFormat::kMrvB:
      set(0, 0, 1, kAlpha);
      set(0, 1, len, kAlphaF);
      if (format == MrzFormat::kMrvA || format == MrzFormat::kMrvB) {
        set(0, 0, 1, Bit(MrzIndex('V')));
      }
      second_line_common(1);
      if (format == MrzFormat::kTd3) {
        set(1, 28, 42, kAlnumF);
        set(1, 42, 43, kDigitF);
        set(1, 43, 44, kDigits);
      } else if (format == MrzFormat::kTd2) {
        set(1, 28, 35, kAlnumF);
        set(1, 35, 36, kDigits);
      }
      break;
  }
  return m;
}

// The scheme of a decoded MRZ (ocr/mrz.h, FindMrzNationalScheme); nullptr
// for ICAO documents or too short a read.
const MrzNationalScheme* FindNationalScheme(MrzFormat format,
                                            const std::vector<std::string>& lines) {
  return lines.empty() ? nullptr : FindMrzNationalScheme(format, lines[0]);
}

// Widens `m` (alphabets of `scheme.format`) by `scheme`: the name field
// (TD1: line 3; else line 1 from position 5) and the expiry date with its
// check digit (TD1: line 2, positions 8-14; else line 2, positions 21-27).
// Document code and issuing state keep their ICAO alphabets.
void WidenForNationalScheme(const MrzNationalScheme& scheme, std::vector<std::vector<Mask>>& m) {
  Mask extra = 0;
  for (const char c : scheme.extra_name_symbols) extra |= Bit(MrzIndex(c));
  const bool td1 = scheme.format == MrzFormat::kTd1;
  std::vector<Mask>& names = m[td1 ? 2 : 0];
  for (size_t i = td1 ? 0 : 5; i < names.size(); ++i) names[i] |= extra;
  if (scheme.empty_expiry) {
    const int from = td1 ? 8 : 21;
    for (int i = from; i < from + 7; ++i) m[1][i] |= kFiller;
  }
}

// The position alphabets of `format` (Alphabets), widened for `scheme`
// (WidenForNationalScheme; nullptr: ICAO's): built once per pair and never
// changed, shared by every thread. PositionAllows is asked per disputed
// cell of every read.
const std::vector<std::vector<Mask>>& CachedAlphabets(MrzFormat format,
                                                      const MrzNationalScheme* scheme) {
  using Key = std::pair<MrzFormat, const MrzNationalScheme*>;
  static std::mutex mu;
  // Never freed (function-local static pointer, as for the state codes):
  // entries are only ever added, and std::map keeps references valid.
  static auto* cache = new std::map<Key, std::vector<std::vector<Mask>>>();
  const std::lock_guard<std::mutex> lock(mu);
  auto it = cache->find(Key{format, scheme});
  if (it == cache->end()) {
    std::vector<std::vector<Mask>> alphabets = Alphabets(format);
    if (scheme != nullptr) WidenForNationalScheme(*scheme, alphabets);
    it = cache->emplace(Key{format, scheme}, std::move(alphabets)).first;
  }
  return it->second;
}

// The best symbol among those `alphabets` allows, at every position.
void ChooseBest(const std::vector<std::vector<CharScores>>& scores,
                const std::vector<std::vector<Mask>>& alphabets, std::vector<std::string>& lines) {
  for (size_t l = 0; l < lines.size(); ++l) {
    for (size_t i = 0; i < lines[l].size(); ++i) {
      const CharScores& s = scores[l][i];
      int best = -1;
      for (int c = 0; c < kMrzAlphabetSize; ++c) {
        if (!(alphabets[l][i] & Bit(c))) continue;
        if (best < 0 || s[c] > s[best]) best = c;
      }
      lines[l][i] = kMrzAlphabet[best];
    }
  }
}

// The birth date's positions allow a filler each, but only a partly
// unknown date (IsPartlyUnknownDate: `YYMM<<`, `YY<<<<`, `<<<<<<`) prints
// fillers there: where ChooseBest placed them otherwise, those positions
// take their best digit. A filler counts 0 in the check digit as `0` does,
// so the check cannot tell the two apart; the field's confidence counts
// that doubt (FillPosition's residue masses).
void KeepBirthDateFillersInPattern(MrzFormat format,
                                   const std::vector<std::vector<CharScores>>& scores,
                                   std::vector<std::string>& lines) {
  const int from = BirthDateStart(format);
  std::string& line = lines[1];
  const absl::string_view date = absl::string_view(line).substr(from, 6);
  if (date.find('<') == absl::string_view::npos || IsPartlyUnknownDate(date)) return;
  for (int i = from; i < from + 6; ++i) {
    if (line[i] != '<') continue;
    const CharScores& s = scores[1][i];
    line[i] = kMrzAlphabet[std::max_element(s.begin(), s.begin() + 10) - s.begin()];
  }
}

struct Pos {
  int line;
  int index;
};

// Positions a correction of `check` may change.
std::vector<Pos> GroupPositions(MrzFormat format, MrzCheck check) {
  std::vector<Pos> p;
  auto add = [&](int line, int from, int to) {
    for (int i = from; i < to; ++i) p.push_back({line, i});
  };
  const bool td1 = format == MrzFormat::kTd1;
  const int l = 1;  // The dates are on the second line of every layout.
  switch (check) {
    case MrzCheck::kDocumentNumber:
      if (td1) {
        add(0, 5, 30);  // Long numbers continue in optional data.
      } else {
        add(1, 0, 10);
        if (format == MrzFormat::kTd2) add(1, 28, 35);
      }
      break;
    case MrzCheck::kBirthDate:
      td1 ? add(l, 0, 7) : add(1, 13, 20);
      break;
    case MrzCheck::kExpiryDate:
      td1 ? add(l, 8, 15) : add(1, 21, 28);
      break;
    case MrzCheck::kOptionalData:
      add(1, 28, 43);
      break;
    case MrzCheck::kComposite:
      if (td1) {
        add(0, 15, 30);
        add(1, 18, 30);
      } else if (format == MrzFormat::kTd2) {
        add(1, 28, 36);
      } else {
        add(1, 43, 44);
      }
      break;
  }
  return p;
}

bool Passes(const std::vector<std::string>& lines, MrzCheck check) {
  absl::StatusOr<ParsedMrz> p = ParseMrz(lines);
  return p.ok() && p->CheckPassed(check).value_or(false);
}

struct Edit {
  Pos pos;
  char c;
  float penalty;
};

// Candidate substitutions per position of `positions`, cheapest first:
// look-alikes the position's alphabet allows, within the penalty limits.
std::vector<std::vector<Edit>> CandidateEdits(const std::vector<std::string>& lines,
                                              const std::vector<Pos>& positions,
                                              const std::vector<std::vector<CharScores>>& scores,
                                              const std::vector<std::vector<Mask>>& alphabets,
                                              const DecoderOptions& options) {
  std::vector<std::vector<Edit>> candidates;
  candidates.reserve(positions.size());
  for (const Pos& p : positions) {
    const CharScores& s = scores[p.line][p.index];
    const float best = s[MrzIndex(lines[p.line][p.index])];
    std::vector<Edit> edits;
    for (int c = 0; c < kMrzAlphabetSize; ++c) {
      if (!(alphabets[p.line][p.index] & Bit(c))) continue;
      if (kMrzAlphabet[c] == lines[p.line][p.index]) continue;
      const float penalty = best - s[c];
      if (penalty <= std::min(options.max_penalty, options.max_edit_penalty) &&
          IsLookAlike(lines[p.line][p.index], kMrzAlphabet[c])) {
        edits.push_back({p, kMrzAlphabet[c], penalty});
      }
    }
    std::sort(edits.begin(), edits.end(),
              [](const Edit& a, const Edit& b) { return a.penalty < b.penalty; });
    candidates.push_back(std::move(edits));
  }
  return candidates;
}

// Pairs of edits among the (at most 6) positions whose cheapest candidate
// costs least, the top 3 candidates of each.
void ForEachEditPair(const std::vector<std::vector<Edit>>& candidates,
                     const std::function<void(const std::vector<Edit>&)>& consider) {
  std::vector<int> order(candidates.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  auto margin = [&](int i) { return candidates[i].empty() ? 1e9f : candidates[i][0].penalty; };
  std::sort(order.begin(), order.end(), [&](int a, int b) { return margin(a) < margin(b); });
  const int k = std::min<int>(6, static_cast<int>(order.size()));
  for (int a = 0; a < k; ++a) {
    for (int b = a + 1; b < k; ++b) {
      const auto& ca = candidates[order[a]];
      const auto& cb = candidates[order[b]];
      for (size_t i = 0; i < std::min<size_t>(3, ca.size()); ++i) {
        for (size_t j = 0; j < std::min<size_t>(3, cb.size()); ++j) consider({ca[i], cb[j]});
      }
    }
  }
}

// Finds the cheapest set of at most `max_edits` changes at `positions` that
// makes `check` pass; refuses (nullopt) when none is cheap enough or the
// runner-up is too close.
std::optional<std::vector<Edit>> SearchCorrection(
    std::vector<std::string> lines, MrzCheck check, const std::vector<Pos>& positions,
    const std::vector<std::vector<CharScores>>& scores,
    const std::vector<std::vector<Mask>>& alphabets, const DecoderOptions& options,
    std::vector<std::vector<Edit>>* passing = nullptr) {
  const std::vector<std::vector<Edit>> candidates =
      CandidateEdits(lines, positions, scores, alphabets, options);
  float best_cost = 1e9f, second_cost = 1e9f;
  std::vector<Edit> best_edits;
  auto consider = [&](const std::vector<Edit>& edits) {
    float cost = 0;
    for (const Edit& e : edits) cost += e.penalty;
    if (cost >= second_cost && passing == nullptr) return;
    std::vector<std::string> trial = lines;
    for (const Edit& e : edits) trial[e.pos.line][e.pos.index] = e.c;
    if (!Passes(trial, check)) return;
    if (passing != nullptr && cost <= options.max_penalty) passing->push_back(edits);
    if (cost < best_cost) {
      second_cost = best_cost;
      best_cost = cost;
      best_edits = edits;
    } else if (cost < second_cost) {
      second_cost = cost;
    }
  };
  for (const std::vector<Edit>& cands : candidates) {
    for (const Edit& e : cands) consider({e});
  }
  // Pairs among the most uncertain positions, top alternatives only.
  if (options.max_edits >= 2) ForEachEditPair(candidates, consider);
  if (best_edits.empty() || best_cost > options.max_penalty ||
      second_cost - best_cost < options.min_ambiguity_margin) {
    return std::nullopt;
  }
  return best_edits;
}

// Offers the passing corrections within `tie_break_spread` of the cheapest
// (one line only, cheapest first, at most 16) to `tie_breaker`; the one it
// names is applied.
std::optional<std::vector<Edit>> TieBreak(const std::vector<std::string>& lines, MrzCheck check,
                                          std::vector<std::vector<Edit>> passing,
                                          const TieBreaker& tie_breaker, float tie_break_spread) {
  auto cost = [](const std::vector<Edit>& e) {
    float c = 0;
    for (const Edit& x : e) c += x.penalty;
    return c;
  };
  std::stable_sort(passing.begin(), passing.end(),
                   [&](const auto& a, const auto& b) { return cost(a) < cost(b); });
  std::vector<CorrectionCandidate> candidates;
  std::vector<std::vector<Edit>> kept;
  const float cheapest = cost(passing.front());
  for (const std::vector<Edit>& edits : passing) {
    // Only the corrections the check digit could not tell apart.
    if (cost(edits) > cheapest + tie_break_spread) break;
    CorrectionCandidate c;
    c.lines = lines;
    c.line = edits.front().pos.line;
    c.cost = cost(edits);
    bool one_line = true;
    for (const Edit& e : edits) {
      one_line = one_line && e.pos.line == c.line;
      c.lines[e.pos.line][e.pos.index] = e.c;
      c.positions.push_back(e.pos.index);
    }
    if (!one_line) return std::nullopt;  // Never guess across lines.
    bool duplicate = false;
    for (const CorrectionCandidate& k : candidates) duplicate = duplicate || k.lines == c.lines;
    if (duplicate) continue;
    candidates.push_back(std::move(c));
    kept.push_back(edits);
    if (candidates.size() > 16) return std::nullopt;  // Too many to tell apart.
  }
  const int chosen = tie_breaker(check, candidates);
  if (chosen < 0 || chosen >= static_cast<int>(kept.size())) return std::nullopt;
  return kept[chosen];
}

// Corrects every failing field check (never the composite) where the
// correction is unambiguous or the tie-breaker names one; records the
// others as refused.
void CorrectFieldChecks(MrzFormat format, const std::vector<std::vector<CharScores>>& scores,
                        const std::vector<std::vector<Mask>>& alphabets,
                        const DecoderOptions& options, DecodedMrz& out) {
  for (MrzCheck check : ChecksOf(format)) {
    if (check == MrzCheck::kComposite) continue;
    if (Passes(out.lines, check)) continue;
    std::vector<std::vector<Edit>> passing;
    std::optional<std::vector<Edit>> fix =
        SearchCorrection(out.lines, check, GroupPositions(format, check), scores, alphabets,
                         options, options.tie_breaker ? &passing : nullptr);
    if (!fix && !passing.empty()) {
      fix = TieBreak(out.lines, check, passing, options.tie_breaker, options.tie_break_spread);
      if (fix) out.tie_broken.push_back(check);
    }
    if (!fix) {
      out.refused.push_back(check);
      continue;
    }
    for (const Edit& e : *fix) {
      out.lines[e.pos.line][e.pos.index] = e.c;
      out.corrected[e.pos.line][e.pos.index] = true;
    }
  }
}

// The composite's positions no field check covers (and its own check
// digit, the line's last position).
std::vector<Pos> FreeCompositePositions(MrzFormat format) {
  const std::vector<MrzCheck> checks = ChecksOf(format);
  const int len = MrzLineLength(format);
  std::vector<Pos> free_positions;
  for (const Pos& p : GroupPositions(format, MrzCheck::kComposite)) {
    bool covered = false;
    for (MrzCheck other : checks) {
      if (other == MrzCheck::kComposite) continue;
      for (const Pos& q : GroupPositions(format, other)) {
        if (q.line == p.line && q.index == p.index) covered = true;
      }
    }
    if (!covered || p.index == len - 1) free_positions.push_back(p);
  }
  return free_positions;
}

// A failing composite: refused when a field is known to be wrong, else
// fitted with one cheap edit at a free position (FreeCompositePositions)
// or refused.
void FitComposite(MrzFormat format, const std::vector<std::vector<CharScores>>& scores,
                  const std::vector<std::vector<Mask>>& alphabets, const DecoderOptions& options,
                  DecodedMrz& out) {
  const std::vector<MrzCheck> checks = ChecksOf(format);
  if (std::find(checks.begin(), checks.end(), MrzCheck::kComposite) == checks.end() ||
      Passes(out.lines, MrzCheck::kComposite)) {
    return;
  }
  if (!out.refused.empty()) {
    // A field is known to be wrong: never fit the composite to it.
    out.refused.push_back(MrzCheck::kComposite);
    return;
  }
  // Only positions no other check covers; a composite failure elsewhere
  // means a field check passed by chance and is left to the verdict.
  // The composite is the last line of defence: fit it only with one
  // cheap edit, never two.
  DecoderOptions strict = options;
  strict.max_edits = 1;
  strict.max_penalty = std::min(options.max_penalty, 2.5f);
  std::optional<std::vector<Edit>> fix = SearchCorrection(
      out.lines, MrzCheck::kComposite, FreeCompositePositions(format), scores, alphabets, strict);
  if (!fix) {
    out.refused.push_back(MrzCheck::kComposite);
    return;
  }
  for (const Edit& e : *fix) {
    out.lines[e.pos.line][e.pos.index] = e.c;
    out.corrected[e.pos.line][e.pos.index] = true;
  }
}

// Fills the chosen symbol's confidence, probabilities and check-digit
// residue masses at position (l, i) from its scores `s` over `allowed`.
void FillPosition(const CharScores& s, Mask allowed, int l, int i, DecodedMrz& out) {
  const int chosen = MrzIndex(out.lines[l][i]);
  float max_s = -1e30f;
  for (int c = 0; c < kMrzAlphabetSize; ++c) {
    if (allowed & Bit(c)) max_s = std::max(max_s, s[c]);
  }
  double sum = 0;
  for (int c = 0; c < kMrzAlphabetSize; ++c) {
    if (allowed & Bit(c)) sum += std::exp(s[c] - max_s);
  }
  out.confidence[l][i] = static_cast<float>(std::exp(s[chosen] - max_s) / sum);
  // Probability of symbols a check digit cannot tell from the chosen
  // one: same value modulo 10 (ICAO weights 7, 3, 1 are prime to 10).
  double same = 0;
  const int chosen_value = chosen == 36 ? 0 : chosen;
  std::array<double, 10> by_residue{};
  for (int c = 0; c < kMrzAlphabetSize; ++c) {
    if (c == chosen || !(allowed & Bit(c))) continue;
    const int value = c == 36 ? 0 : c;
    const double mass = std::exp(s[c] - max_s) / sum;
    out.probability[l][i][c] = static_cast<float>(mass);
    if (value % 10 == chosen_value % 10) same += mass;
    by_residue[((value - chosen_value) % 10 + 10) % 10] += mass;
  }
  out.probability[l][i][chosen] = out.confidence[l][i];
  out.undetectable[l][i] = static_cast<float>(same);
  for (int r = 0; r < 10; ++r) out.residue_mass[l][i][r] = static_cast<float>(by_residue[r]);
}

// OCR-B look-alikes: pairs whose glyphs differ by a small stroke or a
// closed/open bowl (ICAO 9303-3 Appendix A glyphs; the usual MRZ OCR
// confusions).
constexpr std::pair<char, char> kLookAlikes[] = {
    {'0', 'O'}, {'0', 'Q'}, {'0', 'D'}, {'0', 'U'}, {'0', '8'}, {'0', '6'}, {'0', '9'}, {'O', 'Q'},
    {'O', 'D'}, {'O', 'U'}, {'O', 'C'}, {'D', 'B'}, {'1', 'I'}, {'1', 'L'}, {'1', 'T'}, {'1', '7'},
    {'1', 'J'}, {'I', 'L'}, {'I', 'T'}, {'I', 'J'}, {'2', 'Z'}, {'7', 'Z'}, {'3', '8'}, {'3', 'B'},
    {'5', 'S'}, {'5', '6'}, {'6', 'G'}, {'6', '8'}, {'8', 'B'}, {'8', '9'}, {'8', 'S'}, {'9', 'G'},
    {'4', 'A'}, {'C', 'G'}, {'E', 'F'}, {'F', 'P'}, {'P', 'R'}, {'R', 'K'}, {'B', 'E'}, {'K', 'X'},
    {'X', 'Y'}, {'V', 'Y'}, {'U', 'V'}, {'V', 'W'}, {'M', 'N'}, {'N', 'H'}, {'M', 'W'}, {'H', 'K'},
    {'<', 'K'}, {'<', 'C'}, {'<', 'E'}, {'<', 'L'}, {'<', 'Z'},
};

}  // namespace

bool IsLookAlike(char a, char b) {
  for (const auto& [x, y] : kLookAlikes) {
    if ((a == x && b == y) || (a == y && b == x)) return true;
  }
  return false;
}

int MrzIndex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c == '<') return 36;
  return -1;
}

bool PositionAllows(MrzFormat format, const std::vector<std::string>& lines, int line, int index,
                    char c) {
  const int k = MrzIndex(c);
  if (k < 0 || line < 0 || line >= MrzLineCount(format) || index < 0 ||
      index >= MrzLineLength(format)) {
    return false;
  }
  const std::vector<std::vector<Mask>>& alphabets =
      CachedAlphabets(format, FindNationalScheme(format, lines));
  return (alphabets[line][index] & Bit(k)) != 0;
}

absl::StatusOr<DecodedMrz> DecodeMrz(MrzFormat format,
                                     const std::vector<std::vector<CharScores>>& scores,
                                     const DecoderOptions& options) {
  const int n_lines = MrzLineCount(format);
  const int len = MrzLineLength(format);
  if (static_cast<int>(scores.size()) != n_lines) {
    return absl::InvalidArgumentError("line count does not match the format");
  }
  for (const auto& line : scores) {
    if (static_cast<int>(line.size()) != len) {
      return absl::InvalidArgumentError("line length does not match the format");
    }
  }
  const std::vector<std::vector<Mask>>* alphabets = &CachedAlphabets(format, nullptr);
  DecodedMrz out;
  out.format = format;
  out.glyph_scores = options.glyph_scores;
  out.lines.assign(n_lines, std::string(len, '<'));
  out.confidence.assign(n_lines, std::vector<float>(len, 0.f));
  out.corrected.assign(n_lines, std::vector<bool>(len, false));
  out.undetectable.assign(n_lines, std::vector<float>(len, 0.f));
  out.residue_mass.assign(n_lines,
                          std::vector<std::array<float, 10>>(len, std::array<float, 10>{}));
  out.probability.assign(n_lines, std::vector<std::array<float, kMrzAlphabetSize>>(
                                      len, std::array<float, kMrzAlphabetSize>{}));
  ChooseBest(scores, *alphabets, out.lines);
  if (const MrzNationalScheme* scheme = FindNationalScheme(format, out.lines)) {
    // The document code and issuing state were read under the ICAO
    // alphabets, which the widening leaves as they are.
    alphabets = &CachedAlphabets(format, scheme);
    ChooseBest(scores, *alphabets, out.lines);
  }
  KeepBirthDateFillersInPattern(format, scores, out.lines);
  // The visa-ness of a 2-line MRZ follows from its first character; the
  // caller chose the format, so keep it consistent.
  CorrectFieldChecks(format, scores, *alphabets, options, out);
  FitComposite(format, scores, *alphabets, options, out);
  // Confidence: the chosen symbol's share among the allowed symbols. A
  // visa's leading 'V' is the only symbol its alphabet allows, but the
  // letter was read, not given: the format was chosen from it
  // (recognition.cc), so its confidence is its share among all letters
  // (a TD2 'C' read as 'V' turns the MRZ into an MRV-B without a composite).
  const bool visa = format == MrzFormat::kMrvA || format == MrzFormat::kMrvB;
  for (int l = 0; l < n_lines; ++l) {
    for (int i = 0; i < len; ++i) {
      FillPosition(scores[l][i], visa && l == 0 && i == 0 ? kAlpha : (*alphabets)[l][i], l, i, out);
    }
  }
  return out;
}

std::vector<CharScores> ScoresFromText(absl::string_view line) {
  struct Confusion {
    char a, b;
    float score;
  };
  static const std::vector<Confusion> kConfusions = {
      {'O', '0', -3}, {'Q', '0', -5}, {'D', '0', -5}, {'U', '0', -6}, {'I', '1', -3},
      {'L', '1', -5}, {'T', '1', -6}, {'S', '5', -3}, {'B', '8', -3}, {'Z', '2', -3},
      {'G', '6', -3}, {'A', '4', -5}, {'K', '<', -4}, {'C', '<', -5}, {'E', '<', -6}};
  std::vector<CharScores> out;
  for (char raw : line) {
    const char c = absl::ascii_toupper(static_cast<unsigned char>(raw));
    CharScores s;
    s.fill(-12.f);
    const int i = MrzIndex(c);
    if (i >= 0) s[i] = 0.f;
    for (const Confusion& k : kConfusions) {
      // Both symbols of every confusion are in the alphabet; the checks
      // keep the optimiser from assuming an index of -1.
      const int ia = MrzIndex(k.a), ib = MrzIndex(k.b);
      if (ia < 0 || ib < 0) continue;
      if (c == k.a) s[ib] = std::max(s[ib], k.score);
      if (c == k.b) s[ia] = std::max(s[ia], k.score);
    }
    out.push_back(s);
  }
  return out;
}

absl::StatusOr<DecodedMrz> CorrectMrzText(absl::string_view text, const DecoderOptions& options) {
  std::vector<std::string> candidates;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    std::string line;
    for (char c : raw) {
      if (c != ' ' && c != '\t' && c != '\r') line += c;
    }
    if (line.size() >= 30) candidates.push_back(line);
  }
  auto decode = [&](size_t first, size_t count, int len,
                    MrzFormat format) -> std::optional<DecodedMrz> {
    std::vector<std::vector<CharScores>> scores;
    for (size_t k = first; k < first + count; ++k) {
      if (static_cast<int>(candidates[k].size()) < len) return std::nullopt;
      scores.push_back(ScoresFromText(candidates[k].substr(0, len)));
    }
    absl::StatusOr<DecodedMrz> d = DecodeMrz(format, scores, options);
    if (!d.ok()) return std::nullopt;
    return *d;
  };
  for (size_t i = 0; i < candidates.size(); ++i) {
    const bool visa = absl::ascii_toupper(static_cast<unsigned char>(candidates[i][0])) == 'V';
    if (i + 1 < candidates.size() && candidates[i].size() >= 44 && candidates[i + 1].size() >= 44) {
      if (auto d = decode(i, 2, 44, visa ? MrzFormat::kMrvA : MrzFormat::kTd3)) return *d;
    }
    if (i + 1 < candidates.size() && candidates[i].size() >= 36 && candidates[i + 1].size() >= 36) {
      if (auto d = decode(i, 2, 36, visa ? MrzFormat::kMrvB : MrzFormat::kTd2)) return *d;
    }
    if (i + 2 < candidates.size()) {
      if (auto d = decode(i, 3, 30, MrzFormat::kTd1)) return *d;
    }
  }
  return absl::NotFoundError("no MRZ-shaped text");
}

}  // namespace vouch::ocr::internal
