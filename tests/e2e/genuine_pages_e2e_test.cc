// Genuine pages through a real vouchd: a real specimen passport page from
// ../shared (Swiss TD3 specimen, MRZ and personal details from the corpus
// manifest) and a docgen-made one, each with a selfie of the page's own
// portrait, and a real Russian internal passport scan, sealed with vouchctl
// and submitted; and a real visa specimen sent as a passport, rejected for
// its kind. A genuine page may need a person's look (NEEDS_REVIEW, with
// the reason on a check), but is never REJECTED: no fraud or quality signal
// may fail it. Needs the face models (models/face/install.sh,
// fetch_samples.sh); the real pages need ../shared (skipped without it).

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "e2e_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "sealed_submit_fixture.h"
#include "testing/cli_run.h"
#include "testing/shared_data.h"
#include "vouchd_process.h"

namespace vouch {
namespace {

using ::vouch::testing::FaceModelsPresent;
using ::vouch::testing::FreshTestDir;
using ::vouch::testing::RunShell;
using ::vouch::testing::VouchdProcess;

const char kNonce[] = "e2e-genuine-nonce";

class GenuinePagesE2eTest : public ::vouch::testing::SealedSubmitE2eTest {
 protected:
  GenuinePagesE2eTest() : SealedSubmitE2eTest("vouchd_genuine") {}

  nlohmann::json SealSubmit(const std::string& sample) {
    return SealedSubmitE2eTest::SealSubmit(sample, kNonce);
  }

  // A sample folder `name` holding the real `page` as both the document's
  // front side (`front`) and the selfie (`selfie`, the holder's face beside
  // the document: here the page itself).
  std::string RealPageSample(const std::string& name, const std::filesystem::path& page,
                             const std::string& front, const std::string& selfie) {
    const std::string sample = dir_ + "/" + name;
    std::filesystem::create_directories(sample);
    std::filesystem::copy_file(page, sample + "/" + front);
    std::filesystem::copy_file(page, sample + "/" + selfie);
    return sample;
  }

  // VERIFIED, or NEEDS_REVIEW naming why on some check; never REJECTED, and
  // no quality or fraud check fails.
  static void ExpectNotRejected(const nlohmann::json& r) {
    const std::string decision = r.value("decision", "");
    ASSERT_THAT(decision, ::testing::AnyOf("DECISION_VERIFIED", "DECISION_NEEDS_REVIEW"))
        << r.dump(2);
    bool reason_given = false;
    for (const auto& c : r["checks"]) {
      const std::string name = c.value("name", "");
      const std::string outcome = c.value("outcome", "");
      EXPECT_NE(outcome, "CHECK_OUTCOME_FAIL") << name << "\n" << r.dump(2);
      if (outcome == "CHECK_OUTCOME_REVIEW" && !c.value("reason", "").empty()) {
        reason_given = true;
      }
    }
    if (decision == "DECISION_NEEDS_REVIEW") {
      EXPECT_TRUE(reason_given) << r.dump(2);
    }
    EXPECT_FALSE(r.contains("errors")) << r.dump(2);
  }
};

TEST_F(GenuinePagesE2eTest, RealSpecimenPassportPageIsNotRejected) {
  VOUCH_REQUIRE_SHARED_DIR();
  // td3_che_schweizer_sample.jpg (corpus/mrz_real/manifest.json): P<CHE
  // SCHWEIZER SAMPLE, HELVETIA, F, born 1995-08-01, S0A00A92, expires
  // 2032-09-25, check digits valid.
  const std::filesystem::path page =
      ::vouch::testing::SharedDir() / "corpus" / "mrz_real" / "td3_che_schweizer_sample.jpg";
  ASSERT_TRUE(std::filesystem::exists(page)) << page;
  const std::string sample = dir_ + "/real";
  std::filesystem::create_directories(sample);
  std::filesystem::copy_file(page, sample + "/passport_front.jpg");
  // The selfie: the page's own portrait (ICAO 9303 zone V, the left third
  // of the page), enlarged as a phone's front camera would frame it.
  const cv::Mat img = cv::imread(page.string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(img.empty());
  const cv::Rect portrait(0, img.rows / 8, img.cols * 2 / 5, img.rows * 3 / 4);
  cv::Mat selfie;
  cv::resize(img(portrait), selfie, cv::Size(), 2.0, 2.0, cv::INTER_CUBIC);
  ASSERT_TRUE(cv::imwrite(sample + "/selfie.jpg", selfie));
  const nlohmann::json plain = {
      {"nonce", kNonce},
      {"elements",
       {{{"type", "personal_details"},
         {"data",
          {{"first_name", "Helvetia"},
           {"last_name", "Schweizer Sample"},
           {"birth_date", "01.08.1995"},
           {"gender", "female"},
           {"country_code", "CH"},
           {"residence_country_code", "CH"}}}},
        {{"type", "passport"},
         {"data", {{"document_no", "S0A00A92"}, {"expiry_date", "25.09.2032"}}},
         {"front_side", "passport_front.jpg"},
         {"selfie", "selfie.jpg"}}}}};
  std::ofstream(sample + "/PLAIN.json") << plain.dump(2);

  const nlohmann::json r = SealSubmit(sample);

  ExpectNotRejected(r);
  // The page went through the quality and fraud checks.
  bool screen_checked = false;
  for (const auto& c : r["checks"]) {
    if (c.value("name", "") == "quality.screen.front_side") screen_checked = true;
  }
  EXPECT_TRUE(screen_checked) << r.dump(2);
}

// A Russian internal passport, Telegram's `internal_passport`: its MRZ
// (`PNRUS`) spells the names in its own scheme (`IM8REK` for Имярек), prints
// no expiry and splits the series (11 0 / 4). The user typed the names as
// their travel passport spells them and in Cyrillic, and the series and
// number as printed. The MRZ reads valid and every comparison with the
// typed data passes: VERIFIED.
TEST_F(GenuinePagesE2eTest, RealRussianInternalPassportMatchesWhatTheUserTyped) {
  VOUCH_REQUIRE_SHARED_DIR();
  // td3_rus_internal_imbrek_scan.jpg (corpus/mrz_real/manifest.json).
  const std::filesystem::path page =
      ::vouch::testing::SharedDir() / "corpus" / "mrz_real" / "td3_rus_internal_imbrek_scan.jpg";
  ASSERT_TRUE(std::filesystem::exists(page)) << page;
  // The selfie is the page itself (the portrait's mosaic, cut out and
  // enlarged, is no face to the detector).
  const std::string sample =
      RealPageSample("rus_internal", page, "internal_front.jpg", "selfie.jpg");
  const nlohmann::json plain = {{"nonce", kNonce},
                                {"elements",
                                 {{{"type", "personal_details"},
                                   {"data",
                                    {{"first_name", "Evgenii"},
                                     {"middle_name", "Aleksandrovich"},
                                     {"last_name", "Imiarek"},
                                     {"first_name_native", "Евгений"},
                                     {"middle_name_native", "Александрович"},
                                     {"last_name_native", "Имярек"},
                                     {"birth_date", "12.09.1982"},
                                     {"gender", "male"},
                                     {"country_code", "RU"},
                                     {"residence_country_code", "RU"}}}},
                                  {{"type", "internal_passport"},
                                   {"data", {{"document_no", "1104 000000"}}},
                                   {"front_side", "internal_front.jpg"},
                                   {"selfie", "selfie.jpg"}}}}};
  std::ofstream(sample + "/PLAIN.json") << plain.dump(2);

  const nlohmann::json r = SealSubmit(sample);

  ExpectNotRejected(r);
  EXPECT_EQ(r.value("decision", ""), "DECISION_VERIFIED") << r.dump(2);
  int mrz_checks = 0;
  for (const auto& c : r["checks"]) {
    const std::string name = c.value("name", "");
    if (name.rfind("mrz", 0) != 0) continue;
    ++mrz_checks;
    EXPECT_EQ(c.value("outcome", ""), "CHECK_OUTCOME_PASS") << name << "\n" << r.dump(2);
  }
  // The MRZ itself, the document number and the five personal fields.
  EXPECT_GE(mrz_checks, 7) << r.dump(2);
}

TEST_F(GenuinePagesE2eTest, GeneratedPassportPageIsNotRejected) {
  const std::string sample = dir_ + "/generated";
  auto [rc, out] = RunShell(absl::StrCat(
      VOUCH_SAMPLE_PATH, " --out ", sample, " --nonce ", kNonce, " --seed 23 --face ",
      VOUCH_SOURCE_DIR, "/models/face/samples/astronaut.png --face-box 120,0,210,273 2>&1"));
  ASSERT_EQ(rc, 0) << out;

  const nlohmann::json r = SealSubmit(sample);

  ExpectNotRejected(r);
}

// A real visa specimen sent as the user's `passport`, every typed field as
// printed: its MRZ reads valid, but a visa is no passport, and the
// attestation would say it is. The user is told on the scan what to fix.
TEST_F(GenuinePagesE2eTest, RealVisaSentAsThePassportIsRejectedForItsKind) {
  VOUCH_REQUIRE_SHARED_DIR();
  // mrva_usa_traveler.png (corpus/specimens/manifest.json): VNUSA
  // TRAVELER HAPPY, CAN, M, born 1966-12-12, 123456789.
  const std::filesystem::path page =
      ::vouch::testing::SharedDir() / "corpus" / "specimens" / "mrva_usa_traveler.png";
  ASSERT_TRUE(std::filesystem::exists(page)) << page;
  const std::string sample = RealPageSample("visa", page, "passport_front.png", "selfie.png");
  const nlohmann::json plain = {{"nonce", kNonce},
                                {"elements",
                                 {{{"type", "personal_details"},
                                   {"data",
                                    {{"first_name", "Happy"},
                                     {"last_name", "Traveler"},
                                     {"birth_date", "12.12.1966"},
                                     {"gender", "male"},
                                     {"country_code", "CA"},
                                     {"residence_country_code", "CA"}}}},
                                  {{"type", "passport"},
                                   {"data", {{"document_no", "123456789"}}},
                                   {"front_side", "passport_front.png"},
                                   {"selfie", "selfie.png"}}}}};
  std::ofstream(sample + "/PLAIN.json") << plain.dump(2);

  const nlohmann::json r = SealSubmit(sample);

  EXPECT_EQ(r.value("decision", ""), "DECISION_REJECTED") << r.dump(2);
  bool kind_failed = false;
  for (const auto& c : r["checks"]) {
    if (c.value("name", "") != "document_type_matches_mrz") continue;
    kind_failed = c.value("outcome", "") == "CHECK_OUTCOME_FAIL" &&
                  c.value("reason", "") == "document_kind_mismatch";
  }
  EXPECT_TRUE(kind_failed) << r.dump(2);
  // The typed data matched the visa: the only data the user is told to fix
  // is the scan.
  bool front_side_error = false;
  for (const auto& e : r["errors"]) {
    EXPECT_NE(e.value("source", ""), "data") << e.dump();
    front_side_error |=
        e.value("source", "") == "front_side" &&
        e.value("message", "").find("another kind of document") != std::string::npos;
  }
  EXPECT_TRUE(front_side_error) << r.dump(2);
}

}  // namespace
}  // namespace vouch
