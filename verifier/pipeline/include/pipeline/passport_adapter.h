#ifndef VOUCH_VERIFIER_PIPELINE_PASSPORT_ADAPTER_H_
#define VOUCH_VERIFIER_PIPELINE_PASSPORT_ADAPTER_H_

// PassportOpener over verifier/passport's DecryptPassportData.

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "passport/decrypt.h"
#include "pipeline/passport_opener.h"

namespace vouch::verifier {

// `key` is the provider's Passport key. Thread-safe.
std::unique_ptr<PassportOpener> NewPassportModuleOpener(passport::PassportDecryptor key,
                                                        passport::DecryptOptions options = {});

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_PIPELINE_PASSPORT_ADAPTER_H_
