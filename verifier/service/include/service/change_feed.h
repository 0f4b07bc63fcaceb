#ifndef VOUCH_VERIFIER_SERVICE_CHANGE_FEED_H_
#define VOUCH_VERIFIER_SERVICE_CHANGE_FEED_H_

// Changes made by other replicas, for this one. A Watch on replica A
// must see a job completed or a review decided on replica B, and A's signed
// status lists must follow a revocation made on B.
//
// With a Store that pushes changes (PostgreSQL LISTEN/NOTIFY,
// Store::OpenChangeStream), each pushed change is handed on at once: a
// verification change only when some Watch on this process follows that
// verification, an attestation status change always. The followed
// verifications are also re-read every `push_safety_poll`, and right after
// the stream (re)connects, so a notification lost with a connection is
// caught up. While the stream is down they are re-read every `poll`.
//
// Without push (SQLite, also when several processes share one file; the
// in-memory store) every followed verification is re-read every `poll`: one
// Store read per followed verification per interval, so the work is bounded
// by the open Watch streams. Attestation statuses are not polled here: the
// status lists are re-read from the Store within their ttl anyway
// (pipeline/attest_adapter.h).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/store.h"

namespace vouch::verifier::service {

struct ChangeFeedOptions {
  // Re-read of the followed verifications without push (or while the push
  // stream is down).
  absl::Duration poll = absl::Seconds(1);
  // With push: a re-read anyway this often, against a lost notification.
  absl::Duration push_safety_poll = absl::Seconds(30);
  // A push stream that failed is opened again after this.
  absl::Duration reconnect_delay = absl::Seconds(1);
  // Longest single wait on the stream (how quickly Stop() is noticed).
  absl::Duration wait_slice = absl::Milliseconds(250);
};

// Thread-safe.
class ChangeFeed {
 public:
  using Handler = std::function<void(const std::string& id)>;

  // `store` is not owned and must outlive the feed. `on_verification` gets
  // the id of a followed verification that may have changed (the handler
  // re-reads it; calls may repeat), `on_attestation_status` the id of an
  // attestation whose status changed. Both run on the feed's thread.
  ChangeFeed(storage::Store& store, ChangeFeedOptions options, Handler on_verification,
             Handler on_attestation_status);
  ~ChangeFeed();  // Stop().
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // Starts the thread (once).
  void Start();
  // Stops it and waits; handlers are not called after it returns.
  void Stop();

  // Counted: a verification stays followed until every Follow has had its
  // Unfollow.
  void Follow(const std::string& verification_id);
  void Unfollow(const std::string& verification_id);

  // Whether changes currently arrive by push (false: polling).
  bool pushed() const;

 private:
  void Run();
  // Hands every followed verification to on_verification.
  void PollRound();
  bool Followed(const std::string& id) const;
  // Sleeps `d` unless stopped first; returns false once stopped.
  bool SleepUnlessStopped(absl::Duration d);

  storage::Store& store_;
  const ChangeFeedOptions options_;
  const Handler on_verification_;
  const Handler on_attestation_status_;
  mutable absl::Mutex mu_;
  std::map<std::string, int> followed_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool pushed_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace vouch::verifier::service

#endif  // VOUCH_VERIFIER_SERVICE_CHANGE_FEED_H_
