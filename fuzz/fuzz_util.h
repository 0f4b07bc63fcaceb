#ifndef VOUCH_FUZZ_FUZZ_UTIL_H_
#define VOUCH_FUZZ_FUZZ_UTIL_H_

// Small helpers shared by the fuzz harnesses (fuzz/*_fuzz.cc). Harnesses
// never throw; a broken invariant aborts with a message so libFuzzer (or the
// standalone replay driver) reports it as a crash.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

// Aborts with the failed condition when `cond` is false.
#define FUZZ_CHECK(cond)                                                                     \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)

namespace vouch::fuzz {

inline std::string_view AsView(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Splits `input` at every NUL byte (the section separator of the multi-part
// harness formats; JSON text cannot contain a raw NUL). At most `max_parts`
// parts: the last one keeps any further NULs.
inline std::vector<std::string_view> SplitNul(std::string_view input, size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const size_t nul = input.find('\0');
    if (nul == std::string_view::npos) break;
    parts.push_back(input.substr(0, nul));
    input.remove_prefix(nul + 1);
  }
  parts.push_back(input);
  return parts;
}

// Replaces every occurrence of `from` in `*text` with `to`.
inline void ReplaceAll(std::string* text, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  size_t pos = 0;
  while ((pos = text->find(from, pos)) != std::string::npos) {
    text->replace(pos, from.size(), to);
    pos += to.size();
  }
}

}  // namespace vouch::fuzz

#endif  // VOUCH_FUZZ_FUZZ_UTIL_H_
