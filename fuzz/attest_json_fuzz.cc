// Differential fuzzing of the verify library's strict JSON parser
// (simdjson into nlohmann's DOM, attest/verify/jose.cc) against
// nlohmann-json's own parser, plus the strict base64url codec.
//
// Invariants:
// - ParseJsonStrict accepts => nlohmann accepts the same text and builds an
//   equal value; the value serializes strictly and re-parses equal.
// - nlohmann accepts, and the text has no duplicate member names, nesting
//   of at most 32 and only numbers that fit int64/uint64/double
//   => ParseJsonStrict accepts.
// - Base64UrlDecode accepts => re-encoding gives back the text.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "internal/jose.h"
#include "nlohmann/json.hpp"

namespace in = vouch::attest::internal;
using nlohmann::json;

namespace {

// SAX handler for nlohmann that records what the strict parser refuses on
// purpose: duplicate names, depth over the limit, and numbers nlohmann had to
// take as floats because they do not fit 64 bits (the strict parser refuses
// big integers) or that are not finite.
struct Probe : nlohmann::json_sax<json> {
  std::vector<std::vector<std::string>> keys;  // per open object
  int depth = 0;
  int max_depth = 0;
  bool duplicate = false;
  bool odd_number = false;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t value, const string_t& text) override {
    if (!std::isfinite(value)) odd_number = true;
    // An integer literal that did not fit 64 bits.
    if (text.find_first_of(".eE") == string_t::npos) odd_number = true;
    return true;
  }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    keys.emplace_back();
    max_depth = std::max(max_depth, ++depth);
    return true;
  }
  bool key(string_t& key) override {
    for (const auto& k : keys.back()) {
      if (k == key) duplicate = true;
    }
    keys.back().push_back(key);
    return true;
  }
  bool end_object() override {
    keys.pop_back();
    --depth;
    return true;
  }
  bool start_array(std::size_t) override {
    max_depth = std::max(max_depth, ++depth);
    return true;
  }
  bool end_array() override {
    --depth;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = vouch::fuzz::AsView(data, size);
  auto strict = in::ParseJsonStrict(text);
  const json reference = json::parse(text, nullptr, /*allow_exceptions=*/false);
  // nlohmann-json takes a raw NUL for the end of the input ("1\0x" parses as
  // 1); a raw NUL is never valid JSON, so such texts are not a reference.
  const bool reference_ok = !reference.is_discarded() && text.find('\0') == std::string_view::npos;

  if (strict.ok()) {
    FUZZ_CHECK(reference_ok);
    FUZZ_CHECK(*strict == reference);
    std::string dumped;
    FUZZ_CHECK(in::DumpJsonStrict(*strict, &dumped));
    auto again = in::ParseJsonStrict(dumped);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(*again == *strict);
  } else if (reference_ok) {
    Probe probe;
    const bool sax_ok = json::sax_parse(text, &probe, json::input_format_t::json,
                                        /*strict=*/true, false);
    FUZZ_CHECK(sax_ok);
    FUZZ_CHECK(probe.duplicate || probe.odd_number || probe.max_depth > in::kMaxJsonDepth);
  }

  std::string decoded;
  if (in::Base64UrlDecode(text, &decoded)) {
    FUZZ_CHECK(in::Base64UrlEncode(decoded) == text);
  }
  return 0;
}
