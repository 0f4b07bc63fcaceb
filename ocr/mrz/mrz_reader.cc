// MRZ reading from a page image: the reader's front door. Band location
// (band_locator.h), segmentation (segmentation.h), recognition
// (recognition.h) and the verdict (mrz_verdict.h) live in their own files;
// this one searches bands and orientations, asks the second recogniser, and
// holds the models.

#include "ocr/mrz_reader.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "mrz/band_locator.h"
#include "mrz/fallback_reader.h"
#include "mrz/glyph_classifier.h"
#include "mrz/mrz_decoder.h"
#include "mrz/mrz_reader_internal.h"
#include "mrz/mrz_verdict.h"
#include "mrz/recognition.h"
#include "mrz/segmentation.h"
#include "mrz/tesseract_line_reader.h"
#include "opencv2/imgproc.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace vouch::ocr {
namespace {

using internal::DecodedMrz;
using internal::GlyphClassifier;
using internal::ReadAttempt;

// Once some band decodes, the others get this many more chances only.
constexpr int kBandsTriedAfterDecode = 2;
// A read failing at least this many field check digits (the composite not
// counted) is garbled enough to try the next page variant; one failing
// field is a look-alike ambiguity the decoder and the tie-break settle, and
// re-reading the same pixels with another contrast until the check digit
// passes would be a check-digit-driven rewrite by other means.
constexpr int kFailedFieldChecksForRetry = 2;
// Mean best glyph score (ReadAttempt::mean_best) from which a read with
// failing checks counts as printed that way rather than garbled. On
// generated hard and photo pages (seeds 1000-1039) reads of junk or of a
// wrong band score below -4, reads that come out `valid` mostly above -2;
// the printed-invalid real scans score about -0.7.
constexpr double kPrintedInvalidMinGlyphFit = -2.0;
// An upright read that decodes (its checks failing) with a mean best glyph
// score from this level is not read upside down too: glyphs read upside
// down fit the model far worse, and the flipped read of such a band would
// replace the upright one only by fitting better or by passing every check.
// Measured on the real sets and 400 generated tuning pages (hard and photo,
// seeds 8000-8199; docs/ocr.md): of 154 upright reads that
// decoded with failing checks, the flipped read won only where the upright
// one scored -3.2 or less; the level is the printed-invalid one, with that
// margin. It saves a band read on documents printed invalid.
constexpr double kUprightFitSkipsFlip = kPrintedInvalidMinGlyphFit;
// kMinValidGlyphFit (recognition.h): glyphs that fit no better than junk.
using internal::kMinValidGlyphFit;
// The document code's first letter on a passport (TD3, ICAO 9303-4).
constexpr char kPassportCodeLetter = 'P';

// The second recogniser's reading of an attempt's line images, read once
// per line on demand.
class TesseractOpinion final : public internal::SecondOpinion {
 public:
  // `tesseract` and `other` (the not-OCR-B fallback model) may be null;
  // `attempt` and the readers must outlive this object.
  TesseractOpinion(internal::TesseractLineReader* tesseract, internal::TesseractLineReader* other,
                   const ReadAttempt& attempt)
      : tesseract_(tesseract),
        other_(other),
        attempt_(attempt),
        cache_(attempt.line_images.size()),
        other_cache_(attempt.line_images.size()),
        raw_cache_(attempt.line_images.size()),
        symbols_cache_(attempt.line_images.size()) {}

  std::string LineText(int line) override { return Read(tesseract_, cache_, line); }
  std::string OtherLineText(int line) override { return Read(other_, other_cache_, line); }
  std::string RawLineText(int line) override {
    return Read(tesseract_, raw_cache_, line, /*raw_line=*/true);
  }
  // The first model's symbols with their alternatives (the tie-break), read
  // once per line: the judgement and the not-OCR-B fallback's judgement of
  // the same line images ask alike.
  const absl::StatusOr<std::vector<internal::TesseractLineReader::Symbol>>& LineSymbols(int line) {
    if (!symbols_cache_[line])
      symbols_cache_[line] = tesseract_->ReadLineSymbols(attempt_.line_images[line]);
    return *symbols_cache_[line];
  }

 private:
  std::string Read(internal::TesseractLineReader* reader,
                   std::vector<std::optional<std::string>>& cache, int line,
                   bool raw_line = false) {
    if (reader == nullptr || line < 0 || line >= static_cast<int>(attempt_.line_images.size())) {
      return {};
    }
    if (!cache[line]) {
      absl::StatusOr<std::string> text = reader->ReadLine(attempt_.line_images[line], raw_line);
      cache[line] = text.ok() ? *text : std::string();
    }
    return *cache[line];
  }

  internal::TesseractLineReader* tesseract_;
  internal::TesseractLineReader* other_;
  const ReadAttempt& attempt_;
  std::vector<std::optional<std::string>> cache_, other_cache_, raw_cache_;
  std::vector<std::optional<absl::StatusOr<std::vector<internal::TesseractLineReader::Symbol>>>>
      symbols_cache_;
};

// Whether a colour page's `channels` are all alike (a gray scan stored in
// colour, a UV capture): its brightest channel is then the gray page
// itself, and searching it again would find the same bands and make the
// same reads.
bool GrayInColour(const std::vector<cv::Mat>& channels) {
  for (size_t c = 1; c < channels.size(); ++c) {
    if (cv::countNonZero(channels[c] != channels[0]) != 0) return false;
  }
  return true;
}

class MrzReaderImpl final : public MrzReader {
 public:
  MrzReaderImpl(std::unique_ptr<GlyphClassifier> classifier,
                std::unique_ptr<internal::TesseractLineReader> tesseract,
                std::unique_ptr<internal::TesseractLineReader> fallback, MrzReaderOptions options)
      : classifier_(std::move(classifier)),
        tesseract_(std::move(tesseract)),
        fallback_(std::move(fallback)),
        options_(std::move(options)) {}

  absl::StatusOr<std::optional<MrzReadResult>> Read(const cv::Mat& page) override {
    if (page.empty() || page.depth() != CV_8U ||
        (page.channels() != 1 && page.channels() != 3 && page.channels() != 4)) {
      return absl::InvalidArgumentError("page must be a non-empty 8-bit image");
    }
    try {
      return ReadImpl(page);
    } catch (const cv::Exception& e) {
      return absl::InternalError(absl::StrCat("MRZ reading failed: ", e.what()));
    }
  }

  // For training tools (mrz_reader_internal.h): the read of `page` whose
  // segmentation has truth's shape and whose decoded text agrees with
  // `truth_flat` (the truth lines concatenated) on the most characters;
  // `agree` gets that count. Same band search as ReadImpl on gray.
  // May throw cv::Exception.
  std::optional<ReadAttempt> BestAttemptFor(const cv::Mat& page, const std::string& truth_flat,
                                            size_t& agree) {
    const cv::Mat gray = internal::GrayPage(page);
    std::optional<ReadAttempt> best;
    agree = 0;
    int tried_after_decode = 0;
    for (const cv::RotatedRect& r : internal::LocateBands(gray)) {
      // Once some band decodes, give the others two more chances only.
      if (best && best->decoded && ++tried_after_decode > kBandsTriedAfterDecode) break;
      for (bool flip : {false, true}) {
        ReadAttempt a = internal::ReadBand(gray, r, flip, *classifier_);
        if (!a.decoded || a.thumbs.size() != truth_flat.size()) continue;
        std::string read;
        for (const std::string& l : a.decoded->lines) read += l;
        if (read.size() != truth_flat.size()) continue;
        size_t n = 0;
        for (size_t i = 0; i < read.size(); ++i) n += read[i] == truth_flat[i];
        if (n > agree) {
          agree = n;
          best = std::move(a);
        }
      }
    }
    return best;
  }

 private:
  std::optional<MrzReadResult> ReadImpl(const cv::Mat& page) {
    const cv::Mat gray = internal::GrayPage(page);
    std::optional<ReadAttempt> best;
    // Whether every check of `a` passes on glyphs that fit the model better
    // than junk does (kMinValidGlyphFit). The decoder's constrained search
    // can make the check digits of junk pass (a band read upside down, a
    // wrong band); such a read is never `valid`, so it must neither end
    // the search nor beat a read of the right glyphs.
    auto checks_out = [](const ReadAttempt& a) {
      return a.decoded && a.decoded->refused.empty() && a.mean_best >= kMinValidGlyphFit &&
             ParseMrz(a.decoded->lines).value_or(ParsedMrz{}).valid();
    };
    // Glyphs read upside down fit the classifier far worse than upright
    // ones, so the glyph fit decides; a read that checks out wins.
    auto better = [&](const ReadAttempt& a, const ReadAttempt& b) {
      if (a.decoded.has_value() != b.decoded.has_value()) return a.decoded.has_value();
      const bool a_valid = checks_out(a);
      const bool b_valid = checks_out(b);
      if (a_valid != b_valid) return a_valid;
      return a.mean_best > b.mean_best;
    };
    // Whether the next page variant may help: nothing MRZ-like found,
    // nothing decoded, a read whose glyphs fit like junk (kMinValidGlyphFit)
    // or a garbled read (kFailedFieldChecksForRetry failing field checks),
    // unless the read fits the glyph model well
    // (kPrintedInvalidMinGlyphFit) and every failing check is trusted as
    // printed (FailingCheckPassChance below the verdict's 1 -
    // min_field_confidence: no plausible misread of its own glyphs makes
    // the check pass). That is a document printed wrong; another variant
    // could only replace it by a read whose checks pass, i.e. a misread.
    auto worth_retry = [&]() {
      if (!best || !best->decoded) return true;
      // Glyphs that fit the model no better than junk are no look-alike
      // ambiguity: a wrong band or orientation, or print the variant lost.
      if (best->mean_best < kMinValidGlyphFit) return true;
      const absl::StatusOr<ParsedMrz> parsed = ParseMrz(best->decoded->lines);
      if (!parsed.ok()) return true;
      int failed = 0;
      bool all_trusted = true;
      for (const MrzCheckResult& c : parsed->checks) {
        if (c.passed || c.check == MrzCheck::kComposite) continue;
        ++failed;
        all_trusted = all_trusted && internal::FailingCheckPassChance(*best->decoded, c.check) <
                                         1.0 - options_.min_field_confidence;
      }
      return failed >= kFailedFieldChecksForRetry &&
             (!all_trusted || best->mean_best < kPrintedInvalidMinGlyphFit);
    };
    // Per page variant searched: the image and its bands
    // found in two collinear pieces, joined (LocateBands).
    std::vector<std::pair<cv::Mat, std::vector<cv::RotatedRect>>> joined;
    auto search_bands = [&](const cv::Mat& g, const std::vector<cv::RotatedRect>& bands) {
      std::optional<ReadAttempt> found;
      int tried_after_decode = 0;
      for (const cv::RotatedRect& r : bands) {
        // Once some band decodes, give the others two more chances only.
        if (found && found->decoded && ++tried_after_decode > kBandsTriedAfterDecode) break;
        internal::BandGeometry geometry;  // Found upright, reused flipped.
        for (bool flip : {false, true}) {
          ReadAttempt attempt = internal::ReadBand(g, r, flip, *classifier_, &geometry);
          if (!attempt.mrz_like) continue;
          // An upright read that checks out needs no flip; nor does one that
          // decodes and fits the glyph model well (kUprightFitSkipsFlip).
          const bool done = checks_out(attempt) ||
                            (!flip && attempt.decoded && attempt.mean_best >= kUprightFitSkipsFlip);
          if (!found || better(attempt, *found)) found = std::move(attempt);
          if (done) break;
        }
        if (found && checks_out(*found)) break;
      }
      // A later page variant replaces an earlier read only with one whose
      // checks all pass: contrast stretching can make wrong glyphs fit the
      // model better, so the glyph fit alone must not prefer it.
      return found;
    };
    auto search = [&](const cv::Mat& g) {
      std::vector<cv::RotatedRect> pieces;
      std::optional<ReadAttempt> found = search_bands(g, internal::LocateBands(g, &pieces));
      if (!pieces.empty()) joined.emplace_back(g, std::move(pieces));
      if (found && (!best || (checks_out(*found) && better(*found, *best)))) {
        best = std::move(found);
      }
    };
    // Page variants, tried in turn while worth_retry(): plain gray; for
    // colour pages the brightest channel; then the flattened dark ink of the
    // last of these.
    search(gray);
    cv::Mat ink = gray;
    if (page.channels() >= 3) {
      // Coloured print (a red stamp, a tinted security pattern) touching
      // the MRZ merges with its glyphs in plain gray. The MRZ is printed
      // in dark ink, which stays dark in every channel, while coloured ink
      // is light in at least one: the brightest channel keeps the MRZ and
      // drops the colour.
      std::vector<cv::Mat> channels;
      cv::split(page, channels);
      const bool gray_page = GrayInColour(channels);
      // A new buffer: assigning the expression to `ink`, which shares the
      // gray page's data, would overwrite the gray page (read again below
      // through `joined`).
      cv::Mat brightest = cv::max(cv::max(channels[0], channels[1]), channels[2]);
      ink = brightest;
      if (!gray_page && worth_retry()) search(ink);
    }
    // Glare, shadows, fine print and guilloches through the MRZ: the page
    // with its paper flattened and its light ink dropped (FlattenDarkInk).
    if (worth_retry()) search(internal::FlattenDarkInk(ink));
    // Last, while still worth_retry() after every variant:
    // the bands a glare band, a shadow or a finger split in two, joined.
    // Such a read replaces the best one (or no MRZ at all) only when every
    // check passes: a joined band is a guess at where the MRZ runs, and a
    // garbled read of it must neither stand for a read of a whole band nor
    // turn a page without an MRZ into an unreadable one; and a read printed
    // wrong (not worth_retry) is never searched again for one that passes.
    for (const auto& [g, pieces] : joined) {
      if (!worth_retry()) break;
      std::optional<ReadAttempt> found = search_bands(g, pieces);
      if (found && checks_out(*found)) best = std::move(found);
    }
    if (!best) return std::nullopt;
    // One second opinion for the read and its fallback (same line images).
    TesseractOpinion second(tesseract_.get(), fallback_.get(), *best);
    MrzReadResult judged = Judge(*best, second);
    if (judged.verdict != MrzVerdict::kValid) {
      // Not where a recogniser broke a tie among corrections that pass a
      // check digit (`tie_broken:`): the checks cannot tell those readings
      // apart, and such a field goes to review whoever breaks the tie.
      const bool tie_broken =
          std::any_of(judged.reasons.begin(), judged.reasons.end(),
                      [](const std::string& r) { return absl::StartsWith(r, "tie_broken:"); });
      std::optional<MrzReadResult> agreed;
      if (!tie_broken) agreed = ReadAgreedLookAlikes(*best, second);
      // Only a read the verdict trusts in full replaces the one as read.
      if (agreed && agreed->verdict == MrzVerdict::kValid) return *std::move(agreed);
      if (std::optional<MrzReadResult> fused = ReadNotOcrB(*best, second)) {
        // At an equal verdict the fused lines go to review: where they
        // differ, two recognisers agree on them and the glyph model was
        // unsure.
        if (Rank(fused->verdict) >= Rank(judged.verdict)) return *std::move(fused);
      }
    }
    return judged;
  }

  // kValid above kInvalid above kUnreadable: a read we trust beats one we
  // do not.
  static int Rank(MrzVerdict v) {
    return v == MrzVerdict::kValid ? 2 : v == MrzVerdict::kInvalid ? 1 : 0;
  }

  // The fallback for MRZs not printed in OCR-B (fallback_reader.h): both
  // Tesseract models read the lines (`second` is the first model's
  // reading of `a`; the other model reads only lines the first reads
  // differently from the glyph model); a line both read alike replaces the
  // glyph model's where it was unsure; the result is decoded and judged
  // like any read. nullopt without a fallback model or when no line
  // changes.
  std::optional<MrzReadResult> ReadNotOcrB(const ReadAttempt& a, TesseractOpinion& second) {
    if (!tesseract_ || !fallback_ || !a.decoded || a.line_images.size() != a.scores.size()) {
      return std::nullopt;
    }
    // Glyphs that fit OCR-B poorly (a font the glyph model was not trained
    // on): one recogniser's reading may stand in the fields a check digit
    // of their own covers (FuseAgreedLines, `lone_checked`).
    const bool lone_checked = a.mean_best < kPrintedInvalidMinGlyphFit;
    std::vector<std::string> first, other;
    for (size_t k = 0; k < a.line_images.size(); ++k) {
      const std::vector<float>& confidence = a.decoded->confidence[k];
      if (std::all_of(confidence.begin(), confidence.end(),
                      [](float c) { return c >= internal::kUnsureGlyphConfidence; })) {
        // FuseAgreedLines never overrides a line the glyph model reads
        // confidently throughout: neither model needs to read it.
        first.emplace_back();
        other.emplace_back();
        continue;
      }
      first.push_back(second.LineText(static_cast<int>(k)));
      const std::optional<std::string> fitted =
          internal::FitToLength(first.back(), static_cast<int>(a.scores[k].size()));
      if (fitted ? *fitted == a.decoded->lines[k] : !lone_checked) {
        other.emplace_back();  // Nothing to replace: the other model is not asked.
        continue;
      }
      other.push_back(second.OtherLineText(static_cast<int>(k)));
    }
    std::optional<std::vector<std::vector<internal::CharScores>>> fused =
        internal::FuseAgreedLines(a.scores, *a.decoded, first, other, lone_checked);
    if (!fused) return std::nullopt;
    absl::StatusOr<DecodedMrz> decoded = internal::DecodeMrz(a.decoded->format, *fused);
    if (!decoded.ok()) return std::nullopt;
    ReadAttempt f = a;
    f.scores = *std::move(fused);
    f.decoded = *std::move(decoded);
    // The glyph model's own lines: a rival reading the verdict weighs
    // against the fused one (DecodedMrz::glyph_lines).
    f.decoded->glyph_lines = a.decoded->lines;
    return Judge(f, second);
  }

  // The read with the look-alikes both Tesseract models agree on where the
  // glyph model is split (fallback_reader.h, AgreedLookAlike) put in,
  // decoded and judged like any read; nullopt without both models or
  // when there is no such look-alike. The models read only lines with a
  // candidate cell (LookAlikeCandidates).
  std::optional<MrzReadResult> ReadAgreedLookAlikes(const ReadAttempt& a,
                                                    TesseractOpinion& second) {
    if (!tesseract_ || !fallback_ || !a.decoded || a.line_images.size() != a.scores.size()) {
      return std::nullopt;
    }
    std::vector<internal::AgreedLookAlike> agreed;
    for (int k = 0; k < static_cast<int>(a.scores.size()); ++k) {
      const std::vector<internal::AgreedLookAlike> candidates =
          internal::LookAlikeCandidates(*a.decoded, k);
      if (candidates.empty()) continue;
      for (const internal::AgreedLookAlike& found : internal::AgreedLookAlikes(
               *a.decoded, candidates, {second.LineText(k), second.RawLineText(k)},
               second.OtherLineText(k))) {
        agreed.push_back(found);
      }
    }
    if (agreed.empty()) return std::nullopt;
    internal::DecoderOptions options;
    options.glyph_scores = true;
    ReadAttempt f = a;
    f.scores = internal::WithLookAlikes(a.scores, *a.decoded, agreed);
    absl::StatusOr<DecodedMrz> decoded = internal::DecodeMrz(a.decoded->format, f.scores, options);
    if (!decoded.ok()) return std::nullopt;
    f.decoded = *std::move(decoded);
    return Judge(f, second);
  }

  // `second`: the second recogniser's reading of `a`'s line images.
  MrzReadResult Judge(const ReadAttempt& a, TesseractOpinion& second) {
    MrzReadResult result;
    result.box = a.box;
    if (!a.decoded) {
      result.reasons.push_back("undecodable");
      return result;
    }
    DecodedMrz d = *a.decoded;
    if (tesseract_ && std::any_of(d.refused.begin(), d.refused.end(),
                                  [](MrzCheck c) { return c != MrzCheck::kComposite; })) {
      // A field correction was refused as ambiguous: decode again, letting
      // the second recogniser break the tie among corrections that pass the
      // check digit. Such a field never counts as confident (see below).
      internal::DecoderOptions retry;
      retry.tie_breaker = [&](MrzCheck, const std::vector<internal::CorrectionCandidate>& c) {
        return SecondReaderPicks(a, c, second);
      };
      absl::StatusOr<DecodedMrz> again = internal::DecodeMrz(d.format, a.scores, retry);
      if (again.ok() && !again->tie_broken.empty()) d = *std::move(again);
    }
    // Cells cut by the band's edge or touched by foreign ink.
    d.cut.clear();
    d.foreign_ink.clear();
    for (const std::vector<float>& line : a.ink_reach) {
      std::vector<bool>& cut = d.cut.emplace_back(line.size(), false);
      std::vector<bool>& touched = d.foreign_ink.emplace_back(line.size(), false);
      for (size_t i = 0; i < line.size(); ++i) {
        cut[i] = line[i] >= internal::kCutCellReach;
        touched[i] = line[i] >= internal::kForeignInkReachCaps;
      }
    }
    internal::VerdictOptions verdict;
    verdict.min_field_confidence = options_.min_field_confidence;
    verdict.today = options_.today.value_or(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()));
    MrzReadResult judged = internal::JudgeMrz(d, second, verdict);
    judged.box = a.box;
    judged.glyph_fit = a.mean_best;
    if (judged.verdict == MrzVerdict::kValid && a.mean_best < kMinValidGlyphFit) {
      judged.verdict = MrzVerdict::kUnreadable;
      judged.reasons.push_back("poor_glyph_fit");
    }
    // An MRV-B whose lines may go on past cell 36 may be an
    // MRV-A cut short, and a TD2 with a passport's document code `P` (ICAO
    // gives TD2s `A`, `C` or `I`) a TD3 cut short
    // (ReadAttempt::line_may_continue): never `valid`. A TD3's second line
    // has a TD2's fields and checks up to cell 28, so a cut one needs only
    // its cell 36 to pass as the TD2's composite: docgen hard seed 8155,
    // a filler read as the composite's `4`, its names read verbatim. Not
    // every TD2: on photos a card's edge or background next to its MRZ
    // makes genuine ones look as if they went on (docgen photo seeds 8037,
    // 8062).
    const bool cut_td3 = d.format == MrzFormat::kTd2 && !d.lines.empty() && !d.lines[0].empty() &&
                         d.lines[0][0] == kPassportCodeLetter;
    if (judged.verdict == MrzVerdict::kValid && (d.format == MrzFormat::kMrvB || cut_td3) &&
        a.line_may_continue) {
      judged.verdict = MrzVerdict::kUnreadable;
      judged.reasons.push_back("unproven_line_end");
    }
    return judged;
  }

  // The one correction candidate the second recogniser supports around the
  // edits (the union of every candidate's edited positions, two more each
  // side, every character among its alternatives with some confidence);
  // -1 when none or several are.
  int SecondReaderPicks(const ReadAttempt& a,
                        const std::vector<internal::CorrectionCandidate>& candidates,
                        TesseractOpinion& second) {
    if (candidates.empty()) return -1;
    const int line = candidates.front().line;
    int lo = 1 << 20, hi = -1;
    for (const internal::CorrectionCandidate& c : candidates) {
      if (c.line != line || c.positions.empty()) return -1;
      for (int p : c.positions) {
        lo = std::min(lo, p);
        hi = std::max(hi, p);
      }
    }
    const int len = static_cast<int>(candidates.front().lines[line].size());
    lo = std::max(0, lo - 2);
    hi = std::min(len - 1, hi + 2);
    if (hi - lo + 1 < 5) return -1;
    if (!tesseract_ || line >= static_cast<int>(a.line_images.size())) return -1;
    const absl::StatusOr<std::vector<internal::TesseractLineReader::Symbol>>& symbols =
        second.LineSymbols(line);
    if (!symbols.ok()) return -1;
    const int n = static_cast<int>(symbols->size());
    // A candidate is supported when, at some offset, every character of its
    // window is among the second recogniser's alternatives for the aligned
    // symbol with a confidence of at least kMinSupport (of 100): Tesseract
    // lists nearly every look-alike, mostly at 0.
    constexpr float kMinSupport = 30;
    auto supported = [&](const std::string& cand) {
      const int w = hi - lo + 1;
      for (int off = 0; off + w <= n; ++off) {
        bool all = true;
        for (int k = 0; k < w && all; ++k) {
          const auto& sym = (*symbols)[off + k];
          const size_t at = sym.alternatives.find(cand[lo + k]);
          all = at != std::string::npos && sym.confidences[at] >= kMinSupport;
        }
        if (all) return true;
      }
      return false;
    };
    int chosen = -1;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (!supported(candidates[i].lines[line])) continue;
      if (chosen >= 0) return -1;  // Two candidates supported: no tie broken.
      chosen = static_cast<int>(i);
    }
    return chosen;
  }

  std::unique_ptr<GlyphClassifier> classifier_;
  std::unique_ptr<internal::TesseractLineReader> tesseract_;
  std::unique_ptr<internal::TesseractLineReader> fallback_;  // May be null.
  MrzReaderOptions options_;
};

// MrzReaderOptions::keep_image_buffers_in_heap: blocks below
// kHeapBlockLimit come from the heap (glibc's default maps blocks from
// 128 kB on, raising that limit only as mapped blocks are freed), and the
// heap's free top is handed back only beyond kHeapTrimLimit; the heap grows
// by kHeapTopPad at a time (address space; pages are touched when used).
constexpr int kHeapBlockLimit = 32 << 20;
constexpr int kHeapTrimLimit = 256 << 20;
constexpr int kHeapTopPad = 64 << 20;

void KeepImageBuffersInHeap() {
#if defined(__GLIBC__)
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, kHeapBlockLimit);
    mallopt(M_TRIM_THRESHOLD, kHeapTrimLimit);
    mallopt(M_TOP_PAD, kHeapTopPad);
  });
#endif
}

// The other Tesseract model for the not-OCR-B fallback: eng when the
// second recogniser is the MRZ model, else the MRZ model beside the glyph
// model; nullopt when there is none.
std::optional<SecondRecogniser> ResolveFallbackRecogniser(const MrzReaderOptions& options,
                                                          const SecondRecogniser& second) {
  if (second.language != "mrz") {
    MrzReaderOptions mrz = options;
    mrz.tesseract_language.clear();
    mrz.tessdata_dir.clear();
    const SecondRecogniser r = ResolveSecondRecogniser(mrz);
    if (r.language == "mrz") return r;
    return std::nullopt;
  }
  return SecondRecogniser{"", "eng"};
}

}  // namespace

SecondRecogniser ResolveSecondRecogniser(const MrzReaderOptions& options) {
  if (!options.tesseract_language.empty()) {
    return {options.tessdata_dir, options.tesseract_language};
  }
  // The project's MRZ model (models/mrz/tesseract/mrz.traineddata): it reads
  // the reader's own line crops far better than Debian's eng
  // (models/mrz/tesseract/README.md, docs/ocr.md).
  constexpr char kModel[] = "mrz";
  std::filesystem::path dir = options.tessdata_dir;
  if (dir.empty() && !options.glyph_model.empty()) {
    dir = std::filesystem::path(options.glyph_model).parent_path() / "tesseract";
  }
  std::error_code ec;
  if (!dir.empty() &&
      std::filesystem::is_regular_file(dir / (std::string(kModel) + ".traineddata"), ec)) {
    return {dir.string(), kModel};
  }
  return {options.tessdata_dir, "eng"};
}

absl::StatusOr<std::unique_ptr<MrzReader>> MrzReader::Create(const MrzReaderOptions& options) {
  if (options.keep_image_buffers_in_heap) KeepImageBuffersInHeap();
  absl::StatusOr<std::unique_ptr<GlyphClassifier>> classifier;
  if (options.glyph_model.empty()) {
    classifier = GlyphClassifier::Create(options.ocr_b_font);
  } else {
    absl::StatusOr<std::vector<internal::GlyphSample>> samples =
        internal::LoadGlyphModel(options.glyph_model);
    if (!samples.ok()) {
      return absl::FailedPreconditionError(samples.status().message());
    }
    classifier = GlyphClassifier::FromSamples(*samples);
  }
  if (!classifier.ok()) return classifier.status();
  std::unique_ptr<internal::TesseractLineReader> tesseract, fallback;
  if (options.use_tesseract) {
    const SecondRecogniser second = ResolveSecondRecogniser(options);
    auto t = internal::TesseractLineReader::Create(second.tessdata_dir, second.language);
    if (!t.ok()) return t.status();
    tesseract = *std::move(t);
    const std::optional<SecondRecogniser> other =
        options.use_fallback_recogniser ? ResolveFallbackRecogniser(options, second) : std::nullopt;
    if (other) {
      // Optional: without it, MRZs not printed in OCR-B go to review.
      auto f = internal::TesseractLineReader::Create(other->tessdata_dir, other->language);
      if (f.ok()) fallback = *std::move(f);
    }
  }
  return std::make_unique<MrzReaderImpl>(*std::move(classifier), std::move(tesseract),
                                         std::move(fallback), options);
}

}  // namespace vouch::ocr

namespace vouch::ocr::internal {

namespace {

// The reader's attempt on `page` that agrees best with `truth` (its lines
// concatenated into *truth_flat), when it agrees on at least half of the
// characters; nullopt otherwise.
std::optional<ReadAttempt> BestLabelledAttempt(MrzReader& reader, const cv::Mat& page,
                                               const std::vector<std::string>& truth,
                                               std::string* truth_flat) {
  auto* impl = dynamic_cast<MrzReaderImpl*>(&reader);
  if (impl == nullptr || page.empty() || page.depth() != CV_8U || truth.empty()) {
    return std::nullopt;
  }
  truth_flat->clear();
  for (const std::string& l : truth) *truth_flat += l;
  std::optional<ReadAttempt> best;
  size_t best_agree = 0;
  try {
    best = impl->BestAttemptFor(page, *truth_flat, best_agree);
  } catch (const cv::Exception&) {
    return std::nullopt;
  }
  if (!best || best_agree * 2 < truth_flat->size()) return std::nullopt;
  return best;
}

}  // namespace

std::vector<GlyphSample> CollectLabelledCells(MrzReader& reader, const cv::Mat& page,
                                              const std::vector<std::string>& truth) {
  std::string truth_flat;
  const std::optional<ReadAttempt> best = BestLabelledAttempt(reader, page, truth, &truth_flat);
  if (!best) return {};
  std::vector<GlyphSample> out;
  for (size_t i = 0; i < truth_flat.size(); ++i) {
    out.push_back({MrzIndex(truth_flat[i]), best->thumbs[i]});
  }
  return out;
}

std::vector<LabelledLine> CollectLabelledLines(MrzReader& reader, const cv::Mat& page,
                                               const std::vector<std::string>& truth,
                                               double min_line_agreement) {
  std::string truth_flat;
  const std::optional<ReadAttempt> best = BestLabelledAttempt(reader, page, truth, &truth_flat);
  if (!best || best->line_images.size() != truth.size() ||
      best->decoded->lines.size() != truth.size()) {
    return {};
  }
  std::vector<LabelledLine> out;
  for (size_t k = 0; k < truth.size(); ++k) {
    const std::string& read = best->decoded->lines[k];
    if (read.size() != truth[k].size() || best->line_images[k].empty()) continue;
    size_t n = 0;
    for (size_t i = 0; i < read.size(); ++i) n += read[i] == truth[k][i];
    if (static_cast<double>(n) < min_line_agreement * static_cast<double>(read.size())) {
      continue;  // The grid is likely off by a cell: the crop may miss a glyph.
    }
    out.push_back({truth[k], best->line_images[k]});
  }
  return out;
}

}  // namespace vouch::ocr::internal
