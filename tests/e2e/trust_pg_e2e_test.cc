// Status lists across replicas: two vouchd on one PostgreSQL database
// (the throwaway cluster of tests/pg). Attestation rows are written through
// the Store as the pipeline writes them (entries reserved with
// AllocateStatusEntry, a list size of 8 so that a second list opens); the
// revocation goes through B's gRPC API (vouchctl attest revoke), and the
// status list served by A over HTTP says "revoked" within the list's ttl, and
// with a long ttl at once (A drops its signed copy on the NOTIFY).

#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "pg/pg_test_env.h"
#include "storage/store.h"
#include "testing/cli_run.h"
#include "testing/status_matchers.h"
#include "vouchd_process.h"

namespace vouch::testing {
namespace {

using verifier::storage::AttestationRecord;
using verifier::storage::StatusAllocation;

constexpr char kIssuer[] = "https://vouch.test";
constexpr int kTtlSeconds = 2;

// The status of entry `idx` in the status list token `jwt` (2 bits, LSB
// first, zlib); -1 when the token cannot be read.
int EntryStatus(const std::string& jwt, int64_t idx) {
  std::vector<std::string> parts = absl::StrSplit(jwt, '.');
  std::string payload_text, compressed;
  if (parts.size() != 3 || !absl::WebSafeBase64Unescape(parts[1], &payload_text)) return -1;
  const nlohmann::json payload = nlohmann::json::parse(payload_text, nullptr, false);
  if (payload.is_discarded() ||
      !absl::WebSafeBase64Unescape(payload["status_list"].value("lst", ""), &compressed)) {
    return -1;
  }
  std::string bytes(1 << 20, '\0');
  uLongf size = bytes.size();
  if (uncompress(reinterpret_cast<Bytef*>(bytes.data()), &size,
                 reinterpret_cast<const Bytef*>(compressed.data()), compressed.size()) != Z_OK ||
      static_cast<int64_t>(size) * 4 <= idx) {
    return -1;
  }
  return (static_cast<unsigned char>(bytes[idx / 4]) >> (2 * (idx % 4))) & 3;
}

std::string Config(int ttl_seconds) {
  return absl::StrCat("[issuer]\nurl = \"", kIssuer, "\"\nstatus_list_size = 8\n",
                      "status_list_ttl = \"", ttl_seconds, "s\"\n\n", R"toml(
[policies.default]
relying_services = ["*"]
required_elements = ["personal_details"]
disclosable_claims = ["document_verified"]
)toml");
}

// Two vouchd (A, B) on one fresh schema, the same keys and auth config, and
// ten wallet-mode attestations whose entries were reserved as the issuers
// reserve them (a list size of 8: the last one is on list 2).
struct TwoReplicas {
  std::string dir;
  std::string uri;
  std::unique_ptr<VouchdProcess> a, b;
  std::vector<AttestationRecord> issued;
};

void StartTwoReplicas(const std::string& name, int ttl_seconds, TwoReplicas& out) {
  out.dir = absl::StrCat(::testing::TempDir(), "/", name, "_", getpid());
  std::filesystem::remove_all(out.dir);
  std::filesystem::create_directories(out.dir);
  absl::StatusOr<std::string> uri = FreshSchemaUri(absl::StrCat("e2e_", name, "_", getpid()));
  ASSERT_THAT(uri, IsOk());
  out.uri = *uri;
  std::ofstream(out.dir + "/vouchd.toml") << Config(ttl_seconds);
  const std::vector<std::string> flags = {
      "--database", *uri, "--config", out.dir + "/vouchd.toml", "--http-listen", "127.0.0.1:0"};
  out.a = std::make_unique<VouchdProcess>(out.dir + "/a");
  ASSERT_TRUE(out.a->Start(flags));
  // Same keys and auth config on B (one issuer, one admin token).
  std::filesystem::create_directories(out.dir + "/b");
  std::filesystem::copy(out.dir + "/a/keys", out.dir + "/b/keys",
                        std::filesystem::copy_options::recursive);
  std::filesystem::copy_file(out.dir + "/a/auth.toml", out.dir + "/b/auth.toml");
  out.b = std::make_unique<VouchdProcess>(out.dir + "/b");
  ASSERT_TRUE(out.b->Start(flags));

  absl::StatusOr<std::unique_ptr<verifier::storage::Store>> store =
      verifier::storage::NewPostgresStore(*uri);
  ASSERT_THAT(store, IsOk());
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<StatusAllocation> entry = (*store)->AllocateStatusEntry(8);
    ASSERT_THAT(entry, IsOk());
    AttestationRecord record{absl::StrCat("att-", i),
                             absl::StrCat("ver_", i),
                             "default",
                             absl::Now() + absl::Hours(24),
                             absl::StrCat(kIssuer, "/status/", entry->list_number),
                             entry->index,
                             0};
    ASSERT_THAT((*store)->RecordAttestation(record), IsOk());
    out.issued.push_back(record);
  }
  ASSERT_EQ(out.issued[9].status_list_uri, absl::StrCat(kIssuer, "/status/2"));  // Rolled over.
}

// The status of `record`'s entry in the list `vouchd` serves over HTTP (-2
// when it cannot be fetched).
int Served(const VouchdProcess& vouchd, const AttestationRecord& record) {
  const std::string address = vouchd.http_address();
  httplib::Client client(address.substr(0, address.rfind(':')),
                         std::stoi(address.substr(address.rfind(':') + 1)));
  const std::string path = record.status_list_uri.substr(std::string(kIssuer).size());
  auto response = client.Get(path);
  if (!response || response->status != 200) return -2;
  return EntryStatus(response->body, record.status_list_index);
}

// `vouchctl attest revoke` through `through` with A's admin token.
std::pair<int, std::string> Revoke(const TwoReplicas& r, const VouchdProcess& through,
                                   const std::string& verification_id) {
  return RunShell(absl::StrCat("VOUCH_TOKEN=$(cat ", r.a->admin_token_file(), ") ", VOUCHCTL_PATH,
                               " attest revoke --server ", through.address(), " --tls off ",
                               verification_id, " 2>&1"));
}

TEST(TrustPgE2eTest, RevocationOnOneReplicaIsServedByTheOtherWithinTheTtl) {
  TwoReplicas r;
  ASSERT_NO_FATAL_FAILURE(StartTwoReplicas("trust_pg", kTtlSeconds, r));
  VouchdProcess& a = *r.a;
  VouchdProcess& b = *r.b;
  const AttestationRecord& target = r.issued[3];
  ASSERT_EQ(Served(a, target), 0);
  ASSERT_EQ(Served(b, r.issued[9]), 0);

  auto [rc, out] = Revoke(r, b, target.verification_id);
  ASSERT_EQ(rc, 0) << out;
  const auto revoked_at = std::chrono::steady_clock::now();
  EXPECT_EQ(Served(b, target), 1);  // At once on the replica that revoked.
  int on_a = 0;
  while ((on_a = Served(a, target)) == 0 &&
         std::chrono::steady_clock::now() - revoked_at < std::chrono::seconds(kTtlSeconds + 2)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(on_a, 1);
  EXPECT_LE(std::chrono::steady_clock::now() - revoked_at, std::chrono::seconds(kTtlSeconds));
  EXPECT_EQ(Served(a, r.issued[4]), 0);  // Other entries are untouched.
  auto [status_rc, status_out] = RunShell(
      absl::StrCat("VOUCH_TOKEN=$(cat ", a.admin_token_file(), ") ", VOUCHCTL_PATH,
                   " attest status --server ", a.address(), " --tls off ", target.verification_id));
  EXPECT_EQ(status_rc, 0) << status_out;
  EXPECT_THAT(status_out, ::testing::HasSubstr("status revoked"));
  EXPECT_EQ(a.Stop(), 0);
  EXPECT_EQ(b.Stop(), 0);
  std::filesystem::remove_all(r.dir);
}

// With a long ttl (A would keep its signed copy for minutes), A serves B's
// revocation at once: the NOTIFY of the status change makes A drop its copy.
TEST(TrustPgE2eTest, RevocationOnOneReplicaIsServedByTheOtherAtOnceThroughNotify) {
  constexpr int kLongTtlSeconds = 600;
  constexpr auto kNotifyBound = std::chrono::seconds(3);
  TwoReplicas r;
  ASSERT_NO_FATAL_FAILURE(StartTwoReplicas("trust_pg_notify", kLongTtlSeconds, r));
  const AttestationRecord& target = r.issued[5];
  ASSERT_EQ(Served(*r.a, target), 0);  // A signs and keeps a copy.

  auto [rc, out] = Revoke(r, *r.b, target.verification_id);
  ASSERT_EQ(rc, 0) << out;
  const auto revoked_at = std::chrono::steady_clock::now();
  int on_a = 0;
  while ((on_a = Served(*r.a, target)) == 0 &&
         std::chrono::steady_clock::now() - revoked_at < kNotifyBound) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cout << "[ measured ] A served the revocation made on B "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - revoked_at)
                   .count()
            << " ms after `attest revoke` returned (ttl " << kLongTtlSeconds << " s)\n";
  EXPECT_EQ(on_a, 1) << "A still served its copy " << kNotifyBound.count()
                     << " s after the revocation (ttl " << kLongTtlSeconds << " s)";
  EXPECT_EQ(Served(*r.a, r.issued[4]), 0);
  EXPECT_EQ(r.a->Stop(), 0);
  EXPECT_EQ(r.b->Stop(), 0);
  std::filesystem::remove_all(r.dir);
}

}  // namespace
}  // namespace vouch::testing
