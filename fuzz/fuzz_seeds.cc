// fuzz_seeds: writes seed inputs for the fuzz targets (see docs/fuzz.md).
//
//   fuzz_seeds --out DIR [--shared SHARED_DIR]
//
// Always: tiny JPEG/PNG/WebP images (with EXIF orientations, progressive
// JPEG) for `image`. With --shared: Telegram Passport vectors turned into the
// passport_submission/passport_element formats (credentials sealed by the
// harness, nonce set to the harness's), and MRZ text cases for `mrz`. The
// output is for a working corpus; nothing from the shared data is committed.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

int written = 0;

void Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ++written;
}

bool ReadJson(const fs::path& path, json* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  *out = json::parse(text, nullptr, false);
  return !out->is_discarded();
}

std::string Encode(const cv::Mat& image, const char* ext, std::vector<int> params = {}) {
  std::vector<uchar> buf;
  cv::imencode(ext, image, buf, params);
  return std::string(buf.begin(), buf.end());
}

// An APP1 EXIF segment (big-endian TIFF, one IFD entry: orientation) after SOI.
std::string WithExifOrientation(const std::string& jpeg, int orientation) {
  const std::string tiff = std::string("MM\0\x2A\0\0\0\x08", 8) + std::string("\0\x01", 2) +
                           std::string("\x01\x12\0\x03", 4) + std::string("\0\0\0\x01", 4) +
                           std::string("\0", 1) + char(orientation) + std::string("\0\0", 2) +
                           std::string("\0\0\0\0", 4);
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const size_t len = payload.size() + 2;
  std::string app1 = "\xFF\xE1";
  app1 += char(len >> 8);
  app1 += char(len & 0xFF);
  return jpeg.substr(0, 2) + app1 + payload + jpeg.substr(2);
}

void ImageSeeds(const fs::path& out) {
  cv::Mat card(12, 20, CV_8UC3, cv::Scalar(200, 180, 160));
  cv::rectangle(card, {2, 2}, {9, 8}, cv::Scalar(20, 40, 200), cv::FILLED);
  const fs::path dir = out / "image";
  Write(dir, "card.jpg", Encode(card, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 60}));
  Write(dir, "card_progressive.jpg",
        Encode(card, ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1, cv::IMWRITE_JPEG_QUALITY, 50}));
  Write(dir, "card_exif6.jpg", WithExifOrientation(Encode(card, ".jpg"), 6));
  Write(dir, "card_exif3.jpg", WithExifOrientation(Encode(card, ".jpg"), 3));
  Write(dir, "card.png", Encode(card, ".png"));
  cv::Mat gray;
  cv::cvtColor(card, gray, cv::COLOR_BGR2GRAY);
  Write(dir, "gray.png", Encode(gray, ".png"));
  cv::Mat rgba;
  cv::cvtColor(card, rgba, cv::COLOR_BGR2BGRA);
  Write(dir, "alpha.png", Encode(rgba, ".png"));
  Write(dir, "card.webp", Encode(card, ".webp", {cv::IMWRITE_WEBP_QUALITY, 50}));
  Write(dir, "card_lossless.webp", Encode(card, ".webp", {cv::IMWRITE_WEBP_QUALITY, 101}));
}

void PassportSeeds(const fs::path& shared, const fs::path& out) {
  const fs::path vectors = shared / "vectors" / "passport";
  if (!fs::is_directory(vectors)) return;
  for (const auto& entry : fs::directory_iterator(vectors)) {
    if (entry.path().extension() != ".json") continue;
    json doc;
    if (!ReadJson(entry.path(), &doc) || !doc.contains("cases")) continue;
    for (const json& c : doc["cases"]) {
      const std::string id = c.value("id", "case");
      std::string safe;
      for (char ch : id) safe += (isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
      if (c.contains("passport_data")) {
        // Every PassportData (ok or not) is a seed for the parser.
        json element_seed = c["passport_data"];
        Write(out / "passport_element", safe + "_pd", std::string(1, '\0') + element_seed.dump());
      }
      if (c.value("expect", "") != "ok" || !c.contains("derived")) continue;
      const json& derived = c["derived"];
      if (c.value("kind", "") == "passport_data" && derived.contains("credentials")) {
        json a = c["passport_data"];
        a["credentials"] = "@credentials";
        json b = derived["credentials"];
        b.erase("payload");
        b["nonce"] = "fuzz-nonce";
        Write(out / "passport_submission", safe, a.dump() + std::string(1, '\0') + b.dump());
      }
      if (derived.contains("elements")) {
        static const std::vector<std::string> kTypes = {"personal_details",  "passport",
                                                        "driver_license",    "identity_card",
                                                        "internal_passport", "address"};
        for (auto it = derived["elements"].begin(); it != derived["elements"].end(); ++it) {
          if (!it.value().contains("data")) continue;
          for (size_t t = 0; t < kTypes.size(); ++t) {
            if (kTypes[t] != it.key()) continue;
            Write(out / "passport_element", safe + "_" + it.key(),
                  std::string(1, static_cast<char>(t)) + it.value()["data"].dump());
          }
        }
      }
      if (derived.contains("data")) {
        Write(out / "passport_element", safe + "_data",
              std::string(1, '\0') + derived["data"].dump());
      }
    }
  }
}

void MrzSeeds(const fs::path& shared, const fs::path& out) {
  json doc;
  if (!ReadJson(shared / "corpus" / "mrz_text_cases.json", &doc)) return;
  int n = 0;
  for (const char* list : {"cases", "ocr_correction_cases"}) {
    if (!doc.contains(list)) continue;
    for (const json& c : doc[list]) {
      for (const char* key : {"text", "ocr"}) {
        if (c.contains(key) && c[key].is_string()) {
          Write(out / "mrz", std::string(list) + "_" + std::to_string(n++),
                c[key].get<std::string>());
        }
      }
    }
  }
  if (doc.contains("check_digit_cases")) {
    for (const json& c : doc["check_digit_cases"]) {
      if (c.contains("data") && c["data"].is_string()) {
        Write(out / "mrz", "check_" + std::to_string(n++), c["data"].get<std::string>());
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  fs::path out, shared;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--out")
      out = argv[i + 1];
    else if (flag == "--shared")
      shared = argv[i + 1];
  }
  if (out.empty()) {
    std::fprintf(stderr, "usage: fuzz_seeds --out DIR [--shared SHARED_DIR]\n");
    return 2;
  }
  ImageSeeds(out);
  if (!shared.empty()) {
    PassportSeeds(shared, out);
    MrzSeeds(shared, out);
  }
  std::printf("fuzz_seeds: wrote %d seeds under %s\n", written, out.c_str());
  return 0;
}
