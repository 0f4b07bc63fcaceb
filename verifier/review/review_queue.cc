#include "review/review_queue.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "pipeline/verification_pipeline.h"
#include "rpc/errors.h"
#include "spdlog/spdlog.h"
#include "telegram/badge_outbox.h"

namespace vouch::verifier::review {
namespace {

constexpr absl::Duration kDefaultLease = absl::Minutes(15);
constexpr size_t kMaxNoteChars = 1000;
constexpr size_t kMaxMessageChars = 256;
constexpr int kMaxErrors = 32;

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return ts;
  const int64_t us = absl::ToUnixMicros(t);
  ts.set_seconds(us / 1'000'000);
  ts.set_nanos(static_cast<int32_t>((us % 1'000'000) * 1000));
  return ts;
}

absl::Status Denied(absl::string_view what, absl::string_view reason) {
  return rpc::WithReason(absl::PermissionDeniedError(what), reason);
}

absl::Status Bad(absl::string_view field, absl::string_view what) {
  return rpc::BadRequestError({{std::string(field), std::string(what)}});
}

absl::Status RequireReviewer(const auth::Principal& p) {
  if (p.kind != auth::PrincipalKind::kOperator || p.role < auth::OperatorRole::kReviewer ||
      p.id.empty()) {
    return Denied("the review queue is for operators", reasons::kOperatorRequired);
  }
  return absl::OkStatus();
}

bool IsSenior(const auth::Principal& p) { return p.role >= auth::OperatorRole::kSeniorReviewer; }

bool ValidId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_' || c == '-'; });
}

bool ValidReason(absl::string_view r) {
  if (r.empty() || r.size() > 64) return false;
  return std::all_of(r.begin(), r.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '.' || c == '-';
  });
}

bool Printable(absl::string_view s) {
  // UTF-8 is allowed; ASCII control characters are not.
  return std::none_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t';
  });
}

absl::Status ValidateDecision(absl::string_view case_id, absl::string_view reason,
                              absl::string_view note) {
  if (!ValidId(case_id)) return Bad("case_id", "required: a verification id");
  if (!ValidReason(reason)) return Bad("reason", "required: 1..64 of [a-z0-9_.-]");
  if (note.size() > kMaxNoteChars || !Printable(note)) {
    return Bad("note", "at most 1000 characters, no control characters");
  }
  return absl::OkStatus();
}

// Lower-cased words of `text`: runs of ASCII letters and digits and of
// non-ASCII bytes (so a UTF-8 name stays one word).
std::vector<std::string> Words(absl::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (const char c : text) {
    if (absl::ascii_isalnum(c) || static_cast<unsigned char>(c) >= 0x80) {
      word.push_back(absl::ascii_tolower(c));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

// `text` lower-cased with everything but letters, digits and non-ASCII
// bytes dropped: "12.08.1974" and "L-898 902" as they would be typed.
std::string Squeezed(absl::string_view text) {
  std::string out;
  for (const std::string& w : Words(text)) out += w;
  return out;
}

// Fields that are codes, not data about a person.
bool IsCodeField(absl::string_view name) {
  static const std::set<std::string, std::less<>> kCodes = {
      "gender",      "sex",           "country_code", "residence_country_code",
      "nationality", "issuing_state", "format",       "document_code"};
  return kCodes.count(name) > 0;
}

// The decision note goes to the audit log in clear: refuse one that repeats
// the case's names, numbers, dates or address (any word of a name or
// address; a number or date as a whole, also typed with other separators
// and dates in the other orders). The message never echoes what matched.
absl::Status CheckNoteHasNoDocumentData(absl::string_view note, const v1::CaseContent& content) {
  if (note.empty()) return absl::OkStatus();
  std::set<std::string> sensitive_words;  // Names, address parts.
  std::set<std::string> sensitive_runs;   // Numbers and dates, squeezed.
  const auto add = [&](absl::string_view value) {
    const std::string squeezed = Squeezed(value);
    const bool numeric = std::any_of(squeezed.begin(), squeezed.end(),
                                     [](char c) { return absl::ascii_isdigit(c); });
    if (numeric) {
      if (squeezed.size() >= 4) sensitive_runs.insert(squeezed);
      // dd.mm.yyyy (Telegram) also as yyyymmdd, yyyy-mm-dd and the MRZ's
      // yymmdd; yyyy-mm-dd also as ddmmyyyy.
      const std::vector<std::string> parts = Words(value);
      if (parts.size() == 3 && parts[0].size() == 2 && parts[2].size() == 4) {
        sensitive_runs.insert(parts[2] + parts[1] + parts[0]);
        sensitive_runs.insert(parts[2].substr(2) + parts[1] + parts[0]);
      } else if (parts.size() == 3 && parts[0].size() == 4 && parts[2].size() == 2) {
        sensitive_runs.insert(parts[2] + parts[1] + parts[0]);
        sensitive_runs.insert(parts[0].substr(2) + parts[1] + parts[2]);
      }
      return;
    }
    for (std::string& w : Words(value)) {
      if (w.size() >= 2) sensitive_words.insert(std::move(w));
    }
  };
  for (const v1::SealedElement& e : content.elements()) {
    for (const auto& [name, value] : e.fields()) {
      if (!IsCodeField(name)) add(value);
    }
    for (const auto& [name, value] : e.mrz()) {
      if (!IsCodeField(name)) add(value);
    }
  }
  const v1::PendingAttestation& a = content.attestation();
  if (a.has_given_name()) add(a.given_name());
  if (a.has_family_name()) add(a.family_name());
  if (a.has_birthdate()) add(a.birthdate());
  if (a.telegram_user_id() != 0) add(absl::StrCat(a.telegram_user_id()));

  bool found = false;
  for (const std::string& w : Words(note)) found = found || sensitive_words.count(w) > 0;
  const std::string squeezed_note = Squeezed(note);
  for (const std::string& run : sensitive_runs) {
    found = found || squeezed_note.find(run) != std::string::npos;
  }
  if (!found) return absl::OkStatus();
  return rpc::WithReason(
      absl::InvalidArgumentError("note repeats the case's names, numbers, dates or address; "
                                 "it is kept in the audit log in clear: describe, don't quote"),
      reasons::kNoteHasDocumentData);
}

absl::Status StoreError(const absl::Status& s) {
  if (absl::IsNotFound(s))
    return rpc::WithReason(absl::NotFoundError("unknown case"), reasons::kUnknownCase);
  if (absl::IsFailedPrecondition(s)) {
    return rpc::WithReason(absl::FailedPreconditionError("the case is not claimable by you"),
                           reasons::kCaseClaimed);
  }
  return s;
}

v1::CaseStage StageOf(storage::CaseStage s) {
  return static_cast<v1::CaseStage>(static_cast<int>(s));
}

nlohmann::json FirstDecision(const storage::ReviewCase& c) {
  if (c.first_decision.empty()) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(c.first_decision, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

v1::CaseSummary Summarize(const storage::ReviewCase& c, absl::Time now) {
  v1::CaseSummary s;
  s.set_case_id(c.verification_id);
  s.set_relying_service(c.relying_service);
  s.set_policy(c.policy);
  for (const std::string& r : c.reasons) s.add_reasons(r);
  s.set_stage(StageOf(c.stage));
  if (!c.claimed_by.empty() && c.lease_expiry > now) {
    s.set_claimed_by(c.claimed_by);
    *s.mutable_lease_expiry() = ToTimestamp(c.lease_expiry);
  }
  *s.mutable_create_time() = ToTimestamp(c.create_time);
  *s.mutable_delete_after() = ToTimestamp(c.delete_after);
  s.set_first_operator(c.first_operator);
  const nlohmann::json first = FirstDecision(c);
  if (first.contains("reason") && first["reason"].is_string()) {
    s.set_first_reason(first["reason"].get<std::string>());
  }
  return s;
}

absl::StatusOr<storage::CaseFilter> ToFilter(const v1::CaseFilter& f, absl::Time now) {
  storage::CaseFilter out;
  if (f.policy().size() > 64) return Bad("filter.policy", "at most 64 characters");
  if (f.reason().size() > 128) return Bad("filter.reason", "at most 128 characters");
  if (f.min_age_seconds() < 0 || f.max_age_seconds() < 0) {
    return Bad("filter", "ages are not negative");
  }
  out.policy = f.policy();
  out.reason = f.reason();
  if (f.min_age_seconds() > 0) out.created_before = now - absl::Seconds(f.min_age_seconds());
  if (f.max_age_seconds() > 0) out.created_after = now - absl::Seconds(f.max_age_seconds());
  return out;
}

// The MRZ field beside each typed one (names as in the Bot API).
struct FieldPair {
  const char* typed;
  const char* mrz;
};
constexpr FieldPair kPersonalPairs[] = {
    {"last_name", "surname"},  {"first_name", "given_names"},   {"birth_date", "birth_date"},
    {"gender", "sex"},         {"country_code", "nationality"}, {"residence_country_code", ""},
    {"middle_name", ""},       {"last_name_native", ""},        {"first_name_native", ""},
    {"middle_name_native", ""}};
constexpr FieldPair kDocumentPairs[] = {{"document_no", "document_number"},
                                        {"expiry_date", "expiry_date"}};

using MrzMap = google::protobuf::Map<std::string, std::string>;

// The MRZ field `key` of `m` ("" without an MRZ or without a pair).
std::string Extracted(const MrzMap* m, const char* key) {
  if (m == nullptr || *key == '\0') return "";
  auto it = m->find(key);
  return it == m->end() ? "" : it->second;
}

// Adds element `e`'s rows to `detail`: each typed field beside its MRZ field
// from `m` (the pairs first, then the others sorted), a document's MRZ-only
// fields, and its images.
void AddElementDetail(const v1::SealedElement& e, const MrzMap* m, bool personal,
                      v1::CaseDetail& detail) {
  const auto add = [&](const std::string& field, const std::string& typed,
                       const std::string& from_doc) {
    v1::FieldComparison& f = *detail.add_fields();
    f.set_element(e.type());
    f.set_field(field);
    f.set_typed(typed);
    f.set_extracted(from_doc);
  };
  std::set<std::string> listed;
  const auto pairs = [&](const auto& table) {
    for (const FieldPair& p : table) {
      auto it = e.fields().find(p.typed);
      if (it == e.fields().end()) continue;
      add(p.typed, it->second, Extracted(m, p.mrz));
      listed.insert(p.typed);
    }
  };
  if (personal) pairs(kPersonalPairs);
  pairs(kDocumentPairs);
  std::vector<std::string> rest;
  for (const auto& [k, v] : e.fields()) {
    if (!listed.contains(k)) rest.push_back(k);
  }
  std::sort(rest.begin(), rest.end());
  for (const std::string& k : rest) add(k, e.fields().at(k), "");
  if (!personal && m != nullptr) {
    for (const char* k : {"issuing_state", "format", "nationality"}) {
      add(absl::StrCat("mrz.", k), "", Extracted(m, k));
    }
  }
  for (const v1::SealedImage& i : e.images()) {
    v1::CaseImage& out = *detail.add_images();
    out.set_element(e.type());
    out.set_source(i.source());
    out.set_file_hash(i.file_hash());
    out.set_content(i.content());
  }
}

const v1::SealedElement* FindElement(const v1::CaseContent& c, absl::string_view type) {
  for (const v1::SealedElement& e : c.elements()) {
    if (e.type() == type) return &e;
  }
  return nullptr;
}

const char* DefaultMessage(absl::string_view source) {
  if (source == "data") return "This field does not match the document. Please correct it.";
  if (source == "selfie") return "The selfie could not be verified. Please take a new one.";
  if (source == "unspecified")
    return "This document could not be verified. Please upload it again.";
  return "This scan could not be verified. Please upload a clearer photo.";
}

absl::StatusOr<v1::PassportElementError> BuildError(const v1::CaseContent& content,
                                                    const v1::ErrorTarget& target, int index) {
  const std::string where = absl::StrCat("errors[", index, "]");
  const v1::SealedElement* e = FindElement(content, target.element());
  if (e == nullptr) return Bad(where + ".element", "no such element in this case");
  if (target.message().size() > kMaxMessageChars || !Printable(target.message())) {
    return Bad(where + ".message", "at most 256 characters");
  }
  v1::PassportElementError out;
  out.set_type(e->type());
  const std::string& field = target.field();
  const auto image = [&](absl::string_view source) -> const v1::SealedImage* {
    for (const v1::SealedImage& i : e->images()) {
      if (i.source() == source) return &i;
    }
    return nullptr;
  };
  if (field.empty()) {
    out.set_source("unspecified");
    out.set_element_hash(e->element_hash());
  } else if (field == "front_side" || field == "reverse_side" || field == "selfie") {
    const v1::SealedImage* i = image(field);
    if (i == nullptr) return Bad(where + ".field", "the element has no such file");
    out.set_source(field);
    out.set_file_hash(i->file_hash());
  } else if (field == "files" || field == "translation_files") {
    const std::string source = field == "files" ? "file" : "translation_file";
    for (const v1::SealedImage& i : e->images()) {
      if (i.source() == source) out.add_file_hashes(i.file_hash());
    }
    if (out.file_hashes_size() == 0) return Bad(where + ".field", "the element has no such files");
    out.set_source(field);
  } else {
    if (!e->fields().contains(field) || e->data_hash().empty()) {
      return Bad(where + ".field", "the element has no such data field");
    }
    out.set_source("data");
    out.set_field_name(field);
    out.set_data_hash(e->data_hash());
  }
  out.set_message(target.message().empty() ? DefaultMessage(out.source()) : target.message());
  return out;
}

// The element of the first REVIEW check, as an "unspecified" error target.
v1::ErrorTarget DefaultTarget(const v1::CaseContent& content) {
  v1::ErrorTarget t;
  for (const v1::Check& c : content.checks()) {
    if (c.outcome() == v1::CHECK_OUTCOME_REVIEW && FindElement(content, c.element()) != nullptr) {
      t.set_element(c.element());
      return t;
    }
  }
  if (content.elements_size() > 0) t.set_element(content.elements(0).type());
  return t;
}

}  // namespace

storage::ReviewCase MakeReviewCase(const StorageKeyRing& ring, v1::CaseContent& content,
                                   const v1::VerificationResult& result,
                                   absl::string_view verification_id,
                                   absl::string_view relying_service,
                                   const pipeline::Policy& policy, absl::Time now) {
  content.set_verification_id(std::string(verification_id));
  *content.mutable_checks() = result.checks();
  storage::ReviewCase c;
  c.verification_id = std::string(verification_id);
  c.relying_service = std::string(relying_service);
  c.policy = policy.name;
  std::set<std::string> seen;
  for (const v1::Check& check : result.checks()) {
    if (check.outcome() == v1::CHECK_OUTCOME_REVIEW && seen.insert(check.name()).second) {
      c.reasons.push_back(check.name());
    }
  }
  std::tie(c.sealed, c.key_id) = SealCase(ring, content);
  WipeCaseContent(content);
  content.Clear();
  c.stage = storage::CaseStage::kFirstReview;
  c.create_time = now;
  c.delete_after = now + policy.review.retention;
  return c;
}

const pipeline::Policy::Review& ReviewQueue::ReviewSettings(absl::string_view policy) const {
  static const pipeline::Policy::Review* const kDefaults = new pipeline::Policy::Review();
  absl::StatusOr<const pipeline::Policy*> p = config_.FindPolicy(policy);
  return p.ok() ? (*p)->review : *kDefaults;
}

void ReviewQueue::Audit(absl::string_view actor, absl::string_view action, absl::string_view id,
                        const std::string& detail, absl::Time now) {
  storage::AuditEvent e;
  e.time = now;
  e.actor = std::string(actor);
  e.action = std::string(action);
  e.verification_id = std::string(id);
  e.detail = detail;
  absl::StatusOr<storage::AuditEvent> stored = store_.AppendAudit(e);
  if (!stored.ok()) {
    spdlog::error("cannot append audit action={} id={} code={}", std::string(action),
                  std::string(id), absl::StatusCodeToString(stored.status().code()));
  }
}

absl::StatusOr<v1::ListCasesResponse> ReviewQueue::List(const auth::Principal& caller,
                                                        const v1::ListCasesRequest& request) {
  VOUCH_RETURN_IF_ERROR(RequireReviewer(caller));
  const absl::Time now = clock_.Now();
  VOUCH_ASSIGN_OR_RETURN(storage::CaseFilter filter, ToFilter(request.filter(), now));
  if (request.limit() < 0 || request.limit() > 1000) return Bad("limit", "0..1000");
  filter.limit = request.limit() == 0 ? 100 : request.limit();
  VOUCH_ASSIGN_OR_RETURN(std::vector<storage::ReviewCase> cases, store_.ListCases(filter, now));
  v1::ListCasesResponse response;
  for (const storage::ReviewCase& c : cases) *response.add_cases() = Summarize(c, now);
  return response;
}

absl::StatusOr<v1::ClaimCaseResponse> ReviewQueue::Claim(const auth::Principal& caller,
                                                         const v1::ClaimCaseRequest& request) {
  VOUCH_RETURN_IF_ERROR(RequireReviewer(caller));
  const absl::Time now = clock_.Now();
  if (!request.case_id().empty() && !ValidId(request.case_id())) {
    return Bad("case_id", "not a verification id");
  }
  if (request.lease_seconds() != 0 &&
      (request.lease_seconds() < 60 || request.lease_seconds() > 86400)) {
    return Bad("lease_seconds", "60..86400 (0 = 15 minutes)");
  }
  storage::ClaimCaseRequest claim;
  claim.case_id = request.case_id();
  claim.operator_id = caller.id;
  claim.senior = IsSenior(caller);
  claim.now = now;
  claim.lease =
      request.lease_seconds() == 0 ? kDefaultLease : absl::Seconds(request.lease_seconds());
  VOUCH_ASSIGN_OR_RETURN(claim.filter, ToFilter(request.filter(), now));
  absl::StatusOr<std::optional<storage::ReviewCase>> claimed = store_.ClaimCase(claim);
  if (!claimed.ok()) return StoreError(claimed.status());
  v1::ClaimCaseResponse response;
  if (!claimed->has_value()) return response;
  const storage::ReviewCase& c = **claimed;
  response.set_claimed(true);
  *response.mutable_case_() = Summarize(c, now);
  Audit(caller.id, "case.claim", c.verification_id,
        nlohmann::json{{"stage", static_cast<int>(c.stage)},
                       {"lease_s", absl::ToInt64Seconds(claim.lease)}}
            .dump(),
        now);
  spdlog::info("case claimed id={} operator={}", c.verification_id, caller.id);
  return response;
}

absl::StatusOr<storage::ReviewCase> ReviewQueue::HeldCase(const auth::Principal& caller,
                                                          const std::string& case_id,
                                                          absl::Time now) {
  VOUCH_RETURN_IF_ERROR(RequireReviewer(caller));
  if (!ValidId(case_id)) return Bad("case_id", "required: a verification id");
  absl::StatusOr<storage::ReviewCase> c = store_.GetCase(case_id);
  if (absl::IsNotFound(c.status())) {
    return rpc::WithReason(absl::NotFoundError("unknown case"), reasons::kUnknownCase);
  }
  if (!c.ok()) return c.status();
  if (c->claimed_by != caller.id || c->lease_expiry <= now ||
      c->stage == storage::CaseStage::kDecided) {
    return rpc::WithReason(absl::FailedPreconditionError("claim the case first"),
                           reasons::kCaseNotClaimed);
  }
  if (c->stage == storage::CaseStage::kSecondReview &&
      (!IsSenior(caller) || c->first_operator == caller.id)) {
    return Denied("a second review needs another, senior reviewer", reasons::kSeniorRequired);
  }
  return c;
}

absl::StatusOr<v1::CaseDetail> ReviewQueue::Show(const auth::Principal& caller,
                                                 const v1::GetCaseRequest& request) {
  const absl::Time now = clock_.Now();
  VOUCH_ASSIGN_OR_RETURN(storage::ReviewCase c, HeldCase(caller, request.case_id(), now));
  OpenedCase opened;
  VOUCH_RETURN_IF_ERROR(OpenCase(ring_, c, opened));
  const v1::CaseContent& content = opened.content();
  v1::CaseDetail detail;
  *detail.mutable_summary() = Summarize(c, now);
  *detail.mutable_checks() = content.checks();
  // The MRZ of the (first) identity document, for personal_details too.
  const google::protobuf::Map<std::string, std::string>* mrz = nullptr;
  for (const v1::SealedElement& e : content.elements()) {
    if (mrz == nullptr && !e.mrz().empty()) mrz = &e.mrz();
  }
  for (const v1::SealedElement& e : content.elements()) {
    const bool personal = e.type() == "personal_details";
    AddElementDetail(e, personal ? mrz : (e.mrz().empty() ? nullptr : &e.mrz()), personal, detail);
  }
  const nlohmann::json first = FirstDecision(c);
  if (first.contains("note") && first["note"].is_string()) {
    detail.set_first_note(first["note"].get<std::string>());
  }
  *detail.mutable_duplicates() = content.duplicates();  // Ids only
  Audit(caller.id, "case.show", c.verification_id, "{}", now);
  return detail;
}

// ---- duplicate detection (docs/dedup.md) ----
// A decision moves the case's held index entries in its own transaction
// (DecideCase): an approval makes them count, a reject with a "forged"
// reason marks them forged (any later submission of that document or person
// goes to review), any other reject deletes them. A decision that fails
// moves nothing.
namespace {
bool IsForgedReason(absl::string_view reason) {
  return reason == "forged" || absl::StartsWith(reason, "forged.") ||
         absl::StartsWith(reason, "forged_");
}

storage::DuplicateVerdict DuplicateVerdictOf(v1::Decision decision, absl::string_view reason) {
  if (decision == v1::DECISION_VERIFIED) return storage::DuplicateVerdict::kConfirm;
  return IsForgedReason(reason) ? storage::DuplicateVerdict::kForged
                                : storage::DuplicateVerdict::kDelete;
}
}  // namespace
// ---- end duplicate detection ----

absl::StatusOr<v1::VerificationResult> ReviewQueue::StoredResult(const std::string& id) {
  VOUCH_ASSIGN_OR_RETURN(storage::VerificationRecord record, store_.GetVerification(id));
  v1::VerificationResult result;
  if (!result.ParseFromString(record.result)) {
    return absl::DataLossError("stored result unreadable");
  }
  return result;
}

absl::StatusOr<v1::DecisionResponse> ReviewQueue::Decide(
    const auth::Principal& caller, const storage::ReviewCase& c, v1::VerificationResult result,
    absl::string_view action, absl::string_view reason, absl::string_view note, absl::Time now,
    const storage::AttestationRecord* attestation, absl::Span<const storage::BadgeRequest> badges) {
  const bool second = c.stage == storage::CaseStage::kSecondReview;
  v1::ReviewOutcome& outcome = *result.mutable_review();
  outcome.set_reason(std::string(reason));
  *outcome.mutable_decide_time() = ToTimestamp(now);
  outcome.set_confirmed_by_senior(second && result.decision() == v1::DECISION_VERIFIED);
  const pipeline::Policy::Review& settings = ReviewSettings(c.policy);
  const absl::Time keep_until = settings.keep_after_decision ? c.delete_after : now;
  absl::Status decided = store_.DecideCase(
      c.verification_id, c.lease_token,
      pipeline::SerializeResultForStore(result, c.verification_id, &ring_), now, keep_until,
      attestation, badges, DuplicateVerdictOf(result.decision(), reason));
  if (!decided.ok()) {
    if (absl::IsFailedPrecondition(decided)) {
      return rpc::WithReason(absl::FailedPreconditionError("the claim was lost; claim again"),
                             reasons::kCaseNotClaimed);
    }
    return StoreError(decided);
  }
  nlohmann::json detail{{"reason", std::string(reason)}, {"stage", static_cast<int>(c.stage)}};
  if (!note.empty()) detail["note"] = std::string(note);
  if (second) detail["first_operator"] = c.first_operator;
  Audit(caller.id, action, c.verification_id, detail.dump(), now);
  spdlog::info("case decided id={} operator={} action={} reason={}", c.verification_id, caller.id,
               std::string(action), std::string(reason));
  if (notify_) notify_(c.verification_id);
  v1::DecisionResponse response;
  absl::StatusOr<storage::VerificationRecord> record = store_.GetVerification(c.verification_id);
  if (record.ok() && response.mutable_result()->ParseFromString(record->result)) {
    // A reviewer never sees a credential offer's code.
    pipeline::OpenStoredOffer(*response.mutable_result(), record->id,
                              static_cast<const StorageKeyRing*>(nullptr), absl::InfinitePast());
    response.mutable_result()->set_verification_id(record->id);
    response.mutable_result()->set_state(static_cast<v1::VerificationState>(record->state));
  } else {
    // As stored: a reviewer never sees a credential offer's code.
    response.mutable_result()->ParseFromString(pipeline::SerializeResultForStore(
        result, c.verification_id, static_cast<const StorageKeyRing*>(nullptr)));
  }
  // The approval's credential, as Verify answers it (the Store keeps it
  // only sealed, for its pickup window).
  if (!result.attestation().sd_jwt().empty()) {
    response.mutable_result()->mutable_attestation()->set_sd_jwt(result.attestation().sd_jwt());
  }
  return response;
}

absl::StatusOr<v1::DecisionResponse> ReviewQueue::Approve(const auth::Principal& caller,
                                                          const v1::ApproveCaseRequest& request) {
  VOUCH_RETURN_IF_ERROR(RequireReviewer(caller));
  VOUCH_RETURN_IF_ERROR(ValidateDecision(request.case_id(), request.reason(), request.note()));
  const absl::Time now = clock_.Now();
  VOUCH_ASSIGN_OR_RETURN(storage::ReviewCase c, HeldCase(caller, request.case_id(), now));
  VOUCH_ASSIGN_OR_RETURN(v1::VerificationResult result, StoredResult(c.verification_id));
  OpenedCase opened;
  VOUCH_RETURN_IF_ERROR(OpenCase(ring_, c, opened));
  VOUCH_RETURN_IF_ERROR(CheckNoteHasNoDocumentData(request.note(), opened.content()));
  if (c.stage == storage::CaseStage::kFirstReview && ReviewSettings(c.policy).four_eyes_override) {
    nlohmann::json first{{"decision", "approve"}, {"reason", request.reason()}};
    if (!request.note().empty()) first["note"] = request.note();
    absl::Status escalated =
        store_.EscalateCase(c.verification_id, c.lease_token, first.dump(), caller.id, now);
    if (!escalated.ok()) {
      if (absl::IsFailedPrecondition(escalated)) {
        return rpc::WithReason(absl::FailedPreconditionError("the claim was lost; claim again"),
                               reasons::kCaseNotClaimed);
      }
      return StoreError(escalated);
    }
    Audit(caller.id, "case.escalate", c.verification_id,
          nlohmann::json{{"reason", request.reason()}}.dump(), now);
    v1::DecisionResponse response;
    response.set_escalated(true);
    *response.mutable_result() = std::move(result);
    response.mutable_result()->set_verification_id(c.verification_id);
    response.mutable_result()->set_state(v1::VERIFICATION_STATE_COMPLETED);
    return response;
  }
  const v1::PendingAttestation& pending = opened.content().attestation();
  pipeline::AttestationRequest attest = pipeline::FromPendingAttestation(pending, now);
  absl::StatusOr<pipeline::Attested> attested = attestor_.Attest(attest, c.verification_id);
  pipeline::WipePersonalClaims(attest.claims);
  if (!attested.ok()) return attested.status();
  result.set_decision(v1::DECISION_VERIFIED);
  result.clear_errors();
  result.set_errors_json("[]");
  *result.mutable_summary() = pending.summary();
  *result.mutable_attestation() = std::move(attested->attestation);
  // Telegram badge: the policy's calls, queued in the same transaction.
  std::vector<storage::BadgeRequest> badges;
  if (absl::StatusOr<const pipeline::Policy*> policy = config_.FindPolicy(c.policy); policy.ok()) {
    // The credential is kept sealed for the pickup window only (no
    // reminder stored: it is not kept at all).
    const absl::Time pickup_until = now + (*policy)->attestation_pickup_window;
    if (!result.attestation().sd_jwt().empty() &&
        store_.SchedulePickupExpiry(c.verification_id, pickup_until).ok()) {
      pipeline::StampPickupWindow(result, pickup_until);
    }
    const pipeline::Policy::Telegram& t = (*policy)->telegram;
    badges = telegram::BadgeCallsOnVerified(
        {t.verify_user, t.remove_at_expiry, t.custom_description}, c.verification_id,
        pending.telegram_user_id(),
        attested->record.has_value() ? attested->record->expire_time  // None for an offer
                                     : absl::InfiniteFuture());
  }
  // The record is stored with the decision, in one transaction (DecideCase).
  return Decide(caller, c, std::move(result),
                c.stage == storage::CaseStage::kSecondReview ? "case.confirm" : "case.approve",
                request.reason(), request.note(), now,
                attested->record.has_value() ? &*attested->record : nullptr, badges);
}

absl::StatusOr<v1::DecisionResponse> ReviewQueue::Reject(const auth::Principal& caller,
                                                         const v1::RejectCaseRequest& request) {
  VOUCH_RETURN_IF_ERROR(RequireReviewer(caller));
  VOUCH_RETURN_IF_ERROR(ValidateDecision(request.case_id(), request.reason(), request.note()));
  if (request.errors_size() > kMaxErrors) return Bad("errors", "at most 32");
  const absl::Time now = clock_.Now();
  VOUCH_ASSIGN_OR_RETURN(storage::ReviewCase c, HeldCase(caller, request.case_id(), now));
  VOUCH_ASSIGN_OR_RETURN(v1::VerificationResult result, StoredResult(c.verification_id));
  OpenedCase opened;
  VOUCH_RETURN_IF_ERROR(OpenCase(ring_, c, opened));
  VOUCH_RETURN_IF_ERROR(CheckNoteHasNoDocumentData(request.note(), opened.content()));
  result.clear_errors();
  result.clear_attestation();
  if (request.errors_size() == 0) {
    VOUCH_ASSIGN_OR_RETURN(*result.add_errors(),
                           BuildError(opened.content(), DefaultTarget(opened.content()), 0));
  }
  for (int i = 0; i < request.errors_size(); ++i) {
    VOUCH_ASSIGN_OR_RETURN(*result.add_errors(),
                           BuildError(opened.content(), request.errors(i), i));
  }
  result.set_decision(v1::DECISION_REJECTED);
  result.set_errors_json(pipeline::PassportErrorsJson(result.errors()));
  return Decide(caller, c, std::move(result),
                c.stage == storage::CaseStage::kSecondReview ? "case.decline" : "case.reject",
                request.reason(), request.note(), now);
}

absl::Status ReviewQueue::Release(const auth::Principal& caller,
                                  const v1::ReleaseCaseRequest& request) {
  const absl::Time now = clock_.Now();
  VOUCH_ASSIGN_OR_RETURN(storage::ReviewCase c, HeldCase(caller, request.case_id(), now));
  absl::Status released = store_.ReleaseCase(c.verification_id, c.lease_token, now);
  if (!released.ok()) return StoreError(released);
  Audit(caller.id, "case.release", c.verification_id, "{}", now);
  return absl::OkStatus();
}

// ---- reviewer's reversal ----
namespace {
// The retries of a reversal whose verification changed between the read and
// the write (a concurrent reversal, a badge result written meanwhile).
constexpr int kReversalAttempts = 3;

// The reversal's answer: `result` (the stored one, or the one just written)
// as GetVerification presents it, but a reviewer never sees a credential
// offer's code.
v1::ReverseVerificationResponse ReversalResponse(v1::VerificationResult result,
                                                 const std::string& id,
                                                 const storage::VerificationRecord& record,
                                                 storage::Store& store) {
  v1::ReverseVerificationResponse response;
  v1::VerificationResult& out = *response.mutable_result();
  out = std::move(result);
  pipeline::OpenStoredOffer(out, id, static_cast<const StorageKeyRing*>(nullptr),
                            absl::InfinitePast());
  out.set_verification_id(id);
  out.set_state(v1::VERIFICATION_STATE_COMPLETED);
  out.set_policy(record.policy);
  out.set_idempotency_key(record.idempotency_key);
  *out.mutable_create_time() = ToTimestamp(record.create_time);
  *out.mutable_update_time() = ToTimestamp(record.update_time);
  if (absl::StatusOr<std::vector<storage::BadgeItem>> badges = store.FindBadges(id); badges.ok()) {
    if (std::optional<v1::TelegramBadge> badge = telegram::BadgeStatus(*badges)) {
      *out.mutable_telegram_badge() = *std::move(badge);
    }
  }
  return response;
}
}  // namespace

absl::StatusOr<v1::ReverseVerificationResponse> ReviewQueue::Reverse(
    const auth::Principal& caller, const v1::ReverseVerificationRequest& request) {
  VOUCH_RETURN_IF_ERROR(RequireReviewer(caller));
  if (!IsSenior(caller)) {
    return Denied("a reversal needs a senior reviewer or an admin", reasons::kSeniorRequired);
  }
  if (!ValidId(request.verification_id())) {
    return Bad("verification_id", "required: a verification id");
  }
  if (!ValidReason(request.reason())) return Bad("reason", "required: 1..64 of [a-z0-9_.-]");
  const std::string& id = request.verification_id();
  for (int attempt = 1;; ++attempt) {
    const absl::Time now = clock_.Now();
    absl::StatusOr<storage::VerificationRecord> record = store_.GetVerification(id);
    if (absl::IsNotFound(record.status())) {
      return rpc::WithReason(absl::NotFoundError("unknown verification"),
                             rpc::reasons::kUnknownVerification);
    }
    if (!record.ok()) return record.status();
    v1::VerificationResult result;
    if (record->state == storage::VerificationState::kCompleted &&
        !result.ParseFromString(record->result)) {
      return absl::DataLossError("stored result unreadable");
    }
    const bool repeat = result.has_reversal();
    if (!repeat) {
      if (record->state != storage::VerificationState::kCompleted ||
          result.decision() != v1::DECISION_VERIFIED) {
        return rpc::WithReason(absl::FailedPreconditionError(
                                   "only a verification completed as VERIFIED can be reversed"),
                               reasons::kNotVerified);
      }
      v1::VerificationResult reversed = result;
      reversed.set_decision(v1::DECISION_REJECTED);
      reversed.clear_errors();
      reversed.set_errors_json("[]");
      // The ids stay (what was revoked); the credential and the offer go.
      reversed.mutable_attestation()->clear_sd_jwt();
      reversed.mutable_attestation()->clear_sealed_sd_jwt();  // Its sealed copy too.
      reversed.mutable_attestation()->clear_sealed_key_id();
      reversed.mutable_attestation()->clear_credential_offer();
      reversed.mutable_reversal()->set_reason(request.reason());
      *reversed.mutable_reversal()->mutable_reverse_time() = ToTimestamp(now);
      absl::StatusOr<storage::ReversalOutcome> outcome =
          store_.ReverseVerification(id, record->result, reversed.SerializeAsString(), now);
      if (absl::IsFailedPrecondition(outcome.status())) {
        if (attempt < kReversalAttempts) continue;  // Changed meanwhile: judge it again.
        return absl::AbortedError("the verification kept changing; try again");
      }
      if (!outcome.ok()) return outcome.status();
      // The Store is the record (the lists are rebuilt from it at start);
      // the issuer's in-memory status list follows it, as for a Revoke.
      for (const std::string& attestation_id : outcome->revoked_attestations) {
        absl::StatusOr<bool> mirrored = issuer_.Revoke(attestation_id, /*suspend=*/false);
        if (!mirrored.ok()) {
          spdlog::error("status list not updated after a reversal id={} attestation={} code={}", id,
                        attestation_id, absl::StatusCodeToString(mirrored.status().code()));
        }
      }
      Audit(caller.id, "verification.reverse", id,
            nlohmann::json{{"reason", request.reason()},
                           {"revoked_attestations", outcome->revoked_attestations.size()},
                           {"badge_removal_queued", outcome->removal_queued}}
                .dump(),
            now);
      spdlog::info(
          "verification reversed id={} operator={} reason={} revoked_attestations={} "
          "badge_removal_queued={}",
          id, caller.id, request.reason(), outcome->revoked_attestations.size(),
          outcome->removal_queued);
      if (notify_) notify_(id);
      result = std::move(reversed);
      record->update_time = now;
    }
    return ReversalResponse(std::move(result), id, *record, store_);
  }
}
// ---- end reviewer's reversal ----

absl::StatusOr<int> ReviewQueue::PurgeExpired() {
  // Expired cases are listed, then each one is expired in its own store
  // transaction (deletion and, when undecided, the REJECTED result together),
  // so a crash never leaves a verification NEEDS_REVIEW without its case.
  constexpr int kBatch = 100;
  const absl::Time now = clock_.Now();
  int expired_count = 0;
  while (true) {
    VOUCH_ASSIGN_OR_RETURN(std::vector<storage::ReviewCase> expired,
                           store_.ListExpiredCases(now, kBatch));
    int progress = 0;
    for (const storage::ReviewCase& c : expired) {
      const bool undecided = c.stage != storage::CaseStage::kDecided;
      std::string expired_result;
      if (undecided) {
        absl::StatusOr<v1::VerificationResult> result = StoredResult(c.verification_id);
        if (!result.ok()) {
          // Still expire it: the envelope must not outlive its retention, and
          // the verification must not stay NEEDS_REVIEW without a case.
          spdlog::error("expiring case without a readable result id={} code={}", c.verification_id,
                        absl::StatusCodeToString(result.status().code()));
          result = v1::VerificationResult();
        }
        result->set_decision(v1::DECISION_REJECTED);
        result->clear_errors();
        result->set_errors_json("[]");
        v1::ReviewOutcome& outcome = *result->mutable_review();
        outcome.set_reason(std::string(kReviewExpiredReason));
        *outcome.mutable_decide_time() = ToTimestamp(now);
        expired_result = result->SerializeAsString();
      }
      absl::StatusOr<bool> gone = store_.ExpireCase(c.verification_id, expired_result, now);
      if (!gone.ok()) {
        // kNotFound: decided (or expired by another vouchd) meanwhile.
        if (!absl::IsNotFound(gone.status())) {
          spdlog::error("cannot expire case id={} code={}", c.verification_id,
                        absl::StatusCodeToString(gone.status().code()));
        }
        continue;
      }
      if (!*gone) continue;  // decided and kept meanwhile
      ++progress;
      Audit("vouchd", "case.purge", c.verification_id,
            nlohmann::json{{"stage", static_cast<int>(c.stage)}, {"undecided", undecided}}.dump(),
            now);
      if (!undecided) continue;
      spdlog::info("review expired id={}", c.verification_id);
      if (notify_) notify_(c.verification_id);
    }
    expired_count += progress;
    purged_cases_ += progress;
    // A short page is the last; a page with no progress would repeat itself.
    if (static_cast<int>(expired.size()) < kBatch || progress == 0) break;
  }
  return expired_count;
}

// ---- attestation pickup window ----
absl::StatusOr<int> ReviewQueue::DropExpiredCredentials() {
  constexpr int kBatch = 100;
  const absl::Time now = clock_.Now();
  int dropped = 0;
  while (true) {
    VOUCH_ASSIGN_OR_RETURN(std::vector<std::string> due, store_.ListExpiredPickups(now, kBatch));
    int progress = 0;
    for (const std::string& id : due) {
      std::string expected;
      std::string scrubbed;  // "" when there is nothing to drop: the reminder goes alone.
      absl::StatusOr<storage::VerificationRecord> record = store_.GetVerification(id);
      v1::VerificationResult result;
      if (record.ok() && result.ParseFromString(record->result) &&
          !result.attestation().sealed_sd_jwt().empty()) {
        v1::Attestation& a = *result.mutable_attestation();
        a.clear_sealed_sd_jwt();
        a.clear_sealed_key_id();
        expected = record->result;
        scrubbed = result.SerializeAsString();
      } else if (!record.ok() && !absl::IsNotFound(record.status())) {
        continue;  // The store is unwell: next round.
      }
      const absl::Status closed = store_.ClosePickup(id, expected, scrubbed);
      if (!closed.ok()) {
        // kFailedPrecondition: the result changed meanwhile; read again next round.
        if (!absl::IsFailedPrecondition(closed)) {
          spdlog::error("cannot drop an expired credential id={} code={}", id,
                        absl::StatusCodeToString(closed.code()));
        }
        continue;
      }
      ++progress;
      if (!scrubbed.empty()) ++dropped;
    }
    if (static_cast<int>(due.size()) < kBatch || progress == 0) break;
  }
  dropped_credentials_ += dropped;
  if (dropped > 0) {  // Counts only: no ids, no personal data.
    Audit("vouchd", "retention.credentials", "", nlohmann::json{{"credentials", dropped}}.dump(),
          now);
  }
  return dropped;
}
// ---- end attestation pickup window ----

// ---- retention ----
absl::StatusOr<int> ReviewQueue::PurgeRetention() {
  constexpr int kBatch = 100;
  const absl::Time now = clock_.Now();
  int purged_total = 0;
  for (const auto& [name, policy] : config_.policies()) {
    int purged = 0;
    if (policy.result_retention > absl::ZeroDuration()) {
      while (true) {
        VOUCH_ASSIGN_OR_RETURN(
            std::vector<std::string> ids,
            store_.PurgeVerifications(name, now - policy.result_retention, now, kBatch));
        purged += static_cast<int>(ids.size());
        if (ids.empty() || static_cast<int>(ids.size()) < kBatch) break;
      }
    }
    int64_t released = 0;
    if (policy.idempotency_key_retention > absl::ZeroDuration()) {
      VOUCH_ASSIGN_OR_RETURN(
          released, store_.ReleaseIdempotencyKeys(name, now - policy.idempotency_key_retention));
    }
    if (purged == 0 && released == 0) continue;
    purged_verifications_ += purged;
    released_keys_ += released;
    purged_total += purged;
    // Counts only: no ids, no personal data.
    Audit(
        "vouchd", "retention.purge", "",
        nlohmann::json{{"policy", name}, {"verifications", purged}, {"idempotency_keys", released}}
            .dump(),
        now);
    spdlog::info("retention purge policy={} verifications={} idempotency_keys={}", name, purged,
                 released);
  }
  VOUCH_ASSIGN_OR_RETURN(const int64_t kept, store_.PurgeKeptAttestations(now));
  if (kept > 0) {
    purged_kept_attestations_ += kept;
    // Counts only: no ids, no personal data.
    Audit("vouchd", "retention.kept_attestations", "",
          nlohmann::json{{"attestations", kept}}.dump(), now);
    spdlog::info("retention purge kept_attestations={}", kept);
  }
  return purged_total;
}

std::string ReviewQueue::RenderRetentionMetrics() const {
  return absl::StrCat(
      "# HELP vouch_retention_purged_total What the retention purge deleted since start.\n",
      "# TYPE vouch_retention_purged_total counter\n",
      "vouch_retention_purged_total{kind=\"review_case\"} ", purged_cases_.load(), "\n",
      "vouch_retention_purged_total{kind=\"credential\"} ", dropped_credentials_.load(), "\n",
      "vouch_retention_purged_total{kind=\"verification\"} ", purged_verifications_.load(), "\n",
      "vouch_retention_purged_total{kind=\"idempotency_key\"} ", released_keys_.load(), "\n",
      "vouch_retention_purged_total{kind=\"kept_attestation\"} ", purged_kept_attestations_.load(),
      "\n");
}
// ---- end retention ----

CasePurger::CasePurger(ReviewQueue& queue, absl::Duration interval)
    : task_(interval, [&queue] {
        absl::StatusOr<int> purged = queue.PurgeExpired();
        if (!purged.ok()) {
          spdlog::error("case purge failed code={}",
                        absl::StatusCodeToString(purged.status().code()));
        } else if (*purged > 0) {
          spdlog::info("cases purged count={}", *purged);
        }
        absl::StatusOr<int> dropped = queue.DropExpiredCredentials();
        if (!dropped.ok()) {
          spdlog::error("credential purge failed code={}",
                        absl::StatusCodeToString(dropped.status().code()));
        } else if (*dropped > 0) {
          spdlog::info("credentials past their pickup window deleted count={}", *dropped);
        }
        if (absl::StatusOr<int> retained = queue.PurgeRetention(); !retained.ok()) {
          spdlog::error("retention purge failed code={}",
                        absl::StatusCodeToString(retained.status().code()));
        }
      }) {}

CasePurger::~CasePurger() = default;

}  // namespace vouch::verifier::review
