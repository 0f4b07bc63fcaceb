#ifndef VOUCH_TESTS_BENCH_CHECKS_CAPTURES_H_
#define VOUCH_TESTS_BENCH_CHECKS_CAPTURES_H_

// How a flat document page reaches the checks: captures of a genuine page
// (a print with halftone dots, a flatbed scan, a phone photo) and of a fake
// (the page shown on a screen and photographed, a black-and-white copy, a
// re-photographed print). Physical models, cheap enough for a benchmark;
// every parameter is drawn from the given generator, so a set is a pure
// function of its seed. Pages are 8-bit BGR.

#include <random>
#include <string>

#include "opencv2/core/mat.hpp"

namespace vouch::ocr::captures {

// A captured photo and its JPEG bytes (what the checks receive).
struct Capture {
  cv::Mat image;
  std::string jpeg;
  std::string how;  // Parameters, for the benchmark's listing.
  // ScreenPhoto only: the share of the screen's pixel-grid contrast the lens
  // leaves at the grid's fundamental, exp(-2π² σ² / p²) for a Gaussian lens
  // blur of σ photo px and p photo px per screen pixel (before the sensor
  // and JPEG). Below a few percent no grid and no moiré reach the image;
  // -1 for other captures.
  double grid_contrast = -1;
};

// The page printed: CMYK-like halftone dots (period 3..6 px at twice the
// page's resolution, screen angles 15/75/0/45°) or stochastic dither, on
// paper with a little texture. Returns the print at the page's size.
cv::Mat Print(const cv::Mat& page, std::mt19937_64& rng, std::string* how);

// A flatbed scan: white lid, ±1° placement, 200..600 dpi equivalent (the
// page's long side becomes 900..2000 px), light blur, JPEG 70..95.
Capture Scan(const cv::Mat& page, std::mt19937_64& rng);

// A phone photo: the page on a table, perspective, lens blur, a colour
// cast, a Bayer sensor (one colour per photosite, noise, demosaicing: chroma
// at half the luma's resolution), sometimes sharpening, JPEG 50..95 (4:2:0),
// 1000..2000 px wide.
Capture PhonePhoto(const cv::Mat& page, std::mt19937_64& rng);

// The page displayed on a screen (RGB or BGR subpixel stripes, or an RGBG
// "PenTile"-like layout as OLED phones have, and a black matrix; 250..1000
// screen pixels across the page, so about 0.6..6.5 px per screen pixel in
// the photo)
// and photographed with a tilt (±10°) and perspective, lens blur 0.3..1 px,
// through the same Bayer sensor as PhonePhoto, JPEG 60..95: pixel grid or
// moiré, as a real camera aliases it.
Capture ScreenPhoto(const cv::Mat& page, std::mt19937_64& rng);

// The same fraud made by other code, to test the screen measures on
// positives they were not tuned on: a screen whose pixel has four panel
// columns (R, G, B and a dark gap) or a BGR layout, the page shown upright or turned
// 90° on a phone held in portrait (the subpixel rows then run along the
// page's short side), denser screens (0.4..3 photo px per screen pixel), a
// defocus disc instead of a Gaussian lens, the sensor's variable-number-of-
// gradients demosaicing, a glossy reflection over part of the screen, JPEG
// 70..95.
Capture ScreenPhotoOther(const cv::Mat& page, std::mt19937_64& rng);

// A black-and-white photocopy of the page (grey, contrast raised), then
// photographed or scanned.
Capture GreyCopy(const cv::Mat& page, std::mt19937_64& rng);

}  // namespace vouch::ocr::captures

#endif  // VOUCH_TESTS_BENCH_CHECKS_CAPTURES_H_
