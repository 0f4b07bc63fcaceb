#include "mrz/mrz_verdict.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ocr/mrz.h"
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

namespace internal {
namespace {

// Whether every token of `field` (split at fillers) appears in the
// second recogniser's reading of its line.
bool SecondReaderAgrees(SecondOpinion& second, int line, const std::string& field) {
  const std::string text = second.LineText(line);
  if (text.empty()) return false;
  bool any = false;
  size_t start = 0;
  while (start < field.size()) {
    size_t end = field.find('<', start);
    if (end == std::string::npos) end = field.size();
    if (end > start) {
      any = true;
      if (text.find(field.substr(start, end - start)) == std::string::npos) return false;
    }
    start = end + 1;
  }
  return any;
}

// Whether the second recogniser reads the filler run [from, to) of `line`
// with its neighbours on the line (one character each side, where there
// is one) verbatim: a filler read as K or C there would show.
bool SecondReaderAgreesOnFillers(SecondOpinion& second, const DecodedMrz& d, int line,
                                 int from, int to) {
  const std::string text = second.LineText(line);
  const int len = static_cast<int>(d.lines[line].size());
  const int lo = std::max(0, from - 1), hi = std::min(len, to + 1);
  return !text.empty() &&
         text.find(d.lines[line].substr(lo, hi - lo)) != std::string::npos;
}


// Doubt left when the second recogniser reads the field's text as well:
// both would have to make the same mistake.
constexpr double kAgreementDoubtFactor = 0.05;
// A field fixed by one correction that the composite confirms is never
// more certain than this.
constexpr double kMaxCorrectedFieldConfidence = 0.95;
// A failing check is trusted (the document is `invalid`, not `unreadable`)
// only when every character of its group was read with this confidence.
constexpr double kMinFailingGroupCharConfidence = 0.9;

// The field's text as the second recogniser must read it. Names: the
// whole name field as printed, '<<' between surname and given names
// included and trailing fillers dropped, so that a misplaced separator
// (which moves letters between surname and given names) disagrees. Other
// fields: their span of the line.
std::string FieldText(const DecodedMrz& d, absl::string_view name, int line, int from,
                      int to) {
  std::string text = d.lines[line].substr(from, to - from);
  if (name == "surname" || name == "given_names") {
    const size_t last = text.find_last_not_of('<');
    text = last == std::string::npos ? std::string() : text.substr(0, last + 1);
  }
  return text;
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

}  // namespace

double FailingCheckPassChance(const DecodedMrz& d, MrzCheck check) {
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
      double other = 0;
      for (int r = 1; r < 10; ++r) other += mass[r];
      std::array<double, 10> next{};
      for (int s = 0; s < 10; ++s) {
        if (change[s] == 0) continue;
        next[s] += change[s] * std::max(0.0, 1.0 - other);
        for (int r = 1; r < 10; ++r) next[(s + w[line][i] * r) % 10] += change[s] * mass[r];
      }
      change = next;
    }
  }
  return change[(10 - sum % 10) % 10];
}

MrzReadResult JudgeMrz(const DecodedMrz& d, SecondOpinion& second,
                       const VerdictOptions& options) {
  MrzReadResult result;
  absl::StatusOr<ParsedMrz> parsed = ParseMrz(d.lines);
  if (!parsed.ok()) {
    result.reasons.push_back("undecodable");
    return result;
  }
  result.birth_date = ResolveBirthDate(parsed->fields.birth_date, options.today);
  result.expiry_date = ResolveExpiryDate(parsed->fields.expiry_date, options.today);

  // Field positions, to turn character confidences into field ones.
  struct Span {
    const char* name;
    int line, from, to;  // [from, to)
    std::optional<MrzCheck> check;
  };
  std::vector<Span> spans;
  const MrzFormat f = parsed->format;
  if (f == MrzFormat::kTd1) {
    spans = {{"document_code", 0, 0, 2, {}},
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
  } else {
    const int len = MrzLineLength(f);
    const bool visa = f == MrzFormat::kMrvA || f == MrzFormat::kMrvB;
    spans = {{"document_code", 0, 0, 2, {}},
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
    } else if (visa) {
      spans.push_back({"optional_data", 1, 28, len, std::nullopt});
    }
  }
  // Field confidence: the chance that the field as read is right.
  // Uncovered fields: the product of character confidences, its doubt cut
  // by kAgreementDoubtFactor when the second recogniser reads the field's
  // text too. Fields under passing check digits: one minus the chance of an
  // error every passing check covering the field misses: a same-residue
  // confusion at one position (6/G, 8/S, 0/U) or two look-alike errors
  // whose weighted differences cancel in the field's own check digit and
  // in the composite alike (UndetectedPairs, counted exactly: 0 read as O at
  // weights 3 and 7 cancels, and the composite of a TD3 document number
  // shares its weights). Glyph-level doubt that the checks exclude does not
  // count. A check used to correct a field no longer confirms it: a field
  // with one correction keeps its characters' own confidence unless the
  // composite independently agrees, capped at kMaxCorrectedFieldConfidence.
  const std::optional<bool> composite = parsed->CheckPassed(MrzCheck::kComposite);
  double overall = 1.0;
  bool uncovered_confident = true;
  bool failing_groups_confident = true;
  for (const Span& s : spans) {
    double product = 1.0, min_p = 1.0, same = 0.0;
    int edits = 0;
    for (int i = s.from; i < s.to; ++i) {
      const double p = d.confidence[s.line][i];
      product *= p;
      min_p = std::min(min_p, p);
      same += d.undetectable[s.line][i];
      edits += d.corrected[s.line][i] ? 1 : 0;
    }
    const std::string text = FieldText(d, s.name, s.line, s.from, s.to);
    const bool is_name = s.name == absl::string_view("surname") ||
                         s.name == absl::string_view("given_names");
    // Asked only when the field is in doubt: the second recogniser is slow.
    auto second_agrees = [&] {
      if (is_name && !text.empty()) {
        const std::string reading = second.LineText(s.line);
        return reading.find(text) != std::string::npos;
      }
      if (text.find_first_not_of('<') != std::string::npos) {
        return SecondReaderAgrees(second, s.line, text);
      }
      // All fillers (e.g. no given names: nothing to cross-check).
      return !is_name && SecondReaderAgreesOnFillers(second, d, s.line, s.from, s.to);
    };
    double conf = product;
    bool failure_trusted = false;  // The field's check fails as printed.
    if (s.check.has_value()) {
      const bool passed = parsed->CheckPassed(*s.check).value_or(false);
      const bool composite_confirms =
          *s.check != MrzCheck::kComposite && composite.value_or(false);
      if (passed && edits == 0) {
        std::vector<MrzCheck> confirming = {*s.check};
        if (composite_confirms) confirming.push_back(MrzCheck::kComposite);
        double doubt = same + UndetectedPairs(d, s.line, s.from, s.to, confirming);
        if (1.0 - doubt < options.min_field_confidence && second_agrees()) {
          doubt *= kAgreementDoubtFactor;
        }
        conf = std::max(product, 1.0 - doubt);
      } else if (passed && edits == 1 && composite_confirms) {
        double doubt =
            same + UndetectedPairs(d, s.line, s.from, s.to, {MrzCheck::kComposite});
        // The second recogniser reading the corrected text confirms the
        // correction independently of the check digit that chose it.
        if (1.0 - doubt < options.min_field_confidence && second_agrees()) {
          doubt *= kAgreementDoubtFactor;
        }
        conf = std::max(min_p, std::min(kMaxCorrectedFieldConfidence, 1.0 - doubt));
      } else if (!passed) {
        // Printed wrong, or misread? Trusted as printed when the read's
        // own doubt could hardly make the check pass (FailingCheckPassChance
        // below 1 - min_field_confidence): then the field's characters may
        // be unsure (0/O in a number), but the document does not add up
        // either way.
        const bool trusted = min_p >= kMinFailingGroupCharConfidence ||
                             FailingCheckPassChance(d, *s.check) <
                                 1.0 - options.min_field_confidence;
        failing_groups_confident = failing_groups_confident && trusted;
        failure_trusted = trusted;
      }
    }
    if (conf < options.min_field_confidence && !s.check.has_value() && second_agrees()) {
      // Two independent recognisers agree on the field.
      conf = 1.0 - (1.0 - conf) * kAgreementDoubtFactor;
    }
    if (s.check.has_value() &&
        std::find(d.tie_broken.begin(), d.tie_broken.end(), *s.check) !=
            d.tie_broken.end()) {
      // The check digit confirms the field but did not choose it alone:
      // never `valid` on that, route to review.
      conf = std::min(conf, 0.5 * options.min_field_confidence);
      result.reasons.push_back(absl::StrCat("tie_broken:", s.name));
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
  for (const MrzCheckResult& c : parsed->checks) {
    if (!c.passed) result.reasons.push_back(absl::StrCat("check:", MrzCheckName(c.check)));
  }
  if (!parsed->issuing_state_known) result.reasons.push_back("unknown_state:issuing_state");
  if (!parsed->nationality_known) result.reasons.push_back("unknown_state:nationality");
  if (!result.birth_date) result.reasons.push_back("implausible:birth_date");
  if (!result.expiry_date) result.reasons.push_back("implausible:expiry_date");
  result.mrz = *parsed;
  if (parsed->valid() && d.refused.empty() && uncovered_confident &&
      parsed->issuing_state_known && parsed->nationality_known &&
      result.birth_date && result.expiry_date) {
    result.verdict = MrzVerdict::kValid;
  } else if (uncovered_confident && failing_groups_confident) {
    // We trust what we read: the document itself does not add up.
    result.verdict = MrzVerdict::kInvalid;
  } else {
    result.verdict = MrzVerdict::kUnreadable;
  }
  return result;
}

double UndetectedPairs(const DecodedMrz& d, int line, int from, int to,
                       const std::vector<MrzCheck>& checks) {
  std::vector<std::vector<std::vector<int>>> weights;
  for (MrzCheck c : checks) weights.push_back(CheckWeights(d.format, c));
  double p = 0;
  for (int i = from; i < to; ++i) {
    for (int j = i + 1; j < to; ++j) {
      for (int ri = 1; ri < 10; ++ri) {
        const double mi = d.residue_mass[line][i][ri];
        if (mi <= 0) continue;
        for (int rj = 1; rj < 10; ++rj) {
          bool escapes = true;
          for (const auto& w : weights) {
            escapes = escapes && (w[line][i] * ri + w[line][j] * rj) % 10 == 0;
          }
          if (escapes) p += mi * d.residue_mass[line][j][rj];
        }
      }
    }
  }
  return p;
}

}  // namespace internal
}  // namespace vouch::ocr
