// vouch_ocr_bench: MRZ reading on generated pages (the four scan levels and
// the phone-photo level), the public specimens, the real development set
// (mrz_real, split into scans and photos) and the negatives, one row per
// set, against the naive baseline (Tesseract CLI on the whole page, --psm 6,
// MRZ regex) on the same images in the same run. Headline: the automation
// rate, the share of documents read exactly AND given the right automatic
// verdict. The real_captured sets photograph the real scans (specimens:
// tuning; mrz_real scans: held out) through seeded phone captures, one
// degradation kind per variant. See docs/ocr.md ("Benchmark").
//
//   vouch_ocr_bench [--sets clean,mild,medium,hard,photo,specimens,
//                           mrz_real_scans,mrz_real_photos,negatives,
//                           real_captured_tuning,real_captured_held_out]
//                   [--per-level N[,level=N...]] [--seed S] [--no-baseline]
//                   [--verbose] [--per-page] [--specimens DIR] [--mrz-real DIR]
//                   [--tessdata DIR] [--glyph-model FILE] [--lang mrz|eng]
//                   [--pages I,J] [--cv-threads N] [--omp-threads N]
//                   [--save-misses DIR] [--repeat N] [--captures N]
//                   [--capture-seed S] [--mrz-boxes FILE] [--print-mrz-boxes]

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
#include <tuple>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
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
const std::vector<std::string> kGeneratedSets = {"clean", "mild", "medium", "hard", "photo"};
constexpr const char* kSpecimens = "specimens";
constexpr const char* kRealScans = "mrz_real_scans";
constexpr const char* kRealPhotos = "mrz_real_photos";
constexpr const char* kNegatives = "negatives";
// Real scans photographed by docgen's phone capture: specimens (tuning)
// and mrz_real scans (held out).
constexpr const char* kCapturedTuning = "real_captured_tuning";
constexpr const char* kCapturedHeldOut = "real_captured_held_out";

// The degradation of each capture variant, in turn: every variant is
// tilted, rotated, scaled to phone glyph sizes, sharpened, noisy and JPEG
// compressed; "plain" adds nothing, the next six one PhotoEffects each,
// "drawn" the effects docgen draws from the seed (several at once).
const std::vector<std::string> kCaptureKinds = {"plain",      "glare_band", "shadow",
                                                "low_light",  "defocus",    "busy_background",
                                                "lamination", "drawn"};

std::optional<vouch::docgen::PhotoEffects> CaptureEffects(const std::string& kind) {
  vouch::docgen::PhotoEffects e;
  if (kind == "drawn") return std::nullopt;
  e.glare_band = kind == "glare_band";
  e.shadow = kind == "shadow";
  e.low_light = kind == "low_light";
  e.defocus = kind == "defocus";
  e.busy_background = kind == "busy_background";
  e.lamination = kind == "lamination";
  return e;
}

// FNV-1a: a capture's seed from its file name, stable across builds.
uint64_t NameSeed(const std::string& name) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return h;
}

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

long CharsRight(const std::vector<std::string>& truth, const std::vector<std::string>& read) {
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
// are calendar dates or the scheme prints none (the reader's own rule,
// applied to the ground truth), and the manifest does not say the printed
// check digits fail. Documents
// for which this is false are "printed invalid": read exactly, the right
// automatic verdict is `invalid`.
bool ExpectValid(const std::vector<std::string>& truth, bool manifest_checks_valid,
                 absl::CivilDay today) {
  if (!manifest_checks_valid) return false;
  absl::StatusOr<vouch::ocr::ParsedMrz> p = vouch::ocr::ParseMrz(truth);
  return p.ok() && p->valid() && p->issuing_state_known && p->nationality_known &&
         vouch::ocr::ResolveBirthDate(p->fields.birth_date, today).has_value() &&
         (p->no_expiry_by_scheme ||
          vouch::ocr::ResolveExpiryDate(p->fields.expiry_date, today).has_value());
}

// One document's result, the reader's or the baseline's.
struct Outcome {
  bool found = false;       // An MRZ was reported.
  bool exact = false;       // All lines equal the ground truth.
  bool valid = false;       // Reader: verdict kValid. Baseline: every check passes.
  bool invalid = false;     // Reader: verdict kInvalid. Baseline: a check fails.
  bool unreadable = false;  // Reader only.
  long chars_right = 0;
  double cpu_ms = 0;
  // For --verbose: what was read, the verdict's name ("no_mrz" when none)
  // and its reasons.
  std::vector<std::string> read;
  std::string verdict = "no_mrz";
  std::vector<std::string> reasons;
  std::string confidence;  // For --per-page: the overall and per-field confidences.
  double glyph_fit = 0;    // For --per-page: MrzReadResult::glyph_fit.
};

// What a set's row counts. Mutually exclusive for a document with an MRZ:
// automated (exact and the expected verdict), review (exact, unreadable),
// exact_invalid (exact, `invalid` although expected valid), false accept
// (`valid` but not exact, or on a printed-invalid document), misread (wrong
// lines, not valid), no MRZ. On negatives: false accept (`valid`), review
// (an MRZ reported, not valid), no MRZ (right).
struct Counts {
  int n = 0, automated = 0, exact = 0, review = 0, exact_invalid = 0, false_accept = 0, no_mrz = 0;
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
bool ParsePerLevel(const std::string& spec, std::map<std::string, int>& counts, int& fallback) {
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
std::vector<std::string> PoseTags(const vouch::docgen::GeneratedDocument& doc) {
  std::vector<std::string> tags;
  const double total = std::fmod(doc.rotation_degrees + (doc.upside_down ? 180.0 : 0.0) + 360.0,
                                 360.0);  // 0..360
  auto near = [&](double axis) {
    return std::abs(std::remainder(total - axis, 360.0)) <= kAxisToleranceDegrees;
  };
  tags.push_back(near(0)                 ? "upright"
                 : near(180)             ? "upside_down"
                 : near(90) || near(270) ? "sideways"
                                         : "oblique");
  tags.push_back(doc.tilt_degrees >= kStrongTiltDegrees ? "tilt>=15" : "tilt<15");
  return tags;
}

// A generated photo page's tags: its effects, pose and format.
std::vector<std::string> PhotoTags(const vouch::docgen::GeneratedDocument& doc) {
  std::vector<std::string> tags = vouch::docgen::PhotoEffectNames(doc.photo_effects);
  for (std::string& t : PoseTags(doc)) tags.push_back(std::move(t));
  tags.push_back(std::string(vouch::ocr::MrzFormatName(doc.identity.format)));
  return tags;
}

std::string Share(int k, int n) {
  return absl::StrFormat("%d (%.0f%%)", k, 100.0 * k / std::max(1, n));
}

std::vector<std::string> AllSets() {
  std::vector<std::string> all = kGeneratedSets;
  for (const char* s :
       {kSpecimens, kRealScans, kRealPhotos, kNegatives, kCapturedTuning, kCapturedHeldOut}) {
    all.push_back(s);
  }
  return all;
}

// The glyph model of the models folder, as vouchctl and vouchd find it:
// $VOUCH_MODELS_DIR when set, else the source tree's models/.
std::string DefaultGlyphModel() {
  const char* dir = std::getenv("VOUCH_MODELS_DIR");
  const std::string models =
      dir != nullptr && *dir != 0 ? std::string(dir) : std::string(VOUCH_SOURCE_DIR) + "/models";
  return models + "/mrz/ocrb_glyphs.bin";
}

struct Options {
  std::vector<std::string> sets = AllSets();
  std::string per_level_spec = "100";
  int per_level = 0;                        // From per_level_spec.
  std::map<std::string, int> level_counts;  // From per_level_spec.
  uint64_t seed = 1000;
  bool no_baseline = false, verbose = false, per_page = false;
  std::string specimens = std::string(VOUCH_SHARED_DIR) + "/corpus/specimens";
  std::string mrz_real = std::string(VOUCH_SHARED_DIR) + "/corpus/mrz_real";
  std::string tessdata, lang;  // Empty: the reader's default second opinion.
  std::string glyph_model = DefaultGlyphModel();
  int cv_threads = 1;
  int omp_threads = 1;
  std::vector<int> only_pages;
  std::string save_misses;
  int repeat = 1;    // Reads per document; the time is the least of them.
  int captures = 8;  // Capture variants per real scan (real_captured sets).
  uint64_t capture_seed = 0;
  std::string mrz_boxes = std::string(VOUCH_SOURCE_DIR) + "/tests/bench_ocr/real_mrz_boxes.json";
  bool print_mrz_boxes = false;

  bool Wanted(const std::string& set) const {
    return std::find(sets.begin(), sets.end(), set) != sets.end();
  }
};

void AddFlags(CLI::App& app, Options& o) {
  app.add_option("--sets", o.sets,
                 "sets to run: generated levels (clean, mild, medium, hard, photo), "
                 "specimens, mrz_real_scans, mrz_real_photos, negatives, "
                 "real_captured_tuning, real_captured_held_out")
      ->delimiter(',')
      ->check(CLI::IsMember(AllSets()));
  app.add_option("--per-level", o.per_level_spec,
                 "generated pages per level: N, or N,level=M,... to override levels "
                 "(e.g. 25,photo=50)");
  app.add_option("--seed", o.seed, "first seed of every generated level");
  app.add_flag("--no-baseline", o.no_baseline, "skip the tesseract CLI baseline");
  app.add_flag("--verbose", o.verbose, "print every document not automated");
  app.add_flag("--per-page", o.per_page, "print the CPU ms of every read");
  app.add_option("--repeat", o.repeat,
                 "read every document N times and count the least CPU time (the reads "
                 "are identical; on a loaded machine the least is the steadiest figure)")
      ->check(CLI::Range(1, 100));
  app.add_option("--specimens", o.specimens, "specimens folder (manifest.json)");
  app.add_option("--mrz-real", o.mrz_real, "mrz_real folder (manifest.json)");
  app.add_option("--tessdata", o.tessdata, "tessdata folder for the reader");
  app.add_option("--glyph-model", o.glyph_model,
                 "glyph model ('' = font; default $VOUCH_MODELS_DIR/mrz/ocrb_glyphs.bin, else "
                 "the source tree's models/)");
  app.add_option("--lang", o.lang,
                 "tesseract language for the reader ('' = the reader's default, "
                 "models/mrz/tesseract/mrz.traineddata beside the glyph model)");
  app.add_option("--pages", o.only_pages,
                 "only these page indices of each generated level (as in level#i)")
      ->delimiter(',');
  app.add_option("--omp-threads", o.omp_threads,
                 "OpenMP thread limit for Tesseract's LSTM (OMP_THREAD_LIMIT; 1 = the "
                 "one-core figure, 0 = the environment's). libgomp reads it at start-up, "
                 "so the bench re-executes itself with it set");
  app.add_option("--cv-threads", o.cv_threads,
                 "OpenCV worker threads (1 = the one-core figure; 0 = OpenCV's default)");
  app.add_option("--save-misses", o.save_misses,
                 "write the image of every generated or captured page not automated to "
                 "this folder as PNG (<level>_<i>.png, <file>_<variant>_<kind>.png)");
  app.add_option("--captures", o.captures,
                 "real_captured sets: capture variants per real scan (variant v has "
                 "degradation kind v mod 8)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--capture-seed", o.capture_seed,
                 "real_captured sets: mixed into every capture's seed (0 = the documented set)");
  app.add_option("--mrz-boxes", o.mrz_boxes,
                 "real_captured sets: the MRZ box of every real scan "
                 "(tests/bench_ocr/real_mrz_boxes.json)");
  app.add_flag("--print-mrz-boxes", o.print_mrz_boxes,
               "print the MRZ boxes this reader finds on the real scans as JSON (to make "
               "--mrz-boxes) and exit");
}

// One document to read: `truth` empty for a negative; `tags` set for a
// photo page (the breakdown).
struct Document {
  std::string set, name;
  cv::Mat image;
  std::string encoded;  // The file's bytes, for the baseline.
  std::vector<std::string> truth;
  bool manifest_checks_valid = true;
  std::vector<std::string> tags;
};

// Reads documents with the reader and the baseline and tallies them.
class Bench {
 public:
  Bench(const Options& options, vouch::ocr::MrzReader& reader)
      : options_(options),
        reader_(reader),
        today_(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone())),
        tmp_(std::filesystem::temp_directory_path() /
             absl::StrFormat("vouch_ocr_bench_%d.img", static_cast<int>(getpid()))) {}
  ~Bench() { std::filesystem::remove(tmp_); }

  void Run(const Document& doc) {
    Tally& t = tallies_[doc.set];
    const bool negative = doc.truth.empty();
    const bool expect_valid =
        !negative && ExpectValid(doc.truth, doc.manifest_checks_valid, today_);
    t.printed_invalid += !negative && !expect_valid;
    const long chars = CharCount(doc.truth);
    const int automated_before = t.reader.automated;
    const Outcome o = ReadWithReader(doc);
    Count(t.reader, o, negative, expect_valid, chars);
    for (const std::string& tag : doc.tags) {
      Count(breakdown_[doc.set][tag], o, negative, expect_valid, chars);
    }
    const bool automated = negative ? !o.found : t.reader.automated > automated_before;
    // Generated pages are named <level>#<i>, captures <file>~<variant>:<kind>
    // (real documents are on disk).
    const bool generated = doc.name.find('#') != std::string::npos;
    const bool captured = doc.name.find('~') != std::string::npos;
    if (!options_.save_misses.empty() && !automated && (generated || captured)) {
      cv::imwrite(
          (std::filesystem::path(options_.save_misses) /
           (absl::StrReplaceAll(doc.name, {{"#", "_"}, {"~", "_"}, {":", "_"}, {".", "_"}}) +
            ".png"))
              .string(),
          doc.image);
    }
    if (options_.verbose && !automated) PrintMiss(doc, o, expect_valid);
    if (!options_.no_baseline) {
      Count(t.baseline, ReadWithBaseline(doc), negative, expect_valid, chars);
    }
  }

  // Prints one row per set, in the order of AllSets().
  void PrintSets() const {
    std::cout << "\nautomation = read exactly and the right verdict (`valid`; `invalid` "
                 "for a printed-invalid document); review = exact, `unreadable`; false "
                 "accepts = `valid` on wrong lines, a printed-invalid document or a "
                 "negative. CPU ms per read on one core.\n\n";
    std::cout << "| set | n (printed invalid) | **automation** | exact lines | review | "
                 "exact but invalid | false accepts | no MRZ | char acc | CPU ms median | "
                 "CPU ms p90 |";
    if (!options_.no_baseline) {
      std::cout << " baseline automation | baseline exact | baseline false accepts | "
                   "baseline CPU ms median |";
    }
    std::cout << "\n|---|---|---|---|---|---|---|---|---|---|---|";
    if (!options_.no_baseline) std::cout << "---|---|---|---|";
    std::cout << "\n";
    for (const std::string& set : AllSets()) {
      const auto it = tallies_.find(set);
      if (it == tallies_.end()) continue;
      PrintRow(set, it->second);
    }
  }

  // The photo level and the real_captured sets by tag; nothing for a set
  // that did not run.
  void PrintPhotoBreakdown() const {
    for (const auto& [set, tags] : breakdown_) {
      std::cout << "\n"
                << set
                << " by effect (captures: kind), orientation, tilt and format (a page counts "
                   "under each of its tags):\n\n| tag | n | automation | exact | review | "
                   "false accepts | no MRZ | CPU ms median |\n|---|---|---|---|---|---|---|---|\n";
      for (const auto& [tag, c] : tags) {
        std::cout << absl::StrFormat("| %s | %d | %s | %s | %d | %d | %d | %.0f |\n", tag, c.n,
                                     Share(c.automated, c.n), Share(c.exact, c.n), c.review,
                                     c.false_accept, c.no_mrz, Percentile(c.cpu_ms, 0.5));
      }
    }
  }

 private:
  Outcome ReadWithReader(const Document& doc) {
    Outcome o;
    double c0 = CpuMs(RUSAGE_SELF);
    absl::StatusOr<std::optional<vouch::ocr::MrzReadResult>> r = reader_.Read(doc.image);
    o.cpu_ms = CpuMs(RUSAGE_SELF) - c0;
    for (int k = 1; k < options_.repeat; ++k) {
      c0 = CpuMs(RUSAGE_SELF);
      (void)reader_.Read(doc.image);
      o.cpu_ms = std::min(o.cpu_ms, CpuMs(RUSAGE_SELF) - c0);
    }
    if (r.ok() && r->has_value()) {
      const vouch::ocr::MrzReadResult& result = **r;
      o.found = true;
      if (result.mrz) o.read = result.mrz->lines;
      o.valid = result.verdict == MrzVerdict::kValid;
      o.invalid = result.verdict == MrzVerdict::kInvalid;
      o.unreadable = result.verdict == MrzVerdict::kUnreadable;
      o.verdict = std::string(vouch::ocr::MrzVerdictName(result.verdict));
      o.reasons = result.reasons;
      o.glyph_fit = result.glyph_fit;
      o.confidence = absl::StrFormat("%.9g", result.confidence);
      for (const auto& [field, c] : result.field_confidence) {
        absl::StrAppendFormat(&o.confidence, ",%s:%.9g", field, c);
      }
    }
    o.exact = !doc.truth.empty() && o.read == doc.truth;
    o.chars_right = CharsRight(doc.truth, o.read);
    if (options_.per_page) {
      // The read itself too, so that two builds' outputs compare page by page.
      // Photo pages end with their tags (effects, orientation,
      // tilt, format), so that pages of one effect compare apart.
      std::cout << absl::StrFormat(
          "PAGE %s %dx%d cpu_ms=%.1f verdict=%s read=%s why=%s conf=%s fit=%.2f%s\n", doc.name,
          doc.image.cols, doc.image.rows, o.cpu_ms, o.found ? o.verdict : "none",
          absl::StrJoin(o.read, "|"), absl::StrJoin(o.reasons, ","), o.confidence, o.glyph_fit,
          doc.tags.empty() ? "" : " tags=" + absl::StrJoin(doc.tags, ","));
    }
    return o;
  }

  static void PrintMiss(const Document& doc, const Outcome& o, bool expect_valid) {
    std::cout << "MISS " << doc.set << " " << doc.name << " verdict=" << o.verdict
              << (doc.truth.empty() || expect_valid ? "" : " (printed invalid)");
    if (!doc.tags.empty()) std::cout << " [" << absl::StrJoin(doc.tags, ",") << "]";
    std::cout << "\n  truth: " << absl::StrJoin(doc.truth, " | ")
              << "\n  read:  " << absl::StrJoin(o.read, " | ");
    if (o.found) std::cout << "\n  why:   " << absl::StrJoin(o.reasons, ",");
    std::cout << "\n";
  }

  Outcome ReadWithBaseline(const Document& doc) {
    {
      std::ofstream f(tmp_, std::ios::binary);
      f.write(doc.encoded.data(), static_cast<std::streamsize>(doc.encoded.size()));
    }
    Outcome b;
    const std::vector<std::string> base = NaiveBaseline(tmp_.string(), b.cpu_ms);
    b.found = !base.empty();
    b.exact = !doc.truth.empty() && base == doc.truth;
    b.chars_right = CharsRight(doc.truth, base);
    absl::StatusOr<vouch::ocr::ParsedMrz> parsed = vouch::ocr::ParseMrz(base);
    b.valid = parsed.ok() && parsed->valid();
    b.invalid = b.found && !b.valid;
    return b;
  }

  void PrintRow(const std::string& set, const Tally& t) const {
    const Counts& c = t.reader;
    const bool negative = set == kNegatives;
    if (negative) {
      std::cout << absl::StrFormat(
          "| %s | %d | - | - | %d reported | - | %d | %d | - | %.0f | %.0f |", set, c.n, c.review,
          c.false_accept, c.no_mrz, Percentile(c.cpu_ms, 0.5), Percentile(c.cpu_ms, 0.9));
    } else {
      std::cout << absl::StrFormat(
          "| %s | %d (%d) | **%s** | %s | %d | %d | %d | %d | %.2f%% | %.0f | %.0f |", set, c.n,
          t.printed_invalid, Share(c.automated, c.n), Share(c.exact, c.n), c.review,
          c.exact_invalid, c.false_accept, c.no_mrz,
          c.chars ? 100.0 * c.chars_right / c.chars : 0.0, Percentile(c.cpu_ms, 0.5),
          Percentile(c.cpu_ms, 0.9));
    }
    if (!options_.no_baseline) {
      const Counts& b = t.baseline;
      std::cout << absl::StrFormat(
          " %s | %s | %d | %.0f |", negative ? "-" : Share(b.automated, b.n),
          negative ? "-" : Share(b.exact, b.n), b.false_accept, Percentile(b.cpu_ms, 0.5));
    }
    std::cout << "\n";
  }

  const Options& options_;
  vouch::ocr::MrzReader& reader_;
  const absl::CivilDay today_;
  const std::filesystem::path tmp_;  // The baseline's input file.
  std::map<std::string, Tally> tallies_;
  std::map<std::string, std::map<std::string, Counts>> breakdown_;  // By set, then tag.
};

// Generated levels: page i of a level has seed S + i and format i mod 5
// (TD3, TD1, TD2, MRV-A, MRV-B).
absl::Status RunGenerated(Bench& bench, vouch::docgen::DocumentGenerator& gen,
                          const Options& options) {
  const MrzFormat formats[] = {MrzFormat::kTd3, MrzFormat::kTd1, MrzFormat::kTd2, MrzFormat::kMrvA,
                               MrzFormat::kMrvB};
  for (const std::string& level_name : kGeneratedSets) {
    if (!options.Wanted(level_name)) continue;
    const vouch::docgen::Level level = *vouch::docgen::ParseLevel(level_name);
    const auto count = options.level_counts.find(level_name);
    const int pages = count != options.level_counts.end() ? count->second : options.per_level;
    for (int i = 0; i < pages; ++i) {
      if (!options.only_pages.empty() &&
          std::find(options.only_pages.begin(), options.only_pages.end(), i) ==
              options.only_pages.end()) {
        continue;
      }
      absl::StatusOr<vouch::docgen::GeneratedDocument> page =
          gen.Generate(formats[i % 5], level, options.seed + i);
      if (!page.ok()) return page.status();
      Document doc;
      doc.set = level_name;
      doc.name = absl::StrFormat("%s#%d", level_name, i);
      doc.image = page->image;
      doc.encoded = page->jpeg;
      doc.truth = page->mrz_lines;
      if (level == vouch::docgen::Level::kPhoto) doc.tags = PhotoTags(*page);
      bench.Run(doc);
    }
  }
  return absl::OkStatus();
}

// The documents and negatives of a manifest (specimens, mrz_real). With
// `by_capture`, documents go to mrz_real_scans ("scan") or mrz_real_photos
// ("photo", "screenshot": phone camera frames), else to specimens.
void RunManifest(Bench& bench, const std::string& dir, bool by_capture, const Options& options) {
  std::ifstream mf(std::filesystem::path(dir) / "manifest.json");
  const nlohmann::json manifest = nlohmann::json::parse(mf, nullptr, false);
  if (manifest.is_discarded()) {
    std::cerr << "warning: no readable manifest in " << dir << ", skipped\n";
    return;
  }
  auto run = [&](const nlohmann::json& entry, const std::string& set,
                 std::vector<std::string> truth) {
    Document doc;
    doc.set = set;
    doc.name = entry["file"].get<std::string>();
    std::ifstream in(std::filesystem::path(dir) / doc.name, std::ios::binary);
    doc.encoded.assign(std::istreambuf_iterator<char>(in), {});
    absl::StatusOr<vouch::ocr::DecodedImage> img = vouch::ocr::DecodeImage(doc.encoded);
    if (!img.ok()) {
      std::cerr << "warning: " << doc.name << ": " << img.status() << "\n";
      return;
    }
    doc.image = img->bgr;
    doc.truth = std::move(truth);
    doc.manifest_checks_valid = entry.value("mrz_check_digits_valid", true);
    bench.Run(doc);
  };
  for (const auto& entry : manifest["specimens"]) {
    const std::string set = !by_capture                            ? kSpecimens
                            : entry.value("capture", "") == "scan" ? kRealScans
                                                                   : kRealPhotos;
    if (options.Wanted(set)) run(entry, set, entry["mrz_lines"].get<std::vector<std::string>>());
  }
  if (options.Wanted(kNegatives)) {
    for (const auto& entry : manifest["negatives"]) run(entry, kNegatives, {});
  }
}

using MrzBoxes = std::map<std::string, std::array<cv::Point2f, 4>>;

// The real scans the real_captured sets photograph: (key, manifest entry),
// keyed "specimens/<file>" or "mrz_real/<file>" (scans only).
std::vector<std::pair<std::string, nlohmann::json>> RealScans(const std::string& dir,
                                                              const std::string& prefix,
                                                              bool scans_only) {
  std::ifstream mf(std::filesystem::path(dir) / "manifest.json");
  const nlohmann::json manifest = nlohmann::json::parse(mf, nullptr, false);
  std::vector<std::pair<std::string, nlohmann::json>> out;
  if (manifest.is_discarded()) {
    std::cerr << "warning: no readable manifest in " << dir << ", skipped\n";
    return out;
  }
  for (const auto& entry : manifest["specimens"]) {
    if (scans_only && entry.value("capture", "") != "scan") continue;
    out.emplace_back(prefix + "/" + entry["file"].get<std::string>(), entry);
  }
  return out;
}

absl::StatusOr<cv::Mat> LoadImage(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  absl::StatusOr<vouch::ocr::DecodedImage> img = vouch::ocr::DecodeImage(bytes);
  if (!img.ok()) return img.status();
  return img->bgr;
}

// --mrz-boxes: {"specimens/<file>": [[x, y] x 4], ...}.
MrzBoxes LoadMrzBoxes(const std::string& path) {
  std::ifstream in(path);
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  MrzBoxes boxes;
  if (j.is_discarded() || !j.is_object()) {
    std::cerr << "warning: no readable MRZ boxes in " << path << "\n";
    return boxes;
  }
  for (const auto& [key, corners] : j.items()) {
    std::array<cv::Point2f, 4>& box = boxes[key];
    for (int i = 0; i < 4; ++i) {
      box[i] = cv::Point2f(corners.at(i).at(0).get<float>(), corners.at(i).at(1).get<float>());
    }
  }
  return boxes;
}

// --print-mrz-boxes: the box this reader finds on each real scan, upright
// (a box read upside down is turned back), to two decimals.
int PrintMrzBoxes(const Options& options, vouch::ocr::MrzReader& reader) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [dir, prefix, scans_only] :
       {std::tuple<std::string, std::string, bool>{options.specimens, "specimens", false},
        {options.mrz_real, "mrz_real", true}}) {
    for (const auto& [key, entry] : RealScans(dir, prefix, scans_only)) {
      absl::StatusOr<cv::Mat> img =
          LoadImage((std::filesystem::path(dir) / entry["file"].get<std::string>()).string());
      absl::StatusOr<std::optional<vouch::ocr::MrzReadResult>> r =
          img.ok() ? reader.Read(*img) : img.status();
      if (!r.ok() || !r->has_value()) {
        std::cerr << "warning: no MRZ found on " << key << "\n";
        continue;
      }
      std::array<cv::Point2f, 4> box = (*r)->box;
      if (box[0].y > box[2].y) std::rotate(box.begin(), box.begin() + 2, box.end());
      nlohmann::ordered_json corners = nlohmann::ordered_json::array();
      for (const cv::Point2f& p : box) {
        corners.push_back({std::round(p.x * 100) / 100, std::round(p.y * 100) / 100});
      }
      out[key] = corners;
    }
  }
  std::cout << out.dump(1) << "\n";
  return 0;
}

// A real_captured set: every scan of the manifest photographed
// `options.captures` times, variant v with degradation kind v mod 8 and a
// seed from the file name and v. Tags: the kind, pose and format.
absl::Status RunCaptured(Bench& bench, vouch::docgen::DocumentGenerator& gen,
                         const std::string& set, const std::string& dir, const std::string& prefix,
                         bool scans_only, const MrzBoxes& boxes, const Options& options) {
  constexpr uint64_t kVariantStride = 0x9E3779B97F4A7C15ull;
  constexpr uint64_t kSeedStride = 0xD1B54A32D192ED03ull;
  for (const auto& [key, entry] : RealScans(dir, prefix, scans_only)) {
    const auto box = boxes.find(key);
    if (box == boxes.end()) {
      std::cerr << "warning: no MRZ box for " << key << ", skipped\n";
      continue;
    }
    absl::StatusOr<cv::Mat> img =
        LoadImage((std::filesystem::path(dir) / entry["file"].get<std::string>()).string());
    if (!img.ok()) return img.status();
    const std::vector<std::string> truth = entry["mrz_lines"].get<std::vector<std::string>>();
    const vouch::docgen::ScanPage scan{*img, box->second, static_cast<int>(truth[0].size())};
    for (int v = 0; v < options.captures; ++v) {
      const std::string& kind = kCaptureKinds[v % kCaptureKinds.size()];
      const uint64_t seed = NameSeed(key) + v * kVariantStride + options.capture_seed * kSeedStride;
      absl::StatusOr<vouch::docgen::GeneratedDocument> page =
          gen.CaptureScan(scan, seed, CaptureEffects(kind));
      if (!page.ok()) return page.status();
      Document doc;
      doc.set = set;
      doc.name = absl::StrFormat("%s~%d:%s", entry["file"].get<std::string>(), v, kind);
      if (kind == "drawn") {
        absl::StrAppend(&doc.name, "[",
                        absl::StrJoin(vouch::docgen::PhotoEffectNames(page->photo_effects), "+"),
                        "]");
      }
      doc.image = page->image;
      doc.encoded = page->jpeg;
      doc.truth = truth;
      doc.manifest_checks_valid = entry.value("mrz_check_digits_valid", true);
      doc.tags = PoseTags(*page);
      doc.tags.push_back("kind:" + kind);
      doc.tags.push_back(absl::AsciiStrToLower(entry.value("document_type", "?")));
      bench.Run(doc);
    }
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vouch_ocr_bench: MRZ automation rate and speed vs. a naive baseline"};
  Options options;
  AddFlags(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!ParsePerLevel(options.per_level_spec, options.level_counts, options.per_level)) {
    std::cerr << "error: --per-level wants N or N,level=M,...\n";
    return 2;
  }
  // Tesseract's LSTM asks for 4 OpenMP threads per layer step; on a shared
  // 2-core machine their spinning triples the CPU time per page.
  if (options.omp_threads > 0 &&
      !vouch::EnsureOpenMpThreadLimit(argv, options.omp_threads, /*replace_existing=*/true)) {
    return 1;
  }
  std::cout << "OMP_THREAD_LIMIT="
            << (std::getenv("OMP_THREAD_LIMIT") ? std::getenv("OMP_THREAD_LIMIT") : "(unset)")
            << ", OpenCV threads "
            << (options.cv_threads > 0 ? std::to_string(options.cv_threads) : "default") << "\n";
  if (options.cv_threads > 0) cv::setNumThreads(options.cv_threads);
  vouch::ocr::MrzReaderOptions reader_options;
  reader_options.tessdata_dir = options.tessdata;
  reader_options.tesseract_language = options.lang;
  reader_options.glyph_model = options.glyph_model;
  auto reader = vouch::ocr::MrzReader::Create(reader_options);
  if (!reader.ok()) {
    std::cerr << "error: " << reader.status() << "\n";
    return 1;
  }
  const vouch::ocr::SecondRecogniser second = vouch::ocr::ResolveSecondRecogniser(reader_options);
  std::cout << "second recogniser: tesseract " << second.language << " from "
            << (second.tessdata_dir.empty() ? "tesseract's default tessdata" : second.tessdata_dir)
            << "\n";
  auto gen = vouch::docgen::DocumentGenerator::Create();
  if (!gen.ok()) {
    std::cerr << "error: " << gen.status() << "\n";
    return 1;
  }
  if (options.print_mrz_boxes) return PrintMrzBoxes(options, **reader);
  Bench bench(options, **reader);
  if (absl::Status s = RunGenerated(bench, **gen, options); !s.ok()) {
    std::cerr << "error: " << s << "\n";
    return 1;
  }
  if (options.Wanted(kSpecimens) || options.Wanted(kNegatives)) {
    RunManifest(bench, options.specimens, /*by_capture=*/false, options);
  }
  if (options.Wanted(kRealScans) || options.Wanted(kRealPhotos) || options.Wanted(kNegatives)) {
    RunManifest(bench, options.mrz_real, /*by_capture=*/true, options);
  }
  const MrzBoxes boxes = options.Wanted(kCapturedTuning) || options.Wanted(kCapturedHeldOut)
                             ? LoadMrzBoxes(options.mrz_boxes)
                             : MrzBoxes{};
  for (const auto& [set, dir, prefix, scans_only] :
       {std::tuple<const char*, std::string, std::string, bool>{kCapturedTuning, options.specimens,
                                                                "specimens", false},
        {kCapturedHeldOut, options.mrz_real, "mrz_real", true}}) {
    if (!options.Wanted(set)) continue;
    if (absl::Status s = RunCaptured(bench, **gen, set, dir, prefix, scans_only, boxes, options);
        !s.ok()) {
      std::cerr << "error: " << s << "\n";
      return 1;
    }
  }
  bench.PrintSets();
  bench.PrintPhotoBreakdown();
  return 0;
}
