// vouch_mrz_debug: what the reader's stages see on one page, for developers.
// Prints every candidate band (plain gray; joined pieces last, marked), its
// reads upright and flipped (lines, mean glyph score, passing checks) and
// both Tesseract models' readings of each line crop and each cell's
// foreign-ink reach (ForeignInkReach; 9 = cut by the band's edge); with
// --dump DIR writes the line crops as PNG, their first 200 columns 4x
// enlarged (zoom_*.png) and the first line's cell thumbnails as the
// classifier sees them (thumbs_*.png).
//
//   vouch_mrz_debug IMAGE [--models DIR] [--dump DIR] [--variant gray|bright|flat]
//
// --variant: the page variant searched (the reader's three: plain gray,
// the brightest channel, the flattened dark ink of the brightest channel).

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "mrz/band_locator.h"
#include "mrz/glyph_classifier.h"
#include "mrz/recognition.h"
#include "mrz/tesseract_line_reader.h"
#include "ocr/image.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace {

namespace in = vouch::ocr::internal;

int Run(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: vouch_mrz_debug IMAGE [--models DIR] [--dump DIR] [--variant gray|bright|flat]\n");
    return 2;
  }
  std::string models = "models", dump, variant = "gray";
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--models") models = argv[i + 1];
    if (std::string(argv[i]) == "--dump") dump = argv[i + 1];
    if (std::string(argv[i]) == "--variant") variant = argv[i + 1];
  }
  const cv::Mat page = cv::imread(argv[1], cv::IMREAD_COLOR);
  if (page.empty()) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  auto samples = in::LoadGlyphModel(models + "/mrz/ocrb_glyphs.bin");
  if (!samples.ok()) return 1;
  auto classifier = in::GlyphClassifier::FromSamples(*samples);
  if (!classifier.ok()) return 1;
  auto mrz = in::TesseractLineReader::Create(models + "/mrz/tesseract", "mrz");
  auto eng = in::TesseractLineReader::Create("", "eng");
  if (!mrz.ok() || !eng.ok()) return 1;
  cv::Mat gray = in::GrayPage(page);
  if (variant != "gray") {
    std::vector<cv::Mat> channels;
    cv::split(page, channels);
    gray = cv::max(cv::max(channels[0], channels[1]), channels[2]);
    if (variant == "flat") gray = in::FlattenDarkInk(gray);
  }
  int band = 0;
  // The candidates found whole, then the pieces joined (LocateBands), which
  // the reader tries last.
  std::vector<cv::RotatedRect> bands, joined;
  bands = in::LocateBands(gray, &joined);
  const size_t whole = bands.size();
  bands.insert(bands.end(), joined.begin(), joined.end());
  for (const cv::RotatedRect& r : bands) {
    for (bool flip : {false, true}) {
      in::ReadAttempt a = in::ReadBand(gray, r, flip, **classifier);
      std::printf("band %d%s flip %d centre (%.0f,%.0f) size %.0fx%.0f angle %.1f mrz_like %d",
                  band, static_cast<size_t>(band) >= whole ? " (joined)" : "", flip, r.center.x,
                  r.center.y, r.size.width, r.size.height, r.angle, a.mrz_like);
      if (!a.mrz_like) {
        std::printf("\n");
        continue;
      }
      std::printf(" mean_best %.2f passed %d\n", a.mean_best, a.passed_checks);
      for (size_t k = 0; k < a.line_images.size(); ++k) {
        std::printf("  glyph %s\n", a.decoded ? a.decoded->lines[k].c_str() : "(undecoded)");
        std::printf("  mrz   %s\n", (*mrz)->ReadLine(a.line_images[k]).value_or("?").c_str());
        std::printf("  eng   %s\n", (*eng)->ReadLine(a.line_images[k]).value_or("?").c_str());
        if (k < a.ink_reach.size()) {
          std::printf("  reach");
          for (float v : a.ink_reach[k]) std::printf(" %.2f", v);
          std::printf("\n");
        }
        if (!dump.empty()) {
          std::filesystem::create_directories(dump);
          cv::imwrite(dump + "/b" + std::to_string(band) + "f" + std::to_string(flip) + "l" +
                          std::to_string(k) + ".png",
                      a.line_images[k]);
          if (k == 0 && !a.thumbs.empty()) {
            const size_t per_line = a.thumbs.size() / a.line_images.size();
            std::vector<cv::Mat> row(a.thumbs.begin(), a.thumbs.begin() + per_line);
            cv::Mat mosaic, big;
            cv::hconcat(row, mosaic);
            if (mosaic.depth() != CV_8U) mosaic.convertTo(mosaic, CV_8U, 255);
            cv::resize(mosaic, big, cv::Size(), 4, 4, cv::INTER_NEAREST);
            cv::imwrite(
                dump + "/thumbs_b" + std::to_string(band) + "f" + std::to_string(flip) + ".png",
                big);
          }
          cv::Mat zoom;
          const cv::Mat& li = a.line_images[k];
          cv::resize(li(cv::Rect(0, 0, std::min(li.cols, 200), li.rows)), zoom, cv::Size(), 4, 4,
                     cv::INTER_NEAREST);
          cv::imwrite(dump + "/zoom_b" + std::to_string(band) + "f" + std::to_string(flip) + "l" +
                          std::to_string(k) + ".png",
                      zoom);
        }
      }
    }
    ++band;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
