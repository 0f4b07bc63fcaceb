#ifndef VOUCH_OCR_MRZ_FALLBACK_READER_H_
#define VOUCH_OCR_MRZ_FALLBACK_READER_H_

// The fallback for MRZs not printed in OCR-B (a typewriter, a sans-serif
// monospace, a bold national font), where the OCR-B glyph model misreads
// glyphs or its grid slips: two general recognisers (Tesseract with the
// project's MRZ model and with `eng`) read each line; a line both read the
// same, and the glyph model reads differently while unsure of some of the
// differing cells, takes their text. The verdict stays the reader's
// (mrz_verdict.h): the fused read is `valid` only when every check digit
// passes and every uncovered field is confirmed. Pure logic, no image;
// used by mrz_reader.cc.

#include <optional>
#include <string>
#include <vector>

#include "mrz/mrz_decoder.h"

namespace vouch::ocr::internal {

// A differing cell counts as unsure when the glyph model gives its own
// character less than this probability: a line whose every differing cell
// the glyph model reads confidently is never overridden.
inline constexpr float kUnsureGlyphConfidence = 0.9f;

// `text` (one line as a general recogniser reads it, no spaces) fitted to
// `length` cells: such recognisers have no fixed pitch and drop or add
// fillers in a long run of '<', so a text whose length differs only in its
// trailing filler run is padded or trimmed there (by at most half the run
// as read, at least one filler kept). nullopt when the text cannot be
// fitted.
std::optional<std::string> FitToLength(const std::string& text, int length);

// `scores` (per line, per cell) where a line takes the general
// recognisers' text (ScoresFromText): both readings of it (`first`,
// `other`, per line) fit to the same text (FitToLength), `decoded` reads
// it differently, and the glyph model is unsure (kUnsureGlyphConfidence)
// of at least one cell where it differs (on a proportionally spaced line
// the grid slips and the glyph model reads many cells confidently wrong). nullopt when no line
// changes or the shapes do not match.
//
// With `lone_checked` (the glyphs fit OCR-B poorly: ReadNotOcrB), a line
// the two recognisers read differently takes one recogniser's reading at
// the cells where it differs from `decoded`, when those cells all lie in
// fields with a check digit of their own (OwnCheckPositions) that fails
// as `decoded` reads them and passes with the reading put in, the decoder
// did not find that check's correction ambiguous (several corrections
// passing: a tie no recogniser breaks here), the glyph model is unsure of
// each such cell or the reading has an OCR-B look-alike of it there, and
// the other recogniser's reading does not qualify with other text: the general
// recogniser reads a sans-serif `6` or `1` the OCR-B model takes for `G` or
// `I`, while the MRZ model, trained on OCR-B, garbles such a line. Every
// other cell keeps the glyph model's scores, so names, codes and other
// uncovered fields stay as the glyph model read them, and the field's own
// check digit (and the composite, where the layout has one) must pass on
// the result for it to be trusted.
std::optional<std::vector<std::vector<CharScores>>> FuseAgreedLines(
    const std::vector<std::vector<CharScores>>& scores, const DecodedMrz& decoded,
    const std::vector<std::string>& first, const std::vector<std::string>& other,
    bool lone_checked = false);

// A look-alike read by both general recognisers where the glyph model is
// split between it and the character it read: at a cell the glyph model
// reads below kUnsureGlyphConfidence, left as classified (no check-digit
// correction chose it), whose OCR-B look-alike (IsLookAlike) the position
// allows (PositionAllows) and the glyph model gives at least
// kMinAgreedLookAlikeProbability, the first model (`first`: one or more
// of its readings of the line, such as the line as laid out and as a raw
// line) reads the look-alike with its two neighbours each side as the
// glyph model does (ConfirmedPositions of the line with the look-alike
// put in), and `other` reads the look-alike at the aligned position.
struct AgreedLookAlike {
  int line, index;
  char c;
};
inline constexpr float kMinAgreedLookAlikeProbability = 0.2f;

// The cells of line `line` of `decoded` where a look-alike could be agreed
// (every condition of AgreedLookAlike but the recognisers' readings):
// cheap, so that the recognisers read only lines that have one.
std::vector<AgreedLookAlike> LookAlikeCandidates(const DecodedMrz& decoded, int line);

// Of `candidates` (one line's), those `first` and `other` agree on.
std::vector<AgreedLookAlike> AgreedLookAlikes(const DecodedMrz& decoded,
                                              const std::vector<AgreedLookAlike>& candidates,
                                              const std::vector<std::string>& first,
                                              const std::string& other);

// `scores` with the glyph model's scores of the read character and of its
// agreed look-alike swapped at every cell of `agreed`: decoded again, the
// look-alike is read there with the probability the glyph model gave the
// character it read (and the decoder's checks judge the result afresh).
std::vector<std::vector<CharScores>> WithLookAlikes(
    const std::vector<std::vector<CharScores>>& scores, const DecodedMrz& decoded,
    const std::vector<AgreedLookAlike>& agreed);

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_MRZ_FALLBACK_READER_H_
