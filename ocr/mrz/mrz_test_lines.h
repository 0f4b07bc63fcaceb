#ifndef VOUCH_OCR_MRZ_MRZ_TEST_LINES_H_
#define VOUCH_OCR_MRZ_MRZ_TEST_LINES_H_

// What the MRZ reader's unit tests share: the ICAO specimen lines, the
// scores of a clearly printed line, a second recogniser that reads fixed
// lines, and the verdict's options on a fixed day. Tests only; the tests of
// ocr/mrz compile into one executable, so these are defined once here.

#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "mrz/mrz_decoder.h"
#include "mrz/mrz_verdict.h"

namespace vouch::ocr::internal {

// Specimen passport from ICAO Doc 9303 Part 4, Appendix A.
inline constexpr char kL1[] = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
inline constexpr char kL2[] = "L898902C36UTO7408122F1204159ZE184226B<<<<<10";

// Scores of a clearly printed line: the printed symbol 0, every other -12.
inline std::vector<CharScores> CleanLine(const std::string& line) {
  std::vector<CharScores> row;
  row.reserve(line.size());
  for (char c : line) {
    CharScores cell;
    cell.fill(-12.f);
    cell[MrzIndex(c)] = 0.f;
    row.push_back(cell);
  }
  return row;
}

// The same for every line of a page.
inline std::vector<std::vector<CharScores>> Clean(const std::vector<std::string>& lines) {
  std::vector<std::vector<CharScores>> s;
  s.reserve(lines.size());
  for (const std::string& l : lines) s.push_back(CleanLine(l));
  return s;
}

// A second recogniser that reads fixed lines.
class FixedOpinion final : public SecondOpinion {
 public:
  explicit FixedOpinion(std::vector<std::string> lines) : lines_(std::move(lines)) {}
  std::string LineText(int line) override {
    return line >= 0 && line < static_cast<int>(lines_.size()) ? lines_[line] : std::string();
  }

 private:
  std::vector<std::string> lines_;
};

// The verdict's options on 2010-01-01, when the specimen is unexpired.
inline VerdictOptions Options() {
  VerdictOptions o;
  o.today = absl::CivilDay(2010, 1, 1);
  return o;
}

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_MRZ_MRZ_TEST_LINES_H_
