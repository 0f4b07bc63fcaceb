// The "barcode" check: PDF417 on a driver licence back, parsed as AAMVA.

#include "absl/status/status.h"
#include "ocr/barcode.h"
#include "ocr/checks.h"

namespace vouch::ocr {

absl::StatusOr<BarcodeReport> RunBarcodeCheck(const cv::Mat& back, const BarcodeOptions& options) {
  BarcodeReport report;
  CheckResult& check = report.check;
  check.name = "barcode";
  check.source = TelegramSource::kReverseSide;
  // Scores: 1 decoded and parsed, 0.5 decoded but not a valid AAMVA record
  // (a human should look), 0 nothing decoded.
  const Threshold threshold{1.0, 0.5};
  check.threshold = threshold.pass;

  absl::StatusOr<Pdf417Read> read = ReadPdf417(back, options.read);
  if (absl::IsNotFound(read.status())) {
    check.score = 0;
    check.verdict =
        options.required ? VerdictFor(check.score, threshold) : CheckVerdict::kUnavailable;
    check.reason =
        "the barcode on the back could not be read: photograph the back flat, "
        "in focus and without glare";
    return report;
  }
  if (!read.ok()) return read.status();
  report.rotation_deg = read->rotation_deg;
  absl::StatusOr<AamvaRecord> record = ParseAamva(read->bytes);
  if (!record.ok()) {
    check.score = 0.5;
    check.verdict = VerdictFor(check.score, threshold);
    // The parser's message names the structural problem, never the data.
    check.reason = std::string(
                       "the barcode was read but is not a valid "
                       "licence record: ") +
                   std::string(record.status().message());
    return report;
  }
  report.aamva = *std::move(record);
  check.score = 1.0;
  check.verdict = VerdictFor(check.score, threshold);
  check.reason = "barcode read";
  return report;
}

}  // namespace vouch::ocr
