// vouch_docgen: writes synthetic identity-document pages and their ground
// truth. Usage:
//   vouch_docgen --out DIR [--count N] [--levels clean,mild,medium,hard,photo]
//                [--formats TD1,TD2,TD3,MRVA,MRVB] [--seed S]
// For each level, N pages cycling through the formats; page i of a level
// has seed S + i. Writes DIR/<level>_<i>_<format>.jpg and .json (see
// GroundTruthJson) and DIR/index.jsonl with one ground-truth line per page.
// Exit codes: 0 done, 1 a page could not be written, 2 usage error.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "docgen/docgen.h"

namespace {

std::optional<vouch::ocr::MrzFormat> ParseFormat(const std::string& s) {
  using vouch::ocr::MrzFormat;
  for (MrzFormat f :
       {MrzFormat::kTd1, MrzFormat::kTd2, MrzFormat::kTd3, MrzFormat::kMrvA, MrzFormat::kMrvB}) {
    if (vouch::ocr::MrzFormatName(f) == s) return f;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vouch_docgen: synthetic identity documents with ground truth"};
  std::string out;
  int count = 10;
  std::string levels_arg = "clean,mild,medium,hard";
  std::string formats_arg = "TD3,TD1,TD2,MRVA,MRVB";
  uint64_t seed = 1;
  app.add_option("--out", out, "output folder")->required();
  app.add_option("--count", count, "pages per level")->check(CLI::Range(1, 100000));
  app.add_option("--levels", levels_arg,
                 "comma-separated levels (clean, mild, medium, hard, photo)");
  app.add_option("--formats", formats_arg, "comma-separated formats");
  app.add_option("--seed", seed, "first seed");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  std::vector<vouch::docgen::Level> levels;
  for (absl::string_view s : absl::StrSplit(levels_arg, ',')) {
    auto l = vouch::docgen::ParseLevel(s);
    if (!l.ok()) {
      std::cerr << "error: " << l.status().message() << "\n";
      return 2;
    }
    levels.push_back(*l);
  }
  std::vector<vouch::ocr::MrzFormat> formats;
  for (absl::string_view s : absl::StrSplit(formats_arg, ',')) {
    auto f = ParseFormat(std::string(s));
    if (!f) {
      std::cerr << "error: unknown format '" << s << "'\n";
      return 2;
    }
    formats.push_back(*f);
  }
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) {
    std::cerr << "error: cannot create " << out << "\n";
    return 1;
  }
  auto gen = vouch::docgen::DocumentGenerator::Create();
  if (!gen.ok()) {
    std::cerr << "error: " << gen.status().message() << "\n";
    return 1;
  }
  std::ofstream index(std::filesystem::path(out) / "index.jsonl");
  for (vouch::docgen::Level level : levels) {
    for (int i = 0; i < count; ++i) {
      const vouch::ocr::MrzFormat format = formats[i % formats.size()];
      auto doc = (*gen)->Generate(format, level, seed + i);
      if (!doc.ok()) {
        std::cerr << "error: " << doc.status().message() << "\n";
        return 1;
      }
      const std::string name = absl::StrFormat("%s_%04d_%s", vouch::docgen::LevelName(level), i,
                                               vouch::ocr::MrzFormatName(format));
      const std::string truth = vouch::docgen::GroundTruthJson(*doc, name + ".jpg");
      std::ofstream img(std::filesystem::path(out) / (name + ".jpg"), std::ios::binary);
      img.write(doc->jpeg.data(), static_cast<std::streamsize>(doc->jpeg.size()));
      std::ofstream js(std::filesystem::path(out) / (name + ".json"));
      js << truth << "\n";
      index << truth << "\n";
      if (!img || !js) {
        std::cerr << "error: cannot write " << name << "\n";
        return 1;
      }
    }
  }
  return index ? 0 : 1;
}
