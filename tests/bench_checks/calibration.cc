#include "calibration.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "captures.h"
#include "checks/quality_internal.h"
#include "cpu_time.h"
#include "docgen_scenes.h"
#include "ocr/checks.h"
#include "ocr/image.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr::calibration {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using captures::Capture;

constexpr const char* kSignals[] = {"resolution", "focus",  "glare", "exposure",
                                    "cutoff",     "colour", "screen"};
constexpr MrzFormat kFormats[] = {MrzFormat::kTd3, MrzFormat::kTd1, MrzFormat::kMrvA,
                                  MrzFormat::kTd2};

double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double U(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

// VOUCH_CAL_SETS=WORD: only the groups of sets whose name holds WORD are
// made and judged (a fast loop while working on one signal; the figures of
// record are without it).
bool Wanted(const std::string& name) {
  const char* only = std::getenv("VOUCH_CAL_SETS");
  return only == nullptr || absl::StrContains(name, only);
}

// A glare spot of the calibration (before the glare fade test every spot was
// one disc of 7 % of the card's width with one fade): sizes from a small
// spot to a patch over most of a zone (4..14 % of the card's width, as a
// disc's radius), discs and streaks (a window, a tube: up to 5 times
// longer than wide, at any angle), hard edges (blur 2..8 % of the short
// half-axis: a reflection nearly as sharp as the print) and soft ones
// (10..50 %), from just over clipping to four times it in the middle, with
// no haze (30 %) or a haze of 5..30 % of the spot, off the zone's centre by
// up to half a radius. Drawn from the scene's index, so a set is a function
// of its seeds.
scenes::GlareShape GlareShapeFor(int i) {
  std::mt19937_64 rng(4100 + i);
  scenes::GlareShape g;
  g.radius = U(rng, 0.04, 0.14);
  g.aspect = U(rng, 0, 1) < 0.5 ? U(rng, 1, 1.5) : U(rng, 1.5, 5);
  g.angle_deg = U(rng, 0, 180);
  g.fade = U(rng, 0, 1) < 0.35 ? U(rng, 0.02, 0.08) : U(rng, 0.1, 0.5);
  g.gain = U(rng, 1.5, 4);
  g.halo = U(rng, 0, 1) < 0.3 ? 0 : U(rng, 0.05, 0.3);
  g.dx = U(rng, -0.5, 0.5) * g.radius;
  g.dy = U(rng, -0.5, 0.5) * g.radius;
  return g;
}

// What a set holds: genuine pages, or fakes one signal should flag
// ("screen", "colour", "tamper", "glare", "focus", "cutoff"; "recapture"
// for re-photographed prints, which no single signal is built for).
struct Set {
  std::string name;
  bool tune = false;     // Part of the tuning data (else held out).
  std::string positive;  // "" for genuine.
  bool page = true;      // A whole document page (else an MRZ strip).
};

struct Result {
  const Set* set = nullptr;
  std::map<std::string, CheckResult> checks;  // Raw, per signal.
  bool any_fail = false;                      // After ApplyFraudRule (one image).
  bool any_review = false;
  double lattice = 0;
  double lattice_2d = 0;
  int other_lattice_peaks = 0;
  double chroma = 0, chroma_u = 0, chroma_v = 0;
  double tamper = 0;                     // Strongest image-content tamper signal (0..1).
  double ms = 0;                         // RunQualityChecks.
  double decode_ms = 0;                  // JPEG decode of the same bytes (baseline).
  double cpu_ms = 0, decode_cpu_ms = 0;  // The same, thread CPU time.
  std::string label;
  double shift = 0;           // ScreenMeasure::channel_shift.
  bool shift_counts = false;  // ScreenMeasure::channel_shift_counts.
  double grid_contrast = -1;  // Screen photos: captures::Capture::grid_contrast.
};

class Runner {
 public:
  Runner(docgen::DocumentGenerator& gen, const Options& o) : gen_(gen), options_(o) {}

  int Run();

 private:
  void Evaluate(const Set& set, const cv::Mat& image, const std::string& bytes, DocumentType type,
                const std::string& label, double grid_contrast = -1);
  void Evaluate(const Set& set, const Capture& c, DocumentType type, const std::string& label) {
    Evaluate(set, c.image, c.jpeg, type, label + " " + c.how, c.grid_contrast);
  }
  // docgen's clean page for (format, seed), flat (card only), and where its
  // portrait is on it.
  bool FlatPage(MrzFormat format, uint64_t seed, cv::Mat* page);
  // A page from a second, deliberately different renderer (Hershey fonts,
  // fine-line guilloche, rosettes or straight hatching, a photo portrait).
  cv::Mat OtherRendererPage(std::mt19937_64& rng);
  cv::Mat Face(std::mt19937_64& rng);
  void Print();

  docgen::DocumentGenerator& gen_;
  const Options options_;
  std::vector<std::unique_ptr<Set>> sets_;
  std::vector<Result> results_;
  std::vector<fs::path> faces_;
};

DocumentType TypeFromName(const std::string& file) {
  if (absl::StartsWith(file, "td3")) return DocumentType::kTd3;
  if (absl::StartsWith(file, "td2")) return DocumentType::kTd2;
  if (absl::StartsWith(file, "td1")) return DocumentType::kTd1;
  if (absl::StartsWith(file, "mrva")) return DocumentType::kMrvA;
  if (absl::StartsWith(file, "mrvb")) return DocumentType::kMrvB;
  return DocumentType::kUnknown;
}

std::vector<fs::path> ImagesIn(const fs::path& dir, bool recursive) {
  std::vector<fs::path> out;
  std::error_code ec;
  auto consider = [&](const fs::path& p) {
    const std::string ext = p.extension().string();
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".png") out.push_back(p);
  };
  if (recursive) {
    for (const auto& e : fs::recursive_directory_iterator(dir, ec)) consider(e.path());
  } else {
    for (const auto& e : fs::directory_iterator(dir, ec)) consider(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ReadFile(const fs::path& p) {
  std::string out;
  if (FILE* f = std::fopen(p.c_str(), "rb")) {
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

void Runner::Evaluate(const Set& set, const cv::Mat& image, const std::string& bytes,
                      DocumentType type, const std::string& label, double grid_contrast) {
  if (image.empty()) return;
  Result r;
  r.set = &set;
  r.label = label;
  r.grid_contrast = grid_contrast;
  const QualityOptions q = WithDocumentType({}, type, DocumentSide::kFront);
  const auto t = Clock::now();
  const double cpu = ThreadCpuMs();
  absl::StatusOr<QualityReport> report =
      RunQualityChecks(image, TelegramSource::kFrontSide, q, bytes);
  r.ms = MsSince(t);
  r.cpu_ms = ThreadCpuMs() - cpu;
  if (!report.ok()) {
    std::printf("  %s: %s\n", label.c_str(), report.status().ToString().c_str());
    return;
  }
  if (!bytes.empty()) {
    const auto d = Clock::now();
    const double decode_cpu = ThreadCpuMs();
    (void)DecodeImage(bytes);
    r.decode_ms = MsSince(d);
    r.decode_cpu_ms = ThreadCpuMs() - decode_cpu;
  }
  const internal::ScreenMeasure screen = internal::MeasureScreen(image, report->document.corners);
  r.lattice = screen.lattice;
  r.lattice_2d = screen.lattice_2d;
  r.other_lattice_peaks = screen.other_lattice_peaks;
  r.chroma = screen.chroma_lattice;
  r.chroma_u = screen.chroma_peak.u;
  r.chroma_v = screen.chroma_peak.v;
  r.shift = screen.channel_shift;
  r.shift_counts = screen.channel_shift_counts;
  std::string peaks;
  for (size_t i = 0; i < screen.peaks.size() && i < 6; ++i) {
    const internal::SharedPeak& p = screen.peaks[i];
    peaks += absl::StrFormat(" (%.3f,%.3f)%.1f", p.u, p.v, p.median);
  }
  for (const CheckResult& c : report->checks) r.checks[c.name] = c;
  // The tampering hints, untimed: the verifier's pipeline does not ask for
  // them (QualityOptions::tamper_hints), so the time above is without.
  const std::vector<TamperSignal> tamper = internal::MeasureTamperSignals(
      internal::WorkingCopy(report->document.rectified), q.layout, bytes);
  for (const TamperSignal& t : tamper) {
    if (t.name != "editor_metadata") r.tamper = std::max(r.tamper, t.score);
  }
  std::vector<CheckResult*> all;
  for (CheckResult& c : report->checks) all.push_back(&c);
  ApplyFraudRule(all);
  for (const CheckResult& c : report->checks) {
    r.any_fail |= c.verdict == CheckVerdict::kFail && c.name != "resolution";
    r.any_review |= c.verdict == CheckVerdict::kReview && c.name != "resolution";
  }
  if (options_.list) {
    std::printf(
        "  %-28.28s %-90.90s lattice %4.2f 2d %4.2f other %d chroma %.2f at (%.3f,%.3f) shift "
        "%.3f R(%.3f,%.3f) B(%.3f,%.3f) axis %.1f agree %.2f%s",
        set.name.c_str(), label.c_str(), r.lattice, r.lattice_2d, r.other_lattice_peaks, r.chroma,
        r.chroma_u, r.chroma_v, r.shift, screen.shift_rx, screen.shift_ry, screen.shift_bx,
        screen.shift_by, screen.shift_axis_deg, screen.shift_agreement,
        r.shift_counts ? " (counts)" : "");
    for (const char* s : kSignals) {
      auto it = r.checks.find(s);
      if (it == r.checks.end()) continue;
      std::printf(" %s=%.3g%s", s, it->second.score,
                  it->second.verdict == CheckVerdict::kPass     ? ""
                  : it->second.verdict == CheckVerdict::kReview ? "(R)"
                  : it->second.verdict == CheckVerdict::kFail   ? "(F)"
                                                                : "(U)");
    }
    const DocumentDetection& doc = report->document;
    const absl::StatusOr<DocumentDetection> detected = DetectDocument(image);
    std::printf(
        " doc %s fill %.2f contact %.2f sides %d corners %d angle %.0f outside %.2f",
        doc.found ? "found" : "none", doc.fill, doc.border_contact, doc.sides_touching,
        doc.corners_on_border,
        detected.ok() ? internal::OutlineAngleDeviation(detected->corners, image.size()) : -1.0,
        detected.ok() ? internal::PrintOutsideShare(image, detected->corners) : -1.0);
    std::printf(" page-angle %.1f off45 %.2f spread %.2f", screen.lattice_page_deg,
                screen.lattice_2d_off45, screen.lattice_spread);
    std::printf(" tamper %.2f peaks%s\n", r.tamper, peaks.c_str());
  }
  // VOUCH_CAL_DUMP=DIR: the genuine pages and screen photos with the
  // outline the checks used, for `bench_checks --screen-dir DIR` (a fast
  // loop over the screen measure alone).
  if (const char* dump = std::getenv("VOUCH_CAL_DUMP");
      dump != nullptr && set.page && (set.positive.empty() || set.positive == "screen")) {
    static int counter = 0;
    const std::string file = absl::StrFormat("%04d.%s", counter++, bytes.empty() ? "png" : "img");
    if (bytes.empty()) {
      cv::imwrite((fs::path(dump) / file).string(), image);
    } else if (FILE* f = std::fopen((fs::path(dump) / file).c_str(), "wb")) {
      std::fwrite(bytes.data(), 1, bytes.size(), f);
      std::fclose(f);
    }
    if (FILE* f = std::fopen((fs::path(dump) / "index.tsv").c_str(), "a")) {
      const auto& c = report->document.corners;
      std::fprintf(f, "%s\t%d\t%s\t%s\t%s\t%f %f %f %f %f %f %f %f\n", file.c_str(),
                   set.tune ? 1 : 0, set.positive.empty() ? "genuine" : set.positive.c_str(),
                   set.name.c_str(), label.c_str(), c[0].x, c[0].y, c[1].x, c[1].y, c[2].x, c[2].y,
                   c[3].x, c[3].y);
      std::fclose(f);
    }
  }
  results_.push_back(std::move(r));
}

bool Runner::FlatPage(MrzFormat format, uint64_t seed, cv::Mat* page) {
  std::mt19937_64 rng(seed);
  docgen::RenderOptions ro;
  if (!faces_.empty() && seed % 2 == 0) ro.portrait = Face(rng);
  absl::StatusOr<docgen::GeneratedDocument> doc =
      gen_.Render(docgen::RandomIdentity(format, rng), seed, ro);
  if (!doc.ok()) return false;
  const auto& c = doc->card_corners;
  const float w = static_cast<float>(std::hypot(c[1].x - c[0].x, c[1].y - c[0].y));
  const float h = static_cast<float>(std::hypot(c[3].x - c[0].x, c[3].y - c[0].y));
  const std::vector<cv::Point2f> src(c.begin(), c.end());
  const std::vector<cv::Point2f> dst = {{0, 0}, {w, 0}, {w, h}, {0, h}};
  cv::warpPerspective(doc->image, *page, cv::getPerspectiveTransform(src, dst),
                      cv::Size(static_cast<int>(w), static_cast<int>(h)), cv::INTER_CUBIC);
  return true;
}

cv::Mat Runner::Face(std::mt19937_64& rng) {
  if (faces_.empty()) return {};
  const fs::path& p = faces_[rng() % faces_.size()];
  return cv::imread(p.string(), cv::IMREAD_COLOR);
}

cv::Mat Runner::OtherRendererPage(std::mt19937_64& rng) {
  const int w = static_cast<int>(U(rng, 1000, 1500));
  const int h = w * 88 / 125;
  const cv::Scalar paper(U(rng, 200, 245), U(rng, 200, 245), U(rng, 200, 245));
  cv::Mat page(h, w, CV_8UC3, paper);
  const cv::Scalar line(paper[0] * U(rng, 0.7, 0.9), paper[1] * U(rng, 0.7, 0.9),
                        paper[2] * U(rng, 0.7, 0.9));
  const int pattern = static_cast<int>(rng() % 4);
  const double spacing = U(rng, 3, 8);
  if (pattern == 0) {  // Guilloche waves.
    const double amp = U(rng, 5, 40), wavelength = U(rng, 80, 400);
    for (double y0 = -amp; y0 < h + amp; y0 += spacing) {
      std::vector<cv::Point> pts;
      const double phase = 0.02 * y0;
      for (int x = 0; x <= w; x += 4) {
        pts.emplace_back(x, static_cast<int>(y0 + amp * std::sin(6.2832 * x / wavelength + phase)));
      }
      cv::polylines(page, pts, false, line, 1, cv::LINE_AA);
    }
  } else if (pattern == 1) {  // Rosette.
    const cv::Point2d c(U(rng, 0.3, 0.7) * w, U(rng, 0.3, 0.7) * h);
    const int lobes = static_cast<int>(U(rng, 6, 24));
    for (double r0 = spacing; r0 < w; r0 += spacing) {
      std::vector<cv::Point> pts;
      for (int k = 0; k <= 720; ++k) {
        const double a = k * 6.2832 / 720;
        const double r = r0 + 0.3 * spacing * std::sin(lobes * a);
        pts.emplace_back(static_cast<int>(c.x + r * std::cos(a)),
                         static_cast<int>(c.y + r * std::sin(a)));
      }
      cv::polylines(page, pts, true, line, 1, cv::LINE_AA);
    }
  } else if (pattern == 2) {  // Straight fine hatching across the page.
    const double a = U(rng, 0, 3.1416);
    const double dx = std::cos(a), dy = std::sin(a);
    for (double t = -w - h; t < w + h; t += spacing) {
      const cv::Point2d p(w / 2.0 - dy * t, h / 2.0 + dx * t);
      cv::line(page,
               cv::Point(static_cast<int>(p.x - dx * 2 * w), static_cast<int>(p.y - dy * 2 * w)),
               cv::Point(static_cast<int>(p.x + dx * 2 * w), static_cast<int>(p.y + dy * 2 * w)),
               line, 1, cv::LINE_AA);
    }
  }
  const int fonts[] = {cv::FONT_HERSHEY_SIMPLEX, cv::FONT_HERSHEY_DUPLEX, cv::FONT_HERSHEY_COMPLEX,
                       cv::FONT_HERSHEY_TRIPLEX};
  const int font = fonts[rng() % 4];
  const cv::Scalar ink(U(rng, 0, 70), U(rng, 0, 70), U(rng, 0, 70));
  const double unit = h / 880.0;
  cv::putText(page, "PASSPORT  PASS  PASSEPORT", cv::Point(w / 4, static_cast<int>(60 * unit)),
              font, 1.4 * unit, ink, std::max(1, static_cast<int>(2 * unit)), cv::LINE_AA);
  const cv::Rect portrait(static_cast<int>(0.04 * w), static_cast<int>(0.16 * h),
                          static_cast<int>(0.27 * w), static_cast<int>(0.5 * h));
  cv::Mat face = Face(rng);
  if (!face.empty()) {
    const double s = std::max(static_cast<double>(portrait.width) / face.cols,
                              static_cast<double>(portrait.height) / face.rows);
    cv::resize(face, face, cv::Size(), s, s, cv::INTER_AREA);
    face(cv::Rect((face.cols - portrait.width) / 2, (face.rows - portrait.height) / 2,
                  portrait.width, portrait.height))
        .copyTo(page(portrait));
  }
  const char* labels[] = {"Surname", "Given names",    "Nationality",   "Date of birth",
                          "Sex",     "Place of birth", "Date of issue", "Date of expiry"};
  const char* values[] = {"MUSTERMANN", "ERIKA",  "UTOPIAN",     "12 AUG 1974",
                          "F",          "ZENITH", "15 APR 2020", "15 APR 2030"};
  for (int i = 0; i < 8; ++i) {
    const int y = static_cast<int>((170 + 52 * i) * unit);
    cv::putText(page, labels[i], cv::Point(static_cast<int>(0.36 * w), y), font, 0.55 * unit,
                ink * 0.8 + line * 0.2, 1, cv::LINE_AA);
    cv::putText(page, values[i],
                cv::Point(static_cast<int>(0.36 * w), y + static_cast<int>(24 * unit)), font,
                0.9 * unit, ink, std::max(1, static_cast<int>(1.6 * unit)), cv::LINE_AA);
  }
  // A machine-readable zone in a monospaced grid (not OCR-B: the quality
  // checks do not read it).
  const char* mrz[] = {"P<UTOMUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<",
                       "C01X00T478UTO7408122F3004159<<<<<<<<<<<<<<04"};
  const double pitch = 0.9 * w / 44;
  for (int l = 0; l < 2; ++l) {
    for (int i = 0; i < 44; ++i) {
      cv::putText(page, std::string(1, mrz[l][i]),
                  cv::Point(static_cast<int>(0.05 * w + i * pitch),
                            static_cast<int>(h - (1 - l) * 60 * unit - 25 * unit)),
                  cv::FONT_HERSHEY_PLAIN, 2.0 * unit, ink, std::max(1, static_cast<int>(2 * unit)),
                  cv::LINE_AA);
    }
  }
  return page;
}

int Runner::Run() {
  const fs::path shared(options_.shared_dir);
  const fs::path specimens = shared / "corpus" / "specimens";
  const fs::path mrz_real = shared / "corpus" / "mrz_real";
  if (!fs::exists(specimens) || !fs::exists(mrz_real)) {
    std::fprintf(stderr, "calibrate: %s has no corpus/specimens or corpus/mrz_real\n",
                 options_.shared_dir.c_str());
    return 1;
  }
  faces_ = ImagesIn(shared / "corpus" / "faces", /*recursive=*/true);
  auto set = [&](std::string name, bool tune, std::string positive, bool page = true) {
    sets_.push_back(std::make_unique<Set>(Set{std::move(name), tune, std::move(positive), page}));
    return sets_.back().get();
  };
  const int n = options_.n;

  // Real genuine images, as received, and the same shown on a screen.
  const Set* real_tune = set("real specimens (as received)", true, "");
  const Set* real_hold = set("real mrz_real pages (as received)", false, "");
  const Set* real_strip = set("real mrz_real MRZ strips/app shots", false, "", false);
  const Set* real_screen_tune = set("real specimens on a screen", true, "screen");
  const Set* real_screen_hold = set("real mrz_real on a screen", false, "screen");
  const Set* real_grey = set("real mrz_real grey copy", false, "colour");
  for (const auto* dir : {&specimens, &mrz_real}) {
    if (!Wanted("real")) break;
    const bool tune = dir == &specimens;
    std::mt19937_64 rng(tune ? 11 : 13);
    for (const fs::path& p : ImagesIn(*dir, false)) {
      const std::string bytes = ReadFile(p);
      absl::StatusOr<DecodedImage> img = DecodeImage(bytes);
      if (!img.ok()) continue;
      const std::string file = p.filename().string();
      const DocumentType type = TypeFromName(file);
      const bool strip = absl::StrContains(file, "mrzonly") || absl::StrContains(file, "camera_");
      Evaluate(strip ? *real_strip : tune ? *real_tune : *real_hold, img->bgr, bytes, type, file);
      if (strip) continue;
      // Small web specimens: shown enlarged to fill the screen, as a fraudster would.
      Evaluate(tune ? *real_screen_tune : *real_screen_hold, captures::ScreenPhoto(img->bgr, rng),
               type, file);
      if (!tune) Evaluate(*real_grey, captures::GreyCopy(img->bgr, rng), type, file);
    }
  }

  // Generated genuine pages: even seeds tune, odd seeds are held out.
  struct GenSet {
    const char* name;
    std::function<Capture(const cv::Mat&, std::mt19937_64&)> capture;
    const char* positive;
  };
  const std::vector<GenSet> gen_sets = {
      {"docgen page, phone photo", captures::PhonePhoto, ""},
      {"docgen page, scan", captures::Scan, ""},
      {"docgen print, phone photo",
       [](const cv::Mat& p, std::mt19937_64& r) {
         std::string how;
         Capture c = captures::PhonePhoto(captures::Print(p, r, &how), r);
         c.how = how + ", " + c.how;
         return c;
       },
       ""},
      {"docgen print, scan",
       [](const cv::Mat& p, std::mt19937_64& r) {
         std::string how;
         Capture c = captures::Scan(captures::Print(p, r, &how), r);
         c.how = how + ", " + c.how;
         return c;
       },
       ""},
      {"docgen page on a screen", captures::ScreenPhoto, "screen"},
      {"docgen print on a screen",
       [](const cv::Mat& p, std::mt19937_64& r) {
         return captures::ScreenPhoto(captures::Print(p, r, nullptr), r);
       },
       "screen"},
      {"docgen grey copy", captures::GreyCopy, "colour"},
      {"docgen photo printed, re-photographed",
       [](const cv::Mat& p, std::mt19937_64& r) {
         const Capture first = captures::PhonePhoto(p, r);
         Capture c = captures::PhonePhoto(captures::Print(first.image, r, nullptr), r);
         c.how = "re-photographed print, " + c.how;
         return c;
       },
       "recapture"},
  };
  for (const GenSet& g : gen_sets) {
    const Set* tune = set(std::string(g.name) + " [even]", true, g.positive);
    const Set* hold = set(std::string(g.name) + " [odd]", false, g.positive);
    for (int i = 0; i < 2 * n && Wanted(g.name); ++i) {
      const MrzFormat format = kFormats[(i / 2) % 4];
      cv::Mat page;
      if (!FlatPage(format, 1000 + i, &page)) continue;
      std::mt19937_64 rng(5000 + i);
      Evaluate(i % 2 == 0 ? *tune : *hold, g.capture(page, rng), DocumentTypeForMrz(format),
               absl::StrFormat("seed %d", 1000 + i));
    }
  }
  // Screens made by other code (captures::ScreenPhotoOther: another panel,
  // lens, demosaicing, the page turned on a phone): held out entirely, every
  // seed, to test the screen measures on positives they were not tuned on.
  {
    const Set* other = set("other screen code, docgen", false, "screen");
    for (int i = 0; i < 2 * n && Wanted(other->name); ++i) {
      const MrzFormat format = kFormats[(i / 2) % 4];
      cv::Mat page;
      if (!FlatPage(format, 1000 + i, &page)) continue;
      std::mt19937_64 rng(7000 + i);
      Evaluate(*other, captures::ScreenPhotoOther(page, rng), DocumentTypeForMrz(format),
               absl::StrFormat("seed %d", 1000 + i));
    }
  }
  // docgen's own photographs at its levels (its renderer's camera model).
  for (docgen::Level level :
       {docgen::Level::kClean, docgen::Level::kMild, docgen::Level::kMedium}) {
    const std::string name = absl::StrFormat("docgen photo, level %s", docgen::LevelName(level));
    const Set* tune = set(name + " [even]", true, "");
    const Set* hold = set(name + " [odd]", false, "");
    for (int i = 0; i < 2 * n && Wanted(name); ++i) {
      const MrzFormat format = kFormats[(i / 2) % 4];
      absl::StatusOr<docgen::GeneratedDocument> doc = gen_.Generate(format, level, 2000 + i);
      if (!doc.ok()) continue;
      Evaluate(i % 2 == 0 ? *tune : *hold, doc->image, doc->jpeg, DocumentTypeForMrz(format),
               absl::StrFormat("seed %d", 2000 + i));
    }
  }
  // The second renderer: held out entirely.
  {
    const Set* photo = set("other renderer, phone photo", false, "");
    const Set* print_scan = set("other renderer, print, scan", false, "");
    const Set* print_photo = set("other renderer, print, phone photo", false, "");
    const Set* screen = set("other renderer on a screen", false, "screen");
    for (int i = 0; i < n && Wanted("other renderer"); ++i) {
      std::mt19937_64 rng(7000 + i);
      const cv::Mat page = OtherRendererPage(rng);
      Evaluate(*photo, captures::PhonePhoto(page, rng), DocumentType::kTd3, "");
      Evaluate(*print_scan, captures::Scan(captures::Print(page, rng, nullptr), rng),
               DocumentType::kTd3, "");
      Evaluate(*print_photo, captures::PhonePhoto(captures::Print(page, rng, nullptr), rng),
               DocumentType::kTd3, "");
      Evaluate(*screen, captures::ScreenPhoto(page, rng), DocumentType::kTd3, "");
    }
  }
  // Pasted portraits (a face pasted into a genuine photo, saved again) and
  // the quality defects, on docgen photos (scenes).
  {
    const Set* paste_tune = set("pasted portrait [even]", true, "tamper");
    const Set* paste_hold = set("pasted portrait [odd]", false, "tamper");
    for (int i = 0; i < 2 * n && !faces_.empty() && Wanted("pasted portrait"); ++i) {
      const MrzFormat format = i % 2 ? MrzFormat::kTd3 : MrzFormat::kTd1;
      std::mt19937_64 rng(9000 + i);
      absl::StatusOr<docgen::GeneratedDocument> doc =
          gen_.Generate(format, i % 4 < 2 ? docgen::Level::kClean : docgen::Level::kMild, 3000 + i);
      if (!doc.ok() || doc->portrait_box[2].x == 0) continue;
      cv::Mat face = Face(rng);
      if (face.empty()) continue;
      cv::Mat img = doc->image.clone();
      const std::vector<cv::Point2f> src = {
          {0, 0},
          {static_cast<float>(face.cols), 0},
          {static_cast<float>(face.cols), static_cast<float>(face.rows)},
          {0, static_cast<float>(face.rows)}};
      const std::vector<cv::Point2f> dst(doc->portrait_box.begin(), doc->portrait_box.end());
      cv::warpPerspective(face, img, cv::getPerspectiveTransform(src, dst), img.size(),
                          cv::INTER_AREA, cv::BORDER_TRANSPARENT);
      std::vector<uint8_t> buf;
      const int q = static_cast<int>(U(rng, 80, 96));
      cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, q});
      const std::string bytes(buf.begin(), buf.end());
      Evaluate(i % 2 == 0 ? *paste_tune : *paste_hold, cv::imdecode(buf, cv::IMREAD_COLOR), bytes,
               DocumentTypeForMrz(format), absl::StrFormat("seed %d q%d", 3000 + i, q));
    }
    struct Defect {
      const char* name;
      const char* positive;
      std::function<void(scenes::Defects&, int)> set;
    };
    const std::vector<Defect> defects = {
        {"glare on portrait/data/MRZ", "glare",
         [](scenes::Defects& d, int i) {
           d.glare = i % 3 == 0   ? scenes::Zone::kPortrait
                     : i % 3 == 1 ? scenes::Zone::kData
                                  : scenes::Zone::kMrz;
         }},
        {"blur sigma 3..5 px/1000 px", "focus",
         [](scenes::Defects& d, int i) { d.blur_sigma = 3 + (i % 3); }},
        {"a corner off the frame / too far", "cutoff",
         [](scenes::Defects& d, int i) {
           if (i % 2)
             d.cut_corner = (i / 2) % 4;
           else
             d.card_share = 0.3;
         }},
    };
    for (const Defect& d : defects) {
      const Set* tune = set(std::string(d.name) + " [even]", true, d.positive);
      const Set* hold = set(std::string(d.name) + " [odd]", false, d.positive);
      // Glare spots vary in shape (GlareShapeFor): twice as many.
      const int count = std::string(d.positive) == "glare" ? 4 * n : 2 * n;
      for (int i = 0; i < count && Wanted(d.name); ++i) {
        const MrzFormat format = kFormats[(i / 2) % 4];
        scenes::Defects defect;
        d.set(defect, i / 2);
        std::string label = absl::StrFormat("seed %d", 4000 + i);
        // Each glare scene its own shape (the zone is shared by seeds 2k, 2k+1).
        if (defect.glare != scenes::Zone::kNone) {
          const scenes::GlareShape& g = defect.glare_shape = GlareShapeFor(i);
          label += absl::StrFormat(" %s r %.3f aspect %.1f fade %.2f gain %.1f halo %.2f",
                                   defect.glare == scenes::Zone::kPortrait ? "portrait"
                                   : defect.glare == scenes::Zone::kData   ? "data"
                                                                           : "MRZ",
                                   g.radius, g.aspect, g.fade, g.gain, g.halo);
        }
        absl::StatusOr<scenes::Scene> s =
            scenes::MakeScene(gen_, format, docgen::Level::kClean, 4000 + i, defect);
        if (!s.ok()) continue;
        // MRZ glare is judged on the side that carries the MRZ.
        Evaluate(i % 2 == 0 ? *tune : *hold, s->image, s->jpeg, s->type, label);
      }
    }
  }
  Print();
  return 0;
}

struct Tally {
  int n = 0, review = 0, fail = 0;
};

void Runner::Print() {
  std::printf("\n== Per set: review/fail per signal (raw signal verdicts, one image) ==\n");
  std::printf("%-42s %-5s %3s", "set", "part", "n");
  for (const char* s : kSignals) std::printf(" %10.10s", s);
  std::printf("  %s\n", "after rule: any fail / any review (no resolution)");
  for (const auto& set : sets_) {
    std::map<std::string, Tally> t;
    int n = 0, fail = 0, review = 0;
    std::vector<double> lattice;
    int multi = 0;
    std::vector<double> tamper;
    for (const Result& r : results_) {
      if (r.set != set.get()) continue;
      ++n;
      multi += r.other_lattice_peaks > 0;
      fail += r.any_fail;
      review += !r.any_fail && r.any_review;
      lattice.push_back(r.lattice_2d);
      tamper.push_back(r.tamper);
      for (const auto& [name, c] : r.checks) {
        Tally& x = t[name];
        ++x.n;
        x.review += c.verdict == CheckVerdict::kReview;
        x.fail += c.verdict == CheckVerdict::kFail;
      }
    }
    std::printf("%-42.42s %-5s %3d", set->name.c_str(), set->tune ? "tune" : "held", n);
    for (const char* s : kSignals) {
      std::printf(" %5d/%-4d", t[s].review, t[s].fail);
    }
    std::sort(lattice.begin(), lattice.end());
    std::printf("  %d / %d", fail, review);
    if (!lattice.empty()) {
      std::printf("   2d lattice min %.2f p50 %.2f p90 %.2f max %.2f; multi %d", lattice.front(),
                  lattice[lattice.size() / 2], lattice[lattice.size() * 9 / 10], lattice.back(),
                  multi);
      std::sort(tamper.begin(), tamper.end());
      std::printf("; tamper p50 %.2f share >= 0.5: %.0f%%", tamper[tamper.size() / 2],
                  100.0 * (tamper.end() - std::lower_bound(tamper.begin(), tamper.end(), 0.5)) /
                      tamper.size());
    }
    std::printf("\n");
  }

  std::printf("\n== Per signal: FPR on genuine pages, TPR on its fakes ==\n");
  std::printf(
      "FPR = genuine pages the signal flags (review or fail), fail = genuine pages it\n"
      "fails; TPR = fakes it flags. MRZ strips are not pages (listed above only).\n");
  std::printf("%-10s %-5s %16s %12s %16s\n", "signal", "part", "FPR (n)", "genuine fail",
              "TPR (n)");
  for (const char* s : kSignals) {
    for (bool tune : {true, false}) {
      Tally g, p;
      for (const Result& r : results_) {
        if (r.set->tune != tune || !r.set->page) continue;
        auto it = r.checks.find(s);
        if (it == r.checks.end()) continue;
        const bool flagged = it->second.verdict == CheckVerdict::kReview ||
                             it->second.verdict == CheckVerdict::kFail;
        if (r.set->positive.empty()) {
          ++g.n;
          g.review += flagged;
          g.fail += it->second.verdict == CheckVerdict::kFail;
        } else if (r.set->positive == s) {
          ++p.n;
          p.review += flagged;
        }
      }
      std::printf("%-10s %-5s %8.1f%% (%3d) %11d %9.1f%% (%3d)\n", s, tune ? "tune" : "held",
                  g.n ? 100.0 * g.review / g.n : 0, g.n, g.fail, p.n ? 100.0 * p.review / p.n : 0,
                  p.n);
    }
  }

  // The screen's colour signature (chroma-rotation lattice) alone and with
  // the luma lattice: how many screens each catches, how many genuine pages
  // reach it. Measured only where the luma lattice is >= 1.5 (screen.cc).
  std::printf("\n== Screen: luma lattice vs colour signature (pages) ==\n");
  for (bool tune : {true, false}) {
    int genuine = 0, screens = 0, luma = 0, chroma = 0, both = 0, chroma_only = 0;
    double genuine_chroma_max = 0;
    for (const Result& r : results_) {
      if (r.set->tune != tune || !r.set->page) continue;
      const auto it = r.checks.find("screen");
      if (it == r.checks.end()) continue;
      const bool flagged = it->second.verdict != CheckVerdict::kPass;
      if (r.set->positive.empty()) {
        ++genuine;
        genuine_chroma_max = std::max(genuine_chroma_max, r.chroma);
      } else if (r.set->positive == "screen") {
        ++screens;
        const bool l = r.lattice_2d >= 1.8, c = r.chroma >= 1.0;
        luma += l;
        chroma += c;
        both += flagged && it->second.verdict == CheckVerdict::kFail;
        chroma_only += c && !l;
      }
    }
    std::printf(
        "%-5s screens %d: luma lattice >= 1.8 %d, colour signature >= 1.0 %d (of which not "
        "by luma %d), certain (fail) %d; genuine %d: colour signature max %.2f\n",
        tune ? "tune" : "held", screens, luma, chroma, chroma_only, both, genuine,
        genuine_chroma_max);
  }

  // The subpixel offset (ScreenMeasure::channel_shift, counted when its
  // direction is not the image grid's) against the luma lattice, per part:
  // tuned, held out (the same capture code, odd seeds, other pages), and
  // screens made by other code (captures::ScreenPhotoOther).
  std::printf("\n== Screen: luma lattice vs subpixel offset (pages) ==\n");
  for (int part = 0; part < 3; ++part) {
    int genuine = 0, genuine_offset = 0, genuine_offset_only = 0, screens = 0, luma = 0, offset = 0,
        offset_only = 0, caught = 0;
    for (const Result& r : results_) {
      if (!r.set->page) continue;
      const bool other = r.set->name.rfind("other screen code", 0) == 0;
      if ((part == 0) != r.set->tune || (part == 2) != other) continue;
      const auto it = r.checks.find("screen");
      if (it == r.checks.end()) continue;
      const bool l = r.lattice_2d > 1.8;
      const bool o = r.shift_counts && r.shift > 0.12;
      if (r.set->positive.empty()) {
        ++genuine;
        genuine_offset += o;
        genuine_offset_only += o && !l;
      } else if (r.set->positive == "screen") {
        ++screens;
        luma += l;
        offset += o;
        offset_only += o && !l;
        caught += it->second.verdict != CheckVerdict::kPass;
      }
    }
    std::printf(
        "%-10s screens %d: luma lattice > 1.8 %d, offset > 0.12 px %d (not by luma %d), screen "
        "check flags %d (%.1f%%); genuine %d: offset %d (not by luma %d)\n",
        part == 0   ? "tune"
        : part == 1 ? "held"
                    : "other code",
        screens, luma, offset, offset_only, caught, screens ? 100.0 * caught / screens : 0, genuine,
        genuine_offset, genuine_offset_only);
  }

  // Screens by what the optics left of their pixel grid: where the lens
  // blur leaves under kGridKept of the grid's contrast (a screen pixel
  // finer than the lens resolves), no grid and no moiré reach the image for
  // any lattice measure to find.
  constexpr double kGridKept = 0.05;
  std::printf(
      "\n== Screen recapture by what the lens left of the pixel grid (exp(-2 pi^2 sigma^2 / "
      "p^2) >= %.2f) ==\n",
      kGridKept);
  for (bool tune : {true, false}) {
    int kept = 0, kept_flagged = 0, lost = 0, lost_flagged = 0;
    for (const Result& r : results_) {
      if (r.set->tune != tune || !r.set->page || r.set->positive != "screen") continue;
      const auto it = r.checks.find("screen");
      if (it == r.checks.end() || r.grid_contrast < 0) continue;
      const bool flagged = it->second.verdict != CheckVerdict::kPass;
      if (r.grid_contrast >= kGridKept) {
        ++kept;
        kept_flagged += flagged;
      } else {
        ++lost;
        lost_flagged += flagged;
      }
    }
    std::printf("%-5s grid kept: %d of %d flagged (%.1f%%); grid lost: %d of %d flagged (%.1f%%)\n",
                tune ? "tune" : "held", kept_flagged, kept, kept ? 100.0 * kept_flagged / kept : 0,
                lost_flagged, lost, lost ? 100.0 * lost_flagged / lost : 0);
  }

  std::printf("\n== Genuine pages after the decision rule (resolution excluded) ==\n");
  for (bool tune : {true, false}) {
    Tally g;
    std::vector<double> ms, decode;
    for (const Result& r : results_) {
      if (r.set->tune != tune || !r.set->page || !r.set->positive.empty()) continue;
      ++g.n;
      g.fail += r.any_fail;
      g.review += !r.any_fail && r.any_review;
    }
    std::printf("%-5s n=%3d  FAIL %d  review %d (%.1f%%)\n", tune ? "tune" : "held", g.n, g.fail,
                g.review, g.n ? 100.0 * g.review / g.n : 0);
  }
  std::vector<double> ms, decode, cpu, decode_cpu;
  for (const Result& r : results_) {
    if (r.decode_ms <= 0) continue;
    ms.push_back(r.ms);
    decode.push_back(r.decode_ms);
    cpu.push_back(r.cpu_ms);
    decode_cpu.push_back(r.decode_cpu_ms);
  }
  for (auto* v : {&ms, &decode, &cpu, &decode_cpu}) std::sort(v->begin(), v->end());
  if (!ms.empty()) {
    auto p = [](const std::vector<double>& v, int pct) { return v[v.size() * pct / 100]; };
    std::printf(
        "\nall quality checks per page, n=%zu: thread CPU p50 %.1f ms p90 %.1f ms (wall p50 %.1f "
        "ms p90 %.1f ms); baseline JPEG decode of the same files CPU p50 %.1f ms p90 %.1f ms "
        "(wall p50 %.1f ms) (one core)\n",
        ms.size(), p(cpu, 50), p(cpu, 90), p(ms, 50), p(ms, 90), p(decode_cpu, 50),
        p(decode_cpu, 90), p(decode, 50));
  }
}

}  // namespace

int Run(docgen::DocumentGenerator& generator, const Options& options) {
  Runner runner(generator, options);
  return runner.Run();
}

}  // namespace vouch::ocr::calibration
