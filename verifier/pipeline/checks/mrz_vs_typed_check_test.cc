#include "checks/mrz_vs_typed_check.h"

#include "gtest/gtest.h"
#include "testing/check_testing.h"

namespace vouch::verifier::pipeline {
namespace {

using testing::CheckIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The check's findings on `doc` against `personal`.
std::vector<v1::Check> RunCheck(const DocumentEvidence& doc, const OpenedElement& personal,
                                const Policy& policy,
                                std::vector<v1::PassportElementError>* errors = nullptr) {
  Findings findings(policy);
  MrzVsTypedCheck().Run(doc, testing::EvidenceWith(&personal), findings);
  if (errors != nullptr) *errors = findings.errors();
  return findings.checks();
}

class MrzVsTypedCheckTest : public ::testing::Test {
 protected:
  std::vector<v1::Check> Run() {
    return RunCheck(testing::ReadPassport(passport_), personal_, policy_, &errors_);
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

// ICAO has an issuer print an unknown part of a birth date as fillers. A
// typed date within the days it may be cannot be told wrong, but the
// document does not confirm the day: a person looks, and the user gets no
// error. A typed date outside them is wrong as any other.
TEST_F(MrzVsTypedCheckTest, BirthDatePrintedPartlyUnknownGoesToReviewWhenTheTypedDateFits) {
  MrzFields mrz = testing::PrintedSpecimenMrz();
  mrz.birth_date = std::nullopt;  // Printed "7408<<": the day unknown.
  mrz.birth_date_range = DayRange{absl::CivilDay(1974, 8, 1), absl::CivilDay(1974, 8, 31)};
  const DocumentEvidence doc = testing::ReadDocument(passport_, mrz);

  std::vector<v1::PassportElementError> errors;
  EXPECT_THAT(RunCheck(doc, personal_, policy_, &errors),  // Typed 12.08.1974.
              Contains(CheckIs("mrz_vs_typed.birth_date", v1::CHECK_OUTCOME_REVIEW,
                               "birth_date_partly_unknown")));
  EXPECT_THAT(errors, IsEmpty());

  testing::SetField(personal_, "birth_date", "12.09.1974");
  EXPECT_THAT(
      RunCheck(doc, personal_, policy_, &errors),
      Contains(CheckIs("mrz_vs_typed.birth_date", v1::CHECK_OUTCOME_FAIL, "birth_date_mismatch")));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field_name(), "birth_date");
}

TEST_F(MrzVsTypedCheckTest, KosovoTypedAsXkMatchesItsIcaoCode) {
  MrzFields mrz = testing::PrintedSpecimenMrz();
  mrz.nationality = "RKS";
  testing::SetField(personal_, "country_code", "XK");
  EXPECT_THAT(RunCheck(testing::ReadDocument(passport_, mrz), personal_, policy_),
              Contains(CheckIs("mrz_vs_typed.country_code", v1::CHECK_OUTCOME_PASS, "")));
}

TEST_F(MrzVsTypedCheckTest, OtherCountryFailsOnTheTypedCitizenship) {
  testing::SetField(personal_, "country_code", "NO");
  EXPECT_THAT(Run(), Contains(CheckIs("mrz_vs_typed.country_code", v1::CHECK_OUTCOME_FAIL,
                                      "nationality_mismatch")));
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].field_name(), "country_code");
}

TEST_F(MrzVsTypedCheckTest, StatelessOrRefugeeHolderGoesToReviewWithoutAnError) {
  // XXA: a stateless person's travel document; XXB: a refugee's. No
  // country a user can choose is their nationality.
  for (const char* code : {"XXA", "XXB", "UNO"}) {
    MrzFields mrz = testing::PrintedSpecimenMrz();
    mrz.nationality = code;
    std::vector<v1::PassportElementError> errors;
    EXPECT_THAT(RunCheck(testing::ReadDocument(passport_, mrz), personal_, policy_, &errors),
                Contains(CheckIs("mrz_vs_typed.country_code", v1::CHECK_OUTCOME_REVIEW,
                                 "nationality_not_a_country")))
        << code;
    EXPECT_THAT(errors, IsEmpty()) << code;
  }
}

TEST_F(MrzVsTypedCheckTest, TypedDocumentNumberIsComparedAsTheMrzWritesIt) {
  testing::SetField(passport_, "document_no", "l89-890 2c3");
  EXPECT_THAT(Run(), Contains(CheckIs("mrz_vs_typed.document_no", v1::CHECK_OUTCOME_PASS, "")));
}

// Spain's identity card prints the card's support number as the MRZ's
// document number (`BAA000589`) and the DNI number, the one its holders know
// as their document's number, as the optional data (`99999999R`): either
// typed matches. A number printed nowhere fails, and so does a typed short
// code that only equals a short optional datum.
TEST_F(MrzVsTypedCheckTest, TypedNumberMayBeTheNationalNumberInTheOptionalData) {
  const auto run = [&](const std::string& typed, const std::string& optional) {
    pipeline::MrzFields m = testing::PrintedSpecimenMrz();
    m.format = "TD1";
    m.document_code = "ID";
    m.document_number = "BAA000589";
    m.optional_data = optional;
    OpenedElement card = testing::Element("identity_card");
    testing::SetFields(card, {{"document_no", typed}, {"expiry_date", "15.04.2032"}});
    return RunCheck(testing::ReadDocument(card, m), personal_, policy_);
  };
  const auto number_check = [](const char* outcome_reason) {
    return outcome_reason[0] == '\0'
               ? CheckIs("mrz_vs_typed.document_no", v1::CHECK_OUTCOME_PASS, "")
               : CheckIs("mrz_vs_typed.document_no", v1::CHECK_OUTCOME_FAIL, outcome_reason);
  };
  EXPECT_THAT(run("BAA000589", "99999999R"), Contains(number_check("")));
  EXPECT_THAT(run("99999999-r", "99999999R"), Contains(number_check("")));
  EXPECT_THAT(run("99999998R", "99999999R"), Contains(number_check("document_number_mismatch")));
  EXPECT_THAT(run("12AB", "12AB"), Contains(number_check("document_number_mismatch")));
}

// The specimen's given names are `ANNA MARIA`: `Anna` alone is its first
// given name and passes; `Maria` alone, or a part of a name, does not.
TEST_F(MrzVsTypedCheckTest, FirstNameMayLeaveOutTheLaterGivenNames) {
  testing::SetField(personal_, "first_name", "Anna");
  EXPECT_THAT(Run(), Contains(CheckIs("mrz_vs_typed.first_name", v1::CHECK_OUTCOME_PASS, "")));
  for (const char* other : {"Maria", "Ann"}) {
    SCOPED_TRACE(other);
    testing::SetField(personal_, "first_name", other);
    EXPECT_THAT(Run(), Contains(CheckIs("mrz_vs_typed.first_name", v1::CHECK_OUTCOME_FAIL,
                                        "first_name_mismatch")));
  }
}

// A TD1 card whose surname fills the name field (`SHYNBUCHOU<JAI<KYM<
// PLOUTPLIT<B`, no `<<`): the MRZ prints no given names, so the typed first
// name can only be compared with the page. A person does; the user is not
// told that a name they typed right is wrong. The surname still compares
// (a prefix, the field being full).
TEST_F(MrzVsTypedCheckTest, NoGivenNamesInTheMrzSendTheFirstNameToAPerson) {
  pipeline::MrzFields m = testing::PrintedSpecimenMrz();
  m.format = "TD1";
  m.document_code = "I";
  m.surname = "SHYNBUCHOU JAI KYM PLOUTPLIT B";
  m.given_names = "";
  testing::SetField(personal_, "last_name", "Shynbuchou Jai Kym Ploutplit Bao");
  testing::SetField(personal_, "first_name", "Lin");
  OpenedElement card = testing::Element("identity_card");
  testing::SetFields(card, {{"document_no", "L898902C3"}});
  std::vector<v1::PassportElementError> errors;
  const std::vector<v1::Check> checks =
      RunCheck(testing::ReadDocument(card, m), personal_, policy_, &errors);
  EXPECT_THAT(checks, Contains(CheckIs("mrz_vs_typed.first_name", v1::CHECK_OUTCOME_REVIEW,
                                       "first_name_not_in_mrz")));
  EXPECT_THAT(checks, Contains(CheckIs("mrz_vs_typed.last_name", v1::CHECK_OUTCOME_PASS, "")));
  EXPECT_THAT(errors, IsEmpty());
  // Another surname still fails.
  testing::SetField(personal_, "last_name", "Shynbuchov");
  EXPECT_THAT(
      RunCheck(testing::ReadDocument(card, m), personal_, policy_),
      Contains(CheckIs("mrz_vs_typed.last_name", v1::CHECK_OUTCOME_FAIL, "last_name_mismatch")));
}

TEST_F(MrzVsTypedCheckTest, OtherLastNameFails) {
  testing::SetField(personal_, "last_name", "Svensson");
  EXPECT_THAT(Run(), Contains(CheckIs("mrz_vs_typed.last_name", v1::CHECK_OUTCOME_FAIL,
                                      "last_name_mismatch")));
}

TEST_F(MrzVsTypedCheckTest, NothingWithoutAValidMrz) {
  DocumentEvidence doc = testing::ReadPassport(passport_);
  doc.mrz->fields.check_digits_ok = false;
  EXPECT_THAT(RunCheck(doc, personal_, policy_), IsEmpty());
}

// A Russian internal passport (`PNRUS`), which writes the names in its own
// scheme (`IM8REK` for Имярек, `EVGENIQ<ALEKSANDROVI3` for Евгений
// Александрович) and prints no expiry, read valid; the user typed the
// Latin names as their travel passport spells them by the ICAO table, and
// the native ones. The reader names the scheme (MrzFields::name_script):
// the same names in an ICAO passport are compared by the ICAO table.
class RussianInternalPassportTest : public ::testing::Test {
 protected:
  RussianInternalPassportTest() {
    testing::SetFields(personal_, {{"first_name", "Evgenii"},
                                   {"middle_name", "Aleksandrovich"},
                                   {"last_name", "Imiarek"},
                                   {"first_name_native", "Евгений"},
                                   {"middle_name_native", "Александрович"},
                                   {"last_name_native", "Имярек"},
                                   {"birth_date", "12.09.1982"},
                                   {"gender", "male"},
                                   {"country_code", "RU"}});
  }

  std::vector<v1::Check> Run(MrzNameScript script = MrzNameScript::kRussianInternal) {
    pipeline::MrzFields m = testing::PrintedSpecimenMrz();
    m.document_code = "PN";
    m.name_script = script;
    if (script == MrzNameScript::kRussianInternal) m.national_scheme = "RUS internal passport";
    m.issuing_state = "RUS";
    m.surname = "IM8REK";
    m.given_names = "EVGENIQ ALEKSANDROVI3";
    m.document_number = "1104000000";  // Series 11 04 and number, as ocr joins them.
    m.nationality = "RUS";
    m.birth_date = absl::CivilDay(1982, 9, 12);
    m.sex = "M";
    m.expiry_date = std::nullopt;
    return RunCheck(testing::ReadDocument(passport_, m), personal_, policy_);
  }

  Policy policy_ = testing::TestPolicy();
  OpenedElement passport_ = [] {
    OpenedElement e = testing::Element("internal_passport");
    e.front_side = testing::File("front");
    testing::SetFields(e, {{"document_no", "11 04 000000"}});
    return e;
  }();
  OpenedElement personal_ = testing::PersonalDetails();
};

TEST_F(RussianInternalPassportTest, NamesInTheNationalSchemeMatchTheTypedLatinAndNativeNames) {
  EXPECT_THAT(Run(), ElementsAre(CheckIs("mrz_vs_typed.document_no", v1::CHECK_OUTCOME_PASS, ""),
                                 CheckIs("mrz_vs_typed.last_name", v1::CHECK_OUTCOME_PASS, ""),
                                 CheckIs("mrz_vs_typed.first_name", v1::CHECK_OUTCOME_PASS, ""),
                                 CheckIs("mrz_vs_typed.birth_date", v1::CHECK_OUTCOME_PASS, ""),
                                 CheckIs("mrz_vs_typed.gender", v1::CHECK_OUTCOME_PASS, ""),
                                 CheckIs("mrz_vs_typed.country_code", v1::CHECK_OUTCOME_PASS, "")));
  // Only the native names typed as printed: they match by the scheme alone.
  testing::SetField(personal_, "first_name", "X");
  testing::SetField(personal_, "last_name", "X");
  EXPECT_THAT(Run(), Contains(CheckIs("mrz_vs_typed.last_name", v1::CHECK_OUTCOME_PASS, "")));
  EXPECT_THAT(Run(), Contains(CheckIs("mrz_vs_typed.first_name", v1::CHECK_OUTCOME_PASS, "")));
}

TEST_F(RussianInternalPassportTest, OtherNamesFail) {
  // `Imbrek` is what `IM8REK` would be with `8` misread as `B`.
  testing::SetField(personal_, "last_name", "Imbrek");
  testing::SetField(personal_, "last_name_native", "Имбрек");
  EXPECT_THAT(Run(), Contains(CheckIs("mrz_vs_typed.last_name", v1::CHECK_OUTCOME_FAIL,
                                      "last_name_mismatch")));
}

TEST_F(RussianInternalPassportTest, AnIcaoPassportIsNotReadByTheNationalScheme) {
  testing::SetField(personal_, "last_name_native", "");
  EXPECT_THAT(
      Run(MrzNameScript::kIcao),
      Contains(CheckIs("mrz_vs_typed.last_name", v1::CHECK_OUTCOME_FAIL, "last_name_mismatch")));
}

}  // namespace
}  // namespace vouch::verifier::pipeline
