#include "transliteration.h"

#include <cstdint>
#include <optional>

#include "absl/strings/ascii.h"

namespace vouch::verifier::pipeline {
namespace {

// Decodes one UTF-8 code point at `*pos`; nullopt for invalid input.
std::optional<char32_t> NextCodePoint(absl::string_view s, size_t* pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = byte(*pos);
  int len;
  char32_t cp;
  if (b0 < 0x80) {
    len = 1;
    cp = b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else
    return std::nullopt;
  if (*pos + len > s.size()) return std::nullopt;
  for (int i = 1; i < len; ++i) {
    const uint8_t b = byte(*pos + i);
    if ((b & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (b & 0x3F);
  }
  // Reject overlong forms and surrogates.
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return std::nullopt;
  }
  *pos += len;
  return cp;
}

struct Mapping {
  const char* primary;      // ICAO recommended.
  const char* alternative;  // Listed alternative, or nullptr.
};

// ICAO 9303 Part 3 §6, Latin-1 Supplement (U+00C0..U+00FF), upper and lower
// case mapping alike. "" drops the character; nullptr primary: no mapping.
Mapping Latin1(char32_t cp) {
  switch (cp | 0x20) {  // Fold the case bit (valid in this block except ß/÷/×).
    case 0xE0:
    case 0xE1:
    case 0xE2:
    case 0xE3:
      return {"A", nullptr};
    case 0xE4:
      return {"AE", "A"};
    case 0xE5:
      return {"AA", "A"};
    case 0xE6:
      return {"AE", nullptr};
    case 0xE7:
      return {"C", nullptr};
    case 0xE8:
    case 0xE9:
    case 0xEA:
    case 0xEB:
      return {"E", nullptr};
    case 0xEC:
    case 0xED:
    case 0xEE:
    case 0xEF:
      return {"I", nullptr};
    case 0xF0:
      return {"D", nullptr};
    case 0xF1:
      return {"N", nullptr};
    case 0xF2:
    case 0xF3:
    case 0xF4:
    case 0xF5:
      return {"O", nullptr};
    case 0xF6:
      return {"OE", "O"};
    case 0xF8:
      return {"OE", "O"};
    case 0xF9:
    case 0xFA:
    case 0xFB:
      return {"U", nullptr};
    case 0xFC:
      return {"UE", "U"};
    case 0xFD:
    case 0xFF:
      return {"Y", nullptr};
    case 0xFE:
      return {"TH", nullptr};
  }
  return {nullptr, nullptr};
}

// Latin Extended-A (U+0100..U+017F): the base letter, diacritics dropped.
Mapping LatinExtendedA(char32_t cp) {
  struct Range {
    char32_t first, last;
    const char* base;
  };
  static constexpr Range kRanges[] = {
      {0x100, 0x105, "A"}, {0x106, 0x10D, "C"},  {0x10E, 0x111, "D"}, {0x112, 0x11B, "E"},
      {0x11C, 0x123, "G"}, {0x124, 0x127, "H"},  {0x128, 0x131, "I"}, {0x132, 0x133, "IJ"},
      {0x134, 0x135, "J"}, {0x136, 0x138, "K"},  {0x139, 0x142, "L"}, {0x143, 0x14B, "N"},
      {0x14C, 0x151, "O"}, {0x152, 0x153, "OE"}, {0x154, 0x159, "R"}, {0x15A, 0x161, "S"},
      {0x162, 0x167, "T"}, {0x168, 0x173, "U"},  {0x174, 0x175, "W"}, {0x176, 0x178, "Y"},
      {0x179, 0x17E, "Z"}, {0x17F, 0x17F, "S"}};
  for (const Range& r : kRanges) {
    if (cp >= r.first && cp <= r.last) return {r.base, nullptr};
  }
  return {nullptr, nullptr};
}

// Cyrillic (U+0400..U+045F), ICAO 9303 Part 3 §6 Table B, with common
// national alternatives (Ukrainian/Belarusian Г = H; Й/Ю/Я/Є/Ї with Y).
Mapping Cyrillic(char32_t cp) {
  if (cp >= 0x430 && cp <= 0x44F) cp -= 0x20;  // а..я -> А..Я
  if (cp >= 0x450 && cp <= 0x45F) cp -= 0x50;  // ѐ..џ -> Ѐ..Џ
  switch (cp) {
    case 0x410:
      return {"A", nullptr};
    case 0x411:
      return {"B", nullptr};
    case 0x412:
      return {"V", nullptr};
    case 0x413:
      return {"G", "H"};
    case 0x414:
      return {"D", nullptr};
    case 0x415:
    case 0x400:
    case 0x401:
      return {"E", nullptr};
    case 0x416:
      return {"ZH", nullptr};
    case 0x417:
      return {"Z", nullptr};
    case 0x418:
    case 0x40D:
      return {"I", nullptr};
    case 0x419:
      return {"I", "Y"};
    case 0x41A:
      return {"K", nullptr};
    case 0x41B:
      return {"L", nullptr};
    case 0x41C:
      return {"M", nullptr};
    case 0x41D:
      return {"N", nullptr};
    case 0x41E:
      return {"O", nullptr};
    case 0x41F:
      return {"P", nullptr};
    case 0x420:
      return {"R", nullptr};
    case 0x421:
      return {"S", nullptr};
    case 0x422:
      return {"T", nullptr};
    case 0x423:
      return {"U", nullptr};
    case 0x424:
      return {"F", nullptr};
    case 0x425:
      return {"KH", "H"};
    case 0x426:
      return {"TS", nullptr};
    case 0x427:
      return {"CH", nullptr};
    case 0x428:
      return {"SH", nullptr};
    case 0x429:
      return {"SHCH", nullptr};
    case 0x42A:
      return {"IE", ""};
    case 0x42B:
      return {"Y", nullptr};
    case 0x42C:
      return {"", nullptr};
    case 0x42D:
      return {"E", nullptr};
    case 0x42E:
      return {"IU", "YU"};
    case 0x42F:
      return {"IA", "YA"};
    case 0x402:
      return {"D", nullptr};
    case 0x403:
      return {"G", nullptr};
    case 0x404:
      return {"IE", "YE"};
    case 0x405:
      return {"DZ", nullptr};
    case 0x406:
      return {"I", nullptr};
    case 0x407:
      return {"I", "YI"};
    case 0x408:
      return {"J", nullptr};
    case 0x409:
      return {"LJ", nullptr};
    case 0x40A:
      return {"NJ", nullptr};
    case 0x40B:
      return {"C", nullptr};
    case 0x40C:
      return {"K", nullptr};
    case 0x40E:
      return {"U", nullptr};
    case 0x40F:
      return {"DZ", nullptr};
  }
  return {nullptr, nullptr};
}

Mapping Map(char32_t cp) {
  if (cp < 0x80) {
    const char c = static_cast<char>(cp);
    if (absl::ascii_isalpha(c)) {
      static const char* kUpper[26] = {"A", "B", "C", "D", "E", "F", "G", "H", "I",
                                       "J", "K", "L", "M", "N", "O", "P", "Q", "R",
                                       "S", "T", "U", "V", "W", "X", "Y", "Z"};
      return {kUpper[absl::ascii_toupper(c) - 'A'], nullptr};
    }
    if (c == ' ' || c == '-' || c == '<' || c == ',') return {" ", nullptr};
    if (c == '\'' || c == '.' || c == '`') return {"", nullptr};
    return {nullptr, nullptr};
  }
  if (cp == 0xDF || cp == 0x1E9E) return {"SS", nullptr};  // ß, ẞ
  if (cp == 0x2019 || cp == 0x2BC) return {"", nullptr};   // Typographic apostrophes.
  if (cp >= 0xC0 && cp <= 0xFF && cp != 0xD7 && cp != 0xF7) return Latin1(cp);
  if (cp >= 0x100 && cp <= 0x17F) return LatinExtendedA(cp);
  if (cp >= 0x400 && cp <= 0x45F) return Cyrillic(cp);
  return {nullptr, nullptr};
}

std::string Squeeze(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

constexpr size_t kMaxVariants = 32;
constexpr size_t kMaxNameBytes = 512;

}  // namespace

std::vector<std::string> MrzSpellings(absl::string_view name) {
  if (name.size() > kMaxNameBytes) return {};
  std::vector<std::string> variants = {""};
  size_t pos = 0;
  while (pos < name.size()) {
    std::optional<char32_t> cp = NextCodePoint(name, &pos);
    if (!cp.has_value()) return {};
    const Mapping m = Map(*cp);
    if (m.primary == nullptr) return {};
    const size_t n = variants.size();
    if (m.alternative != nullptr && n * 2 <= kMaxVariants) {
      for (size_t i = 0; i < n; ++i) variants.push_back(variants[i] + m.alternative);
    }
    for (size_t i = 0; i < n; ++i) variants[i] += m.primary;
  }
  std::vector<std::string> out;
  for (const std::string& v : variants) {
    std::string s = Squeeze(v);
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  }
  return out;
}

std::string NormalizeMrzName(absl::string_view mrz_name) {
  std::string out;
  for (char c : mrz_name) {
    out.push_back(c == '<' ? ' ' : absl::ascii_toupper(c));
  }
  return Squeeze(out);
}

bool NameMatchesMrz(absl::string_view typed, absl::string_view mrz_name, bool truncated_field,
                    NameCover cover) {
  const std::string mrz = NormalizeMrzName(mrz_name);
  if (mrz.empty()) return false;
  for (const std::string& spelling : MrzSpellings(typed)) {
    if (spelling.empty()) continue;
    if (spelling == mrz) return true;
    if (truncated_field && spelling.size() > mrz.size() &&
        spelling.compare(0, mrz.size(), mrz) == 0) {
      return true;
    }
    if (cover == NameCover::kLeadingNames && mrz.size() > spelling.size() &&
        mrz[spelling.size()] == ' ' && mrz.compare(0, spelling.size(), spelling) == 0) {
      return true;
    }
  }
  return false;
}

std::optional<std::string> RussianInternalMrzNameToCyrillic(absl::string_view mrz_name) {
  // A..Z, then 0..9: the Cyrillic capital each symbol stands for; nullptr
  // for the symbols the scheme does not use.
  static constexpr const char* kLetters[26] = {"А", "Б", "Ц", "Д", "Е", "Ф", "Г", "Х", "И",
                                               "Ж", "К", "Л", "М", "Н", "О", "П", "Й", "Р",
                                               "С", "Т", "У", "В", "Щ", "Ъ", "Ы", "З"};
  static constexpr const char* kDigits[10] = {nullptr, nullptr, "Ё", "Ч", "Ш",
                                              nullptr, "Э",     "Ю", "Я", "Ь"};
  std::string out;
  for (const char raw : NormalizeMrzName(mrz_name)) {
    const char c = absl::ascii_toupper(raw);
    const char* letter = c == ' '               ? " "
                         : c >= 'A' && c <= 'Z' ? kLetters[c - 'A']
                         : c >= '0' && c <= '9' ? kDigits[c - '0']
                                                : nullptr;
    if (letter == nullptr) return std::nullopt;
    out += letter;
  }
  return out;
}

bool NameMatchesDocumentMrz(absl::string_view typed, absl::string_view mrz_name,
                            bool truncated_field, MrzNameScript script, NameCover cover) {
  if (NameMatchesMrz(typed, mrz_name, truncated_field, cover)) return true;
  if (script != MrzNameScript::kRussianInternal) return false;
  const std::optional<std::string> cyrillic = RussianInternalMrzNameToCyrillic(mrz_name);
  if (!cyrillic.has_value() || cyrillic->empty()) return false;
  // Every ICAO spelling of the Cyrillic name against every spelling of the
  // typed one (a Cyrillic native name's spellings include its own).
  for (const std::string& spelling : MrzSpellings(*cyrillic)) {
    if (NameMatchesMrz(typed, spelling, truncated_field, cover)) return true;
  }
  return false;
}

}  // namespace vouch::verifier::pipeline
