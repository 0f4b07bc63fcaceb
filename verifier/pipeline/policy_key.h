#ifndef VOUCH_VERIFIER_PIPELINE_POLICY_KEY_H_
#define VOUCH_VERIFIER_PIPELINE_POLICY_KEY_H_

// A key of a [policies.<name>] table, declared beside the code that reads
// it (a check in checks/, or policy.cc for the keys of the policy itself).
// Config::Parse looks each key of a policy table up in these declarations;
// a key nobody declares is an error ("unknown key"). The value arrives as a
// PolicyValue, so declarations need no TOML.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vouch::verifier::pipeline {

struct Policy;

// One value of a policy table. Each accessor returns the value, or
// kInvalidArgument "config: <where>: <what>" naming the key when it has
// another type.
class PolicyValue {
 public:
  virtual ~PolicyValue() = default;
  virtual absl::StatusOr<bool> Bool() const = 0;
  virtual absl::StatusOr<int64_t> Integer() const = 0;
  virtual absl::StatusOr<std::string> String() const = 0;
  // An array of strings (at most 1000).
  virtual absl::StatusOr<std::vector<std::string>> Strings() const = 0;
  // An array of at most `max_count` integers; the errors say `not_array`
  // for anything else and `not_integer` for an entry that is not one.
  virtual absl::StatusOr<std::vector<int64_t>> Integers(size_t max_count,
                                                        absl::string_view not_array,
                                                        absl::string_view not_integer) const = 0;
  // A positive duration such as "15m", at most 400 days.
  virtual absl::StatusOr<absl::Duration> Duration() const = 0;
  // kInvalidArgument "config: <where>: <what>".
  virtual absl::Status Bad(absl::string_view what) const = 0;
  // A number (a float, or an integer).
  virtual absl::StatusOr<double> Number() const { return Bad("must be a number"); }
};

struct PolicyKey {
  absl::string_view name;
  // Reads `value` into `policy`; errors come from value.Bad() or the
  // accessors, so they name the key.
  absl::Status (*parse)(const PolicyValue& value, Policy& policy);
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_POLICY_KEY_H_
