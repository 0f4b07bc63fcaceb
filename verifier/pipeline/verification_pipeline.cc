#include "pipeline/verification_pipeline.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "base/status_macros.h"
#include "duplicate_subject.h"
#include "nlohmann/json.hpp"
#include "pipeline/evidence.h"
#include "pipeline/findings.h"
#include "stages.h"

namespace vouch::verifier::pipeline {
namespace {

// Decrypt stage: the submission, opened with the Passport key.
absl::StatusOr<OpenedSubmission> Open(PassportOpener& opener, const PipelineInput& input) {
  const v1::VerifyRequest& request = *input.request;
  SealedSubmission sealed;
  if (request.has_passport_data()) {
    sealed.passport_data = &request.passport_data();
  } else if (request.has_passport_data_json()) {
    sealed.passport_data_json = request.passport_data_json();
  } else {
    return absl::InvalidArgumentError("passport_data or passport_data_json is required");
  }
  sealed.nonce = request.nonce();
  sealed.relying_service = input.relying_service;
  for (const v1::EncryptedFile& f : request.files()) sealed.files[f.file_id()] = f.content();
  return opener.Open(sealed);
}

void RunChecks(const std::vector<const SubmissionCheck*>& checks,
               const OpenedSubmission& submission, const Evidence& evidence, Findings& findings) {
  for (const SubmissionCheck* check : checks) check->Run(submission, evidence, findings);
}

// What the consistency stage adds to the documents' evidence: today's date
// and the typed personal details.
void AddPersonalEvidence(const OpenedSubmission& submission, absl::Time now, Evidence& evidence) {
  evidence.today = absl::ToCivilDay(now, absl::UTCTimeZone());
  if (const OpenedElement* p = submission.Find("personal_details"); p != nullptr) {
    evidence.personal = ToPersonalEvidence(*p);
  }
}

// Consistency stage: the typed evidence of every document through the
// consistency checks, then the submission checks.
void CheckConsistency(const OpenedSubmission& submission, const Evidence& evidence,
                      Findings& findings) {
  for (const DocumentEvidence& doc : evidence.documents) {
    for (const DocumentCheck* check : ConsistencyChecks()) check->Run(doc, evidence, findings);
  }
  RunChecks(SubmissionChecks(), submission, evidence, findings);
}

// Decision stage: the result's decision, checks and errors.
void Decide(Findings& findings, v1::VerificationResult& result) {
  findings.ConfirmFraud();
  result.set_decision(findings.Decide());
  findings.MoveInto(result);
  result.set_errors_json(PassportErrorsJson(result.errors()));
}

// The reader drops what it kept of a submission's images when Run returns,
// however it returns.
struct ForgetOnReturn {
  DocumentReader& reader;
  ~ForgetOnReturn() { reader.Forget(); }
};

}  // namespace

std::string PassportErrorsJson(
    const google::protobuf::RepeatedPtrField<v1::PassportElementError>& errors) {
  nlohmann::json out = nlohmann::json::array();
  for (const v1::PassportElementError& e : errors) {
    nlohmann::json j{{"source", e.source()}, {"type", e.type()}};
    const std::string& s = e.source();
    if (s == "data") {
      j["field_name"] = e.field_name();
      j["data_hash"] = e.data_hash();
    } else if (s == "files" || s == "translation_files") {
      j["file_hashes"] =
          nlohmann::json(std::vector<std::string>(e.file_hashes().begin(), e.file_hashes().end()));
    } else if (s == "unspecified") {
      j["element_hash"] = e.element_hash();
    } else {
      j["file_hash"] = e.file_hash();
    }
    j["message"] = e.message();
    out.push_back(std::move(j));
  }
  return out.dump();
}

absl::StatusOr<v1::VerificationResult> VerificationPipeline::Run(
    const PipelineInput& input, DocumentReader& reader, const std::function<bool()>& cancelled,
    const StageObserver& observer) {
  const Policy& policy = *input.policy;
  absl::Time start = clock_.Now();
  const auto stage_done = [&](absl::string_view stage) {
    if (observer) observer(stage, clock_.Now() - start);
    start = clock_.Now();
  };
  const CancellationPoint check_cancelled = [&]() -> absl::Status {
    if (cancelled && cancelled()) return absl::CancelledError("verification cancelled");
    return absl::OkStatus();
  };
  VOUCH_ASSIGN_OR_RETURN(const OpenedSubmission submission, Open(opener_, input));
  stage_done("decrypt");
  VOUCH_RETURN_IF_ERROR(check_cancelled());

  Findings findings(policy);
  v1::VerificationResult result;
  result.set_policy(policy.name);
  Evidence evidence;
  RunChecks(IntakeChecks(), submission, evidence, findings);
  ForgetOnReturn forget_on_return{reader};
  VOUCH_ASSIGN_OR_RETURN(evidence.documents, ReadDocuments(submission, reader, check_cancelled,
                                                           findings, *result.mutable_summary()));
  stage_done("documents");
  VOUCH_RETURN_IF_ERROR(check_cancelled());

  const absl::Time now = clock_.Now();
  AddPersonalEvidence(submission, now, evidence);
  // Duplicate detection: looked up before the checks that read it.
  std::optional<dedup::DuplicateSubject> duplicate_subject;
  if (input.duplicate_index != nullptr && policy.duplicates.enabled()) {
    duplicate_subject = MakeDuplicateSubject(
        evidence, DuplicateScope(policy, input.relying_service), input.request->telegram_user_id());
    duplicate_subject->verification_id = input.verification_id;
    const bool faces_searchable = input.duplicate_index->SearchesFaces();
    if (policy.duplicates.face != Policy::Duplicates::Action::kOff && faces_searchable &&
        !evidence.documents.empty()) {
      // The face 1:N index: the first identity document's face.
      duplicate_subject->face = std::move(evidence.documents.front().face_embedding);
      duplicate_subject->face_similarity = static_cast<float>(policy.duplicates.face_similarity);
    }
    VOUCH_ASSIGN_OR_RETURN(dedup::DuplicateMatches matches,
                           input.duplicate_index->Find(*duplicate_subject, now));
    evidence.duplicates = DuplicateEvidence{
        duplicate_subject->document.has_value(), duplicate_subject->person.has_value(),
        !duplicate_subject->face.empty(), faces_searchable, std::move(matches)};
  }
  CheckConsistency(submission, evidence, findings);
  stage_done("consistency");

  const std::vector<std::string> passed = findings.Passed();
  Decide(findings, result);
  const bool capture =
      result.decision() == v1::DECISION_NEEDS_REVIEW && input.review_capture != nullptr;
  if (result.decision() != v1::DECISION_VERIFIED && !capture) return result;
  // Index entries go with a VERIFIED result or a captured case.
  if (duplicate_subject.has_value() && input.duplicate_entries != nullptr) {
    *input.duplicate_entries = input.duplicate_index->EntriesFor(
        *duplicate_subject, input.verification_id, now, policy.duplicates.ttl);
    // A case's entries wait for its decision (review/: confirmed on
    // approval, marked on a reject as forged, deleted on another reject).
    for (storage::DuplicateEntry& e : *input.duplicate_entries) e.held = capture;
  }
  if (capture && evidence.duplicates.has_value()) {
    // The reviewer sees the matches of the rules the policy applies.
    dedup::DuplicateMatches shown;
    if (policy.duplicates.document != Policy::Duplicates::Action::kOff) {
      shown.documents = evidence.duplicates->matches.documents;
    }
    if (policy.duplicates.person != Policy::Duplicates::Action::kOff) {
      shown.persons = evidence.duplicates->matches.persons;
    }
    if (policy.duplicates.face != Policy::Duplicates::Action::kOff) {
      shown.faces = evidence.duplicates->matches.faces;
    }
    if (!shown.empty()) input.review_capture->CaptureDuplicates(shown);
  }

  // A case keeps what approving it would attest; the result does not show
  // the disclosed summary until then.
  const v1::Summary undecided_summary = result.summary();
  AttestationRequest attest = Disclose(evidence, *input.request, policy, input.relying_service, now,
                                       passed, *result.mutable_summary());
  if (capture) {
    input.review_capture->Capture(submission, evidence.documents, attest, result.summary());
    *result.mutable_summary() = undecided_summary;
    return result;
  }
  VOUCH_RETURN_IF_ERROR(check_cancelled());
  start = clock_.Now();
  VOUCH_ASSIGN_OR_RETURN(Attested attested, attestor_.Attest(attest, input.verification_id));
  // The caller records the attestation in the transaction that stores the
  // result (Store::CompleteJob / FinishVerification), never before it.
  *result.mutable_attestation() = std::move(attested.attestation);
  if (input.attestation_record != nullptr) *input.attestation_record = std::move(attested.record);
  stage_done("attest");
  return result;
}

OpenedElement::~OpenedElement() { passport::WipeElementData(data); }

const OpenedElement* OpenedSubmission::Find(absl::string_view type) const {
  for (const OpenedElement& e : elements) {
    if (e.type == type) return &e;
  }
  return nullptr;
}

}  // namespace vouch::verifier::pipeline
