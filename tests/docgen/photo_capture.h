#ifndef VOUCH_TESTS_DOCGEN_PHOTO_CAPTURE_H_
#define VOUCH_TESTS_DOCGEN_PHOTO_CAPTURE_H_

// docgen's kPhoto level: a drawn card photographed by a phone (3D tilt,
// any in-plane rotation, background, hand, light, optics, sensor, JPEG).
// Private to tests/docgen.

#include <array>
#include <cstdint>
#include <random>

#include "docgen/docgen.h"
#include "opencv2/core/mat.hpp"
#include "opencv2/core/types.hpp"

namespace vouch::docgen::internal {

// Every random choice of one phone photo, drawn up front from the page's
// generator. Each effect draws its own details from its own seed, so
// forcing one effect on or off (RenderOptions::photo_effects) leaves the
// rest of the page as it was.
struct PhotoPlan {
  PhotoEffects effects;
  double glyph_px = 0;               // MRZ cap height before the tilt.
  double tilt_degrees = 0;           // Card plane vs. image plane.
  double tilt_axis_degrees = 0;      // Direction of the tilt axis on the card.
  double rotation_degrees = 0;       // In-plane, (-180, 180].
  double focal_diagonals = 0;        // Lens focal length in card diagonals.
  std::array<double, 4> margins{};   // Left, top, right, bottom: share of the card's extent.
  double sharpen = 0;                // Phone unsharp-mask amount.
  double noise_sigma = 0;            // Sensor noise, 8-bit levels.
  double low_light_noise_sigma = 0;  // The same in dim light.
  int jpeg_quality = 0;
  uint64_t card_seed = 0;  // Card drawing (DrawCard) and print features.
  uint64_t background_seed = 0, hand_seed = 0, light_seed = 0, glare_seed = 0, optics_seed = 0,
           lamination_seed = 0, noise_seed = 0;
};

// Draws the plan of a kPhoto page of `format` (card_back only for TD1).
PhotoPlan DrawPhotoPlan(ocr::MrzFormat format, std::mt19937_64& rng);

// What the card drawing hands to the capture: the upright card, its MRZ
// band and portrait in card pixels, and the OCR-B cap height in card pixels.
struct DrawnCard {
  cv::Mat image;  // 8-bit BGR.
  std::array<cv::Point2f, 4> mrz_box{};
  cv::Rect portrait;  // Empty when none.
  double cap_px = 0;
  double px_per_mm = 0;  // Card pixels per millimetre.
};

// Photographs `card` as `plan` says and fills `doc`'s image, jpeg,
// mrz_box, card_corners, portrait_box, rotation, upside_down, tilt,
// glyph height, photo_effects and occluders. Throws cv::Exception when
// OpenCV fails (the caller converts).
void CapturePhoto(const DrawnCard& card, const PhotoPlan& plan, GeneratedDocument& doc);

}  // namespace vouch::docgen::internal

#endif  // VOUCH_TESTS_DOCGEN_PHOTO_CAPTURE_H_
