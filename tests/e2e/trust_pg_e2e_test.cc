// Status lists across replicas (#14): two vouchd on one PostgreSQL database
// (the throwaway cluster of tests/pg). Attestation rows are written through
// the Store as the pipeline writes them (entries reserved with
// AllocateStatusEntry, a list size of 8 so that a second list opens); the
// revocation goes through B's gRPC API (vouchctl attest revoke), and the
// status list served by A over HTTP says "revoked" within the list's ttl.

#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
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

using verifier::AttestationRecord;
using verifier::StatusAllocation;

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

std::string Config() {
  return absl::StrCat("[issuer]\nurl = \"", kIssuer, "\"\nstatus_list_size = 8\n",
                      "status_list_ttl = \"", kTtlSeconds, "s\"\n\n", R"toml(
[policies.default]
relying_services = ["*"]
required_elements = ["personal_details"]
disclosable_claims = ["document_verified"]
)toml");
}

TEST(TrustPgE2eTest, RevocationOnOneReplicaIsServedByTheOtherWithinTheTtl) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/trust_pg_e2e_", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  absl::StatusOr<std::string> uri = FreshSchemaUri(absl::StrCat("e2e_trust_", getpid()));
  ASSERT_THAT(uri, IsOk());
  std::ofstream(dir + "/vouchd.toml") << Config();
  const std::vector<std::string> flags = {"--database", *uri, "--config", dir + "/vouchd.toml",
                                          "--http-listen", "127.0.0.1:0"};
  VouchdProcess a(dir + "/a");
  ASSERT_TRUE(a.Start(flags));
  // Same keys and auth config on B (one issuer, one admin token).
  std::filesystem::create_directories(dir + "/b");
  std::filesystem::copy(dir + "/a/keys", dir + "/b/keys", std::filesystem::copy_options::recursive);
  std::filesystem::copy_file(dir + "/a/auth.toml", dir + "/b/auth.toml");
  VouchdProcess b(dir + "/b");
  ASSERT_TRUE(b.Start(flags));

  // Ten wallet-mode attestations, entries reserved as the issuers reserve them.
  absl::StatusOr<std::unique_ptr<verifier::Store>> store = verifier::NewPostgresStore(*uri);
  ASSERT_THAT(store, IsOk());
  std::vector<AttestationRecord> issued;
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<StatusAllocation> entry = (*store)->AllocateStatusEntry(8);
    ASSERT_THAT(entry, IsOk());
    AttestationRecord record{absl::StrCat("att-", i), absl::StrCat("ver_", i), "default",
                             absl::Now() + absl::Hours(24),
                             absl::StrCat(kIssuer, "/status/", entry->list_number), entry->index, 0};
    ASSERT_THAT((*store)->RecordAttestation(record), IsOk());
    issued.push_back(record);
  }
  ASSERT_EQ(issued[9].status_list_uri, absl::StrCat(kIssuer, "/status/2"));  // Rolled over.

  const auto served = [](const VouchdProcess& vouchd, const AttestationRecord& record) {
    const std::string address = vouchd.http_address();
    httplib::Client client(address.substr(0, address.rfind(':')),
                           std::stoi(address.substr(address.rfind(':') + 1)));
    const std::string path = record.status_list_uri.substr(std::string(kIssuer).size());
    auto response = client.Get(path);
    if (!response || response->status != 200) return -2;
    return EntryStatus(response->body, record.status_list_index);
  };
  const AttestationRecord& target = issued[3];
  ASSERT_EQ(served(a, target), 0);
  ASSERT_EQ(served(b, issued[9]), 0);

  // B has A's auth config (and so A's admin token).
  auto [rc, out] = RunShell(absl::StrCat("VOUCH_TOKEN=$(cat ", a.admin_token_file(), ") ",
                                         VOUCHCTL_PATH, " attest revoke --server ", b.address(),
                                         " --tls off ", target.verification_id, " 2>&1"));
  ASSERT_EQ(rc, 0) << out;
  const auto revoked_at = std::chrono::steady_clock::now();
  EXPECT_EQ(served(b, target), 1);  // At once on the replica that revoked.
  int on_a = 0;
  while ((on_a = served(a, target)) == 0 &&
         std::chrono::steady_clock::now() - revoked_at < std::chrono::seconds(kTtlSeconds + 2)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(on_a, 1);
  EXPECT_LE(std::chrono::steady_clock::now() - revoked_at, std::chrono::seconds(kTtlSeconds));
  EXPECT_EQ(served(a, issued[4]), 0);  // Other entries are untouched.
  auto [status_rc, status_out] = RunShell(
      absl::StrCat("VOUCH_TOKEN=$(cat ", a.admin_token_file(), ") ", VOUCHCTL_PATH,
                   " attest status --server ", a.address(), " --tls off ", target.verification_id));
  EXPECT_EQ(status_rc, 0) << status_out;
  EXPECT_THAT(status_out, ::testing::HasSubstr("status revoked"));
  EXPECT_EQ(a.Stop(), 0);
  EXPECT_EQ(b.Stop(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vouch::testing
