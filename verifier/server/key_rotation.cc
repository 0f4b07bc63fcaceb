#include "key_rotation.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace vouch::verifier::server {

KeyRotation::KeyRotation(attest::KeySet& attest_keys, PassportKeyRing& passport_keys,
                         storage::Store& store, KeyRotationOptions options)
    : attest_keys_(attest_keys), passport_keys_(passport_keys), store_(store), options_(options) {}

KeyRotation::~KeyRotation() { Stop(); }

void KeyRotation::Start() {
  absl::MutexLock lock(&task_mu_);
  if (task_ != nullptr) return;
  task_ =
      std::make_unique<PeriodicTask>(options_.check_interval, [this] { CheckOnce(absl::Now()); });
}

void KeyRotation::Stop() {
  std::unique_ptr<PeriodicTask> task;
  {
    absl::MutexLock lock(&task_mu_);
    task = std::move(task_);
  }
  task.reset();  // joins the thread
}

void KeyRotation::Audit(absl::string_view actor, absl::string_view action, std::string detail) {
  storage::AuditEvent event;
  event.time = absl::Now();
  event.actor = std::string(actor);
  event.action = std::string(action);
  event.detail = std::move(detail);
  absl::StatusOr<storage::AuditEvent> appended = store_.AppendAudit(event);
  if (!appended.ok()) {
    spdlog::error("audit append failed action={} code={}", event.action,
                  absl::StatusCodeToString(appended.status().code()));
  }
}

void KeyRotation::CheckOnce(absl::Time now) {
  const int64_t now_s = absl::ToUnixSeconds(now);
  if (absl::StatusOr<bool> reloaded = attest_keys_.Reload(); !reloaded.ok()) {
    spdlog::error("attestation keys not re-read (the loaded ones stay): {}",
                  std::string(reloaded.status().message()));
  } else if (*reloaded) {
    spdlog::info("attestation keys re-read (changed by another process)");
  }
  absl::StatusOr<std::string> activated = attest_keys_.ActivateDue(now_s);
  if (!activated.ok()) {
    spdlog::error("attestation key activation failed: {}",
                  std::string(activated.status().message()));
  } else if (!activated->empty()) {
    spdlog::info("attestation key activated kid={}", *activated);
    Audit("vouchd", "key.activate",
          absl::StrCat(R"({"key":"attestation","kid":")", *activated, R"("})"));
  }
  const int64_t lifetime_s = absl::ToInt64Seconds(options_.max_signed_lifetime);
  absl::StatusOr<std::vector<std::string>> pruned = attest_keys_.Prune(now_s, lifetime_s);
  if (!pruned.ok()) {
    spdlog::error("retired attestation keys not removed: {}",
                  std::string(pruned.status().message()));
  } else {
    for (const std::string& kid : *pruned) {
      spdlog::info("attestation key left the JWKS kid={}", kid);
      Audit("vouchd", "key.remove", absl::StrCat(R"({"key":"attestation","kid":")", kid, R"("})"));
    }
  }
  if (absl::StatusOr<bool> reloaded = passport_keys_.Reload(); !reloaded.ok()) {
    spdlog::error("Passport keys not re-read (the loaded ones stay): {}",
                  std::string(reloaded.status().message()));
  } else if (*reloaded) {
    spdlog::info("Passport keys re-read (rotated by another process) key_id={}",
                 passport_keys_.key_id());
  }
}

v1::AttestationKey KeyRotation::ToProto(const attest::KeyInfo& key) const {
  v1::AttestationKey out;
  out.set_kid(key.kid);
  out.set_alg(attest::SigningAlgName(key.alg));
  out.set_state(attest::KeyStateName(key.state));
  out.set_create_time_unix(key.created_at);
  out.set_activate_time_unix(key.state == attest::KeyState::kNext ? key.activate_at : 0);
  out.set_retire_time_unix(key.retired_at);
  if (key.state == attest::KeyState::kRetired) {
    out.set_remove_time_unix(key.retired_at + absl::ToInt64Seconds(options_.max_signed_lifetime));
  }
  return out;
}

absl::StatusOr<v1::RotateAttestationKeyResponse> KeyRotation::RotateAttestationKey(
    absl::Duration publish_delay, const std::string& actor) {
  if (publish_delay == absl::ZeroDuration()) publish_delay = options_.default_publish_delay;
  if (publish_delay < options_.min_publish_delay || publish_delay > options_.max_publish_delay) {
    return absl::InvalidArgumentError(
        absl::StrCat("the publish delay must be ", absl::FormatDuration(options_.min_publish_delay),
                     " .. ", absl::FormatDuration(options_.max_publish_delay),
                     " (every replica and relying service must see the key before it signs)"));
  }
  absl::StatusOr<attest::KeyInfo> active = attest_keys_.Active();
  if (!active.ok()) return active.status();
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const int64_t activate_at = now + absl::ToInt64Seconds(publish_delay);
  absl::StatusOr<std::string> kid = attest_keys_.GenerateScheduled(active->alg, now, activate_at);
  if (!kid.ok()) return kid.status();
  spdlog::info("attestation key published kid={} signs_from={}", *kid, activate_at);
  Audit(actor.empty() ? "vouchd" : actor, "key.rotate",
        absl::StrCat(R"({"key":"attestation","kid":")", *kid, R"(","activate_at":)", activate_at,
                     R"(,"replaces":")", active->kid, R"("})"));
  v1::RotateAttestationKeyResponse out;
  for (const attest::KeyInfo& key : attest_keys_.Keys()) {
    *out.add_keys() = ToProto(key);
    if (key.kid == *kid) *out.mutable_key() = ToProto(key);
  }
  return out;
}

absl::StatusOr<v1::ListAttestationKeysResponse> KeyRotation::ListAttestationKeys() {
  v1::ListAttestationKeysResponse out;
  for (const attest::KeyInfo& key : attest_keys_.Keys()) *out.add_keys() = ToProto(key);
  return out;
}

absl::StatusOr<v1::RotatePassportKeyResponse> KeyRotation::RotatePassportKey(
    const std::string& actor) {
  absl::StatusOr<PassportKeyRing::Rotated> rotated = passport_keys_.Rotate();
  if (!rotated.ok()) return rotated.status();
  spdlog::info("Passport key rotated key_id={} previous={}", rotated->key_id,
               rotated->previous_key_id);
  Audit(actor.empty() ? "vouchd" : actor, "key.rotate",
        absl::StrCat(R"({"key":"passport","key_id":")", rotated->key_id, R"(","previous":")",
                     rotated->previous_key_id, R"("})"));
  v1::RotatePassportKeyResponse out;
  out.set_public_key_pem(rotated->public_key_pem);
  out.set_key_id(rotated->key_id);
  out.set_previous_key_id(rotated->previous_key_id);
  return out;
}

}  // namespace vouch::verifier::server
