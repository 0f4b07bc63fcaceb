#include "mrz/mrz_verdict.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ocr/mrz.h"
#include "ocr/mrz_reader.h"

namespace vouch::ocr {

absl::string_view MrzVerdictName(MrzVerdict verdict) {
  switch (verdict) {
    case MrzVerdict::kValid:
      return "valid";
    case MrzVerdict::kInvalid:
      return "invalid";
    case MrzVerdict::kUnreadable:
      return "unreadable";
  }
  return "?";
}

namespace internal {
namespace {

// Doubt left at a character the second recogniser reads too: both would
// have to make the same mistake there. Calibrated on generated pages of
// seeds 8000+ (docs/ocr.md, *Calibration*).
constexpr double kAgreementDoubtFactor = 0.05;
// A field fixed by a correction is never more certain than this.
constexpr double kMaxCorrectedFieldConfidence = 0.95;
// A failing check is trusted (the document is `invalid`, not `unreadable`)
// only when every character of its group was read with this confidence.
constexpr double kMinFailingGroupCharConfidence = 0.9;
// A field no check digit covers with a cell cut by the
// band's edge (DecodedMrz::cut) is never more certain than this fraction
// of the threshold: every recogniser sees the same cut glyph, so their
// agreement is no evidence (docgen photo seed 8101: `VAI` read `VAT` by the
// glyph model and `eng`, the `I`'s bottom bar cut off).
constexpr double kCutFieldShare = 0.5;
// ConfirmedPositions: a character counts as read by both recognisers only
// when this many aligned neighbours on each side agree as well.
constexpr int kConfirmWindow = 2;
// DoubtFactors: the second recogniser's isolated reading of
// another character (DisputingCharacters) keeps the other recogniser from
// confirming the glyph model's character when the glyph model gives the
// second's character at least this probability, as decoded: the glyph
// model is then split between the two itself, and `eng` against the MRZ
// model is a tie. Check seed 8286 (a blurred `H` read `M`, `eng` `M`, the
// MRZ model `H`): 0.30 for `H`; the MRZ model's own misreads that `eng`
// rightly overrules on check seeds 8100-8299 (hard pages 88, 174, 185:
// `G` read `O` and `6`, `A` read `M`, `B` read `0`): below 0.03.
constexpr double kMinDisputedGlyphProbability = 0.1;

// UnsureGlyphsContradicted: a field under passing check
// digits with at least kMinUnsureCheckedGlyphs characters the glyph model
// read below kUnsureCheckedGlyph (as decoded) rests on the glyph model's
// alternatives at those characters: two misreads cancel in the field's
// check (and a TD3's composite, which repeats the document number's
// weights) only as often as those alternatives say, and where the glyph
// model is unsure of what it read, its alternatives can miss the truth
// altogether. Fresh check seed 8860 (photo, TD3): document number
// KV79323980 read YV75323980 (`Y` 0.85, `5` 0.76; `K` 0.004 and `9` 0.001
// among the alternatives; K->Y and 9->5 at weight 7 cancel in both checks),
// `valid` at 0.99; both Tesseract models read `KV79`. One unsure character
// stays with the check digit, which catches every single misread but a
// same-residue one (counted).
constexpr double kUnsureCheckedGlyph = 0.9;
constexpr int kMinUnsureCheckedGlyphs = 2;
// Share of the threshold a checked field disputed so is capped at.
constexpr double kDisputedFieldShare = 0.5;
// Claims tried in every combination (more are disputed outright).
constexpr size_t kMaxDisputeClaims = 8;

// ContestedLookAlike: in a field no check digit covers, a
// character whose OCR-B look-alike (IsLookAlike, allowed at its position
// and by the field's type) the glyph model gives at least this probability,
// as decoded, is not decided by the glyph model's margin. Held-out photo
// seed 9238: an MRV-A's optional data `NN0728` read `NNO728` (`O` 0.906,
// `0` 0.078), the MRZ model reading `0` and only the other model `O`:
// `valid` at 0.987. Calibrated on tuning seeds 8000-8199 (docs/ocr.md,
// "a look-alike no check digit covers"): the one glyph misread there at a look-alike the MRZ model
// read otherwise had its look-alike at 0.015.
constexpr double kLookAlikeMargin = 0.01;
// Share of the threshold a field with a contested look-alike is capped at.
constexpr double kContestedFieldShare = 0.5;

// Defined below, with ConfirmedPositions.
std::vector<int> AlignedPositions(absl::string_view read, absl::string_view second);

// Per position of `read`: the character `second` reads there
// instead (a substitution, aligned as in ContradictedPositions) when it
// reads the kConfirmWindow neighbours each side as `read` does, at
// consecutive positions: a claim about that one glyph by a recogniser that
// read its surroundings right; 0 elsewhere. Where `second` garbles a
// stretch (several characters read otherwise, dropped or added), its
// reading of one of them is no such claim.
std::vector<char> DisputingCharacters(absl::string_view read, absl::string_view second) {
  const int n = static_cast<int>(read.size());
  const std::vector<int> aligned = AlignedPositions(read, second);
  std::vector<char> disputing(n, 0);
  for (int i = 0; i < n; ++i) {
    if (aligned[i] < 0 || read[i] == second[aligned[i]]) continue;
    bool isolated = true;
    for (int k = std::max(0, i - kConfirmWindow);
         isolated && k <= std::min(n - 1, i + kConfirmWindow); ++k) {
      if (k == i) continue;
      isolated =
          aligned[k] >= 0 && aligned[k] == aligned[i] + (k - i) && read[k] == second[aligned[k]];
    }
    if (isolated) disputing[i] = second[aligned[i]];
  }
  return disputing;
}

// A field's place on the MRZ lines and the check digit covering it.
struct Span {
  const char* name;
  int line, from, to;  // [from, to)
  std::optional<MrzCheck> check;
};

// The fields of `f`'s layout (ICAO 9303-4 §4.2.2, 9303-5 §4.2.2, 9303-6
// §4.2.2, 9303-7 §4.2.2 / §5.2.2). Both name fields span the whole name
// field: the `<<` between them is what separates them.
std::vector<Span> SpansOf(MrzFormat f) {
  if (f == MrzFormat::kTd1) {
    return {{"document_code", 0, 0, 2, {}},
            {"issuing_state", 0, 2, 5, {}},
            {"document_number", 0, 5, 15, MrzCheck::kDocumentNumber},
            {"optional_data", 0, 15, 30, MrzCheck::kComposite},
            {"birth_date", 1, 0, 7, MrzCheck::kBirthDate},
            {"sex", 1, 7, 8, {}},
            {"expiry_date", 1, 8, 15, MrzCheck::kExpiryDate},
            {"nationality", 1, 15, 18, {}},
            {"optional_data_2", 1, 18, 29, MrzCheck::kComposite},
            {"surname", 2, 0, 30, {}},
            {"given_names", 2, 0, 30, {}}};
  }
  const int len = MrzLineLength(f);
  std::vector<Span> spans = {{"document_code", 0, 0, 2, {}},
                             {"issuing_state", 0, 2, 5, {}},
                             {"surname", 0, 5, len, {}},
                             {"given_names", 0, 5, len, {}},
                             {"document_number", 1, 0, 10, MrzCheck::kDocumentNumber},
                             {"nationality", 1, 10, 13, {}},
                             {"birth_date", 1, 13, 20, MrzCheck::kBirthDate},
                             {"sex", 1, 20, 21, {}},
                             {"expiry_date", 1, 21, 28, MrzCheck::kExpiryDate}};
  if (f == MrzFormat::kTd3) {
    spans.push_back({"optional_data", 1, 28, 43, MrzCheck::kOptionalData});
  } else if (f == MrzFormat::kTd2) {
    spans.push_back({"optional_data", 1, 28, 35, MrzCheck::kComposite});
  } else {
    spans.push_back({"optional_data", 1, 28, len, std::nullopt});  // Visas.
  }
  return spans;
}

bool IsStateCodeField(const Span& s) {
  const absl::string_view name = s.name;
  return name == "issuing_state" || name == "nationality";
}

// Every 3-character MRZ state code field the parser accepts as a known
// state (IsIcaoStateCode once fillers are removed, e.g. "D<<").
const std::vector<std::string>& KnownStateCodeFields() {
  static const std::vector<std::string>* fields = [] {
    auto* out = new std::vector<std::string>();
    constexpr absl::string_view kCodeSymbols = "ABCDEFGHIJKLMNOPQRSTUVWXYZ<";
    for (char a : kCodeSymbols) {
      for (char b : kCodeSymbols) {
        for (char c : kCodeSymbols) {
          std::string letters;
          for (char x : {a, b, c}) {
            if (x != '<') letters += x;
          }
          if (!letters.empty() && IsIcaoStateCode(letters)) out->push_back({a, b, c});
        }
      }
    }
    std::sort(out->begin(), out->end());
    return out;
  }();
  return *fields;
}

// Whether `marks` (per line, per position; DecodedMrz::cut or
// foreign_ink) marks a position of field `s`.
bool AnyMarked(const std::vector<std::vector<bool>>& marks, const Span& s) {
  if (s.line >= static_cast<int>(marks.size())) return false;
  const std::vector<bool>& line = marks[s.line];
  for (int i = s.from; i < s.to && i < static_cast<int>(line.size()); ++i) {
    if (line[i]) return true;
  }
  return false;
}

// Whether `marks` marks position `i` of `line`.
bool Marked(const std::vector<std::vector<bool>>& marks, size_t line, size_t i) {
  return line < marks.size() && i < marks[line].size() && marks[line][i];
}

// The second recogniser's confirmations as doubt factors, asked lazily
// (the second recogniser is slow) and once per line.
class DoubtFactors {
 public:
  DoubtFactors(const DecodedMrz& d, SecondOpinion& second)
      : d_(d), second_(second), lines_(d.lines.size()) {}

  // Per position of `line`: kAgreementDoubtFactor where the second
  // recogniser confirms the character (ConfirmedPositions), or, where it
  // does not and does not dispute it either (kMinDisputedGlyphProbability),
  // the other recogniser (SecondOpinion::OtherLineText); 1 elsewhere. Final for
  // positions [from, to) only: the other recogniser is asked
  // only when the second leaves one of those unconfirmed (before, when it
  // left any position of the line unconfirmed, a document number's dropped
  // filler included). A position the second recogniser confirms is
  // confirmed whatever the other reads, so the factors in [from, to) are
  // those of the whole-line rule; callers read no position outside their
  // range.
  const std::vector<double>& Of(int line, int from, int to) {
    Line& l = lines_[line];
    if (!l.first) AskLine(l, line);
    if (!l.raw_asked && Unconfirmed(l.confirmed, from, to)) AskRawLine(l, line);
    if (!l.other_asked && Unconfirmed(*l.first, from, to)) AskOtherLine(l, line);
    if (l.factors.empty()) FillFactors(l, line);
    return l.factors;
  }
  const std::vector<double>& Of(const Span& s) { return Of(s.line, s.from, s.to); }

 private:
  struct Line {
    std::optional<std::vector<bool>> first;  // Confirmed by LineText.
    std::vector<char> disputing;             // DisputingCharacters of LineText.
    std::vector<bool> confirmed;             // By LineText or OtherLineText.
    bool other_asked = false;
    bool raw_asked = false;
    std::vector<double> factors;  // Of `confirmed`; empty: to compute.
  };

  // Whether `confirmed` leaves a position of [from, to) unconfirmed.
  static bool Unconfirmed(const std::vector<bool>& confirmed, int from, int to) {
    for (int i = std::max(0, from); i < to && i < static_cast<int>(confirmed.size()); ++i) {
      if (!confirmed[i]) return true;
    }
    return false;
  }

  // The second recogniser's reading of the line.
  void AskLine(Line& l, int line) {
    const std::string text = second_.LineText(line);
    l.first = ConfirmedPositions(d_.lines[line], text);
    l.disputing = DisputingCharacters(d_.lines[line], text);
    l.confirmed = *l.first;
  }

  // The second recogniser once more, on the raw line: its confirmations
  // and disputes count as the line's.
  void AskRawLine(Line& l, int line) {
    l.raw_asked = true;
    const std::string raw = second_.RawLineText(line);
    if (raw.empty()) return;
    const std::vector<bool> by_raw = ConfirmedPositions(d_.lines[line], raw);
    const std::vector<char> disputing = DisputingCharacters(d_.lines[line], raw);
    for (size_t i = 0; i < l.confirmed.size() && i < by_raw.size(); ++i) {
      l.confirmed[i] = l.confirmed[i] || by_raw[i];
      if (l.disputing[i] == 0) l.disputing[i] = disputing[i];
    }
    l.factors.clear();
  }

  // Whether the second recogniser (the MRZ model) disputes position `i` of
  // `line` and the glyph model itself gives the second's reading a real
  // chance (kMinDisputedGlyphProbability).
  bool Disputed(const Line& l, int line, size_t i) const {
    if (i >= l.disputing.size() || l.disputing[i] == 0) return false;
    const int c = MrzIndex(l.disputing[i]);
    return c >= 0 && line < static_cast<int>(d_.probability.size()) &&
           i < d_.probability[line].size() &&
           d_.probability[line][i][c] >= kMinDisputedGlyphProbability;
  }

  // The other recogniser: it confirms what the second leaves, but not where
  // the second disputes (Disputed).
  void AskOtherLine(Line& l, int line) {
    l.other_asked = true;
    const std::string other = second_.OtherLineText(line);
    if (!other.empty()) {
      const std::vector<bool> by_other = ConfirmedPositions(d_.lines[line], other);
      for (size_t i = 0; i < l.confirmed.size() && i < by_other.size(); ++i) {
        l.confirmed[i] = l.confirmed[i] || (by_other[i] && !Disputed(l, line, i));
      }
    }
    l.factors.clear();
  }

  // kAgreementDoubtFactor at every confirmed position, except where foreign
  // ink touches the glyph (or the band's edge cuts it): every recogniser
  // sees the same damaged shape, so their agreement is not independent
  // evidence; 1 elsewhere.
  void FillFactors(Line& l, int line) const {
    l.factors.assign(l.confirmed.size(), 1.0);
    for (size_t i = 0; i < l.factors.size(); ++i) {
      const bool damaged = Marked(d_.foreign_ink, static_cast<size_t>(line), i) ||
                           Marked(d_.cut, static_cast<size_t>(line), i);
      if (l.confirmed[i] && !damaged) l.factors[i] = kAgreementDoubtFactor;
    }
  }

  const DecodedMrz& d_;
  SecondOpinion& second_;
  std::vector<Line> lines_;
};

// Whether `c` may stand at position `i` of field `s` by the layout's
// position alphabet (PositionAllows): a rival reading with a character
// the position forbids is no reading of the document, whatever the checks
// make of its value. Found on the uncaptured `mrz_real` page
// td3_usa_moss_camera_rot90 with every line image contrast-stretched (a
// variant tried in session 16, docs/ocr.md): both Tesseract models read
// the expiry 060518 as `06U518` (`U` is 30, the `0`'s value modulo 10, so
// every check passes), and it went from `valid` to `disputed:expiry_date`.
bool LayoutAllows(const DecodedMrz& raw, const Span& s, int i, char c) {
  return PositionAllows(raw.format, raw.lines, s.line, i, c);
}

// The claims behind UnsureGlyphsContradicted: every (position, character)
// that the second recogniser's line `first` or the
// other model's line reads instead of the glyph model's character at an
// unsure position of `s` (below kUnsureCheckedGlyph, as decoded) and the
// position's alphabet allows (LayoutAllows), each once; empty when the two
// never claim the same character at one unsure position. Asks for the other
// model's line only where the second reads an unsure character otherwise.
std::vector<std::pair<int, char>> SharedDisputeClaims(const DecodedMrz& raw, const Span& s,
                                                      const std::string& first,
                                                      SecondOpinion& second) {
  const std::string& read = raw.lines[s.line];
  const std::vector<int> by_first = AlignedPositions(read, first);
  // The other character a reading claims at unsure position `i`, or 0.
  auto claim = [&](const std::string& text, const std::vector<int>& aligned, int i) -> char {
    if (i >= static_cast<int>(aligned.size()) || aligned[i] < 0) return 0;
    const char c = text[aligned[i]];
    return c != read[i] && LayoutAllows(raw, s, i, c) ? c : 0;
  };
  auto unsure = [&](int i) { return raw.confidence[s.line][i] < kUnsureCheckedGlyph; };
  std::optional<std::string> other;
  std::vector<int> by_other;
  bool shared = false;  // Both claim the same character somewhere.
  for (int i = s.from; i < s.to; ++i) {
    if (!unsure(i)) continue;
    const char by_second = claim(first, by_first, i);
    if (by_second == 0) continue;
    if (!other) {
      other = second.OtherLineText(s.line);
      by_other = AlignedPositions(read, *other);
    }
    shared = shared || claim(*other, by_other, i) == by_second;
  }
  std::vector<std::pair<int, char>> claims;  // Position, claimed character.
  if (!shared) return claims;
  for (int i = s.from; i < s.to; ++i) {
    if (!unsure(i)) continue;
    for (const char c : {claim(first, by_first, i), claim(*other, by_other, i)}) {
      if (c != 0 && std::find(claims.begin(), claims.end(), std::make_pair(i, c)) == claims.end()) {
        claims.emplace_back(i, c);
      }
    }
  }
  return claims;
}

// Whether some combination of `claims` on line `line` of `lines` (at most
// one claim per position) makes lines that pass every check of
// `confirming`.
bool SomeClaimsPass(const std::vector<std::string>& lines, int line,
                    const std::vector<std::pair<int, char>>& claims,
                    const std::vector<MrzCheck>& confirming) {
  for (unsigned mask = 1; mask < (1u << claims.size()); ++mask) {
    std::vector<std::string> trial = lines;
    bool one_per_position = true;
    for (size_t k = 0; k < claims.size(); ++k) {
      if (!(mask & (1u << k))) continue;
      char& c = trial[line][claims[k].first];
      one_per_position = one_per_position && c == lines[line][claims[k].first];
      c = claims[k].second;
    }
    if (!one_per_position) continue;
    const absl::StatusOr<ParsedMrz> parsed = ParseMrz(trial);
    if (!parsed.ok()) continue;
    if (std::all_of(confirming.begin(), confirming.end(),
                    [&](MrzCheck c) { return parsed->CheckPassed(c).value_or(false); })) {
      return true;
    }
  }
  return false;
}

// Whether field `s` has at least kMinUnsureCheckedGlyphs
// characters the glyph model read below kUnsureCheckedGlyph (`raw`: the
// probabilities as decoded), the second recogniser and the other model
// (SecondOpinion::OtherLineText) both read one of them as the same other
// character (aligned as in ContradictedPositions), and the lines with some
// of the other characters either of them reads at unsure positions put in
// (every combination of up to kMaxDisputeClaims) pass the checks
// `confirming` as well: two readings, the glyph model's and one the Tesseract
// models claim, that the check digits cannot tell apart. Where every such
// reading fails a check, the check digits refute the claims and the glyph
// model's read stands. Asks for the second's line only for fields with
// unsure characters, for the other's only where the second reads one of
// them otherwise.
bool UnsureGlyphsContradicted(const DecodedMrz& raw, const Span& s,
                              const std::vector<MrzCheck>& confirming, SecondOpinion& second) {
  int unsure = 0;
  for (int i = s.from; i < s.to; ++i) unsure += raw.confidence[s.line][i] < kUnsureCheckedGlyph;
  if (unsure < kMinUnsureCheckedGlyphs) return false;
  const std::string first = second.LineText(s.line);
  if (first.empty()) return false;
  const std::vector<std::pair<int, char>> claims = SharedDisputeClaims(raw, s, first, second);
  if (claims.empty()) return false;
  if (claims.size() > kMaxDisputeClaims) return true;
  return SomeClaimsPass(raw.lines, s.line, claims, confirming);
}

// The first letter of a TD1 or TD2 document code is `A`,
// `C` or `I` (ICAO 9303-5 §4.2.2.1, 9303-6 §4.2.2.1).
constexpr char kCardCodeLetters[] = "ACI";

// Whether a document code starting with `letter` is one of `format`'s
// (ICAO 9303-4 §4.2.2.1: `P`; 9303-5/-6 §4.2.2.1: `A`, `C`, `I`; 9303-7:
// `V`).
bool LayoutAllowsCodeLetter(MrzFormat format, char letter) {
  switch (format) {
    case MrzFormat::kTd3:
      return letter == 'P';
    case MrzFormat::kTd1:
    case MrzFormat::kTd2:
      return absl::string_view(kCardCodeLetters).find(letter) != absl::string_view::npos;
    case MrzFormat::kMrvA:
    case MrzFormat::kMrvB:
      return letter == 'V';
  }
  return false;
}

// Whether `alt` may stand at position `i` of field `s` of `d` as far as the
// field's type goes: allowed by the layout (the decoder gave it a
// probability), for a state code only where it makes another known code
// (KnownStateCodeFields), for the document code's first letter only one
// of the layout's (LayoutAllowsCodeLetter).
bool TypeAllows(const DecodedMrz& d, const Span& s, int i, char alt) {
  const int a = MrzIndex(alt);
  if (a < 0 || d.probability[s.line][i][a] <= 0) return false;
  if (IsStateCodeField(s)) {
    std::string code = d.lines[s.line].substr(s.from, s.to - s.from);
    code[i - s.from] = alt;
    const std::vector<std::string>& known = KnownStateCodeFields();
    return std::binary_search(known.begin(), known.end(), code);
  }
  if (absl::string_view(s.name) == "document_code" && i == s.from) {
    // The letter the layout was chosen by (kCardCodeLetters, `P` for a
    // TD3, `V` for a visa): another letter is another layout, judged by
    // DocumentCodeConfidence.
    return LayoutAllowsCodeLetter(d.format, alt);
  }
  return true;
}

}  // namespace

std::vector<char> AlignedCharacters(absl::string_view read, absl::string_view second) {
  const std::vector<int> aligned = AlignedPositions(read, second);
  std::vector<char> out(read.size(), 0);
  for (size_t i = 0; i < read.size(); ++i) out[i] = aligned[i] >= 0 ? second[aligned[i]] : 0;
  return out;
}

namespace {

// A run of up to this many consecutive characters another recogniser reads
// otherwise, amid neighbours it reads alike, is a claim about those glyphs
// (ClaimedCharacters); a longer one is a garbled stretch.
constexpr int kMaxClaimRun = 2;

// Per position of `read`: the character `second` reads there instead when
// the position lies in a run of at most kMaxClaimRun consecutive
// substitutions (aligned as in ContradictedPositions, no character dropped
// or added) whose kConfirmWindow neighbours each side `second` reads as
// `read` does (the line's ends count as such: nothing is there to
// misread); 0 elsewhere. DisputingCharacters with runs of two, at the
// line's ends too.
std::vector<char> ClaimedCharacters(absl::string_view read, absl::string_view second) {
  const int n = static_cast<int>(read.size());
  const std::vector<int> aligned = AlignedPositions(read, second);
  auto substituted = [&](int k) { return aligned[k] >= 0 && read[k] != second[aligned[k]]; };
  std::vector<char> claimed(n, 0);
  for (int start = 0; start < n;) {
    if (!substituted(start)) {
      ++start;
      continue;
    }
    int end = start + 1;  // The run is [start, end).
    while (end < n && substituted(end) && aligned[end] == aligned[end - 1] + 1) ++end;
    bool claim = end - start <= kMaxClaimRun;
    for (int k = std::max(0, start - kConfirmWindow);
         claim && k < std::min(n, end + kConfirmWindow); ++k) {
      if (k >= start && k < end) continue;
      claim = aligned[k] >= 0 && aligned[k] == aligned[start] + (k - start) &&
              read[k] == second[aligned[k]];
    }
    for (int k = start; claim && k < end; ++k) claimed[k] = second[aligned[k]];
    start = end;
  }
  return claimed;
}

// Whether both Tesseract models (the second recogniser's line and the
// other model's, SecondOpinion::OtherLineText) claim other characters than
// the glyph model's in field `s` (ClaimedCharacters), the same ones at the
// same positions, each one the position's alphabet allows (LayoutAllows),
// and the line with them put in (some combination of them;
// more than kMaxDisputeClaims are disputed outright) passes every check of
// `confirming` too: two recognisers against one, on
// a reading the check digits cannot tell apart, whatever the glyph model's
// confidence. Found on real_captured_tuning page td3_qat_alkaabi~11 (a
// specimen photographed in low light): the document number 00000000 read
// `OO000000` by a confident glyph model, `00000000` by both Tesseract
// models; `O` and `0` at weights 7 and 3 cancel in the number's check and
// in the composite, and it came out `valid`. Asks for the other model's
// line only where the second's claims in the field pass the checks.
bool TesseractModelsAgreeOnAnotherPassingReading(const DecodedMrz& raw, const Span& s,
                                                 const std::vector<MrzCheck>& confirming,
                                                 SecondOpinion& second) {
  const std::string& read = raw.lines[s.line];
  const std::string first = second.LineText(s.line);
  if (first.empty()) return false;
  const std::vector<char> by_first = ClaimedCharacters(read, first);
  std::vector<std::pair<int, char>> first_claims;
  for (int i = s.from; i < s.to; ++i) {
    if (by_first[i] != 0 && LayoutAllows(raw, s, i, by_first[i])) {
      first_claims.emplace_back(i, by_first[i]);
    }
  }
  // The claims both make are some of these: when no combination of these
  // passes, none of theirs does (and the other model is not run).
  if (first_claims.empty() || (first_claims.size() <= kMaxDisputeClaims &&
                               !SomeClaimsPass(raw.lines, s.line, first_claims, confirming))) {
    return false;
  }
  const std::string other = second.OtherLineText(s.line);
  if (other.empty()) return false;
  const std::vector<char> by_other = ClaimedCharacters(read, other);
  std::vector<std::pair<int, char>> claims;  // Position, the character both claim.
  for (int i = s.from; i < s.to; ++i) {
    if (by_first[i] != 0 && by_other[i] == by_first[i] && LayoutAllows(raw, s, i, by_first[i])) {
      claims.emplace_back(i, by_first[i]);
    }
  }
  if (claims.empty()) return false;
  if (claims.size() > kMaxDisputeClaims) return true;
  return SomeClaimsPass(raw.lines, s.line, claims, confirming);
}

// At this many cells of a field or more where every Tesseract reading
// (the MRZ model's line and raw line, the other model's line) reads one
// character and the glyph model another, the field is in doubt
// (TesseractReadingsOutvoteGlyphs).
constexpr int kMinOutvotedCells = 2;

// Whether at kMinOutvotedCells or more cells of field `s` the three
// Tesseract readings (SecondOpinion::LineText, RawLineText, OtherLineText)
// agree with each other on a character other than the glyph model's
// (aligned as in AlignedCharacters), whatever the runs they lie in and
// whatever the checks say: three readings by two models against one. Found
// on fresh hard seed 9365: a TD3's personal number `J78YDK2518A619` read
// `I78YDK2584R68F` by the glyph model, its check digit and the composite
// passing on the misread, every Tesseract reading reading the truth at
// four cells but in runs of three and two (ClaimedCharacters counts those
// as garble); it came out `valid`. In a field under passing checks
// (`confirming`), only where some of the MRZ model's line's readings in the
// field, put in, pass those checks too (SomeClaimsPass; more than
// kMaxDisputeClaims: outright): where the checks refute the Tesseract
// reading, the glyph model's stands (real_captured_tuning page
// td3_can_martin~4, defocused: a birth date read otherwise by every
// Tesseract reading, the glyph model right). The other readings are asked
// only when the one before already outvotes the glyph model at enough cells.
bool TesseractReadingsOutvoteGlyphs(const DecodedMrz& raw, const Span& s,
                                    const std::vector<MrzCheck>& confirming,
                                    SecondOpinion& second) {
  const std::string& read = raw.lines[s.line];
  std::vector<int> cells;
  const std::vector<char> by_line = AlignedCharacters(read, second.LineText(s.line));
  std::vector<std::pair<int, char>> claims;  // The MRZ model's line's reading of the field.
  for (int i = s.from; i < s.to; ++i) {
    if (by_line[i] != 0 && by_line[i] != read[i]) cells.push_back(i);
    if (by_line[i] != 0 && by_line[i] != read[i] && LayoutAllows(raw, s, i, by_line[i])) {
      claims.emplace_back(i, by_line[i]);
    }
  }
  if (!confirming.empty() && claims.size() <= kMaxDisputeClaims &&
      (claims.empty() || !SomeClaimsPass(raw.lines, s.line, claims, confirming))) {
    return false;  // The checks refute the MRZ model's reading: the glyph model's stands.
  }
  for (auto text : {&SecondOpinion::RawLineText, &SecondOpinion::OtherLineText}) {
    if (static_cast<int>(cells.size()) < kMinOutvotedCells) return false;
    const std::vector<char> by = AlignedCharacters(read, (second.*text)(s.line));
    cells.erase(
        std::remove_if(cells.begin(), cells.end(), [&](int i) { return by[i] != by_line[i]; }),
        cells.end());
  }
  return static_cast<int>(cells.size()) >= kMinOutvotedCells;
}

// Whether, in field `s` of a read fused from the general recognisers' text
// (DecodedMrz::glyph_lines set), the OCR-B glyph model's own reading is a
// rival the checks `confirming` cannot tell from the fused one: where the
// two differ in the field, every character the glyph model reads is an
// OCR-B look-alike (IsLookAlike) of the fused one, and the lines with the
// glyph model's reading of the field put back pass every check of
// `confirming` too. Two readings, one by each kind of recogniser, that the
// check digits cannot choose between: a check-blind look-alike pair (`O`
// and `0` at weights 3 and 7 cancel in a number's check and in a TD3's
// composite, which repeats its weights). Tuning photo seed 8150: a TD3's
// document number `LO1O6630C` read right by the glyph model (`O` at 0.83
// and 0.68) and disputed, both Tesseract models reading `L0106630C`, which
// the fallback then took and which came out `valid`. Not where the glyph
// model reads the field otherwise than by look-alikes (a grid slipped on a
// glare: its reading is no rival, and some of its look-alikes alone pass a
// lone composite one time in ten; fresh photo seed 9391, a first version
// that tried every subset of them).
bool GlyphReadingPassesToo(const DecodedMrz& d, const Span& s,
                           const std::vector<MrzCheck>& confirming) {
  if (confirming.empty() || d.glyph_lines.size() != d.lines.size()) return false;
  const std::string& glyph = d.glyph_lines[s.line];
  std::vector<std::string> rival = d.lines;
  std::string& line = rival[s.line];
  if (glyph.size() != line.size()) return false;
  bool differs = false;
  for (int i = s.from; i < s.to; ++i) {
    if (glyph[i] == line[i]) continue;
    if (!IsLookAlike(glyph[i], line[i]) || !LayoutAllows(d, s, i, glyph[i])) return false;
    line[i] = glyph[i];
    differs = true;
  }
  if (!differs) return false;
  const absl::StatusOr<ParsedMrz> parsed = ParseMrz(rival);
  return parsed.ok() && std::all_of(confirming.begin(), confirming.end(), [&](MrzCheck c) {
           return parsed->CheckPassed(c).value_or(false);
         });
}

// The checks that confirm field `s` when they pass: its own check digit
// and, for a field under the composite, the composite when it passes
// (`composite`); none for a field no check digit covers.
std::vector<MrzCheck> ConfirmingChecks(const Span& s, std::optional<bool> composite) {
  if (!s.check.has_value()) return {};
  std::vector<MrzCheck> confirming = {*s.check};
  if (*s.check != MrzCheck::kComposite && composite.value_or(false)) {
    confirming.push_back(MrzCheck::kComposite);
  }
  return confirming;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// How open a glyph's read `c` is at position `i` of field `s`
// (no check digit covering it), from the glyph model's probabilities as
// decoded (`raw`): kDecisive when every OCR-B look-alike of `c` the field's
// type allows there (TypeAllows) has below kLookAlikeMargin; kLetterDigit
// when a look-alike of the other kind (a digit for a letter or the other
// way round: O/0, I/1, B/8, S/5, Z/2, G/6, D/0, Q/0) reaches it, which only
// a field allowing both (a visa's optional data) can have; else kOpen.
enum class LookAlikeMargin { kDecisive, kOpen, kLetterDigit };

LookAlikeMargin MarginAt(const DecodedMrz& raw, const Span& s, int i) {
  const char c = raw.lines[s.line][i];
  LookAlikeMargin margin = LookAlikeMargin::kDecisive;
  for (int k = 0; k < kMrzAlphabetSize; ++k) {
    const char alt = kMrzAlphabet[k];
    if (raw.probability[s.line][i][k] < kLookAlikeMargin || !IsLookAlike(c, alt) ||
        !TypeAllows(raw, s, i, alt)) {
      continue;
    }
    if (IsDigit(alt) != IsDigit(c)) return LookAlikeMargin::kLetterDigit;
    margin = LookAlikeMargin::kOpen;
  }
  return margin;
}

// Whether field `s` (covered by no check digit) has a
// character the glyph model may have confused with a look-alike
// (MarginAt not kDecisive) that the second recogniser (the MRZ model)
// reads otherwise on its line and on its raw line, where:
// * for a letter/digit pair (kLetterDigit), it does not read the glyph
//   model's character (it reads another, or none): no type rule tells the
//   two apart there, nor does any check digit, so both recognisers must
//   read it alike;
// * for another pair, it reads a look-alike the glyph model gives at least
//   kLookAlikeMargin: the two recognisers split on a confusable pair.
// No other model's agreement stands in for the second's there (held-out
// photo seed 9238: `0` read `O` by the glyph model and the other model, `0`
// by the MRZ model, `valid`).
bool ContestedLookAlike(const DecodedMrz& raw, const Span& s, SecondOpinion& second) {
  std::vector<std::pair<int, LookAlikeMargin>> open;
  for (int i = s.from; i < s.to; ++i) {
    const LookAlikeMargin margin = MarginAt(raw, s, i);
    if (margin != LookAlikeMargin::kDecisive) open.emplace_back(i, margin);
  }
  if (open.empty()) return false;
  const std::string& read = raw.lines[s.line];
  const std::vector<char> by_line = AlignedCharacters(read, second.LineText(s.line));
  if (std::all_of(open.begin(), open.end(),
                  [&](const auto& o) { return by_line[o.first] == read[o.first]; })) {
    return false;
  }
  const std::vector<char> by_raw = AlignedCharacters(read, second.RawLineText(s.line));
  // Whether `x`, the second's reading at `i`, is a look-alike the glyph model
  // gives a real chance.
  auto splits = [&](int i, char x) {
    const int k = MrzIndex(x);
    return k >= 0 && IsLookAlike(read[i], x) && raw.probability[s.line][i][k] >= kLookAlikeMargin;
  };
  for (const auto& [i, margin] : open) {
    if (by_line[i] == read[i] || by_raw[i] == read[i]) continue;
    if (margin == LookAlikeMargin::kLetterDigit || splits(i, by_line[i]) || splits(i, by_raw[i])) {
      return true;
    }
  }
  return false;
}

// A glyph model split between the character it read and an OCR-B
// look-alike it gives at least this probability (as decoded) is
// itself in doubt there (SplitLookAlikeReadOtherwise).
constexpr double kSplitLookAlikeProbability = 0.2;

// Whether field `s` (covered by no check digit) has a cell where the glyph
// model gives an OCR-B look-alike of its character of the same kind (a
// letter for a letter, a digit for a digit; IsLookAlike, allowed by the
// field's type, TypeAllows) at least kSplitLookAlikeProbability, as decoded
// (`raw`), and some Tesseract reading (the MRZ model's line or raw line, the
// other model's line; aligned as in AlignedCharacters) reads that
// look-alike there: the glyph model split on a pair no check digit tells
// apart, and a recogniser taking the other side. Where the MRZ model reads
// the glyph model's character, its agreement is no proof: both may share a
// misread. Letter/digit pairs and the filler's look-alikes (`<` for `K`,
// `C`, `E`, `L`, `Z`) are left to ContestedLookAlike, which asks the MRZ
// model: `eng` knows no field types and reads `0` for `O`, `2` for `Z` and
// the like on its own (tuning hard seeds 8018, 8114, 8178: a visa's optional
// data read right by the glyph model and the MRZ model, went to review on
// `eng`'s letter/digit swaps in a first version), and it reads fillers as
// `K` (held-out seeds 9116 hard, 9175 photo; fresh hard 9372: right names
// to review in a second version). Tuning hard seed 8069: an MRV-B's name
// `ROSEITBO` read `ROSEIIBO` (`I` 0.62, `T` 0.24) by the glyph model and the MRZ model, only `eng`
// reading `T`; it came out `valid`. The readings are asked only for a field with such a cell, one
// at a time.
bool SplitLookAlikeReadOtherwise(const DecodedMrz& raw, const Span& s, SecondOpinion& second) {
  std::vector<std::pair<int, int>> split;  // Position, the look-alike's index.
  const std::string& read = raw.lines[s.line];
  for (int i = s.from; i < s.to; ++i) {
    for (int k = 0; k < kMrzAlphabetSize; ++k) {
      const char alt = kMrzAlphabet[k];
      if (raw.probability[s.line][i][k] >= kSplitLookAlikeProbability &&
          IsLookAlike(read[i], alt) && IsDigit(alt) == IsDigit(read[i]) && read[i] != '<' &&
          alt != '<' && TypeAllows(raw, s, i, alt)) {
        split.emplace_back(i, k);
      }
    }
  }
  if (split.empty()) return false;
  for (auto text :
       {&SecondOpinion::LineText, &SecondOpinion::RawLineText, &SecondOpinion::OtherLineText}) {
    const std::vector<char> by = AlignedCharacters(read, (second.*text)(s.line));
    for (const auto& [i, k] : split) {
      if (by[i] == kMrzAlphabet[k]) return true;
    }
  }
  return false;
}

// Whether the second recogniser reads field `s` verbatim on its line. Names:
// the whole name field as printed, '<<' between surname and given names
// included and trailing fillers dropped, so that a misplaced separator
// disagrees. A field of fillers only: the run with one neighbour each
// side (a filler read as K would show). Other fields: every filler-split
// token of the field appears on the line.
bool ReadsFieldVerbatimIn(const DecodedMrz& d, const Span& s, const std::string& text) {
  if (text.empty()) return false;
  const std::string& line = d.lines[s.line];
  std::string field = line.substr(s.from, s.to - s.from);
  const absl::string_view name = s.name;
  const bool is_name = name == "surname" || name == "given_names";
  if (field.find_first_not_of('<') == std::string::npos) {
    if (is_name) return false;  // No name printed: nothing to cross-check.
    const int lo = std::max(0, s.from - 1);
    const int hi = std::min(static_cast<int>(line.size()), s.to + 1);
    return text.find(line.substr(lo, hi - lo)) != std::string::npos;
  }
  if (is_name)
    return text.find(field.substr(0, field.find_last_not_of('<') + 1)) != std::string::npos;
  for (absl::string_view token : absl::StrSplit(field, '<', absl::SkipEmpty())) {
    if (text.find(std::string(token)) == std::string::npos) return false;
  }
  return true;
}

// Whether the second recogniser reads field `s` verbatim, in its reading of
// the line as laid out or, failing that, as a raw line (whose
// confirmations count as the first's, DoubtFactors).
bool ReadsFieldVerbatim(const DecodedMrz& d, const Span& s, SecondOpinion& second) {
  return ReadsFieldVerbatimIn(d, s, second.LineText(s.line)) ||
         ReadsFieldVerbatimIn(d, s, second.RawLineText(s.line));
}

// Chance that field `s`, covered by no check digit, is read right: the
// product over its characters of one minus the doubt there (the mass of
// the other symbols), each doubt cut by its factor (null: none).
double UncoveredConfidence(const DecodedMrz& d, const Span& s, const std::vector<double>* factors) {
  double conf = 1.0;
  for (int i = s.from; i < s.to; ++i) {
    const double factor = factors ? (*factors)[i] : 1.0;
    conf *= 1.0 - (1.0 - d.confidence[s.line][i]) * factor;
  }
  return conf;
}

// Like UncoveredConfidence for a state code, given that the document
// carries a known one: the read code's probability among the known codes
// (KnownStateCodeFields), every symbol's probability at a position where
// it differs from the read one cut by that position's factor. A code that
// is not known gets UncoveredConfidence (the verdict fails it anyway).
double StateCodeConfidence(const DecodedMrz& d, const Span& s, const std::vector<double>* factors) {
  const std::string read = d.lines[s.line].substr(s.from, s.to - s.from);
  const std::vector<std::string>& known = KnownStateCodeFields();
  if (read.size() != 3 || !std::binary_search(known.begin(), known.end(), read)) {
    return UncoveredConfidence(d, s, factors);
  }
  double read_mass = 1.0, total = 0.0;
  for (int k = 0; k < 3; ++k) read_mass *= d.confidence[s.line][s.from + k];
  for (const std::string& code : known) {
    double mass = 1.0;
    for (int k = 0; k < 3 && mass > 0; ++k) {
      const int i = s.from + k;
      double p = d.probability[s.line][i][MrzIndex(code[k])];
      if (code[k] != read[k] && factors) p *= (*factors)[i];
      mass *= p;
    }
    total += mass;
  }
  return total > 0 ? read_mass / total : 0.0;
}

// Like UncoveredConfidence for the document code of a TD1 or TD2 whose
// first letter is one ICAO allows there (kCardCodeLetters): that letter's
// probability among the allowed ones (as StateCodeConfidence does for
// state codes; the others' probability at the position multiplied by
// `factors`), times the second character's confidence. Other layouts and
// letters: UncoveredConfidence.
double DocumentCodeConfidence(const DecodedMrz& d, const Span& s,
                              const std::vector<double>* factors) {
  const std::string& line = d.lines[s.line];
  const bool card = d.format == MrzFormat::kTd1 || d.format == MrzFormat::kTd2;
  if (!card || s.to - s.from != 2 ||
      absl::string_view(kCardCodeLetters).find(line[s.from]) == absl::string_view::npos) {
    return UncoveredConfidence(d, s, factors);
  }
  const std::array<float, kMrzAlphabetSize>& p = d.probability[s.line][s.from];
  const double read = p[MrzIndex(line[s.from])];
  double total = 0;
  for (char c : absl::string_view(kCardCodeLetters)) {
    total += c == line[s.from] ? read : p[MrzIndex(c)] * (factors ? (*factors)[s.from] : 1.0);
  }
  const Span second{s.name, s.line, s.from + 1, s.to, s.check};
  return (total > 0 ? read / total : 0.0) * UncoveredConfidence(d, second, factors);
}

// ICAO 9303-3 §4.9 weights, repeated along a check-digit group.
constexpr int kCheckWeights[3] = {7, 3, 1};
// A changed check digit escapes when the data's weighted differences add
// up to the change: the check digit acts as weight -1, i.e. 9 modulo 10.
constexpr int kCheckDigitWeight = 9;

// Per line and position, the weight of that position in `check`'s sum (0
// where the group does not reach), for `format`'s layout (9303-4 §4.2.2,
// 9303-5 §4.2.2, 9303-6 §4.2.2, 9303-7).
std::vector<std::vector<int>> CheckWeights(MrzFormat format, MrzCheck check) {
  const int len = MrzLineLength(format);
  std::vector<std::vector<int>> w(MrzLineCount(format), std::vector<int>(len, 0));
  struct Segment {
    int line, from, to;  // [from, to)
  };
  std::vector<Segment> data;
  Segment digit{0, 0, 0};
  const bool td1 = format == MrzFormat::kTd1;
  const int l2 = 1;
  switch (check) {
    case MrzCheck::kDocumentNumber:
      data = {td1 ? Segment{0, 5, 14} : Segment{l2, 0, 9}};
      digit = td1 ? Segment{0, 14, 15} : Segment{l2, 9, 10};
      break;
    case MrzCheck::kBirthDate:
      data = {td1 ? Segment{l2, 0, 6} : Segment{l2, 13, 19}};
      digit = td1 ? Segment{l2, 6, 7} : Segment{l2, 19, 20};
      break;
    case MrzCheck::kExpiryDate:
      data = {td1 ? Segment{l2, 8, 14} : Segment{l2, 21, 27}};
      digit = td1 ? Segment{l2, 14, 15} : Segment{l2, 27, 28};
      break;
    case MrzCheck::kOptionalData:
      data = {Segment{l2, 28, 42}};
      digit = Segment{l2, 42, 43};
      break;
    case MrzCheck::kComposite:
      if (td1) {
        data = {{0, 5, 30}, {l2, 0, 7}, {l2, 8, 15}, {l2, 18, 29}};
      } else {
        data = {{l2, 0, 10}, {l2, 13, 20}, {l2, 21, len - 1}};
      }
      digit = Segment{l2, len - 1, len};
      break;
  }
  int k = 0;
  for (const Segment& seg : data) {
    for (int i = seg.from; i < seg.to; ++i) w[seg.line][i] = kCheckWeights[k++ % 3];
  }
  w[digit.line][digit.from] = kCheckDigitWeight;
  return w;
}

// ICAO 9303-3 §4.9 value of an MRZ character: digits as such, A-Z 10-35,
// the filler 0.
int CheckValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 0;
}

// Whether the second recogniser reads another character (a substitution,
// aligned as in ContradictedPositions) anywhere in `check`'s group. A glyph
// read can be confident and wrong (a blurred 2 read as 7 at 0.95); a
// failure is evidence that the document was printed wrong only where no
// independent reader sees something else.
bool SecondReadingContradictsGroup(const DecodedMrz& d, MrzCheck check, SecondOpinion& second) {
  const std::vector<std::vector<int>> w = CheckWeights(d.format, check);
  for (size_t line = 0; line < w.size() && line < d.lines.size(); ++line) {
    if (std::all_of(w[line].begin(), w[line].end(), [](int weight) { return weight == 0; })) {
      continue;
    }
    const std::string text = second.LineText(static_cast<int>(line));
    if (text.empty()) continue;  // No second reading: nothing contradicts.
    const std::vector<int> aligned = AlignedPositions(d.lines[line], text);
    for (size_t i = 0; i < w[line].size() && i < d.lines[line].size(); ++i) {
      if (w[line][i] != 0 && aligned[i] >= 0 && text[aligned[i]] != d.lines[line][i]) return true;
    }
  }
  return false;
}

// Whether the verdict may calibrate `d`'s probabilities: decoded from glyph
// scores, and of a layout that no read of the wrong structure can pass for.
// The reader's grid can stop short of a line's end when the ink there is
// gone (a glare band on a photo): on the tuning pages an MRV-A whose grid
// covered only 36 of its 44 columns read as an MRV-B whose every check
// passed (visas have no composite); calibrated, its cut names and optional
// data no longer kept it in review (docs/ocr.md). So not an MRV-B (it may
// be a cut MRV-A); a TD2 only when its document code starts with `A`, `C`
// or `I` (9303-5/-6; a TD3 cut to 36 columns starts with `P` and passes the
// TD2 composite one time in ten); a TD3 only with `P` (9303-4). 44-column
// layouts cannot be cut from a longer one, and a TD1 has three lines.
bool CalibrationApplies(const DecodedMrz& d) {
  if (!d.glyph_scores || d.lines.empty() || d.lines[0].empty()) return false;
  const char letter = d.lines[0][0];
  switch (d.format) {
    case MrzFormat::kTd3:
      return letter == 'P';
    case MrzFormat::kTd1:
    case MrzFormat::kTd2:
      return letter == 'A' || letter == 'C' || letter == 'I';
    case MrzFormat::kMrvA:
      return true;
    case MrzFormat::kMrvB:
      return false;
  }
  return false;
}

// Whether `d` (judged with its probabilities as decoded when
// `as_decoded`) may be `valid` as far as its lines' ends go. A grid can stop
// short of a line's end where the ink is gone (glare, a shadow), and an
// MRV-A cut to 36 columns is an MRV-B whose every check passes (visas have
// no composite): nothing the reader measures proves that an MRV-B's lines
// end where its grid ends. Only the glyph model's own doubt at the cells it
// read, as decoded, may stand for that proof (the cut name and optional
// data stay unsure there); a read whose probabilities it did not give or
// that were raised (text fused from the Tesseract models, which read the
// same cut crops; calibration, CalibrationApplies) is never a `valid`
// MRV-B (check seed 8238, photo: a cut MRV-A read as an MRV-B by the
// not-OCR-B fusion). Other layouts: true.
bool LineEndsAsRead(const DecodedMrz& d, bool as_decoded) {
  return d.format != MrzFormat::kMrvB || (d.glyph_scores && as_decoded);
}

}  // namespace

DecodedMrz CalibratedProbabilities(const DecodedMrz& d, double exponent) {
  DecodedMrz out = d;
  if (exponent == 1.0) return out;
  for (size_t l = 0; l < out.lines.size(); ++l) {
    for (size_t i = 0; i < out.lines[l].size(); ++i) {
      std::array<float, kMrzAlphabetSize>& p = out.probability[l][i];
      double sum = 0;
      for (float& x : p) {
        x = x > 0 ? static_cast<float>(std::pow(static_cast<double>(x), exponent)) : 0.f;
        sum += x;
      }
      const int chosen = MrzIndex(out.lines[l][i]);
      if (sum <= 0 || chosen < 0) continue;
      for (float& x : p) x = static_cast<float>(x / sum);
      out.confidence[l][i] = p[chosen];
      // As in DecodeMrz: by the difference of check-digit values modulo 10.
      const int chosen_value = chosen == kMrzAlphabetSize - 1 ? 0 : chosen;
      std::array<float, 10>& by_residue = out.residue_mass[l][i];
      by_residue.fill(0.f);
      for (int c = 0; c < kMrzAlphabetSize; ++c) {
        if (c == chosen) continue;
        const int value = c == kMrzAlphabetSize - 1 ? 0 : c;
        by_residue[((value - chosen_value) % 10 + 10) % 10] += p[c];
      }
      out.undetectable[l][i] = by_residue[0];
    }
  }
  return out;
}

double FailingCheckPassChance(const DecodedMrz& d, MrzCheck check,
                              const std::vector<std::vector<double>>* factors) {
  const std::vector<std::vector<int>> w = CheckWeights(d.format, check);
  // The weighted sum as read (the check digit at weight 9, i.e. -1): not 0
  // modulo 10 when the check fails.
  int sum = 0;
  // Distribution of the weighted residue change the read's errors add.
  std::array<double, 10> change{};
  change[0] = 1.0;
  for (size_t line = 0; line < w.size() && line < d.lines.size(); ++line) {
    for (size_t i = 0; i < w[line].size() && i < d.lines[line].size(); ++i) {
      if (w[line][i] == 0) continue;
      sum += w[line][i] * CheckValue(d.lines[line][i]);
      const std::array<float, 10>& mass = d.residue_mass[line][i];
      const double f = factors != nullptr && line < factors->size() && i < (*factors)[line].size()
                           ? (*factors)[line][i]
                           : 1.0;
      double other = 0;
      for (int r = 1; r < 10; ++r) other += f * mass[r];
      std::array<double, 10> next{};
      for (int s = 0; s < 10; ++s) {
        if (change[s] == 0) continue;
        next[s] += change[s] * std::max(0.0, 1.0 - other);
        for (int r = 1; r < 10; ++r) next[(s + w[line][i] * r) % 10] += change[s] * f * mass[r];
      }
      change = next;
    }
  }
  return change[(10 - sum % 10) % 10];
}

namespace {

// What judging one read needs at every field: the read (`d`, whose
// probabilities give the field confidences), the same lines as decoded
// (`raw`, whose probabilities decide whether a failing check is trusted),
// the second recogniser's confirmations (`factors`) and readings
// (`second`), the parsed lines and the threshold; `result` collects the
// reasons.
struct FieldJudge {
  const DecodedMrz& raw;
  const DecodedMrz& d;
  DoubtFactors& factors;
  SecondOpinion& second;
  const ParsedMrz& parsed;
  // Whether the composite check passes (nullopt: the layout has none).
  std::optional<bool> composite;
  double threshold;
  MrzReadResult& result;

  // UncoveredConfidence, or StateCodeConfidence for state codes,
  // DocumentCodeConfidence for the document code; `f`: doubt factors.
  double Uncovered(const Span& s, const std::vector<double>* f) const {
    if (IsStateCodeField(s)) return StateCodeConfidence(d, s, f);
    if (absl::string_view(s.name) == "document_code") return DocumentCodeConfidence(d, s, f);
    return UncoveredConfidence(d, s, f);
  }

  // Whole-field agreement (the rule before character-level agreement,
  // kept: it never confirms less than it did).
  bool Verbatim(const Span& s) const {
    return !AnyMarked(d.foreign_ink, s) && !AnyMarked(d.cut, s) && ReadsFieldVerbatim(d, s, second);
  }

  // `doubt` (of field `s` under `checks`) cut by the second recogniser's
  // agreement where it leaves the field short of the threshold: the whole
  // field's doubt times kAgreementDoubtFactor when it reads the field
  // verbatim, or the doubt with its confirmed characters' cut
  // (DoubtFactors), whichever is less.
  double AgreedCheckedDoubt(const Span& s, const std::vector<MrzCheck>& checks, double doubt) {
    if (1.0 - doubt >= threshold) return doubt;
    return std::min(Verbatim(s) ? doubt * kAgreementDoubtFactor : doubt,
                    CheckedDoubt(d, s.line, s.from, s.to, checks, &factors.Of(s)));
  }

  // Field `s`, covered by no check digit.
  double UncoveredField(const Span& s) {
    double conf = Uncovered(s, nullptr);
    if (conf < threshold) {
      const double by_field = Verbatim(s) ? 1.0 - (1.0 - conf) * kAgreementDoubtFactor : conf;
      conf = std::max(by_field, Uncovered(s, &factors.Of(s)));
    }
    if (conf >= threshold &&
        (ContestedLookAlike(raw, s, second) || SplitLookAlikeReadOtherwise(raw, s, second))) {
      conf = std::min(conf, kContestedFieldShare * threshold);
    }
    return conf;
  }

  // Field `s`, its check digit passing with no correction (`product`: its
  // characters' confidences multiplied).
  double PassingField(const Span& s, double product, bool composite_confirms) {
    std::vector<MrzCheck> confirming = {*s.check};
    if (composite_confirms) confirming.push_back(MrzCheck::kComposite);
    const double doubt = AgreedCheckedDoubt(
        s, confirming, CheckedDoubt(d, s.line, s.from, s.to, confirming, nullptr));
    double conf = std::max(product, 1.0 - doubt);
    if (conf >= threshold &&
        (UnsureGlyphsContradicted(raw, s, confirming, second) ||
         TesseractModelsAgreeOnAnotherPassingReading(raw, s, confirming, second))) {
      // Two or more unsure glyphs, one of them read as
      // the same other character by both Tesseract models: the checks
      // may pass on two misreads the glyph model's alternatives do not
      // foresee. Or both Tesseract models read the field as another
      // line the checks pass as well.
      conf = std::min(conf, kDisputedFieldShare * threshold);
      result.reasons.push_back(absl::StrCat("disputed:", s.name));
    }
    return conf;
  }

  // Field `s`, its check digit passing after `edits` corrections
  // (`conf`: its characters' confidences multiplied, `min_p`: the least).
  double CorrectedField(const Span& s, double conf, double min_p, int edits,
                        bool composite_confirms) {
    if (edits == 1 && composite_confirms) {
      const double doubt = AgreedCheckedDoubt(
          s, {MrzCheck::kComposite},
          CheckedDoubt(d, s.line, s.from, s.to, {MrzCheck::kComposite}, nullptr));
      conf = std::max(min_p, std::min(kMaxCorrectedFieldConfidence, 1.0 - doubt));
    }
    if (conf < threshold) {
      // The second recogniser reading the corrected characters confirms
      // the correction independently of the check digit that chose it.
      conf = std::max(
          conf, std::min(kMaxCorrectedFieldConfidence, UncoveredConfidence(d, s, &factors.Of(s))));
    }
    return conf;
  }

  // The doubt factors of every line `check`'s group reaches, over the
  // positions it reaches there (per line; empty for a line it does not
  // reach).
  std::vector<std::vector<double>> GroupFactors(MrzCheck check) {
    const std::vector<std::vector<int>> w = CheckWeights(raw.format, check);
    std::vector<std::vector<double>> f(raw.lines.size());
    for (size_t line = 0; line < w.size() && line < raw.lines.size(); ++line) {
      // The positions the group reaches on this line, [from, to).
      int from = -1, to = -1;
      for (int i = 0; i < static_cast<int>(w[line].size()); ++i) {
        if (w[line][i] == 0) continue;
        if (from < 0) from = i;
        to = i + 1;
      }
      if (from >= 0) f[line] = factors.Of(static_cast<int>(line), from, to);
    }
    return f;
  }

  // Whether field `s`'s failing check is trusted as printed: printed
  // wrong, or misread? Trusted as printed when the read's own doubt could
  // hardly make the check pass (FailingCheckPassChance below
  // 1 - min_field_confidence): then the field's characters may be unsure
  // (0/O in a number), but the document does not add up either way.
  bool FailureTrusted(const Span& s) {
    double raw_min_p = 1.0;
    for (int i = s.from; i < s.to; ++i) {
      raw_min_p = std::min<double>(raw_min_p, raw.confidence[s.line][i]);
    }
    bool trusted = raw_min_p >= kMinFailingGroupCharConfidence ||
                   FailingCheckPassChance(raw, *s.check) < 1.0 - threshold;
    if (!trusted) {
      // The same chance with the doubt of every
      // character the second recogniser reads too cut by
      // kAgreementDoubtFactor (as for passing checks): both would have
      // to misread it alike for the failure to be a misread.
      const std::vector<std::vector<double>> f = GroupFactors(*s.check);
      trusted = FailingCheckPassChance(raw, *s.check, &f) < 1.0 - threshold;
    }
    // Never trusted where the second recogniser reads another
    // character in the group: the glyph model's confident read may be
    // the misread (docgen tuning seed 8022: a TD2 whose 2 read as 7).
    return trusted && !SecondReadingContradictsGroup(raw, *s.check, second);
  }

  // `conf` of field `s` capped where the read gives reason to doubt it
  // whatever its probabilities say: every Tesseract reading outvoting the
  // glyph model, a cut glyph no check covers, a check that a recogniser's
  // tie-break chose.
  double Capped(const Span& s, double conf) {
    if (conf >= threshold &&
        TesseractReadingsOutvoteGlyphs(d, s, ConfirmingChecks(s, composite), second)) {
      // Every Tesseract reading reads other characters than the glyph
      // model's at several cells: checks passing on a glyph misread are
      // no proof there (fresh hard seed 9365).
      conf = std::min(conf, kDisputedFieldShare * threshold);
      result.reasons.push_back(absl::StrCat("outvoted:", s.name));
    }
    if (conf >= threshold && GlyphReadingPassesToo(d, s, ConfirmingChecks(s, composite))) {
      // The fused read's field and the glyph model's pass the same checks.
      conf = std::min(conf, kDisputedFieldShare * threshold);
      result.reasons.push_back(absl::StrCat("disputed:", s.name));
    }
    if (!s.check.has_value() && AnyMarked(d.cut, s)) {
      conf = std::min(conf, kCutFieldShare * threshold);
      result.reasons.push_back(absl::StrCat("cut_glyph:", s.name));
    }
    if (s.check.has_value() &&
        std::find(d.tie_broken.begin(), d.tie_broken.end(), *s.check) != d.tie_broken.end()) {
      // The check digit confirms the field but did not choose it alone:
      // never `valid` on that, route to review.
      conf = std::min(conf, 0.5 * threshold);
      result.reasons.push_back(absl::StrCat("tie_broken:", s.name));
    }
    return conf;
  }

  // Field `s`'s confidence; `*failure_trusted`: its check fails as
  // printed (FailureTrusted).
  double Field(const Span& s, bool* failure_trusted) {
    *failure_trusted = false;
    double product = 1.0, min_p = 1.0;
    int edits = 0;
    for (int i = s.from; i < s.to; ++i) {
      product *= d.confidence[s.line][i];
      min_p = std::min<double>(min_p, d.confidence[s.line][i]);
      edits += d.corrected[s.line][i] ? 1 : 0;
    }
    double conf = product;
    if (!s.check.has_value()) {
      conf = UncoveredField(s);
    } else if (parsed.CheckPassed(*s.check).value_or(false)) {
      const bool composite_confirms = *s.check != MrzCheck::kComposite && composite.value_or(false);
      conf = edits == 0 ? PassingField(s, product, composite_confirms)
                        : CorrectedField(s, conf, min_p, edits, composite_confirms);
    } else {
      *failure_trusted = FailureTrusted(s);
    }
    return Capped(s, conf);
  }
};

// The reasons `parsed` (and the dates `result` resolved from it) give
// against `valid` besides field confidence: failing checks, unknown state
// codes, implausible dates, a line end not proven (`line_ends_as_read`).
void AddDocumentReasons(const ParsedMrz& parsed, bool expiry_ok, bool line_ends_as_read,
                        MrzReadResult& result) {
  for (const MrzCheckResult& c : parsed.checks) {
    if (!c.passed) result.reasons.push_back(absl::StrCat("check:", MrzCheckName(c.check)));
  }
  if (!parsed.issuing_state_known) result.reasons.push_back("unknown_state:issuing_state");
  if (!parsed.nationality_known) result.reasons.push_back("unknown_state:nationality");
  if (!result.birth_date && !result.birth_date_range) {
    result.reasons.push_back("implausible:birth_date");
  }
  if (!expiry_ok) result.reasons.push_back("implausible:expiry_date");
  if (!line_ends_as_read) result.reasons.push_back("unproven_line_end");
}

// JudgeMrz on `d`, a read whose field confidences come from `d`'s
// probabilities and whose failing checks are trusted as printed or not
// from `raw`'s (the same lines, the probabilities as decoded). `factors`
// holds the second recogniser's confirmations of these lines.
MrzReadResult JudgeWith(const DecodedMrz& raw, const DecodedMrz& d, DoubtFactors& factors,
                        SecondOpinion& second, const VerdictOptions& options) {
  MrzReadResult result;
  // Whether the read may be `valid` as a visa of 36 columns
  // (LineEndsAsRead).
  const bool line_ends_as_read = LineEndsAsRead(raw, &d == &raw);
  absl::StatusOr<ParsedMrz> parsed = ParseMrz(d.lines);
  if (!parsed.ok()) {
    result.reasons.push_back("undecodable");
    return result;
  }
  result.birth_date = ResolveBirthDate(parsed->fields.birth_date, options.today);
  result.birth_date_range = ResolvePartialBirthDate(parsed->fields.birth_date, options.today);
  result.expiry_date = ResolveExpiryDate(parsed->fields.expiry_date, options.today);

  // Field confidence: the chance that the field as read is right (rule and
  // calibration in docs/ocr.md, *Deciding right on real documents*).
  // Uncovered fields: UncoveredConfidence, or StateCodeConfidence for state
  // codes. Fields under passing check digits: one minus the chance of an
  // error every passing check covering the field misses: a same-residue
  // confusion at one position (6/G, 8/S, 0/U) or two look-alike errors
  // whose weighted differences cancel in the field's own check digit and
  // in the composite alike (UndetectedPairs, counted exactly: 0 read as O at
  // weights 3 and 7 cancels, and the composite of a TD3 document number
  // shares its weights). Glyph-level doubt that the checks exclude does not
  // count. A check used to correct a field no longer confirms it: a
  // corrected field counts as uncovered unless the composite independently
  // agrees with a single correction, and is capped at
  // kMaxCorrectedFieldConfidence. Wherever that falls short of the
  // threshold, the characters the second recogniser reads too have their
  // doubt cut by kAgreementDoubtFactor (DoubtFactors), or the whole
  // field's doubt when it reads the field verbatim (ReadsFieldVerbatim),
  // whichever confirms more.
  FieldJudge judge{raw,
                   d,
                   factors,
                   second,
                   *parsed,
                   parsed->CheckPassed(MrzCheck::kComposite),
                   options.min_field_confidence,
                   result};
  double overall = 1.0;
  bool uncovered_confident = true;
  bool failing_groups_confident = true;
  for (const Span& s : SpansOf(parsed->format)) {
    bool failure_trusted = false;  // The field's check fails as printed.
    const double conf = judge.Field(s, &failure_trusted);
    if (s.check.has_value() && !parsed->CheckPassed(*s.check).value_or(false)) {
      failing_groups_confident = failing_groups_confident && failure_trusted;
    }
    if (conf < options.min_field_confidence) {
      // A field under a check that fails as printed does not stand in the
      // way of `invalid` (it is never `valid`: the check fails).
      uncovered_confident = uncovered_confident && failure_trusted;
      result.reasons.push_back(absl::StrCat("low_confidence:", s.name));
    }
    result.field_confidence[s.name] = conf;
    overall = std::min(overall, conf);
  }
  result.confidence = overall;
  // A document whose scheme prints no expiry (ParsedMrz::no_expiry_by_scheme)
  // has no date to resolve, and that is not a fault.
  const bool expiry_ok = result.expiry_date.has_value() || parsed->no_expiry_by_scheme;
  AddDocumentReasons(*parsed, expiry_ok, line_ends_as_read, result);
  result.mrz = *parsed;
  const bool adds_up = parsed->valid() && d.refused.empty() && uncovered_confident &&
                       parsed->issuing_state_known && parsed->nationality_known &&
                       (result.birth_date || result.birth_date_range) && expiry_ok;
  if (adds_up && line_ends_as_read) {
    result.verdict = MrzVerdict::kValid;
  } else if (!adds_up && uncovered_confident && failing_groups_confident) {
    // We trust what we read: the document itself does not add up.
    result.verdict = MrzVerdict::kInvalid;
  } else {
    // Not read reliably; or every field confident, but these may not be
    // the whole lines: review.
    result.verdict = MrzVerdict::kUnreadable;
  }
  return result;
}

}  // namespace

MrzReadResult JudgeMrz(const DecodedMrz& raw, SecondOpinion& second,
                       const VerdictOptions& options) {
  DoubtFactors factors(raw, second);
  MrzReadResult as_read = JudgeWith(raw, raw, factors, second, options);
  const double exponent = options.glyph_probability_exponent;
  if (as_read.verdict == MrzVerdict::kValid || exponent == 1.0 || !CalibrationApplies(raw)) {
    return as_read;
  }
  // Speed, same verdicts: the calibrated judgement counts
  // only when `valid`, and what `valid` needs besides confident fields
  // (every check passing, no refused correction, known state codes,
  // plausible dates) does not depend on the probabilities. A read that
  // fails any of it stays as read without the second recogniser's reading
  // of every line that the calibration below would ask for.
  if (!as_read.mrz || !as_read.mrz->valid() || !raw.refused.empty() ||
      !as_read.mrz->issuing_state_known || !as_read.mrz->nationality_known ||
      (!as_read.birth_date && !as_read.birth_date_range) ||
      (!as_read.expiry_date && !as_read.mrz->no_expiry_by_scheme)) {
    return as_read;
  }
  // Calibrated, except where the second recogniser reads another character:
  // there the glyph classifier's doubt is no sampling error but a
  // disagreement, and stays as read.
  DecodedMrz calibrated = CalibratedProbabilities(raw, exponent);
  for (size_t l = 0; l < raw.lines.size(); ++l) {
    const std::vector<bool> contradicted =
        ContradictedPositions(raw.lines[l], second.LineText(static_cast<int>(l)));
    for (size_t i = 0; i < contradicted.size(); ++i) {
      // Nor where foreign ink touches the glyph or the band's
      // edge cuts it: the classifier's doubt there is no sampling error.
      if (!contradicted[i] && !Marked(raw.foreign_ink, l, i) && !Marked(raw.cut, l, i)) continue;
      calibrated.confidence[l][i] = raw.confidence[l][i];
      calibrated.probability[l][i] = raw.probability[l][i];
      calibrated.undetectable[l][i] = raw.undetectable[l][i];
      calibrated.residue_mass[l][i] = raw.residue_mass[l][i];
    }
  }
  MrzReadResult judged = JudgeWith(raw, calibrated, factors, second, options);
  // Calibration only ever turns a review into `valid`; every other verdict
  // (and whether a failing check is trusted) stays as read.
  return judged.verdict == MrzVerdict::kValid ? judged : as_read;
}

double UndetectedPairs(const DecodedMrz& d, int line, int from, int to,
                       const std::vector<MrzCheck>& checks, const std::vector<double>* factors) {
  std::vector<std::vector<std::vector<int>>> weights;
  weights.reserve(checks.size());
  for (MrzCheck c : checks) weights.push_back(CheckWeights(d.format, c));
  auto factor = [&](int i) { return factors ? (*factors)[i] : 1.0; };
  double p = 0;
  for (int i = from; i < to; ++i) {
    for (int j = i + 1; j < to; ++j) {
      const double fij = factor(i) * factor(j);
      for (int ri = 1; ri < 10; ++ri) {
        const double mi = d.residue_mass[line][i][ri];
        if (mi <= 0) continue;
        for (int rj = 1; rj < 10; ++rj) {
          bool escapes = true;
          for (const auto& w : weights) {
            escapes = escapes && (w[line][i] * ri + w[line][j] * rj) % 10 == 0;
          }
          if (escapes) p += mi * d.residue_mass[line][j][rj] * fij;
        }
      }
    }
  }
  return p;
}

double CheckedDoubt(const DecodedMrz& d, int line, int from, int to,
                    const std::vector<MrzCheck>& checks, const std::vector<double>* factors) {
  double same = 0;
  for (int i = from; i < to; ++i) {
    same += d.undetectable[line][i] * (factors ? (*factors)[i] : 1.0);
  }
  return same + UndetectedPairs(d, line, from, to, checks, factors);
}

namespace {

// Per position of `read`: the position of `second` aligned with it by
// edit distance (unit costs, the diagonal preferred), equal or not; -1
// where `read`'s character has no counterpart.
std::vector<int> AlignedPositions(absl::string_view read, absl::string_view second) {
  const int n = static_cast<int>(read.size());
  const int m = static_cast<int>(second.size());
  std::vector<int> aligned(n, -1);
  if (n == 0 || m == 0) return aligned;
  std::vector<std::vector<int>> cost(n + 1, std::vector<int>(m + 1));
  for (int i = 0; i <= n; ++i) cost[i][0] = i;
  for (int j = 0; j <= m; ++j) cost[0][j] = j;
  for (int i = 1; i <= n; ++i) {
    for (int j = 1; j <= m; ++j) {
      cost[i][j] = std::min({cost[i - 1][j] + 1, cost[i][j - 1] + 1,
                             cost[i - 1][j - 1] + (read[i - 1] != second[j - 1])});
    }
  }
  for (int i = n, j = m; i > 0 && j > 0;) {
    const bool same = read[i - 1] == second[j - 1];
    if (cost[i][j] == cost[i - 1][j - 1] + (same ? 0 : 1)) {
      aligned[i - 1] = j - 1;
      --i;
      --j;
    } else if (cost[i][j] == cost[i - 1][j] + 1) {
      --i;
    } else {
      --j;
    }
  }
  return aligned;
}

}  // namespace

std::vector<bool> ConfirmedPositions(absl::string_view read, absl::string_view second) {
  const int n = static_cast<int>(read.size());
  const std::vector<int> aligned = AlignedPositions(read, second);
  std::vector<int> match(n, -1);  // Position in `second` of an equal character.
  for (int i = 0; i < n; ++i) {
    if (aligned[i] >= 0 && read[i] == second[aligned[i]]) match[i] = aligned[i];
  }
  std::vector<bool> confirmed(n, false);
  for (int i = 0; i < n; ++i) {
    if (match[i] < 0) continue;
    bool all = true;
    for (int k = std::max(0, i - kConfirmWindow); all && k <= std::min(n - 1, i + kConfirmWindow);
         ++k) {
      all = match[k] >= 0 && match[k] == match[i] + (k - i);
    }
    confirmed[i] = all;
  }
  return confirmed;
}

std::vector<bool> ContradictedPositions(absl::string_view read, absl::string_view second) {
  const std::vector<int> aligned = AlignedPositions(read, second);
  std::vector<bool> contradicted(read.size(), false);
  for (size_t i = 0; i < read.size(); ++i) {
    contradicted[i] = aligned[i] >= 0 && read[i] != second[aligned[i]];
  }
  return contradicted;
}

std::vector<std::optional<MrzCheck>> OwnCheckPositions(MrzFormat f, int line) {
  std::vector<std::optional<MrzCheck>> out(static_cast<size_t>(MrzLineLength(f)));
  for (const Span& s : SpansOf(f)) {
    if (s.line != line || !s.check || *s.check == MrzCheck::kComposite) continue;
    for (int i = s.from; i < s.to; ++i) out[static_cast<size_t>(i)] = s.check;
  }
  return out;
}

}  // namespace internal
}  // namespace vouch::ocr
