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
//                [--last-name NAME] [--seed S] [--document-number N]
//                [--birth-date YYMMDD]
// --face defaults to models/face/samples/astronaut.png (models/face/
// fetch_samples.sh; NASA, public domain) with its face box; another photo
// without --face-box is centre-cropped. --last-name changes only the typed
// last name (the MRZ keeps ERIKSSON), for the mismatch test. --birth-date
// prints another birth date; a day or month unknown as ICAO prints it
// (`7408<<`, `74<<<<`) is typed as the first.
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
#include "absl/strings/str_split.h"
#include "docgen/docgen.h"
#include "docgen/sample.h"
#include "nlohmann/json.hpp"
#include "ocr/mrz.h"
#include "opencv2/imgcodecs.hpp"

namespace {

bool WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vouch_sample: a sample Telegram Passport submission (docgen)"};
  std::string out, face = vouch::docgen::kSampleFacePath, face_box_arg,
                   nonce = "vouch-sample-nonce", last_name;
  uint64_t seed = 7;
  app.add_option("--out", out, "output folder")->required();
  app.add_option("--face", face, "face photo (portrait and selfie)");
  app.add_option("--face-box", face_box_arg, "X,Y,W,H of the head in --face");
  app.add_option("--nonce", nonce, "the nonce of the request");
  app.add_option("--last-name", last_name, "typed last name (default: the MRZ's)");
  app.add_option("--seed", seed, "page seed");
  std::string document_number;  // Another document with the same face.
  app.add_option("--document-number", document_number,
                 "the document number (default: the sample's; A-Z0-9, up to 9)");
  std::string birth_date;
  app.add_option("--birth-date", birth_date,
                 "the birth date as the MRZ prints it (default: the sample's 740812)");
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
  } else if (face == vouch::docgen::kSampleFacePath && photo.cols == 512 && photo.rows == 512) {
    box = vouch::docgen::kSampleFaceBox;
  }
  if (box.width < 16 || box.height < 16 || (box & cv::Rect(0, 0, photo.cols, photo.rows)) != box) {
    std::cerr << "error: the face box must lie inside the photo and be at least 16x16\n";
    return 2;
  }

  // Expires five years from now (April 15th).
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  vouch::docgen::SampleOptions options;
  options.identity = vouch::docgen::SampleIdentityValidFor(tm.tm_year + 1900, 5);
  options.face = photo;
  options.face_box = box;
  options.seed = seed;
  options.typed_last_name = last_name;
  if (!document_number.empty()) {
    if (document_number.size() > 9 ||
        document_number.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
            std::string::npos) {
      std::cerr << "error: --document-number takes 1 to 9 of A-Z0-9\n";
      return 2;
    }
    options.identity.document_number = document_number;
  }
  if (!birth_date.empty()) {
    const bool digits =
        birth_date.size() == 6 && birth_date.find_first_not_of("0123456789") == std::string::npos;
    if ((!digits && !vouch::ocr::IsPartlyUnknownDate(birth_date)) || birth_date[0] == '<') {
      std::cerr << "error: --birth-date takes YYMMDD, YYMM<< or YY<<<<\n";
      return 2;
    }
    options.identity.birth_date = birth_date;
  }

  auto gen = vouch::docgen::DocumentGenerator::Create();
  if (!gen.ok()) {
    std::cerr << "error: " << gen.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<vouch::docgen::Sample> sample = vouch::docgen::MakeSample(**gen, options);
  if (!sample.ok()) {
    std::cerr << "error: " << sample.status().message() << "\n";
    return 1;
  }
  nlohmann::json plain = {{"nonce", nonce},
                          {"elements",
                           {{{"type", "personal_details"},
                             {"data", nlohmann::json::parse(sample->personal_details_json)}},
                            {{"type", "passport"},
                             {"data", nlohmann::json::parse(sample->passport_json)},
                             {"front_side", "passport_front.jpg"},
                             {"selfie", "selfie.jpg"}}}}};

  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  const std::filesystem::path dir(out);
  if (ec || !WriteFile(dir / "passport_front.jpg", sample->front_jpeg) ||
      !WriteFile(dir / "selfie.jpg", sample->selfie_jpeg) ||
      !WriteFile(dir / "PLAIN.json", plain.dump(2) + "\n")) {
    std::cerr << "error: cannot write into " << out << "\n";
    return 1;
  }
  std::cout << "wrote " << (dir / "passport_front.jpg").string() << " (MRZ " << sample->mrz_lines[0]
            << " / " << sample->mrz_lines[1] << "), selfie.jpg, PLAIN.json\n";
  return 0;
}
