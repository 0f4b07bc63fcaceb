#ifndef VOUCH_BASE_SEALER_H_
#define VOUCH_BASE_SEALER_H_

// A seam for sealing small records at rest under the storage keys without
// depending on who holds them: vouchd adapts review's StorageKeyRing
// (review::SealerFor); tests pass a fake. Used by the wallet issuer's offers
// and the face 1:N index's embeddings.

#include <functional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secure_bytes.h"

namespace vouch {

struct Sealer {
  // Seals `plaintext` bound to `context` under the active key; returns
  // {sealed, key_id}.
  std::function<std::pair<std::string, std::string>(absl::string_view context,
                                                    absl::string_view plaintext)>
      seal;
  // Opens what `seal` returned for the same context. Errors: the key ring's
  // (kNotFound for an unknown key id, kDataLoss for an altered envelope).
  std::function<absl::StatusOr<SecureBytes>(absl::string_view context, absl::string_view key_id,
                                            absl::string_view sealed)>
      open;
};

}  // namespace vouch

#endif  // VOUCH_BASE_SEALER_H_
