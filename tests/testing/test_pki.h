#ifndef VOUCH_TESTS_TESTING_TEST_PKI_H_
#define VOUCH_TESTS_TESTING_TEST_PKI_H_

// Test-only: a throwaway PKI made with the openssl command line (EC P-256):
// a CA, certificates it signs (server or client), and a second, unrelated CA.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace vouch::testing {

class TestPki {
 public:
  explicit TestPki(std::string dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
  }

  // Makes CA `name` (name.key, name.pem). Returns false on failure.
  bool MakeCa(const std::string& name) {
    return Run(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
        " -subj /CN=" +
        name + " -keyout " + Path(name + ".key") + " -out " + Path(name + ".pem") +
        " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign");
  }

  // Makes `name`.key / `name`.pem signed by `ca`, with subject CN `cn` and
  // subjectAltName `san` (e.g. "DNS:localhost,IP:127.0.0.1"; "" for none);
  // `usage` is serverAuth or clientAuth.
  bool MakeCert(const std::string& ca, const std::string& name, const std::string& cn,
                const std::string& san, const std::string& usage) {
    std::ofstream ext(Path(name + ".ext"));
    ext << "basicConstraints=CA:FALSE\nextendedKeyUsage=" << usage << "\n";
    if (!san.empty()) ext << "subjectAltName=" << san << "\n";
    ext.close();
    return Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=" + cn +
               " -keyout " + Path(name + ".key") + " -out " + Path(name + ".csr")) &&
           Run("openssl x509 -req -days 2 -in " + Path(name + ".csr") + " -CA " +
               Path(ca + ".pem") + " -CAkey " + Path(ca + ".key") + " -CAcreateserial -out " +
               Path(name + ".pem") + " -extfile " + Path(name + ".ext"));
  }

  std::string Path(const std::string& file) const { return dir_ + "/" + file; }
  std::string Read(const std::string& file) const {
    std::ifstream in(Path(file));
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

 private:
  static bool Run(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
  }

  std::string dir_;
};

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_TESTING_TEST_PKI_H_
