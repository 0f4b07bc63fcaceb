#ifndef VOUCH_VERIFIER_PIPELINE_PASSPORT_ADAPTER_H_
#define VOUCH_VERIFIER_PIPELINE_PASSPORT_ADAPTER_H_

// PassportOpener over verifier/passport's DecryptPassportData.

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "passport/decrypt.h"
#include "passport/types.h"
#include "pipeline/passport_opener.h"
#include "vouch/v1/passport.pb.h"

namespace vouch::verifier::pipeline {

// The gRPC PassportData as verifier/passport's typed PassportData, field by
// field (an empty string is an absent field, as in the Bot API JSON). Only
// the element type is checked here; the rest is passport::ValidatePassportData's.
// Errors: kInvalidArgument (passport category kType) for an unknown element
// type.
absl::StatusOr<passport::PassportData> ToPassportData(const v1::PassportData& proto);

// `key` is the provider's Passport key. Opens either form of the
// PassportData (SealedSubmission). Thread-safe.
std::unique_ptr<PassportOpener> NewPassportModuleOpener(passport::PassportDecryptor key,
                                                        passport::DecryptOptions options = {});

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_PASSPORT_ADAPTER_H_
