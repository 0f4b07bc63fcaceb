#ifndef VOUCH_VERIFIER_PIPELINE_CHECK_H_
#define VOUCH_VERIFIER_PIPELINE_CHECK_H_

// The shape of a check: a small class that reads the typed evidence and the
// policy and writes findings. Adding one (docs/architecture.md, "Adding a
// check") takes a file in checks/, a line in the stage list (stages.cc), a
// row in the reasons table (reasons.h) when it needs a new reason, and a
// test of that check alone. A check that reads policy keys declares them
// beside itself (policy_key.h) and lists them in the stage list too.

#include "pipeline/evidence.h"
#include "pipeline/findings.h"
#include "pipeline/policy.h"

namespace vouch::verifier::pipeline {

// Judges one identity document. Stateless and thread-safe.
class DocumentCheck {
 public:
  virtual ~DocumentCheck() = default;
  // `evidence` is the whole submission's (the personal details, today);
  // `doc` is one of its documents.
  virtual void Run(const DocumentEvidence& doc, const Evidence& evidence,
                   Findings& findings) const = 0;
};

// Judges the submission as a whole. Stateless and thread-safe.
class SubmissionCheck {
 public:
  virtual ~SubmissionCheck() = default;
  virtual void Run(const OpenedSubmission& submission, const Evidence& evidence,
                   Findings& findings) const = 0;
};

}  // namespace vouch::verifier::pipeline

#endif  // VOUCH_VERIFIER_PIPELINE_CHECK_H_
