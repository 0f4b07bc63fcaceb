#ifndef VOUCH_OCR_MRZ_MRZ_READER_INTERNAL_H_
#define VOUCH_OCR_MRZ_MRZ_READER_INTERNAL_H_

#include <string>
#include <vector>

#include "mrz/glyph_classifier.h"
#include "ocr/mrz_reader.h"
#include "opencv2/core/mat.hpp"

namespace vouch::ocr::internal {

// For glyph-model training: the character cells the reader cuts from
// `page`, labelled with `truth` (the page's MRZ lines). Uses the band and
// orientation whose reading agrees best with `truth`; empty when the
// segmentation does not match the truth's shape or agrees on fewer than
// half the characters. `reader` must come from MrzReader::Create().
std::vector<GlyphSample> CollectLabelledCells(MrzReader& reader, const cv::Mat& page,
                                              const std::vector<std::string>& truth);

// One MRZ line as the second recogniser (Tesseract) sees it: the gray,
// deskewed crop the reader cuts from the page (glyphs scaled to about
// 24 px high, half a glyph height of margin above and below), and the
// line's true text.
struct LabelledLine {
  std::string text;
  cv::Mat image;  // 8-bit gray.
};

// For Tesseract training: the line crops of `page` from the same read that
// CollectLabelledCells uses, each labelled with its truth line. A line is
// left out when its glyph-classifier reading agrees with the truth on
// fewer than `min_line_agreement` of its characters (a grid off by a cell
// would cut a glyph off the crop). Empty when the page is not segmented
// with truth's shape. `reader` must come from MrzReader::Create().
std::vector<LabelledLine> CollectLabelledLines(MrzReader& reader, const cv::Mat& page,
                                               const std::vector<std::string>& truth,
                                               double min_line_agreement = 0.75);

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_MRZ_MRZ_READER_INTERNAL_H_
