// vouch_ocr_bench: MRZ reading on generated pages (the four scan levels and
// the phone-photo level), the public specimens, the real development set
// (mrz_real, split into scans and photos) and the negatives, one row per
// set, against the naive baseline (Tesseract CLI on the whole page, --psm 6,
// MRZ regex) on the same images in the same run. Headline: the automation
// rate, the share of documents read exactly AND given the right automatic
// verdict. See docs/ocr.md ("Benchmark").
//
//   vouch_ocr_bench [--sets clean,mild,medium,hard,photo,specimens,
//                           mrz_real_scans,mrz_real_photos,negatives]
//                   [--per-level N[,level=N...]] [--seed S] [--no-baseline]
//                   [--verbose] [--per-page] [--specimens DIR] [--mrz-real DIR]
//                   [--tessdata DIR] [--glyph-model FILE] [--lang mrz|eng]
//                   [--pages I,J] [--cv-threads N] [--omp-threads N]
//                   [--save-misses DIR]

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
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
using vouch::ocr::MrzVerdict;

// The sets, in the order they are run and printed.
const std::vector<std::string> kGeneratedSets = {"clean", "mild", "medium", "hard",
                                                 "photo"};
constexpr const char* kSpecimens = "specimens";
constexpr const char* kRealScans = "mrz_real_scans";
constexpr const char* kRealPhotos = "mrz_real_photos";
constexpr const char* kNegatives = "negatives";

// Within this many degrees of an axis, a photo counts as upright, upside
// down or sideways in the photo breakdown.
constexpr double kAxisToleranceDegrees = 15;
constexpr double kStrongTiltDegrees = 15;

// CPU time in ms of this process (all threads) or of its waited-for
// children: unlike wall time, it does not grow with the load other
// processes put on the machine.
double CpuMs(int who) {
  rusage u{};
  getrusage(who, &u);
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

// Whether a reader that reads `truth` exactly should call it `valid`: every
// check digit passes, both state codes are on the ICAO list and the dates
// are calendar dates (the reader's own rule, applied to the ground truth),
// and the manifest does not say the printed check digits fail. Documents
// for which this is false are "printed invalid": read exactly, the right
// automatic verdict is `invalid`.
bool ExpectValid(const std::vector<std::string>& truth, bool manifest_checks_valid,
                 absl::CivilDay today) {
  if (!manifest_checks_valid) return false;
  absl::StatusOr<vouch::ocr::ParsedMrz> p = vouch::ocr::ParseMrz(truth);
  return p.ok() && p->valid() && p->issuing_state_known && p->nationality_known &&
         vouch::ocr::ResolveBirthDate(p->fields.birth_date, today).has_value() &&
         vouch::ocr::ResolveExpiryDate(p->fields.expiry_date, today).has_value();
}

// One document's result, the reader's or the baseline's.
struct Outcome {
  bool found = false;  // An MRZ was reported.
  bool exact = false;  // All lines equal the ground truth.
  bool valid = false;  // Reader: verdict kValid. Baseline: every check passes.
  bool invalid = false;     // Reader: verdict kInvalid. Baseline: a check fails.
  bool unreadable = false;  // Reader only.
  long chars_right = 0;
  double cpu_ms = 0;
};

// What a set's row counts. Mutually exclusive for a document with an MRZ:
// automated (exact and the expected verdict), review (exact, unreadable),
// exact_invalid (exact, `invalid` although expected valid), false accept
// (`valid` but not exact, or on a printed-invalid document), misread (wrong
// lines, not valid), no MRZ. On negatives: false accept (`valid`), review
// (an MRZ reported, not valid), no MRZ (right).
struct Counts {
  int n = 0, automated = 0, exact = 0, review = 0, exact_invalid = 0,
      false_accept = 0, no_mrz = 0;
  long chars = 0, chars_right = 0;
  std::vector<double> cpu_ms;
};

void Count(Counts& c, const Outcome& o, bool negative, bool expect_valid, long chars) {
  ++c.n;
  c.cpu_ms.push_back(o.cpu_ms);
  c.no_mrz += !o.found;
  if (negative) {
    c.false_accept += o.valid;
    c.review += o.found && !o.valid;
    return;
  }
  c.chars += chars;
  c.chars_right += o.chars_right;
  c.exact += o.exact;
  if (o.valid && !(o.exact && expect_valid)) {
    ++c.false_accept;
  } else if (o.exact) {
    if (expect_valid ? o.valid : o.invalid) {
      ++c.automated;
    } else if (o.unreadable) {
      ++c.review;
    } else {
      ++c.exact_invalid;
    }
  }
}

struct Tally {
  int printed_invalid = 0;
  Counts reader, baseline;
};

// The naive baseline: tesseract CLI on the whole page, then the last 2-3
// lines that look like MRZ lines once spaces are removed.
std::vector<std::string> NaiveBaseline(const std::string& path, double& cpu_ms) {
  const double c0 = CpuMs(RUSAGE_CHILDREN);
  const std::string cmd = "tesseract '" + path + "' stdout --psm 6 2>/dev/null";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    pclose(p);
  }
  cpu_ms = CpuMs(RUSAGE_CHILDREN) - c0;
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

// "25" or "25,photo=50,hard=100": a default and per-level overrides.
bool ParsePerLevel(const std::string& spec, std::map<std::string, int>& counts,
                   int& fallback) {
  for (absl::string_view item : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    std::vector<std::string> kv = absl::StrSplit(item, '=');
    int n = 0;
    if (kv.size() == 1 && absl::SimpleAtoi(kv[0], &n) && n >= 0) {
      fallback = n;
    } else if (kv.size() == 2 && absl::SimpleAtoi(kv[1], &n) && n >= 0 &&
               std::find(kGeneratedSets.begin(), kGeneratedSets.end(), kv[0]) !=
                   kGeneratedSets.end()) {
      counts[kv[0]] = n;
    } else {
      return false;
    }
  }
  return true;
}

// Orientation and tilt classes of a photo page, for the breakdown.
std::vector<std::string> PhotoTags(const vouch::docgen::GeneratedDocument& doc) {
  std::vector<std::string> tags = vouch::docgen::PhotoEffectNames(doc.photo_effects);
  const double total = std::fmod(doc.rotation_degrees + (doc.upside_down ? 180.0 : 0.0) + 360.0,
                                 360.0);  // 0..360
  auto near = [&](double axis) {
    return std::abs(std::remainder(total - axis, 360.0)) <= kAxisToleranceDegrees;
  };
  tags.push_back(near(0)                ? "upright"
                 : near(180)            ? "upside_down"
                 : near(90) || near(270) ? "sideways"
                                         : "oblique");
  tags.push_back(doc.tilt_degrees >= kStrongTiltDegrees ? "tilt>=15" : "tilt<15");
  tags.push_back(std::string(vouch::ocr::MrzFormatName(doc.identity.format)));
  return tags;
}

std::string Share(int k, int n) {
  return absl::StrFormat("%d (%.0f%%)", k, 100.0 * k / std::max(1, n));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vouch_ocr_bench: MRZ automation rate and speed vs. a naive baseline"};
  std::string per_level_spec = "100";
  uint64_t seed = 1000;
  bool no_baseline = false, verbose = false, per_page = false;
  std::string specimens = std::string(VOUCH_SHARED_DIR) + "/corpus/specimens";
  std::string mrz_real = std::string(VOUCH_SHARED_DIR) + "/corpus/mrz_real";
  std::string tessdata, lang;  // Empty: the reader's default second opinion.
  std::string glyph_model =
      std::string(VOUCH_SOURCE_DIR) + "/models/mrz/ocrb_glyphs.bin";
  std::vector<std::string> sets = kGeneratedSets;
  for (const char* s : {kSpecimens, kRealScans, kRealPhotos, kNegatives}) sets.push_back(s);
  int cv_threads = 1;
  int omp_threads = 1;
  std::vector<int> only_pages;
  std::string save_misses;
  app.add_option("--sets", sets,
                 "sets to run: generated levels (clean, mild, medium, hard, photo), "
                 "specimens, mrz_real_scans, mrz_real_photos, negatives")
      ->delimiter(',')
      ->check(CLI::IsMember([] {
        std::vector<std::string> all = kGeneratedSets;
        for (const char* s : {kSpecimens, kRealScans, kRealPhotos, kNegatives}) all.push_back(s);
        return all;
      }()));
  app.add_option("--per-level", per_level_spec,
                 "generated pages per level: N, or N,level=M,... to override levels "
                 "(e.g. 25,photo=50)");
  app.add_option("--seed", seed, "first seed of every generated level");
  app.add_flag("--no-baseline", no_baseline, "skip the tesseract CLI baseline");
  app.add_flag("--verbose", verbose, "print every document not automated");
  app.add_flag("--per-page", per_page, "print the CPU ms of every read");
  app.add_option("--specimens", specimens, "specimens folder (manifest.json)");
  app.add_option("--mrz-real", mrz_real, "mrz_real folder (manifest.json)");
  app.add_option("--tessdata", tessdata, "tessdata folder for the reader");
  app.add_option("--glyph-model", glyph_model, "glyph model ('' = font)");
  app.add_option("--lang", lang,
                 "tesseract language for the reader ('' = the reader's default, "
                 "models/mrz/tesseract/mrz.traineddata beside the glyph model)");
  app.add_option("--pages", only_pages,
                 "only these page indices of each generated level (as in level#i)")
      ->delimiter(',');
  app.add_option("--omp-threads", omp_threads,
                 "OpenMP thread limit for Tesseract's LSTM (OMP_THREAD_LIMIT; 1 = the "
                 "one-core figure, 0 = the environment's). libgomp reads it at start-up, "
                 "so the bench re-executes itself with it set");
  app.add_option("--cv-threads", cv_threads,
                 "OpenCV worker threads (1 = the one-core figure; 0 = "
                 "OpenCV's default)");
  app.add_option("--save-misses", save_misses,
                 "write the image of every generated page not automated "
                 "to this folder (<level>_<i>.png)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  int per_level = 0;
  std::map<std::string, int> level_counts;
  if (!ParsePerLevel(per_level_spec, level_counts, per_level)) {
    std::cerr << "error: --per-level wants N or N,level=M,...\n";
    return 2;
  }
  auto wanted = [&](const std::string& set) {
    return std::find(sets.begin(), sets.end(), set) != sets.end();
  };
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
  options.glyph_model = glyph_model;
  auto reader = vouch::ocr::MrzReader::Create(options);
  if (!reader.ok()) {
    std::cerr << "error: " << reader.status() << "\n";
    return 1;
  }
  const vouch::ocr::SecondRecogniser second = vouch::ocr::ResolveSecondRecogniser(options);
  std::cout << "second recogniser: tesseract " << second.language << " from "
            << (second.tessdata_dir.empty() ? "tesseract's default tessdata"
                                            : second.tessdata_dir)
            << "\n";
  auto gen = vouch::docgen::DocumentGenerator::Create();
  if (!gen.ok()) {
    std::cerr << "error: " << gen.status() << "\n";
    return 1;
  }
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  const std::filesystem::path tmp =
      std::filesystem::temp_directory_path() /
      absl::StrFormat("vouch_ocr_bench_%d.img", static_cast<int>(getpid()));
  std::map<std::string, Tally> tallies;
  std::map<std::string, Counts> photo_breakdown;  // By tag.

  // Reads one document (truth empty: a negative) into `set`'s tally;
  // returns whether the reader automated it (negatives: no MRZ found).
  auto run = [&](const std::string& set, const std::string& name, const cv::Mat& image,
                 const std::string& encoded, const std::vector<std::string>& truth,
                 bool manifest_checks_valid, const std::vector<std::string>& tags) {
    Tally& t = tallies[set];
    const bool negative = truth.empty();
    const bool expect_valid = !negative && ExpectValid(truth, manifest_checks_valid, today);
    t.printed_invalid += !negative && !expect_valid;
    Outcome o;
    const double c0 = CpuMs(RUSAGE_SELF);
    auto r = (*reader)->Read(image);
    o.cpu_ms = CpuMs(RUSAGE_SELF) - c0;
    std::vector<std::string> read;
    if (r.ok() && r->has_value()) {
      o.found = true;
      if ((*r)->mrz) read = (*r)->mrz->lines;
      o.valid = (*r)->verdict == MrzVerdict::kValid;
      o.invalid = (*r)->verdict == MrzVerdict::kInvalid;
      o.unreadable = (*r)->verdict == MrzVerdict::kUnreadable;
    }
    o.exact = !negative && read == truth;
    o.chars_right = CharsRight(truth, read);
    const int automated_before = t.reader.automated;
    Count(t.reader, o, negative, expect_valid, CharCount(truth));
    const bool automated = negative ? !o.found : t.reader.automated > automated_before;
    for (const std::string& tag : tags) {
      Count(photo_breakdown[tag], o, negative, expect_valid, CharCount(truth));
    }
    if (per_page) {
      std::cout << absl::StrFormat("PAGE %s %dx%d cpu_ms=%.1f\n", name, image.cols,
                                   image.rows, o.cpu_ms);
    }
    if (!save_misses.empty() && !automated && !tags.empty()) {
      cv::imwrite((std::filesystem::path(save_misses) /
                   (absl::StrReplaceAll(name, {{"#", "_"}}) + ".png"))
                      .string(),
                  image);
    }
    if (verbose && !automated) {
      std::cout << "MISS " << set << " " << name << " verdict="
                << (o.found ? vouch::ocr::MrzVerdictName((*r)->verdict) : "no_mrz")
                << (expect_valid || negative ? "" : " (printed invalid)");
      if (!tags.empty()) std::cout << " [" << absl::StrJoin(tags, ",") << "]";
      std::cout << "\n  truth: " << absl::StrJoin(truth, " | ")
                << "\n  read:  " << absl::StrJoin(read, " | ");
      if (o.found) {
        std::cout << "\n  why:   " << absl::StrJoin((*r)->reasons, ",");
      }
      std::cout << "\n";
    }
    if (!no_baseline) {
      {
        std::ofstream f(tmp, std::ios::binary);
        f.write(encoded.data(), static_cast<std::streamsize>(encoded.size()));
      }
      Outcome b;
      const std::vector<std::string> base = NaiveBaseline(tmp.string(), b.cpu_ms);
      b.found = !base.empty();
      b.exact = !negative && base == truth;
      b.chars_right = CharsRight(truth, base);
      absl::StatusOr<vouch::ocr::ParsedMrz> parsed = vouch::ocr::ParseMrz(base);
      b.valid = parsed.ok() && parsed->valid();
      b.invalid = b.found && !b.valid;
      Count(t.baseline, b, negative, expect_valid, CharCount(truth));
    }
  };

  // Generated levels: page i of a level has seed S + i and format i mod 5.
  const MrzFormat formats[] = {MrzFormat::kTd3, MrzFormat::kTd1, MrzFormat::kTd2,
                               MrzFormat::kMrvA, MrzFormat::kMrvB};
  for (const std::string& level_name : kGeneratedSets) {
    if (!wanted(level_name)) continue;
    const vouch::docgen::Level level = *vouch::docgen::ParseLevel(level_name);
    const int pages = level_counts.count(level_name) ? level_counts[level_name] : per_level;
    for (int i = 0; i < pages; ++i) {
      if (!only_pages.empty() &&
          std::find(only_pages.begin(), only_pages.end(), i) == only_pages.end()) {
        continue;
      }
      auto doc = (*gen)->Generate(formats[i % 5], level, seed + i);
      if (!doc.ok()) {
        std::cerr << "error: " << doc.status() << "\n";
        return 1;
      }
      std::vector<std::string> tags;
      if (level == vouch::docgen::Level::kPhoto) tags = PhotoTags(*doc);
      run(level_name, absl::StrFormat("%s#%d", level_name, i), doc->image, doc->jpeg,
          doc->mrz_lines, true, tags);
    }
  }

  // Real sets from their manifests.
  auto run_manifest = [&](const std::string& dir, bool by_capture) {
    std::ifstream mf(std::filesystem::path(dir) / "manifest.json");
    const nlohmann::json manifest = nlohmann::json::parse(mf, nullptr, false);
    if (manifest.is_discarded()) {
      std::cerr << "warning: no readable manifest in " << dir << ", skipped\n";
      return;
    }
    auto read_file = [&](const std::string& file) {
      std::ifstream in(std::filesystem::path(dir) / file, std::ios::binary);
      return std::string((std::istreambuf_iterator<char>(in)), {});
    };
    auto read_doc = [&](const nlohmann::json& s, const std::string& set,
                        std::vector<std::string> truth) {
      const std::string file = s["file"].get<std::string>();
      const std::string bytes = read_file(file);
      auto img = vouch::ocr::DecodeImage(bytes);
      if (!img.ok()) {
        std::cerr << "warning: " << file << ": " << img.status() << "\n";
        return;
      }
      run(set, file, img->bgr, bytes, truth, s.value("mrz_check_digits_valid", true), {});
    };
    for (const auto& s : manifest["specimens"]) {
      // mrz_real: "scan" vs. "photo" and "screenshot" (phone camera frames).
      const std::string set = !by_capture ? kSpecimens
                              : s.value("capture", "") == "scan" ? kRealScans
                                                                 : kRealPhotos;
      if (wanted(set)) read_doc(s, set, s["mrz_lines"].get<std::vector<std::string>>());
    }
    if (wanted(kNegatives)) {
      for (const auto& s : manifest["negatives"]) read_doc(s, kNegatives, {});
    }
  };
  if (wanted(kSpecimens) || wanted(kNegatives)) run_manifest(specimens, false);
  if (wanted(kRealScans) || wanted(kRealPhotos) || wanted(kNegatives)) {
    run_manifest(mrz_real, true);
  }
  std::filesystem::remove(tmp);

  // The table.
  std::cout << "\nautomation = read exactly and the right verdict (`valid`; `invalid` "
               "for a printed-invalid document); review = exact, `unreadable`; false "
               "accepts = `valid` on wrong lines, a printed-invalid document or a "
               "negative. CPU ms per read on one core.\n\n";
  std::cout << "| set | n (printed invalid) | **automation** | exact lines | review | "
               "exact but invalid | false accepts | no MRZ | char acc | CPU ms median | "
               "CPU ms p90 |";
  if (!no_baseline) {
    std::cout << " baseline automation | baseline exact | baseline false accepts | "
                 "baseline CPU ms median |";
  }
  std::cout << "\n|---|---|---|---|---|---|---|---|---|---|---|";
  if (!no_baseline) std::cout << "---|---|---|---|";
  std::cout << "\n";
  std::vector<std::string> order = kGeneratedSets;
  for (const char* s : {kSpecimens, kRealScans, kRealPhotos, kNegatives}) order.push_back(s);
  for (const std::string& set : order) {
    if (!tallies.count(set)) continue;
    const Tally& t = tallies[set];
    const Counts& c = t.reader;
    const bool negative = set == kNegatives;
    if (negative) {
      std::cout << absl::StrFormat("| %s | %d | - | - | %d reported | - | %d | %d | - | %.0f | %.0f |",
                                   set, c.n, c.review, c.false_accept, c.no_mrz,
                                   Percentile(c.cpu_ms, 0.5), Percentile(c.cpu_ms, 0.9));
    } else {
      std::cout << absl::StrFormat(
          "| %s | %d (%d) | **%s** | %s | %d | %d | %d | %d | %.2f%% | %.0f | %.0f |", set,
          c.n, t.printed_invalid, Share(c.automated, c.n), Share(c.exact, c.n), c.review,
          c.exact_invalid, c.false_accept, c.no_mrz,
          c.chars ? 100.0 * c.chars_right / c.chars : 0.0, Percentile(c.cpu_ms, 0.5),
          Percentile(c.cpu_ms, 0.9));
    }
    if (!no_baseline) {
      const Counts& b = t.baseline;
      std::cout << absl::StrFormat(" %s | %s | %d | %.0f |",
                                   negative ? "-" : Share(b.automated, b.n),
                                   negative ? "-" : Share(b.exact, b.n), b.false_accept,
                                   Percentile(b.cpu_ms, 0.5));
    }
    std::cout << "\n";
  }
  if (!photo_breakdown.empty()) {
    std::cout << "\nphoto level by effect, orientation, tilt and format (a page counts "
                 "under each of its tags):\n\n| tag | n | automation | exact | review | "
                 "false accepts | no MRZ | CPU ms median |\n|---|---|---|---|---|---|---|---|\n";
    for (const auto& [tag, c] : photo_breakdown) {
      std::cout << absl::StrFormat("| %s | %d | %s | %s | %d | %d | %d | %.0f |\n", tag, c.n,
                                   Share(c.automated, c.n), Share(c.exact, c.n), c.review,
                                   c.false_accept, c.no_mrz, Percentile(c.cpu_ms, 0.5));
    }
  }
  return 0;
}
