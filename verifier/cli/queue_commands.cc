#include "queue_commands.h"

#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/secure_bytes.h"
#include "case_image_page.h"
#include "client_options.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "nlohmann/json.hpp"
#include "terminal_images.h"
#include "vouch/v1/review.grpc.pb.h"

extern char** environ;

namespace vouch::verifier::cli {
namespace {

// How long `queue show --serve-images` serves the page when
// --keep-images-for is not given.
constexpr double kDefaultServeSeconds = 600;

enum ExitCode : int {
  kOk = 0,
  kFailed = 1,
  kUsage = 2,
  kNothingToClaim = 3,
  kConflict = 4,
  kNotFound = 5,
  kDenied = 6,
};

// --- Connection ------------------------------------------------------------
// vouchd address, TLS, client certificate and operator token from flags, the
// environment (VOUCH_SERVER, VOUCH_TOKEN, ...) or the vouchctl config file
// (client_options.h).
struct Connection {
  ClientOptions options;
  double timeout_seconds = 30;
};

void AddConnectionOptions(CLI::App* cmd, Connection& c) {
  AddClientOptions(*cmd, c.options);
  cmd->add_option("--timeout", c.timeout_seconds, "seconds per call")->capture_default_str();
}

class Client {
 public:
  explicit Client(const Connection& c) : timeout_seconds_(c.timeout_seconds) {
    absl::StatusOr<ClientOptions> resolved = ResolveClientOptions(c.options);
    if (!resolved.ok()) {
      status_ = resolved.status();
      return;
    }
    options_ = *std::move(resolved);
    // A case carries its images: up to the submission limit and then some.
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        Dial(options_, /*max_send_bytes=*/0, /*max_receive_bytes=*/256 << 20);
    if (!channel.ok()) {
      status_ = channel.status();
      return;
    }
    stub_ = v1::Review::NewStub(*channel);
  }

  // Whether the options resolved and the channel was made; else prints why
  // and returns the usage exit code.
  bool ok() const { return status_.ok(); }
  int Fail() const {
    std::cerr << "error: " << status_.message() << "\n";
    return status_.code() == absl::StatusCode::kInvalidArgument ? kUsage : kFailed;
  }

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds_ * 1000)));
    Attach(*context, options_);
    return context;
  }

  v1::Review::Stub& stub() { return *stub_; }

 private:
  double timeout_seconds_;
  absl::Status status_;
  ClientOptions options_;
  std::unique_ptr<v1::Review::Stub> stub_;
};

// --- Output ----------------------------------------------------------------

int FailCaseRpc(const grpc::Status& status) {
  PrintRpcError(status);
  switch (status.error_code()) {
    case grpc::StatusCode::FAILED_PRECONDITION:
      return kConflict;
    case grpc::StatusCode::NOT_FOUND:
      return kNotFound;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return kDenied;
    default:
      return kFailed;
  }
}

std::string JsonText(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  // Empty lists and zero values too: `queue list --json` with no case prints
  // "cases": [], not {}.
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

std::string Time(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

std::string Stage(v1::CaseStage s) {
  switch (s) {
    case v1::CASE_STAGE_FIRST_REVIEW:
      return "first";
    case v1::CASE_STAGE_SECOND_REVIEW:
      return "second";
    case v1::CASE_STAGE_DECIDED:
      return "decided";
    default:
      return "?";
  }
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& v) {
  std::string out;
  for (const std::string& s : v) absl::StrAppend(&out, out.empty() ? "" : ",", s);
  return out;
}

void PrintSummary(const v1::CaseSummary& s) {
  std::cout << "case         " << s.case_id() << "\n"
            << "policy       " << s.policy() << "\n"
            << "service      " << s.relying_service() << "\n"
            << "stage        " << Stage(s.stage()) << "\n"
            << "reasons      " << Join(s.reasons()) << "\n"
            << "created      " << Time(s.create_time()) << "\n"
            << "delete after " << Time(s.delete_after()) << "\n";
  if (!s.claimed_by().empty()) {
    std::cout << "claimed by   " << s.claimed_by() << " until " << Time(s.lease_expiry()) << "\n";
  }
  if (!s.first_operator().empty()) {
    std::cout << "first review " << s.first_operator() << " approved (" << s.first_reason()
              << "); needs a senior's confirmation\n";
  }
}

void PrintDecision(const v1::DecisionResponse& d, bool json) {
  if (json) {
    std::cout << JsonText(d) << "\n";
    return;
  }
  const v1::VerificationResult& r = d.result();
  if (d.escalated()) {
    std::cout << "escalated " << r.verification_id()
              << ": waits for a senior reviewer's confirmation (four-eyes)\n";
    return;
  }
  std::cout << "decided " << r.verification_id() << ": " << v1::Decision_Name(r.decision()) << "\n";
  if (r.has_attestation()) std::cout << "attestation " << r.attestation().attestation_id() << "\n";
  if (r.errors_size() > 0) std::cout << "errors " << r.errors_json() << "\n";
}

// --- Images ----------------------------------------------------------------

std::atomic<bool> g_interrupted{false};
void OnSignal(int) { g_interrupted.store(true); }

// SIGINT/SIGTERM/SIGHUP set g_interrupted instead of killing vouchctl, so the
// image directory is always removed; without SA_RESTART a blocked read of
// stdin returns (and the interactive loop quits).
void CatchInterrupts() {
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &action, nullptr);
}

// A private 0700 directory holding a case's images; removed (files first
// overwritten) when destroyed.
class ImageDir {
 public:
  ImageDir() = default;
  ~ImageDir() { Remove(); }
  ImageDir(const ImageDir&) = delete;
  ImageDir& operator=(const ImageDir&) = delete;

  // Creates the directory in the first memory-backed folder of
  // $XDG_RUNTIME_DIR, $TMPDIR, /dev/shm: decrypted images never go to a
  // disk. Errors: kFailedPrecondition naming the folders tried when none is
  // in memory (tmpfs/ramfs); kInternal when mkdtemp fails.
  absl::Status Create() {
    std::vector<std::string> tried;
    const char* const candidates[] = {std::getenv("XDG_RUNTIME_DIR"), std::getenv("TMPDIR"),
                                      "/dev/shm"};
    for (const char* candidate : candidates) {
      if (candidate == nullptr || *candidate == '\0') continue;
      if (!InMemory(candidate)) {
        tried.push_back(absl::StrCat(candidate, " (not in memory)"));
        continue;
      }
      std::string tmpl = absl::StrCat(candidate, "/vouch-case-XXXXXX");
      if (mkdtemp(tmpl.data()) == nullptr) {
        tried.push_back(absl::StrCat(candidate, " (", std::strerror(errno), ")"));
        continue;
      }
      path_ = tmpl;
      if (::chmod(path_.c_str(), 0700) != 0) return absl::InternalError("cannot chmod 0700");
      return absl::OkStatus();
    }
    return absl::FailedPreconditionError(
        absl::StrCat("no memory-backed folder for the images (tried ", absl::StrJoin(tried, ", "),
                     "); they are not written to a disk: use --serve-images"));
  }

  // Writes one image (0600); returns its path or "".
  std::string Write(const PageImage& image, size_t index) {
    const absl::string_view c = image.content.view();
    const char* ext = absl::StartsWith(c, "\xff\xd8\xff") ? "jpg"
                      : absl::StartsWith(c, "\x89PNG")    ? "png"
                                                          : "bin";
    const std::string path =
        absl::StrCat(path_, "/", index, "-", image.element, "-", image.source, ".", ext);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return "";
    const bool ok = ::write(fd, c.data(), c.size()) == static_cast<ssize_t>(c.size());
    ::close(fd);
    files_.push_back(path);
    return ok ? path : "";
  }

  void Remove() {
    if (path_.empty()) return;
    for (const std::string& f : files_) {
      // Overwrite before unlinking: a best effort against recovery from tmpfs
      // or disk (no guarantee on journaling or copy-on-write filesystems).
      std::error_code ec;
      const auto size = std::filesystem::file_size(f, ec);
      if (!ec) {
        std::ofstream out(f, std::ios::binary | std::ios::in | std::ios::out);
        const std::string zeros(4096, '\0');
        for (uintmax_t done = 0; out && done < size; done += zeros.size()) {
          out.write(zeros.data(),
                    static_cast<std::streamsize>(std::min<uintmax_t>(zeros.size(), size - done)));
        }
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    path_.clear();
    files_.clear();
  }

  const std::string& path() const { return path_; }

 private:
  // tmpfs or ramfs: the folder's files live in memory (or swap), not on disk.
  static bool InMemory(const char* folder) {
    constexpr long kTmpfsMagic = 0x01021994;  // linux/magic.h TMPFS_MAGIC
    constexpr long kRamfsMagic = 0x858458f6;  // linux/magic.h RAMFS_MAGIC
    struct statfs fs = {};
    if (::statfs(folder, &fs) != 0) return false;
    const long type = static_cast<long>(fs.f_type);
    return type == kTmpfsMagic || type == kRamfsMagic;
  }

  std::string path_;
  std::vector<std::string> files_;
};

bool HasDisplay() {
  const char* x = std::getenv("DISPLAY");
  const char* w = std::getenv("WAYLAND_DISPLAY");
  return (x != nullptr && *x != '\0') || (w != nullptr && *w != '\0');
}

void OpenWithViewer(const std::string& path) {
  pid_t pid;
  std::string prog = "xdg-open";
  std::string arg = path;
  char* argv[] = {prog.data(), arg.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  if (posix_spawnp(&pid, "xdg-open", &actions, nullptr, argv, environ) == 0) {
    int status;
    waitpid(pid, &status, 0);  // xdg-open hands the file to the viewer and returns.
  }
  posix_spawn_file_actions_destroy(&actions);
}

// --- Commands --------------------------------------------------------------

struct CommonArgs {
  Connection connection;
  bool json = false;
};

struct FilterArgs {
  std::string policy;
  std::string reason;
  int64_t min_age = 0;
  int64_t max_age = 0;
  void AddTo(CLI::App* cmd) {
    cmd->add_option("--policy", policy, "only cases of this policy");
    cmd->add_option("--reason", reason, "only cases sent to review by this check");
    cmd->add_option("--min-age", min_age, "only cases at least this many seconds old")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--max-age", max_age, "only cases at most this many seconds old")
        ->check(CLI::NonNegativeNumber);
  }
  void Fill(v1::CaseFilter& f) const {
    f.set_policy(policy);
    f.set_reason(reason);
    f.set_min_age_seconds(min_age);
    f.set_max_age_seconds(max_age);
  }
};

int List(const CommonArgs& a, const FilterArgs& f, int limit) {
  Client client(a.connection);
  if (!client.ok()) return client.Fail();
  v1::ListCasesRequest request;
  f.Fill(*request.mutable_filter());
  request.set_limit(limit);
  v1::ListCasesResponse response;
  const grpc::Status s = client.stub().ListCases(client.Context().get(), request, &response);
  if (!s.ok()) return FailCaseRpc(s);
  if (a.json) {
    std::cout << JsonText(response) << "\n";
    return kOk;
  }
  std::cout << "CASE                            STAGE   POLICY           CREATED               "
               "CLAIMED BY  REASONS\n";
  for (const v1::CaseSummary& c : response.cases()) {
    std::cout << c.case_id() << "  " << Stage(c.stage())
              << std::string(8 - Stage(c.stage()).size(), ' ') << c.policy()
              << std::string(c.policy().size() < 17 ? 17 - c.policy().size() : 1, ' ')
              << Time(c.create_time()) << "  " << (c.claimed_by().empty() ? "-" : c.claimed_by())
              << "  " << Join(c.reasons()) << "\n";
  }
  return kOk;
}

int Claim(const CommonArgs& a, const std::string& id, const FilterArgs& f, int64_t lease) {
  Client client(a.connection);
  if (!client.ok()) return client.Fail();
  v1::ClaimCaseRequest request;
  request.set_case_id(id);
  f.Fill(*request.mutable_filter());
  request.set_lease_seconds(lease);
  v1::ClaimCaseResponse response;
  const grpc::Status s = client.stub().ClaimCase(client.Context().get(), request, &response);
  if (!s.ok()) return FailCaseRpc(s);
  if (a.json) {
    std::cout << JsonText(response) << "\n";
  } else if (response.claimed()) {
    std::cout << "claimed " << response.case_().case_id() << " until "
              << Time(response.case_().lease_expiry()) << "\n";
  } else {
    std::cout << "nothing to claim\n";
  }
  return response.claimed() ? kOk : kNothingToClaim;
}

// Where a shown case's images go: files in a private memory-backed folder
// (`dir`), or the loopback page (`page`, when not null).
struct ImageOutput {
  ImageDir* dir = nullptr;
  CaseImagePage* page = nullptr;
  // Told to the operator: how long the files or the page stay.
  std::string until;
  // Not kNone: drawn in the terminal instead (stdout checked to be a TTY).
  TerminalGraphics graphics = TerminalGraphics::kNone;
};

// Pixels and terminal cells an inline image is drawn at most.
constexpr int kInlineMaxWidthPixels = 1000;
constexpr int kInlineWidthCells = 80;

// Draws each image at the cursor with the terminal's graphics protocol.
void DrawInline(const std::vector<PageImage>& images, TerminalGraphics graphics) {
  for (size_t i = 0; i < images.size(); ++i) {
    std::cout << "\n" << i + 1 << ". " << images[i].element << " " << images[i].source << "\n";
    if (graphics == TerminalGraphics::kIterm) {
      std::cout << ItermImageSequence(images[i].content.view(), kInlineWidthCells) << "\n";
      continue;
    }
    absl::StatusOr<std::string> png =
        ToPngForTerminal(images[i].content.view(), kInlineMaxWidthPixels);
    if (!png.ok()) {
      std::cout << "  (not shown: " << png.status().message() << ")\n";
      continue;
    }
    std::cout << KittyPngSequence(*png) << "\n";
    WipeMemory(png->data(), png->size());
  }
  std::cout.flush();
}

// Moves the decrypted images out of `detail` into wiped-on-drop buffers,
// wiping the message's copies. `file_hashes` receives each image's hash.
std::vector<PageImage> TakeImages(v1::CaseDetail& detail, std::vector<std::string>& file_hashes) {
  std::vector<PageImage> images;
  for (v1::CaseImage& image : *detail.mutable_images()) {
    std::string& content = *image.mutable_content();
    images.push_back(PageImage{image.element(), image.source(), SecureBytes(content)});
    file_hashes.push_back(image.file_hash());
    WipeMemory(content.data(), content.size());
  }
  detail.clear_images();
  return images;
}

// Prints a case and hands its images to `output`. Returns the exit code.
// `shown`, when given, receives the case without its images (for the
// interactive review's proposals).
int ShowCase(Client& client, const std::string& id, bool json, const ImageOutput& output,
             v1::CaseDetail* shown = nullptr) {
  v1::GetCaseRequest request;
  request.set_case_id(id);
  v1::CaseDetail detail;
  const grpc::Status s = client.stub().GetCase(client.Context().get(), request, &detail);
  if (!s.ok()) return FailCaseRpc(s);
  std::vector<std::string> file_hashes;
  std::vector<PageImage> images = TakeImages(detail, file_hashes);
  if (shown != nullptr) *shown = detail;
  struct Shown {
    std::string element, source;
    size_t bytes;
    std::string location;  // path or URL
  };
  std::vector<Shown> listed;
  for (const PageImage& image : images) {
    listed.push_back({image.element, image.source, image.content.size(), ""});
  }
  std::string images_error;
  std::vector<PageImage> drawn;  // for the terminal, after the text
  if (output.graphics != TerminalGraphics::kNone) {
    drawn = std::move(images);
  } else if (output.page != nullptr) {
    for (size_t i = 0; i < listed.size(); ++i) listed[i].location = output.page->ImageUrl(i);
    output.page->Show(PageCase{id, std::move(images)});
  } else if (!images.empty()) {
    const absl::Status created = output.dir->Create();
    if (created.ok()) {
      for (size_t i = 0; i < images.size(); ++i) {
        listed[i].location = output.dir->Write(images[i], i);
      }
    } else {
      images_error = std::string(created.message());
      std::cerr << "warning: images not shown: " << images_error << "\n";
    }
    images.clear();  // wiped
  }
  if (json) {
    const bool served = output.page != nullptr;
    nlohmann::json images_json = nlohmann::json::array();
    for (size_t i = 0; i < listed.size(); ++i) {
      images_json.push_back({{"element", listed[i].element},
                             {"source", listed[i].source},
                             {"file_hash", file_hashes[i]},
                             {"bytes", listed[i].bytes},
                             {served ? "url" : "path", listed[i].location}});
    }
    nlohmann::json out = nlohmann::json::parse(JsonText(detail), nullptr, false);
    if (!out.is_object()) out = nlohmann::json::object();
    out["images"] = std::move(images_json);
    if (served) {
      out["image_page"] = output.page->url();
    } else {
      out["image_dir"] = output.dir->path();
    }
    if (!images_error.empty()) out["images_error"] = images_error;
    // The paths or URLs are only good while vouchctl runs: say so where a
    // script reads them.
    out["images_deleted"] = output.until;
    std::cout << out.dump() << "\n";
  } else {
    PrintSummary(detail.summary());
    if (!detail.first_note().empty()) std::cout << "first note   " << detail.first_note() << "\n";
    // The mark is the pipeline's own comparison (check mrz_vs_typed.FIELD):
    // = passed, ≠ failed, ? review; blank when there was none.
    std::map<std::string, v1::CheckOutcome> compared;
    for (const v1::Check& c : detail.checks()) {
      if (absl::StartsWith(c.name(), "mrz_vs_typed.")) {
        compared[c.name().substr(sizeof("mrz_vs_typed.") - 1)] = c.outcome();
      }
    }
    std::cout << "\nfields (typed | document; = ≠ ? from the automatic comparison):\n";
    for (const v1::FieldComparison& f : detail.fields()) {
      if (f.typed().empty() && f.extracted().empty()) continue;
      const std::string name = absl::StrCat(f.element(), ".", f.field());
      auto it = compared.find(f.field());
      const char* mark = it == compared.end()                     ? " "
                         : it->second == v1::CHECK_OUTCOME_PASS   ? "="
                         : it->second == v1::CHECK_OUTCOME_FAIL   ? "≠"
                         : it->second == v1::CHECK_OUTCOME_REVIEW ? "?"
                                                                  : " ";
      const std::string typed = f.typed().empty() ? "-" : f.typed();
      std::cout << "  " << name << std::string(name.size() < 42 ? 42 - name.size() : 1, ' ')
                << typed << std::string(typed.size() < 24 ? 24 - typed.size() : 1, ' ') << mark
                << "  " << (f.extracted().empty() ? "-" : f.extracted()) << "\n";
    }
    std::cout << "\nchecks:\n";
    for (const v1::Check& c : detail.checks()) {
      std::string outcome = v1::CheckOutcome_Name(c.outcome()).substr(14);
      std::cout << "  " << outcome << std::string(8 - std::min<size_t>(7, outcome.size()), ' ')
                << c.name() << " [" << c.element() << "] score=" << c.score()
                << " pass>=" << c.threshold() << " review>=" << c.review_threshold()
                << (c.reason().empty() ? "" : " reason=") << c.reason() << "\n";
    }
    if (output.page != nullptr && !listed.empty()) {
      std::cout << "\nimages: open " << output.page->url() << " (loopback only; " << output.until
                << ")\n";
    } else if (output.graphics != TerminalGraphics::kNone) {
      if (!listed.empty()) std::cout << "\nimages (drawn here; nothing written):\n";
    } else if (!listed.empty() && images_error.empty()) {
      std::cout << "\nimages (in memory-backed " << output.dir->path() << "; " << output.until
                << "):\n";
    }
    for (const Shown& image : listed) {
      if (image.location.empty()) continue;
      std::cout << "  " << image.location << "  (" << image.element << " " << image.source << ")\n";
    }
  }
  std::cout.flush();
  if (!drawn.empty()) DrawInline(drawn, output.graphics);
  if (output.page == nullptr && output.graphics == TerminalGraphics::kNone && HasDisplay()) {
    for (const Shown& image : listed) {
      if (!image.location.empty()) OpenWithViewer(image.location);
    }
  }
  return kOk;
}

// Checks of the case that could not run (reason "*_unavailable"), as
// "name (reason)".
std::vector<std::string> UnavailableChecks(const v1::CaseDetail& detail) {
  std::vector<std::string> out;
  for (const v1::Check& c : detail.checks()) {
    if (absl::EndsWith(c.reason(), "_unavailable")) {
      out.push_back(absl::StrCat(c.name(), " (", c.reason(), ")"));
    }
  }
  return out;
}

// The element and field the first failing (else the first review) check
// points at: "mrz_vs_typed.last_name" on personal_details gives
// personal_details / last_name, "face_match" on a passport passport /
// selfie, "quality.focus.front_side" passport / front_side.
struct ProposedError {
  std::string element;
  std::string field;
};
ProposedError ProposeError(const v1::CaseDetail& detail) {
  const v1::Check* pick = nullptr;
  for (const v1::Check& c : detail.checks()) {
    if (c.outcome() == v1::CHECK_OUTCOME_FAIL) {
      pick = &c;
      break;
    }
    if (pick == nullptr && c.outcome() == v1::CHECK_OUTCOME_REVIEW) pick = &c;
  }
  if (pick == nullptr) return {};
  // The field each check's user error names (docs/service.md, Checks).
  ProposedError p;
  p.element = pick->element();
  const std::string& name = pick->name();
  const size_t dot = name.find('.');
  const size_t last_dot = name.rfind('.');
  if (absl::StrContains(name, "_vs_typed.") && dot != std::string::npos) {
    p.field = name.substr(dot + 1);
  } else if (name == "face_match") {
    p.field = "selfie";
  } else if (name == "mrz" || name == "expiry") {
    p.field = "front_side";
  } else if ((absl::StartsWith(name, "quality.") || absl::StartsWith(name, "image.")) &&
             last_dot != std::string::npos) {
    p.field = name.substr(last_dot + 1);
  }
  return p;
}

// Starts the loopback image page; null (after printing why) when it cannot.
std::unique_ptr<CaseImagePage> StartImagePage() {
  absl::StatusOr<std::unique_ptr<CaseImagePage>> page = CaseImagePage::Start();
  if (!page.ok()) {
    std::cerr << "error: " << page.status().message() << "\n";
    return nullptr;
  }
  return *std::move(page);
}

// The terminal's graphics protocol for --inline-images, or kNone after
// printing why it cannot be used: the escape sequences carry the decrypted
// images, so they go only to a terminal, never to a file or pipe.
TerminalGraphics InlineGraphics(bool json) {
  if (json) {
    std::cerr << "error: --inline-images draws in the terminal; it cannot go with --json\n";
    return TerminalGraphics::kNone;
  }
  if (::isatty(STDOUT_FILENO) != 1) {
    std::cerr << "error: --inline-images writes the images only to a terminal, and stdout is "
                 "not one (a file or pipe would hold decrypted images); use --serve-images\n";
    return TerminalGraphics::kNone;
  }
  const TerminalGraphics graphics =
      DetectTerminalGraphics([](const char* name) -> const char* { return std::getenv(name); });
  if (graphics == TerminalGraphics::kNone) {
    std::cerr << "error: this terminal is not known to draw images (kitty graphics: kitty, "
                 "Ghostty, WezTerm; iTerm2 inline images); use --serve-images\n";
  }
  return graphics;
}

int Show(const CommonArgs& a, const std::string& id, double keep_seconds, bool serve,
         bool inline_images) {
  CatchInterrupts();
  TerminalGraphics graphics = TerminalGraphics::kNone;
  if (inline_images && (graphics = InlineGraphics(a.json)) == TerminalGraphics::kNone) {
    return kUsage;
  }
  Client client(a.connection);
  if (!client.ok()) return client.Fail();
  ImageDir dir;
  std::unique_ptr<CaseImagePage> page;
  if (serve && (page = StartImagePage()) == nullptr) return kFailed;
  ImageOutput output{&dir, page.get(), "", graphics};
  const std::string what = serve ? "served" : "kept";
  output.until = keep_seconds > 0 ? absl::StrCat(what, " for ", keep_seconds,
                                                 " s, until vouchctl exits; Ctrl-C stops it sooner")
                                  : std::string(
                                        "deleted when vouchctl exits (now); --keep-images-for "
                                        "SECONDS keeps them");
  const int rc = ShowCase(client, id, a.json, output);
  if (rc != kOk) return rc;
  // Keep the images for a while (a signal ends the wait), then delete.
  const absl::Time until = absl::Now() + absl::Seconds(keep_seconds);
  while (!g_interrupted.load() && absl::Now() < until) absl::SleepFor(absl::Milliseconds(50));
  if (page != nullptr) page->Stop();
  dir.Remove();
  return kOk;
}

int Approve(const CommonArgs& a, const std::string& id, const std::string& reason,
            const std::string& note) {
  Client client(a.connection);
  if (!client.ok()) return client.Fail();
  v1::ApproveCaseRequest request;
  request.set_case_id(id);
  request.set_reason(reason);
  request.set_note(note);
  v1::DecisionResponse response;
  const grpc::Status s = client.stub().ApproveCase(client.Context().get(), request, &response);
  if (!s.ok()) return FailCaseRpc(s);
  PrintDecision(response, a.json);
  return kOk;
}

int Reject(const CommonArgs& a, const std::string& id, const std::string& reason,
           const std::string& note, const std::vector<std::string>& elements,
           const std::vector<std::string>& fields, const std::vector<std::string>& messages) {
  if (elements.size() != fields.size()) {
    std::cerr << "error: give one --field for each --element (--field - names the whole element)\n";
    return kUsage;
  }
  if (!messages.empty() && messages.size() != elements.size()) {
    std::cerr << "error: give one --message for each --element, or none\n";
    return kUsage;
  }
  Client client(a.connection);
  if (!client.ok()) return client.Fail();
  v1::RejectCaseRequest request;
  request.set_case_id(id);
  request.set_reason(reason);
  request.set_note(note);
  for (size_t i = 0; i < elements.size(); ++i) {
    v1::ErrorTarget& t = *request.add_errors();
    t.set_element(elements[i]);
    t.set_field(fields[i] == "-" ? "" : fields[i]);
    if (!messages.empty()) t.set_message(messages[i]);
  }
  v1::DecisionResponse response;
  const grpc::Status s = client.stub().RejectCase(client.Context().get(), request, &response);
  if (!s.ok()) return FailCaseRpc(s);
  PrintDecision(response, a.json);
  return kOk;
}

int Release(const CommonArgs& a, const std::string& id) {
  Client client(a.connection);
  if (!client.ok()) return client.Fail();
  v1::ReleaseCaseRequest request;
  request.set_case_id(id);
  v1::ReleaseCaseResponse response;
  const grpc::Status s = client.stub().ReleaseCase(client.Context().get(), request, &response);
  if (!s.ok()) return FailCaseRpc(s);
  if (a.json) {
    std::cout << nlohmann::json{{"released", id}}.dump() << "\n";
  } else {
    std::cout << "released " << id << "\n";
  }
  return kOk;
}

// ---- reviewer's reversal ----
int Reverse(const CommonArgs& a, const std::string& id, const std::string& reason) {
  Client client(a.connection);
  if (!client.ok()) return client.Fail();
  v1::ReverseVerificationRequest request;
  request.set_verification_id(id);
  request.set_reason(reason);
  v1::ReverseVerificationResponse response;
  const grpc::Status s =
      client.stub().ReverseVerification(client.Context().get(), request, &response);
  if (!s.ok()) return FailCaseRpc(s);
  if (a.json) {
    std::cout << JsonText(response) << "\n";
    return kOk;
  }
  const v1::VerificationResult& r = response.result();
  std::cout << "reversed " << r.verification_id() << ": " << v1::Decision_Name(r.decision())
            << ", reason " << r.reversal().reason() << "\n";
  if (r.has_attestation() && !r.attestation().attestation_id().empty()) {
    std::cout << "attestation " << r.attestation().attestation_id()
              << (r.attestation().status_list_uri().empty()
                      ? " (direct mode: no status entry; valid until it expires)"
                      : " (revoked)")
              << "\n";
  }
  if (r.has_telegram_badge()) {
    std::cout << "telegram badge " << v1::TelegramBadge::State_Name(r.telegram_badge().state())
              << ": removeUserVerification queued\n";
  }
  return kOk;
}
// ---- end reviewer's reversal ----

// Reads one line from stdin; false at EOF.
bool Prompt(const std::string& question, std::string& answer, bool json) {
  if (!json) {
    std::cout << question;
    std::cout.flush();
  }
  if (!std::getline(std::cin, answer)) return false;
  answer = std::string(absl::StripAsciiWhitespace(answer));
  return true;
}

struct ReviewArgs {
  CommonArgs common;
  FilterArgs filter;
  std::string approve_reason = "document_ok";
  int64_t lease = 0;
  bool serve_images = false;
};

// The interactive loop: claim the next case, show it, act on a key.
int Interactive(const ReviewArgs& a) {
  CatchInterrupts();
  Client client(a.common.connection);
  if (!client.ok()) return client.Fail();
  // One page for the session; each case replaces the previous one's images.
  std::unique_ptr<CaseImagePage> page;
  if (a.serve_images) {
    if ((page = StartImagePage()) == nullptr) return kFailed;
    if (!a.common.json) {
      std::cout << "images of each case: open " << page->url()
                << " (loopback only; reload for the next case; stops when vouchctl quits)\n";
    }
  }
  std::set<std::string> skipped;
  int decided = 0;
  while (true) {
    // The oldest open case not skipped in this session.
    v1::ListCasesRequest list;
    a.filter.Fill(*list.mutable_filter());
    list.set_limit(1000);
    v1::ListCasesResponse cases;
    grpc::Status s = client.stub().ListCases(client.Context().get(), list, &cases);
    if (!s.ok()) return FailCaseRpc(s);
    std::string id;
    v1::ClaimCaseResponse claimed;
    for (const v1::CaseSummary& c : cases.cases()) {
      if (skipped.contains(c.case_id())) continue;
      if (!c.claimed_by().empty()) continue;
      v1::ClaimCaseRequest claim;
      claim.set_case_id(c.case_id());
      claim.set_lease_seconds(a.lease);
      s = client.stub().ClaimCase(client.Context().get(), claim, &claimed);
      if (s.ok() && claimed.claimed()) {
        id = c.case_id();
        break;
      }
      if (!s.ok() && s.error_code() != grpc::StatusCode::FAILED_PRECONDITION &&
          s.error_code() != grpc::StatusCode::NOT_FOUND) {
        return FailCaseRpc(s);
      }
    }
    if (id.empty()) {
      std::cout << "queue empty (" << decided << " decided)\n";
      return decided > 0 || skipped.empty() ? kOk : kNothingToClaim;
    }
    ImageDir dir;
    // The page shows no case once this one is decided, skipped or left.
    absl::Cleanup clear_page = [&page] {
      if (page != nullptr) page->Clear();
    };
    if (!a.common.json) std::cout << "\n";
    v1::CaseDetail detail;
    int rc = ShowCase(
        client, id, a.common.json,
        ImageOutput{&dir, page.get(), "until this case is decided or skipped, or vouchctl quits"},
        &detail);
    if (rc != kOk) return rc;
    while (true) {
      std::string key;
      if (!Prompt("[a]pprove [r]eject [s]kip [q]uit > ", key, a.common.json) || key == "q" ||
          g_interrupted.load()) {
        (void)Release(CommonArgs{a.common.connection, true}, id);
        std::cout << "quit (" << decided << " decided)\n";
        return kOk;
      }
      if (key == "a") {
        // Approving over checks that never ran is a judgment call: confirm.
        const std::vector<std::string> not_run = UnavailableChecks(detail);
        if (!not_run.empty()) {
          std::string yes;
          if (!Prompt(absl::StrCat(not_run.size(), " check(s) could not run (",
                                   absl::StrJoin(not_run, ", "), "); approve anyway? [y/N] > "),
                      yes, a.common.json) ||
              g_interrupted.load()) {
            (void)Release(CommonArgs{a.common.connection, true}, id);
            return kOk;
          }
          if (yes != "y" && yes != "yes") continue;
        }
        rc = Approve(a.common, id, a.approve_reason, "");
        if (rc != kOk) return rc;
        ++decided;
        break;
      }
      if (key == "r") {
        std::string reason;
        if (!Prompt("reason (e.g. document_forged) > ", reason, a.common.json) ||
            g_interrupted.load()) {
          (void)Release(CommonArgs{a.common.connection, true}, id);
          return kOk;
        }
        if (reason.empty()) continue;
        // What the user is told to fix: proposed from the first failing
        // check, each answer may replace it ("" keeps the proposal).
        const ProposedError proposal = ProposeError(detail);
        std::string element, field, message;
        if (!Prompt(absl::StrCat("element to fix [", proposal.element, "] > "), element,
                    a.common.json) ||
            !Prompt(absl::StrCat("field, - for the whole element [",
                                 proposal.field.empty() ? "-" : proposal.field, "] > "),
                    field, a.common.json) ||
            !Prompt("message for the user [vouchd's default for that field] > ", message,
                    a.common.json) ||
            g_interrupted.load()) {
          (void)Release(CommonArgs{a.common.connection, true}, id);
          return kOk;
        }
        if (element.empty()) element = proposal.element;
        if (field.empty()) field = proposal.field.empty() ? "-" : proposal.field;
        std::vector<std::string> elements, fields, messages;
        if (!element.empty()) {
          elements = {element};
          fields = {field};
          if (!message.empty()) messages = {message};
        }
        rc = Reject(a.common, id, reason, "", elements, fields, messages);
        if (rc == kFailed) return rc;
        if (rc != kOk) continue;  // e.g. a malformed reason: ask again
        ++decided;
        break;
      }
      if (key == "s") {
        rc = Release(CommonArgs{a.common.connection, true}, id);
        if (rc != kOk) return rc;
        skipped.insert(id);
        break;
      }
      std::cout << "keys: a approve, r reject, s skip, q quit\n";
    }
  }
}

}  // namespace

void AddQueueCommands(CLI::App& app, int& exit_code) {
  CLI::App* queue = app.add_subcommand("queue", "Work the review queue on vouchd");
  queue->require_subcommand(1);

  {
    auto a = std::make_shared<CommonArgs>();
    auto f = std::make_shared<FilterArgs>();
    auto limit = std::make_shared<int>(100);
    CLI::App* cmd = queue->add_subcommand("list", "List open cases, oldest first");
    AddConnectionOptions(cmd, a->connection);
    f->AddTo(cmd);
    cmd->add_option("--limit", *limit, "1..1000")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    cmd->add_flag("--json", a->json, "print JSON");
    cmd->callback([a, f, limit, &exit_code] { exit_code = List(*a, *f, *limit); });
  }
  {
    auto a = std::make_shared<CommonArgs>();
    auto f = std::make_shared<FilterArgs>();
    auto id = std::make_shared<std::string>();
    auto lease = std::make_shared<int64_t>(0);
    CLI::App* cmd = queue->add_subcommand(
        "claim", "Claim a case by id, or the oldest claimable one (exit 3: none)");
    cmd->add_option("ID", *id, "case id (default: the next one)");
    AddConnectionOptions(cmd, a->connection);
    f->AddTo(cmd);
    cmd->add_option("--lease", *lease, "lease in seconds (60..86400; default 900)")
        ->check(CLI::Range(60, 86400));
    cmd->add_flag("--json", a->json, "print JSON");
    cmd->callback([a, f, id, lease, &exit_code] { exit_code = Claim(*a, *id, *f, *lease); });
  }
  {
    auto a = std::make_shared<CommonArgs>();
    auto id = std::make_shared<std::string>();
    auto keep = std::make_shared<double>(0);
    auto serve = std::make_shared<bool>(false);
    auto inline_images = std::make_shared<bool>(false);
    CLI::App* cmd = queue->add_subcommand(
        "show",
        "Show a claimed case; its images go to a private memory-backed folder, or to a "
        "loopback page with --serve-images");
    cmd->add_option("ID", *id, "case id")->required();
    AddConnectionOptions(cmd, a->connection);
    CLI::Option* keep_option =
        cmd->add_option("--keep-images-for", *keep,
                        "keep the images (files or page) this many seconds before deleting "
                        "them and exiting (Ctrl-C deletes at once; default 0, with "
                        "--serve-images 600)")
            ->check(CLI::Range(0.0, 3600.0));
    CLI::Option* serve_option =
        cmd->add_flag("--serve-images", *serve,
                      "serve the images from memory on a 127.0.0.1 page with a one-time token "
                      "instead of writing files");
    cmd->add_flag("--inline-images", *inline_images,
                  "draw the images in this terminal (kitty graphics or iTerm2 inline images; "
                  "stdout must be the terminal) instead of writing files")
        ->excludes(serve_option);
    cmd->add_flag("--json", a->json, "print JSON (images as paths or URLs)");
    cmd->callback([a, id, keep, serve, inline_images, keep_option, &exit_code] {
      const double seconds =
          keep_option->count() > 0 ? *keep : (*serve ? kDefaultServeSeconds : 0.0);
      exit_code = Show(*a, *id, seconds, *serve, *inline_images);
    });
  }
  {
    auto a = std::make_shared<CommonArgs>();
    auto id = std::make_shared<std::string>();
    auto reason = std::make_shared<std::string>();
    auto note = std::make_shared<std::string>();
    CLI::App* cmd = queue->add_subcommand("approve", "Approve a claimed case (attestation issued)");
    cmd->add_option("ID", *id, "case id")->required();
    cmd->add_option("--reason", *reason, "reason code ([a-z0-9_.-], e.g. document_ok)")->required();
    cmd->add_option(
        "--note", *note,
        "note for the audit trail; one that repeats names, numbers, dates or address is refused");
    AddConnectionOptions(cmd, a->connection);
    cmd->add_flag("--json", a->json, "print JSON");
    cmd->callback(
        [a, id, reason, note, &exit_code] { exit_code = Approve(*a, *id, *reason, *note); });
  }
  {
    auto a = std::make_shared<CommonArgs>();
    auto id = std::make_shared<std::string>();
    auto reason = std::make_shared<std::string>();
    auto note = std::make_shared<std::string>();
    auto elements = std::make_shared<std::vector<std::string>>();
    auto fields = std::make_shared<std::vector<std::string>>();
    auto messages = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = queue->add_subcommand(
        "reject", "Reject a claimed case with PassportElementErrors for the user");
    cmd->add_option("ID", *id, "case id")->required();
    cmd->add_option("--reason", *reason, "reason code ([a-z0-9_.-])")->required();
    cmd->add_option(
        "--note", *note,
        "note for the audit trail; one that repeats names, numbers, dates or address is refused");
    cmd->add_option("--element", *elements, "element type of an error (repeatable)");
    cmd->add_option("--field", *fields,
                    "its data field or file (front_side, reverse_side, selfie, files, "
                    "translation_files; - for the whole element), one per --element");
    cmd->add_option("--message", *messages, "its message for the user, one per --element");
    AddConnectionOptions(cmd, a->connection);
    cmd->add_flag("--json", a->json, "print JSON");
    cmd->callback([=, &exit_code] {
      exit_code = Reject(*a, *id, *reason, *note, *elements, *fields, *messages);
    });
  }
  {
    auto a = std::make_shared<CommonArgs>();
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = queue->add_subcommand("release", "Give a claimed case back to the queue");
    cmd->add_option("ID", *id, "case id")->required();
    AddConnectionOptions(cmd, a->connection);
    cmd->add_flag("--json", a->json, "print JSON");
    cmd->callback([a, id, &exit_code] { exit_code = Release(*a, *id); });
  }
  {  // The reviewer's reversal.
    auto a = std::make_shared<CommonArgs>();
    auto id = std::make_shared<std::string>();
    auto reason = std::make_shared<std::string>();
    CLI::App* cmd = queue->add_subcommand(
        "reverse",
        "Reverse a VERIFIED verification (senior reviewer or admin): REJECTED, its status entry "
        "revoked, its Telegram badge removed");
    cmd->add_option("ID", *id, "verification id")->required();
    cmd->add_option("--reason", *reason, "reason code ([a-z0-9_.-], e.g. fraud_found)")->required();
    AddConnectionOptions(cmd, a->connection);
    cmd->add_flag("--json", a->json, "print JSON");
    cmd->callback([a, id, reason, &exit_code] { exit_code = Reverse(*a, *id, *reason); });
  }
  {
    auto a = std::make_shared<ReviewArgs>();
    CLI::App* cmd = app.add_subcommand(
        "review",
        "Work through the queue interactively: a approve, r reject (asks a reason), s skip, q quit "
        "(keys from stdin, one per line)");
    AddConnectionOptions(cmd, a->common.connection);
    a->filter.AddTo(cmd);
    cmd->add_option("--approve-reason", a->approve_reason, "reason code sent with a")
        ->capture_default_str();
    cmd->add_option("--lease", a->lease, "lease in seconds (60..86400; default 900)")
        ->check(CLI::Range(60, 86400));
    cmd->add_flag("--serve-images", a->serve_images,
                  "show each case's images on a 127.0.0.1 page with a one-time token (from "
                  "memory, no files)");
    cmd->add_flag("--json", a->common.json, "print JSON instead of text (no prompts)");
    cmd->callback([a, &exit_code] { exit_code = Interactive(*a); });
  }
}

}  // namespace vouch::verifier::cli
