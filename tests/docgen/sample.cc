#include "docgen/sample.h"

#include <algorithm>
#include <exception>

#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace vouch::docgen {
namespace {

std::string Capitalised(const std::string& upper) {
  std::string s = upper;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i - 1] != ' ' && s[i] >= 'A' && s[i] <= 'Z') s[i] = static_cast<char>(s[i] - 'A' + 'a');
  }
  return s;
}

// "YYMMDD" -> "DD.MM.YYYY" (birth dates 19YY, expiry dates 20YY). A day or
// month the document prints unknown (`7408<<`, `74<<<<`) is typed as the
// first, as holders of such documents are told to.
std::string TelegramDate(const std::string& yymmdd, int century) {
  const auto part = [&](size_t i) { return yymmdd[i] == '<' ? "01" : yymmdd.substr(i, 2); };
  return absl::StrFormat("%s.%s.%d%s", part(4), part(2), century, yymmdd.substr(0, 2));
}

std::string Joined(const std::vector<std::string>& words, size_t from) {
  std::string out;
  for (size_t i = from; i < words.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += Capitalised(words[i]);
  }
  return out;
}

}  // namespace

Identity SampleIdentityValidFor(int now_year, int years) {
  Identity id = SampleIdentity();
  id.expiry_date = absl::StrFormat("%02d0415", (now_year + years) % 100);
  return id;
}

absl::StatusOr<Sample> MakeSample(DocumentGenerator& generator, const SampleOptions& options) {
  const cv::Mat& photo = options.face;
  const cv::Rect box = options.face_box;
  if (photo.empty() || photo.type() != CV_8UC3) {
    return absl::InvalidArgumentError("the face photo must be 8-bit BGR");
  }
  if (box.width < 16 || box.height < 16 || (box & cv::Rect(0, 0, photo.cols, photo.rows)) != box) {
    return absl::InvalidArgumentError(
        "the face box must lie inside the photo and be at least 16x16");
  }
  const Identity& id = options.identity;
  if (id.surnames.empty() || id.given_names.empty() || id.birth_date.size() != 6 ||
      id.expiry_date.size() != 6) {
    return absl::InvalidArgumentError("the identity needs names, a birth and an expiry date");
  }
  if (id.birth_date[0] == '<') {
    return absl::InvalidArgumentError("a birth year must be known to type the date");
  }
  RenderOptions render;
  render.level = Level::kClean;
  render.portrait = photo(box).clone();
  absl::StatusOr<GeneratedDocument> doc = generator.Render(id, options.seed, render);
  if (!doc.ok()) return doc.status();

  if (!(options.scale >= 0.5 && options.scale <= 4)) {
    return absl::InvalidArgumentError("scale must be in 0.5..4");
  }
  Sample out;
  out.front_jpeg = doc->jpeg;
  out.mrz_lines = doc->mrz_lines;
  try {
    if (options.scale != 1.0) {
      cv::Mat scaled;
      cv::resize(doc->image, scaled, cv::Size(), options.scale, options.scale, cv::INTER_CUBIC);
      std::vector<uchar> jpeg;
      if (!cv::imencode(".jpg", scaled, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95})) {
        return absl::InternalError("cannot encode the page");
      }
      out.front_jpeg.assign(jpeg.begin(), jpeg.end());
    }
    // The selfie: a wider crop around the head, scaled up and brightened.
    const cv::Point centre(box.x + box.width / 2, box.y + box.height / 2);
    const int side = std::min({photo.cols, photo.rows, std::max(box.width, box.height) * 3 / 2});
    cv::Rect selfie_box(centre.x - side / 2, centre.y - side / 2, side, side);
    selfie_box.x = std::clamp(selfie_box.x, 0, photo.cols - side);
    selfie_box.y = std::clamp(selfie_box.y, 0, photo.rows - side);
    cv::Mat selfie;
    cv::resize(photo(selfie_box), selfie, cv::Size(600, 600), 0, 0, cv::INTER_CUBIC);
    selfie.convertTo(selfie, -1, 1.08, 10);
    std::vector<uchar> jpeg;
    if (!cv::imencode(".jpg", selfie, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90})) {
      return absl::InternalError("cannot encode the selfie");
    }
    out.selfie_jpeg.assign(jpeg.begin(), jpeg.end());
  } catch (const std::exception&) {
    return absl::InternalError("OpenCV failed to make the selfie");
  }

  nlohmann::json personal = {
      {"first_name", Capitalised(id.given_names[0])},
      {"last_name",
       options.typed_last_name.empty() ? Joined(id.surnames, 0) : options.typed_last_name},
      {"birth_date", TelegramDate(id.birth_date, 19)},
      {"gender", id.sex == "F" ? "female" : "male"},
      {"country_code", "SE"},
      {"residence_country_code", "SE"}};
  if (id.given_names.size() > 1) personal["middle_name"] = Joined(id.given_names, 1);
  out.personal_details_json = personal.dump();
  out.passport_json = nlohmann::json{{"document_no", id.document_number},
                                     {"expiry_date", TelegramDate(id.expiry_date, 20)}}
                          .dump();
  return out;
}

}  // namespace vouch::docgen
