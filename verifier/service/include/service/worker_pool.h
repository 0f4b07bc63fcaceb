#ifndef VOUCH_VERIFIER_SERVICE_WORKER_POOL_H_
#define VOUCH_VERIFIER_SERVICE_WORKER_POOL_H_

// A fixed set of worker threads, each owning its DocumentReader (one OCR
// engine per worker), behind a bounded queue: when the queue is full,
// TrySubmit refuses instead of queueing without bound, so callers can answer
// RESOURCE_EXHAUSTED. CPU-heavy work never runs on gRPC's threads.

#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "pipeline/document_reader.h"

namespace vouch::verifier::service {

// Thread-safe.
class WorkerPool {
 public:
  using Task = std::function<void(pipeline::DocumentReader&)>;

  // Starts `workers` threads with a reader each and a queue of `capacity`
  // waiting tasks. Errors: kInvalidArgument for workers < 1 or capacity < 0;
  // the factory's errors.
  static absl::StatusOr<std::unique_ptr<WorkerPool>> Create(
      int workers, int capacity, pipeline::DocumentReaderFactory& factory);

  // Runs the remaining queued tasks, then joins the threads.
  ~WorkerPool();

  // Queues `task` unless the queue is full or the pool is stopping. With
  // `reserve` > 0 the task is refused unless that many queue slots would
  // still be free afterwards (lets background jobs leave room for calls).
  bool TrySubmit(Task task, int reserve = 0);

  // Tasks waiting, and tasks running.
  int queued() const;
  int running() const;
  int workers() const { return static_cast<int>(threads_.size()); }
  int capacity() const { return capacity_; }

  // Stops accepting; waits for every queued and running task to finish.
  void Drain();

 private:
  WorkerPool(int capacity) : capacity_(capacity) {}
  void Work(pipeline::DocumentReader& reader);

  const int capacity_;
  mutable absl::Mutex mu_;
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<pipeline::DocumentReader>> readers_;
  std::vector<std::thread> threads_;
};

}  // namespace vouch::verifier::service

#endif  // VOUCH_VERIFIER_SERVICE_WORKER_POOL_H_
