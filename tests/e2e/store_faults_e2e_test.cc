// Faults injected into a real vouchd on a real store: PostgreSQL
// stopped for 15 s under a stream of asynchronous submissions, PostgreSQL
// unreachable at start, one of two replicas killed with kill -9 while it
// holds jobs, and a full disk under SQLite. Every accepted job completes
// exactly once (one run, one attestation row), health follows the store, and
// clients get STORE_UNAVAILABLE / STORE_FULL with a RetryInfo and no host,
// port or SQL.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fault_e2e_helpers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pg/pg_test_env.h"
#include "postgres_e2e_helpers.h"
#include "testing/status_matchers.h"
#include "vouchd_process.h"

namespace vouch::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

// Whether `s` exposes where or how the store runs.
bool LeaksStoreDetail(const std::string& message, const std::string& port) {
  for (const char* needle :
       {"127.0.0.1", "postgres", "SQLSTATE", "sqlite", "SELECT", "INSERT", "/tmp", ".db"}) {
    if (absl::StrContains(message, needle)) return true;
  }
  return !port.empty() && absl::StrContains(message, port);
}

std::string PortOf(const std::string& uri) {
  const size_t at = uri.rfind(':');
  const size_t slash = uri.find('/', at);
  return at == std::string::npos ? "" : uri.substr(at + 1, slash - at - 1);
}

// Verifications with more than one attestation row, by a query on `uri`.
std::string DuplicateAttestationsPg(const std::string& uri) {
  absl::StatusOr<std::string> dup = QueryValue(
      uri,
      "SELECT COALESCE(string_agg(verification_id, ','), '') FROM (SELECT verification_id FROM "
      "attestations GROUP BY verification_id HAVING COUNT(*) > 1) d");
  EXPECT_TRUE(dup.ok()) << dup.status();
  return dup.ok() ? *dup : "query failed";
}

// A throwaway PostgreSQL cluster of this test alone (the shared fixture's
// cluster is not stopped under other tests).
class PrivateCluster {
 public:
  explicit PrivateCluster(std::string state) : state_(std::move(state)) {}
  ~PrivateCluster() { (void)Run("stop"); }
  bool Start() {
    if (!Run("start")) return false;
    std::ifstream in(state_ + "/conninfo");
    std::getline(in, uri_);
    return !uri_.empty();
  }
  bool Pause() { return Run("pause"); }
  bool Resume() { return Run("resume"); }
  const std::string& uri() const { return uri_; }

 private:
  bool Run(const std::string& command) {
    const std::string cmd = absl::StrCat("bash ", VOUCH_SOURCE_DIR, "/tests/pg/pg_cluster.sh ",
                                         command, " ", state_, " >>", state_, ".log 2>&1");
    return std::system(cmd.c_str()) == 0;
  }
  std::string state_;
  std::string uri_;
};

// Waits until `health` has recorded `want` after `since` (or `timeout`).
void WaitForHealth(HealthRecorder& health, Health want, Clock::time_point since, seconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    for (const auto& [at, h] : health.changes()) {
      if (at > since && h == want) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

class StoreFaultsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/store_faults_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(StoreFaultsE2eTest, PostgresOutageEveryAcceptedJobCompletesExactlyOnce) {
  PrivateCluster pg(dir_ + "/pg");
  ASSERT_TRUE(pg.Start()) << "cannot start a private PostgreSQL cluster; see " << dir_ << "/pg.log";
  VouchdProcess vouchd(dir_ + "/data");
  ASSERT_TRUE(vouchd.Start({"--database", pg.uri()}));
  auto stub = StubFor(vouchd);
  HealthRecorder health(vouchd.address());
  SubmissionStream stream(*stub, SealedSample(vouchd.data_dir()), vouchd.ServiceToken(),
                          std::chrono::milliseconds(700));
  std::this_thread::sleep_for(seconds(4));  // Jobs accepted and running.

  const Clock::time_point down = Clock::now();
  ASSERT_TRUE(pg.Pause());
  std::this_thread::sleep_for(seconds(15));
  ASSERT_TRUE(pg.Resume());
  const Clock::time_point up = Clock::now();
  std::this_thread::sleep_for(seconds(3));  // Accepted again.
  stream.Stop();

  const std::vector<std::string> ids = stream.accepted();
  ASSERT_GE(ids.size(), 5u);
  std::map<std::string, v1::VerificationState> states =
      WaitTerminal(*stub, ids, vouchd.ServiceToken(),
                   std::chrono::duration_cast<seconds>(up + seconds(30) - Clock::now()));
  const double settled_s = std::chrono::duration<double>(Clock::now() - up).count();
  WaitForHealth(health, Health::kServing, up, seconds(20));
  health.Stop();
  ASSERT_EQ(vouchd.Stop(), 0);
  const std::string log = vouchd.Log();

  for (const std::string& id : ids) {
    EXPECT_TRUE(IsTerminalState(states[id]))
        << id << " not terminal 30 s after the database returned";
    EXPECT_EQ(RunsInLog(log, id), 1) << id;
  }
  EXPECT_EQ(CountInLog(log, "job completion refused"), 0);
  EXPECT_EQ(DuplicateAttestationsPg(pg.uri()), "");
  EXPECT_EQ(*QueryValue(pg.uri(), "SELECT COUNT(*) FROM jobs"), "0");
  // Health: NOT_SERVING during the outage, SERVING once it was over.
  bool not_serving = false, serving_after = false;
  for (const auto& [at, h] : health.changes()) {
    if (at > down && h == Health::kNotServing) not_serving = true;
    if (not_serving && at > up && h == Health::kServing) serving_after = true;
  }
  EXPECT_TRUE(not_serving) << "health never said NOT_SERVING";
  EXPECT_TRUE(serving_after) << "health did not come back to SERVING";
  // Clients were told to retry, and nothing about the database.
  int store_unavailable = 0;
  for (const SubmitOutcome& o : stream.outcomes()) {
    if (o.status.ok()) continue;
    const ErrorDetails d = DetailsOf(o.status);
    EXPECT_EQ(o.status.error_code(), grpc::StatusCode::UNAVAILABLE) << o.status.error_message();
    EXPECT_EQ(d.reason, "STORE_UNAVAILABLE");
    EXPECT_TRUE(d.has_retry_info);
    EXPECT_FALSE(LeaksStoreDetail(o.status.error_message(), PortOf(pg.uri())))
        << o.status.error_message();
    ++store_unavailable;
  }
  EXPECT_GT(store_unavailable, 0);
  // The outage is logged, not once per claim attempt (every 0.5 s).
  EXPECT_LE(CountInLog(log, "cannot claim jobs"), 2);
  std::cout << "postgres outage: " << ids.size() << " accepted, " << store_unavailable
            << " refused with STORE_UNAVAILABLE, all terminal " << settled_s
            << " s after the database returned\n";
}

// A loopback port nothing listens on right now.
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST_F(StoreFaultsE2eTest, PostgresUnreachableAtStartIsWaitedForWhileNotServing) {
  PrivateCluster pg(dir_ + "/pg");
  ASSERT_TRUE(pg.Start());
  ASSERT_TRUE(pg.Pause());
  const int port = FreePort();
  ASSERT_GT(port, 0);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  VouchdProcess vouchd(dir_ + "/data");
  bool started = false;
  std::thread start([&] {
    started = vouchd.Start(
        {"--database", pg.uri(), "--database-wait-seconds", "60", "--listen", address});
  });
  // While it waits, health answers NOT_SERVING on the listen address.
  Health waiting = Health::kUnreachable;
  for (int i = 0; i < 100 && waiting != Health::kNotServing; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    waiting = CheckHealth(address);
  }
  const bool resumed = pg.Resume();
  start.join();
  EXPECT_EQ(waiting, Health::kNotServing);
  ASSERT_TRUE(resumed);
  ASSERT_TRUE(started);
  EXPECT_EQ(vouchd.address(), address);
  EXPECT_EQ(CheckHealth(vouchd.address()), Health::kServing);
  EXPECT_GE(CountInLog(vouchd.Log(), "store unreachable at start"), 1);
  auto stub = StubFor(vouchd);
  const std::string id = SubmitAsync(*stub, SealedSample(vouchd.data_dir()), vouchd.ServiceToken());
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(IsTerminalState(WaitTerminal(*stub, {id}, vouchd.ServiceToken(), seconds(60))[id]));
}

TEST_F(StoreFaultsE2eTest, SurvivingReplicaTakesOverAKilledReplicasJobsExactlyOnce) {
  absl::StatusOr<std::string> uri = FreshSchemaUri(absl::StrCat("e2e_takeover_", getpid()));
  ASSERT_THAT(uri, IsOk());
  auto a = std::make_unique<VouchdProcess>(dir_ + "/a");
  auto b = std::make_unique<VouchdProcess>(dir_ + "/b");
  ASSERT_TRUE(a->Start({"--database", *uri}));
  // B shares A's keys (one deployment), so both open the same submissions.
  std::filesystem::copy(dir_ + "/a", dir_ + "/b", std::filesystem::copy_options::recursive);
  ASSERT_TRUE(b->Start({"--database", *uri}));
  auto stub_a = StubFor(*a);
  auto stub_b = StubFor(*b);
  const v1::VerifyRequest request = SealedSample(a->data_dir());
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    const std::string id = SubmitAsync(*stub_a, request, a->ServiceToken());
    ASSERT_FALSE(id.empty());
    ids.push_back(id);
  }
  // Kill A while it holds a job it has not finished.
  std::set<std::string> held;
  const auto deadline = Clock::now() + seconds(60);
  while (held.empty() && Clock::now() < deadline) {
    const std::string log = a->Log();
    for (const std::string& id : ids) {
      if (CountInLog(log, "job claimed id=" + id) > 0 && RunsInLog(log, id) == 0) held.insert(id);
    }
    if (held.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(held.empty()) << "replica A never held an unfinished job";
  a.reset();  // SIGKILL
  const Clock::time_point killed = Clock::now();
  // What A had really finished by the kill (its log outlives it).
  const std::string a_log = ReadFileOrEmpty(dir_ + "/a.log");
  for (auto it = held.begin(); it != held.end();) {
    it = RunsInLog(a_log, *it) > 0 ? held.erase(it) : std::next(it);
  }

  std::map<std::string, v1::VerificationState> states =
      WaitTerminal(*stub_b, ids, b->ServiceToken(), seconds(30));
  const double took_s = std::chrono::duration<double>(Clock::now() - killed).count();
  ASSERT_EQ(b->Stop(), 0);
  const std::string b_log = b->Log();
  for (const std::string& id : ids) {
    EXPECT_TRUE(IsTerminalState(states[id])) << id << " not terminal 30 s after the kill";
  }
  for (const std::string& id : held) EXPECT_EQ(RunsInLog(b_log, id), 1) << id;
  EXPECT_EQ(CountInLog(b_log, "job completion refused"), 0);
  EXPECT_EQ(DuplicateAttestationsPg(*uri), "");
  EXPECT_EQ(*QueryValue(*uri, "SELECT COUNT(*) FROM jobs"), "0");
  std::cout << "takeover: " << held.size() << " job(s) held by the killed replica; all "
            << ids.size() << " terminal " << took_s << " s after kill -9\n";
}

// Verifications with more than one attestation row in the SQLite file.
std::string DuplicateAttestationsSqlite(const std::string& path) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "cannot open";
  }
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT verification_id FROM attestations GROUP BY verification_id "
                     "HAVING COUNT(*) > 1",
                     -1, &s, nullptr);
  while (s != nullptr && sqlite3_step(s) == SQLITE_ROW) {
    absl::StrAppend(&out, reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), ",");
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

// Writes zeros to `path` until the file system is full.
void FillDisk(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  static const std::vector<char> kBlock(1 << 16, 0);
  while (std::fwrite(kBlock.data(), 1, kBlock.size(), f) == kBlock.size()) {
  }
  // The last partial blocks, byte by byte.
  while (std::fputc(0, f) != EOF && std::fflush(f) == 0) {
  }
  std::fclose(f);
}

TEST_F(StoreFaultsE2eTest, SqliteFullDiskLosesNothingAndResumesWithoutRestart) {
  const std::string data = dir_ + "/data";
  std::filesystem::create_directories(data);
  if (::mount("tmpfs", data.c_str(), "tmpfs", 0, "size=24m,mode=0700") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs for the data directory here (" << std::strerror(errno)
                 << "): needs root or CAP_SYS_ADMIN";
  }
  struct Unmount {
    std::string dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{data};
  VouchdProcess vouchd(data);
  ASSERT_TRUE(vouchd.Start());
  auto stub = StubFor(vouchd);
  HealthRecorder health(vouchd.address());
  const v1::VerifyRequest request = SealedSample(vouchd.data_dir());
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    const std::string id = SubmitAsync(*stub, request, vouchd.ServiceToken());
    ASSERT_FALSE(id.empty());
    ids.push_back(id);
  }
  FillDisk(data + "/filler");
  const Clock::time_point full = Clock::now();
  // Refused while full, with its own reason.
  std::vector<grpc::Status> refused;
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + vouchd.ServiceToken());
    v1::SubmitResponse response;
    const grpc::Status s = stub->Submit(&context, request, &response);
    if (s.ok()) {
      ids.push_back(response.verification_id());
    } else {
      refused.push_back(s);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::this_thread::sleep_for(seconds(4));  // Jobs that finish now cannot be stored.
  std::filesystem::remove(data + "/filler");
  const Clock::time_point freed = Clock::now();
  for (int i = 0; i < 2; ++i) {
    const std::string id = SubmitAsync(*stub, request, vouchd.ServiceToken());
    ASSERT_FALSE(id.empty());
    ids.push_back(id);
  }

  std::map<std::string, v1::VerificationState> states =
      WaitTerminal(*stub, ids, vouchd.ServiceToken(), seconds(60));
  WaitForHealth(health, Health::kServing, freed, seconds(20));
  health.Stop();
  ASSERT_EQ(vouchd.Stop(), 0);
  const std::string log = vouchd.Log();
  for (const std::string& id : ids) {
    EXPECT_TRUE(IsTerminalState(states[id])) << id;
    EXPECT_EQ(RunsInLog(log, id), 1) << id;
  }
  EXPECT_EQ(DuplicateAttestationsSqlite(data + "/vouch.db"), "");
  ASSERT_FALSE(refused.empty()) << "a full disk refused no submission";
  for (const grpc::Status& s : refused) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    EXPECT_EQ(DetailsOf(s).reason, "STORE_FULL");
    EXPECT_TRUE(DetailsOf(s).has_retry_info);
    EXPECT_FALSE(LeaksStoreDetail(s.error_message(), "")) << s.error_message();
  }
  bool not_serving = false, serving_after = false;
  for (const auto& [at, h] : health.changes()) {
    if (at > full && h == Health::kNotServing) not_serving = true;
    if (not_serving && at > freed && h == Health::kServing) serving_after = true;
  }
  EXPECT_TRUE(not_serving);
  EXPECT_TRUE(serving_after);
  std::cout << "full disk: " << ids.size() << " accepted, " << refused.size()
            << " refused with STORE_FULL, " << CountInLog(log, "job completion deferred")
            << " completion(s) retried\n";
}

}  // namespace
}  // namespace vouch::testing
