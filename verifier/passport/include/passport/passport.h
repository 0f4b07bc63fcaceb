#ifndef VOUCH_PASSPORT_PASSPORT_H_
#define VOUCH_PASSPORT_PASSPORT_H_

// Telegram Passport: the Bot API PassportData format, its decryption and the
// sealing (client) side. See ../shared/docs/telegram-passport.md (§3–§7).
//
// The service needs only this header:
//   auto key = PassportDecryptor::FromPem(pem);            // once, shared
//   auto passport = DecryptPassportData(*key, json, files, nonce, options);
// Every failure is an absl::Status whose payload carries one error category
// (passport/errors.h, the names of shared/vectors/passport/README.md);
// messages never contain decrypted bytes or secrets.

#include "passport/decrypt.h"  // IWYU pragma: export
#include "passport/errors.h"   // IWYU pragma: export
#include "passport/seal.h"     // IWYU pragma: export
#include "passport/types.h"    // IWYU pragma: export

#endif  // VOUCH_PASSPORT_PASSPORT_H_
