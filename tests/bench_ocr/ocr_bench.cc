// vouch_ocr_bench: MRZ reading accuracy and speed on generated pages (four
// degradation levels) and the public specimens, against the naive baseline
// (Tesseract CLI on the whole page, --psm 6, MRZ regex) on the same images
// in the same run.
//
//   vouch_ocr_bench [--per-level N] [--seed S] [--no-baseline] [--verbose]
//                   [--specimens DIR] [--tessdata DIR] [--lang mrz|eng]
//                   [--levels clean,mild,medium,hard] [--no-specimens]
//                   [--cv-threads N] [--omp-threads N]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <sys/resource.h>
#include <unistd.h>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "base/openmp_limit.h"
#include "docgen/docgen.h"
#include "nlohmann/json.hpp"
#include "ocr/image.h"
#include "ocr/mrz.h"
#include "ocr/mrz_reader.h"
#include "opencv2/core/utility.hpp"
#include "opencv2/imgcodecs.hpp"

namespace {

using vouch::ocr::MrzFormat;

struct Tally {
  int n = 0, exact = 0, false_accept = 0, valid = 0, found = 0;
  long chars = 0, chars_right = 0;
  std::vector<double> ms;
  std::vector<double> cpu_ms;  // Process CPU time (user + system).
  int base_exact = 0, base_false_accept = 0;
  long base_chars_right = 0;
  std::vector<double> base_ms;
};

// CPU time of this process (all threads), in ms: unlike wall time, it
// does not grow with the load other processes put on the machine.
double CpuMs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

long CharsRight(const std::vector<std::string>& truth,
                const std::vector<std::string>& read) {
  long right = 0;
  for (size_t l = 0; l < truth.size() && l < read.size(); ++l) {
    for (size_t i = 0; i < truth[l].size() && i < read[l].size(); ++i) {
      right += truth[l][i] == read[l][i];
    }
  }
  return right;
}

long CharCount(const std::vector<std::string>& lines) {
  long n = 0;
  for (const std::string& l : lines) n += static_cast<long>(l.size());
  return n;
}

// The naive baseline: tesseract CLI on the whole page, then the last 2-3
// lines that look like MRZ lines once spaces are removed.
std::vector<std::string> NaiveBaseline(const std::string& path,
                                       const std::string& tess_args,
                                       double& ms) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string cmd =
      "tesseract '" + path + "' stdout --psm 6 " + tess_args + " 2>/dev/null";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    pclose(p);
  }
  ms = std::chrono::duration<double, std::milli>(
           std::chrono::steady_clock::now() - t0).count();
  static const std::regex kMrzLine("^[A-Z0-9<]{30,44}$");
  std::vector<std::string> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::string s;
    for (char c : line) {
      if (c != ' ') s += c;
    }
    if (std::regex_match(s, kMrzLine)) lines.push_back(s);
  }
  if (lines.size() >= 3 && lines[lines.size() - 1].size() == 30 &&
      lines[lines.size() - 3].size() == 30) {
    return {lines.end() - 3, lines.end()};
  }
  if (lines.size() >= 2) return {lines.end() - 2, lines.end()};
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vouch_ocr_bench: MRZ accuracy and speed vs. a naive baseline"};
  int per_level = 100;
  uint64_t seed = 1000;
  bool no_baseline = false, verbose = false, per_page = false;
  std::string specimens = std::string(VOUCH_SHARED_DIR) + "/corpus/specimens";
  std::string tessdata, lang;  // Empty: the reader's default second opinion.
  std::string glyph_model =
      std::string(VOUCH_SOURCE_DIR) + "/models/mrz/ocrb_glyphs.bin";
  bool use_tesseract = true;
  std::vector<std::string> levels = {"clean", "mild", "medium", "hard"};
  bool no_specimens = false;
  int cv_threads = 1;
  int omp_threads = 1;
  std::vector<int> only_pages;
  std::string save_misses;
  app.add_option("--per-level", per_level, "generated pages per level");
  app.add_option("--seed", seed, "first seed");
  app.add_flag("--no-baseline", no_baseline, "skip the tesseract CLI baseline");
  app.add_flag("--verbose", verbose, "print every miss");
  app.add_flag("--per-page", per_page, "print wall and CPU ms of every page");
  app.add_option("--specimens", specimens, "folder with manifest.json");
  app.add_option("--tessdata", tessdata, "tessdata folder for the reader");
  app.add_option("--glyph-model", glyph_model, "glyph model ('' = font)");
  app.add_option("--lang", lang,
                 "tesseract language for the reader ('' = the reader's default, "
                 "models/mrz/tesseract/mrz.traineddata beside the glyph model)");
  app.add_option("--levels", levels, "generated levels to run")->delimiter(',');
  app.add_flag("--no-specimens", no_specimens, "skip specimens and negative");
  app.add_option("--pages", only_pages,
                 "only these page indices of each level (as in MISS level#i)")
      ->delimiter(',');
  app.add_option("--omp-threads", omp_threads,
                 "OpenMP thread limit for Tesseract's LSTM (OMP_THREAD_LIMIT; 1 = the "
                 "one-core figure, 0 = the environment's). libgomp reads it at start-up, "
                 "so the bench re-executes itself with it set");
  app.add_option("--cv-threads", cv_threads,
                 "OpenCV worker threads (1 = the one-core figure; 0 = "
                 "OpenCV's default)");
  app.add_option("--save-misses", save_misses,
                 "write the image of every generated page not read exactly "
                 "to this folder (<level>_<i>.png)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  // Tesseract's LSTM asks for 4 OpenMP threads per layer step; on a shared
  // 2-core machine their spinning triples the CPU time per page.
  if (omp_threads > 0 &&
      !vouch::EnsureOpenMpThreadLimit(argv, omp_threads, /*replace_existing=*/true)) {
    return 1;
  }
  std::cout << "OMP_THREAD_LIMIT="
            << (std::getenv("OMP_THREAD_LIMIT") ? std::getenv("OMP_THREAD_LIMIT") : "(unset)")
            << ", OpenCV threads " << (cv_threads > 0 ? std::to_string(cv_threads) : "default")
            << "\n";
  if (cv_threads > 0) cv::setNumThreads(cv_threads);
  vouch::ocr::MrzReaderOptions options;
  options.tessdata_dir = tessdata;
  options.tesseract_language = lang;
  options.use_tesseract = use_tesseract;
  options.glyph_model = glyph_model;
  auto reader = vouch::ocr::MrzReader::Create(options);
  if (!reader.ok()) {
    std::cerr << "error: " << reader.status() << "\n";
    return 1;
  }
  if (use_tesseract) {
    const vouch::ocr::SecondRecogniser second = vouch::ocr::ResolveSecondRecogniser(options);
    std::cout << "second recogniser: tesseract " << second.language << " from "
              << (second.tessdata_dir.empty() ? "tesseract's default tessdata"
                                              : second.tessdata_dir)
              << "\n";
  }
  auto gen = vouch::docgen::DocumentGenerator::Create();
  if (!gen.ok()) {
    std::cerr << "error: " << gen.status() << "\n";
    return 1;
  }
  const std::filesystem::path tmp =
      std::filesystem::temp_directory_path() / "vouch_ocr_bench.jpg";
  std::map<std::string, Tally> tallies;
  std::vector<std::string> order;

  auto run = [&](const std::string& group, const std::string& name,
                 const cv::Mat& image, const std::string& encoded,
                 const std::vector<std::string>& truth) {
    if (!tallies.count(group)) order.push_back(group);
    Tally& t = tallies[group];
    ++t.n;
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = CpuMs();
    auto r = (*reader)->Read(image);
    t.cpu_ms.push_back(CpuMs() - c0);
    t.ms.push_back(std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - t0).count());
    if (per_page) {
      std::cout << absl::StrFormat("PAGE %s %dx%d wall_ms=%.1f cpu_ms=%.1f\n",
                                   name, image.cols, image.rows, t.ms.back(),
                                   t.cpu_ms.back());
    }
    std::vector<std::string> read;
    bool valid = false;
    if (r.ok() && r->has_value()) {
      ++t.found;
      if ((*r)->mrz) read = (*r)->mrz->lines;
      valid = (*r)->verdict == vouch::ocr::MrzVerdict::kValid;
    }
    t.chars += CharCount(truth);
    t.chars_right += CharsRight(truth, read);
    t.valid += valid;
    const bool exact = !truth.empty() && read == truth;
    t.exact += exact;
    if (valid && !exact) ++t.false_accept;
    if (!save_misses.empty() && !exact && !truth.empty() &&
        group != "specimens") {
      cv::imwrite((std::filesystem::path(save_misses) /
                   (absl::StrReplaceAll(name, {{"#", "_"}}) + ".png"))
                      .string(),
                  image);
    }
    if (verbose && (!exact || (truth.empty() && r.ok() && r->has_value()))) {
      std::cout << "MISS " << name << " verdict="
                << (r.ok() && r->has_value()
                        ? vouch::ocr::MrzVerdictName((*r)->verdict)
                        : "none")
                << "\n  truth: " << absl::StrJoin(truth, " | ")
                << "\n  read:  " << absl::StrJoin(read, " | ");
      if (r.ok() && r->has_value()) {
        std::cout << "\n  why:   " << absl::StrJoin((*r)->reasons, ",");
        std::cout << "\n  conf:  ";
        for (const auto& [k, v] : (*r)->field_confidence) {
          std::cout << k << "=" << absl::StrFormat("%.3f", v) << " ";
        }
      }
      std::cout << "\n";
    }
    if (!no_baseline) {
      {
        std::ofstream f(tmp, std::ios::binary);
        f.write(encoded.data(), static_cast<std::streamsize>(encoded.size()));
      }
      double ms = 0;
      std::vector<std::string> base = NaiveBaseline(tmp.string(), "", ms);
      t.base_ms.push_back(ms);
      const bool bexact = !truth.empty() && base == truth;
      t.base_exact += bexact;
      t.base_chars_right += CharsRight(truth, base);
      auto parsed = vouch::ocr::ParseMrz(base);
      if (parsed.ok() && parsed->valid() && !bexact) ++t.base_false_accept;
      if (truth.empty() && !base.empty()) ++t.base_false_accept;
    }
  };

  const MrzFormat formats[] = {MrzFormat::kTd3, MrzFormat::kTd1,
                               MrzFormat::kTd2, MrzFormat::kMrvA,
                               MrzFormat::kMrvB};
  for (auto level : {vouch::docgen::Level::kClean, vouch::docgen::Level::kMild,
                     vouch::docgen::Level::kMedium, vouch::docgen::Level::kHard}) {
    if (std::find(levels.begin(), levels.end(),
                  std::string(vouch::docgen::LevelName(level))) == levels.end()) {
      continue;
    }
    for (int i = 0; i < per_level; ++i) {
      if (!only_pages.empty() &&
          std::find(only_pages.begin(), only_pages.end(), i) == only_pages.end()) {
        continue;
      }
      auto doc = (*gen)->Generate(formats[i % 5], level, seed + i);
      if (!doc.ok()) {
        std::cerr << "error: " << doc.status() << "\n";
        return 1;
      }
      run(std::string(vouch::docgen::LevelName(level)),
          absl::StrFormat("%s#%d", vouch::docgen::LevelName(level), i),
          doc->image, doc->jpeg, doc->mrz_lines);
    }
  }
  // Specimens.
  std::ifstream mf(std::filesystem::path(specimens) / "manifest.json");
  const nlohmann::json manifest = nlohmann::json::parse(mf, nullptr, false);
  std::vector<std::string> specimen_misses;
  if (!no_specimens && !manifest.is_discarded()) {
    auto read_file = [&](const std::string& file) {
      std::ifstream in(std::filesystem::path(specimens) / file, std::ios::binary);
      return std::string((std::istreambuf_iterator<char>(in)), {});
    };
    for (const auto& s : manifest["specimens"]) {
      const std::string file = s["file"].get<std::string>();
      const std::string bytes = read_file(file);
      auto img = vouch::ocr::DecodeImage(bytes);
      if (!img.ok()) continue;
      run("specimens", file, img->bgr, bytes,
          s["mrz_lines"].get<std::vector<std::string>>());
    }
    for (const auto& s : manifest["negatives"]) {
      const std::string file = s["file"].get<std::string>();
      const std::string bytes = read_file(file);
      auto img = vouch::ocr::DecodeImage(bytes);
      if (!img.ok()) continue;
      run("negative", file, img->bgr, bytes, {});
    }
  }
  std::filesystem::remove(tmp);

  std::cout << "\n| set | n | exact | char acc | false accepts | valid | "
               "ms median | ms p90 | CPU ms median | CPU ms p90 |";
  if (!no_baseline) {
    std::cout << " baseline exact | baseline char acc | baseline false accepts"
                 " | baseline ms median |";
  }
  std::cout << "\n|---|---|---|---|---|---|---|---|---|---|";
  if (!no_baseline) std::cout << "---|---|---|---|";
  std::cout << "\n";
  for (const std::string& g : order) {
    const Tally& t = tallies[g];
    const double acc = t.chars ? 100.0 * t.chars_right / t.chars : 0;
    if (g == "negative") {
      std::cout << absl::StrFormat(
          "| negative | %d | MRZ reported: %d | - | %d | %d | %.0f | %.0f | %.0f | %.0f |",
          t.n, t.found, t.valid, t.valid, Percentile(t.ms, 0.5),
          Percentile(t.ms, 0.9), Percentile(t.cpu_ms, 0.5),
          Percentile(t.cpu_ms, 0.9));
    } else {
      std::cout << absl::StrFormat(
          "| %s | %d | %d (%.1f%%) | %.2f%% | %d | %d | %.0f | %.0f | %.0f | %.0f |",
          g, t.n, t.exact, 100.0 * t.exact / std::max(1, t.n), acc,
          t.false_accept, t.valid, Percentile(t.ms, 0.5), Percentile(t.ms, 0.9),
          Percentile(t.cpu_ms, 0.5), Percentile(t.cpu_ms, 0.9));
    }
    if (!no_baseline) {
      const double bacc = t.chars ? 100.0 * t.base_chars_right / t.chars : 0;
      std::cout << absl::StrFormat(" %d (%.1f%%) | %.2f%% | %d | %.0f |",
                                   t.base_exact,
                                   100.0 * t.base_exact / std::max(1, t.n),
                                   bacc, t.base_false_accept,
                                   Percentile(t.base_ms, 0.5));
    }
    std::cout << "\n";
  }
  return 0;
}
