#ifndef VOUCH_VERIFIER_PIPELINE_POLICY_H_
#define VOUCH_VERIFIER_PIPELINE_POLICY_H_

// Verification policies: what a relying service requires of a submission
// and what it may learn. Read from TOML (deploy/vouchd.example.toml documents
// every key); an embedded default lets vouchd run without a config file.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vouch::verifier::pipeline {

// A check passes when score >= pass, is sent to review when
// review <= score < pass, and fails below review. Invariant: 0 <= review <=
// pass <= 1.
struct CheckThreshold {
  double pass = 0.5;
  double review = 0.5;
};

// What a check that could not run (model missing, module not linked) counts as.
enum class UnavailableCheck { kReview, kFail };

struct Policy {
  std::string name;
  std::string description;
  // Relying services allowed to use this policy; "*" allows any.
  std::vector<std::string> relying_services;
  // Each entry is one requirement: an element type, or alternatives joined
  // by '|' ("passport|identity_card"). Every entry must be met.
  std::vector<std::vector<std::string>> required_elements;
  // Identity documents must come with a selfie (face match).
  bool require_selfie = false;
  // Minimum age in years at verification time; 0 means no minimum.
  int minimum_age = 0;
  // Age thresholds reported as age_equal_or_over (each <= the holder's age).
  std::vector<int> age_thresholds;
  // ICAO 9303 issuing-state codes (alpha-3, "D" for Germany); empty = any.
  std::vector<std::string> allowed_issuing_countries;
  // Identity document element types accepted; empty = any of the four.
  std::vector<std::string> allowed_document_types;
  UnavailableCheck unavailable_check = UnavailableCheck::kReview;
  // Thresholds by check name ("mrz", "face_match", "quality.focus", ...).
  std::map<std::string, CheckThreshold, std::less<>> checks;
  // Fallback for checks not listed in `checks`.
  CheckThreshold default_check;
  // Lifetime of direct-mode attestations (plaintext aud, bearer).
  absl::Duration direct_lifetime = absl::Minutes(15);
  // Lifetime of wallet-mode attestations (cnf.jwk, status list entry).
  absl::Duration wallet_lifetime = absl::Hours(24);
  // How long Verify, WatchVerification and GetVerification return a
  // credential (sd_jwt) after the decision (1s .. 24h; docs/service.md):
  // the Store keeps it sealed under the storage key until then, and deletes
  // it at the next purge after.
  absl::Duration attestation_pickup_window = absl::Minutes(5);
  // Retention (docs/production.md section 10); zero (unset): kept.
  // A terminal verification is deleted this long after its last update,
  // with its job, attestation rows (only once every credential of it has
  // expired: a status-list entry outlives the credential it covers), wallet
  // offers and badge calls; one under review waits for its case's retention.
  absl::Duration result_retention = absl::ZeroDuration();
  // A terminal verification's idempotency key is freed this long after its
  // creation (a retry with it then starts a new verification).
  absl::Duration idempotency_key_retention = absl::ZeroDuration();
  // ---- Wallet offer mode (OpenID4VCI, docs/wallet.md) ----
  // How long the offer's pre-authorized code may be redeemed (1m .. 24h).
  absl::Duration wallet_offer_lifetime = absl::Minutes(10);
  // Digits of the offer's tx_code (0: none; else 4 .. 8).
  int wallet_offer_tx_code_length = 0;
  // ---- end wallet offer mode ----
  // Claims that may appear in attestations and in the response summary:
  // document_verified, age_equal_or_over, nationalities, verification,
  // issuing_country, document_type, given_name, family_name, birthdate.
  std::vector<std::string> disclosable_claims;
  // Review queue ([policies.X.review], docs/review.md).
  struct Review {
    // An approve (which overrides the automatic "not verified") needs a
    // senior reviewer's confirmation.
    bool four_eyes_override = false;
    // Cases are deleted this long after they were created, decided or not.
    absl::Duration retention = absl::Hours(24 * 7);
    // Keep a decided case until its retention ends (default: delete at once).
    bool keep_after_decision = false;
  } review;
  // The Telegram verification badge ([policies.X.telegram], docs/telegram.md).
  struct Telegram {
    // On VERIFIED, vouchd's verifier bot calls verifyUser for the
    // submission's Telegram user.
    bool verify_user = false;
    // Shown with the badge: 0..70 characters ("" = Telegram's default text).
    std::string custom_description;
    // removeUserVerification when the attestation's validity ends.
    bool remove_at_expiry = false;
  } telegram;
  // ---- duplicate detection (docs/dedup.md; keys in checks/duplicate_check.h) ----
  struct Duplicates {
    enum class Action { kOff, kReview, kReject };
    // The same document already verified for another Telegram user.
    Action document = Action::kOff;
    // The same person (name and birth date) verified for another Telegram
    // user (kOff or kReview).
    Action person = Action::kOff;
    // Entries are compared across every relying service of this vouch
    // ("provider"), or within the relying service only (default).
    bool provider_scope = false;
    // How long an entry is kept in the index.
    absl::Duration ttl = absl::Hours(24 * 365);
    // The same face on another document of another Telegram user (kOff or
    // kReview), from a cosine similarity of `face_similarity`
    // (checks/duplicate_face_check.h).
    Action face = Action::kOff;
    double face_similarity = 0.60;
    bool enabled() const {
      return document != Action::kOff || person != Action::kOff || face != Action::kOff;
    }
  } duplicates;
  // ---- end duplicate detection ----

  // The thresholds for `check` (the check's own, else default_check).
  CheckThreshold ThresholdFor(absl::string_view check) const;
  bool AllowsRelyingService(absl::string_view service) const;
  bool Discloses(absl::string_view claim) const;
};

// The configuration file: issuer settings and named policies. Thread-safe:
// the policies may be replaced while in use (ReloadPolicies); everything
// else is immutable after Parse(). Copies share the policies (a reload seen
// through one is seen through all).
class Config {
 public:
  // Parses TOML text. Errors: kInvalidArgument naming the first bad key
  // (unknown keys are errors too, so typos do not silently weaken a policy).
  static absl::StatusOr<Config> Parse(absl::string_view toml_text);
  // Reads and parses a file. Errors: kNotFound, kInvalidArgument.
  static absl::StatusOr<Config> Load(const std::string& path);
  // The embedded default (same format; see EmbeddedDefaultToml()).
  static Config Default();

  // Errors: kNotFound for an unknown policy name. The Policy stays valid for
  // the Config's lifetime, across reloads.
  absl::StatusOr<const Policy*> FindPolicy(absl::string_view name) const;
  // The current policies (valid for the Config's lifetime).
  const std::map<std::string, Policy, std::less<>>& policies() const;

  // Replaces the policies with `next`'s (vouchd's SIGHUP): later FindPolicy
  // calls see them, verifications already holding a Policy keep theirs
  // (every generation is kept until the Config is destroyed: a reload costs
  // one policy set). Errors: kFailedPrecondition when `next` has another
  // issuer.url (attestation keys and metadata are set up at start: restart).
  absl::Status ReloadPolicies(const Config& next);
  // The attestation issuer identifier (an https URL).
  const std::string& issuer_url() const { return issuer_url_; }
  // The credential type (issuer.vct; default <issuer.url>/credentials/identity/1).
  const std::string& vct() const { return vct_; }
  // Entries per status list (a new list opens when one is full) and the
  // lists' ttl (how long a relying service may cache one; a revocation is
  // served by every replica within it).
  int status_list_size() const { return status_list_size_; }
  absl::Duration status_list_ttl() const { return status_list_ttl_; }

 private:
  using PolicyMap = std::map<std::string, Policy, std::less<>>;
  struct Generations {
    absl::Mutex mu;
    std::vector<std::unique_ptr<const PolicyMap>> all ABSL_GUARDED_BY(mu);
    const PolicyMap* current ABSL_GUARDED_BY(mu) = nullptr;
  };

  std::string issuer_url_;
  std::string vct_;
  int status_list_size_ = 1 << 17;
  absl::Duration status_list_ttl_ = absl::Minutes(5);
  std::shared_ptr<Generations> policies_ = std::make_shared<Generations>();
};

// The TOML text of the embedded default configuration.
absl::string_view EmbeddedDefaultToml();

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_POLICY_H_
