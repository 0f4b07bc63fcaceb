#include "docgen/licence.h"

#include <cstdio>
#include <exception>
#include <vector>

#include "ZXing/BarcodeFormat.h"
#include "ZXing/BitMatrix.h"
#include "ZXing/MultiFormatWriter.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace vouch::docgen {
namespace {

// YYYY-MM-DD -> MMDDCCYY (AAMVA, USA).
absl::StatusOr<std::string> UsDate(const std::string& iso) {
  absl::CivilDay day;
  if (iso.size() != 10 || !absl::ParseCivilTime(iso, &day)) {
    return absl::InvalidArgumentError("dates must be YYYY-MM-DD");
  }
  char out[16];
  std::snprintf(out, sizeof out, "%02d%02d%04d", day.month(), day.day(),
                static_cast<int>(day.year()));
  return std::string(out);
}

}  // namespace

absl::StatusOr<std::string> AamvaPayload(const LicenceHolder& h) {
  for (const std::string* f : {&h.iin, &h.state, &h.family_name, &h.first_name, &h.middle_names,
                               &h.document_number, &h.sex}) {
    if (absl::StrContains(*f, '\n') || absl::StrContains(*f, '\r')) {
      return absl::InvalidArgumentError("fields cannot hold line breaks");
    }
  }
  if (h.iin.size() != 6) return absl::InvalidArgumentError("the IIN has 6 digits");
  const absl::StatusOr<std::string> dob = UsDate(h.birth_date);
  const absl::StatusOr<std::string> exp = UsDate(h.expiry_date);
  const absl::StatusOr<std::string> iss = UsDate(h.issue_date);
  if (!dob.ok()) return dob.status();
  if (!exp.ok()) return exp.status();
  if (!iss.ok()) return iss.status();
  const char* sex = h.sex == "M" ? "1" : h.sex == "F" ? "2" : "9";
  std::string subfile =
      absl::StrCat("DLDAQ", h.document_number, "\nDCS", h.family_name, "\nDAC", h.first_name, "\n");
  if (!h.middle_names.empty()) absl::StrAppend(&subfile, "DAD", h.middle_names, "\n");
  absl::StrAppend(&subfile, "DBB", *dob, "\nDBA", *exp, "\nDBD", *iss, "\nDBC", sex, "\nDAJ",
                  h.state, "\nDCGUSA\nDAG123 MAIN ST\nDAK958220000  \n\r");
  // Header (21 bytes): compliance indicators, "ANSI ", IIN, version 10
  // (2020), jurisdiction version 00, one entry; then one 10-byte designator.
  const std::string header = absl::StrCat("@\n\x1e\rANSI ", h.iin, "100001");
  char designator[16];
  std::snprintf(designator, sizeof designator, "DL%04zu%04zu", header.size() + 10, subfile.size());
  return header + designator + subfile;
}

absl::StatusOr<std::string> LicenceBackJpeg(const std::string& payload,
                                            const LicenceBackOptions& options) {
  if (payload.empty()) return absl::InvalidArgumentError("empty payload");
  if (options.module_px < 1 || options.module_px > 16) {
    return absl::InvalidArgumentError("module_px must be 1..16");
  }
  cv::Mat symbol;
  try {
    ZXing::MultiFormatWriter writer(ZXing::BarcodeFormat::PDF417);
    writer.setMargin(10);
    const ZXing::BitMatrix m = writer.encode(payload, 0, 0);
    symbol.create(m.height(), m.width(), CV_8U);
    for (int y = 0; y < m.height(); ++y) {
      for (int x = 0; x < m.width(); ++x) symbol.at<uint8_t>(y, x) = m.get(x, y) ? 20 : 235;
    }
  } catch (const std::exception&) {
    return absl::InvalidArgumentError("zxing-cpp cannot encode the payload as PDF417");
  }
  try {
    cv::resize(symbol, symbol, cv::Size(), options.module_px, options.module_px, cv::INTER_NEAREST);
    // A card back: light background, a data strip above, the symbol below.
    cv::Mat card(symbol.rows * 2 + 80, symbol.cols + 120, CV_8UC3, cv::Scalar(228, 222, 215));
    for (int i = 0; i < 4; ++i) {
      cv::rectangle(card,
                    cv::Rect(60, 20 + i * (symbol.rows / 5), symbol.cols * (3 + i % 2) / 5,
                             std::max(2, symbol.rows / 12)),
                    cv::Scalar(90, 90, 90), cv::FILLED);
    }
    cv::Mat symbol_bgr;
    cv::cvtColor(symbol, symbol_bgr, cv::COLOR_GRAY2BGR);
    symbol_bgr.copyTo(card(cv::Rect(60, symbol.rows + 40, symbol.cols, symbol.rows)));
    if (options.skew_deg != 0) {
      const cv::Point2f c(card.cols / 2.f, card.rows / 2.f);
      cv::warpAffine(card, card, cv::getRotationMatrix2D(c, options.skew_deg, 1.0), card.size(),
                     cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(228, 222, 215));
    }
    if (options.blur_sigma > 0) cv::GaussianBlur(card, card, cv::Size(), options.blur_sigma);
    std::vector<uchar> jpeg;
    if (!cv::imencode(".jpg", card, jpeg, {cv::IMWRITE_JPEG_QUALITY, options.jpeg_quality})) {
      return absl::InternalError("cannot encode the licence back");
    }
    return std::string(jpeg.begin(), jpeg.end());
  } catch (const std::exception&) {
    return absl::InternalError("OpenCV failed to draw the licence back");
  }
}

}  // namespace vouch::docgen
