#ifndef VOUCH_VERIFIER_PIPELINE_PASSPORT_OPENER_H_
#define VOUCH_VERIFIER_PIPELINE_PASSPORT_OPENER_H_

// The pipeline's view of Telegram Passport decryption. The real
// implementation adapts verifier/passport; tests pass a fake. Only the
// values the checks need cross this seam, in buffers wiped on release.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secure_bytes.h"
#include "passport/types.h"
#include "vouch/v1/passport.pb.h"

namespace vouch::verifier::pipeline {

// A decrypted file (a JPEG scan) with the hash that identifies it in
// PassportElementError.file_hash.
struct OpenedFile {
  std::string file_id;
  // FileCredentials.file_hash, standard base64, verbatim.
  std::string file_hash;
  SecureBytes content;
};

// One decrypted element. Its data is personal data: it is wiped when the
// element is destroyed and must never be logged or stored.
struct OpenedElement {
  OpenedElement() = default;
  OpenedElement(OpenedElement&&) = default;
  OpenedElement& operator=(OpenedElement&&) = default;
  ~OpenedElement();

  std::string type;
  // EncryptedPassportElement.hash, echoed in "unspecified" errors.
  std::string element_hash;
  // DataCredentials.data_hash (empty when the element has no data).
  std::string data_hash;
  // The decrypted data as verifier/passport typed it (PersonalDetails,
  // IdDocumentData, ResidentialAddress: dates and gender typed, validated;
  // std::monostate for an element without data). Read by the evidence
  // (pipeline/evidence.h), never re-parsed.
  passport::ElementData data;
  std::optional<OpenedFile> front_side;
  std::optional<OpenedFile> reverse_side;
  std::optional<OpenedFile> selfie;
  std::vector<OpenedFile> files;
  std::vector<OpenedFile> translation;
};

struct OpenedSubmission {
  std::vector<OpenedElement> elements;

  const OpenedElement* Find(absl::string_view type) const;
};

// Input of PassportOpener::Open. Views must outlive the call.
struct SealedSubmission {
  // The submission's PassportData, in one of its two forms: structured
  // (VerifyRequest.passport_data; not owned) when set, else the Bot API
  // PassportData JSON text. Openers check both alike
  // (passport::ValidatePassportData).
  const v1::PassportData* passport_data = nullptr;
  absl::string_view passport_data_json;
  // Encrypted files by file_id.
  std::map<std::string, absl::string_view, std::less<>> files;
  // The nonce the relying service issued.
  absl::string_view nonce;
  // The (authenticated) relying service; an opener may pick the Passport
  // key by it (a service may have its own key).
  absl::string_view relying_service;
};

// Decrypts a submission. Implementations are thread-safe.
class PassportOpener {
 public:
  virtual ~PassportOpener() = default;

  // Errors (messages never contain decrypted data), each with an ErrorInfo
  // reason attached (rpc/errors.h):
  //   kInvalidArgument, reason NONCE_MISMATCH for a wrong nonce, otherwise
  //     reason PASSPORT_UNREADABLE for every decoding or cryptographic
  //     failure (one generic answer: telegram-passport.md §8);
  //   kResourceExhausted, reason REQUEST_TOO_LARGE, for a configured limit;
  //   kFailedPrecondition, reason MODULE_UNAVAILABLE, when decryption is not
  //     available (no key, or the passport module is not linked).
  virtual absl::StatusOr<OpenedSubmission> Open(const SealedSubmission& submission) = 0;
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_PASSPORT_OPENER_H_
