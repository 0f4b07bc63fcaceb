#ifndef VOUCH_VERIFIER_PIPELINE_CHECKS_DOCUMENT_TYPE_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECKS_DOCUMENT_TYPE_CHECK_H_

// document_type_allowed: the identity document is of a type the policy
// accepts (policy key allowed_document_types; empty = any).

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "passport/types.h"
#include "pipeline/check.h"
#include "policy_key.h"

namespace vouch::verifier::pipeline {

class DocumentTypeCheck final : public DocumentCheck {
 public:
  void Run(const DocumentEvidence& doc, const Evidence&, Findings& findings) const override {
    const std::vector<std::string>& allowed = findings.policy().allowed_document_types;
    if (allowed.empty()) return;
    const std::string& type = doc.element->type;
    const bool ok = std::find(allowed.begin(), allowed.end(), type) != allowed.end();
    findings.Binary("document_type_allowed", type, ok, Reason::kDocumentTypeNotAllowed,
                    ErrorTarget::Unspecified(*doc.element));
  }

  static absl::Status ParseAllowedDocumentTypes(const PolicyValue& value, Policy& policy) {
    absl::StatusOr<std::vector<std::string>> types = value.Strings();
    if (!types.ok()) return types.status();
    for (const std::string& type : *types) {
      const std::optional<ElementType> parsed = passport::ParseElementType(type);
      if (!parsed.has_value() || !passport::IsIdDocument(*parsed)) {
        return value.Bad(absl::StrCat("not an identity document type: '", type, "'"));
      }
    }
    policy.allowed_document_types = *std::move(types);
    return absl::OkStatus();
  }
  static constexpr PolicyKey kPolicyKeys[] = {
      {"allowed_document_types", &ParseAllowedDocumentTypes}};
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECKS_DOCUMENT_TYPE_CHECK_H_
