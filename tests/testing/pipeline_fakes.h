#ifndef VOUCH_TESTS_TESTING_PIPELINE_FAKES_H_
#define VOUCH_TESTS_TESTING_PIPELINE_FAKES_H_

// Test fakes for the pipeline's seams (tests only). Fakes over mocks
// (STYLE.md §7.4): each is a few lines of real behaviour.

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "pipeline/attestation_issuer.h"
#include "pipeline/document_reader.h"
#include "pipeline/passport_opener.h"
#include "rpc/errors.h"
#include "testing/typed_fields.h"

namespace vouch::verifier::testing {

// A plausible submission: personal_details + passport (front side, selfie),
// after decryption. Files' content are the keys FakeDocumentReader looks up.
inline pipeline::OpenedSubmission GenuineSubmission() {
  pipeline::OpenedSubmission s;
  pipeline::OpenedElement personal;
  personal.type = "personal_details";
  personal.element_hash = "ZWxlbWVudC1oYXNoLXBk";
  personal.data_hash = "cGQtZGF0YS1oYXNo";
  SetFields(personal, {{"first_name", "Anna"},
                       {"middle_name", "Maria"},
                       {"last_name", "Eriksson"},
                       {"birth_date", "12.08.1974"},
                       {"gender", "female"},
                       {"country_code", "SE"},
                       {"residence_country_code", "SE"}});
  pipeline::OpenedElement passport;
  passport.type = "passport";
  passport.element_hash = "ZWxlbWVudC1oYXNoLXBw";
  passport.data_hash = "cHAtZGF0YS1oYXNo";
  SetFields(passport, {{"document_no", "L898902C3"}, {"expiry_date", "15.04.2032"}});
  passport.front_side = pipeline::OpenedFile{"front-id", "ZnJvbnQtaGFzaA==", SecureBytes("front")};
  passport.selfie = pipeline::OpenedFile{"selfie-id", "c2VsZmllLWhhc2g=", SecureBytes("selfie")};
  s.elements.push_back(std::move(personal));
  s.elements.push_back(std::move(passport));
  return s;
}

// A US driver licence record (AAMVA) matching LicenceSubmission().
inline pipeline::BarcodeFields SpecimenAamva() {
  pipeline::BarcodeFields b;
  b.family_name = "SAMPLE";
  b.first_name = "ALEX";
  b.middle_names = "J";
  b.document_number = "D1234567";
  b.sex = "F";
  b.birth_date = absl::CivilDay(1990, 1, 15);
  b.expiry_date = absl::CivilDay(2032, 1, 15);
  b.country = "USA";
  return b;
}

// personal_details + driver_license (front side "licence-front", reverse
// side "licence-back", selfie), consistent with SpecimenAamva().
inline pipeline::OpenedSubmission LicenceSubmission() {
  pipeline::OpenedSubmission s;
  pipeline::OpenedElement personal;
  personal.type = "personal_details";
  personal.element_hash = "ZWxlbWVudC1oYXNoLXBk";
  personal.data_hash = "cGQtZGF0YS1oYXNo";
  SetFields(personal, {{"first_name", "Alex"},
                       {"middle_name", "J"},
                       {"last_name", "Sample"},
                       {"birth_date", "15.01.1990"},
                       {"gender", "female"},
                       {"country_code", "US"},
                       {"residence_country_code", "US"}});
  pipeline::OpenedElement licence;
  licence.type = "driver_license";
  licence.element_hash = "ZWxlbWVudC1oYXNoLWRs";
  licence.data_hash = "ZGwtZGF0YS1oYXNo";
  SetFields(licence, {{"document_no", "D1234567"}, {"expiry_date", "15.01.2032"}});
  licence.front_side = pipeline::OpenedFile{"lf-id", "bGYtaGFzaA==", SecureBytes("licence-front")};
  licence.reverse_side = pipeline::OpenedFile{"lb-id", "bGItaGFzaA==", SecureBytes("licence-back")};
  licence.selfie = pipeline::OpenedFile{"selfie-id", "c2VsZmllLWhhc2g=", SecureBytes("selfie")};
  s.elements.push_back(std::move(personal));
  s.elements.push_back(std::move(licence));
  return s;
}

// The MRZ of ICAO Doc 9303 Part 4 Appendix A's specimen, with the issuing
// state and nationality changed to SWE and the expiry moved to 2032.
inline pipeline::MrzFields SpecimenMrz() {
  pipeline::MrzFields m;
  m.format = "TD3";
  m.document_code = "P";
  m.issuing_state = "SWE";
  m.surname = "ERIKSSON";
  m.given_names = "ANNA MARIA";
  m.document_number = "L898902C3";
  m.nationality = "SWE";
  m.birth_date = absl::CivilDay(1974, 8, 12);
  m.sex = "F";
  m.expiry_date = absl::CivilDay(2032, 4, 15);
  m.check_digits_ok = true;
  m.confidence = 0.99;
  return m;
}

// Opens every submission to what `make` returns (or fails with `status`).
class FakePassportOpener final : public pipeline::PassportOpener {
 public:
  std::function<absl::StatusOr<pipeline::OpenedSubmission>()> make = [] {
    return absl::StatusOr<pipeline::OpenedSubmission>(GenuineSubmission());
  };
  std::string expected_nonce = "nonce-1";
  // Called with every submission before it is opened, when set.
  std::function<void(const pipeline::SealedSubmission&)> observe;

  absl::StatusOr<pipeline::OpenedSubmission> Open(const pipeline::SealedSubmission& s) override {
    if (observe) observe(s);
    if (s.nonce != expected_nonce) {
      return rpc::WithReason(absl::InvalidArgumentError("nonce does not match"),
                             rpc::reasons::kNonceMismatch);
    }
    return make();
  }
};

// Answers Read() by image content; FaceMatch() with `similarity`.
class FakeDocumentReader final : public pipeline::DocumentReader {
 public:
  FakeDocumentReader() {
    pipeline::ImageFindings front;
    front.quality_checked = true;
    front.mrz_checked = true;
    front.quality = {{"focus", 0.9, "too blurry: retake in daylight"}};
    front.mrz = SpecimenMrz();
    front.faces = 1;
    by_content["front"] = front;
    pipeline::ImageFindings selfie;
    selfie.quality_checked = true;
    selfie.faces = 1;
    by_content["selfie"] = selfie;
    // A licence: no MRZ; the back's PDF417 holds SpecimenAamva().
    pipeline::ImageFindings licence_front = front;
    licence_front.mrz.reset();
    by_content["licence-front"] = licence_front;
    pipeline::ImageFindings licence_back;
    licence_back.quality_checked = true;
    licence_back.mrz_checked = true;
    licence_back.barcode_checked = true;
    licence_back.barcode = {"barcode", 1.0, "barcode read", 1.0,
                            pipeline::QualitySignal::Verdict::kPass};
    licence_back.aamva = SpecimenAamva();
    by_content["licence-back"] = licence_back;
  }

  absl::StatusOr<pipeline::ImageFindings> Read(absl::string_view image, pipeline::ImageRole,
                                               absl::string_view element_type) override {
    ++reads;
    last_element_type = std::string(element_type);
    if (auto it = errors.find(std::string(image)); it != errors.end()) return it->second;
    auto it = by_content.find(std::string(image));
    if (it == by_content.end()) return absl::InvalidArgumentError("not an image");
    return it->second;
  }
  absl::StatusOr<double> FaceMatch(absl::string_view, absl::string_view) override {
    return similarity;
  }
  void Forget() override { ++forgets; }
  // The face 1:N index: `face_embedding` for every face (empty: none).
  std::vector<float> TakeFaceEmbedding() override { return face_embedding; }
  absl::StatusOr<std::vector<float>> PortraitEmbedding(absl::string_view) override {
    ++portrait_embeddings;
    if (face_embedding.empty()) return absl::NotFoundError("no usable portrait");
    return face_embedding;
  }

  std::vector<float> face_embedding;
  int portrait_embeddings = 0;
  std::map<std::string, pipeline::ImageFindings> by_content;
  std::map<std::string, absl::Status> errors;
  absl::StatusOr<double> similarity = 0.8;
  int reads = 0;
  std::string last_element_type;
  int forgets = 0;
};

class FakeDocumentReaderFactory final : public pipeline::DocumentReaderFactory {
 public:
  std::function<void(FakeDocumentReader&)> configure = [](FakeDocumentReader&) {};
  absl::StatusOr<std::unique_ptr<pipeline::DocumentReader>> NewReader() override {
    auto reader = std::make_unique<FakeDocumentReader>();
    configure(*reader);
    return std::unique_ptr<pipeline::DocumentReader>(std::move(reader));
  }
};

// Readers that block in Read() until `release` is notified (a job held in flight); `entered`
// is notified when the first Read() starts.
class GatedReaderFactory final : public pipeline::DocumentReaderFactory {
 public:
  absl::Notification release;
  absl::Notification entered;
  absl::StatusOr<std::unique_ptr<pipeline::DocumentReader>> NewReader() override {
    class Reader final : public pipeline::DocumentReader {
     public:
      explicit Reader(GatedReaderFactory& f) : f_(f) {}
      absl::StatusOr<pipeline::ImageFindings> Read(absl::string_view image,
                                                   pipeline::ImageRole role,
                                                   absl::string_view element_type) override {
        if (!f_.entered.HasBeenNotified()) f_.entered.Notify();
        f_.release.WaitForNotification();
        return inner_.Read(image, role, element_type);
      }
      absl::StatusOr<double> FaceMatch(absl::string_view a, absl::string_view b) override {
        return inner_.FaceMatch(a, b);
      }
      GatedReaderFactory& f_;
      FakeDocumentReader inner_;
    };
    return std::unique_ptr<pipeline::DocumentReader>(new Reader(*this));
  }
};

// Issues "attestations" that are the JSON-ish dump of the request: tests can
// see what would have been signed.
class FakeAttestationIssuer final : public pipeline::AttestationIssuer {
 public:
  absl::StatusOr<pipeline::IssuedAttestation> Issue(
      const pipeline::AttestationRequest& r) override {
    absl::MutexLock lock(&mu_);
    last_request = r;
    ++issued;
    pipeline::IssuedAttestation a;
    a.attestation_id = absl::StrCat("att-", issued);
    a.sd_jwt = absl::StrCat("header.payload.sig~aud=", r.audience, "~");
    a.kid = "kid-1";
    a.expire_time = absl::FromUnixSeconds(2'000'000'000);
    if (!r.holder_jwk_json.empty()) {
      a.status_list_uri = "https://vouch.invalid/status/1";
      a.status_list_index = 1000 + issued;
    }
    return a;
  }
  absl::StatusOr<std::string> Jwks() override { return std::string(R"({"keys":[]})"); }
  absl::StatusOr<std::string> IssuerMetadata() override {
    return std::string(R"({"issuer":"https://vouch.invalid"})");
  }
  absl::StatusOr<std::string> StatusList(const std::string& uri) override {
    if (uri != "https://vouch.invalid/status/1") return absl::NotFoundError("unknown list");
    return std::string("status.list.jwt");
  }
  absl::StatusOr<bool> Revoke(const std::string& attestation_id, bool) override {
    absl::MutexLock lock(&mu_);
    revoked.push_back(attestation_id);
    return true;
  }

  absl::Mutex mu_;
  pipeline::AttestationRequest last_request;
  int issued = 0;
  std::vector<std::string> revoked;  // Revoke's ids, in order.
};

// An issuer that cannot issue (e.g. its key store went away): every call
// fails with kUnavailable "issuer unavailable".
class UnavailableIssuer final : public pipeline::AttestationIssuer {
 public:
  absl::StatusOr<pipeline::IssuedAttestation> Issue(const pipeline::AttestationRequest&) override {
    return Down();
  }
  absl::StatusOr<std::string> Jwks() override { return Down(); }
  absl::StatusOr<std::string> IssuerMetadata() override { return Down(); }
  absl::StatusOr<std::string> StatusList(const std::string&) override { return Down(); }
  absl::StatusOr<bool> Revoke(const std::string&, bool) override { return Down(); }

 private:
  static absl::Status Down() { return absl::UnavailableError("issuer unavailable"); }
};

}  // namespace vouch::verifier::testing

#endif  // VOUCH_TESTS_TESTING_PIPELINE_FAKES_H_
