#ifndef VOUCH_OCR_MRZ_MRZ_DECODER_H_
#define VOUCH_OCR_MRZ_MRZ_DECODER_H_

// Constrained decoding of recognised MRZ characters: position-dependent
// alphabets (ICAO 9303 field layouts) and check digits that choose among
// per-character alternatives. Pure logic, no image.

#include <array>
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

struct DecoderOptions {
  // A correction may change at most this many characters per check group.
  int max_edits = 2;
  // Largest total score loss accepted for a correction.
  float max_penalty = 6.0f;
  // The runner-up correction must cost at least this much more; otherwise
  // the correction is ambiguous and refused.
  float min_ambiguity_margin = 1.5f;
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
  // Check groups whose failure could not be corrected unambiguously.
  std::vector<MrzCheck> refused;
};

// Decodes `scores` (one row per line, each `MrzLineLength(format)` long).
// Errors: kInvalidArgument when the shape does not match `format`.
absl::StatusOr<DecodedMrz> DecodeMrz(
    MrzFormat format, const std::vector<std::vector<CharScores>>& scores,
    const DecoderOptions& options = {});

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
