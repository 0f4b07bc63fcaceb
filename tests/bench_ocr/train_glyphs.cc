// vouch_train_mrz_glyphs: builds the OCR-B glyph model of the MRZ reader
// (models/mrz/ocrb_glyphs.bin) from cells the reader itself cuts out of
// generated pages at all four degradation levels, labelled with the
// generator's ground truth, plus font renderings. See models/mrz/README.md.
//
//   vouch_train_mrz_glyphs --out models/mrz/ocrb_glyphs.bin
//       [--pages-per-level 60] [--seed 500000] [--per-class 300]
//       [--font-per-class 40] [--bootstrap MODEL] [--merge MODEL]

#include <algorithm>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "docgen/docgen.h"
#include "mrz/glyph_classifier.h"
#include "mrz/mrz_reader_internal.h"
#include "ocr/mrz_reader.h"

int main(int argc, char** argv) {
  CLI::App app{"vouch_train_mrz_glyphs: build the MRZ glyph model"};
  std::string out, bootstrap;
  int pages_per_level = 60, per_class = 300, font_per_class = 40;
  uint64_t seed = 500000;  // Disjoint from the benchmark's seeds (1000+).
  app.add_option("--out", out, "model file to write")->required();
  app.add_option("--pages-per-level", pages_per_level, "generated pages per level");
  app.add_option("--per-class", per_class, "max page samples kept per symbol");
  app.add_option("--font-per-class", font_per_class, "font renderings per symbol");
  app.add_option("--seed", seed, "first seed");
  app.add_option("--bootstrap", bootstrap, "glyph model used while cutting cells");
  std::string merge;
  app.add_option("--merge", merge, "append the samples of this model file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  vouch::ocr::MrzReaderOptions options;
  options.glyph_model = bootstrap;
  options.use_tesseract = false;
  auto reader = vouch::ocr::MrzReader::Create(options);
  auto gen = vouch::docgen::DocumentGenerator::Create();
  if (!reader.ok() || !gen.ok()) {
    std::cerr << "error: cannot create reader or generator\n";
    return 1;
  }
  std::map<int, std::vector<vouch::ocr::internal::GlyphSample>> by_class;
  const vouch::ocr::MrzFormat formats[] = {
      vouch::ocr::MrzFormat::kTd3, vouch::ocr::MrzFormat::kTd1, vouch::ocr::MrzFormat::kTd2,
      vouch::ocr::MrzFormat::kMrvA, vouch::ocr::MrzFormat::kMrvB};
  int used = 0, pages = 0;
  for (auto level : {vouch::docgen::Level::kClean, vouch::docgen::Level::kMild,
                     vouch::docgen::Level::kMedium, vouch::docgen::Level::kHard}) {
    for (int i = 0; i < pages_per_level; ++i) {
      auto doc = (*gen)->Generate(formats[i % 5], level, seed + pages);
      ++pages;
      if (!doc.ok()) continue;
      auto cells = vouch::ocr::internal::CollectLabelledCells(**reader, doc->image, doc->mrz_lines);
      if (cells.empty()) continue;
      ++used;
      for (auto& c : cells) by_class[c.label].push_back(std::move(c));
    }
  }
  std::mt19937_64 rng(seed);
  std::vector<vouch::ocr::internal::GlyphSample> samples;
  for (auto& [label, v] : by_class) {
    std::shuffle(v.begin(), v.end(), rng);
    if (static_cast<int>(v.size()) > per_class) v.resize(per_class);
    samples.insert(samples.end(), v.begin(), v.end());
  }
  auto font =
      vouch::ocr::internal::GlyphClassifier::RenderFontSamples(options.ocr_b_font, font_per_class);
  if (!font.ok()) {
    std::cerr << "error: " << font.status() << "\n";
    return 1;
  }
  samples.insert(samples.end(), font->begin(), font->end());
  if (!merge.empty()) {
    auto more = vouch::ocr::internal::LoadGlyphModel(merge);
    if (!more.ok()) {
      std::cerr << "error: " << more.status() << "\n";
      return 1;
    }
    samples.insert(samples.end(), more->begin(), more->end());
  }
  if (auto s = vouch::ocr::internal::SaveGlyphModel(out, samples); !s.ok()) {
    std::cerr << "error: " << s << "\n";
    return 1;
  }
  std::cout << "pages " << pages << ", segmented " << used << ", samples " << samples.size() << " ("
            << by_class.size() << " symbols from pages)\n";
  return 0;
}
