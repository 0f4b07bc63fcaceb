#ifndef VOUCH_OCR_MRZ_BAND_LOCATOR_H_
#define VOUCH_OCR_MRZ_BAND_LOCATOR_H_

// MRZ band location: where on a page the machine-readable zone may be, and
// cutting such a band out upright. First stage of the reader
// (mrz_reader.cc); pure image functions, thread-safe. OpenCV calls may throw
// cv::Exception: the reader catches it at its boundary.

#include <vector>

#include "opencv2/core/mat.hpp"
#include "opencv2/core/types.hpp"

namespace vouch::ocr::internal {

// `page` (8-bit, 1, 3 or 4 channels) as one gray channel.
cv::Mat GrayPage(const cv::Mat& page);

// `gray` with the paper flattened and light ink dropped: each pixel placed
// between the local ink level (a grey-level erosion about a line of glyphs
// wide, kept a fixed contrast below the paper so that plain paper stays
// white) and the local paper level (a grey-level closing wider than any MRZ
// stroke), both at the search scale, then stretched so that pixels up to
// kFlatInkRatio of the way from ink to paper stay dark and lighter ones turn
// white. A glare band or a shadow moves paper and ink alike, so the MRZ's
// contrast comes back; guilloche lines, microtext and tinted patterns
// printed in lighter ink than the MRZ's vanish instead of joining its
// glyphs.
cv::Mat FlattenDarkInk(const cv::Mat& gray);

// Candidate MRZ bands (rotated rectangles in `gray`'s coordinates), most
// likely first: dense rows of dark, evenly spaced glyphs merged by
// morphology (blackhat, horizontal gradient, closing). Whole bands first
// (at most kMaxCandidatesPerKind), then single text lines as a fallback
// when a band merges with a border. With `joined`, also the bands and
// lines found in two collinear pieces with a gap between them (a glare band,
// a shadow's edge or a finger across the MRZ), each pair joined into one
// rectangle, into `*joined` (not among the returned candidates: the reader
// tries them only when no whole candidate of any page variant checks out).
std::vector<cv::RotatedRect> LocateBands(const cv::Mat& gray,
                                         std::vector<cv::RotatedRect>* joined = nullptr);

// A band cut out of the page: `gray` upright (text reading left to right),
// and the affine map from band to page coordinates.
struct Band {
  cv::Mat gray;
  cv::Mat band_to_page;  // 2x3
};

// Cuts the rotated rectangle `r` (long side = text direction), grown by
// margins, rotated by an extra `flip` (180°) and `extra_deg`, scaled by
// `scale`.
Band CutBand(const cv::Mat& page, cv::RotatedRect r, bool flip, double scale, double extra_deg,
             double margin_px = 0);

// The small rotation (degrees) that makes the text rows of band `r` (cut
// at `scale` with a margin of `margin_px`) sharpest in a horizontal
// projection: a coarse search in whole degrees, then half a degree either
// side of the best.
double RefineBandAngle(const cv::Mat& gray, const cv::RotatedRect& r, bool flip, double scale,
                       double margin_px);

// The horizontal shear of the glyphs of an upright band normalised to
// glyphs `cap` pixels high: the s for which moving each row by
// -s * (its height above the band's middle) makes vertical strokes
// sharpest in a vertical projection of the binarised band. A camera tilted
// about the text's horizontal axis makes vertical strokes lean (the top of
// the card nearer or farther than its bottom); the glyph classifier was
// trained on upright glyphs. 0 when no shear beats upright clearly (by
// kMinSlantGain) or when it is smaller than kMinSlantToCorrect.
double EstimateSlant(const cv::Mat& band_gray, double cap);

// `band` with rows moved so that a shear `slant` (EstimateSlant) becomes
// upright; band_to_page is updated to match.
Band Deslant(const Band& band, double slant);

}  // namespace vouch::ocr::internal

#endif  // VOUCH_OCR_MRZ_BAND_LOCATOR_H_
