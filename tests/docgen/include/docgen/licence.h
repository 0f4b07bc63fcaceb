#ifndef VOUCH_TESTS_DOCGEN_LICENCE_H_
#define VOUCH_TESTS_DOCGEN_LICENCE_H_

// Synthetic US driver licence backs: an AAMVA DL/ID Card Design Standard
// (2020) payload of a fictional holder, encoded as PDF417 (zxing-cpp's
// writer) on a light card back and photographed (rotation, blur, JPEG).
// For the service's barcode tests; no real person's data.

#include <string>

#include "absl/status/statusor.h"

namespace vouch::docgen {

struct LicenceHolder {
  std::string iin = "636014";                // Issuer identification number (California).
  std::string state = "CA";                  // DAJ
  std::string family_name = "SAMPLE";        // DCS, A-Z, space, hyphen, apostrophe.
  std::string first_name = "ALEX";           // DAC
  std::string middle_names = "J";            // DAD, may be empty.
  std::string document_number = "D1234567";  // DAQ
  std::string sex = "F";                     // DBC: "M" (1), "F" (2), "X" (9).
  std::string birth_date = "1990-01-15";     // DBB, YYYY-MM-DD.
  std::string expiry_date = "2030-01-15";    // DBA
  std::string issue_date = "2022-01-15";     // DBD
};

// The AAMVA 2020 payload (header, one DL subfile designator, the subfile;
// US dates MMDDCCYY). Errors: kInvalidArgument for a date that is not
// YYYY-MM-DD or a field holding a newline or carriage return.
absl::StatusOr<std::string> AamvaPayload(const LicenceHolder& holder);

struct LicenceBackOptions {
  int module_px = 3;      // Pixels per PDF417 module.
  double skew_deg = 0;    // Rotation of the photographed card.
  double blur_sigma = 0;  // Gaussian blur.
  int jpeg_quality = 90;
};

// A photo of a licence back carrying `payload` as PDF417, as JPEG bytes.
// Errors: kInvalidArgument for an empty payload or one zxing-cpp cannot
// encode; kInternal if OpenCV fails.
absl::StatusOr<std::string> LicenceBackJpeg(const std::string& payload,
                                            const LicenceBackOptions& options = {});

}  // namespace vouch::docgen

#endif  // VOUCH_TESTS_DOCGEN_LICENCE_H_
