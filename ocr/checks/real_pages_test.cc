// The quality checks and fraud signals on the genuine real pages of
// ../shared/corpus (specimens: the tuning part; mrz_real: held out; see
// docs/checks.md, "Calibration"), as received, without an MRZ read (so
// before the service's legibility rule). Skipped without ../shared.
//
// Ceilings, a margin away from `bench_checks --calibrate` (docs/checks.md):
// no genuine real page FAILs after the fraud decision rule, no fraud signal
// FAILs one even on its own, and the share sent to review stays bounded.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "ocr/checks.h"
#include "ocr/image.h"
#include "testing/shared_data.h"

namespace vouch::ocr {
namespace {

namespace fs = std::filesystem;

DocumentType TypeFromName(const std::string& file) {
  if (absl::StartsWith(file, "td3")) return DocumentType::kTd3;
  if (absl::StartsWith(file, "td2")) return DocumentType::kTd2;
  if (absl::StartsWith(file, "td1")) return DocumentType::kTd1;
  if (absl::StartsWith(file, "mrva")) return DocumentType::kMrvA;
  if (absl::StartsWith(file, "mrvb")) return DocumentType::kMrvB;
  return DocumentType::kUnknown;
}

struct PageOutcome {
  std::string file;
  std::vector<CheckResult> checks;  // After ApplyFraudRule.
  std::vector<CheckResult> raw;     // Each signal's own verdict.
};

std::vector<PageOutcome> RunPages(const fs::path& dir) {
  std::vector<PageOutcome> out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string ext = e.path().extension().string();
    const std::string name = e.path().filename().string();
    if (ext != ".jpg" && ext != ".png") continue;
    // MRZ-only strips and camera-app band shots are not pages.
    if (absl::StrContains(name, "mrzonly") || absl::StrContains(name, "camera_")) continue;
    files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    std::ifstream in(p, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    absl::StatusOr<DecodedImage> img = DecodeImage(bytes);
    EXPECT_TRUE(img.ok()) << p << ": " << img.status();
    if (!img.ok()) continue;
    const std::string file = p.filename().string();
    absl::StatusOr<QualityReport> r =
        RunQualityChecks(img->bgr, TelegramSource::kFrontSide,
                         WithDocumentType({}, TypeFromName(file), DocumentSide::kFront), bytes);
    EXPECT_TRUE(r.ok()) << file << ": " << r.status();
    if (!r.ok()) continue;
    PageOutcome o{file, r->checks, r->checks};
    std::vector<CheckResult*> all;
    for (CheckResult& c : o.checks) all.push_back(&c);
    ApplyFraudRule(all);
    out.push_back(std::move(o));
  }
  return out;
}

constexpr double kMaxReviewShare = 0.25;

class RealPagesTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RealPagesTest, NoGenuinePageFailsAndFewGoToReview) {
  VOUCH_REQUIRE_SHARED_DIR();
  const std::vector<PageOutcome> pages =
      RunPages(::vouch::testing::SharedDir() / "corpus" / GetParam());
  ASSERT_GE(pages.size(), 10u);
  int review = 0;
  std::string flagged_list;
  for (const PageOutcome& p : pages) {
    bool flagged = false;
    for (const CheckResult& c : p.checks) {
      // No FAIL from any signal: a genuine user is never asked to retake or
      // rejected by an image check on these pages.
      EXPECT_NE(c.verdict, CheckVerdict::kFail)
          << p.file << ": " << c.name << " " << c.score << " / " << c.threshold << ": " << c.reason;
      if (c.name != "resolution" && c.verdict == CheckVerdict::kReview) {
        flagged = true;
        flagged_list += p.file + ":" + c.name + " ";
      }
    }
    for (const CheckResult& c : p.raw) {
      // A fraud signal is not even certain on its own on a genuine page.
      if (c.kind == CheckKind::kFraud) {
        EXPECT_NE(c.verdict, CheckVerdict::kFail) << p.file << ": " << c.name << " " << c.score;
      }
    }
    review += flagged;
  }
  // Measured: specimens 1 of 21 pages to review, mrz_real 1 of 14 (4 and
  // 1 while glare read white paper ending at the print as a highlight's
  // halo, 6 and 1 while cut-off read an outline around the whole picture
  // as a tight crop; docs/checks.md), before the service's legibility
  // rule (which passes a read page's uncertain quality checks): screen on
  // the payment card and on a two-page passport scan. The bound (a quarter
  // of the pages; it was 0.55 before the glare fade test) leaves room for a page or two.
  std::printf("%s: %d of %zu pages to review: %s\n", GetParam(), review, pages.size(),
              flagged_list.c_str());
  EXPECT_LE(review, static_cast<int>(kMaxReviewShare * pages.size()))
      << "of " << pages.size() << ": " << flagged_list;
}

INSTANTIATE_TEST_SUITE_P(Corpus, RealPagesTest, ::testing::Values("specimens", "mrz_real"));

}  // namespace
}  // namespace vouch::ocr
