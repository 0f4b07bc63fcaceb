#ifndef VOUCH_OCR_MRZ_MRZ_VERDICT_H_
#define VOUCH_OCR_MRZ_MRZ_VERDICT_H_

// The MRZ verdict: from decoded text and per-character evidence to field
// confidences, reasons and kValid / kInvalid / kUnreadable. Last stage of
// the reader (mrz_reader.cc); pure logic, no image.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "mrz/mrz_decoder.h"
#include "ocr/mrz_reader.h"

namespace vouch::ocr::internal {

// The second recogniser's reading of the MRZ lines, asked only for fields
// that no check digit covers.
class SecondOpinion {
 public:
  virtual ~SecondOpinion() = default;
  // Text of MRZ line `line` (0-based) as the second recogniser reads it;
  // empty when there is none.
  virtual std::string LineText(int line) = 0;
  // Text of line `line` as a further, independent recogniser reads it (the
  // reader's not-OCR-B fallback model), asked only for lines where
  // LineText leaves characters unconfirmed; empty when there is none. A
  // character either of them reads as the glyph model does counts as
  // confirmed.
  virtual std::string OtherLineText(int /*line*/) { return {}; }
  // Text of line `line` as the second recogniser reads it as
  // a raw line (no layout analysis, as the MRZ model was trained), asked
  // only where LineText leaves characters unconfirmed; empty when there is
  // none. A character it reads as the glyph model does counts as
  // confirmed, and its disputes count as LineText's do.
  virtual std::string RawLineText(int /*line*/) { return {}; }
};

// A SecondOpinion that has none (no second recogniser).
class NoSecondOpinion final : public SecondOpinion {
 public:
  std::string LineText(int) override { return {}; }
};

// The glyph classifier's probabilities are underconfident (docs/ocr.md,
// "calibrated glyph probabilities, guarded"): the verdict raises them to this power.
inline constexpr double kGlyphProbabilityExponent = 2.0;

struct VerdictOptions {
  // See MrzReaderOptions::min_field_confidence.
  double min_field_confidence = 0.90;
  // Field confidences of a read decoded from glyph scores
  // (DecodedMrz::glyph_scores) use every symbol's probability raised to
  // this power and renormalised (CalibratedProbabilities); 1: as read.
  double glyph_probability_exponent = kGlyphProbabilityExponent;
  // "Today" for date resolution.
  absl::CivilDay today;
};

// Judges `decoded` (see ocr/mrz_reader.h for the verdict's contract): the
// result's verdict, mrz, dates, field confidences, confidence and reasons
// (`box` is left for the caller). A read that is not `valid` with its
// probabilities as decoded is judged once more with calibrated ones
// (CalibratedProbabilities, `glyph_probability_exponent`) when it was
// decoded from glyph scores of a layout with a composite check digit and
// the document code's ICAO letter (`P` for TD3, `A`/`C`/`I` for TD1 and
// TD2; no visa), except at positions the second recogniser reads
// otherwise (ContradictedPositions); that result counts only when it is
// `valid`.
MrzReadResult JudgeMrz(const DecodedMrz& decoded, SecondOpinion& second,
                       const VerdictOptions& options);

// `d` with every position's symbol probabilities (`probability`, and from
// it `confidence`, `undetectable` and `residue_mass`) raised to `exponent`
// and renormalised over the symbols allowed there: a softmax of the glyph
// scores at temperature 1 / `exponent`.
DecodedMrz CalibratedProbabilities(const DecodedMrz& d, double exponent);

// Chance that two positions of [from, to) on `line` are both misread in
// ways that every check of `checks` misses (their weighted value
// differences cancel modulo 10 in each), summed over position pairs from
// the decoder's residue masses, each position's mass multiplied by its
// entry of `factors` (per position of the line; null: 1). A check that
// does not reach a position catches any change there.
double UndetectedPairs(const DecodedMrz& d, int line, int from, int to,
                       const std::vector<MrzCheck>& checks,
                       const std::vector<double>* factors = nullptr);

// Chance that field [from, to) of `line`, whose check digits `checks` all
// pass, is wrong all the same: the same-residue mass at each position
// (`undetectable`, an error no check digit sees) plus UndetectedPairs,
// each position's masses multiplied by its entry of `factors` (null: 1).
double CheckedDoubt(const DecodedMrz& d, int line, int from, int to,
                    const std::vector<MrzCheck>& checks,
                    const std::vector<double>* factors = nullptr);

// Chance that the read's errors (the decoder's residue masses at every
// position `check` covers, its check digit included) would make the
// failing `check` pass: the mass of error combinations whose weighted
// value differences add up to the read's deficit modulo 10. A failing
// check below 1 - min_field_confidence is trusted as printed. `factors`
// (optional, per line and position; a missing line or position: 1)
// multiply each position's masses: JudgeMrz passes the second recogniser's
// confirmations.
double FailingCheckPassChance(const DecodedMrz& d, MrzCheck check,
                              const std::vector<std::vector<double>>* factors = nullptr);

// Per position of line `line` of layout `f`: the check digit of its own
// that covers the field there (document number, dates, a TD3's personal
// number; the check digit's position included), or nullopt (a field the
// composite alone covers, or none).
std::vector<std::optional<MrzCheck>> OwnCheckPositions(MrzFormat f, int line);

// Per position of `read` (an MRZ line as the glyph classifier read it):
// whether `second`, the second recogniser's reading of the same line,
// reads that character too. The two are aligned by edit distance; a
// position is confirmed when it is aligned with an equal character and so
// are its two neighbours on each side (where the line has them), at
// consecutive positions of `second`. Next to an inserted, dropped or
// different character the alignment is not trusted, so a filler run of
// another length or a shifted separator confirms nothing around it.
// Empty `second`: nothing is confirmed.
std::vector<bool> ConfirmedPositions(absl::string_view read, absl::string_view second);

// Per position of `read`: whether `second` reads another character there
// (aligned by edit distance as in ConfirmedPositions, a substitution;
// neighbours need not agree). Empty `second`: nothing is contradicted.
std::vector<bool> ContradictedPositions(absl::string_view read, absl::string_view second);

// Per position of `read`: the character `second` reads there (aligned as
// in ContradictedPositions; neighbours need not agree), or 0 where it
// reads none.
std::vector<char> AlignedCharacters(absl::string_view read, absl::string_view second);

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_MRZ_MRZ_VERDICT_H_
