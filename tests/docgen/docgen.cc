#include "docgen/docgen.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "opencv2/freetype.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "photo_capture.h"
#include "random_draws.h"

namespace vouch::docgen {
namespace {

using ocr::MrzFormat;

// ---------------------------------------------------------------- identity

using internal::Chance;
using internal::Uniform;
using internal::UniformColour;
using internal::UniformInt;

template <typename T>
const T& Pick(std::mt19937_64& rng, const std::vector<T>& v) {
  return v[UniformInt(rng, 0, static_cast<int>(v.size()) - 1)];
}

std::string RandomWord(std::mt19937_64& rng, int min_syllables, int max_syllables) {
  static const std::vector<std::string> kOnsets = {
      "B", "K", "D", "F",  "G",  "H",  "J",  "L",  "M",  "N",  "P",  "R", "S", "T",
      "V", "W", "Z", "CH", "SH", "TR", "BR", "ST", "KR", "GR", "PL", "X", "Q"};
  static const std::vector<std::string> kVowels = {"A", "E", "I", "O", "U", "AI", "EI", "OU", "Y"};
  static const std::vector<std::string> kCodas = {"", "", "", "N", "R", "S", "L", "M", "K", "T"};
  std::string w;
  const int n = UniformInt(rng, min_syllables, max_syllables);
  for (int i = 0; i < n; ++i) {
    // Coda first (random_draws.h).
    const std::string& coda = Pick(rng, kCodas);
    const std::string& vowel = Pick(rng, kVowels);
    const std::string& onset = Pick(rng, kOnsets);
    w += onset;
    w += vowel;
    w += coda;
  }
  return w;
}

std::string RandomAlnum(std::mt19937_64& rng, int n, double letter_share) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (Chance(rng, letter_share)) {
      s += static_cast<char>('A' + UniformInt(rng, 0, 25));
    } else {
      s += static_cast<char>('0' + UniformInt(rng, 0, 9));
    }
  }
  return s;
}

std::string RandomDigits(std::mt19937_64& rng, int n) { return RandomAlnum(rng, n, 0.0); }

std::string Yymmdd(int y, int m, int d) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%02d%02d%02d", y % 100, m, d);
  return buf;
}

std::string RandomDate(std::mt19937_64& rng, int year_lo, int year_hi) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int y = UniformInt(rng, year_lo, year_hi);
  const int m = UniformInt(rng, 1, 12);
  const int d = UniformInt(rng, 1, kDays[m - 1]);
  return Yymmdd(y, m, d);
}

std::string Pad(absl::string_view s, size_t n) {
  std::string out(s.substr(0, std::min(s.size(), n)));
  out.resize(n, '<');
  return out;
}

char CheckChar(absl::string_view data) {
  return static_cast<char>('0' + ocr::ComputeCheckDigit(data).value_or(0));
}

bool AllAlnum(absl::string_view s) {
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string NameField(const Identity& id, size_t n) {
  std::string s = absl::StrJoin(id.surnames, "<");
  if (!id.given_names.empty()) {
    s += "<<" + absl::StrJoin(id.given_names, "<");
  }
  if (s.size() > n && s[n - 1] == '<') {
    // A truncated name ends in a letter (9303-3 §4.6.2), so readers can
    // tell it was truncated: take the next letter of the full name.
    const size_t next = s.find_first_not_of('<', n);
    s[n - 1] = next == std::string::npos ? 'X' : s[next];
  }
  return Pad(s, n);
}

// Document number field (9) + check digit, and what must precede the
// optional data when the number is long (9303-5 §4.2.2 note j).
struct NumberParts {
  std::string field_and_check;  // 10 characters.
  std::string overflow;         // "" or extension + check + '<'.
};

NumberParts ComposeNumber(absl::string_view number) {
  NumberParts p;
  if (number.size() <= 9) {
    std::string field = Pad(number, 9);
    p.field_and_check = field + CheckChar(field);
  } else {
    p.field_and_check = std::string(number.substr(0, 9)) + "<";
    p.overflow = std::string(number.substr(9)) + CheckChar(number) + "<";
  }
  return p;
}

// ------------------------------------------------------------- rendering

constexpr double kPxPerMm = 11.0;
constexpr double kPitchMm = 2.54;  // OCR-B at 10 characters per inch.

cv::Size2d CardSizeMm(MrzFormat f) {
  switch (f) {
    case MrzFormat::kTd1:
      return {85.6, 54.0};
    case MrzFormat::kTd2:
      return {105.0, 74.0};
    case MrzFormat::kTd3:
      return {125.0, 88.0};
    case MrzFormat::kMrvA:
      return {120.0, 80.0};
    case MrzFormat::kMrvB:
      return {105.0, 74.0};
  }
  return {125.0, 88.0};
}

absl::string_view Title(MrzFormat f) {
  switch (f) {
    case MrzFormat::kTd3:
      return "PASSPORT";
    case MrzFormat::kTd1:
    case MrzFormat::kTd2:
      return "IDENTITY CARD";
    case MrzFormat::kMrvA:
    case MrzFormat::kMrvB:
      return "VISA";
  }
  return "";
}

// "12 AUG 74"; the parts of a partly unknown date (ocr::IsPartlyUnknownDate)
// as X, the usual way a page prints them ("XX AUG 74", "XX XXX XX").
std::string ToDisplayDate(absl::string_view yymmdd) {
  static const char* kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                  "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  const auto known = [&](size_t i) { return yymmdd[i] != '<' ? yymmdd.substr(i, 2) : "XX"; };
  const std::string month =
      yymmdd[2] != '<' ? kMonths[(std::stoi(std::string(yymmdd.substr(2, 2))) + 11) % 12] : "XXX";
  return absl::StrCat(known(4), " ", month, " ", known(0));
}

class DocumentGeneratorImpl final : public DocumentGenerator {
 public:
  DocumentGeneratorImpl(cv::Ptr<cv::freetype::FreeType2> ocr_b,
                        cv::Ptr<cv::freetype::FreeType2> sans,
                        cv::Ptr<cv::freetype::FreeType2> bold,
                        cv::Ptr<cv::freetype::FreeType2> mono,
                        cv::Ptr<cv::freetype::FreeType2> mono_bold)
      : ocr_b_(std::move(ocr_b)),
        sans_(std::move(sans)),
        bold_(std::move(bold)),
        mono_(std::move(mono)),
        mono_bold_(std::move(mono_bold)) {}

  absl::StatusOr<GeneratedDocument> Generate(MrzFormat format, Level level,
                                             uint64_t seed) override {
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 12345 +
                        static_cast<uint64_t>(format) * 7919 +
                        static_cast<uint64_t>(level) * 104729);
    Identity id = RandomIdentity(format, rng);
    try {
      return Build(id, level, seed, rng);
    } catch (const cv::Exception& e) {
      return absl::InternalError(absl::StrCat("docgen: ", e.what()));
    }
  }

  absl::StatusOr<GeneratedDocument> RenderClean(const Identity& identity, uint64_t seed) override {
    std::mt19937_64 rng(seed);
    try {
      return Build(identity, Level::kClean, seed, rng);
    } catch (const cv::Exception& e) {
      return absl::InternalError(absl::StrCat("docgen: ", e.what()));
    }
  }

  absl::StatusOr<GeneratedDocument> Generate(MrzFormat format, Level level, uint64_t seed,
                                             const PhotoEffects& photo_effects) override {
    forced_effects_ = photo_effects;
    absl::StatusOr<GeneratedDocument> doc = Generate(format, level, seed);
    forced_effects_.reset();
    return doc;
  }

  absl::StatusOr<GeneratedDocument> Render(const Identity& identity, uint64_t seed,
                                           const RenderOptions& options) override {
    if (!options.portrait.empty() && (options.portrait.type() != CV_8UC3 ||
                                      options.portrait.cols < 8 || options.portrait.rows < 8)) {
      return absl::InvalidArgumentError(
          "docgen: the portrait must be an 8-bit BGR image of at least 8x8");
    }
    std::mt19937_64 rng(seed);
    portrait_image_ = options.portrait;
    forced_effects_ = options.photo_effects;
    absl::StatusOr<GeneratedDocument> doc;
    try {
      doc = Build(identity, options.level, seed, rng);
    } catch (const cv::Exception& e) {
      doc = absl::InternalError(absl::StrCat("docgen: ", e.what()));
    }
    portrait_image_ = cv::Mat();
    forced_effects_.reset();
    return doc;
  }

  absl::StatusOr<GeneratedDocument> CaptureScan(
      const ScanPage& scan, uint64_t seed,
      const std::optional<PhotoEffects>& photo_effects) override {
    constexpr double kMinPitchPx = 2;
    const double pitch =
        cv::norm(scan.mrz_box[1] - scan.mrz_box[0]) / std::max(1, scan.line_length);
    if (scan.image.type() != CV_8UC3 || scan.image.empty()) {
      return absl::InvalidArgumentError("docgen: the scan must be an 8-bit BGR image");
    }
    if (!(pitch >= kMinPitchPx)) {
      return absl::InvalidArgumentError("docgen: the scan's MRZ box is too small");
    }
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 0x5CA9ull);
    internal::PhotoPlan plan = internal::DrawPhotoPlan(MrzFormat::kTd3, rng);
    if (photo_effects.has_value()) plan.effects = *photo_effects;
    plan.effects.microtext = plan.effects.security_pattern = plan.effects.card_back =
        plan.effects.non_ocrb_font = false;
    internal::DrawnCard card;
    card.image = scan.image;
    card.mrz_box = scan.mrz_box;
    // OCR-B's cap height per pitch, as this generator prints it.
    card.cap_px = pitch * cap_px_ / (kPitchMm * kPxPerMm);
    card.px_per_mm = pitch / kPitchMm;
    // Resized to the drawn glyph size first, by area when shrinking (as a
    // sensor integrates light; the warp interpolates and would alias a
    // scan several times too large), bicubic when enlarging a low-resolution
    // scan; the warp then keeps the scale.
    const double scale = plan.glyph_px / card.cap_px;
    GeneratedDocument doc;
    try {
      cv::resize(scan.image, card.image, cv::Size(), scale, scale,
                 scale < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
      for (cv::Point2f& p : card.mrz_box) p *= static_cast<float>(scale);
      card.cap_px *= scale;
      card.px_per_mm *= scale;
      doc.level = Level::kPhoto;
      doc.seed = seed;
      internal::CapturePhoto(card, plan, doc);
    } catch (const cv::Exception& e) {
      return absl::InternalError(absl::StrCat("docgen: ", e.what()));
    }
    return doc;
  }

 private:
  // Pastes portrait_image_ into `box`, scaled to cover it and centred.
  void PastePortrait(cv::Mat& card, cv::Rect box) {
    const double s = std::max(static_cast<double>(box.width) / portrait_image_.cols,
                              static_cast<double>(box.height) / portrait_image_.rows);
    cv::Mat scaled;
    cv::resize(
        portrait_image_, scaled,
        cv::Size(std::max(box.width, static_cast<int>(std::ceil(portrait_image_.cols * s))),
                 std::max(box.height, static_cast<int>(std::ceil(portrait_image_.rows * s)))),
        0, 0, cv::INTER_AREA);
    const cv::Rect crop((scaled.cols - box.width) / 2, (scaled.rows - box.height) / 2, box.width,
                        box.height);
    scaled(crop).copyTo(card(box));
  }

  // Draws `text` with its baseline-left at `org`.
  void Text(cv::freetype::FreeType2& font, cv::Mat& img, const std::string& text, cv::Point org,
            int height, const cv::Scalar& color) {
    font.putText(img, text, org, height, color, -1, cv::LINE_AA, true);
  }

  void DrawBackground(cv::Mat& card, std::mt19937_64& rng) {
    const cv::Scalar base = UniformColour(rng, 200, 245);
    card.setTo(base);
    const cv::Scalar ink = base - UniformColour(rng, 20, 50);
    // Guilloche-like wave lines.
    const int waves = UniformInt(rng, 12, 30);
    for (int k = 0; k < waves; ++k) {
      const double amp = Uniform(rng, 5, 40), freq = Uniform(rng, 0.005, 0.03);
      const double phase = Uniform(rng, 0, 6.28), y0 = Uniform(rng, 0, card.rows);
      std::vector<cv::Point> pts;
      for (int x = 0; x < card.cols; x += 4) {
        pts.emplace_back(x, static_cast<int>(y0 + amp * std::sin(freq * x + phase)));
      }
      cv::polylines(card, pts, false, ink, 1, cv::LINE_AA);
    }
  }

  void DrawPortrait(cv::Mat& card, cv::Rect box, std::mt19937_64& rng) {
    // Each colour's last channel first (random_draws.h).
    const double backdrop_r = Uniform(rng, 150, 210);
    const double backdrop_g = Uniform(rng, 170, 220);
    const double backdrop_b = Uniform(rng, 170, 230);
    cv::rectangle(card, box, cv::Scalar(backdrop_b, backdrop_g, backdrop_r), cv::FILLED);
    const double skin_r = Uniform(rng, 150, 230);
    const double skin_g = Uniform(rng, 120, 200);
    const double skin_b = Uniform(rng, 90, 190);
    const cv::Scalar skin(skin_b, skin_g, skin_r);
    const cv::Scalar clothes = UniformColour(rng, 20, 120);
    const cv::Point c(box.x + box.width / 2, box.y + box.height * 2 / 5);
    const int rx = box.width / 4, ry = box.height / 5;
    cv::ellipse(card, cv::Point(c.x, box.y + box.height),
                cv::Size(box.width * 9 / 20, box.height * 3 / 10), 0, 180, 360, clothes, cv::FILLED,
                cv::LINE_AA);
    cv::rectangle(card, cv::Rect(c.x - rx / 3, c.y + ry - 4, rx * 2 / 3, ry / 2), skin, cv::FILLED);
    cv::ellipse(card, c, cv::Size(rx, ry), 0, 0, 360, skin, cv::FILLED, cv::LINE_AA);
    const double hair_r = Uniform(rng, 10, 90);
    const double hair_g = Uniform(rng, 10, 80);
    const double hair_b = Uniform(rng, 10, 80);
    const cv::Scalar hair(hair_b, hair_g, hair_r);
    cv::ellipse(card, cv::Point(c.x, c.y - ry / 3), cv::Size(rx + 2, ry * 3 / 4), 0, 180, 360, hair,
                cv::FILLED, cv::LINE_AA);
    const cv::Scalar eye(40, 40, 40);
    cv::circle(card, cv::Point(c.x - rx / 3, c.y), std::max(2, rx / 10), eye, cv::FILLED,
               cv::LINE_AA);
    cv::circle(card, cv::Point(c.x + rx / 3, c.y), std::max(2, rx / 10), eye, cv::FILLED,
               cv::LINE_AA);
    cv::ellipse(card, cv::Point(c.x, c.y + ry / 2), cv::Size(rx / 3, ry / 8), 0, 0, 180,
                cv::Scalar(60, 60, 140), 2, cv::LINE_AA);
  }

  // Label/value rows from `x0` across the rows `zone` of the card.
  void DrawLabelledRows(cv::Mat& card, const std::vector<std::pair<std::string, std::string>>& viz,
                        int x0, cv::Range zone, const cv::Scalar& dark, const cv::Scalar& label) {
    const int rows = static_cast<int>(viz.size());
    const double row_h = static_cast<double>(zone.size()) / rows;
    const int value_h = std::max(8, static_cast<int>(row_h * 0.45));
    const int label_h = std::max(6, static_cast<int>(row_h * 0.28));
    for (int r = 0; r < rows; ++r) {
      const int y = zone.start + static_cast<int>(r * row_h);
      Text(*sans_, card, viz[r].first, cv::Point(x0, y + label_h), label_h, label);
      Text(*bold_, card, viz[r].second, cv::Point(x0, y + label_h + value_h + 2), value_h, dark);
    }
  }

  // A data page or ID-card front: portrait on the left, the holder's data
  // beside it.
  void DrawFrontZone(cv::Mat& card, const Identity& id, cv::Range zone, const cv::Scalar& dark,
                     const cv::Scalar& label, std::mt19937_64& rng, cv::Rect* portrait) {
    const int portrait_w = static_cast<int>(card.cols * 0.25);
    const int portrait_h = std::min(zone.size(), static_cast<int>(portrait_w * 1.3));
    if (portrait_h > 20) {
      *portrait = cv::Rect(static_cast<int>(4 * kPxPerMm), zone.start, portrait_w, portrait_h);
      if (portrait_image_.empty()) {
        DrawPortrait(card, *portrait, rng);
      } else {
        PastePortrait(card, *portrait);
      }
    }
    const int x0 = static_cast<int>(4 * kPxPerMm) + portrait_w + static_cast<int>(4 * kPxPerMm);
    DrawLabelledRows(card,
                     {{"Surname / Nom", absl::StrJoin(id.surnames, " ")},
                      {"Given names / Prénoms", absl::StrJoin(id.given_names, " ")},
                      {"Nationality", id.nationality},
                      {"Date of birth", ToDisplayDate(id.birth_date)},
                      {"Sex", id.sex == "<" ? "X" : id.sex},
                      {"Date of expiry", ToDisplayDate(id.expiry_date)},
                      {"Document no.", id.document_number}},
                     x0, zone, dark, label);
  }

  // An ID-card back (TD1, where ICAO puts the MRZ): address and issuing
  // data on the left, a barcode or a dot code on the right; no portrait.
  void DrawBackZone(cv::Mat& card, cv::Range zone, const cv::Scalar& dark, const cv::Scalar& label,
                    uint64_t seed) {
    std::mt19937_64 rng(seed);
    static const std::vector<std::string> kEyes = {"BROWN", "BLUE", "GREEN", "GREY"};
    const std::string street = RandomWord(rng, 2, 3);
    const std::string town = RandomWord(rng, 1, 3);
    const std::string authority = RandomWord(rng, 2, 3);
    const int house = UniformInt(rng, 1, 240), post = UniformInt(rng, 10000, 99999);
    const int height_cm = UniformInt(rng, 150, 199);
    const std::string issued = RandomDate(rng, 2014, 2024);
    const int x0 = static_cast<int>(4 * kPxPerMm);
    DrawLabelledRows(
        card,
        {{"Address / Adresse", absl::StrCat(house, " ", street, " STREET")},
         {"", absl::StrCat(post, " ", town)},
         {"Height / Taille", absl::StrCat(height_cm / 100, ".", height_cm % 100, " m")},
         {"Eyes / Yeux", Pick(rng, kEyes)},
         {"Authority / Autorité", authority + " CITY HALL"},
         {"Date of issue", ToDisplayDate(issued)}},
        x0, zone, dark, label);
    // The code block: right third of the zone.
    const cv::Rect block(card.cols * 2 / 3, zone.start + zone.size() / 6, card.cols / 3 - x0,
                         zone.size() * 2 / 3);
    if (Chance(rng, 0.5)) {  // A linear barcode.
      for (int x = block.x; x < block.br().x;) {
        const int bar = UniformInt(rng, 1, 4) * 3, gap = UniformInt(rng, 1, 3) * 3;
        cv::rectangle(card, cv::Rect(x, block.y, std::min(bar, block.br().x - x), block.height),
                      dark, cv::FILLED);
        x += bar + gap;
      }
    } else {  // A dot code.
      constexpr int kCells = 24;
      const int cell = std::max(2, std::min(block.width, block.height) / kCells);
      for (int y = 0; y < kCells; ++y) {
        for (int x = 0; x < kCells; ++x) {
          if (Chance(rng, 0.5)) {
            cv::rectangle(card, cv::Rect(block.x + x * cell, block.y + y * cell, cell, cell), dark,
                          cv::FILLED);
          }
        }
      }
    }
  }

  // What kPhoto prints besides the scan levels' card (nullptr there).
  struct PrintFeatures {
    bool card_back = false;
    bool microtext = false;
    bool security_pattern = false;
    uint64_t seed = 0;
    bool non_ocrb_font = false;  // PhotoEffects::non_ocrb_font.
  };

  // Fine print between and through the MRZ rows, under the OCR-B glyphs:
  // microtext centred in the gaps between rows, guilloche lines through
  // the clear zone.
  void DrawUnderprint(cv::Mat& card, const PrintFeatures& print, double mrz_left, double mrz_top,
                      double line_gap, int n_lines) {
    std::mt19937_64 rng(print.seed);
    const double height = Uniform(rng, 0.22, 0.32) * cap_px_;
    // The tint first, green before blue (random_draws.h).
    const double tint_g = Uniform(rng, -20, 20);
    const double tint_b = Uniform(rng, -20, 20);
    const double grey = Uniform(rng, 90, 150);
    const cv::Scalar micro_ink = cv::Scalar::all(grey) + cv::Scalar(tint_b, tint_g, 0);
    const int waves = UniformInt(rng, 3, 6);
    const cv::Scalar wave_ink = UniformColour(rng, 120, 200);
    std::string words;
    while (words.size() < 400) words += RandomWord(rng, 1, 3) + " UTOPIA ";
    if (print.microtext) {
      for (int l = 0; l + 1 < n_lines; ++l) {
        const double baseline = mrz_top + cap_px_ + l * line_gap;
        const double next_top = mrz_top + (l + 1) * line_gap;
        const double y = (baseline + next_top) / 2 + height / 2;
        Text(*sans_, card, words.substr(static_cast<size_t>(l) * 7),
             cv::Point(static_cast<int>(mrz_left - kPitchMm * kPxPerMm),
                       static_cast<int>(std::lround(y))),
             static_cast<int>(std::lround(height)), micro_ink);
      }
    }
    if (print.security_pattern) {
      const double band_h = line_gap * (n_lines - 1) + cap_px_;
      for (int k = 0; k < waves; ++k) {
        const double y0 = mrz_top + Uniform(rng, 0, band_h);
        const double amp = Uniform(rng, 0.2, 0.8) * line_gap;
        const double period = Uniform(rng, 8, 25) * kPxPerMm;
        const double phase = Uniform(rng, 0, 2 * CV_PI);
        std::vector<cv::Point> pts;
        for (int x = 0; x < card.cols; x += 2) {
          pts.emplace_back(x,
                           static_cast<int>(y0 + amp * std::sin(2 * CV_PI * x / period + phase)));
        }
        cv::polylines(card, pts, false, wave_ink, 1, cv::LINE_AA);
      }
    }
  }

  // Renders the upright card; returns the MRZ band corners in card pixels.
  // `print` adds kPhoto's print features (nullptr: the scan levels' card,
  // drawn from `rng` exactly as before they existed).
  std::array<cv::Point2f, 4> DrawCard(const Identity& id, const std::vector<std::string>& lines,
                                      std::mt19937_64& rng, cv::Mat& card, cv::Rect* portrait,
                                      const PrintFeatures* print = nullptr) {
    const cv::Size2d mm = CardSizeMm(id.format);
    card.create(static_cast<int>(mm.height * kPxPerMm), static_cast<int>(mm.width * kPxPerMm),
                CV_8UC3);
    DrawBackground(card, rng);
    const int W = card.cols, H = card.rows;
    const cv::Scalar dark = UniformColour(rng, 10, 60);
    const cv::Scalar label = UniformColour(rng, 60, 120);
    const int n_lines = static_cast<int>(lines.size());
    const double pitch = kPitchMm * kPxPerMm;
    const double line_gap = Uniform(rng, 4.0, 4.6) * kPxPerMm;
    const double mrz_bottom = H - Uniform(rng, 3.0, 4.5) * kPxPerMm;
    const double mrz_top = mrz_bottom - line_gap * (n_lines - 1) - cap_px_;
    // Visual zone above the MRZ.
    const int title_h = static_cast<int>(4.2 * kPxPerMm);
    Text(*bold_, card, std::string(Title(id.format)),
         cv::Point(static_cast<int>(W * Uniform(rng, 0.25, 0.4)), static_cast<int>(6 * kPxPerMm)),
         title_h, dark);
    Text(*sans_, card, "UTOPIA / SPECIMEN " + id.issuing_state,
         cv::Point(static_cast<int>(4 * kPxPerMm), static_cast<int>(9 * kPxPerMm)), title_h / 2,
         label);
    const int viz_top = static_cast<int>(11 * kPxPerMm);
    const int viz_bottom = static_cast<int>(mrz_top - 2 * kPxPerMm);
    if (print != nullptr && print->card_back) {
      DrawBackZone(card, cv::Range(viz_top, viz_bottom), dark, label, print->seed);
    } else {
      DrawFrontZone(card, id, cv::Range(viz_top, viz_bottom), dark, label, rng, portrait);
    }
    // The MRZ: the clear zone is lighter (9303-3 §4.3), then OCR-B glyphs
    // centred in 2.54 mm cells.
    const double line_w = pitch * static_cast<double>(lines[0].size());
    const double mrz_left = (W - line_w) / 2 + Uniform(rng, -1.5, 1.5) * kPxPerMm;
    cv::Rect clear(0, static_cast<int>(mrz_top - 1.5 * kPxPerMm), W,
                   H - static_cast<int>(mrz_top - 1.5 * kPxPerMm));
    cv::Mat band = card(clear);
    cv::addWeighted(band, 0.45, cv::Mat(band.size(), band.type(), cv::Scalar(250, 250, 250)), 0.55,
                    0, band);
    if (print != nullptr) {
      DrawUnderprint(card, *print, mrz_left, mrz_top, line_gap, n_lines);
    }
    const cv::Scalar mrz_ink = UniformColour(rng, 0, 40);
    const double jitter = 0.4;
    // The not-OCR-B font, book or bold from the print seed
    // (the card's own draws stay as they were).
    const bool mono = print != nullptr && print->non_ocrb_font;
    const bool mono_bold = mono && (print->seed >> 7) % 2 == 1;
    cv::freetype::FreeType2& font = mono ? (mono_bold ? *mono_bold_ : *mono_) : *ocr_b_;
    const int em = mono ? (mono_bold ? mono_bold_em_px_ : mono_em_px_) : em_px_;
    const double* widths = mono ? (mono_bold ? mono_bold_width_ : mono_width_) : glyph_width_;
    for (int l = 0; l < n_lines; ++l) {
      const int baseline = static_cast<int>(mrz_top + cap_px_ + l * line_gap);
      for (size_t i = 0; i < lines[l].size(); ++i) {
        const std::string ch(1, lines[l][i]);
        const double w = widths[static_cast<unsigned char>(lines[l][i])];
        const double x = mrz_left + i * pitch + (pitch - w) / 2 + Uniform(rng, -jitter, jitter);
        Text(font, card, ch, cv::Point(static_cast<int>(std::lround(x)), baseline), em, mrz_ink);
      }
    }
    const float pad = static_cast<float>(0.3 * pitch);
    const float l = static_cast<float>(mrz_left) - pad;
    const float r = static_cast<float>(mrz_left + line_w) + pad;
    const float t = static_cast<float>(mrz_top) - pad;
    const float b = static_cast<float>(mrz_bottom) + pad;
    return {cv::Point2f(l, t), cv::Point2f(r, t), cv::Point2f(r, b), cv::Point2f(l, b)};
  }

  // A kPhoto page: the plan first (so forced effects change nothing else),
  // then the card from its own seed, then the capture.
  GeneratedDocument BuildPhoto(const Identity& id, uint64_t seed, std::mt19937_64& rng) {
    GeneratedDocument doc;
    doc.identity = id;
    doc.level = Level::kPhoto;
    doc.seed = seed;
    absl::StatusOr<std::vector<std::string>> lines = ComposeMrz(id);
    doc.mrz_lines = lines.ok() ? *lines : std::vector<std::string>{};
    internal::PhotoPlan plan = internal::DrawPhotoPlan(id.format, rng);
    if (forced_effects_.has_value()) {
      plan.effects = *forced_effects_;
      plan.effects.card_back = plan.effects.card_back && id.format == MrzFormat::kTd1;
    }
    constexpr uint64_t kPrintSeedSalt = 0x5EC0C0DEull;
    const PrintFeatures print{plan.effects.card_back, plan.effects.microtext,
                              plan.effects.security_pattern, plan.card_seed ^ kPrintSeedSalt,
                              plan.effects.non_ocrb_font};
    std::mt19937_64 card_rng(plan.card_seed);
    internal::DrawnCard card;
    card.mrz_box = DrawCard(id, doc.mrz_lines, card_rng, card.image, &card.portrait, &print);
    card.cap_px = cap_px_;
    card.px_per_mm = kPxPerMm;
    internal::CapturePhoto(card, plan, doc);
    return doc;
  }

  GeneratedDocument Build(const Identity& id, Level level, uint64_t seed, std::mt19937_64& rng) {
    if (level == Level::kPhoto) return BuildPhoto(id, seed, rng);
    GeneratedDocument doc;
    doc.identity = id;
    doc.level = level;
    doc.seed = seed;
    absl::StatusOr<std::vector<std::string>> lines = ComposeMrz(id);
    doc.mrz_lines = lines.ok() ? *lines : std::vector<std::string>{};
    cv::Mat card;
    cv::Rect portrait;
    const std::array<cv::Point2f, 4> box = DrawCard(id, doc.mrz_lines, rng, card, &portrait);

    // Photo geometry per level.
    double glyph_lo = 23, glyph_hi = 26, rot = 0, persp = 0, blur_lo = 0, blur_hi = 0, noise = 0,
           motion_p = 0, light = 0, flip_p = 0;
    int jpeg_lo = 92, jpeg_hi = 95;
    bool glare = false;
    switch (level) {
      case Level::kClean:
        break;
      case Level::kMild:
        glyph_lo = 19;
        glyph_hi = 23;
        rot = 3;
        blur_lo = 0.3;
        blur_hi = 0.7;
        noise = 3;
        jpeg_lo = 75;
        jpeg_hi = 90;
        light = 0.1;
        break;
      case Level::kMedium:
        glyph_lo = 15;
        glyph_hi = 18;
        rot = 8;
        persp = 0.02;
        blur_lo = 0.6;
        blur_hi = 1.0;
        noise = 6;
        motion_p = 0.3;
        jpeg_lo = 45;
        jpeg_hi = 70;
        light = 0.25;
        flip_p = 0.1;
        break;
      case Level::kHard:
        glyph_lo = 11;
        glyph_hi = 13.5;
        rot = 20;
        persp = 0.05;
        blur_lo = 0.8;
        blur_hi = 1.3;
        noise = 10;
        motion_p = 0.4;
        jpeg_lo = 20;
        jpeg_hi = 40;
        light = 0.4;
        flip_p = 0.15;
        glare = true;
        break;
      case Level::kPhoto:
        break;  // BuildPhoto.
    }
    const double glyph = Uniform(rng, glyph_lo, glyph_hi);
    const double scale = glyph / cap_px_;
    doc.glyph_height_px = glyph;
    doc.rotation_degrees = Uniform(rng, -rot, rot);
    doc.upside_down = Chance(rng, flip_p);
    const double angle = (doc.rotation_degrees + (doc.upside_down ? 180.0 : 0.0)) * CV_PI / 180;

    const double cw = card.cols * scale, ch = card.rows * scale;
    const double diag = std::hypot(cw, ch);
    const int canvas_w = static_cast<int>(diag * Uniform(rng, 1.0, 1.1) + 40);
    const int canvas_h =
        static_cast<int>((std::abs(cw * std::sin(angle)) + std::abs(ch * std::cos(angle))) *
                             Uniform(rng, 1.08, 1.25) +
                         40);
    const double center_dy = Uniform(rng, -10, 10);  // y first (random_draws.h).
    const double center_dx = Uniform(rng, -10, 10);
    const cv::Point2f center(static_cast<float>(canvas_w / 2.0 + center_dx),
                             static_cast<float>(canvas_h / 2.0 + center_dy));
    std::vector<cv::Point2f> src = {{0, 0},
                                    {static_cast<float>(card.cols), 0},
                                    {static_cast<float>(card.cols), static_cast<float>(card.rows)},
                                    {0, static_cast<float>(card.rows)}};
    std::vector<cv::Point2f> dst;
    for (const cv::Point2f& p : src) {
      const double x = (p.x - card.cols / 2.0) * scale + Uniform(rng, -persp, persp) * cw;
      const double y = (p.y - card.rows / 2.0) * scale + Uniform(rng, -persp, persp) * cw;
      dst.emplace_back(static_cast<float>(center.x + x * std::cos(angle) - y * std::sin(angle)),
                       static_cast<float>(center.y + x * std::sin(angle) + y * std::cos(angle)));
    }
    const cv::Mat homography = cv::getPerspectiveTransform(src, dst);

    cv::Mat scene(canvas_h, canvas_w, CV_8UC3);
    {
      cv::Mat small(std::max(2, canvas_h / 16), std::max(2, canvas_w / 16), CV_8UC3);
      const double b = Uniform(rng, 40, 170);
      // cv::randn draws from OpenCV's global RNG; seed our own.
      cv::RNG cv_rng(rng());
      cv_rng.fill(small, cv::RNG::NORMAL, cv::Scalar(b, b * Uniform(rng, 0.8, 1.1), b * 0.9),
                  cv::Scalar(18, 18, 18));
      cv::resize(small, scene, scene.size(), 0, 0, cv::INTER_CUBIC);
    }
    cv::warpPerspective(card, scene, homography, scene.size(), cv::INTER_AREA,
                        cv::BORDER_TRANSPARENT);
    std::vector<cv::Point2f> box_in(box.begin(), box.end()), box_out;
    cv::perspectiveTransform(box_in, box_out, homography);
    for (int i = 0; i < 4; ++i) doc.mrz_box[i] = box_out[i];
    std::vector<cv::Point2f> card_out;
    cv::perspectiveTransform(src, card_out, homography);
    for (int i = 0; i < 4; ++i) doc.card_corners[i] = card_out[i];
    if (!portrait.empty()) {
      const cv::Point2f tl(portrait.tl()), br(portrait.br());
      std::vector<cv::Point2f> p_in = {tl, {br.x, tl.y}, br, {tl.x, br.y}}, p_out;
      cv::perspectiveTransform(p_in, p_out, homography);
      for (int i = 0; i < 4; ++i) doc.portrait_box[i] = p_out[i];
    }

    cv::Mat f;
    scene.convertTo(f, CV_32FC3, 1.0 / 255);
    if (light > 0) {
      // Uneven light: a linear falloff in a random direction.
      const double dir = Uniform(rng, 0, 2 * CV_PI), a = Uniform(rng, 0.3, 1.0) * light;
      cv::Mat gain(f.size(), CV_32F);
      for (int y = 0; y < f.rows; ++y) {
        float* g = gain.ptr<float>(y);
        for (int x = 0; x < f.cols; ++x) {
          const double t =
              ((x - f.cols / 2.0) * std::cos(dir) + (y - f.rows / 2.0) * std::sin(dir)) /
              std::max(f.cols, f.rows);
          g[x] = static_cast<float>(1.0 - a * (0.5 + t));
        }
      }
      cv::Mat gain3;
      cv::merge(std::vector<cv::Mat>{gain, gain, gain}, gain3);
      cv::multiply(f, gain3, f);
    }
    if (glare) {
      const double gy = Uniform(rng, 0.1, 0.9);  // y first (random_draws.h).
      const double gx = Uniform(rng, 0.1, 0.9);
      const cv::Point2f g(static_cast<float>(gx * f.cols), static_cast<float>(gy * f.rows));
      const double radius = Uniform(rng, 0.06, 0.15) * std::min(f.cols, f.rows);
      const double peak = Uniform(rng, 0.3, 0.6);
      for (int y = 0; y < f.rows; ++y) {
        cv::Vec3f* row = f.ptr<cv::Vec3f>(y);
        for (int x = 0; x < f.cols; ++x) {
          const double d2 = ((x - g.x) * (x - g.x) + (y - g.y) * (y - g.y)) / (radius * radius);
          if (d2 > 9) continue;
          const float add = static_cast<float>(peak * std::exp(-d2));
          row[x] += cv::Vec3f(add, add, add);
        }
      }
    }
    if (Chance(rng, motion_p)) {
      const int len = UniformInt(rng, 3, level == Level::kHard ? 5 : 4);
      cv::Mat k = cv::Mat::zeros(len, len, CV_32F);
      const double a = Uniform(rng, 0, CV_PI);
      for (int i = 0; i < len; ++i) {
        const double t = i - (len - 1) / 2.0;
        const int x = static_cast<int>(std::lround((len - 1) / 2.0 + t * std::cos(a)));
        const int y = static_cast<int>(std::lround((len - 1) / 2.0 + t * std::sin(a)));
        k.at<float>(y, x) = 1;
      }
      k /= cv::sum(k)[0];
      cv::filter2D(f, f, -1, k);
    } else if (blur_hi > 0) {
      const double sigma = Uniform(rng, blur_lo, blur_hi);
      cv::GaussianBlur(f, f, cv::Size(0, 0), sigma);
    }
    if (noise > 0) {
      cv::Mat n(f.size(), CV_32FC3);
      cv::RNG cv_rng(rng());
      cv_rng.fill(n, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(noise / 255.0));
      f += n;
    }
    f.convertTo(scene, CV_8UC3, 255);
    const int quality = UniformInt(rng, jpeg_lo, jpeg_hi);
    std::vector<uchar> buf;
    cv::imencode(".jpg", scene, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
    doc.jpeg.assign(buf.begin(), buf.end());
    doc.image = cv::imdecode(buf, cv::IMREAD_COLOR);
    return doc;
  }

 public:
  // Measures OCR-B once: em size for the wanted cap height, glyph widths.
  void Calibrate() {
    int base = 0;
    const cv::Size h = ocr_b_->getTextSize("H", 100, -1, &base);
    const cv::Size hh = ocr_b_->getTextSize("HHHHHHHHHHH", 100, -1, &base);
    const double cap_per_em = h.height / 100.0;
    // OCR-B is monospaced: size it so its advance is the 2.54 mm pitch.
    const double advance_per_em = (hh.width - h.width) / 1000.0;
    em_px_ = static_cast<int>(std::lround(kPitchMm * kPxPerMm / advance_per_em));
    cap_px_ = cap_per_em * em_px_;
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<";
    for (char c : alphabet) {
      glyph_width_[static_cast<unsigned char>(c)] =
          ocr_b_->getTextSize(std::string(1, c), em_px_, -1, &base).width;
    }
    // The not-OCR-B fonts at OCR-B's cap height; their
    // glyphs are centred in the same 2.54 mm cells.
    auto measure = [&](cv::freetype::FreeType2& font, int& em, double* widths) {
      const cv::Size m = font.getTextSize("H", 100, -1, &base);
      em = static_cast<int>(std::lround(cap_px_ * 100.0 / std::max(1, m.height)));
      for (char c : alphabet) {
        widths[static_cast<unsigned char>(c)] =
            font.getTextSize(std::string(1, c), em, -1, &base).width;
      }
    };
    measure(*mono_, mono_em_px_, mono_width_);
    measure(*mono_bold_, mono_bold_em_px_, mono_bold_width_);
  }

 private:
  cv::Ptr<cv::freetype::FreeType2> ocr_b_, sans_, bold_, mono_, mono_bold_;
  cv::Mat portrait_image_;                      // Set only during Render.
  std::optional<PhotoEffects> forced_effects_;  // Set only during Render.
  double cap_px_ = 24;
  int em_px_ = 34;
  double glyph_width_[256] = {};
  int mono_em_px_ = 34, mono_bold_em_px_ = 34;
  double mono_width_[256] = {}, mono_bold_width_[256] = {};
};

}  // namespace

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kClean:
      return "clean";
    case Level::kMild:
      return "mild";
    case Level::kMedium:
      return "medium";
    case Level::kHard:
      return "hard";
    case Level::kPhoto:
      return "photo";
  }
  return "?";
}

absl::StatusOr<Level> ParseLevel(absl::string_view name) {
  for (Level l : {Level::kClean, Level::kMild, Level::kMedium, Level::kHard, Level::kPhoto}) {
    if (LevelName(l) == name) return l;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown level '", name, "' (clean, mild, medium, hard, photo)"));
}

std::vector<std::string> PhotoEffectNames(const PhotoEffects& e) {
  const std::pair<bool, const char*> all[] = {
      {e.glare_band, "glare_band"}, {e.shadow, "shadow"},
      {e.low_light, "low_light"},   {e.busy_background, "busy_background"},
      {e.fingers, "fingers"},       {e.defocus, "defocus"},
      {e.moire, "moire"},           {e.lamination, "lamination"},
      {e.microtext, "microtext"},   {e.security_pattern, "security_pattern"},
      {e.card_back, "card_back"},   {e.non_ocrb_font, "non_ocrb_font"}};
  std::vector<std::string> names;
  for (const auto& [on, name] : all) {
    if (on) names.emplace_back(name);
  }
  return names;
}

Identity SampleIdentity() {
  Identity id;
  id.format = MrzFormat::kTd3;
  id.document_code = "P";
  id.issuing_state = "SWE";
  id.surnames = {"ERIKSSON"};
  id.given_names = {"ANNA", "MARIA"};
  id.document_number = "L898902C3";
  id.nationality = "SWE";
  id.birth_date = "740812";
  id.sex = "F";
  id.expiry_date = "350415";
  return id;
}

Identity RandomIdentity(MrzFormat format, std::mt19937_64& rng) {
  static const std::vector<std::string> kStates = {"UTO", "D",   "FRA", "GBR", "USA", "CAN", "ITA",
                                                   "ESP", "NLD", "CHE", "POL", "SWE", "AUT", "BEL",
                                                   "CZE", "JPN", "BRA", "IND", "UKR", "NOR"};
  static const std::vector<std::string> kNationalities = {
      "UTO", "D",   "FRA", "GBR", "USA", "XXA", "GBD", "UNO", "ESP", "ITA",
      "CHN", "TUR", "MAR", "NGA", "ARG", "IRL", "GRC", "PRT", "FIN", "XXX"};
  Identity id;
  id.format = format;
  switch (format) {
    case MrzFormat::kTd3:
      id.document_code = Pick(rng, std::vector<std::string>{"P", "P", "P", "PD", "PO", "PS"});
      break;
    case MrzFormat::kTd1:
      id.document_code = Pick(rng, std::vector<std::string>{"I", "ID", "IR", "AC", "C", "I"});
      break;
    case MrzFormat::kTd2:
      id.document_code = Pick(rng, std::vector<std::string>{"I", "ID", "IP", "AC", "C"});
      break;
    case MrzFormat::kMrvA:
    case MrzFormat::kMrvB:
      id.document_code = Pick(rng, std::vector<std::string>{"V", "VB", "VC", "V"});
      break;
  }
  id.issuing_state = Pick(rng, kStates);
  id.nationality = Chance(rng, 0.6) ? id.issuing_state : Pick(rng, kNationalities);
  const bool long_name = Chance(rng, 0.15);
  const int n_surnames = long_name ? UniformInt(rng, 2, 4) : UniformInt(rng, 1, 2);
  for (int i = 0; i < n_surnames; ++i) id.surnames.push_back(RandomWord(rng, 1, long_name ? 4 : 3));
  const int n_given = long_name ? UniformInt(rng, 2, 4) : UniformInt(rng, 0, 2);
  for (int i = 0; i < n_given; ++i) id.given_names.push_back(RandomWord(rng, 1, long_name ? 4 : 3));
  if (id.given_names.empty() && Chance(rng, 0.5)) id.given_names.push_back(RandomWord(rng, 1, 2));

  const bool can_be_long = format == MrzFormat::kTd1 || format == MrzFormat::kTd2;
  const double r = Uniform(rng, 0, 1);
  if (can_be_long && r < 0.12) {
    // The digits first, then the letters (random_draws.h).
    const int n_digits =
        format == MrzFormat::kTd1 ? UniformInt(rng, 8, 11) : UniformInt(rng, 8, 10);
    const std::string digits = RandomDigits(rng, n_digits);
    id.document_number = RandomAlnum(rng, 2, 1.0) + digits;
  } else if (r < 0.3) {
    const std::string digits = RandomDigits(rng, 7);
    id.document_number = RandomAlnum(rng, 1, 1.0) + digits;  // '<' in the MRZ.
  } else {
    id.document_number = RandomAlnum(rng, UniformInt(rng, 0, 2), 1.0);
    id.document_number += RandomAlnum(rng, 9 - static_cast<int>(id.document_number.size()), 0.15);
  }
  id.birth_date = RandomDate(rng, 1935, 2012);
  id.expiry_date = RandomDate(rng, 2015, 2036);
  id.sex = Pick(rng, std::vector<std::string>{"M", "F", "M", "F", "<"});
  const int optional_max = [&] {
    switch (format) {
      case MrzFormat::kTd3:
        return 14;
      case MrzFormat::kTd2:
        return 7 - static_cast<int>(
                       id.document_number.size() > 9 ? id.document_number.size() - 9 + 2 : 0);
      case MrzFormat::kTd1:
        return 15 - static_cast<int>(
                        id.document_number.size() > 9 ? id.document_number.size() - 9 + 2 : 0);
      case MrzFormat::kMrvA:
        return 16;
      case MrzFormat::kMrvB:
        return 8;
    }
    return 0;
  }();
  if (optional_max > 0 && Chance(rng, 0.5)) {
    id.optional_data = RandomAlnum(rng, UniformInt(rng, 1, optional_max), 0.3);
  }
  if (format == MrzFormat::kTd1 && Chance(rng, 0.4)) {
    id.optional_data_2 = RandomAlnum(rng, UniformInt(rng, 1, 11), 0.2);
  }
  id.filler_optional_check =
      format == MrzFormat::kTd3 && id.optional_data.empty() && Chance(rng, 0.5);
  return id;
}

namespace {

// The fields' characters and sizes (ComposeMrz's preconditions).
absl::Status CheckFields(const Identity& id) {
  for (absl::string_view s :
       {absl::string_view(id.document_code), absl::string_view(id.issuing_state),
        absl::string_view(id.document_number), absl::string_view(id.nationality),
        absl::string_view(id.birth_date), absl::string_view(id.expiry_date),
        absl::string_view(id.optional_data), absl::string_view(id.optional_data_2)}) {
    if (!AllAlnum(s) && !(s.data() == id.birth_date.data() && ocr::IsPartlyUnknownDate(s))) {
      return absl::InvalidArgumentError("non-MRZ character");
    }
  }
  for (const auto* words : {&id.surnames, &id.given_names}) {
    for (const std::string& w : *words) {
      if (w.empty() || !AllAlnum(w)) return absl::InvalidArgumentError("bad name");
    }
  }
  if (id.document_code.empty() || id.document_code.size() > 2 || id.issuing_state.empty() ||
      id.issuing_state.size() > 3 || id.nationality.size() > 3 || id.birth_date.size() != 6 ||
      id.expiry_date.size() != 6 || id.sex.size() != 1 || id.document_number.empty() ||
      id.document_number.size() > 20) {
    return absl::InvalidArgumentError("field does not fit");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ComposeMrz(const Identity& id) {
  if (absl::Status fields = CheckFields(id); !fields.ok()) return fields;
  const std::string code = Pad(id.document_code, 2);
  const std::string state = Pad(id.issuing_state, 3);
  const std::string nat = Pad(id.nationality, 3);
  const std::string birth = id.birth_date + CheckChar(id.birth_date);
  const std::string expiry = id.expiry_date + CheckChar(id.expiry_date);
  const bool long_ok = id.format == MrzFormat::kTd1 || id.format == MrzFormat::kTd2;
  if (id.document_number.size() > 9 && !long_ok) {
    return absl::InvalidArgumentError("document number too long");
  }
  const NumberParts number = ComposeNumber(id.document_number);
  auto fits = [](const std::string& s, size_t n) -> absl::Status {
    if (s.size() > n) return absl::InvalidArgumentError("optional data too long");
    return absl::OkStatus();
  };
  std::vector<std::string> lines;
  switch (id.format) {
    case MrzFormat::kTd1: {
      const std::string opt1 = number.overflow + id.optional_data;
      if (!fits(opt1, 15).ok() || !fits(id.optional_data_2, 11).ok()) {
        return absl::InvalidArgumentError("optional data too long");
      }
      const std::string l1 = code + state + number.field_and_check + Pad(opt1, 15);
      std::string l2 = birth + id.sex + expiry + nat + Pad(id.optional_data_2, 11);
      const std::string composite =
          l1.substr(5, 25) + l2.substr(0, 7) + l2.substr(8, 7) + l2.substr(18, 11);
      l2 += CheckChar(composite);
      lines = {l1, l2, NameField(id, 30)};
      break;
    }
    case MrzFormat::kTd2:
    case MrzFormat::kTd3: {
      const bool td3 = id.format == MrzFormat::kTd3;
      const size_t len = td3 ? 44 : 36;
      std::string l2 = number.field_and_check + nat + birth + id.sex + expiry;
      if (td3) {
        if (!fits(id.optional_data, 14).ok())
          return absl::InvalidArgumentError("optional data too long");
        const std::string personal = Pad(id.optional_data, 14);
        l2 += personal;
        l2 += id.filler_optional_check ? '<' : CheckChar(personal);
      } else {
        const std::string opt = number.overflow + id.optional_data;
        if (!fits(opt, 7).ok()) return absl::InvalidArgumentError("optional data too long");
        l2 += Pad(opt, 7);
      }
      const std::string composite = l2.substr(0, 10) + l2.substr(13, 7) + l2.substr(21, len - 22);
      l2 += CheckChar(composite);
      lines = {code + state + NameField(id, len - 5), l2};
      break;
    }
    case MrzFormat::kMrvA:
    case MrzFormat::kMrvB: {
      const size_t len = id.format == MrzFormat::kMrvA ? 44 : 36;
      if (!fits(id.optional_data, len - 28).ok())
        return absl::InvalidArgumentError("optional data too long");
      if (id.document_code[0] != 'V')
        return absl::InvalidArgumentError("visa code must start with V");
      const std::string l2 =
          number.field_and_check + nat + birth + id.sex + expiry + Pad(id.optional_data, len - 28);
      lines = {code + state + NameField(id, len - 5), l2};
      break;
    }
  }
  return lines;
}

absl::StatusOr<std::unique_ptr<DocumentGenerator>> DocumentGenerator::Create(const Fonts& fonts) {
  auto load = [](const std::string& path) -> absl::StatusOr<cv::Ptr<cv::freetype::FreeType2>> {
    try {
      cv::Ptr<cv::freetype::FreeType2> ft = cv::freetype::createFreeType2();
      ft->loadFontData(path, 0);
      return ft;
    } catch (const cv::Exception& e) {
      return absl::FailedPreconditionError(absl::StrCat("cannot load font ", path));
    }
  };
  auto ocr_b = load(fonts.ocr_b);
  if (!ocr_b.ok()) return ocr_b.status();
  auto sans = load(fonts.sans);
  if (!sans.ok()) return sans.status();
  auto bold = load(fonts.sans_bold);
  if (!bold.ok()) return bold.status();
  auto mono = load(fonts.mono);
  if (!mono.ok()) return mono.status();
  auto mono_bold = load(fonts.mono_bold);
  if (!mono_bold.ok()) return mono_bold.status();
  auto gen = std::make_unique<DocumentGeneratorImpl>(*ocr_b, *sans, *bold, *mono, *mono_bold);
  try {
    gen->Calibrate();
  } catch (const cv::Exception& e) {
    return absl::FailedPreconditionError("cannot measure the OCR-B font");
  }
  return gen;
}

std::string GroundTruthJson(const GeneratedDocument& doc, absl::string_view file_name) {
  nlohmann::json j;
  j["file"] = std::string(file_name);
  j["format"] = std::string(ocr::MrzFormatName(doc.identity.format));
  j["level"] = std::string(LevelName(doc.level));
  j["seed"] = doc.seed;
  j["upside_down"] = doc.upside_down;
  j["rotation_degrees"] = doc.rotation_degrees;
  j["tilt_degrees"] = doc.tilt_degrees;
  j["photo_effects"] = PhotoEffectNames(doc.photo_effects);
  j["glyph_height_px"] = doc.glyph_height_px;
  j["mrz_lines"] = doc.mrz_lines;
  nlohmann::json fields = nlohmann::json::object();
  absl::StatusOr<ocr::ParsedMrz> p = ocr::ParseMrz(doc.mrz_lines);
  if (p.ok()) {
    const ocr::MrzFields& f = p->fields;
    fields = {{"document_code", f.document_code},     {"issuing_state", f.issuing_state},
              {"document_number", f.document_number}, {"surname", f.surname},
              {"given_names", f.given_names},         {"nationality", f.nationality},
              {"birth_date", f.birth_date},           {"sex", f.sex},
              {"expiry_date", f.expiry_date},         {"optional_data", f.optional_data}};
  }
  j["fields"] = fields;
  nlohmann::json box = nlohmann::json::array();
  for (const cv::Point2f& p : doc.mrz_box) box.push_back({p.x, p.y});
  j["mrz_box"] = box;
  return j.dump();
}

}  // namespace vouch::docgen
