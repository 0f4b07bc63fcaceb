// Generates the synthetic sample scans in this folder (no real person or
// document). Build and run from this folder:
//   g++ -std=c++17 make_scans.cc $(pkg-config --cflags --libs opencv4) -o /tmp/make_scans &&
//   /tmp/make_scans
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

int main() {
  const std::vector<int> jpeg = {cv::IMWRITE_JPEG_QUALITY, 85};
  // Passport data page (ICAO TD3 layout, 125 x 88 mm at ~8 px/mm).
  cv::Mat page(704, 1000, CV_8UC3, cv::Scalar(226, 236, 242));
  cv::rectangle(page, {40, 120, 260, 330}, cv::Scalar(180, 180, 180), cv::FILLED);
  cv::ellipse(page, {170, 260}, {80, 105}, 0, 0, 360, cv::Scalar(120, 140, 170), cv::FILLED);
  const auto text = [&](const std::string& s, int x, int y, double scale) {
    cv::putText(page, s, {x, y}, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(40, 30, 30), 2,
                cv::LINE_AA);
  };
  text("PASSPORT / PASSEPORT", 330, 70, 1.1);
  text("Type P   Code UTO   No. L898902C3", 340, 150, 0.7);
  text("Surname  ERIKSSON", 340, 200, 0.7);
  text("Given names  ANNA MARIA", 340, 250, 0.7);
  text("Nationality  UTOPIAN", 340, 300, 0.7);
  text("Date of birth  12 AUG 1974   Sex F", 340, 350, 0.7);
  text("Date of expiry  15 APR 2032", 340, 400, 0.7);
  const auto mrz = [&](const std::string& s, int y) {
    cv::putText(page, s, {40, y}, cv::FONT_HERSHEY_PLAIN, 2.6, cv::Scalar(10, 10, 10), 2,
                cv::LINE_AA);
  };
  mrz("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", 600);
  mrz("L898902C36UTO7408122F3204159ZE184226B<<<<<10", 660);
  cv::imwrite("passport_front.jpg", page, jpeg);

  // Selfie: a drawn face holding nothing in particular.
  cv::Mat selfie(800, 600, CV_8UC3, cv::Scalar(200, 210, 190));
  cv::ellipse(selfie, {300, 360}, {150, 200}, 0, 0, 360, cv::Scalar(140, 170, 210), cv::FILLED);
  cv::circle(selfie, {245, 320}, 18, cv::Scalar(60, 40, 30), cv::FILLED);
  cv::circle(selfie, {355, 320}, 18, cv::Scalar(60, 40, 30), cv::FILLED);
  cv::ellipse(selfie, {300, 450}, {60, 25}, 0, 0, 180, cv::Scalar(60, 60, 150), 6);
  cv::rectangle(selfie, {100, 620}, {500, 800}, cv::Scalar(90, 60, 40), cv::FILLED);
  cv::imwrite("selfie.jpg", selfie, jpeg);
  return 0;
}
