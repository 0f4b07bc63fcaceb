#ifndef VOUCH_VERIFIER_CLI_FACE_COMPARE_COMMANDS_H_
#define VOUCH_VERIFIER_CLI_FACE_COMPARE_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace vouch::verifier::cli {

// Registers `vouchctl ocr face-compare A B [--face-models DIR] [--json]`
// under the `ocr` group (creating it when no earlier registration did):
// finds one face in each photo (no document search), prints each face's
// box, pose and quality, their similarity and the verdict under the default
// policy's face_match thresholds. `exit_code` receives 0 when the faces
// were compared (whatever the verdict), 1 when a photo is unusable (not an
// image, no face, several faces, a face too small, blurred or turned; the
// reason is printed) or the models cannot be loaded.
void AddFaceCompareCommands(CLI::App& app, int& exit_code);

}  // namespace vouch::verifier::cli

#endif  // VOUCH_VERIFIER_CLI_FACE_COMPARE_COMMANDS_H_
