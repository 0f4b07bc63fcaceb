#ifndef VOUCH_TESTS_E2E_VOUCHD_PROCESS_H_
#define VOUCH_TESTS_E2E_VOUCHD_PROCESS_H_

// Runs a real vouchd for end-to-end tests: a private data directory under
// the test's temp dir, a free loopback port (vouchd binds port 0 and reports
// it through --ready-file), stopped with SIGTERM (killed if it hangs) and
// cleaned up also when a test fails.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

extern char** environ;

namespace vouch::testing {

class VouchdProcess {
 public:
  explicit VouchdProcess(std::string data_dir) : data_dir_(std::move(data_dir)) {}
  ~VouchdProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  // Starts vouchd with `extra` flags and waits until it serves. Returns
  // false (with a test failure) when it does not come up in 30 s. Plaintext
  // on loopback (--insecure-loopback) unless `extra` has --tls-cert.
  bool Start(const std::vector<std::string>& extra = {}) {
    const std::string ready = data_dir_ + ".ready";
    std::filesystem::remove(ready);
    // `extra` may give its own --listen (a fixed port).
    const auto own_listen = std::find(extra.begin(), extra.end(), "--listen");
    const std::string listen = own_listen != extra.end() && own_listen + 1 != extra.end()
                                   ? *(own_listen + 1)
                                   : "127.0.0.1:0";
    std::vector<std::string> args = {VOUCHD_PATH,
                                     "--listen",
                                     listen,
                                     "--data-dir",
                                     data_dir_,
                                     "--ready-file",
                                     ready,
                                     "--metrics-listen",
                                     "127.0.0.1:0",
                                     "--workers",
                                     "2",
                                     "--drain-seconds",
                                     "10",
                                     "--models-dir",
                                     std::string(VOUCH_SOURCE_DIR) + "/models"};
    if (std::find(extra.begin(), extra.end(), "--tls-cert") == extra.end()) {
      args.push_back("--insecure-loopback");
    }
    for (auto it = extra.begin(); it != extra.end(); ++it) {
      if (it == own_listen && it + 1 != extra.end()) {
        ++it;  // Already in place.
        continue;
      }
      args.push_back(*it);
    }
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string out = data_dir_ + ".log";
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      ADD_FAILURE() << "cannot start " << argv[0];
      pid_ = -1;
      return false;
    }
    for (int i = 0; i < 300; ++i) {
      std::ifstream in(ready);
      if (in && std::getline(in, address_) && std::getline(in, metrics_address_)) {
        std::getline(in, http_address_);  // Empty unless --http-listen.
        return true;
      }
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        ADD_FAILURE() << "vouchd exited at start; log:\n" << Log();
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "vouchd did not become ready; log:\n" << Log();
    return false;
  }

  // SIGTERM, then the exit code (or -1 when it had to be killed).
  int Stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 300; ++i) {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return -1;
  }

  // Sends `signal` (e.g. SIGHUP: reload the auth config).
  void Signal(int signal) {
    if (pid_ > 0) ::kill(pid_, signal);
  }

  std::string Log() const {
    std::ifstream in(data_dir_ + ".log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // The first-start credentials vouchd writes into its data directory: the
  // "default" service API key and the admin operator token.
  std::string service_token_file() const { return data_dir_ + "/service-default.token"; }
  std::string admin_token_file() const { return data_dir_ + "/admin.token"; }
  std::string ServiceToken() const { return ReadToken(service_token_file()); }
  std::string AdminToken() const { return ReadToken(admin_token_file()); }

  const std::string& address() const { return address_; }
  const std::string& metrics_address() const { return metrics_address_; }
  const std::string& http_address() const { return http_address_; }
  const std::string& data_dir() const { return data_dir_; }

 private:
  static std::string ReadToken(const std::string& path) {
    std::ifstream in(path);
    std::string token;
    std::getline(in, token);
    return token;
  }

  std::string data_dir_;
  pid_t pid_ = -1;
  std::string address_;
  std::string metrics_address_;
  std::string http_address_;
};

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_E2E_VOUCHD_PROCESS_H_
