#ifndef VOUCH_TESTS_TESTING_CHECK_TESTING_H_
#define VOUCH_TESTS_TESTING_CHECK_TESTING_H_

// Test-only: evidence and matchers for the checks' unit tests.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipeline/check.h"
#include "testing/typed_fields.h"

namespace vouch::verifier::testing {

inline const absl::CivilDay kToday(2026, 11, 27);

inline pipeline::OpenedFile File(const std::string& hash) {
  pipeline::OpenedFile f;
  f.file_id = "id-" + hash;
  f.file_hash = hash;
  return f;
}

inline pipeline::OpenedElement Element(const std::string& type) {
  pipeline::OpenedElement e;
  e.type = type;
  e.element_hash = "eh-" + type;
  e.data_hash = "dh-" + type;
  return e;
}

inline pipeline::OpenedElement Passport() {
  pipeline::OpenedElement e = Element("passport");
  e.front_side = File("front");
  e.selfie = File("selfie");
  SetFields(e, {{"document_no", "L898902C3"}, {"expiry_date", "15.04.2032"}});
  return e;
}

inline pipeline::OpenedElement PersonalDetails() {
  pipeline::OpenedElement e = Element("personal_details");
  SetFields(e, {{"first_name", "Anna Maria"},
                {"last_name", "Eriksson"},
                {"birth_date", "12.08.1974"},
                {"gender", "female"},
                {"country_code", "SE"}});
  return e;
}

// ICAO Doc 9303 Part 4 specimen as printed (issuing state UTO), read valid.
// Named apart from pipeline_fakes.h's SpecimenMrz (SWE), which is in the same
// namespace: two inline functions of one name with different bodies would be
// an ODR violation in any test binary that linked both headers.
inline pipeline::MrzFields PrintedSpecimenMrz() {
  pipeline::MrzFields m;
  m.format = "TD3";
  m.document_code = "P";
  m.issuing_state = "UTO";
  m.surname = "ERIKSSON";
  m.given_names = "ANNA MARIA";
  m.document_number = "L898902C3";
  m.nationality = "SWE";
  m.birth_date = absl::CivilDay(1974, 8, 12);
  m.sex = "F";
  m.expiry_date = absl::CivilDay(2032, 4, 15);
  m.check_digits_ok = true;
  m.confidence = 1;
  return m;
}

// A document whose front was read with `mrz`.
inline pipeline::DocumentEvidence ReadDocument(const pipeline::OpenedElement& e,
                                               const pipeline::MrzFields& mrz) {
  pipeline::DocumentEvidence doc = pipeline::StartDocumentEvidence(e);
  doc.front_read = true;
  doc.mrz_checked = true;
  doc.mrz = pipeline::ToEvidence(mrz);
  doc.mrz_on_front = true;
  pipeline::Resolve(doc);
  return doc;
}

// A passport whose front was read with the specimen MRZ.
inline pipeline::DocumentEvidence ReadPassport(const pipeline::OpenedElement& e) {
  return ReadDocument(e, PrintedSpecimenMrz());
}

inline pipeline::Evidence EvidenceWith(const pipeline::OpenedElement* personal) {
  pipeline::Evidence evidence;
  evidence.today = kToday;
  if (personal != nullptr) evidence.personal = pipeline::ToPersonalEvidence(*personal);
  return evidence;
}

inline pipeline::Policy TestPolicy() {
  pipeline::Policy p;
  p.name = "test";
  p.default_check = {0.5, 0.3};
  return p;
}

MATCHER_P3(CheckIs, name, outcome, reason, "") {
  return arg.name() == name && arg.outcome() == outcome && arg.reason() == reason;
}

// A fixture that runs one check alone on a passport submission with personal
// details, under TestPolicy(): the test sets policy_ and evidence_ (e.g. the
// duplicate index's answer), then Run() gives the check's rows, decision_ and
// errors_.
template <typename CheckT>
class OneCheckTest : public ::testing::Test {
 protected:
  OneCheckTest() : policy_(TestPolicy()), evidence_(EvidenceWith(&personal_)) {
    evidence_.documents.push_back(ReadPassport(passport_));
  }

  std::vector<v1::Check> Run() {
    pipeline::Findings findings(policy_);
    CheckT().Run(submission_, evidence_, findings);
    decision_ = findings.Decide();
    errors_ = findings.errors().size();
    return findings.checks();
  }

  const pipeline::OpenedElement passport_ = Passport();
  const pipeline::OpenedElement personal_ = PersonalDetails();
  const pipeline::OpenedSubmission submission_;
  pipeline::Policy policy_;
  pipeline::Evidence evidence_;
  v1::Decision decision_ = v1::DECISION_UNSPECIFIED;
  size_t errors_ = 0;
};

// The smallest config with one policy ("kyc"), for the policy-key tests.
inline constexpr absl::string_view kOnePolicyConfig = R"(
[issuer]
url = "https://idv.example"
[policies.kyc]
relying_services = ["bank"]
)";

}  // namespace vouch::verifier::testing

#endif  // VOUCH_TESTS_TESTING_CHECK_TESTING_H_
