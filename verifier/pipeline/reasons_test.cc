#include "pipeline/reasons.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace vouch::verifier::pipeline {
namespace {

TEST(ReasonsTest, RowsAreInEnumOrderWithUniqueWireNames) {
  int count = 0;
  const ReasonRow* rows = ReasonRows(&count);
  std::set<std::string> names;
  for (int i = 0; i < count; ++i) {
    EXPECT_EQ(static_cast<int>(rows[i].reason), i) << rows[i].wire_name;
    EXPECT_TRUE(names.insert(std::string(rows[i].wire_name)).second) << rows[i].wire_name;
  }
  EXPECT_EQ(count, static_cast<int>(Reason::kDuplicateFace) + 1);
}

TEST(ReasonsTest, WireNamesAreStable) {
  // Relying services and the e2e tests match these: they never change.
  EXPECT_EQ(WireName(Reason::kMrzNotFound), "mrz_not_found");
  EXPECT_EQ(WireName(Reason::kFaceMismatch), "face_mismatch");
  EXPECT_EQ(WireName(Reason::kUnderMinimumAge), "under_minimum_age");
  EXPECT_EQ(WireName(Reason::kMrzAbsentBarcodeRead), "mrz_absent_barcode_read");
  EXPECT_EQ(WireName(Reason::kSelfieSeveralFaces), "selfie_several_faces");
  EXPECT_EQ(WireName(Reason::kDuplicateDocument), "duplicate_document");
  EXPECT_EQ(WireName(Reason::kDuplicateFace), "duplicate_face");
}

TEST(ReasonsTest, ReasonByWireNameFindsRowsOnly) {
  EXPECT_EQ(ReasonByWireName("document_face_too_small"), Reason::kDocumentFaceTooSmall);
  EXPECT_EQ(ReasonByWireName("face_mismatch"), Reason::kFaceMismatch);
  EXPECT_EQ(ReasonByWireName("face_mismatch_uncertain"), std::nullopt);
  EXPECT_EQ(ReasonByWireName(""), std::nullopt);
}

TEST(ReasonsTest, ReasonsWithoutAMessageGetTheGenericOne) {
  EXPECT_EQ(UserMessage(Reason::kBirthDateMissing), "Enter your date of birth.");
  EXPECT_EQ(UserMessage(Reason::kPoorQuality), kGenericUserMessage);
}

}  // namespace
}  // namespace vouch::verifier::pipeline
