// Document detection and rectification, and the perceptual hash.

#include "ocr/document.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "checks/quality_internal.h"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr {
namespace {

// Detection runs on a copy whose long side is this many pixels: the outline
// of a document needs no more, and it keeps detection well under 10 ms.
constexpr int kDetectSide = 480;
// Rectified copies are capped at this width: the quality measures work at
// 800 px, and a document portrait at this width is ~300 px wide, far above
// the face checks' 48 px minimum face height.
constexpr int kMaxRectifiedWidth = 1000;
// Grey-level standard deviation below which a rectified outline holds no
// print at all (any document has ink: text, a portrait, a pattern).
constexpr double kBlankStdDev = 4.0;

// The whole frame as the document: no warp, long side horizontal.
// `first_half`: `bgr` halved by detection (Shrink).
cv::Mat WholeFrame(const cv::Mat& bgr, const cv::Mat& first_half) {
  // Shrink first, then turn: turning a large photo first costs a full copy.
  cv::Mat whole;
  const int long_side = std::max(bgr.cols, bgr.rows);
  if (long_side > kMaxRectifiedWidth) {
    const double s = static_cast<double>(kMaxRectifiedWidth) / long_side;
    whole = internal::Shrink(bgr,
                             cv::Size(std::max(1, static_cast<int>(bgr.cols * s)),
                                      std::max(1, static_cast<int>(bgr.rows * s))),
                             first_half);
  } else {
    whole = bgr.clone();
  }
  if (whole.rows > whole.cols) cv::rotate(whole, whole, cv::ROTATE_90_COUNTERCLOCKWISE);
  return whole;
}

// Share of each side left out when judging whether an outline holds print:
// the outline's own edge (and what lies just outside it) is not content.
constexpr double kBlankMargin = 0.05;

bool IsBlank(const cv::Mat& bgr) {
  const int mx = static_cast<int>(kBlankMargin * bgr.cols);
  const int my = static_cast<int>(kBlankMargin * bgr.rows);
  cv::Mat gray;
  cv::cvtColor(bgr(cv::Rect(mx, my, bgr.cols - 2 * mx, bgr.rows - 2 * my)), gray,
               cv::COLOR_BGR2GRAY);
  cv::Scalar mean, stddev;
  cv::meanStdDev(gray, mean, stddev);
  return stddev[0] < kBlankStdDev;
}
// A candidate outline must cover at least this share of the frame.
constexpr double kMinDocumentArea = 0.04;

absl::Status CheckImage(const cv::Mat& image) {
  if (image.empty()) return absl::InvalidArgumentError("image is empty");
  if (image.depth() != CV_8U || (image.channels() != 1 && image.channels() != 3)) {
    return absl::InvalidArgumentError("image must be 8-bit with 1 or 3 channels");
  }
  return absl::OkStatus();
}

// Orders 4 points as top-left, top-right, bottom-right, bottom-left.
std::array<cv::Point2f, 4> OrderCorners(const std::vector<cv::Point2f>& pts) {
  std::array<cv::Point2f, 4> out;
  // Smallest x+y is top-left, largest bottom-right; smallest y-x is
  // top-right, largest bottom-left.
  auto sum = [](const cv::Point2f& p) { return p.x + p.y; };
  auto diff = [](const cv::Point2f& p) { return p.y - p.x; };
  out[0] =
      *std::min_element(pts.begin(), pts.end(), [&](auto& a, auto& b) { return sum(a) < sum(b); });
  out[2] =
      *std::max_element(pts.begin(), pts.end(), [&](auto& a, auto& b) { return sum(a) < sum(b); });
  out[1] = *std::min_element(pts.begin(), pts.end(),
                             [&](auto& a, auto& b) { return diff(a) < diff(b); });
  out[3] = *std::max_element(pts.begin(), pts.end(),
                             [&](auto& a, auto& b) { return diff(a) < diff(b); });
  return out;
}

double Distance(const cv::Point2f& a, const cv::Point2f& b) {
  return std::hypot(a.x - b.x, a.y - b.y);
}

// Share of `contour` points lying on the frame border, and how many of the
// frame's sides it runs along.
void MeasureBorderContact(const std::vector<cv::Point>& contour, cv::Size size, double& contact,
                          int& sides) {
  constexpr int kMargin = 2;
  int on_border = 0;
  std::array<int, 4> per_side{0, 0, 0, 0};  // left, top, right, bottom
  for (const cv::Point& p : contour) {
    bool border = false;
    if (p.x <= kMargin) {
      ++per_side[0];
      border = true;
    }
    if (p.y <= kMargin) {
      ++per_side[1];
      border = true;
    }
    if (p.x >= size.width - 1 - kMargin) {
      ++per_side[2];
      border = true;
    }
    if (p.y >= size.height - 1 - kMargin) {
      ++per_side[3];
      border = true;
    }
    if (border) ++on_border;
  }
  contact = contour.empty() ? 0.0 : static_cast<double>(on_border) / contour.size();
  sides = 0;
  // A side counts when a run of the outline (not one corner point) lies
  // along it: at least 5% of that side's length.
  const std::array<int, 4> lengths{size.height, size.width, size.height, size.width};
  for (int i = 0; i < 4; ++i) {
    if (per_side[i] >= std::max(4, lengths[i] / 20)) ++sides;
  }
}

// Long side over short side of a contour's minimum-area rectangle.
double Elongation(const std::vector<cv::Point>& hull) {
  const cv::RotatedRect r = cv::minAreaRect(hull);
  const double a = std::max(r.size.width, r.size.height);
  const double b = std::min(r.size.width, r.size.height);
  return b > 0 ? a / b : 0;
}

// The document blob: edges closed into regions; the largest outer contour
// shaped like a document. ID-1 is 1.59:1, TD3 1.42:1, A4 1.41:1; a contour
// cut by the frame may look squarer or longer, hence the wide range. The
// range rejects a square portrait frame inside a scan cropped to the card.
std::vector<cv::Point> LargestOutline(const cv::Mat& gray, double min_area) {
  cv::Mat blurred, edges;
  cv::GaussianBlur(gray, blurred, cv::Size(5, 5), 0);
  // Canny thresholds relative to the image's own brightness (median).
  int hist[256] = {0};
  for (int y = 0; y < blurred.rows; ++y) {
    const uint8_t* row = blurred.ptr<uint8_t>(y);
    for (int x = 0; x < blurred.cols; ++x) ++hist[row[x]];
  }
  double median = 0;
  for (int v = 0, acc = 0; v < 256; ++v) {
    acc += hist[v];
    if (acc * 2 >= static_cast<int>(blurred.total())) {
      median = v;
      break;
    }
  }
  const double lo = std::max(10.0, 0.33 * median);
  const double hi = std::max(30.0, std::min(255.0, 0.9 * median));
  cv::Canny(blurred, edges, lo, hi);
  cv::dilate(edges, edges, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(5, 5)));
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(edges, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  std::vector<cv::Point> best;
  double best_area = 0;
  for (auto& c : contours) {
    if (c.size() < 8) continue;
    std::vector<cv::Point> hull;
    cv::convexHull(c, hull);
    const double area = cv::contourArea(hull);
    if (area < min_area || area <= best_area) continue;
    const double elongation = Elongation(hull);
    if (elongation < 1.2 || elongation > 2.2) continue;
    best_area = area;
    best = std::move(c);
  }
  return best;
}

}  // namespace

DocumentLayout DocumentLayout::Id1Front() {
  // Typical ID-1 driver licence / identity card front (ISO/IEC 18013-1 and
  // ICAO Doc 9303 Part 5 zone layout): portrait on the left, data right.
  return DocumentLayout{.mrz = cv::Rect2d(),
                        .portrait = cv::Rect2d(0.03, 0.22, 0.30, 0.66),
                        .data = cv::Rect2d(0.36, 0.18, 0.61, 0.76)};
}

DocumentLayout DocumentLayout::Td1Back() {
  // ICAO Doc 9303 Part 5 §4.2: three MRZ lines in the bottom 17.9 mm of
  // 53.98 mm (~33%).
  return DocumentLayout{.mrz = cv::Rect2d(0.02, 0.64, 0.96, 0.34),
                        .portrait = cv::Rect2d(),
                        .data = cv::Rect2d(0.03, 0.05, 0.94, 0.55)};
}

DocumentLayout DocumentLayout::Td3() {
  // ICAO Doc 9303 Part 4 §2: 125 × 88 mm page, MRZ in the bottom 23.2 mm,
  // portrait in zone V on the left.
  return DocumentLayout{.mrz = cv::Rect2d(0.02, 0.74, 0.96, 0.25),
                        .portrait = cv::Rect2d(0.03, 0.20, 0.30, 0.52),
                        .data = cv::Rect2d(0.35, 0.12, 0.62, 0.60)};
}

DocumentLayout DocumentLayout::For(DocumentType type, DocumentSide side) {
  // A side without portrait or MRZ: everything printed counts as data.
  const DocumentLayout data_only{
      .mrz = cv::Rect2d(), .portrait = cv::Rect2d(), .data = cv::Rect2d(0.03, 0.05, 0.94, 0.90)};
  const bool front = side == DocumentSide::kFront;
  switch (type) {
    case DocumentType::kUnknown:
      return front ? Id1Front() : Td1Back();
    case DocumentType::kTd1:
    case DocumentType::kIdentityCard:
      return front ? Id1Front() : Td1Back();
    case DocumentType::kDriverLicense:
      return front ? Id1Front() : data_only;
    case DocumentType::kTd3:
    case DocumentType::kPassport:
    case DocumentType::kMrvA:
      // MRV-A (120 x 80 mm) has the TD3 zone proportions (9303-7 §3).
      return front ? Td3() : data_only;
    case DocumentType::kTd2:
    case DocumentType::kMrvB:
      // 105 x 74 mm: the two MRZ lines take the bottom ~22 % (16 mm of
      // 74), the portrait sits left in the visual zone above.
      return front ? DocumentLayout{.mrz = cv::Rect2d(0.02, 0.77, 0.96, 0.22),
                                    .portrait = cv::Rect2d(0.03, 0.18, 0.29, 0.56),
                                    .data = cv::Rect2d(0.34, 0.12, 0.63, 0.63)}
                   : data_only;
  }
  return front ? Id1Front() : Td1Back();
}

absl::string_view DocumentTypeName(DocumentType type) {
  switch (type) {
    case DocumentType::kUnknown:
      return "unknown";
    case DocumentType::kTd1:
      return "td1";
    case DocumentType::kTd2:
      return "td2";
    case DocumentType::kTd3:
      return "td3";
    case DocumentType::kMrvA:
      return "mrva";
    case DocumentType::kMrvB:
      return "mrvb";
    case DocumentType::kPassport:
      return "passport";
    case DocumentType::kIdentityCard:
      return "identity_card";
    case DocumentType::kDriverLicense:
      return "driver_license";
  }
  return "unknown";
}

absl::StatusOr<DocumentType> ParseDocumentType(absl::string_view name) {
  for (DocumentType t :
       {DocumentType::kUnknown, DocumentType::kTd1, DocumentType::kTd2, DocumentType::kTd3,
        DocumentType::kMrvA, DocumentType::kMrvB, DocumentType::kPassport,
        DocumentType::kIdentityCard, DocumentType::kDriverLicense}) {
    if (name == DocumentTypeName(t)) return t;
  }
  if (name == "internal_passport") return DocumentType::kPassport;
  if (name == "licence" || name == "driver_licence") {
    return DocumentType::kDriverLicense;
  }
  // The name is caller input, not document data: safe to echo, but bounded.
  return absl::InvalidArgumentError(
      absl::StrCat("unknown document type '", name.substr(0, 32),
                   "' (td1, td2, td3, mrva, mrvb, passport, identity_card, "
                   "driver_license)"));
}

DocumentType DocumentTypeForMrz(MrzFormat format) {
  switch (format) {
    case MrzFormat::kTd1:
      return DocumentType::kTd1;
    case MrzFormat::kTd2:
      return DocumentType::kTd2;
    case MrzFormat::kTd3:
      return DocumentType::kTd3;
    case MrzFormat::kMrvA:
      return DocumentType::kMrvA;
    case MrzFormat::kMrvB:
      return DocumentType::kMrvB;
  }
  return DocumentType::kUnknown;
}

double DocumentWidthMm(DocumentType type) {
  switch (type) {
    case DocumentType::kTd2:
    case DocumentType::kMrvB:
      return 105.0;
    case DocumentType::kMrvA:
      return 120.0;
    case DocumentType::kTd3:
    case DocumentType::kPassport:
      return 125.0;
    default:
      return 85.6;
  }
}

absl::StatusOr<DocumentDetection> DetectDocument(const cv::Mat& image) {
  return internal::DetectDocument(image, nullptr, nullptr);
}

namespace internal {

absl::StatusOr<DocumentDetection> DetectDocument(
    const cv::Mat& image, const std::function<bool(const DocumentDetection&)>& keep_outline,
    cv::Mat* first_half) {
  if (absl::Status s = CheckImage(image); !s.ok()) return s;
  try {
    cv::Mat bgr = image;
    if (image.channels() == 1) cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR);
    const double scale =
        std::min(1.0, static_cast<double>(kDetectSide) / std::max(image.cols, image.rows));
    // Downscale first, then convert: a third of the work on large photos.
    cv::Mat small_bgr, small_gray;
    // Halved first while it can be (OpenCV's INTER_AREA is fast for integer
    // factors only), then box-filtered to the detection size.
    const cv::Size small(std::max(1, static_cast<int>(bgr.cols * scale)),
                         std::max(1, static_cast<int>(bgr.rows * scale)));
    cv::Mat halved = bgr;
    cv::Mat half;  // The first halving: the whole frame's Shrink starts from it.
    while (halved.cols >= 2 * small.width && halved.rows >= 2 * small.height) {
      const cv::Mat next = internal::HalveArea(halved);
      if (half.empty()) half = next;
      halved = next;
    }
    if (first_half != nullptr && image.channels() == 3) *first_half = half;
    cv::resize(halved, small_bgr, small, 0, 0, cv::INTER_AREA);
    cv::cvtColor(small_bgr, small_gray, cv::COLOR_BGR2GRAY);

    DocumentDetection out;
    const double frame_area = static_cast<double>(small_gray.cols) * small_gray.rows;
    // Too small to hold a detectable outline: treat as the whole frame.
    const bool tiny = small_gray.cols < 32 || small_gray.rows < 32;
    const std::vector<cv::Point> outline =
        tiny ? std::vector<cv::Point>() : LargestOutline(small_gray, kMinDocumentArea * frame_area);
    std::vector<cv::Point> hull;
    if (!outline.empty()) cv::convexHull(outline, hull);
    const double hull_area = hull.empty() ? 0 : cv::contourArea(hull);

    std::vector<cv::Point2f> quad;
    if (hull_area >= kMinDocumentArea * frame_area) {
      MeasureBorderContact(outline, small_gray.size(), out.border_contact, out.sides_touching);
      std::vector<cv::Point> approx;
      const double perimeter = cv::arcLength(hull, true);
      for (double eps : {0.02, 0.04, 0.06}) {
        cv::approxPolyDP(hull, approx, eps * perimeter, true);
        if (approx.size() <= 4) break;
      }
      if (approx.size() == 4 && cv::isContourConvex(approx)) {
        for (const cv::Point& p : approx) quad.emplace_back(p);
      } else {
        // Rounded corners or a corner cut off by the frame: the minimum-area
        // rectangle is the best rectangle estimate.
        cv::Point2f pts[4];
        cv::minAreaRect(hull).points(pts);
        quad.assign(pts, pts + 4);
      }
      out.fill = std::min(1.0, hull_area / frame_area);
      const float margin = std::max(3.f, 0.01f * std::max(small_gray.cols, small_gray.rows));
      for (const cv::Point2f& p : quad) {
        if (p.x <= margin || p.y <= margin || p.x >= small_gray.cols - 1 - margin ||
            p.y >= small_gray.rows - 1 - margin) {
          ++out.corners_on_border;
        }
      }
      // An outline along all four sides is the frame itself (or a scan
      // cropped to the document): no document edge was seen.
      out.found = out.sides_touching < 4;
    }
    if (!out.found) {
      quad = {cv::Point2f(0, 0), cv::Point2f(static_cast<float>(small_gray.cols), 0),
              cv::Point2f(static_cast<float>(small_gray.cols), static_cast<float>(small_gray.rows)),
              cv::Point2f(0, static_cast<float>(small_gray.rows))};
      if (hull.empty() || out.sides_touching >= 4) out.fill = 1.0;
    }
    for (cv::Point2f& p : quad) {
      p.x =
          std::clamp(p.x * image.cols / static_cast<float>(small_gray.cols), 0.f, image.cols - 1.f);
      p.y =
          std::clamp(p.y * image.rows / static_cast<float>(small_gray.rows), 0.f, image.rows - 1.f);
    }
    out.corners = OrderCorners(quad);

    if (!out.found) {
      out.rectified = WholeFrame(bgr, half);
      return out;
    }
    // The caller judges the whole frame instead: the warp would be thrown
    // away.
    if (keep_outline && !keep_outline(out)) return out;
    const auto& c = out.corners;
    double width = std::max(Distance(c[0], c[1]), Distance(c[3], c[2]));
    double height = std::max(Distance(c[0], c[3]), Distance(c[1], c[2]));
    std::array<cv::Point2f, 4> src = c;
    if (height > width) {
      // Portrait-oriented outline: rotate the corner order so the long side
      // becomes horizontal (which way up is the MRZ reader's business).
      src = {c[3], c[0], c[1], c[2]};
      std::swap(width, height);
    }
    const double shrink = std::min(1.0, kMaxRectifiedWidth / width);
    const cv::Size out_size(std::max(16, static_cast<int>(width * shrink)),
                            std::max(16, static_cast<int>(height * shrink)));
    const cv::Point2f dst[4] = {cv::Point2f(0, 0), cv::Point2f(out_size.width - 1.f, 0),
                                cv::Point2f(out_size.width - 1.f, out_size.height - 1.f),
                                cv::Point2f(0, out_size.height - 1.f)};
    const cv::Mat transform = cv::getPerspectiveTransform(src.data(), dst);
    cv::warpPerspective(bgr, out.rectified, transform, out_size, cv::INTER_LINEAR,
                        cv::BORDER_REPLICATE);
    if (IsBlank(out.rectified)) {
      // An outline around a featureless area (a plain margin, the table
      // beside a card) holds no print: the measures judge the whole frame
      // instead. The outline stays, for the cut-off judgement.
      out.rectified = WholeFrame(bgr, half);
    }
    return out;
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("document detection failed: ", e.what()));
  }
}

}  // namespace internal

absl::StatusOr<uint64_t> PerceptualHash(const cv::Mat& image) {
  if (absl::Status s = CheckImage(image); !s.ok()) return s;
  try {
    cv::Mat gray = image;
    if (image.channels() == 3) cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
    cv::Mat small, f, dct;
    cv::resize(gray, small, cv::Size(32, 32), 0, 0, cv::INTER_AREA);
    small.convertTo(f, CV_32F);
    cv::dct(f, dct);
    // The 8×8 lowest frequencies without the DC term, against their median.
    std::vector<float> coeffs;
    coeffs.reserve(64);
    for (int y = 0; y < 8; ++y) {
      for (int x = 0; x < 8; ++x) coeffs.push_back(dct.at<float>(y, x));
    }
    std::vector<float> sorted(coeffs.begin() + 1, coeffs.end());
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    const float median = sorted[sorted.size() / 2];
    uint64_t hash = 0;
    for (int i = 0; i < 64; ++i) {
      if (coeffs[i] > median) hash |= uint64_t{1} << i;
    }
    return hash;
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("hashing failed: ", e.what()));
  }
}

int HammingDistance(uint64_t a, uint64_t b) { return std::popcount(a ^ b); }

}  // namespace vouch::ocr
