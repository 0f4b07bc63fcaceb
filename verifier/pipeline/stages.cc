#include "stages.h"

#include <iterator>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "base/status_macros.h"
#include "checks/barcode_check.h"
#include "checks/barcode_vs_typed_check.h"
#include "checks/document_kind_check.h"
#include "checks/document_type_check.h"
#include "checks/duplicate_check.h"
#include "checks/duplicate_face_check.h"
#include "checks/expiry_check.h"
#include "checks/face_match_check.h"
#include "checks/image_quality_check.h"
#include "checks/issuing_country_check.h"
#include "checks/minimum_age_check.h"
#include "checks/mrz_check.h"
#include "checks/mrz_vs_typed_check.h"
#include "checks/required_elements_check.h"

namespace vouch::verifier::pipeline {
namespace {

// Used by ReadImage on every image (not a stage of its own).
const ImageQualityCheck kImageQuality;

template <typename Check>
void AddKeys(std::vector<PolicyKey>& keys) {
  keys.insert(keys.end(), std::begin(Check::kPolicyKeys), std::end(Check::kPolicyKeys));
}

// Reads one image and turns the reader's verdicts into checks. Returns the
// findings, or nullopt when the image could not be used (already recorded).
absl::StatusOr<std::optional<ImageFindings>> ReadImage(DocumentReader& reader,
                                                       const OpenedElement& element,
                                                       const OpenedFile& file,
                                                       absl::string_view source, ImageRole role,
                                                       Findings& findings) {
  const ErrorTarget target = ErrorTarget::File(source, element, file);
  absl::StatusOr<ImageFindings> read = reader.Read(file.content.view(), role, element.type);
  const std::string check = absl::StrCat("image.", source);
  if (absl::IsInvalidArgument(read.status())) {
    findings.Binary(check, element.type, false, Reason::kImageUnreadable, target);
    return std::optional<ImageFindings>();
  }
  if (absl::IsResourceExhausted(read.status())) {
    findings.Binary(check, element.type, false, Reason::kImageTooLarge, target);
    return std::optional<ImageFindings>();
  }
  if (absl::IsUnimplemented(read.status())) {
    findings.Unavailable(check, element.type, Reason::kReaderUnavailable, target);
    return std::optional<ImageFindings>();
  }
  if (!read.ok()) return read.status();
  findings.Binary(check, element.type, true, Reason::kImageUnreadable, target);
  kImageQuality.Run(element, file, source, *read, findings);
  return std::optional<ImageFindings>(*std::move(read));
}

absl::Status ReadTranslations(DocumentReader& reader, const OpenedElement& e, Findings& findings) {
  for (const OpenedFile& t : e.translation) {
    VOUCH_RETURN_IF_ERROR(
        ReadImage(reader, e, t, "translation_file", ImageRole::kTranslation, findings).status());
  }
  return absl::OkStatus();
}

// The reverse side's contribution: TD1 cards carry the MRZ on the back, and
// US and Canadian documents an AAMVA barcode.
void AddBack(ImageFindings back, DocumentEvidence& doc) {
  doc.back_read = true;
  if (!doc.mrz.has_value() && back.mrz.has_value()) doc.mrz = ToEvidence(*std::move(back.mrz));
  doc.mrz_checked = doc.mrz_checked || back.mrz_checked;
  doc.mrz_unreadable = doc.mrz_unreadable || back.mrz_unreadable;
  if (!back.barcode_checked) return;
  doc.barcode_signal = back.barcode;
  if (back.barcode.verdict == QualitySignal::Verdict::kPass && back.aamva.has_value()) {
    doc.barcode = ToEvidence(*std::move(back.aamva));
  }
}

absl::Status ReadSides(DocumentReader& reader, const OpenedElement& e, DocumentEvidence& doc,
                       Findings& findings) {
  if (e.front_side.has_value()) {
    VOUCH_ASSIGN_OR_RETURN(
        std::optional<ImageFindings> front,
        ReadImage(reader, e, *e.front_side, "front_side", ImageRole::kIdFront, findings));
    if (front.has_value()) {
      doc.front_read = true;
      if (front->mrz.has_value()) {
        doc.mrz = ToEvidence(*std::move(front->mrz));
        doc.mrz_on_front = true;
      }
      doc.mrz_checked = front->mrz_checked;
      doc.mrz_unreadable = front->mrz_unreadable;
    }
  } else {
    findings.Binary("image.front_side", e.type, false, Reason::kFrontSideMissing,
                    ErrorTarget::Unspecified(e));
  }
  if (e.reverse_side.has_value()) {
    VOUCH_ASSIGN_OR_RETURN(
        std::optional<ImageFindings> back,
        ReadImage(reader, e, *e.reverse_side, "reverse_side", ImageRole::kIdBack, findings));
    if (back.has_value()) AddBack(*std::move(back), doc);
  }
  return absl::OkStatus();
}

absl::StatusOr<DocumentEvidence> ReadIdentityDocument(DocumentReader& reader,
                                                      const OpenedElement& e,
                                                      const CancellationPoint& cancelled,
                                                      Findings& findings) {
  DocumentEvidence doc = StartDocumentEvidence(e);
  VOUCH_RETURN_IF_ERROR(ReadSides(reader, e, doc, findings));
  VOUCH_RETURN_IF_ERROR(cancelled());
  if (e.selfie.has_value() && e.front_side.has_value() && doc.front_read) {
    absl::StatusOr<double> similarity =
        reader.FaceMatch(e.front_side->content.view(), e.selfie->content.view());
    if (!FaceMatchCheck::IsFinding(similarity.status())) return similarity.status();
    doc.face_similarity = std::move(similarity);
  }
  // The face 1:N index: the selfie's face, else the portrait's.
  if (findings.policy().duplicates.face != Policy::Duplicates::Action::kOff) {
    if (e.selfie.has_value() && e.front_side.has_value() && doc.front_read) {
      doc.face_embedding = reader.TakeFaceEmbedding();
    } else if (e.front_side.has_value() && doc.front_read) {
      absl::StatusOr<std::vector<float>> portrait =
          reader.PortraitEmbedding(e.front_side->content.view());
      // No face, no model: nothing to look up (duplicate_face SKIPPED).
      if (portrait.ok()) doc.face_embedding = *std::move(portrait);
    }
  }
  Resolve(doc);
  const Evidence unused;  // Reading checks judge the document alone.
  for (const DocumentCheck* check : ReadingChecks()) check->Run(doc, unused, findings);
  VOUCH_RETURN_IF_ERROR(ReadTranslations(reader, e, findings));
  return doc;
}

absl::Status ReadAddressDocument(DocumentReader& reader, const OpenedElement& e,
                                 Findings& findings) {
  for (const OpenedFile& f : e.files) {
    VOUCH_ASSIGN_OR_RETURN(std::optional<ImageFindings> read,
                           ReadImage(reader, e, f, "file", ImageRole::kAddressDocument, findings));
    if (read.has_value()) {
      // text_presence: an address document shows print.
      findings.Scored("text_presence", "text_presence", e.type, read->text_presence,
                      Reason::kTextMissing, ErrorTarget::File("file", e, f));
    }
  }
  return ReadTranslations(reader, e, findings);
}

}  // namespace

// The stage list. One line per check (checks are stateless: a check in two
// lists is two instances).
const std::vector<const SubmissionCheck*>& IntakeChecks() {
  static const auto* const kChecks = new std::vector<const SubmissionCheck*>{
      new RequiredElementsCheck,
  };
  return *kChecks;
}

const std::vector<const DocumentCheck*>& ReadingChecks() {
  static const auto* const kChecks = new std::vector<const DocumentCheck*>{
      new BarcodeCheck,
      new MrzCheck,
      new FaceMatchCheck,
  };
  return *kChecks;
}

const std::vector<const DocumentCheck*>& ConsistencyChecks() {
  static const auto* const kChecks = new std::vector<const DocumentCheck*>{
      new DocumentTypeCheck, new DocumentKindCheck,   new IssuingCountryCheck, new ExpiryCheck,
      new MrzVsTypedCheck,   new BarcodeVsTypedCheck, new MinimumAgeCheck,
  };
  return *kChecks;
}

const std::vector<const SubmissionCheck*>& SubmissionChecks() {
  static const auto* const kChecks = new std::vector<const SubmissionCheck*>{
      new MinimumAgeCheck, new DuplicateCheck,
      new DuplicateFaceCheck,  // The face 1:N index
  };
  return *kChecks;
}

// The keys of the checks that read policy keys, one line per check.
const std::vector<PolicyKey>& CheckPolicyKeys() {
  static const auto* const kKeys = [] {
    auto* keys = new std::vector<PolicyKey>;
    AddKeys<RequiredElementsCheck>(*keys);
    AddKeys<FaceMatchCheck>(*keys);
    AddKeys<DocumentTypeCheck>(*keys);
    AddKeys<IssuingCountryCheck>(*keys);
    AddKeys<MinimumAgeCheck>(*keys);
    AddKeys<DuplicateCheck>(*keys);
    AddKeys<DuplicateFaceCheck>(*keys);
    return keys;
  }();
  return *kKeys;
}

absl::StatusOr<std::vector<DocumentEvidence>> ReadDocuments(const OpenedSubmission& submission,
                                                            DocumentReader& reader,
                                                            const CancellationPoint& cancelled,
                                                            Findings& findings,
                                                            v1::Summary& summary) {
  std::vector<DocumentEvidence> documents;
  for (const OpenedElement& e : submission.elements) {
    VOUCH_RETURN_IF_ERROR(cancelled());
    summary.add_element_types(e.type);
    const std::optional<ElementType> type = passport::ParseElementType(e.type);
    if (type.has_value() && passport::IsIdDocument(*type)) {
      VOUCH_ASSIGN_OR_RETURN(DocumentEvidence doc,
                             ReadIdentityDocument(reader, e, cancelled, findings));
      documents.push_back(std::move(doc));
    } else if (type.has_value() && passport::IsAddressDocument(*type)) {
      VOUCH_RETURN_IF_ERROR(ReadAddressDocument(reader, e, findings));
    }
  }
  return documents;
}

namespace {

std::optional<absl::CivilDay> DisclosedBirthDate(const Evidence& evidence) {
  const DocumentEvidence* doc = evidence.documents.empty() ? nullptr : &evidence.documents.front();
  if (doc != nullptr && doc->mrz.has_value() && doc->mrz->fields.birth_date.has_value()) {
    return doc->mrz->fields.birth_date;
  }
  if (doc != nullptr && doc->barcode.has_value() && doc->barcode->fields.birth_date.has_value()) {
    return doc->barcode->fields.birth_date;
  }
  if (evidence.personal.has_value()) return evidence.personal->birth_date;
  return std::nullopt;
}

void SetAudienceAndLifetime(const v1::VerifyRequest& request, const Policy& policy,
                            absl::string_view relying_service, AttestationRequest& attest) {
  const v1::AttestationOptions& options = request.attestation();
  if (options.has_wallet()) {
    attest.holder_jwk_json = options.wallet().holder_jwk_json();
    attest.lifetime = policy.wallet_lifetime;
  } else if (options.has_wallet_offer()) {  // The wallet's credential lives as long.
    attest.wallet_offer = true;
    attest.lifetime = policy.wallet_lifetime;
    attest.offer_lifetime = policy.wallet_offer_lifetime;
    attest.offer_tx_code_length = policy.wallet_offer_tx_code_length;
  } else {
    attest.audience = options.has_direct() && !options.direct().audience().empty()
                          ? options.direct().audience()
                          : std::string(relying_service);
    attest.lifetime = policy.direct_lifetime;
  }
  attest.telegram_user_id = request.telegram_user_id();
  attest.relying_service = std::string(relying_service);
}

void DiscloseDocument(const DocumentEvidence& doc,
                      const std::function<bool(absl::string_view)>& discloses,
                      v1::Summary& summary) {
  if (discloses("verification") || discloses("document_type")) {
    summary.set_document_type(doc.element->type);
  }
  if (discloses("verification") || discloses("issuing_country")) {
    if (doc.mrz.has_value()) {
      summary.set_issuing_country(doc.mrz->fields.issuing_state);
    } else if (doc.barcode.has_value()) {
      summary.set_issuing_country(doc.barcode->fields.country);
    }
  }
}

}  // namespace

AttestationRequest Disclose(const Evidence& evidence, const v1::VerifyRequest& request,
                            const Policy& policy, absl::string_view relying_service, absl::Time now,
                            std::vector<std::string> checks_passed, v1::Summary& summary) {
  const std::set<std::string> wanted(request.attestation().claims().begin(),
                                     request.attestation().claims().end());
  const auto discloses = [&](absl::string_view claim) {
    return policy.Discloses(claim) && (wanted.empty() || wanted.contains(std::string(claim)));
  };
  AttestationRequest attest;
  AttestationClaims& claims = attest.claims;
  claims.verification_time = now;
  const std::optional<absl::CivilDay> birth = DisclosedBirthDate(evidence);
  const PersonalEvidence* personal = evidence.personal.has_value() ? &*evidence.personal : nullptr;
  if (discloses("age_equal_or_over") && birth.has_value()) {
    const int age = AgeOn(*birth, evidence.today);
    for (int threshold : policy.age_thresholds) {
      if (age < threshold) continue;
      claims.age_equal_or_over.push_back(threshold);
      summary.add_age_equal_or_over(threshold);
    }
  }
  if (discloses("nationalities") && personal != nullptr && !personal->country_code.empty()) {
    claims.nationalities.emplace_back(personal->country_code);
    summary.set_nationality(std::string(personal->country_code));
  }
  if (!evidence.documents.empty()) DiscloseDocument(evidence.documents.front(), discloses, summary);
  if (discloses("verification")) {
    claims.include_verification = true;
    claims.document_type = summary.document_type();
    claims.issuing_country = summary.issuing_country();
    claims.checks_passed = std::move(checks_passed);
  }
  if (personal != nullptr && discloses("given_name"))
    claims.given_name = std::string(personal->first_name);
  if (personal != nullptr && discloses("family_name"))
    claims.family_name = std::string(personal->last_name);
  if (discloses("birthdate") && birth.has_value()) claims.birthdate = absl::FormatCivilTime(*birth);
  SetAudienceAndLifetime(request, policy, relying_service, attest);
  return attest;
}

}  // namespace vouch::verifier::pipeline
