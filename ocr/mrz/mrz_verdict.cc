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

}  // namespace

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
  // Field confidence. Uncovered fields: the probability that every
  // character is right (product of character confidences). Fields under
  // a passing check digit: one minus the probability of an error the
  // check cannot see (a same-residue confusion at one position, or two
  // errors that cancel: 1 in 10, or the exact chance for a field whose own
  // check digit ends it, when higher). A check used to correct a field no
  // longer confirms it: corrected fields keep the corrected characters'
  // own confidence unless the composite independently agrees.
  const std::optional<bool> composite = parsed->CheckPassed(MrzCheck::kComposite);
  double overall = 1.0;
  bool uncovered_confident = true;
  bool failing_groups_confident = true;
  for (const Span& s : spans) {
    double product = 1.0, min_p = 1.0, same = 0.0, pairs = 0.0, sum_u = 0.0;
    bool corrected = false;
    int edits = 0;
    for (int i = s.from; i < s.to; ++i) {
      const double p = d.confidence[s.line][i];
      product *= p;
      min_p = std::min(min_p, p);
      same += d.undetectable[s.line][i];
      pairs += sum_u * (1 - p);
      sum_u += 1 - p;
      if (d.corrected[s.line][i]) {
        corrected = true;
        ++edits;
      }
    }
    double conf = product;
    if (s.check.has_value() && *s.check != MrzCheck::kComposite) {
      // The field's own check digit is its last position: two errors
      // escape it when their weighted value differences cancel modulo 10
      // (e.g. 0 read as O at weights 3 and 7). Look-alikes are not random,
      // so the pairs that cancel are counted exactly where that is more
      // than the one in ten assumed for any two errors (never less).
      pairs = std::max(pairs, 10.0 * CancellingPairs(d, s.line, s.from, s.to));
    }
    if (s.check.has_value()) {
      const bool passed = parsed->CheckPassed(*s.check).value_or(false);
      if (passed && !corrected) {
        conf = std::max(product, 1.0 - same - 0.1 * pairs);
      } else if (passed && edits == 1 && composite.value_or(false) &&
                 *s.check != MrzCheck::kComposite) {
        conf = std::max(min_p, std::min(0.95, 1.0 - same - 0.1 * pairs));
      } else if (!passed && min_p < 0.9) {
        failing_groups_confident = false;
      }
    }
    if (conf < options.min_field_confidence && !s.check.has_value()) {
      // Two independent recognisers agreeing on the field.
      std::string text = d.lines[s.line].substr(s.from, s.to - s.from);
      if (std::string(s.name) == "surname" || std::string(s.name) == "given_names") {
        text = std::string(s.name) == "surname" ? parsed->fields.surname
                                                : parsed->fields.given_names;
        for (char& c : text) {
          if (c == ' ') c = '<';
        }
      }
      if (text.find_first_not_of('<') == std::string::npos) {
        // All fillers (e.g. no given names): nothing to cross-check;
        // keep the classifier's confidence.
      } else if (SecondReaderAgrees(second, s.line, text)) {
        conf = 1.0 - (1.0 - conf) * 0.05;
      }
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
      uncovered_confident = false;
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

// Probability that two positions of the check-digit group [from, to) of
// `line` (data positions weighted 7, 3, 1, ..., the check digit last)
// are both misread in ways whose weighted differences cancel modulo 10.
double CancellingPairs(const DecodedMrz& d, int line, int from, int to) {
  static constexpr int kWeights[3] = {7, 3, 1};
  std::vector<std::array<double, 10>> weighted;
  for (int i = from; i < to; ++i) {
    // A difference e at the check digit escapes when the data's weighted
    // differences add up to e: it acts as weight -1 (9 modulo 10).
    const int w = i == to - 1 ? 9 : kWeights[(i - from) % 3];
    std::array<double, 10> m{};
    for (int r = 1; r < 10; ++r) m[(r * w) % 10] += d.residue_mass[line][i][r];
    weighted.push_back(m);
  }
  double p = 0;
  for (size_t i = 0; i < weighted.size(); ++i) {
    for (size_t j = i + 1; j < weighted.size(); ++j) {
      for (int r = 1; r < 10; ++r) p += weighted[i][r] * weighted[j][10 - r];
    }
  }
  return p;
}

}  // namespace internal
}  // namespace vouch::ocr
