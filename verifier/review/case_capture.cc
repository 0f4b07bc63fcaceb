#include "review/case_capture.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "base/secure_bytes.h"
#include "passport/types.h"
#include "pipeline/attestor.h"

namespace vouch::verifier::review {
namespace {

void AddImage(const pipeline::OpenedFile& f, absl::string_view source, v1::SealedElement& e) {
  v1::SealedImage& i = *e.add_images();
  i.set_source(std::string(source));
  i.set_file_hash(f.file_hash);
  i.mutable_content()->assign(f.content.view().data(), f.content.view().size());
}

// YYYY-MM-DD, as the reviewer is shown MRZ dates; "" for none.
std::string IsoDate(const std::optional<absl::CivilDay>& day) {
  return day.has_value() ? absl::FormatCivilTime(*day) : "";
}

// The MRZ's birth date as the reviewer is shown it: YYYY-MM-DD, or for a
// date the document prints partly unknown the days it may be as an ISO 8601
// interval ("1974-08-01/1974-08-31"); "" for none.
std::string BirthDate(const pipeline::MrzFields& f) {
  if (f.birth_date_range.has_value()) {
    return absl::StrCat(absl::FormatCivilTime(f.birth_date_range->earliest), "/",
                        absl::FormatCivilTime(f.birth_date_range->latest));
  }
  return IsoDate(f.birth_date);
}

}  // namespace

void CaseCapture::Capture(const pipeline::OpenedSubmission& submission,
                          const std::vector<pipeline::DocumentEvidence>& documents,
                          const pipeline::AttestationRequest& attest, const v1::Summary& summary) {
  v1::CaseContent& out = opened_.content();
  for (const pipeline::OpenedElement& e : submission.elements) {
    v1::SealedElement& s = *out.add_elements();
    s.set_type(e.type);
    s.set_element_hash(e.element_hash);
    s.set_data_hash(e.data_hash);
    // As the user typed them: the reviewer compares them with the scans.
    for (auto& [k, v] : passport::ElementDataFields(e.data)) {
      (*s.mutable_fields())[k] = v;
      WipeMemory(v.data(), v.size());
    }
    if (e.front_side.has_value()) AddImage(*e.front_side, "front_side", s);
    if (e.reverse_side.has_value()) AddImage(*e.reverse_side, "reverse_side", s);
    if (e.selfie.has_value()) AddImage(*e.selfie, "selfie", s);
    for (const pipeline::OpenedFile& f : e.files) AddImage(f, "file", s);
    for (const pipeline::OpenedFile& f : e.translation) AddImage(f, "translation_file", s);
    for (const pipeline::DocumentEvidence& d : documents) {
      if (d.element != &e || !d.mrz.has_value()) continue;
      const pipeline::MrzFields& f = d.mrz->fields;
      auto& m = *s.mutable_mrz();
      m["format"] = f.format;
      m["issuing_state"] = f.issuing_state;
      m["surname"] = f.surname;
      m["given_names"] = f.given_names;
      m["document_number"] = f.document_number;
      m["nationality"] = f.nationality;
      m["birth_date"] = BirthDate(f);
      m["sex"] = f.sex;
      m["expiry_date"] = IsoDate(f.expiry_date);
      if (!f.optional_data.empty()) m["optional_data"] = f.optional_data;
      if (!f.optional_data_2.empty()) m["optional_data_2"] = f.optional_data_2;
      if (!f.national_scheme.empty()) m["national_scheme"] = f.national_scheme;
    }
  }
  *out.mutable_attestation() = pipeline::ToPendingAttestation(attest, summary);
}

// ---- duplicate detection ----
void CaseCapture::CaptureDuplicates(const dedup::DuplicateMatches& matches) {
  v1::CaseContent& out = opened_.content();
  const auto add = [&](const std::vector<storage::DuplicateEntry>& entries, const char* kind) {
    for (const storage::DuplicateEntry& e : entries) {
      v1::DuplicateMatch& m = *out.add_duplicates();
      m.set_kind(kind);
      m.set_verification_id(e.verification_id);
      m.set_forged(e.forged);
    }
  };
  add(matches.documents, "document");
  add(matches.persons, "person");
  for (const dedup::FaceDuplicate& f : matches.faces) {  // The face 1:N index.
    v1::DuplicateMatch& m = *out.add_duplicates();
    m.set_kind("face");
    m.set_verification_id(f.verification_id);
    m.set_forged(f.forged);
    m.set_similarity(f.similarity);
  }
}

}  // namespace vouch::verifier::review
