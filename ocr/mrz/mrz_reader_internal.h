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
std::vector<GlyphSample> CollectLabelledCells(
    MrzReader& reader, const cv::Mat& page,
    const std::vector<std::string>& truth);

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_MRZ_MRZ_READER_INTERNAL_H_
