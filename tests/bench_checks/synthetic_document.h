#ifndef VOUCH_TESTS_BENCH_CHECKS_SYNTHETIC_DOCUMENT_H_
#define VOUCH_TESTS_BENCH_CHECKS_SYNTHETIC_DOCUMENT_H_

// Synthetic ID-1 card photos with controlled defects, for the checks' unit
// tests and the labelled sets of the benchmark. Deterministic for a seed.
// (Stand-in until the shared document generator, vouch::docgen, is merged.)

#include <cstdint>

#include "opencv2/core/mat.hpp"

namespace vouch::ocr::synthetic {

// kBackground: on the card, in its header band, away from the MRZ,
// portrait and data zones.
enum class GlareZone { kNone, kBackground, kPortrait, kData, kMrz };

struct SceneOptions {
  uint32_t seed = 1;
  int card_width_px = 1000;  // Card's long side in the photo.
  int frame_width = 1400;    // Photo size (4:3).
  int frame_height = 1050;
  bool back_side = false;     // Draw a TD1 back (MRZ) instead of a front.
  double perspective = 0.03;  // Corner jitter as a share of the card width.
  double rotation_deg = 4;    // In-plane rotation.
  // Defects.
  double blur_sigma = 0;  // Gaussian blur of the whole photo.
  GlareZone glare = GlareZone::kNone;
  bool grey_copy = false;    // Printed in black and white.
  bool moire = false;        // Photographed from a screen.
  double brightness = 1.0;   // < 1 darkens, e.g. 0.25.
  double washout = 0;        // 0..1: blend towards white.
  int cut_corner = -1;       // 0..3: shift so that this corner leaves the frame.
  double noise_sigma = 2.0;  // Sensor noise.
  bool white_paper = false;  // Card printed on white (clipped) paper.
};

// An 8-bit BGR photo of a synthetic card on a table.
cv::Mat RenderScene(const SceneOptions& options);

// The card alone, flat, `width_px` wide (front or back).
cv::Mat RenderCard(uint32_t seed, int width_px, bool back_side, bool colour,
                   bool white_paper = false);

}  // namespace vouch::ocr::synthetic

#endif  // VOUCH_TESTS_BENCH_CHECKS_SYNTHETIC_DOCUMENT_H_
