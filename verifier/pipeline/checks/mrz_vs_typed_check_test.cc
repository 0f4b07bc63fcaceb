#include "checks/mrz_vs_typed_check.h"

#include "gtest/gtest.h"
#include "testing/check_testing.h"

namespace vouch::verifier::pipeline {
namespace {

using testing::CheckIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class MrzVsTypedCheckTest : public ::testing::Test {
 protected:
  std::vector<v1::Check> Run() {
    Findings findings(policy_);
    const Evidence evidence = testing::EvidenceWith(&personal_);
    MrzVsTypedCheck().Run(testing::ReadPassport(passport_), evidence, findings);
    errors_ = findings.errors();
    return findings.checks();
  }

  Policy policy_ = testing::TestPolicy();
  OpenedElement passport_ = testing::Passport();
  OpenedElement personal_ = testing::PersonalDetails();
  std::vector<v1::PassportElementError> errors_;
};

TEST_F(MrzVsTypedCheckTest, MatchingTypedDataPassesEveryField) {
  EXPECT_THAT(Run(), ElementsAre(CheckIs("mrz_vs_typed.document_no", v1::CHECK_OUTCOME_PASS, ""),
                                 CheckIs("mrz_vs_typed.expiry_date", v1::CHECK_OUTCOME_PASS, ""),
                                 CheckIs("mrz_vs_typed.last_name", v1::CHECK_OUTCOME_PASS, ""),
                                 CheckIs("mrz_vs_typed.first_name", v1::CHECK_OUTCOME_PASS, ""),
                                 CheckIs("mrz_vs_typed.birth_date", v1::CHECK_OUTCOME_PASS, ""),
                                 CheckIs("mrz_vs_typed.gender", v1::CHECK_OUTCOME_PASS, ""),
                                 CheckIs("mrz_vs_typed.country_code", v1::CHECK_OUTCOME_PASS, "")));
}

TEST_F(MrzVsTypedCheckTest, OtherBirthDateFailsOnTheTypedField) {
  testing::SetField(personal_, "birth_date", "13.08.1974");
  EXPECT_THAT(Run(), Contains(CheckIs("mrz_vs_typed.birth_date", v1::CHECK_OUTCOME_FAIL,
                                      "birth_date_mismatch")));
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].source(), "data");
  EXPECT_EQ(errors_[0].field_name(), "birth_date");
  EXPECT_EQ(errors_[0].data_hash(), "dh-personal_details");
}

TEST_F(MrzVsTypedCheckTest, TypedDocumentNumberIsComparedAsTheMrzWritesIt) {
  testing::SetField(passport_, "document_no", "l89-890 2c3");
  EXPECT_THAT(Run(), Contains(CheckIs("mrz_vs_typed.document_no", v1::CHECK_OUTCOME_PASS, "")));
}

TEST_F(MrzVsTypedCheckTest, OtherLastNameFails) {
  testing::SetField(personal_, "last_name", "Svensson");
  EXPECT_THAT(Run(), Contains(CheckIs("mrz_vs_typed.last_name", v1::CHECK_OUTCOME_FAIL,
                                      "last_name_mismatch")));
}

TEST_F(MrzVsTypedCheckTest, NothingWithoutAValidMrz) {
  Findings findings(policy_);
  DocumentEvidence doc = testing::ReadPassport(passport_);
  doc.mrz->fields.check_digits_ok = false;
  MrzVsTypedCheck().Run(doc, testing::EvidenceWith(&personal_), findings);
  EXPECT_THAT(findings.checks(), IsEmpty());
}

}  // namespace
}  // namespace vouch::verifier::pipeline
