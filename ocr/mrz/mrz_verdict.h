#ifndef VOUCH_OCR_MRZ_MRZ_VERDICT_H_
#define VOUCH_OCR_MRZ_MRZ_VERDICT_H_

// The MRZ verdict: from decoded text and per-character evidence to field
// confidences, reasons and kValid / kInvalid / kUnreadable. Last stage of
// the reader (mrz_reader.cc); pure logic, no image.

#include <string>
#include <vector>

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
};

// A SecondOpinion that has none (no second recogniser).
class NoSecondOpinion final : public SecondOpinion {
 public:
  std::string LineText(int) override { return {}; }
};

struct VerdictOptions {
  // See MrzReaderOptions::min_field_confidence.
  double min_field_confidence = 0.90;
  // "Today" for date resolution.
  absl::CivilDay today;
};

// Judges `decoded` (see ocr/mrz_reader.h for the verdict's contract): the
// result's verdict, mrz, dates, field confidences, confidence and reasons
// (`box` is left for the caller).
MrzReadResult JudgeMrz(const DecodedMrz& decoded, SecondOpinion& second,
                       const VerdictOptions& options);

// Chance that two positions of [from, to) on `line` are both misread in
// ways that every check of `checks` misses (their weighted value
// differences cancel modulo 10 in each), summed over position pairs from
// the decoder's residue masses. A check that does not reach a position
// catches any change there.
// Chance that the read's errors (the decoder's residue masses at every
// position `check` covers, its check digit included) would make the
// failing `check` pass: the mass of error combinations whose weighted
// value differences add up to the read's deficit modulo 10. A failing
// check below 1 - min_field_confidence is trusted as printed.
double FailingCheckPassChance(const DecodedMrz& d, MrzCheck check);

double UndetectedPairs(const DecodedMrz& d, int line, int from, int to,
                       const std::vector<MrzCheck>& checks);

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_MRZ_MRZ_VERDICT_H_
