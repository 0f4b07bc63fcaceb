#include "mrz/tesseract_line_reader.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tesseract/baseapi.h"

namespace vouch::ocr::internal {

TesseractLineReader::TesseractLineReader(
    std::unique_ptr<tesseract::TessBaseAPI> api)
    : api_(std::move(api)) {}

TesseractLineReader::~TesseractLineReader() {
  if (api_) api_->End();
}

absl::StatusOr<std::unique_ptr<TesseractLineReader>> TesseractLineReader::Create(
    const std::string& tessdata_dir, const std::string& language) {
  auto api = std::make_unique<tesseract::TessBaseAPI>();
  if (api->Init(tessdata_dir.empty() ? nullptr : tessdata_dir.c_str(),
                language.c_str(), tesseract::OEM_LSTM_ONLY) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load tesseract language '", language, "'"));
  }
  api->SetPageSegMode(tesseract::PSM_SINGLE_LINE);
  api->SetVariable("tessedit_char_whitelist",
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<");
  api->SetVariable("debug_file", "/dev/null");
  return std::unique_ptr<TesseractLineReader>(
      new TesseractLineReader(std::move(api)));
}

absl::StatusOr<std::string> TesseractLineReader::ReadLine(
    const cv::Mat& gray_line) {
  if (gray_line.empty() || gray_line.type() != CV_8UC1) {
    return absl::InvalidArgumentError("line must be 8-bit gray");
  }
  cv::Mat line = gray_line.isContinuous() ? gray_line : gray_line.clone();
  api_->SetImage(line.data, line.cols, line.rows, 1,
                 static_cast<int>(line.step));
  api_->SetSourceResolution(300);
  std::unique_ptr<char[]> text(api_->GetUTF8Text());
  api_->Clear();
  if (!text) return absl::InternalError("tesseract returned no text");
  std::string out;
  for (const char* p = text.get(); *p; ++p) {
    if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') out += *p;
  }
  return out;
}

}  // namespace vouch::ocr::internal
