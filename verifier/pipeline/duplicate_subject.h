#ifndef VOUCH_VERIFIER_PIPELINE_DUPLICATE_SUBJECT_H_
#define VOUCH_VERIFIER_PIPELINE_DUPLICATE_SUBJECT_H_

// The identities of a submission that duplicate detection hashes
// (docs/dedup.md), taken from the typed evidence.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "dedup/duplicate_index.h"
#include "pipeline/evidence.h"
#include "pipeline/policy.h"

namespace vouch::verifier::pipeline {

// The scope of the policy's entries: "provider", or "service:<relying
// service>".
std::string DuplicateScope(const Policy& policy, absl::string_view relying_service);

// The first identity document's identity (issuing state, element type and
// number: the valid MRZ's, else the barcode's, else the typed number when
// the issuing state was read) and the person (the typed names in their
// recommended ICAO spelling, surname first, else the valid MRZ's untruncated
// name; the resolved birth date, else the typed one). Either is absent when
// the submission does not have it.
dedup::DuplicateSubject MakeDuplicateSubject(const Evidence& evidence, std::string scope,
                                             int64_t telegram_user_id);

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_DUPLICATE_SUBJECT_H_
