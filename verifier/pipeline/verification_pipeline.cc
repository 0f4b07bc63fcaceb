#include "pipeline/verification_pipeline.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "pipeline/country_codes.h"
#include "pipeline/transliteration.h"

namespace vouch::verifier {
namespace {

constexpr absl::string_view kIdDocumentTypes[] = {
    "passport", "driver_license", "identity_card", "internal_passport"};
constexpr absl::string_view kAddressDocumentTypes[] = {
    "utility_bill", "bank_statement", "rental_agreement", "passport_registration",
    "temporary_registration"};

template <size_t N>
bool OneOf(absl::string_view v, const absl::string_view (&set)[N]) {
  return std::find(std::begin(set), std::end(set), v) != std::end(set);
}

// Where a failed check points the user: the fields of one
// PassportElementError other than `message`.
struct ErrorTarget {
  std::string source;  // "" when the check cannot name anything to fix.
  std::string type;
  std::string field_name;
  std::string data_hash;
  std::string file_hash;
  std::string element_hash;

  static ErrorTarget None() { return {}; }
  static ErrorTarget Data(const OpenedElement& e, absl::string_view field) {
    return {"data", e.type, std::string(field), e.data_hash, "", ""};
  }
  static ErrorTarget File(absl::string_view source, const OpenedElement& e,
                          const OpenedFile& f) {
    return {std::string(source), e.type, "", "", f.file_hash, ""};
  }
  static ErrorTarget Unspecified(const OpenedElement& e) {
    return {"unspecified", e.type, "", "", "", e.element_hash};
  }
};

// Parses the Bot API's DD.MM.YYYY, leniently D.M.YYYY (telegram-passport.md
// §4.8); "" and malformed dates are nullopt.
std::optional<absl::CivilDay> ParseTypedDate(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  int d, m, y;
  if (parts.size() != 3 || parts[2].size() != 4 || !absl::SimpleAtoi(parts[0], &d) ||
      !absl::SimpleAtoi(parts[1], &m) || !absl::SimpleAtoi(parts[2], &y)) {
    return std::nullopt;
  }
  const absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) return std::nullopt;
  return day;
}

// Parses YYYY-MM-DD (MrzFields).
std::optional<absl::CivilDay> ParseIsoDate(absl::string_view text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day)) return std::nullopt;
  return day;
}

int AgeOn(absl::CivilDay birth, absl::CivilDay today) {
  int age = static_cast<int>(today.year() - birth.year());
  if (today.month() < birth.month() ||
      (today.month() == birth.month() && today.day() < birth.day())) {
    --age;
  }
  return age;
}

// Document numbers compared as the MRZ writes them: A-Z0-9 only.
std::string MrzDocumentNumber(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (absl::ascii_isalnum(c)) out.push_back(absl::ascii_toupper(c));
  }
  return out;
}

// Length of the MRZ name field by format (ICAO 9303 Parts 4-7).
size_t NameFieldLength(absl::string_view format) {
  if (format == "TD1") return 30;
  if (format == "TD2" || format == "MRVB") return 31;
  return 39;  // TD3, MRVA.
}

bool NameFieldFull(const MrzFields& mrz) {
  const size_t used = mrz.surname.size() + 2 + mrz.given_names.size();
  return used >= NameFieldLength(mrz.format);
}

const char* Message(absl::string_view reason) {
  struct Entry { absl::string_view reason; const char* message; };
  static constexpr Entry kMessages[] = {
      {"image_unreadable", "The file is not a readable image. Upload a new photo."},
      {"image_too_large", "The image is too large. Upload a smaller photo."},
      {"mrz_not_found", "The machine-readable zone could not be read. Retake the photo with the whole page visible."},
      {"mrz_check_digits", "The machine-readable zone could not be read reliably. Retake the photo."},
      {"mrz_low_confidence", "The machine-readable zone could not be read reliably. Retake the photo."},
      {"face_not_found", "No face could be found. Retake the photo with your face clearly visible."},
      {"face_mismatch", "The selfie does not match the document photo."},
      {"selfie_missing", "A selfie with the document is required."},
      {"text_missing", "No text could be found on the document. Upload a clear scan."},
      {"document_expired", "The document has expired. Upload a valid document."},
      {"under_minimum_age", "You do not meet the minimum age for this service."},
      {"issuing_country_not_allowed", "Documents from this country are not accepted."},
      {"document_type_not_allowed", "This document type is not accepted."},
      {"birth_date_missing", "Enter your date of birth."},
      {"last_name_mismatch", "The last name does not match the document."},
      {"first_name_mismatch", "The first name does not match the document."},
      {"birth_date_mismatch", "The date of birth does not match the document."},
      {"gender_mismatch", "The gender does not match the document."},
      {"nationality_mismatch", "The citizenship does not match the document."},
      {"document_number_mismatch", "The document number does not match the document."},
      {"expiry_date_mismatch", "The expiry date does not match the document."},
  };
  for (const Entry& e : kMessages) {
    if (e.reason == reason) return e.message;
  }
  return "This item could not be verified. Please upload it again.";
}

// A fraud signal rejects only when this many different fraud signals of one
// submission are certain (ocr::kIndependentFraudSignals; docs/checks.md,
// "Decision rule"): a false fraud verdict on a genuine user is the worst
// outcome, and every signal on its own has false positives.
constexpr int kIndependentFraudSignals = 2;

// Collects checks and the user-facing errors of failed ones.
class Findings {
 public:
  explicit Findings(const Policy& policy) : policy_(policy) {}

  // A scored check against the policy's thresholds for `threshold_key`.
  void Scored(absl::string_view name, absl::string_view threshold_key,
              absl::string_view element, double score, absl::string_view fail_reason,
              const ErrorTarget& target, absl::string_view hint = "") {
    const CheckThreshold th = policy_.ThresholdFor(threshold_key);
    score = std::clamp(score, 0.0, 1.0);
    v1::CheckOutcome outcome = v1::CHECK_OUTCOME_PASS;
    std::string reason;
    if (score < th.review) {
      outcome = v1::CHECK_OUTCOME_FAIL;
      reason = std::string(fail_reason);
    } else if (score < th.pass) {
      outcome = v1::CHECK_OUTCOME_REVIEW;
      reason = absl::StrCat(fail_reason, "_uncertain");
    }
    Add(name, element, outcome, score, th.pass, th.review, reason, target, hint);
  }

  // Whether `score` is below the review band of the policy's `threshold_key`.
  bool BelowReview(absl::string_view threshold_key, double score) const {
    return std::clamp(score, 0.0, 1.0) < policy_.ThresholdFor(threshold_key).review;
  }

  // A check the reader already judged against its own calibrated threshold.
  void Judged(absl::string_view name, absl::string_view element, v1::CheckOutcome outcome,
              double score, double threshold, absl::string_view reason,
              const ErrorTarget& target, absl::string_view hint) {
    Add(name, element, outcome, score, threshold, threshold, reason, target, hint);
  }

  // A yes/no check.
  void Binary(absl::string_view name, absl::string_view element, bool ok,
              absl::string_view fail_reason, const ErrorTarget& target) {
    Add(name, element, ok ? v1::CHECK_OUTCOME_PASS : v1::CHECK_OUTCOME_FAIL, ok ? 1 : 0,
        1, 1, ok ? "" : fail_reason, target, "");
  }

  // A check that could not run: review or fail as the policy says.
  void Unavailable(absl::string_view name, absl::string_view element,
                   absl::string_view reason, const ErrorTarget& target) {
    const bool fail = policy_.unavailable_check == UnavailableCheck::kFail;
    Add(name, element, fail ? v1::CHECK_OUTCOME_FAIL : v1::CHECK_OUTCOME_REVIEW, 0, 1, 1,
        reason, target, "");
  }

  // A check that needs a person: always review.
  void Review(absl::string_view name, absl::string_view element, absl::string_view reason) {
    Add(name, element, v1::CHECK_OUTCOME_REVIEW, 0, 1, 1, reason, ErrorTarget::None(), "");
  }

  void Skipped(absl::string_view name, absl::string_view element, absl::string_view reason) {
    Add(name, element, v1::CHECK_OUTCOME_SKIPPED, 0, 0, 0, reason, ErrorTarget::None(), "");
  }

  // A fraud signal (`signal`: "screen", "colour", "tamper") certain on its
  // own. Recorded as REVIEW ("<reason>_single_signal"); ConfirmFraud()
  // turns it into FAIL when enough independent signals agree.
  void CertainFraudSignal(absl::string_view name, absl::string_view signal,
                          absl::string_view element, double score, double threshold,
                          absl::string_view reason, const ErrorTarget& target,
                          absl::string_view hint) {
    Add(name, element, v1::CHECK_OUTCOME_REVIEW, score, threshold, threshold,
        absl::StrCat(reason, "_single_signal"), ErrorTarget::None(), "");
    certain_fraud_.push_back({checks_.size() - 1, std::string(signal), std::string(reason),
                              target, std::string(hint)});
  }

  // Applies the two-signal rule once all images are read: when at least
  // kIndependentFraudSignals different signals are certain (the same signal
  // on two sides counts once), each of them fails with its error.
  void ConfirmFraud() {
    std::set<std::string> signals;
    for (const PendingFraud& f : certain_fraud_) signals.insert(f.signal);
    if (static_cast<int>(signals.size()) >= kIndependentFraudSignals) {
      for (const PendingFraud& f : certain_fraud_) {
        v1::Check& c = checks_[f.check];
        c.set_outcome(v1::CHECK_OUTCOME_FAIL);
        c.set_reason(f.reason);
        if (!f.target.source.empty()) {
          AddError(f.target, f.hint.empty() ? Message(f.reason) : f.hint);
        }
      }
    }
    certain_fraud_.clear();
  }

  v1::Decision Decide() const {
    bool review = false;
    for (const v1::Check& c : checks_) {
      if (c.outcome() == v1::CHECK_OUTCOME_FAIL) return v1::DECISION_REJECTED;
      if (c.outcome() == v1::CHECK_OUTCOME_REVIEW) review = true;
    }
    return review ? v1::DECISION_NEEDS_REVIEW : v1::DECISION_VERIFIED;
  }

  std::vector<std::string> Passed() const {
    std::vector<std::string> out;
    for (const v1::Check& c : checks_) {
      if (c.outcome() == v1::CHECK_OUTCOME_PASS) out.push_back(c.name());
    }
    return out;
  }

  void MoveInto(v1::VerificationResult& result) {
    for (v1::Check& c : checks_) *result.add_checks() = std::move(c);
    for (v1::PassportElementError& e : errors_) *result.add_errors() = std::move(e);
  }

 private:
  void Add(absl::string_view name, absl::string_view element, v1::CheckOutcome outcome,
           double score, double threshold, double review_threshold,
           absl::string_view reason, const ErrorTarget& target, absl::string_view hint) {
    v1::Check& c = checks_.emplace_back();
    c.set_name(std::string(name));
    c.set_element(std::string(element));
    c.set_outcome(outcome);
    c.set_score(score);
    c.set_threshold(threshold);
    c.set_review_threshold(review_threshold);
    c.set_reason(std::string(reason));
    if (outcome == v1::CHECK_OUTCOME_FAIL && !target.source.empty()) {
      AddError(target, hint.empty() ? Message(reason) : std::string(hint));
    }
  }

  void AddError(const ErrorTarget& t, std::string message) {
    // One error per target: the Bot API resolves an error when that field
    // or file changes, so a second one for the same target adds nothing.
    for (const v1::PassportElementError& e : errors_) {
      if (e.source() == t.source && e.type() == t.type && e.field_name() == t.field_name &&
          e.file_hash() == t.file_hash && e.element_hash() == t.element_hash) {
        return;
      }
    }
    v1::PassportElementError& e = errors_.emplace_back();
    e.set_source(t.source);
    e.set_type(t.type);
    e.set_field_name(t.field_name);
    e.set_data_hash(t.data_hash);
    e.set_file_hash(t.file_hash);
    e.set_element_hash(t.element_hash);
    e.set_message(std::move(message));
  }

  struct PendingFraud {
    size_t check;  // Index into checks_.
    std::string signal;
    std::string reason;
    ErrorTarget target;
    std::string hint;
  };

  const Policy& policy_;
  std::vector<v1::Check> checks_;
  std::vector<v1::PassportElementError> errors_;
  std::vector<PendingFraud> certain_fraud_;
};

// What reading one identity document produced, for the consistency stage.
struct DocumentReading {
  const OpenedElement* element = nullptr;
  std::optional<MrzFields> mrz;
  bool mrz_checked = false;     // An MRZ reader ran on some side.
  bool mrz_unreadable = false;  // A band was found but not read reliably.
  std::optional<BarcodeFields> aamva;  // The back's PDF417, when it parsed.
  bool back_read = false;  // The reverse side's image was read.
};

// Reads one image and turns the reader's verdicts into checks. Returns the
// findings, or nullopt when the image could not be used (already recorded).
absl::StatusOr<std::optional<ImageFindings>> ReadImage(
    DocumentReader& reader, const OpenedElement& element, const OpenedFile& file,
    absl::string_view source, ImageRole role, Findings& findings) {
  const ErrorTarget target = ErrorTarget::File(source, element, file);
  absl::StatusOr<ImageFindings> read = reader.Read(file.content.view(), role, element.type);
  const std::string check = absl::StrCat("image.", source);
  if (absl::IsInvalidArgument(read.status())) {
    findings.Binary(check, element.type, false, "image_unreadable", target);
    return std::optional<ImageFindings>();
  }
  if (absl::IsResourceExhausted(read.status())) {
    findings.Binary(check, element.type, false, "image_too_large", target);
    return std::optional<ImageFindings>();
  }
  if (absl::IsUnimplemented(read.status())) {
    findings.Unavailable(check, element.type, "reader_unavailable", target);
    return std::optional<ImageFindings>();
  }
  if (!read.ok()) return read.status();
  findings.Binary(check, element.type, true, "", target);
  if (!read->quality_checked) {
    findings.Unavailable(absl::StrCat("quality.", source), element.type, "quality_unavailable",
                         target);
  }
  // A quality check exists so that the page can be read. When this page's
  // MRZ was read and every one of its checks passed, the page evidently was
  // readable: a quality failure contradicted that way (a white scan read as
  // glare, a tight crop read as cut off) goes to a person instead of asking
  // a genuine user to retake a page that was read. Fraud signals keep their
  // own rule (ConfirmFraud).
  const bool page_read = read->mrz.has_value() && read->mrz->check_digits_ok;
  for (const QualitySignal& q : read->quality) {
    const std::string name = absl::StrCat("quality.", q.name, ".", source);
    const std::string reason = absl::StrCat("poor_", q.name);
    if (page_read && !q.fraud &&
        (q.verdict == QualitySignal::Verdict::kFail ||
         (q.verdict == QualitySignal::Verdict::kNone &&
          findings.BelowReview(absl::StrCat("quality.", q.name), q.score)))) {
      findings.Judged(name, element.type, v1::CHECK_OUTCOME_REVIEW, q.score, q.threshold,
                      reason + "_on_read_page", target, q.hint);
      continue;
    }
    if (q.fraud && (q.verdict == QualitySignal::Verdict::kFail ||
                    (q.verdict == QualitySignal::Verdict::kNone &&
                     findings.BelowReview(absl::StrCat("quality.", q.name), q.score)))) {
      findings.CertainFraudSignal(name, q.name, element.type, q.score, q.threshold, reason,
                                  target, q.hint);
      continue;
    }
    switch (q.verdict) {
      case QualitySignal::Verdict::kNone:
        findings.Scored(name, absl::StrCat("quality.", q.name), element.type, q.score, reason,
                        target, q.hint);
        break;
      case QualitySignal::Verdict::kPass:
        findings.Judged(name, element.type, v1::CHECK_OUTCOME_PASS, q.score, q.threshold, "",
                        target, q.hint);
        break;
      case QualitySignal::Verdict::kReview:
        findings.Judged(name, element.type, v1::CHECK_OUTCOME_REVIEW, q.score, q.threshold,
                        reason + "_uncertain", target, q.hint);
        break;
      case QualitySignal::Verdict::kFail:
        findings.Judged(name, element.type, v1::CHECK_OUTCOME_FAIL, q.score, q.threshold,
                        reason, target, q.hint);
        break;
      case QualitySignal::Verdict::kUnavailable:
        findings.Unavailable(name, element.type, absl::StrCat(q.name, "_unavailable"), target);
        break;
    }
  }
  return std::optional<ImageFindings>(*std::move(read));
}

// The barcode check on a reverse side, when the reader ran it: driver
// licences (an AAMVA record in a PDF417) and identity cards (only when one
// is there: US and Canadian ID cards).
void CheckBarcode(const OpenedElement& e, const ImageFindings& back, Findings& findings) {
  if (!back.barcode_checked || !e.reverse_side.has_value()) return;
  const QualitySignal& b = back.barcode;
  const ErrorTarget target = ErrorTarget::File("reverse_side", e, *e.reverse_side);
  const bool licence = e.type == "driver_license";
  switch (b.verdict) {
    case QualitySignal::Verdict::kNone:
      findings.Scored("barcode", "barcode", e.type, b.score, "barcode_unreadable", target, b.hint);
      break;
    case QualitySignal::Verdict::kPass:
      findings.Judged("barcode", e.type, v1::CHECK_OUTCOME_PASS, b.score, b.threshold, "", target,
                      "");
      break;
    case QualitySignal::Verdict::kReview:
      // A PDF417 that is not an AAMVA record: on a licence a person looks;
      // on an identity card it may be a national format we do not read.
      if (licence) {
        findings.Judged("barcode", e.type, v1::CHECK_OUTCOME_REVIEW, b.score, b.threshold,
                        "barcode_not_aamva", target, b.hint);
      }
      break;
    case QualitySignal::Verdict::kFail:
      // No PDF417 decoded on a licence back. Licences from outside North
      // America carry none, so this cannot tell an unreadable barcode from
      // a licence without one: a person looks (never a reject by itself).
      findings.Judged("barcode", e.type, v1::CHECK_OUTCOME_REVIEW, b.score, b.threshold,
                      "barcode_not_found", target, b.hint);
      break;
    case QualitySignal::Verdict::kUnavailable:
      break;  // Optional and absent (identity cards).
  }
}

// An AAMVA name in the form NameMatchesMrz compares with: A-Z and single
// spaces (hyphens and spaces separate, apostrophes are dropped).
std::string BarcodeName(absl::string_view name) {
  const std::vector<std::string> spellings = MrzSpellings(name);
  return spellings.empty() ? NormalizeMrzName(name) : spellings.front();
}

// The barcode's record against what the user typed (names, birth date,
// gender, document number, expiry date).
void CheckBarcodeConsistency(const BarcodeFields& b, const OpenedElement& e,
                             const OpenedElement* personal, Findings& findings) {
  findings.Binary("barcode_vs_typed.document_no", e.type,
                  !MrzDocumentNumber(e.Field("document_no")).empty() &&
                      MrzDocumentNumber(e.Field("document_no")) ==
                          MrzDocumentNumber(b.document_number),
                  "document_number_mismatch", ErrorTarget::Data(e, "document_no"));
  if (!e.Field("expiry_date").empty() && !b.expiry_date.empty()) {
    const std::optional<absl::CivilDay> typed = ParseTypedDate(e.Field("expiry_date"));
    findings.Binary("barcode_vs_typed.expiry_date", e.type,
                    typed.has_value() && ParseIsoDate(b.expiry_date) == typed,
                    "expiry_date_mismatch", ErrorTarget::Data(e, "expiry_date"));
  }
  if (personal == nullptr) return;
  const OpenedElement& p = *personal;
  const std::string family = BarcodeName(b.family_name);
  const bool last_ok = NameMatchesMrz(p.Field("last_name"), family, b.family_name_truncated) ||
                       NameMatchesMrz(p.Field("last_name_native"), family,
                                      b.family_name_truncated);
  findings.Binary("barcode_vs_typed.last_name", p.type, last_ok, "last_name_mismatch",
                  ErrorTarget::Data(p, "last_name"));
  const std::string first = BarcodeName(b.first_name);
  const std::string first_middle =
      b.middle_names.empty() ? first : BarcodeName(absl::StrCat(b.first_name, " ", b.middle_names));
  const auto given = [&](absl::string_view typed_first, absl::string_view typed_middle) {
    if (NameMatchesMrz(typed_first, first, b.first_name_truncated)) return true;
    return !typed_middle.empty() &&
           NameMatchesMrz(absl::StrCat(typed_first, " ", typed_middle), first_middle,
                          b.first_name_truncated);
  };
  const bool first_ok = given(p.Field("first_name"), p.Field("middle_name")) ||
                        given(p.Field("first_name_native"), p.Field("middle_name_native"));
  findings.Binary("barcode_vs_typed.first_name", p.type, first_ok, "first_name_mismatch",
                  ErrorTarget::Data(p, "first_name"));
  if (!b.birth_date.empty()) {
    const std::optional<absl::CivilDay> typed_birth = ParseTypedDate(p.Field("birth_date"));
    findings.Binary("barcode_vs_typed.birth_date", p.type,
                    typed_birth.has_value() && typed_birth == ParseIsoDate(b.birth_date),
                    "birth_date_mismatch", ErrorTarget::Data(p, "birth_date"));
  }
  if (b.sex == "M" || b.sex == "F") {
    const std::string& gender = p.Field("gender");
    const bool ok = (gender == "male" && b.sex == "M") || (gender == "female" && b.sex == "F");
    findings.Binary("barcode_vs_typed.gender", p.type, ok, "gender_mismatch",
                    ErrorTarget::Data(p, "gender"));
  }
}

// The MRZ check for an identity document, given what its sides yielded.
void CheckMrz(const DocumentReading& doc, bool any_side_read, Findings& findings) {
  const OpenedElement& e = *doc.element;
  const ErrorTarget target = e.front_side.has_value()
                                 ? ErrorTarget::File("front_side", e, *e.front_side)
                                 : ErrorTarget::Unspecified(e);
  if (!any_side_read) return;  // The image checks already failed or are unavailable.
  if (!doc.mrz_checked) {
    findings.Unavailable("mrz", e.type, "mrz_reader_unavailable", target);
    return;
  }
  if (!doc.mrz.has_value() && doc.mrz_unreadable) {
    // The reader found the band but will not vouch for its reading: a person
    // compares (ocr never reports a doubtful read as valid).
    findings.Review("mrz", e.type, "mrz_unreadable");
    return;
  }
  if (!doc.mrz.has_value()) {
    // Passports always carry an MRZ (ICAO 9303 Part 4); other documents
    // may not, and then a person compares the typed data with the scan,
    // unless the back's barcode gave a record to compare it with.
    if (e.type != "passport" && doc.aamva.has_value()) {
      findings.Skipped("mrz", e.type, "mrz_absent_barcode_read");
    } else if (e.type == "passport") {
      findings.Binary("mrz", e.type, false, "mrz_not_found", target);
    } else if (e.type == "identity_card" && doc.back_read) {
      // ICAO 9303-5 cards print the MRZ on the back, and the back shows
      // none: the reviewer is told so (not "mrz_unreadable": no band).
      findings.Review("mrz", e.type, "mrz_not_found");
    } else {
      findings.Review("mrz", e.type, "mrz_absent");
    }
    return;
  }
  if (!doc.mrz->check_digits_ok) {
    findings.Binary("mrz", e.type, false, "mrz_check_digits", target);
    return;
  }
  findings.Scored("mrz", "mrz", e.type, doc.mrz->confidence, "mrz_low_confidence", target);
}

// MRZ against what the user typed, and the policy's document rules.
void CheckConsistency(const DocumentReading& doc, const OpenedElement* personal,
                      const Policy& policy, absl::CivilDay today, Findings& findings) {
  const OpenedElement& e = *doc.element;
  const std::optional<MrzFields>& mrz = doc.mrz;
  const bool mrz_usable = mrz.has_value() && mrz->check_digits_ok;

  // Document type and issuing country rules.
  if (!policy.allowed_document_types.empty()) {
    const bool ok = std::find(policy.allowed_document_types.begin(),
                              policy.allowed_document_types.end(),
                              e.type) != policy.allowed_document_types.end();
    findings.Binary("document_type_allowed", e.type, ok, "document_type_not_allowed",
                    ErrorTarget::Unspecified(e));
  }
  const std::optional<BarcodeFields>& aamva = doc.aamva;
  if (!policy.allowed_issuing_countries.empty()) {
    // The MRZ's issuing state, else the barcode's country (USA / CAN).
    const std::string issuing = mrz_usable                                 ? mrz->issuing_state
                                : aamva.has_value() && !aamva->country.empty() ? aamva->country
                                                                               : "";
    if (issuing.empty()) {
      findings.Review("issuing_country_allowed", e.type, "issuing_country_unknown");
    } else {
      const std::string state = NormalizeIcaoState(issuing);
      bool ok = false;
      for (const std::string& c : policy.allowed_issuing_countries) {
        ok = ok || c == issuing || NormalizeIcaoState(c) == state;
      }
      findings.Binary("issuing_country_allowed", e.type, ok, "issuing_country_not_allowed",
                      ErrorTarget::Unspecified(e));
    }
  }

  // Expiry: the MRZ's when read, else the barcode's, else the typed one.
  std::optional<absl::CivilDay> expiry;
  if (mrz_usable) expiry = ParseIsoDate(mrz->expiry_date);
  if (!expiry.has_value() && aamva.has_value()) expiry = ParseIsoDate(aamva->expiry_date);
  if (!expiry.has_value()) expiry = ParseTypedDate(e.Field("expiry_date"));
  const ErrorTarget front = e.front_side.has_value()
                                ? ErrorTarget::File("front_side", e, *e.front_side)
                                : ErrorTarget::Unspecified(e);
  if (expiry.has_value()) {
    findings.Binary("expiry", e.type, *expiry >= today, "document_expired", front);
  } else {
    findings.Skipped("expiry", e.type, "no_expiry_date");
  }

  if (mrz_usable) {
    const std::string typed_number = MrzDocumentNumber(e.Field("document_no"));
    findings.Binary("mrz_vs_typed.document_no", e.type,
                    !typed_number.empty() && typed_number == MrzDocumentNumber(mrz->document_number),
                    "document_number_mismatch", ErrorTarget::Data(e, "document_no"));
    if (!e.Field("expiry_date").empty()) {
      const std::optional<absl::CivilDay> typed = ParseTypedDate(e.Field("expiry_date"));
      findings.Binary("mrz_vs_typed.expiry_date", e.type,
                      typed.has_value() && ParseIsoDate(mrz->expiry_date) == typed,
                      "expiry_date_mismatch", ErrorTarget::Data(e, "expiry_date"));
    }
  }

  if (aamva.has_value()) CheckBarcodeConsistency(*aamva, e, personal, findings);

  // Personal details against the MRZ.
  std::optional<absl::CivilDay> birth;
  if (mrz_usable) birth = ParseIsoDate(mrz->birth_date);
  if (!birth.has_value() && aamva.has_value()) birth = ParseIsoDate(aamva->birth_date);
  if (personal != nullptr && mrz_usable) {
    const OpenedElement& p = *personal;
    const bool truncated = NameFieldFull(*mrz);
    const bool last_ok = NameMatchesMrz(p.Field("last_name"), mrz->surname, truncated) ||
                         NameMatchesMrz(p.Field("last_name_native"), mrz->surname, truncated);
    findings.Binary("mrz_vs_typed.last_name", p.type, last_ok, "last_name_mismatch",
                    ErrorTarget::Data(p, "last_name"));
    const auto given = [&](absl::string_view first, absl::string_view middle) {
      return NameMatchesMrz(first, mrz->given_names, truncated) ||
             (!middle.empty() &&
              NameMatchesMrz(absl::StrCat(first, " ", middle), mrz->given_names, truncated));
    };
    const bool first_ok = given(p.Field("first_name"), p.Field("middle_name")) ||
                          given(p.Field("first_name_native"), p.Field("middle_name_native"));
    findings.Binary("mrz_vs_typed.first_name", p.type, first_ok, "first_name_mismatch",
                    ErrorTarget::Data(p, "first_name"));
    const std::optional<absl::CivilDay> typed_birth = ParseTypedDate(p.Field("birth_date"));
    findings.Binary("mrz_vs_typed.birth_date", p.type,
                    typed_birth.has_value() && typed_birth == birth, "birth_date_mismatch",
                    ErrorTarget::Data(p, "birth_date"));
    const std::string& gender = p.Field("gender");
    const std::string& sex = mrz->sex;
    if (sex == "M" || sex == "F") {
      const bool ok = (gender == "male" && sex == "M") || (gender == "female" && sex == "F");
      findings.Binary("mrz_vs_typed.gender", p.type, ok, "gender_mismatch",
                      ErrorTarget::Data(p, "gender"));
    } else {
      findings.Skipped("mrz_vs_typed.gender", p.type, "gender_unspecified_in_mrz");
    }
    const absl::string_view alpha3 = Alpha2ToAlpha3(p.Field("country_code"));
    findings.Binary("mrz_vs_typed.country_code", p.type,
                    !alpha3.empty() && alpha3 == NormalizeIcaoState(mrz->nationality),
                    "nationality_mismatch", ErrorTarget::Data(p, "country_code"));
  }

  // Minimum age, from the MRZ's birth date, else the typed one.
  if (policy.minimum_age > 0) {
    if (!birth.has_value() && personal != nullptr) {
      birth = ParseTypedDate(personal->Field("birth_date"));
    }
    const OpenedElement* age_element = personal != nullptr ? personal : &e;
    if (!birth.has_value()) {
      findings.Binary("minimum_age", age_element->type, false, "birth_date_missing",
                      personal != nullptr ? ErrorTarget::Data(*personal, "birth_date")
                                          : ErrorTarget::None());
    } else {
      findings.Binary("minimum_age", age_element->type,
                      AgeOn(*birth, today) >= policy.minimum_age, "under_minimum_age",
                      ErrorTarget::Unspecified(*age_element));
    }
  }
}

void AddImage(const OpenedFile& f, absl::string_view source, v1::SealedElement& e) {
  v1::SealedImage& i = *e.add_images();
  i.set_source(std::string(source));
  i.set_file_hash(f.file_hash);
  i.mutable_content()->assign(f.content.view().data(), f.content.view().size());
}

// Review queue: the decrypted submission and the pending attestation, for
// the caller to seal.
void FillReviewContent(const OpenedSubmission& submission,
                       const std::vector<DocumentReading>& documents,
                       const AttestationRequest& attest, const v1::VerifyRequest& request,
                       const Policy& policy, absl::string_view relying_service,
                       const v1::Summary& summary, v1::CaseContent& out) {
  for (const OpenedElement& e : submission.elements) {
    v1::SealedElement& s = *out.add_elements();
    s.set_type(e.type);
    s.set_element_hash(e.element_hash);
    s.set_data_hash(e.data_hash);
    for (const auto& [k, v] : e.fields) (*s.mutable_fields())[k] = v;
    if (e.front_side.has_value()) AddImage(*e.front_side, "front_side", s);
    if (e.reverse_side.has_value()) AddImage(*e.reverse_side, "reverse_side", s);
    if (e.selfie.has_value()) AddImage(*e.selfie, "selfie", s);
    for (const OpenedFile& f : e.files) AddImage(f, "file", s);
    for (const OpenedFile& f : e.translation) AddImage(f, "translation_file", s);
    for (const DocumentReading& d : documents) {
      if (d.element != &e || !d.mrz.has_value()) continue;
      auto& m = *s.mutable_mrz();
      m["format"] = d.mrz->format;
      m["issuing_state"] = d.mrz->issuing_state;
      m["surname"] = d.mrz->surname;
      m["given_names"] = d.mrz->given_names;
      m["document_number"] = d.mrz->document_number;
      m["nationality"] = d.mrz->nationality;
      m["birth_date"] = d.mrz->birth_date;
      m["sex"] = d.mrz->sex;
      m["expiry_date"] = d.mrz->expiry_date;
    }
  }
  v1::PendingAttestation& a = *out.mutable_attestation();
  const v1::AttestationOptions& options = request.attestation();
  if (options.has_wallet()) {
    a.set_holder_jwk_json(options.wallet().holder_jwk_json());
    a.set_lifetime_seconds(absl::ToInt64Seconds(policy.wallet_lifetime));
  } else {
    a.set_audience(options.has_direct() && !options.direct().audience().empty()
                       ? options.direct().audience()
                       : std::string(relying_service));
    a.set_lifetime_seconds(absl::ToInt64Seconds(policy.direct_lifetime));
  }
  a.set_telegram_user_id(request.telegram_user_id());
  a.set_relying_service(std::string(relying_service));
  const AttestationClaims& c = attest.claims;
  for (int age : c.age_equal_or_over) a.add_age_equal_or_over(age);
  for (const std::string& n : c.nationalities) a.add_nationalities(n);
  a.set_include_verification(c.include_verification);
  a.set_document_type(c.document_type);
  a.set_issuing_country(c.issuing_country);
  for (const std::string& p : c.checks_passed) a.add_checks_passed(p);
  if (c.given_name.has_value()) a.set_given_name(*c.given_name);
  if (c.family_name.has_value()) a.set_family_name(*c.family_name);
  if (c.birthdate.has_value()) a.set_birthdate(*c.birthdate);
  *a.mutable_summary() = summary;
}

}  // namespace

absl::StatusOr<std::string> PassportDataJson(const v1::VerifyRequest& request) {
  if (request.has_passport_data_json()) return request.passport_data_json();
  if (!request.has_passport_data()) {
    return absl::InvalidArgumentError("passport_data or passport_data_json is required");
  }
  const auto file = [](const v1::PassportFile& f) {
    return nlohmann::json{{"file_id", f.file_id()}, {"file_unique_id", f.file_unique_id()},
                          {"file_size", f.file_size()}, {"file_date", f.file_date()}};
  };
  nlohmann::json data = nlohmann::json::array();
  for (const v1::EncryptedPassportElement& e : request.passport_data().data()) {
    nlohmann::json j{{"type", e.type()}, {"hash", e.hash()}};
    if (!e.data().empty()) j["data"] = e.data();
    if (!e.phone_number().empty()) j["phone_number"] = e.phone_number();
    if (!e.email().empty()) j["email"] = e.email();
    if (e.has_front_side()) j["front_side"] = file(e.front_side());
    if (e.has_reverse_side()) j["reverse_side"] = file(e.reverse_side());
    if (e.has_selfie()) j["selfie"] = file(e.selfie());
    if (e.files_size() > 0) {
      j["files"] = nlohmann::json::array();
      for (const auto& f : e.files()) j["files"].push_back(file(f));
    }
    if (e.translation_size() > 0) {
      j["translation"] = nlohmann::json::array();
      for (const auto& f : e.translation()) j["translation"].push_back(file(f));
    }
    data.push_back(std::move(j));
  }
  const v1::EncryptedCredentials& c = request.passport_data().credentials();
  nlohmann::json out{{"data", std::move(data)},
                     {"credentials",
                      {{"data", c.data()}, {"hash", c.hash()}, {"secret", c.secret()}}}};
  return out.dump();
}

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
      j["file_hashes"] = nlohmann::json(std::vector<std::string>(e.file_hashes().begin(),
                                                                 e.file_hashes().end()));
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
    const PipelineInput& input, DocumentReader& reader,
    const std::function<bool()>& cancelled, const StageObserver& observer) {
  const v1::VerifyRequest& request = *input.request;
  const Policy& policy = *input.policy;
  const auto stage_done = [&](absl::string_view stage, absl::Time start) {
    if (observer) observer(stage, clock_.Now() - start);
  };
  const auto check_cancelled = [&]() -> absl::Status {
    if (cancelled && cancelled()) return absl::CancelledError("verification cancelled");
    return absl::OkStatus();
  };

  // 1. Decrypt.
  absl::Time start = clock_.Now();
  VOUCH_ASSIGN_OR_RETURN(const std::string passport_json, PassportDataJson(request));
  SealedSubmission sealed;
  sealed.passport_data_json = passport_json;
  sealed.nonce = request.nonce();
  sealed.relying_service = input.relying_service;
  for (const v1::EncryptedFile& f : request.files()) sealed.files[f.file_id()] = f.content();
  VOUCH_ASSIGN_OR_RETURN(const OpenedSubmission submission, opener_.Open(sealed));
  stage_done("decrypt", start);
  VOUCH_RETURN_IF_ERROR(check_cancelled());

  Findings findings(policy);
  v1::VerificationResult result;
  result.set_policy(policy.name);

  // 2. Required elements.
  for (const std::vector<std::string>& alternatives : policy.required_elements) {
    bool present = false;
    for (const std::string& type : alternatives) present = present || submission.Find(type);
    findings.Binary(absl::StrCat("required.", absl::StrJoin(alternatives, "|")), "", present,
                    "required_element_missing", ErrorTarget::None());
  }

  // 3. Per-element image checks. The reader drops what it kept of this
  // submission's images when Run returns, however it returns.
  struct ForgetOnReturn {
    DocumentReader& reader;
    ~ForgetOnReturn() { reader.Forget(); }
  } forget_on_return{reader};
  start = clock_.Now();
  std::vector<DocumentReading> documents;
  for (const OpenedElement& e : submission.elements) {
    VOUCH_RETURN_IF_ERROR(check_cancelled());
    result.mutable_summary()->add_element_types(e.type);
    if (OneOf(e.type, kIdDocumentTypes)) {
      DocumentReading doc{&e, std::nullopt, false, false, std::nullopt};
      bool any_side_read = false;
      bool front_read = false;
      if (e.front_side.has_value()) {
        VOUCH_ASSIGN_OR_RETURN(
            std::optional<ImageFindings> front,
            ReadImage(reader, e, *e.front_side, "front_side", ImageRole::kIdFront, findings));
        if (front.has_value()) {
          any_side_read = front_read = true;
          doc.mrz = front->mrz;
          doc.mrz_checked = front->mrz_checked;
          doc.mrz_unreadable = front->mrz_unreadable;
        }
      } else {
        findings.Binary("image.front_side", e.type, false, "front_side_missing",
                        ErrorTarget::Unspecified(e));
      }
      if (e.reverse_side.has_value()) {
        VOUCH_ASSIGN_OR_RETURN(
            std::optional<ImageFindings> back,
            ReadImage(reader, e, *e.reverse_side, "reverse_side", ImageRole::kIdBack, findings));
        if (back.has_value()) {
          any_side_read = true;
          doc.back_read = true;
          // TD1 identity cards carry the MRZ on the back.
          if (!doc.mrz.has_value()) doc.mrz = back->mrz;
          doc.mrz_checked = doc.mrz_checked || back->mrz_checked;
          doc.mrz_unreadable = doc.mrz_unreadable || back->mrz_unreadable;
          CheckBarcode(e, *back, findings);
          if (back->barcode_checked && back->barcode.verdict == QualitySignal::Verdict::kPass) {
            doc.aamva = back->aamva;
          }
        }
      }
      CheckMrz(doc, any_side_read, findings);
      VOUCH_RETURN_IF_ERROR(check_cancelled());
      if (e.selfie.has_value() && e.front_side.has_value()) {
        const ErrorTarget target = ErrorTarget::File("selfie", e, *e.selfie);
        if (!front_read) {
          findings.Skipped("face_match", e.type, "document_unreadable");
        } else {
          absl::StatusOr<double> similarity =
              reader.FaceMatch(e.front_side->content.view(), e.selfie->content.view());
          if (absl::IsNotFound(similarity.status())) {
            findings.Binary("face_match", e.type, false, "face_not_found", target);
          } else if (absl::IsInvalidArgument(similarity.status())) {
            findings.Binary("face_match", e.type, false, "image_unreadable", target);
          } else if (absl::IsResourceExhausted(similarity.status())) {
            findings.Binary("face_match", e.type, false, "image_too_large", target);
          } else if (absl::IsUnimplemented(similarity.status())) {
            findings.Unavailable("face_match", e.type, "face_match_unavailable", target);
          } else if (!similarity.ok()) {
            return similarity.status();
          } else {
            findings.Scored("face_match", "face_match", e.type, *similarity, "face_mismatch",
                            target);
          }
        }
      } else if (policy.require_selfie) {
        findings.Binary("face_match", e.type, false, "selfie_missing",
                        ErrorTarget::Unspecified(e));
      }
      for (const OpenedFile& t : e.translation) {
        VOUCH_RETURN_IF_ERROR(
            ReadImage(reader, e, t, "translation_file", ImageRole::kTranslation, findings)
                .status());
      }
      documents.push_back(std::move(doc));
    } else if (OneOf(e.type, kAddressDocumentTypes)) {
      for (const OpenedFile& f : e.files) {
        VOUCH_ASSIGN_OR_RETURN(
            std::optional<ImageFindings> read,
            ReadImage(reader, e, f, "file", ImageRole::kAddressDocument, findings));
        if (read.has_value()) {
          findings.Scored("text_presence", "text_presence", e.type, read->text_presence,
                          "text_missing", ErrorTarget::File("file", e, f));
        }
      }
      for (const OpenedFile& t : e.translation) {
        VOUCH_RETURN_IF_ERROR(
            ReadImage(reader, e, t, "translation_file", ImageRole::kTranslation, findings)
                .status());
      }
    }
  }
  stage_done("documents", start);
  VOUCH_RETURN_IF_ERROR(check_cancelled());

  // 4. Consistency and policy rules.
  start = clock_.Now();
  const absl::Time now = clock_.Now();
  const absl::CivilDay today = absl::ToCivilDay(now, absl::UTCTimeZone());
  const OpenedElement* personal = submission.Find("personal_details");
  for (const DocumentReading& doc : documents) {
    CheckConsistency(doc, personal, policy, today, findings);
  }
  if (documents.empty() && policy.minimum_age > 0) {
    findings.Review("minimum_age", "personal_details", "no_identity_document");
  }
  stage_done("consistency", start);

  // 5. Decision.
  findings.ConfirmFraud();
  const v1::Decision decision = findings.Decide();
  result.set_decision(decision);
  const std::vector<std::string> passed = findings.Passed();
  findings.MoveInto(result);
  result.set_errors_json(PassportErrorsJson(result.errors()));
  const bool capture = decision == v1::DECISION_NEEDS_REVIEW && input.review_content != nullptr;
  if (decision != v1::DECISION_VERIFIED && !capture) return result;
  // A case keeps what approving it would attest; the result does not show
  // it until then.
  const v1::Summary undecided_summary = result.summary();

  // 6. Summary and attestation, limited to what the policy discloses.
  const DocumentReading* doc = documents.empty() ? nullptr : &documents.front();
  const MrzFields* mrz = doc != nullptr && doc->mrz.has_value() ? &*doc->mrz : nullptr;
  std::optional<absl::CivilDay> birth;
  if (mrz != nullptr) birth = ParseIsoDate(mrz->birth_date);
  if (!birth.has_value() && doc != nullptr && doc->aamva.has_value()) {
    birth = ParseIsoDate(doc->aamva->birth_date);
  }
  if (!birth.has_value() && personal != nullptr) {
    birth = ParseTypedDate(personal->Field("birth_date"));
  }
  std::set<std::string> wanted(request.attestation().claims().begin(),
                               request.attestation().claims().end());
  const auto discloses = [&](absl::string_view claim) {
    return policy.Discloses(claim) && (wanted.empty() || wanted.contains(std::string(claim)));
  };
  AttestationRequest attest;
  AttestationClaims& claims = attest.claims;
  claims.verification_time = now;
  v1::Summary& summary = *result.mutable_summary();
  if (discloses("age_equal_or_over") && birth.has_value()) {
    const int age = AgeOn(*birth, today);
    for (int threshold : policy.age_thresholds) {
      if (age >= threshold) {
        claims.age_equal_or_over.push_back(threshold);
        summary.add_age_equal_or_over(threshold);
      }
    }
  }
  if (discloses("nationalities") && personal != nullptr &&
      !personal->Field("country_code").empty()) {
    claims.nationalities.push_back(personal->Field("country_code"));
    summary.set_nationality(personal->Field("country_code"));
  }
  if (doc != nullptr) {
    if (discloses("verification") || discloses("document_type")) {
      summary.set_document_type(doc->element->type);
    }
    if (discloses("verification") || discloses("issuing_country")) {
      if (mrz != nullptr) {
        summary.set_issuing_country(mrz->issuing_state);
      } else if (doc->aamva.has_value()) {
        summary.set_issuing_country(doc->aamva->country);
      }
    }
  }
  if (discloses("verification")) {
    claims.include_verification = true;
    claims.document_type = summary.document_type();
    claims.issuing_country = summary.issuing_country();
    claims.checks_passed = passed;
  }
  if (personal != nullptr) {
    if (discloses("given_name")) claims.given_name = personal->Field("first_name");
    if (discloses("family_name")) claims.family_name = personal->Field("last_name");
  }
  if (discloses("birthdate") && birth.has_value()) {
    claims.birthdate = absl::FormatCivilTime(*birth);
  }
  if (capture) {
    FillReviewContent(submission, documents, attest, request, policy, input.relying_service,
                      result.summary(), *input.review_content);
    *result.mutable_summary() = undecided_summary;
    return result;
  }
  if (issuer_ == nullptr) {
    return absl::FailedPreconditionError("no attestation issuer is configured");
  }
  VOUCH_RETURN_IF_ERROR(check_cancelled());
  start = clock_.Now();
  const v1::AttestationOptions& options = request.attestation();
  if (options.has_wallet()) {
    attest.holder_jwk_json = options.wallet().holder_jwk_json();
    attest.lifetime = policy.wallet_lifetime;
  } else {
    attest.audience = options.has_direct() && !options.direct().audience().empty()
                          ? options.direct().audience()
                          : input.relying_service;
    attest.lifetime = policy.direct_lifetime;
  }
  attest.telegram_user_id = request.telegram_user_id();
  attest.relying_service = input.relying_service;
  VOUCH_ASSIGN_OR_RETURN(IssuedAttestation issued, issuer_->Issue(attest));
  // The caller records the attestation in the transaction that stores the
  // result (Store::CompleteJob / FinishVerification), never before it.
  v1::Attestation& a = *result.mutable_attestation();
  a.set_sd_jwt(std::move(issued.sd_jwt));
  a.set_format("dc+sd-jwt");
  a.set_kid(issued.kid);
  a.set_attestation_id(issued.attestation_id);
  a.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(issued.expire_time));
  a.set_status_list_uri(issued.status_list_uri);
  a.set_status_list_index(issued.status_list_index);
  stage_done("attest", start);
  return result;
}

OpenedElement::~OpenedElement() {
  for (auto& [key, value] : fields) WipeMemory(value.data(), value.size());
}

const std::string& OpenedElement::Field(absl::string_view name) const {
  static const std::string* const kEmpty = new std::string();
  auto it = fields.find(std::string(name));
  return it == fields.end() ? *kEmpty : it->second;
}

const OpenedElement* OpenedSubmission::Find(absl::string_view type) const {
  for (const OpenedElement& e : elements) {
    if (e.type == type) return &e;
  }
  return nullptr;
}

}  // namespace vouch::verifier
