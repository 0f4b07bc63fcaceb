// Century resolution of MRZ dates (YYMMDD).

#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "ocr/mrz.h"

namespace vouch::ocr {
namespace {

struct Ymd {
  int yy, mm, dd;
};

std::optional<Ymd> SplitYymmdd(absl::string_view s) {
  if (s.size() != 6) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  auto two = [&](int i) { return (s[i] - '0') * 10 + (s[i + 1] - '0'); };
  return Ymd{two(0), two(2), two(4)};
}

// absl::CivilDay normalises out-of-range fields (31 February -> 3 March);
// an MRZ date must round-trip exactly.
std::optional<absl::CivilDay> MakeDay(int year, int mm, int dd) {
  absl::CivilDay day(year, mm, dd);
  if (day.year() != year || day.month() != mm || day.day() != dd) {
    return std::nullopt;
  }
  return day;
}

}  // namespace

std::optional<absl::CivilDay> ResolveBirthDate(absl::string_view yymmdd, absl::CivilDay today) {
  std::optional<Ymd> d = SplitYymmdd(yymmdd);
  if (!d) return std::nullopt;
  const int century = static_cast<int>(today.year() / 100) * 100;
  for (int base : {century, century - 100}) {
    std::optional<absl::CivilDay> day = MakeDay(base + d->yy, d->mm, d->dd);
    if (day.has_value() && *day <= today) return day;
    // 29 February of a non-leap year in this century may exist in the
    // previous one (1900 is not a leap year, but keep the search uniform).
  }
  return std::nullopt;
}

std::optional<absl::CivilDay> ResolveExpiryDate(absl::string_view yymmdd, absl::CivilDay today) {
  std::optional<Ymd> d = SplitYymmdd(yymmdd);
  if (!d) return std::nullopt;
  const int century = static_cast<int>(today.year() / 100) * 100;
  int year = century + d->yy;
  if (year > today.year() + 20)
    year -= 100;
  else if (year < today.year() - 80)
    year += 100;
  return MakeDay(year, d->mm, d->dd);
}

std::string FormatIsoDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

}  // namespace vouch::ocr
