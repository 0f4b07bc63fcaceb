#include "audit_commands.h"

#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "audit/admin_service.h"
#include "audit/audit_chain.h"
#include "client_options.h"
#include "command_helpers.h"
#include "nlohmann/json.hpp"
#include "storage/store.h"
#include "vouch/v1/admin.grpc.pb.h"

namespace vouch::verifier::cli {
namespace {

using verifier::audit::AuditChainReport;
using verifier::audit::AuditPageSource;
using verifier::storage::AuditEvent;

constexpr int kBrokenExit = 3;

struct AuditArgs {
  ClientOptions client;
  std::string data_dir;
  std::string file;
  std::string out;
  std::string expect_head;
  bool json = false;
  double timeout_seconds = 30;
};

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat("vouchd: ", s.error_message()));
}

// The audit log's pages: a local SQLite store, an export, or vouchd.
struct Source {
  std::unique_ptr<verifier::storage::Store> store;
  std::vector<AuditEvent> loaded;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Admin::Stub> stub;
  AuditPageSource pages;
};

absl::StatusOr<std::unique_ptr<Source>> OpenSource(const AuditArgs& a) {
  auto source = std::make_unique<Source>();
  if (!a.data_dir.empty()) {
    const std::string db = a.data_dir + "/vouch.db";
    std::error_code ec;
    if (!std::filesystem::exists(db, ec)) {
      return absl::NotFoundError(absl::StrCat("no database at ", db));
    }
    absl::StatusOr<std::unique_ptr<verifier::storage::Store>> store =
        verifier::storage::NewSqliteStore(db);
    if (!store.ok()) return store.status();
    source->store = *std::move(store);
    verifier::storage::Store* s = source->store.get();
    source->pages = [s](int64_t after, int limit) { return s->ListAudit(after, limit); };
    return source;
  }
  if (!a.file.empty()) {
    std::ifstream in(a.file);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", a.file));
    std::string line;
    int64_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty()) continue;
      absl::StatusOr<AuditEvent> e = verifier::audit::AuditEventFromJson(line);
      if (!e.ok())
        return absl::InvalidArgumentError(absl::StrCat(a.file, ":", n, ": ", e.status().message()));
      source->loaded.push_back(*std::move(e));
    }
    const std::vector<AuditEvent>* events = &source->loaded;
    // Pages in file order: the checker sees the export exactly as written.
    source->pages = [events](int64_t after, int limit) -> absl::StatusOr<std::vector<AuditEvent>> {
      std::vector<AuditEvent> page;
      size_t i = 0;
      if (after > 0) {
        while (i < events->size() && (*events)[i].seq != after) ++i;
        ++i;
      }
      for (; i < events->size() && static_cast<int>(page.size()) < limit; ++i) {
        page.push_back((*events)[i]);
      }
      return page;
    };
    return source;
  }
  absl::StatusOr<ClientOptions> client = ResolveClientOptions(a.client);
  if (!client.ok()) return client.status();
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = Dial(*client);
  if (!channel.ok()) return channel.status();
  source->channel = *channel;
  source->stub = v1::Admin::NewStub(source->channel);
  v1::Admin::Stub* stub = source->stub.get();
  const ClientOptions resolved = *client;
  const double timeout = a.timeout_seconds;
  source->pages = [stub, resolved, timeout](int64_t after,
                                            int limit) -> absl::StatusOr<std::vector<AuditEvent>> {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000)));
    Attach(context, resolved);
    v1::ListAuditEventsRequest request;
    request.set_after_seq(after);
    request.set_page_size(limit);
    v1::ListAuditEventsResponse response;
    const grpc::Status status = stub->ListAuditEvents(&context, request, &response);
    if (!status.ok()) return FromGrpc(status);
    std::vector<AuditEvent> page;
    for (const v1::AuditEvent& e : response.events()) {
      page.push_back(verifier::audit::AuditEventFromProto(e));
    }
    return page;
  };
  return source;
}

int RunVerify(const AuditArgs& a) {
  int64_t expect_seq = 0;
  std::string expect_hash;
  if (!a.expect_head.empty()) {
    const size_t colon = a.expect_head.find(':');
    if (colon == std::string::npos ||
        !absl::SimpleAtoi(a.expect_head.substr(0, colon), &expect_seq) || expect_seq < 1) {
      return Fail(absl::InvalidArgumentError("--expect-head is SEQ:HASH"));
    }
    expect_hash = a.expect_head.substr(colon + 1);
  }
  absl::StatusOr<std::unique_ptr<Source>> source = OpenSource(a);
  if (!source.ok()) return Fail(source.status());
  // Remember the recorded head's hash as it passes.
  std::string seen_hash;
  AuditPageSource pages = [&](int64_t after, int limit) {
    absl::StatusOr<std::vector<AuditEvent>> page = (*source)->pages(after, limit);
    if (page.ok()) {
      for (const AuditEvent& e : *page) {
        if (e.seq == expect_seq) seen_hash = e.hash;
      }
    }
    return page;
  };
  absl::StatusOr<AuditChainReport> report = verifier::audit::CheckAuditChain(pages);
  if (!report.ok()) return Fail(report.status());
  AuditChainReport r = *report;
  if (r.ok() && expect_seq > 0) {
    if (r.last_seq < expect_seq) {
      r.broken_seq = r.last_seq + 1;
      r.problem = absl::StrCat("the log ends at seq ", r.last_seq, " before the expected head ",
                               expect_seq, " (truncated)");
    } else if (seen_hash != expect_hash) {
      r.broken_seq = expect_seq;
      r.problem = absl::StrCat("hash of seq ", expect_seq, " differs from the expected head");
    }
  }
  if (a.json) {
    nlohmann::json j = {
        {"ok", r.ok()}, {"events", r.events}, {"last_seq", r.last_seq}, {"last_hash", r.last_hash}};
    if (!r.ok()) {
      j["broken_seq"] = *r.broken_seq;
      j["problem"] = r.problem;
    }
    std::cout << j.dump() << "\n";
  } else if (r.ok()) {
    std::cout << "audit chain intact: " << r.events << " events; head seq " << r.last_seq
              << " hash " << (r.last_hash.empty() ? "-" : r.last_hash) << "\n";
  } else {
    std::cout << "audit chain BROKEN at seq " << *r.broken_seq << ": " << r.problem << "\n";
  }
  return r.ok() ? 0 : kBrokenExit;
}

int RunExport(const AuditArgs& a) {
  absl::StatusOr<std::unique_ptr<Source>> source = OpenSource(a);
  if (!source.ok()) return Fail(source.status());
  std::ofstream file;
  if (!a.out.empty()) {
    file.open(a.out, std::ios::trunc);
    if (!file) return Fail(absl::FailedPreconditionError(absl::StrCat("cannot write ", a.out)));
  }
  std::ostream& out = a.out.empty() ? std::cout : file;
  int64_t n = 0;
  absl::Status s = verifier::audit::ForEachAuditEvent((*source)->pages, [&](const AuditEvent& e) {
    out << verifier::audit::AuditEventToJson(e) << "\n";
    ++n;
    return out.good() ? absl::OkStatus() : absl::DataLossError("write failed");
  });
  out.flush();
  if (!s.ok()) return Fail(s);
  if (!a.out.empty()) std::cerr << "exported " << n << " audit events to " << a.out << "\n";
  return 0;
}

}  // namespace

void AddAuditCommands(CLI::App& app, int& exit_code) {
  CLI::App* audit = app.add_subcommand("audit", "Check or export vouchd's hash-chained audit log");
  audit->require_subcommand(1);

  auto v = std::make_shared<AuditArgs>();
  CLI::App* verify = audit->add_subcommand(
      "verify", "Check the chain; exit 0 intact, 3 broken (first broken seq printed), 1 error");
  AddClientOptions(*verify, v->client);
  auto* vdir = verify->add_option("--data-dir", v->data_dir,
                                  "read the SQLite store in this vouchd data directory directly");
  auto* vfile = verify->add_option("--file", v->file, "check a JSON Lines export instead");
  vdir->excludes(vfile);
  verify->add_option("--expect-head", v->expect_head,
                     "SEQ:HASH recorded earlier: also detects a truncated log");
  verify->add_flag("--json", v->json, "print the report as JSON");
  verify->add_option("--timeout", v->timeout_seconds, "seconds per RPC")->capture_default_str();
  verify->callback([v, &exit_code] { exit_code = RunVerify(*v); });

  auto e = std::make_shared<AuditArgs>();
  CLI::App* exp = audit->add_subcommand("export", "Write the audit log as JSON Lines");
  AddClientOptions(*exp, e->client);
  exp->add_option("--data-dir", e->data_dir,
                  "read the SQLite store in this vouchd data directory directly");
  exp->add_option("--out", e->out, "file to write (default stdout)");
  exp->add_option("--timeout", e->timeout_seconds, "seconds per RPC")->capture_default_str();
  exp->callback([e, &exit_code] { exit_code = RunExport(*e); });
}

}  // namespace vouch::verifier::cli
