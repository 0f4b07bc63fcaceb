#ifndef VOUCH_OCR_MRZ_MRZ_DECODER_H_
#define VOUCH_OCR_MRZ_MRZ_DECODER_H_

// Constrained decoding of recognised MRZ characters: position-dependent
// alphabets (ICAO 9303 field layouts) and check digits that choose among
// per-character alternatives. Pure logic, no image.

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ocr/mrz.h"

namespace vouch::ocr::internal {

// Alphabet order used by recognisers: 0-9, A-Z, '<'.
inline constexpr int kMrzAlphabetSize = 37;
inline constexpr char kMrzAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<";
int MrzIndex(char c);  // -1 outside the alphabet.

// Log-likelihood-like scores of each symbol at one position (higher is
// better); only differences matter.
using CharScores = std::array<float, kMrzAlphabetSize>;

// A correction that makes a refused check group pass: the lines with the
// edits applied, the edited positions (all on `line`) and their score loss.
struct CorrectionCandidate {
  std::vector<std::string> lines;
  int line = 0;
  std::vector<int> positions;
  float cost = 0;
};

// Asked when a field check (never the composite) fails and the correction is
// refused as ambiguous: returns the index of the candidate an independent
// recogniser confirms, or -1. Candidates are the passing corrections within
// the edit and penalty limits and `tie_break_spread` of the cheapest one,
// cheapest first.
using TieBreaker =
    std::function<int(MrzCheck check, const std::vector<CorrectionCandidate>& candidates)>;

struct DecoderOptions {
  // A correction may change at most this many characters per check group.
  int max_edits = 2;
  // Largest total score loss accepted for a correction.
  float max_penalty = 6.0f;
  // Never invent: a correction changes a character only to a visual
  // look-alike (IsLookAlike) and only where the glyph evidence is itself
  // ambiguous, i.e. the look-alike scores at most this much below the
  // character read (a clearly printed character is never rewritten to make
  // a check digit pass).
  float max_edit_penalty = 4.0f;
  // The runner-up correction must cost at least this much more; otherwise
  // the correction is ambiguous and refused.
  float min_ambiguity_margin = 1.5f;
  // Optional; see TieBreaker. Empty: ambiguous corrections are refused.
  TieBreaker tie_breaker;
  // The tie-breaker sees the passing corrections costing at most this much
  // more than the cheapest one.
  float tie_break_spread = 3.0f;
  // The scores are the OCR-B glyph classifier's (recognition.cc): copied to
  // DecodedMrz::glyph_scores.
  bool glyph_scores = false;
};

struct DecodedMrz {
  MrzFormat format;
  std::vector<std::string> lines;
  // Per line, per position: probability of the chosen symbol among the
  // symbols allowed at that position (softmax of the scores).
  std::vector<std::vector<float>> confidence;
  // Per line, per position: the symbol was changed by a check-digit
  // correction.
  std::vector<std::vector<bool>> corrected;
  // Per line, per position: probability mass of the allowed symbols that
  // have the chosen symbol's value modulo 10, i.e. errors no check digit
  // can detect (0/A/K/U, 1/B/L/V, ...).
  std::vector<std::vector<float>> undetectable;
  // Per line, per position: probability mass of the other allowed symbols
  // by the difference of their check-digit value from the chosen one's,
  // (value(other) - value(chosen)) mod 10; [0] equals `undetectable`. Two
  // errors escape a check digit when their weighted differences cancel
  // (0/O at weights 3 and 7 do), which a field's confidence must count.
  std::vector<std::vector<std::array<float, 10>>> residue_mass;
  // Per line, per position: probability of every symbol (kMrzAlphabet
  // order) among the symbols allowed there, 0 for the others; [chosen]
  // equals `confidence`.
  std::vector<std::vector<std::array<float, kMrzAlphabetSize>>> probability;
  // Check groups whose failure could not be corrected unambiguously.
  std::vector<MrzCheck> refused;
  // Check groups corrected by the tie-breaker among ambiguous candidates:
  // the check digit confirms the field but did not choose it alone.
  std::vector<MrzCheck> tie_broken;
  // Decoded from the OCR-B glyph classifier's scores, whose probabilities
  // the verdict may calibrate (mrz_verdict.h, VerdictOptions); false for
  // scores made from text (ScoresFromText) or fused with them.
  bool glyph_scores = false;
  // Per line, per position: the glyph's cell was cut by the
  // band's edge (CellCut, segmentation.h): the glyph, as every recogniser
  // sees it, may have lost a stroke. Set by the reader; empty: not known.
  std::vector<std::vector<bool>> cut;
  // Per line, per position: ink reaching far beyond the line
  // touches the glyph (ForeignInkReach, segmentation.h): fine print, a
  // pattern or a fold joined to it, which every recogniser sees alike.
  // Set by the reader; empty: not known.
  std::vector<std::vector<bool>> foreign_ink;
  // The OCR-B glyph model's own read of the lines where these were fused
  // from the general recognisers' text (the not-OCR-B fallback,
  // fallback_reader.h): a rival reading the verdict weighs against the
  // fused one. Set by the reader; empty for every other read.
  std::vector<std::string> glyph_lines;
};

// True when OCR-B glyphs `a` and `b` differ by a small stroke, so that
// blur, print or a grid off by a pixel can turn one into the other
// (O/0, Q/0, D/0, I/1, B/8, S/5, Z/2, G/6, '<'/K and the like; the table is
// in mrz_decoder.cc). Symmetric; false for a == b.
bool IsLookAlike(char a, char b);

// Decodes `scores` (one row per line, each `MrzLineLength(format)` long).
// Errors: kInvalidArgument when the shape does not match `format`.
absl::StatusOr<DecodedMrz> DecodeMrz(MrzFormat format,
                                     const std::vector<std::vector<CharScores>>& scores,
                                     const DecoderOptions& options = {});

// Whether the position alphabet of `format` (ICAO 9303's layout, widened
// as DecodeMrz widens it for a national scheme `lines` start with) allows
// `c` at position `index` of line `line`: no digit in a name, no letter in
// a date. False outside the layout and for characters outside
// kMrzAlphabet.
bool PositionAllows(MrzFormat format, const std::vector<std::string>& lines, int line, int index,
                    char c);

// Turns OCR text into scores: the read symbol scores 0, its usual OCR
// confusions (O/0, I/1, S/5, B/8, Z/2, G/6, ...) -3, anything else -12;
// lower-case is read as upper-case.
std::vector<CharScores> ScoresFromText(absl::string_view line);

// Cleans OCR text (spaces, junk lines, extra characters), finds an MRZ
// shape, and decodes it with ScoresFromText. Errors: kNotFound when no MRZ
// shape is found.
absl::StatusOr<DecodedMrz> CorrectMrzText(absl::string_view text,
                                          const DecoderOptions& options = {});

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_MRZ_MRZ_DECODER_H_
