#ifndef VOUCH_VERIFIER_SERVER_KEY_ROTATION_H_
#define VOUCH_VERIFIER_SERVER_KEY_ROTATION_H_

// Key rotation while vouchd runs: the Admin RPCs behind
// `vouchctl keys ...`, and a maintenance thread that
// - re-reads the attestation key directory and the Passport key files, so a
//   rotation made by another replica sharing them (one volume mounted by
//   every replica) is followed within `check_interval`;
// - activates a published attestation key once its activate time has come
//   (publish-then-sign: first in the JWKS of every replica, then used);
// - removes a retired attestation key once every credential and status list
//   token it signed has expired (retired + max_signed_lifetime).
// Every change is audited by the replica that made it ("key.rotate",
// "key.activate", "key.remove"); key ids only, never key bytes.

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "attest/key_set.h"
#include "audit/admin_service.h"
#include "base/periodic_task.h"
#include "provider_keys.h"
#include "storage/store.h"

namespace vouch::verifier::server {

struct KeyRotationOptions {
  // How often key files are re-read, due keys activated and old ones removed.
  absl::Duration check_interval = absl::Seconds(5);
  // Publication before first signature when the request gives none, and the
  // smallest one accepted: every replica must have re-read the directory
  // (check_interval) and relying services must have had the chance to
  // refresh a JWKS they cached (the trust plane's JWKS max-age).
  absl::Duration default_publish_delay = absl::Minutes(10);
  absl::Duration min_publish_delay = absl::Seconds(10);
  absl::Duration max_publish_delay = absl::Hours(24 * 30);
  // The longest a credential or status list token may live: a retired key
  // stays published this long after its retirement.
  absl::Duration max_signed_lifetime = absl::Hours(24);
};

// Thread-safe.
class KeyRotation final : public audit::KeyAdministration {
 public:
  // Not owned; all must outlive this object.
  KeyRotation(attest::KeySet& attest_keys, PassportKeyRing& passport_keys, storage::Store& store,
              KeyRotationOptions options);
  ~KeyRotation() override;  // Stop().

  void Start();
  void Stop();
  // One maintenance round (the thread runs it every check_interval).
  void CheckOnce(absl::Time now);

  absl::StatusOr<v1::RotateAttestationKeyResponse> RotateAttestationKey(
      absl::Duration publish_delay, const std::string& actor) override;
  absl::StatusOr<v1::ListAttestationKeysResponse> ListAttestationKeys() override;
  absl::StatusOr<v1::RotatePassportKeyResponse> RotatePassportKey(
      const std::string& actor) override;

 private:
  v1::AttestationKey ToProto(const attest::KeyInfo& key) const;
  void Audit(absl::string_view actor, absl::string_view action, std::string detail);

  attest::KeySet& attest_keys_;
  PassportKeyRing& passport_keys_;
  storage::Store& store_;
  const KeyRotationOptions options_;
  absl::Mutex task_mu_;  // Start and Stop
  std::unique_ptr<PeriodicTask> task_ ABSL_GUARDED_BY(task_mu_);
};

}  // namespace vouch::verifier::server

#endif  // VOUCH_VERIFIER_SERVER_KEY_ROTATION_H_
