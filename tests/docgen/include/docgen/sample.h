#ifndef VOUCH_TESTS_DOCGEN_SAMPLE_H_
#define VOUCH_TESTS_DOCGEN_SAMPLE_H_

// Sample Telegram Passport submissions made with docgen: a TD3 passport page
// with a real face as its portrait, a selfie of the same face, and the typed
// data (personal_details + passport) consistent with the MRZ. Used by
// vouch_sample (deploy/demo.sh, the sample end-to-end tests) and
// vouchd_loadbench.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "docgen/docgen.h"
#include "opencv2/core/mat.hpp"
#include "opencv2/core/types.hpp"

namespace vouch::docgen {

// The face photo vouch_sample uses by default (models/face/fetch_samples.sh;
// NASA, public domain), relative to the repository root, and the head and
// shoulders in it (512x512, portrait aspect).
inline constexpr char kSampleFacePath[] = "models/face/samples/astronaut.png";
inline const cv::Rect kSampleFaceBox(120, 0, 210, 273);

struct SampleOptions {
  // The identity on the page (SampleIdentity() by default; callers usually
  // move its expiry date, see SampleIdentityValidFor).
  Identity identity = SampleIdentity();
  // The face photo (8-bit BGR) and the head in it.
  cv::Mat face;
  cv::Rect face_box;
  uint64_t seed = 7;  // Page seed.
  // The photo of the page is scaled by this much after rendering: docgen's
  // clean TD3 page comes out at ~250 dpi (125 mm wide), right at the
  // resolution check's pass threshold (250 dpi); 1.1 makes it ~275 dpi.
  double scale = 1.1;
  // The typed last name; empty: the MRZ's (capitalised).
  std::string typed_last_name;
};

struct Sample {
  std::string front_jpeg;   // The data page photographed whole, clean level
                            // (JPEG 95).
  std::string selfie_jpeg;  // Another crop, scale and brightness of the face.
  // Telegram Passport element data (the JSON objects, not encrypted):
  std::string personal_details_json;  // first/middle/last name, birth date,
                                      // gender, country codes ("SE").
  std::string passport_json;          // document_no, expiry_date.
  std::vector<std::string> mrz_lines;
};

// SampleIdentity() expiring on April 15th `years` years after `now_year`.
Identity SampleIdentityValidFor(int now_year, int years);

// Errors: kInvalidArgument when the face box is not inside the photo or is
// smaller than 16x16, or the photo is not 8-bit BGR; kInternal if OpenCV
// fails; the generator's errors.
absl::StatusOr<Sample> MakeSample(DocumentGenerator& generator, const SampleOptions& options);

}  // namespace vouch::docgen

#endif  // VOUCH_TESTS_DOCGEN_SAMPLE_H_
