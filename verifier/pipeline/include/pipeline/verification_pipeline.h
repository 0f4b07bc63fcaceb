#ifndef VOUCH_VERIFIER_PIPELINE_VERIFICATION_PIPELINE_H_
#define VOUCH_VERIFIER_PIPELINE_VERIFICATION_PIPELINE_H_

// From a sealed Telegram Passport submission to a decision:
//   decrypt → per-element checks (image decode, quality, MRZ, face match,
//   text presence) → consistency (MRZ vs typed data; expiry, age, issuing
//   country and document type rules) → decision → attestation.
// Plain C++: no gRPC. A document that fails is a result (REJECTED), not an
// error.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "dedup/duplicate_index.h"
#include "pipeline/attestation_issuer.h"
#include "pipeline/attestor.h"
#include "pipeline/document_reader.h"
#include "pipeline/passport_opener.h"
#include "pipeline/policy.h"
#include "pipeline/review_capture.h"
#include "storage/store.h"
#include "vouch/v1/review.pb.h"
#include "vouch/v1/verification.pb.h"

namespace vouch::verifier::pipeline {

// Receives how long each stage took ("decrypt", "documents", "consistency",
// "attest"). Called on the pipeline's thread.
using StageObserver = std::function<void(absl::string_view stage, absl::Duration)>;

struct PipelineInput {
  // Not owned; must outlive Run().
  const v1::VerifyRequest* request = nullptr;
  const Policy* policy = nullptr;
  std::string verification_id;
  // The relying service, as authenticated.
  std::string relying_service;
  // Review queue: when set and the decision is NEEDS_REVIEW, given
  // what a reviewer needs and what approving needs (decrypted fields, MRZ
  // readings, images, the attestation that approving would issue). review/
  // keeps and seals it (review/case_capture.h). Not owned.
  ReviewCapture* review_capture = nullptr;
  // When set and the result carries an attestation: its record, for the
  // caller to store in the transaction that stores the result
  // (Store::FinishVerification / CompleteJob). Not owned.
  std::optional<storage::AttestationRecord>* attestation_record = nullptr;
  // ---- duplicate detection (docs/dedup.md) ----
  // When set and the policy asks for it: the submission's identities are
  // looked up before the consistency stage (Evidence::duplicates, read by
  // DuplicateCheck). Not owned.
  dedup::DuplicateIndex* duplicate_index = nullptr;
  // When set: the index entries of a VERIFIED result, or of a NEEDS_REVIEW
  // one whose case is captured, for the caller to store in the transaction
  // that stores the result (Store::FinishVerification / CompleteJob). Not
  // owned.
  std::vector<storage::DuplicateEntry>* duplicate_entries = nullptr;
};

// Runs verifications. Thread-safe: Run() may be called concurrently, each
// call with its own DocumentReader.
class VerificationPipeline {
 public:
  // Not owned; must outlive the pipeline. A VERIFIED outcome whose
  // attestation `issuer` fails to issue is that error, so nothing is ever
  // VERIFIED without an attestation.
  VerificationPipeline(PassportOpener& opener, AttestationIssuer& issuer, storage::Store& store,
                       Clock& clock)
      : opener_(opener), attestor_(issuer), store_(store), clock_(clock) {}

  // Fills decision, checks, errors, errors_json, attestation, summary and
  // policy of the result. The attestation is issued but not recorded: its
  // record goes to input.attestation_record, and the caller stores it
  // (Store::CompleteJob / FinishVerification) in the transaction that stores
  // the result. `cancelled` is polled between stages.
  // Errors: those of PassportOpener::Open (kInvalidArgument for an
  // unreadable submission or wrong nonce, kResourceExhausted); kCancelled;
  // kInvalidArgument for a malformed holder JWK; kFailedPrecondition when
  // no issuer is configured; kInternal and kUnavailable from readers, the
  // issuer or the store.
  absl::StatusOr<v1::VerificationResult> Run(const PipelineInput& input, DocumentReader& reader,
                                             const std::function<bool()>& cancelled,
                                             const StageObserver& observer = nullptr);

  // Whether a wallet_offer request can be honoured (the issuer makes offers).
  bool MakesWalletOffers() const { return attestor_.MakesOffers(); }

 private:
  PassportOpener& opener_;
  Attestor attestor_;
  storage::Store& store_;
  Clock& clock_;
};

// The Bot API JSON array for setPassportDataErrors: each error with exactly
// the members its source uses.
std::string PassportErrorsJson(
    const google::protobuf::RepeatedPtrField<v1::PassportElementError>& errors);

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_VERIFICATION_PIPELINE_H_
