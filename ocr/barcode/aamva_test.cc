#include "ocr/aamva.h"

#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace vouch::ocr {
namespace {

using ::testing::HasSubstr;
using ::vouch::testing::StatusIs;

// Builds a payload as AAMVA DL/ID-2020 Annex D lays it out: header (21
// bytes for version >= 02), one 10-byte designator per subfile, subfiles.
// `offset_delta` corrupts the first designator's offset.
std::string Payload(const std::string& subfile, const std::string& version = "10",
                    int offset_delta = 0, const std::string& type = "DL") {
  std::string header = "@\n\x1e\rANSI 636014" + version;
  if (version != "01") header += "00";
  header += "01";
  char designator[16];
  std::snprintf(designator, sizeof designator, "%s%04zu%04zu", type.c_str(),
                header.size() + 10 + offset_delta, subfile.size());
  return header + designator + subfile;
}

// A fictional Californian licence holder (no real person).
const std::string kSubfile =
    "DLDAQD1234567\nDCSSAMPLE\nDACALEX\nDADJ\nDBB01151990\nDBA01152030\n"
    "DBD01152022\nDBC2\nDAJCA\nDCGUSA\nDAKSACRAMENTO\n\r";

TEST(ParseAamvaTest, ParsesDlSubfile) {
  absl::StatusOr<AamvaRecord> r = ParseAamva(Payload(kSubfile));

  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->issuer_id, "636014");
  EXPECT_EQ(r->aamva_version, 10);
  EXPECT_EQ(r->subfile_type, "DL");
  EXPECT_EQ(r->document_number, "D1234567");
  EXPECT_EQ(r->family_name, "SAMPLE");
  EXPECT_EQ(r->first_name, "ALEX");
  EXPECT_EQ(r->middle_names, "J");
  EXPECT_EQ(r->sex, "F");
  EXPECT_EQ(r->state, "CA");
  EXPECT_EQ(r->country, "USA");
  EXPECT_EQ(r->date_of_birth, absl::CivilDay(1990, 1, 15));
  EXPECT_EQ(r->expiry_date, absl::CivilDay(2030, 1, 15));
  EXPECT_EQ(r->issue_date, absl::CivilDay(2022, 1, 15));
  EXPECT_EQ(r->elements.at("DAK"), "SACRAMENTO");
}

TEST(ParseAamvaTest, CanadianDatesAreYearFirst) {
  const std::string subfile = "DLDAQX99\nDCSTEST\nDBB19900115\nDBA20300115\nDCGCAN\n\r";

  absl::StatusOr<AamvaRecord> r = ParseAamva(Payload(subfile));

  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->date_of_birth, absl::CivilDay(1990, 1, 15));
  EXPECT_EQ(r->expiry_date, absl::CivilDay(2030, 1, 15));
}

TEST(ParseAamvaTest, Version01HasNoJurisdictionVersion) {
  absl::StatusOr<AamvaRecord> r = ParseAamva(Payload(kSubfile, "01"));

  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->aamva_version, 1);
  EXPECT_EQ(r->jurisdiction_version, 0);
}

TEST(ParseAamvaTest, AcceptsIdSubfile) {
  std::string subfile = kSubfile;
  subfile.replace(0, 2, "ID");

  absl::StatusOr<AamvaRecord> r = ParseAamva(Payload(subfile, "10", 0, "ID"));

  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->subfile_type, "ID");
}

TEST(ParseAamvaTest, RejectsMissingComplianceIndicators) {
  std::string p = Payload(kSubfile);
  p[2] = '\n';  // RS replaced, as some broken readers do.

  EXPECT_THAT(ParseAamva(p), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("compliance")));
  EXPECT_THAT(ParseAamva(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseAamva("hello world"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseAamvaTest, RejectsWrongFileType) {
  std::string p = Payload(kSubfile);
  p.replace(4, 5, "ANSX ");

  EXPECT_THAT(ParseAamva(p), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("file type")));
}

TEST(ParseAamvaTest, RejectsTruncatedHeader) {
  EXPECT_THAT(ParseAamva(std::string("@\n\x1e\rANSI 6360")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
}

TEST(ParseAamvaTest, RejectsNonNumericIssuerAndVersion) {
  std::string p = Payload(kSubfile);
  p[9] = 'X';  // First IIN digit.
  EXPECT_THAT(ParseAamva(p), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("issuer")));
  p = Payload(kSubfile);
  p[15] = 'V';  // Version.
  EXPECT_THAT(ParseAamva(p), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("version")));
}

TEST(ParseAamvaTest, RejectsOffsetNotPointingAtSubfileType) {
  std::string subfile = kSubfile;
  subfile.replace(0, 2, "ID");  // The designator still says DL.

  EXPECT_THAT(ParseAamva(Payload(subfile, "10", 0, "DL")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("offset does not point")));
}

TEST(ParseAamvaTest, RejectsOffsetPastThePayload) {
  EXPECT_THAT(ParseAamva(Payload(kSubfile, "10", 500)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outside the payload")));
  // Offset into the header itself.
  EXPECT_THAT(ParseAamva(Payload(kSubfile, "10", -5)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outside the payload")));
}

TEST(ParseAamvaTest, RejectsLengthPastThePayload) {
  std::string p = Payload(kSubfile);
  p.resize(p.size() - 5);

  EXPECT_THAT(ParseAamva(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outside the payload")));
}

TEST(ParseAamvaTest, RejectsEntryCountBeyondPayload) {
  std::string p = Payload(kSubfile);
  p.replace(19, 2, "99");

  EXPECT_THAT(ParseAamva(p),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("designators")));
}

TEST(ParseAamvaTest, RejectsPayloadWithoutDlOrIdSubfile) {
  std::string subfile = kSubfile;
  subfile.replace(0, 2, "ZC");

  EXPECT_THAT(ParseAamva(Payload(subfile, "10", 0, "ZC")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no DL or ID")));
}

TEST(ParseAamvaTest, RejectsMissingTerminator) {
  std::string subfile = kSubfile;
  subfile.back() = '\n';

  EXPECT_THAT(ParseAamva(Payload(subfile)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("terminator")));
}

TEST(ParseAamvaTest, RejectsInvalidDates) {
  EXPECT_THAT(ParseAamva(Payload("DLDAQ1\nDBB02301990\n\r")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DBB is not a valid date")));
  EXPECT_THAT(
      ParseAamva(Payload("DLDAQ1\nDBA2030\n\r")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DBA is not an 8-digit date")));
}

TEST(ParseAamvaTest, RejectsBadSexDuplicateAndControlCharacters) {
  EXPECT_THAT(ParseAamva(Payload("DLDAQ1\nDBC7\n\r")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DBC")));
  EXPECT_THAT(ParseAamva(Payload("DLDAQ1\nDAQ2\n\r")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("appears twice")));
  EXPECT_THAT(ParseAamva(Payload(std::string("DLDAQ1\nDCSA\x01"
                                             "B\n\r"))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control character")));
  EXPECT_THAT(ParseAamva(Payload("DLDAQ1\ndcsX\n\r")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id is malformed")));
}

TEST(ParseAamvaTest, RejectsRecordWithoutDocumentNumber) {
  EXPECT_THAT(ParseAamva(Payload("DLDCSSAMPLE\n\r")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("DAQ")));
}

TEST(ParseAamvaTest, RejectsOversizedPayload) {
  EXPECT_THAT(ParseAamva(std::string(kMaxAamvaPayloadBytes + 1, '@')),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(ParseAamvaTest, ErrorsNeverQuoteThePayload) {
  absl::StatusOr<AamvaRecord> r = ParseAamva(Payload("DLDAQSECRET42\nDBBSECRETXX\n\r"));

  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), ::testing::Not(HasSubstr("SECRET")));
}

TEST(ParseAamvaTest, SurvivesEveryTruncation) {
  const std::string p = Payload(kSubfile);
  for (size_t n = 0; n < p.size(); ++n) {
    EXPECT_FALSE(ParseAamva(p.substr(0, n)).ok()) << n;
  }
}

}  // namespace
}  // namespace vouch::ocr
