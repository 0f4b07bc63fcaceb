#include "mrz/tesseract_line_reader.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tesseract/baseapi.h"
#include "tesseract/resultiterator.h"

namespace vouch::ocr::internal {

TesseractLineReader::TesseractLineReader(std::unique_ptr<tesseract::TessBaseAPI> api)
    : api_(std::move(api)) {}

TesseractLineReader::~TesseractLineReader() {
  if (api_) api_->End();
}

absl::StatusOr<std::unique_ptr<TesseractLineReader>> TesseractLineReader::Create(
    const std::string& tessdata_dir, const std::string& language) {
  auto api = std::make_unique<tesseract::TessBaseAPI>();
  if (api->Init(tessdata_dir.empty() ? nullptr : tessdata_dir.c_str(), language.c_str(),
                tesseract::OEM_LSTM_ONLY) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load tesseract language '", language, "'"));
  }
  api->SetPageSegMode(tesseract::PSM_SINGLE_LINE);
  api->SetVariable("tessedit_char_whitelist", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<");
  api->SetVariable("debug_file", "/dev/null");
  return std::unique_ptr<TesseractLineReader>(new TesseractLineReader(std::move(api)));
}

absl::StatusOr<std::string> TesseractLineReader::ReadLine(const cv::Mat& gray_line, bool raw_line) {
  if (gray_line.empty() || gray_line.type() != CV_8UC1) {
    return absl::InvalidArgumentError("line must be 8-bit gray");
  }
  cv::Mat line = gray_line.isContinuous() ? gray_line : gray_line.clone();
  api_->SetImage(line.data, line.cols, line.rows, 1, static_cast<int>(line.step));
  api_->SetSourceResolution(300);
  if (raw_line) api_->SetPageSegMode(tesseract::PSM_RAW_LINE);
  std::unique_ptr<char[]> text(api_->GetUTF8Text());
  api_->Clear();
  if (raw_line) api_->SetPageSegMode(tesseract::PSM_SINGLE_LINE);
  if (!text) return absl::InternalError("tesseract returned no text");
  std::string out;
  for (const char* p = text.get(); *p; ++p) {
    if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') out += *p;
  }
  return out;
}

absl::StatusOr<std::vector<TesseractLineReader::Symbol>> TesseractLineReader::ReadLineSymbols(
    const cv::Mat& gray_line) {
  if (gray_line.empty() || gray_line.type() != CV_8UC1) {
    return absl::InvalidArgumentError("line must be 8-bit gray");
  }
  cv::Mat line = gray_line.isContinuous() ? gray_line : gray_line.clone();
  // Alternatives of the CTC decoding, per symbol.
  api_->SetVariable("lstm_choice_mode", "2");
  api_->SetImage(line.data, line.cols, line.rows, 1, static_cast<int>(line.step));
  api_->SetSourceResolution(300);
  const int rc = api_->Recognize(nullptr);
  std::vector<Symbol> out;
  if (rc == 0) {
    std::unique_ptr<tesseract::ResultIterator> it(api_->GetIterator());
    if (it) {
      do {
        std::unique_ptr<char[]> text(it->GetUTF8Text(tesseract::RIL_SYMBOL));
        if (!text || text[0] == 0 || text[1] != 0) continue;  // One byte only.
        Symbol s;
        s.text = text[0];
        s.alternatives.push_back(s.text);
        s.confidences.push_back(it->Confidence(tesseract::RIL_SYMBOL));
        tesseract::ChoiceIterator choice(*it);
        int guard = 0;
        do {
          const char* alt = choice.GetUTF8Text();
          const bool mrz_symbol =
              alt != nullptr && ((alt[0] >= 'A' && alt[0] <= 'Z') ||
                                 (alt[0] >= '0' && alt[0] <= '9') || alt[0] == '<');
          if (mrz_symbol && alt[1] == 0 && s.alternatives.find(alt[0]) == std::string::npos) {
            s.alternatives.push_back(alt[0]);
            s.confidences.push_back(choice.Confidence());
          }
        } while (++guard < 64 && choice.Next());
        out.push_back(std::move(s));
      } while (it->Next(tesseract::RIL_SYMBOL) && out.size() < 256);
    }
  }
  api_->Clear();
  api_->SetVariable("lstm_choice_mode", "0");
  if (rc != 0) return absl::InternalError("tesseract recognition failed");
  return out;
}

}  // namespace vouch::ocr::internal
