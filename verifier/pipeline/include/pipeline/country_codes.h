#ifndef VOUCH_VERIFIER_PIPELINE_COUNTRY_CODES_H_
#define VOUCH_VERIFIER_PIPELINE_COUNTRY_CODES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace vouch::verifier::pipeline {

// "DE" -> "DEU"; "" for an unknown code. Kosovo, which ISO 3166-1 has not
// coded, is "XK" (the user-assigned code Telegram's country list uses) ->
// "RKS" (its ICAO 9303 code).
absl::string_view Alpha2ToAlpha3(absl::string_view alpha2);

// An ICAO 9303 state or nationality code as the ISO alpha-3 it stands for
// ("D" -> "DEU", "GBD" -> "GBR"); other codes unchanged.
std::string NormalizeIcaoState(absl::string_view code);

// Whether an MRZ nationality code names no country a person could give as
// their citizenship (ICAO 9303 Part 3 §5): a stateless person (XXA), a
// refugee (XXB, XXC), an unspecified nationality (XXX), or the staff of an
// organisation (UNO, UNA, UNK, EUE, XOM, XPO, XCC, XCE, XEC, XES, XMP,
// XBA, XIM, XCO).
bool IsNonStateNationality(absl::string_view code);

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_COUNTRY_CODES_H_
