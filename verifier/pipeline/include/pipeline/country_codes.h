#ifndef VOUCH_VERIFIER_PIPELINE_COUNTRY_CODES_H_
#define VOUCH_VERIFIER_PIPELINE_COUNTRY_CODES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace vouch::verifier::pipeline {

// "DE" -> "DEU"; "" for an unknown code.
absl::string_view Alpha2ToAlpha3(absl::string_view alpha2);

// An ICAO 9303 state or nationality code as the ISO alpha-3 it stands for
// ("D" -> "DEU", "GBD" -> "GBR"); other codes unchanged.
std::string NormalizeIcaoState(absl::string_view code);

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_COUNTRY_CODES_H_
