#ifndef VOUCH_VERIFIER_PIPELINE_STAGES_H_
#define VOUCH_VERIFIER_PIPELINE_STAGES_H_

// The stages VerificationPipeline::Run sequences, and the stage list: which
// checks run at which point (stages.cc). docs/architecture.md describes the
// order and how to add a check.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pipeline/attestation_issuer.h"
#include "pipeline/check.h"
#include "pipeline/document_reader.h"
#include "policy_key.h"
#include "vouch/v1/verification.pb.h"

namespace vouch::verifier::pipeline {

// The stage list. Checks run in list order; a check's findings keep it.
// Before the images are read (the submission as opened).
const std::vector<const SubmissionCheck*>& IntakeChecks();
// Per identity document, once its sides are read (before its translations).
const std::vector<const DocumentCheck*>& ReadingChecks();
// Per identity document, once every document is read.
const std::vector<const DocumentCheck*>& ConsistencyChecks();
// Once, after the consistency checks.
const std::vector<const SubmissionCheck*>& SubmissionChecks();
// The policy keys the checks declare (Config::Parse reads them).
const std::vector<PolicyKey>& CheckPolicyKeys();

// Returns kCancelled once the caller gave up, else OK.
using CancellationPoint = std::function<absl::Status()>;

// Documents stage: reads every element's images with `reader` (image and
// quality checks, face similarity), runs the ReadingChecks on each identity
// document, and returns their evidence (typed, resolved). Adds each element
// type to `summary`. Errors: kCancelled; the reader's infrastructure errors.
absl::StatusOr<std::vector<DocumentEvidence>> ReadDocuments(const OpenedSubmission& submission,
                                                            DocumentReader& reader,
                                                            const CancellationPoint& cancelled,
                                                            Findings& findings,
                                                            v1::Summary& summary);

// Disclosure stage: what the policy and the request let an attestation (and
// the response summary) say about a submission that passed. Fills `summary`
// and returns the attestation to issue (audience, lifetime, claims).
AttestationRequest Disclose(const Evidence& evidence, const v1::VerifyRequest& request,
                            const Policy& policy, absl::string_view relying_service, absl::Time now,
                            std::vector<std::string> checks_passed, v1::Summary& summary);

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_STAGES_H_
