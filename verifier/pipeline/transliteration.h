#ifndef VOUCH_VERIFIER_PIPELINE_TRANSLITERATION_H_
#define VOUCH_VERIFIER_PIPELINE_TRANSLITERATION_H_

// Names as they appear in a machine-readable zone: ICAO Doc 9303 Part 3 §6
// (8th ed.) transliteration of Latin-based characters with diacritics and of
// Cyrillic, upper case, with spaces, hyphens and '<' as single separators
// and other punctuation (apostrophes) dropped.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace vouch::verifier::pipeline {

// Every MRZ spelling of `name` (UTF-8) under the recommended ICAO mapping
// and its listed alternatives (e.g. Ä → AE or A, Я → IA or YA, Г → G or H),
// as "A-Z and single spaces"; at most 32 variants. Empty when `name` holds a
// character with no transliteration (e.g. CJK), or is not valid UTF-8.
std::vector<std::string> MrzSpellings(absl::string_view name);

// `mrz_name` normalised the same way ('<' and spaces as separators).
std::string NormalizeMrzName(absl::string_view mrz_name);

// Whether `typed` (UTF-8) may be written `mrz_name` in an MRZ. With
// `truncated_field`, a prefix of a spelling also matches (ICAO 9303 Part 3
// §4.6: names longer than the field are truncated).
bool NameMatchesMrz(absl::string_view typed, absl::string_view mrz_name, bool truncated_field);

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_TRANSLITERATION_H_
