// Fuzzes the AAMVA DL/ID PDF417 payload parser (ParseAamva).
//
// Invariants: a parsed record has a DL or ID subfile, a 6-digit issuer id,
// versions in 0..99, and its named fields agree with the element map.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "fuzz_util.h"
#include "ocr/aamva.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ocr = vouch::ocr;
  const absl::string_view payload(reinterpret_cast<const char*>(data), size);
  auto record = ocr::ParseAamva(payload);
  if (std::getenv("VOUCH_FUZZ_VERBOSE") != nullptr) {
    std::fprintf(stderr, "aamva: %s\n", record.ok() ? "ok" : record.status().ToString().c_str());
  }
  if (!record.ok()) {
    FUZZ_CHECK(record.status().code() == absl::StatusCode::kInvalidArgument ||
               record.status().code() == absl::StatusCode::kResourceExhausted);
    return 0;
  }
  FUZZ_CHECK(size <= ocr::kMaxAamvaPayloadBytes);
  FUZZ_CHECK(record->subfile_type == "DL" || record->subfile_type == "ID");
  FUZZ_CHECK(record->issuer_id.size() == 6);
  for (char c : record->issuer_id) FUZZ_CHECK(absl::ascii_isdigit(c));
  FUZZ_CHECK(record->aamva_version >= 0 && record->aamva_version <= 99);
  FUZZ_CHECK(record->jurisdiction_version >= 0 && record->jurisdiction_version <= 99);
  if (!record->document_number.empty()) {
    auto it = record->elements.find("DAQ");
    FUZZ_CHECK(it != record->elements.end());
  }
  for (const auto& [id, value] : record->elements) FUZZ_CHECK(id.size() == 3);
  return 0;
}
