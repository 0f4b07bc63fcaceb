// vouch_mrz_line_crops: training and evaluation data for the Tesseract MRZ
// model (models/mrz/tesseract/): the MRZ line crops the reader itself hands
// to its second recogniser, cut from generated pages at the given
// degradation levels and labelled with the generator's ground truth. See
// models/mrz/tesseract/README.md.
//
//   vouch_mrz_line_crops --out DIR [--pages-per-level 100] [--seed 700000]
//       [--levels clean,mild,medium,hard] [--batch 20] [--prefix aug]
//
// Writes batches of --batch lines: DIR/<prefix><n>.tif (multi-page, one
// 8-bit gray line crop per page), DIR/<prefix><n>.box (Tesseract line boxes:
// every character of a page with the whole page as its box, then the
// end-of-line tab entry) and DIR/<prefix><n>.gt.txt (one truth line per
// page). `tesseract DIR/<prefix><n>.tif DIR/<prefix><n> --psm 13 lstm.train`
// turns a batch into an .lstmf. Prints one summary line per level.
//
// Seeds: pages use --seed, --seed + 1, ... over all levels (five formats in
// turn). Keep them away from the benchmark's (1000+), the unseen checks
// (2000-2099, 3000-3099) and the glyph model's (500000+).

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "docgen/docgen.h"
#include "mrz/mrz_reader_internal.h"
#include "ocr/mrz_reader.h"
#include "opencv2/imgcodecs.hpp"

namespace {

struct Batch {
  std::vector<cv::Mat> images;
  std::vector<std::string> texts;
};

// Tesseract box file lines for one page holding one text line: each
// character gets the whole page as its box (the LSTM trainer needs only the
// line's text and extent), then a tab entry ends the line.
std::string LineBoxes(const std::string& text, int width, int height, int page) {
  std::string out;
  for (char c : text) {
    out += absl::StrFormat("%c 0 0 %d %d %d\n", c, width, height, page);
  }
  out += absl::StrFormat("\t 0 0 %d %d %d\n", width, height, page);
  return out;
}

bool WriteBatch(const std::filesystem::path& base, const Batch& batch) {
  if (batch.images.empty()) return true;
  if (!cv::imwritemulti(base.string() + ".tif", batch.images)) return false;
  std::ofstream box(base.string() + ".box"), gt(base.string() + ".gt.txt");
  for (size_t i = 0; i < batch.images.size(); ++i) {
    box << LineBoxes(batch.texts[i], batch.images[i].cols, batch.images[i].rows,
                     static_cast<int>(i));
    gt << batch.texts[i] << "\n";
  }
  return static_cast<bool>(box) && static_cast<bool>(gt);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vouch_mrz_line_crops: labelled MRZ line crops for Tesseract training"};
  std::string out, prefix = "aug", glyph_model;
  int pages_per_level = 100, batch_size = 20;
  uint64_t seed = 700000;
  std::vector<std::string> levels = {"clean", "mild", "medium", "hard"};
  app.add_option("--out", out, "output directory")->required();
  app.add_option("--pages-per-level", pages_per_level, "generated pages per level")
      ->check(CLI::Range(1, 100000));
  app.add_option("--seed", seed, "first seed");
  app.add_option("--levels", levels, "levels")->delimiter(',');
  app.add_option("--batch", batch_size, "lines per output TIFF")->check(CLI::Range(1, 1000));
  app.add_option("--prefix", prefix, "output file name prefix");
  app.add_option("--glyph-model", glyph_model,
                 "glyph model of the reader [models/mrz/ocrb_glyphs.bin]");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (glyph_model.empty()) {
    glyph_model = std::string(VOUCH_SOURCE_DIR) + "/models/mrz/ocrb_glyphs.bin";
  }
  std::vector<vouch::docgen::Level> parsed_levels;
  for (const std::string& name : levels) {
    auto level = vouch::docgen::ParseLevel(name);
    if (!level.ok()) {
      std::cerr << "error: " << level.status().message() << "\n";
      return 2;
    }
    parsed_levels.push_back(*level);
  }
  vouch::ocr::MrzReaderOptions options;
  options.glyph_model = glyph_model;
  options.use_tesseract = false;  // Only the crops are needed.
  auto reader = vouch::ocr::MrzReader::Create(options);
  auto gen = vouch::docgen::DocumentGenerator::Create();
  if (!reader.ok() || !gen.ok()) {
    std::cerr << "error: cannot create reader or generator: "
              << (reader.ok() ? gen.status() : reader.status()) << "\n";
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) {
    std::cerr << "error: cannot create " << out << ": " << ec.message() << "\n";
    return 1;
  }
  const vouch::ocr::MrzFormat formats[] = {
      vouch::ocr::MrzFormat::kTd3, vouch::ocr::MrzFormat::kTd1, vouch::ocr::MrzFormat::kTd2,
      vouch::ocr::MrzFormat::kMrvA, vouch::ocr::MrzFormat::kMrvB};
  Batch batch;
  int batches = 0, total_lines = 0;
  uint64_t page_seed = seed;
  auto flush = [&]() {
    const auto base = std::filesystem::path(out) / absl::StrFormat("%s%04d", prefix, batches);
    if (!WriteBatch(base, batch)) {
      std::cerr << "error: cannot write " << base << "\n";
      return false;
    }
    ++batches;
    batch = {};
    return true;
  };
  for (vouch::docgen::Level level : parsed_levels) {
    int pages = 0, segmented = 0, lines = 0, expected = 0;
    for (int i = 0; i < pages_per_level; ++i, ++page_seed) {
      auto doc = (*gen)->Generate(formats[i % 5], level, page_seed);
      ++pages;
      if (!doc.ok()) continue;
      expected += static_cast<int>(doc->mrz_lines.size());
      auto crops = vouch::ocr::internal::CollectLabelledLines(**reader, doc->image, doc->mrz_lines);
      if (!crops.empty()) ++segmented;
      for (auto& c : crops) {
        batch.images.push_back(std::move(c.image));
        batch.texts.push_back(std::move(c.text));
        ++lines;
        if (static_cast<int>(batch.images.size()) == batch_size && !flush()) return 1;
      }
    }
    total_lines += lines;
    std::cout << absl::StrFormat("%s: pages %d, segmented %d, lines %d of %d\n",
                                 vouch::docgen::LevelName(level), pages, segmented, lines,
                                 expected);
  }
  if (!batch.images.empty() && !flush()) return 1;
  std::cout << absl::StrFormat("total: %d lines in %d batches\n", total_lines, batches);
  return total_lines > 0 ? 0 : 1;
}
