#ifndef VOUCH_TESTS_BENCH_CHECKS_DOCGEN_SCENES_H_
#define VOUCH_TESTS_BENCH_CHECKS_DOCGEN_SCENES_H_

// Labelled photos for the image checks, built on vouch::docgen pages
// (TD1/TD2/TD3/MRV photographed on a background at a docgen level): the
// checks' defects (blur, glare on a chosen zone, a corner cut off, a
// black-and-white copy, a screen's moiré, dark, washed out, down-scaling,
// a small document in a large frame) are applied on top of the generated
// photo, where docgen's ground truth (card corners, portrait, MRZ box)
// places them. Deterministic for a seed.

#include <cstdint>

#include "absl/status/statusor.h"
#include "docgen/docgen.h"
#include "ocr/document.h"
#include "opencv2/core/mat.hpp"

namespace vouch::ocr::scenes {

// Where a glare spot goes. kBackground: the card's header band, above
// the portrait and data zones of the front/data-page layouts.
enum class Zone { kNone, kBackground, kPortrait, kData, kMrz };

// The glare spot's shape. A specular highlight is a lamp's or a window's
// reflection on the laminate, blurred by the surface and the lens, and
// brighter than the sensor records in its middle: a clipped core and a
// fade whose width depends on the light, the surface and the focus. The
// defaults are the unit tests' spot (a disc of 7 % of the card's width,
// blurred by a quarter of its radius, 80 % over clipping in its middle);
// the calibration draws every field.
struct GlareShape {
  double radius = 0;     // Share of the card's width; 0: 0.07 (0.028 on the background).
  double aspect = 1;     // Long over short axis, same area (> 1: a streak, a window).
  double angle_deg = 0;  // Of the long axis.
  double fade = 0.25;    // Edge blur: σ as a share of the short half-axis (small: a hard edge).
  double gain = 1.8;     // Level in the middle, in units of clipping.
  // A haze around the spot (the laminate's scatter, the lens's veiling
  // glare): the spot blurred by 1.5 short half-axes, at this share of it.
  double halo = 0;
  double dx = 0, dy = 0;  // Offset from the zone's centre, in card widths.
};

struct Defects {
  // Gaussian blur of the whole photo: σ in px per 1000 px of card width
  // (so a TD3 page and a TD1 card are equally blurred relative to their
  // size; the focus check judges at an 800 px working width).
  double blur_sigma = 0;
  Zone glare = Zone::kNone;
  GlareShape glare_shape = {};
  bool grey_copy = false;   // The card is a black-and-white copy.
  bool moire = false;       // Photographed from a screen.
  double brightness = 1.0;  // < 1 darkens (0.25: dark room).
  double washout = 0;       // 0..1: blend towards white.
  int cut_corner = -1;      // 0..3 (tl, tr, br, bl): that corner leaves the frame.
  double scale = 1.0;       // Rescale the whole photo (resolution).
  // > 0: the photo is placed in a larger 4:3 frame of table so that the
  // card spans this share of the frame's width (a document too far away).
  double card_share = 0;
  int jpeg_quality = 90;  // Re-encoding after the defects (0: none).
};

// The labelled photo and its ground truth.
struct Scene {
  cv::Mat image;                               // 8-bit BGR.
  std::string jpeg;                            // `image` as encoded (empty when not re-encoded).
  DocumentType type = DocumentType::kUnknown;  // From the MRZ format.
  double true_dpi = 0;                         // Card's long side in px / its width in inches.
};

// Applies `defects` to docgen's photo `doc`.
// Errors: kInvalidArgument for a page without an image; kInternal when
// OpenCV fails.
absl::StatusOr<Scene> ApplyDefects(const docgen::GeneratedDocument& doc, const Defects& defects);

// Generates (format, level, seed) with `generator` and applies `defects`.
absl::StatusOr<Scene> MakeScene(docgen::DocumentGenerator& generator, MrzFormat format,
                                docgen::Level level, uint64_t seed, const Defects& defects);

}  // namespace vouch::ocr::scenes

#endif  // VOUCH_TESTS_BENCH_CHECKS_DOCGEN_SCENES_H_
