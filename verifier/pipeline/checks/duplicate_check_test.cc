// DuplicateCheck alone: the index's answer is the evidence, so a fake
// index is a DuplicateEvidence written by hand.
#include "checks/duplicate_check.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/check_testing.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::pipeline {
namespace {

using testing::CheckIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::vouch::testing::StatusIs;
using Action = Policy::Duplicates::Action;

storage::DuplicateEntry Match(const std::string& verification_id, bool forged = false) {
  storage::DuplicateEntry e;
  e.scope = "service:svc";
  e.key_id = "k1";
  e.hash = "h";
  e.verification_id = verification_id;
  e.user_hash = "another user";
  e.forged = forged;
  return e;
}

class DuplicateCheckTest : public testing::OneCheckTest<DuplicateCheck> {
 protected:
  DuplicateCheckTest() {
    policy_.duplicates.document = Action::kReview;
    evidence_.duplicates = DuplicateEvidence{true, true, false, false, {}};
  }
};

TEST_F(DuplicateCheckTest, NoMatchPasses) {
  EXPECT_THAT(Run(), ElementsAre(CheckIs("duplicate_document", v1::CHECK_OUTCOME_PASS, "")));
  EXPECT_EQ(decision_, v1::DECISION_VERIFIED);
}

TEST_F(DuplicateCheckTest, AnotherUsersDocumentIsReviewedByDefault) {
  evidence_.duplicates->matches.documents = {Match("ver_other")};
  EXPECT_THAT(Run(), ElementsAre(CheckIs("duplicate_document", v1::CHECK_OUTCOME_REVIEW,
                                         "duplicate_document")));
  EXPECT_EQ(decision_, v1::DECISION_NEEDS_REVIEW);
  EXPECT_EQ(errors_, 0u);  // Nothing for the user to fix, nothing said.
}

TEST_F(DuplicateCheckTest, AnotherUsersDocumentIsRejectedWhenThePolicySays) {
  policy_.duplicates.document = Action::kReject;
  evidence_.duplicates->matches.documents = {Match("ver_other")};
  EXPECT_THAT(Run(), ElementsAre(CheckIs("duplicate_document", v1::CHECK_OUTCOME_FAIL,
                                         "duplicate_document")));
  EXPECT_EQ(decision_, v1::DECISION_REJECTED);
  EXPECT_EQ(errors_, 0u);
}

TEST_F(DuplicateCheckTest, AForgedMatchIsReviewedEvenUnderReject) {
  policy_.duplicates.document = Action::kReject;
  evidence_.duplicates->matches.documents = {Match("ver_a"), Match("ver_forged", true)};
  EXPECT_THAT(Run(), ElementsAre(CheckIs("duplicate_document", v1::CHECK_OUTCOME_REVIEW,
                                         "duplicate_forged")));
  EXPECT_EQ(decision_, v1::DECISION_NEEDS_REVIEW);
}

TEST_F(DuplicateCheckTest, PersonRuleIsItsOwnCheck) {
  policy_.duplicates.person = Action::kReview;
  evidence_.duplicates->matches.persons = {Match("ver_other")};
  EXPECT_THAT(Run(), ElementsAre(CheckIs("duplicate_document", v1::CHECK_OUTCOME_PASS, ""),
                                 CheckIs("duplicate_person", v1::CHECK_OUTCOME_REVIEW,
                                         "duplicate_person")));
}

TEST_F(DuplicateCheckTest, PersonMatchesAreIgnoredWhenThePersonRuleIsOff) {
  evidence_.duplicates->matches.persons = {Match("ver_other")};
  EXPECT_THAT(Run(), ElementsAre(CheckIs("duplicate_document", v1::CHECK_OUTCOME_PASS, "")));
}

TEST_F(DuplicateCheckTest, NothingToLookUpIsSkipped) {
  evidence_.duplicates->document_looked_up = false;
  EXPECT_THAT(Run(), ElementsAre(CheckIs("duplicate_document", v1::CHECK_OUTCOME_SKIPPED,
                                         "duplicate_document")));
}

TEST_F(DuplicateCheckTest, OffRunsNothing) {
  policy_.duplicates.document = Action::kOff;
  evidence_.duplicates->matches.documents = {Match("ver_other")};
  EXPECT_THAT(Run(), IsEmpty());
}

TEST_F(DuplicateCheckTest, WithoutAnIndexTheCheckIsUnavailable) {
  evidence_.duplicates.reset();
  EXPECT_THAT(Run(), ElementsAre(CheckIs("duplicate_document", v1::CHECK_OUTCOME_REVIEW,
                                         "duplicate_index_unavailable")));
}

constexpr absl::string_view kConfig = testing::kOnePolicyConfig;

TEST(DuplicateCheckPolicyTest, KeysAreParsed) {
  absl::StatusOr<Config> config =
      Config::Parse(absl::StrCat(kConfig,
                                 "duplicate_document = \"reject\"\nduplicate_person = \"review\"\n"
                                 "duplicate_scope = \"provider\"\nduplicate_ttl = \"720h\"\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  const Policy& p = **config->FindPolicy("kyc");
  EXPECT_EQ(p.duplicates.document, Action::kReject);
  EXPECT_EQ(p.duplicates.person, Action::kReview);
  EXPECT_TRUE(p.duplicates.provider_scope);
  EXPECT_EQ(p.duplicates.ttl, absl::Hours(24 * 30));
}

TEST(DuplicateCheckPolicyTest, DefaultsAreOffPerServiceOneYear) {
  absl::StatusOr<Config> config = Config::Parse(kConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  const Policy& p = **config->FindPolicy("kyc");
  EXPECT_EQ(p.duplicates.document, Action::kOff);
  EXPECT_EQ(p.duplicates.person, Action::kOff);
  EXPECT_FALSE(p.duplicates.provider_scope);
  EXPECT_EQ(p.duplicates.ttl, absl::Hours(24 * 365));
}

TEST(DuplicateCheckPolicyTest, BadValuesAreRefusedNamingTheKey) {
  EXPECT_THAT(Config::Parse(absl::StrCat(kConfig, "duplicate_person = \"reject\"\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate_person")));
  EXPECT_THAT(Config::Parse(absl::StrCat(kConfig, "duplicate_document = \"maybe\"\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate_document")));
  EXPECT_THAT(Config::Parse(absl::StrCat(kConfig, "duplicate_scope = \"world\"\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate_scope")));
}

}  // namespace
}  // namespace vouch::verifier::pipeline
