#ifndef VOUCH_VERIFIER_PIPELINE_TRANSLITERATION_H_
#define VOUCH_VERIFIER_PIPELINE_TRANSLITERATION_H_

// Names as they appear in a machine-readable zone: ICAO Doc 9303 Part 3 §6
// (8th ed.) transliteration of Latin-based characters with diacritics and of
// Cyrillic, upper case, with spaces, hyphens and '<' as single separators
// and other punctuation (apostrophes) dropped.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "pipeline/document_reader.h"

namespace vouch::verifier::pipeline {

// Every MRZ spelling of `name` (UTF-8) under the recommended ICAO mapping
// and its listed alternatives (e.g. Ä → AE or A, Я → IA or YA, Г → G or H),
// as "A-Z and single spaces"; at most 32 variants. Empty when `name` holds a
// character with no transliteration (e.g. CJK), or is not valid UTF-8.
std::vector<std::string> MrzSpellings(absl::string_view name);

// `mrz_name` normalised the same way ('<' and spaces as separators).
std::string NormalizeMrzName(absl::string_view mrz_name);

// How much of the MRZ name a typed name must be.
enum class NameCover {
  kWhole,  // All of it.
  // All of it, or its first whole names: given names typed without the
  // later ones (`Anna` for `ANNA MARIA`; never `ANN`, never `MARIA`).
  kLeadingNames,
};

// Whether `typed` (UTF-8) may be written `mrz_name` in an MRZ. With
// `truncated_field`, a prefix of a spelling also matches (ICAO 9303 Part 3
// §4.6: names longer than the field are truncated).
bool NameMatchesMrz(absl::string_view typed, absl::string_view mrz_name, bool truncated_field,
                    NameCover cover = NameCover::kWhole);

// The Russian internal passport (TD3, document code `PN`, issuing state
// `RUS`) does not spell names by the ICAO table: its MRZ writes one symbol
// per Cyrillic letter, digits and Q, W, X standing for the letters without
// a one-letter Latin counterpart (`2` Ё, `3` Ч, `4` Ш, `6` Э, `7` Ю, `8` Я,
// `9` Ь, `Q` Й, `W` Щ, `X` Ъ, `J` Ж, `H` Х, `C` Ц, `Y` Ы). Returns the name
// in Cyrillic capitals (UTF-8, separators as single spaces), or nullopt
// when a symbol is not in that scheme.
std::optional<std::string> RussianInternalMrzNameToCyrillic(absl::string_view mrz_name);

// Whether an MRZ whose names are written in `script` may write `typed`
// (UTF-8) as `mrz_name`: NameMatchesMrz, and for the Russian internal
// passport's script also through that script (the MRZ name read back into
// Cyrillic, which matches the typed native name or, by the ICAO table, the
// typed Latin one).
bool NameMatchesDocumentMrz(absl::string_view typed, absl::string_view mrz_name,
                            bool truncated_field, MrzNameScript script,
                            NameCover cover = NameCover::kWhole);

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_TRANSLITERATION_H_
