#include "audit/audit_chain.h"

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::audit {
namespace {

using ::testing::HasSubstr;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

// A correct chain of `n` events, as a Store would append them.
std::vector<storage::AuditEvent> Chain(int n) {
  std::vector<storage::AuditEvent> events;
  std::string prev(64, '0');
  for (int i = 1; i <= n; ++i) {
    storage::AuditEvent e;
    e.seq = i;
    e.time = absl::FromUnixMicros(1'700'000'000'000'000 + i * 1'234'567);
    e.actor = i % 2 ? "alice" : "vouchd";
    e.action = i % 2 ? "case.approve" : "key.create";
    e.verification_id = i % 2 ? "ver_abc" : "";
    e.detail = R"({"reason":"ok"})";
    e.prev_hash = prev;
    e.hash = storage::AuditEventHash(e);
    prev = e.hash;
    events.push_back(e);
  }
  return events;
}

AuditPageSource SourceOf(const std::vector<storage::AuditEvent>& events) {
  return [&events](int64_t after, int limit) -> absl::StatusOr<std::vector<storage::AuditEvent>> {
    std::vector<storage::AuditEvent> page;
    for (const storage::AuditEvent& e : events) {
      if (e.seq > after && static_cast<int>(page.size()) < limit) page.push_back(e);
    }
    return page;
  };
}

TEST(AuditChainTest, IntactChainAcrossPages) {
  const std::vector<storage::AuditEvent> events = Chain(25);
  absl::StatusOr<AuditChainReport> report = CheckAuditChain(SourceOf(events), /*page=*/7);
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok()) << report->problem;
  EXPECT_EQ(report->events, 25);
  EXPECT_EQ(report->last_seq, 25);
  EXPECT_EQ(report->last_hash, events.back().hash);
}

TEST(AuditChainTest, EmptyLogIsIntact) {
  const std::vector<storage::AuditEvent> none;
  absl::StatusOr<AuditChainReport> report = CheckAuditChain(SourceOf(none));
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->last_seq, 0);
}

TEST(AuditChainTest, EditedFieldBreaksItsOwnHash) {
  std::vector<storage::AuditEvent> events = Chain(10);
  events[5].actor = "mallory";  // seq 6
  absl::StatusOr<AuditChainReport> report = CheckAuditChain(SourceOf(events), 4);
  ASSERT_THAT(report, IsOk());
  ASSERT_FALSE(report->ok());
  EXPECT_EQ(*report->broken_seq, 6);
  EXPECT_THAT(report->problem, HasSubstr("edited"));
  EXPECT_EQ(report->last_seq, 5);
}

TEST(AuditChainTest, EditWithRecomputedHashBreaksTheNextLink) {
  std::vector<storage::AuditEvent> events = Chain(10);
  events[2].detail = R"({"reason":"forged"})";  // seq 3
  events[2].hash = storage::AuditEventHash(events[2]);
  absl::StatusOr<AuditChainReport> report = CheckAuditChain(SourceOf(events));
  ASSERT_THAT(report, IsOk());
  ASSERT_FALSE(report->ok());
  EXPECT_EQ(*report->broken_seq, 4);
  EXPECT_THAT(report->problem, HasSubstr("prev_hash of seq 4"));
}

TEST(AuditChainTest, DeletedEventBreaksSeq) {
  std::vector<storage::AuditEvent> events = Chain(10);
  events.erase(events.begin() + 6);  // seq 7
  absl::StatusOr<AuditChainReport> report = CheckAuditChain(SourceOf(events));
  ASSERT_THAT(report, IsOk());
  ASSERT_FALSE(report->ok());
  EXPECT_EQ(*report->broken_seq, 7);
  EXPECT_THAT(report->problem, HasSubstr("seq 7 is missing"));
}

TEST(AuditChainTest, FirstEventMustStartFromZeros) {
  std::vector<storage::AuditEvent> events = Chain(3);
  events[0].prev_hash = std::string(64, 'f');
  events[0].hash = storage::AuditEventHash(events[0]);
  absl::StatusOr<AuditChainReport> report = CheckAuditChain(SourceOf(events));
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->broken_seq, 1);
}

TEST(AuditChainTest, TimeIsCoveredToTheMicrosecond) {
  std::vector<storage::AuditEvent> events = Chain(3);
  events[1].time += absl::Microseconds(1);
  absl::StatusOr<AuditChainReport> report = CheckAuditChain(SourceOf(events));
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->broken_seq, 2);
}

TEST(AuditChainTest, SourceErrorsPropagate) {
  AuditPageSource failing = [](int64_t, int) -> absl::StatusOr<std::vector<storage::AuditEvent>> {
    return absl::UnavailableError("down");
  };
  EXPECT_THAT(CheckAuditChain(failing), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(AuditJsonTest, RoundTripKeepsTheHashValid) {
  for (const storage::AuditEvent& e : Chain(4)) {
    const std::string line = AuditEventToJson(e);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    absl::StatusOr<storage::AuditEvent> back = AuditEventFromJson(line);
    ASSERT_THAT(back, IsOk());
    EXPECT_EQ(storage::AuditEventHash(*back), e.hash);
    EXPECT_EQ(back->detail, e.detail);
  }
  EXPECT_THAT(AuditEventToJson(Chain(1)[0]), HasSubstr(R"("time":"2023-11-14T22:13:21.234567Z")"));
}

TEST(AuditJsonTest, RejectsMalformedLines) {
  EXPECT_THAT(AuditEventFromJson("not json"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AuditEventFromJson(R"({"seq":"1"})"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AuditEventFromJson("[]"), StatusIs(absl::StatusCode::kInvalidArgument));
  // A valid line with a tail after a raw NUL (nlohmann would stop at the NUL
  // and the tail would pass unnoticed).
  const std::string line = AuditEventToJson(Chain(1)[0]);
  ASSERT_THAT(AuditEventFromJson(line), IsOk());
  EXPECT_THAT(AuditEventFromJson(line + std::string(1, '\0') + "tampered"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("raw NUL")));
}

}  // namespace
}  // namespace vouch::verifier::audit
