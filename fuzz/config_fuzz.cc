// Fuzzes the operator-facing configuration parsers: the policy file
// (pipeline::Config::Parse, TOML) and the auth file (auth::AuthConfig::Parse,
// TOML). Both see the same text.
//
// toml++ 3.3.0 (Debian 12) breaks its own preconditions on some malformed
// input ("[+[t]]", "[[[1]]]", "a = 1979-05-22T:07:73:00Z"): assert() without
// NDEBUG, __builtin_assume(false) (UB) under clang with NDEBUG, nothing under
// gcc with NDEBUG (vouch's release build: a clean parse error; upstream fix:
// marzer/tomlplusplus#301). So this target compiles policy.cc and
// auth_config.cc itself with TOML_ASSERT defined away, which is what the
// release build does, and ASan checks that nothing goes wrong behind the
// broken precondition (regressions/config/).
//
// Invariants: every parsed policy is found by name; every auth entry has a
// principal id and 32-byte token hashes; failures are kInvalidArgument.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "auth/auth_config.h"
#include "fuzz_util.h"
#include "pipeline/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  auto config = vouch::verifier::pipeline::Config::Parse(text);
  if (config.ok()) {
    for (const auto& [name, policy] : config->policies()) {
      auto found = config->FindPolicy(name);
      FUZZ_CHECK(found.ok() && *found == &policy);
    }
  } else {
    FUZZ_CHECK(config.status().code() == absl::StatusCode::kInvalidArgument);
  }

  auto auth = vouch::verifier::auth::AuthConfig::Parse(text);
  if (std::getenv("VOUCH_FUZZ_VERBOSE") != nullptr) {
    std::fprintf(stderr, "config: policy %s, auth %s\n",
                 config.ok() ? "ok" : config.status().ToString().c_str(),
                 auth.ok() ? "ok" : auth.status().ToString().c_str());
  }
  if (auth.ok()) {
    for (const auto& entry : auth->entries) {
      FUZZ_CHECK(!entry.principal.id.empty());
      for (const auto& token : entry.tokens) FUZZ_CHECK(token.sha256.size() == 32);
    }
  } else {
    FUZZ_CHECK(auth.status().code() == absl::StatusCode::kInvalidArgument);
  }
  return 0;
}
