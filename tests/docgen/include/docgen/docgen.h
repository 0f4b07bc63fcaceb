#ifndef VOUCH_TESTS_DOCGEN_DOCGEN_H_
#define VOUCH_TESTS_DOCGEN_DOCGEN_H_

// Synthetic identity documents for tests and benchmarks: TD1/TD2/TD3 and
// MRV-A/MRV-B pages with a visual zone (DejaVu), a drawn portrait, a
// background pattern and an OCR-B machine-readable zone, photographed at one
// of four degradation levels or as a phone photo (kPhoto). Everything is a
// pure function of the seed.
// No real person's data: identities are random.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ocr/mrz.h"
#include "opencv2/core/mat.hpp"
#include "opencv2/core/types.hpp"

namespace vouch::docgen {

// How the page was photographed.
//   kClean:  flat scan, glyphs ~28 px, JPEG 95.
//   kMild:   rotation ±3°, light blur and noise, glyphs ~22 px, JPEG 75-90.
//   kMedium: rotation ±8°, slight perspective, gaussian or motion blur,
//            noise, uneven light, glyphs ~16 px, JPEG 45-70; 10% upside down.
//   kHard:   rotation ±20°, moderate perspective, stronger blur, noise,
//            uneven light, a glare spot, glyphs ~12 px, JPEG 20-40;
//            15% upside down.
//   kPhoto:  a phone photo (see PhotoEffects): a 3D tilt of up to 30° seen
//            through a phone lens, any in-plane rotation (upright, upside
//            down, sideways or arbitrary), glyphs 15-28 px, phone sharpening,
//            sensor noise, JPEG 55-92, and a random subset of PhotoEffects.
//            Reported separately from the four levels above (a different
//            capture, not a fifth step of the same scale). Pages of the
//            four levels above are unchanged by its addition.
enum class Level { kClean, kMild, kMedium, kHard, kPhoto };

// What a kPhoto page shows besides tilt, rotation, noise and JPEG. Each is
// drawn per seed (probabilities in docs/ocr.md); Render may force them.
struct PhotoEffects {
  bool glare_band = false;        // A specular band across the MRZ.
  bool shadow = false;            // A soft-edged shadow over part of the page.
  bool low_light = false;         // Dark, colour-cast, noisier exposure.
  bool busy_background = false;   // Clutter (shapes, printed words) around the card.
  bool fingers = false;           // A hand holding the card; never over the MRZ.
  bool defocus = false;           // Disk blur (lens out of focus).
  bool moire = false;             // Photographed from a screen.
  bool lamination = false;        // Iridescent laminate stripes and sheen.
  bool microtext = false;         // Fine printed text between the MRZ rows.
  bool security_pattern = false;  // Guilloche lines through the MRZ zone.
  bool card_back = false;         // TD1 only: the back of an ID card (no portrait).
  // The MRZ printed in a monospaced sans (DejaVu Sans Mono,
  // book or bold) instead of OCR-B, at the OCR-B cap height and pitch, as
  // some issuers print it.
  bool non_ocrb_font = false;
};
// Names of the effects that are on ("glare_band", "shadow", ...), in the
// order of the struct.
std::vector<std::string> PhotoEffectNames(const PhotoEffects& effects);

absl::string_view LevelName(Level level);  // "clean", "mild", ..., "photo"
// Parses a LevelName. Errors: kInvalidArgument.
absl::StatusOr<Level> ParseLevel(absl::string_view name);

// A random identity, MRZ-ready: upper-case A-Z names, no fillers.
struct Identity {
  ocr::MrzFormat format = ocr::MrzFormat::kTd3;
  std::string document_code;             // "P", "PD", "I", "ID", "AC", "V", "VB"...
  std::string issuing_state;             // "UTO", "D", "FRA", ...
  std::vector<std::string> surnames;     // Primary identifier words.
  std::vector<std::string> given_names;  // Secondary identifier words.
  // 8 to 9 characters; TD1/TD2 may carry 10 to 14 ("long" numbers).
  std::string document_number;
  std::string nationality;
  std::string birth_date;       // YYMMDD; "7408<<" etc. partly unknown
  std::string sex;              // "M", "F", "<"
  std::string expiry_date;      // YYMMDD
  std::string optional_data;    // May be empty.
  std::string optional_data_2;  // TD1 only; may be empty.
  // TD3 with empty personal number: print '<' (not '0') as its check digit.
  bool filler_optional_check = false;
};

// Draws an identity of `format` from `rng`: common and long names (some
// truncate in the MRZ), document numbers with '<' (8 characters), long TD1/
// TD2 numbers, empty and filled optional data.
Identity RandomIdentity(ocr::MrzFormat format, std::mt19937_64& rng);

// A fixed TD3 passport identity for sample submissions (the demo and the
// end-to-end tests): ERIKSSON, ANNA MARIA, SWE, born 740812, F, document
// L898902C3, expiring 350415 (callers may move the expiry date).
Identity SampleIdentity();

// The MRZ lines of `identity` with every check digit computed (ICAO 9303).
// Errors: kInvalidArgument when a field does not fit or holds characters
// outside A-Z, 0-9.
absl::StatusOr<std::vector<std::string>> ComposeMrz(const Identity& identity);

struct GeneratedDocument {
  Identity identity;
  std::vector<std::string> mrz_lines;
  Level level = Level::kClean;
  uint64_t seed = 0;
  // In-plane rotation of the page: rotation_degrees (-90..90] plus 180
  // when upside_down (so a sideways kPhoto page has rotation_degrees ±90).
  bool upside_down = false;
  double rotation_degrees = 0;  // Besides upside-down.
  // kPhoto: out-of-plane tilt of the card towards the camera (0..30); the
  // MRZ box is then a general quadrilateral. 0 on the other levels.
  double tilt_degrees = 0;
  // MRZ cap height in the output image (kPhoto: before the tilt's
  // foreshortening).
  double glyph_height_px = 0;
  PhotoEffects photo_effects;  // kPhoto only; all off on the other levels.
  std::string jpeg;            // The output file's bytes.
  cv::Mat image;               // `jpeg` decoded (8-bit BGR).
  // Corners of the MRZ band in `image` (top-left, top-right, bottom-right,
  // bottom-left of the text as read).
  std::array<cv::Point2f, 4> mrz_box{};
  // Corners of the whole card and of its portrait in `image` (top-left,
  // top-right, bottom-right, bottom-left of the upright card), for checks
  // that place defects on a zone (tests/bench_checks). The portrait is
  // all zero when the page has no room for one (and on an ID-card back).
  std::array<cv::Point2f, 4> card_corners{};
  std::array<cv::Point2f, 4> portrait_box{};
  // kPhoto with fingers: the outline of each finger in `image` (they may
  // extend past the image). Never over the MRZ box.
  std::vector<std::vector<cv::Point2f>> occluders;
};

// How Render draws a page.
struct RenderOptions {
  Level level = Level::kClean;
  // When non-empty (8-bit BGR), pasted into the portrait box instead of the
  // drawn face: scaled to cover the box, centred, the excess cropped.
  cv::Mat portrait;
  // kPhoto only: replaces the effects drawn from the seed (every other
  // random choice of the page stays the same). card_back is ignored for
  // formats other than TD1.
  std::optional<PhotoEffects> photo_effects;
};

// A real document image for DocumentGenerator::CaptureScan: an upright
// scan and where its MRZ is.
struct ScanPage {
  cv::Mat image;  // 8-bit BGR, upright.
  // The MRZ text's corners in `image` (top-left, top-right, bottom-right,
  // bottom-left), spanning its first to its last character.
  std::array<cv::Point2f, 4> mrz_box{};
  int line_length = 44;  // Characters per MRZ line: the pitch is the box width over this.
};

// Thread-compatible: give each thread its own generator (FreeType faces are
// not shareable).
class DocumentGenerator {
 public:
  struct Fonts {
    std::string ocr_b = "/usr/share/fonts/opentype/ocr-b/OCRB.otf";
    std::string sans = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    std::string sans_bold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
    // The not-OCR-B MRZ font (PhotoEffects::non_ocrb_font).
    std::string mono = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
    std::string mono_bold = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf";
  };

  // Errors: kFailedPrecondition when a font cannot be loaded.
  static absl::StatusOr<std::unique_ptr<DocumentGenerator>> Create(const Fonts& fonts);
  static absl::StatusOr<std::unique_ptr<DocumentGenerator>> Create() { return Create(Fonts{}); }

  virtual ~DocumentGenerator() = default;

  // A page of `format` at `level`, fully determined by (format, level, seed).
  // Errors: kInternal if OpenCV fails.
  virtual absl::StatusOr<GeneratedDocument> Generate(ocr::MrzFormat format, Level level,
                                                     uint64_t seed) = 0;
  // The same page with kPhoto's effects replaced by
  // `photo_effects` (as RenderOptions::photo_effects; every other random
  // choice of the page stays as Generate draws it). E.g. a page drawn
  // before an effect existed, with that effect off.
  virtual absl::StatusOr<GeneratedDocument> Generate(ocr::MrzFormat format, Level level,
                                                     uint64_t seed,
                                                     const PhotoEffects& photo_effects) = 0;

  // `scan` photographed by a phone as a kPhoto page is (3D tilt, in-plane
  // rotation, glyph size, background, sharpening, sensor noise, JPEG; see
  // Level::kPhoto), with `photo_effects`, or when nullopt the effects drawn
  // from the seed. The scan takes the drawn card's place, so the effects
  // that change the print (microtext, security_pattern, card_back,
  // non_ocrb_font) are always off. The scan is resized so that its MRZ
  // glyphs have the drawn size (a low-resolution scan is enlarged, bicubic).
  // Fills image, jpeg, mrz_box, card_corners, rotation_degrees,
  // upside_down, tilt_degrees, glyph_height_px, photo_effects, occluders,
  // seed and level (kPhoto); identity and mrz_lines stay empty. Fully
  // determined by (scan, seed, photo_effects). Errors: kInvalidArgument for
  // an image that is not 8-bit BGR or an MRZ box under 2 px of pitch;
  // kInternal if OpenCV fails.
  virtual absl::StatusOr<GeneratedDocument> CaptureScan(
      const ScanPage& scan, uint64_t seed, const std::optional<PhotoEffects>& photo_effects) = 0;

  // Renders `identity` on a clean upright page (no photo degradations);
  // for tests that need control over the text.
  virtual absl::StatusOr<GeneratedDocument> RenderClean(const Identity& identity,
                                                        uint64_t seed) = 0;

  // Renders `identity` photographed at `options.level` (rotation, margin of
  // background, degradations as for Generate), with an optional real
  // portrait. Fully determined by (identity, seed, options).
  // Errors: kInvalidArgument for a portrait that is not 8-bit BGR;
  // kInternal if OpenCV fails.
  virtual absl::StatusOr<GeneratedDocument> Render(const Identity& identity, uint64_t seed,
                                                   const RenderOptions& options) = 0;
};

// Ground truth as JSON: {"file", "format", "level", "seed", "upside_down",
// "rotation_degrees", "tilt_degrees", "glyph_height_px", "photo_effects"
// (names), "mrz_lines", "fields", "mrz_box"}.
std::string GroundTruthJson(const GeneratedDocument& doc, absl::string_view file_name);

}  // namespace vouch::docgen

#endif  // VOUCH_TESTS_DOCGEN_DOCGEN_H_
