#ifndef VOUCH_BASE_OPENMP_LIMIT_H_
#define VOUCH_BASE_OPENMP_LIMIT_H_

namespace vouch {

// Tesseract's LSTM asks OpenMP for four threads per layer step; with one
// recogniser per worker thread that oversubscribes the cores, and the
// waiting threads spin: a hard MRZ page took 405 ms of CPU instead of 120
// (docs/ocr.md). libgomp reads OMP_THREAD_LIMIT once, when it is loaded, so
// the limit must be in the environment before main() runs.
//
// Call first thing in main(). If OMP_THREAD_LIMIT is unset (or, with
// `replace_existing`, differs from `limit`), sets it and re-executes
// /proc/self/exe with the same argv: same pid, open files and arguments.
// Returns true when the limit is in effect (no re-execution was needed);
// false when the re-execution failed, after saying so on stderr (the process
// then goes on without the limit).
bool EnsureOpenMpThreadLimit(char** argv, int limit, bool replace_existing);

}  // namespace vouch

#endif  // VOUCH_BASE_OPENMP_LIMIT_H_
