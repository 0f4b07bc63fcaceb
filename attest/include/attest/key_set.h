#ifndef VOUCH_ATTEST_KEY_SET_H_
#define VOUCH_ATTEST_KEY_SET_H_

// The issuer's signing keys, on disk in a key directory:
//   <dir>/keys.json        manifest: kid, alg, state, file, timestamps (0600)
//   <dir>/<kid>.pem        PKCS#8 PEM private key (0600)
// kid is the RFC 7638 JWK thumbprint (SHA-256, base64url).
//
// Rotation: a key is created in state kNext (published in the JWKS, not
// used), becomes kActive (the one key that signs), then kRetired (published
// until every credential it signed has expired, then pruned).
//
// Thread-safety: all methods are safe to call concurrently (internal mutex).
// Several processes may share one directory (replicas): every change
// takes an exclusive lock on <dir>/keys.lock (flock) and starts from the
// manifest on disk, and Reload() picks up what another process changed.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vouch::attest {

enum class SigningAlg { kES256, kEdDSA };

// "ES256" / "EdDSA".
const char* SigningAlgName(SigningAlg alg);
// Accepts "ES256", "EdDSA" (case-sensitive). kInvalidArgument otherwise.
absl::StatusOr<SigningAlg> ParseSigningAlg(absl::string_view name);

enum class KeyState { kNext, kActive, kRetired };
const char* KeyStateName(KeyState state);

struct KeyInfo {
  std::string kid;
  SigningAlg alg;
  KeyState state;
  int64_t created_at = 0;  // Unix seconds.
  int64_t retired_at = 0;  // 0 unless retired.
  // A kNext key made by GenerateScheduled: when ActivateDue makes it active
  // (0: only Activate does).
  int64_t activate_at = 0;
};

class KeySet {
 public:
  // Loads the key set in `dir`; when it holds no key yet, creates the
  // directory (0700) and one active key of `alg`.
  // Errors: kInvalidArgument for an unusable manifest or key file,
  // kPermissionDenied / kInternal for file system failures.
  static absl::StatusOr<std::unique_ptr<KeySet>> LoadOrCreate(const std::string& dir,
                                                              SigningAlg alg);

  ~KeySet();
  KeySet(const KeySet&) = delete;
  KeySet& operator=(const KeySet&) = delete;

  // Generates a new key in state kNext (or kActive if there is no active
  // key) and persists it. Returns its kid.
  absl::StatusOr<std::string> Generate(SigningAlg alg, int64_t now);
  // Makes `kid` (kNext) the active key; the previous active key is retired at
  // `now`. kNotFound / kFailedPrecondition.
  absl::Status Activate(absl::string_view kid, int64_t now);
  // Removes retired keys with retired_at + max_credential_lifetime < now and
  // returns their kids (none when another process sharing the directory
  // removed them first).
  absl::StatusOr<std::vector<std::string>> Prune(int64_t now,
                                                 int64_t max_credential_lifetime_seconds);
  // The kids Prune(now, max_credential_lifetime_seconds) would remove.
  std::vector<std::string> Prunable(int64_t now, int64_t max_credential_lifetime_seconds) const;

  // Publish-then-sign rotation: generates a key in state kNext that
  // ActivateDue makes active at `activate_at`. Returns its kid. Errors:
  // kFailedPrecondition while another kNext key waits (one rotation at a
  // time); kInvalidArgument for activate_at < now.
  absl::StatusOr<std::string> GenerateScheduled(SigningAlg alg, int64_t now, int64_t activate_at);
  // Activates the scheduled kNext key whose activate_at <= now (the previous
  // active key is retired at now). Returns its kid, or "" when none is due
  // (also when another process sharing the directory activated it first).
  absl::StatusOr<std::string> ActivateDue(int64_t now);
  // Re-reads the manifest when another process changed it: new keys are
  // loaded, states and times follow the file, keys it no longer lists are
  // dropped. Returns whether anything changed. On an error (an unreadable
  // manifest or key file) the keys in memory stay as they were.
  absl::StatusOr<bool> Reload();

  std::vector<KeyInfo> Keys() const;
  // The active key's kid and alg. kFailedPrecondition if none.
  absl::StatusOr<KeyInfo> Active() const;

  // Signs a compact JWS with the active key: header {"alg","kid","typ"}
  // (alg ES256 with raw R||S, or EdDSA), payload `payload_json` verbatim.
  // Returns b64(header).b64(payload).b64(signature).
  // Errors: kFailedPrecondition without an active key, kInternal.
  absl::StatusOr<std::string> SignJwt(absl::string_view typ, absl::string_view payload_json) const;

  // {"keys":[...]}: public JWKs of next, active and retired keys, each with
  // kid, use "sig" and alg (equal to the header alg we sign with).
  std::string JwksJson() const;

  // The /.well-known/jwt-vc-issuer document:
  // {"issuer": issuer, "jwks_uri": jwks_uri}.
  static std::string IssuerMetadataJson(absl::string_view issuer, absl::string_view jwks_uri);

  struct Impl;

 private:
  explicit KeySet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vouch::attest

#endif  // VOUCH_ATTEST_KEY_SET_H_
