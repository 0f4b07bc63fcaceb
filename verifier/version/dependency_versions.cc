#include "version/dependency_versions.h"

#include <google/protobuf/stubs/common.h>
#include <grpcpp/grpcpp.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <tesseract/baseapi.h>

#include <opencv2/core/utility.hpp>
#include <string>

#include "absl/base/config.h"

namespace vouch::verifier::version {
namespace {

// 3021012 -> "3.21.12" (protobuf's MAJOR*1e6 + MINOR*1e3 + PATCH).
std::string ProtobufVersion(int v) {
  constexpr int kMajor = 1000000;
  constexpr int kMinor = 1000;
  return std::to_string(v / kMajor) + "." + std::to_string(v / kMinor % kMinor) + "." +
         std::to_string(v % kMinor);
}

// 150005 -> "15.5" (libpq since PostgreSQL 10: MAJOR*10000 + MINOR).
std::string LibpqVersion(int v) {
  constexpr int kMajor = 10000;
  return std::to_string(v / kMajor) + "." + std::to_string(v % kMajor);
}

}  // namespace

std::vector<ComponentVersion> DependencyVersions() {
  return {
      {"OpenSSL", OpenSSL_version(OPENSSL_VERSION_STRING)},
      {"gRPC", grpc::Version()},
      {"protobuf", ProtobufVersion(GOOGLE_PROTOBUF_VERSION)},
      {"abseil", std::to_string(ABSL_LTS_RELEASE_VERSION)},
      {"OpenCV", cv::getVersionString()},
      {"Tesseract", tesseract::TessBaseAPI::Version()},
      {"SQLite", sqlite3_libversion()},
      {"libpq", LibpqVersion(PQlibVersion())},
  };
}

}  // namespace vouch::verifier::version
