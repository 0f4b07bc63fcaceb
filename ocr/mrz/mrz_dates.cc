// Century resolution of MRZ dates (YYMMDD).

#include <algorithm>
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

bool IsPartlyUnknownDate(absl::string_view yymmdd) {
  if (yymmdd.size() != 6) return false;
  if (yymmdd == "<<<<<<") return true;
  const auto digits = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      if (yymmdd[i] < '0' || yymmdd[i] > '9') return false;
    }
    return true;
  };
  if (!digits(0, 2)) return false;
  if (yymmdd.substr(2) == "<<<<") return true;
  if (!digits(2, 4) || yymmdd.substr(4) != "<<") return false;
  const int mm = (yymmdd[2] - '0') * 10 + (yymmdd[3] - '0');
  return mm >= 1 && mm <= 12;
}

std::optional<MrzDayRange> ResolvePartialBirthDate(absl::string_view yymmdd, absl::CivilDay today) {
  if (!IsPartlyUnknownDate(yymmdd)) return std::nullopt;
  if (yymmdd == "<<<<<<") {
    const absl::CivilDay hundred_years_ago(today.year() - 100, today.month(), today.day());
    return MrzDayRange{hundred_years_ago + 1, today};
  }
  const int yy = (yymmdd[0] - '0') * 10 + (yymmdd[1] - '0');
  const bool month_known = yymmdd[2] != '<';
  const int mm = month_known ? (yymmdd[2] - '0') * 10 + (yymmdd[3] - '0') : 1;
  const int century = static_cast<int>(today.year() / 100) * 100;
  for (int base : {century, century - 100}) {
    const absl::CivilDay first(base + yy, mm, 1);
    if (first > today) continue;
    // The day before the next month's (or year's) first.
    const absl::CivilDay last = month_known ? absl::CivilDay(absl::CivilMonth(first) + 1) - 1
                                            : absl::CivilDay(base + yy + 1, 1, 1) - 1;
    return MrzDayRange{first, std::min(last, today)};
  }
  return std::nullopt;
}

std::string FormatIsoDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

}  // namespace vouch::ocr
