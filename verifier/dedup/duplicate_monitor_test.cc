// The duplicate index's operations: matches counted by kind and
// audited with ids only, retention (purge) and erasure, and the metrics.
#include "dedup/duplicate_monitor.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/fixed_clock.h"
#include "testing/status_matchers.h"

namespace vouch::verifier::dedup {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::vouch::testing::FixedClock;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

storage::DuplicateEntry Entry(const std::string& id, const std::string& hash, absl::Time expires,
                              bool forged = false) {
  storage::DuplicateEntry e;
  e.scope = "provider";
  e.kind = storage::DuplicateKind::kDocument;
  e.key_id = "k1";
  e.hash = hash;
  e.verification_id = id;
  e.user_hash = "u-" + id;
  e.forged = forged;
  e.create_time = kT0;
  e.expire_time = expires;
  return e;
}

// An index whose lookups answer `matches`.
class FakeIndex final : public DuplicateIndex {
 public:
  absl::StatusOr<DuplicateMatches> Find(const DuplicateSubject&, absl::Time) override {
    ++finds;
    return matches;
  }
  std::vector<storage::DuplicateEntry> EntriesFor(const DuplicateSubject&, absl::string_view,
                                                  absl::Time, absl::Duration) override {
    return {};
  }
  DuplicateMatches matches;
  int finds = 0;
};

std::vector<storage::AuditEvent> AuditLog(storage::Store& store) {
  absl::StatusOr<std::vector<storage::AuditEvent>> events = store.ListAudit(0, 100);
  EXPECT_THAT(events, IsOk());
  return events.ok() ? *events : std::vector<storage::AuditEvent>();
}

class DuplicateMonitorTest : public ::testing::Test {
 protected:
  std::unique_ptr<storage::Store> store_ = storage::NewMemoryStore();
  FixedClock clock_{kT0};
  DuplicateMonitor monitor_{*store_, clock_};
};

TEST_F(DuplicateMonitorTest, MatchesAreCountedByKindAndAuditedWithIdsOnly) {
  FakeIndex inner;
  inner.matches.documents = {Entry("ver_a", "h", kT0 + absl::Hours(1)),
                             Entry("ver_b", "h", kT0 + absl::Hours(1), /*forged=*/true)};
  inner.matches.persons = {Entry("ver_c", "p", kT0 + absl::Hours(1))};
  const std::unique_ptr<DuplicateIndex> observed = monitor_.Observe(inner);
  DuplicateSubject subject;
  subject.scope = "provider";
  subject.verification_id = "ver_new";
  subject.document = DocumentIdentity{"UTO", "passport", "L898902C3"};
  subject.person = PersonIdentity{"ERIKSSON ANNA MARIA", absl::CivilDay(1974, 8, 12)};

  absl::StatusOr<DuplicateMatches> found = observed->Find(subject, kT0);

  ASSERT_THAT(found, IsOk());
  EXPECT_EQ(found->documents.size(), 2u);  // Passed through as found.
  EXPECT_EQ(monitor_.document_matches(), 2u);
  EXPECT_EQ(monitor_.person_matches(), 1u);
  EXPECT_EQ(monitor_.forged_matches(), 1u);
  const std::vector<storage::AuditEvent> log = AuditLog(*store_);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].action, "duplicate.match");
  EXPECT_EQ(log[0].actor, "vouchd");
  EXPECT_EQ(log[0].verification_id, "ver_new");
  EXPECT_EQ(nlohmann::json::parse(log[0].detail),
            nlohmann::json::parse(
                R"({"document":["ver_a","ver_b"],"person":["ver_c"],"forged":["ver_b"]})"));
  for (const char* value : {"L898902C3", "ERIKSSON", "1974"}) {
    EXPECT_THAT(log[0].detail, Not(HasSubstr(value)));
  }
  const std::string metrics = monitor_.RenderMetrics();
  EXPECT_THAT(metrics, HasSubstr("vouch_duplicate_matches_total{kind=\"document\"} 2\n"));
  EXPECT_THAT(metrics, HasSubstr("vouch_duplicate_matches_total{kind=\"person\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("vouch_duplicate_matches_total{kind=\"forged\"} 1\n"));
}

TEST_F(DuplicateMonitorTest, ALookupThatFindsNothingIsNeitherCountedNorAudited) {
  FakeIndex inner;
  const std::unique_ptr<DuplicateIndex> observed = monitor_.Observe(inner);
  DuplicateSubject subject;
  subject.verification_id = "ver_new";
  ASSERT_THAT(observed->Find(subject, kT0), IsOk());
  EXPECT_EQ(inner.finds, 1);
  EXPECT_EQ(monitor_.document_matches() + monitor_.person_matches(), 0u);
  EXPECT_THAT(AuditLog(*store_), IsEmpty());
}

TEST_F(DuplicateMonitorTest, PurgeDeletesExpiredEntriesCountsAndAuditsTheCount) {
  ASSERT_THAT(store_->RecordDuplicates({Entry("v1", "h1", kT0 + absl::Hours(1)),
                                        Entry("v2", "h2", kT0 + absl::Hours(2))}),
              IsOk());
  EXPECT_THAT(monitor_.RenderMetrics(), HasSubstr("vouch_duplicate_index_entries 2\n"));
  clock_.Set(kT0 + absl::Hours(1));

  EXPECT_EQ(*monitor_.PurgeOnce(), 1);
  EXPECT_EQ(*monitor_.PurgeOnce(), 0);  // Nothing more: no second event.

  EXPECT_EQ(monitor_.purged(), 1u);
  const std::vector<storage::AuditEvent> log = AuditLog(*store_);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].action, "duplicate.purge");
  EXPECT_EQ(log[0].detail, R"({"count":1})");
  const std::string metrics = monitor_.RenderMetrics();
  EXPECT_THAT(metrics, HasSubstr("vouch_duplicate_purged_total 1\n"));
  EXPECT_THAT(metrics, HasSubstr("vouch_duplicate_index_entries 1\n"));
}

TEST_F(DuplicateMonitorTest, EraseDeletesOneVerificationsEntriesAndAuditsWho) {
  ASSERT_THAT(store_->RecordDuplicates({Entry("v1", "h1", kT0 + absl::Hours(1)),
                                        Entry("v1", "h2", kT0 + absl::Hours(1)),
                                        Entry("v2", "h1", kT0 + absl::Hours(1))}),
              IsOk());

  EXPECT_EQ(*monitor_.Erase("v1", "operator:alice"), 2);

  EXPECT_EQ(*store_->DeleteDuplicates("v1"), 0);  // Gone.
  EXPECT_EQ(*store_->CountDuplicates(kT0), 1);    // v2's stays.
  const std::vector<storage::AuditEvent> log = AuditLog(*store_);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].action, "duplicate.erase");
  EXPECT_EQ(log[0].actor, "operator:alice");
  EXPECT_EQ(log[0].verification_id, "v1");
  EXPECT_EQ(log[0].detail, R"({"count":2})");
}

TEST_F(DuplicateMonitorTest, EraseRefusesAnEmptyIdOrActor) {
  EXPECT_THAT(monitor_.Erase("", "operator:alice"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(monitor_.Erase(std::string(65, 'v'), "operator:alice"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(monitor_.Erase("v1", ""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AuditLog(*store_), IsEmpty());
}

TEST_F(DuplicateMonitorTest, ThePurgerPurgesOnItsSchedule) {
  ASSERT_THAT(store_->RecordDuplicates({Entry("v1", "h1", kT0 + absl::Hours(1))}), IsOk());
  clock_.Set(kT0 + absl::Hours(2));
  {
    DuplicatePurger purger(monitor_, absl::Milliseconds(1));
    // Waits for the first pass (not a timing assertion: bounded only so a
    // purger that never runs fails instead of hanging).
    for (int i = 0; i < 10'000 && monitor_.purged() == 0; ++i)
      absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(monitor_.purged(), 1u);
  EXPECT_EQ(*store_->CountDuplicates(kT0), 0);
}

}  // namespace
}  // namespace vouch::verifier::dedup
