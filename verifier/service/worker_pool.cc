#include "service/worker_pool.h"

#include "base/status_macros.h"

namespace vouch::verifier::service {

absl::StatusOr<std::unique_ptr<WorkerPool>> WorkerPool::Create(
    int workers, int capacity, pipeline::DocumentReaderFactory& factory) {
  if (workers < 1 || workers > 256 || capacity < 0 || capacity > 100000) {
    return absl::InvalidArgumentError("workers must be 1..256 and capacity 0..100000");
  }
  std::unique_ptr<WorkerPool> pool(new WorkerPool(capacity));
  for (int i = 0; i < workers; ++i) {
    VOUCH_ASSIGN_OR_RETURN(std::unique_ptr<pipeline::DocumentReader> reader, factory.NewReader());
    pool->readers_.push_back(std::move(reader));
  }
  for (auto& reader : pool->readers_) {
    pipeline::DocumentReader* r = reader.get();
    WorkerPool* p = pool.get();
    pool->threads_.emplace_back([p, r] { p->Work(*r); });
  }
  return pool;
}

WorkerPool::~WorkerPool() { Drain(); }

bool WorkerPool::TrySubmit(Task task, int reserve) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  // A task waits in the queue only while every worker is busy, so the
  // number "in the system" is bounded by workers + capacity.
  const int waiting_after = std::max<int>(
      0, static_cast<int>(queue_.size()) + running_ + 1 - static_cast<int>(threads_.size()));
  if (waiting_after + reserve > capacity_) return false;
  queue_.push_back(std::move(task));
  return true;
}

int WorkerPool::queued() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

int WorkerPool::running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

void WorkerPool::Drain() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void WorkerPool::Work(pipeline::DocumentReader& reader) {
  while (true) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkerPool* p)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) { return p->stopping_ || !p->queue_.empty(); },
          this));
      if (queue_.empty()) return;  // Stopping and nothing left.
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    task(reader);
    absl::MutexLock lock(&mu_);
    --running_;
  }
}

}  // namespace vouch::verifier::service
