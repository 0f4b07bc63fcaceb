// vouch_sample: writes a sample Telegram Passport submission made with
// docgen, for the demo (deploy/demo.sh) and the end-to-end tests:
//   DIR/passport_front.jpg  a TD3 data page (docgen's SampleIdentity, expiry
//                           five years from now) at the clean level,
//                           photographed whole with a margin of background,
//                           with a real face as its portrait;
//   DIR/selfie.jpg          the same face: another crop, scale and brightness
//                           of the same photo;
//   DIR/PLAIN.json          personal_details + passport (front side, selfie)
//                           consistent with the MRZ, and the nonce, in the
//                           format `vouchctl passport seal --in` reads.
// Usage:
//   vouch_sample --out DIR [--face FILE [--face-box X,Y,W,H]] [--nonce N]
//                [--last-name NAME] [--seed S]
// --face defaults to models/face/samples/astronaut.png (models/face/
// fetch_samples.sh; NASA, public domain) with its face box; another photo
// without --face-box is centre-cropped. --last-name changes only the typed
// last name (the MRZ keeps ERIKSSON), for the mismatch test.
// Exit codes: 0 done, 1 a file could not be read or written, 2 usage error.

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "docgen/docgen.h"
#include "nlohmann/json.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace {

constexpr char kDefaultFace[] = "models/face/samples/astronaut.png";
// The head and shoulders in astronaut.png (512x512), portrait aspect.
const cv::Rect kAstronautFace(120, 0, 210, 273);

bool WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

std::string Capitalised(const std::string& upper) {
  std::string s = upper;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i - 1] != ' ' && s[i] >= 'A' && s[i] <= 'Z') s[i] = static_cast<char>(s[i] - 'A' + 'a');
  }
  return s;
}

// "YYMMDD" -> "DD.MM.YYYY" (birth dates 19YY, expiry dates 20YY).
std::string TelegramDate(const std::string& yymmdd, int century) {
  return absl::StrFormat("%s.%s.%d%s", yymmdd.substr(4, 2), yymmdd.substr(2, 2), century,
                         yymmdd.substr(0, 2));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vouch_sample: a sample Telegram Passport submission (docgen)"};
  std::string out, face = kDefaultFace, face_box_arg, nonce = "vouch-sample-nonce",
                   last_name;
  uint64_t seed = 7;
  app.add_option("--out", out, "output folder")->required();
  app.add_option("--face", face, "face photo (portrait and selfie)");
  app.add_option("--face-box", face_box_arg, "X,Y,W,H of the head in --face");
  app.add_option("--nonce", nonce, "the nonce of the request");
  app.add_option("--last-name", last_name, "typed last name (default: the MRZ's)");
  app.add_option("--seed", seed, "page seed");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (nonce.empty() || nonce.size() > 128) {
    std::cerr << "error: --nonce must have 1 to 128 characters\n";
    return 2;
  }
  cv::Mat photo = cv::imread(face, cv::IMREAD_COLOR);
  if (photo.empty()) {
    std::cerr << "error: cannot read the face photo " << face
              << " (run models/face/fetch_samples.sh)\n";
    return 1;
  }
  cv::Rect box(0, 0, photo.cols, photo.rows);
  if (!face_box_arg.empty()) {
    std::vector<std::string> parts = absl::StrSplit(face_box_arg, ',');
    int v[4];
    if (parts.size() != 4 || !absl::SimpleAtoi(parts[0], &v[0]) ||
        !absl::SimpleAtoi(parts[1], &v[1]) || !absl::SimpleAtoi(parts[2], &v[2]) ||
        !absl::SimpleAtoi(parts[3], &v[3])) {
      std::cerr << "error: --face-box takes X,Y,W,H\n";
      return 2;
    }
    box = cv::Rect(v[0], v[1], v[2], v[3]);
  } else if (face == kDefaultFace && photo.cols == 512 && photo.rows == 512) {
    box = kAstronautFace;
  }
  if (box.width < 16 || box.height < 16 || (box & cv::Rect(0, 0, photo.cols, photo.rows)) != box) {
    std::cerr << "error: the face box must lie inside the photo and be at least 16x16\n";
    return 2;
  }

  vouch::docgen::Identity id = vouch::docgen::SampleIdentity();
  // Expires five years from now (April 15th).
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  const int expiry_year = tm.tm_year + 1900 + 5;
  id.expiry_date = absl::StrFormat("%02d0415", expiry_year % 100);

  auto gen = vouch::docgen::DocumentGenerator::Create();
  if (!gen.ok()) {
    std::cerr << "error: " << gen.status().message() << "\n";
    return 1;
  }
  vouch::docgen::RenderOptions options;
  options.level = vouch::docgen::Level::kClean;
  options.portrait = photo(box).clone();
  auto doc = (*gen)->Render(id, seed, options);
  if (!doc.ok()) {
    std::cerr << "error: " << doc.status().message() << "\n";
    return 1;
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
  std::vector<uchar> selfie_jpeg;
  if (!cv::imencode(".jpg", selfie, selfie_jpeg, {cv::IMWRITE_JPEG_QUALITY, 90})) {
    std::cerr << "error: cannot encode the selfie\n";
    return 1;
  }

  nlohmann::json personal = {
      {"first_name", Capitalised(id.given_names[0])},
      {"last_name", last_name.empty() ? Capitalised(id.surnames[0]) : last_name},
      {"middle_name", Capitalised(id.given_names[1])},
      {"birth_date", TelegramDate(id.birth_date, 19)},
      {"gender", id.sex == "F" ? "female" : "male"},
      {"country_code", "SE"},
      {"residence_country_code", "SE"}};
  nlohmann::json plain = {
      {"nonce", nonce},
      {"elements",
       {{{"type", "personal_details"}, {"data", personal}},
        {{"type", "passport"},
         {"data", {{"document_no", id.document_number},
                   {"expiry_date", TelegramDate(id.expiry_date, 20)}}},
         {"front_side", "passport_front.jpg"},
         {"selfie", "selfie.jpg"}}}}};

  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  const std::filesystem::path dir(out);
  if (ec || !WriteFile(dir / "passport_front.jpg", doc->jpeg) ||
      !WriteFile(dir / "selfie.jpg", std::string(selfie_jpeg.begin(), selfie_jpeg.end())) ||
      !WriteFile(dir / "PLAIN.json", plain.dump(2) + "\n")) {
    std::cerr << "error: cannot write into " << out << "\n";
    return 1;
  }
  std::cout << "wrote " << (dir / "passport_front.jpg").string() << " (MRZ "
            << doc->mrz_lines[0] << " / " << doc->mrz_lines[1] << "), selfie.jpg, PLAIN.json\n";
  return 0;
}
