#include "service/change_feed.h"

#include <algorithm>
#include <vector>

#include "spdlog/spdlog.h"

namespace vouch::verifier::service {

ChangeFeed::ChangeFeed(storage::Store& store, ChangeFeedOptions options, Handler on_verification,
                       Handler on_attestation_status)
    : store_(store),
      options_(options),
      on_verification_(std::move(on_verification)),
      on_attestation_status_(std::move(on_attestation_status)) {}

ChangeFeed::~ChangeFeed() { Stop(); }

void ChangeFeed::Start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

void ChangeFeed::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void ChangeFeed::Follow(const std::string& verification_id) {
  absl::MutexLock lock(&mu_);
  ++followed_[verification_id];
}

void ChangeFeed::Unfollow(const std::string& verification_id) {
  absl::MutexLock lock(&mu_);
  auto it = followed_.find(verification_id);
  if (it != followed_.end() && --it->second <= 0) followed_.erase(it);
}

bool ChangeFeed::pushed() const {
  absl::MutexLock lock(&mu_);
  return pushed_;
}

bool ChangeFeed::Followed(const std::string& id) const {
  absl::MutexLock lock(&mu_);
  return followed_.count(id) > 0;
}

bool ChangeFeed::SleepUnlessStopped(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stop_), d);
  return !stop_;
}

void ChangeFeed::PollRound() {
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, count] : followed_) ids.push_back(id);
  }
  for (const std::string& id : ids) on_verification_(id);
}

void ChangeFeed::Run() {
  absl::StatusOr<std::unique_ptr<storage::ChangeStream>> opened = store_.OpenChangeStream();
  const bool can_push = !absl::IsUnimplemented(opened.status());
  std::unique_ptr<storage::ChangeStream> stream;
  if (opened.ok()) stream = *std::move(opened);
  spdlog::info("change feed mode={} poll_ms={}", can_push ? "push" : "poll",
               absl::ToInt64Milliseconds(options_.poll));
  absl::Time next_poll = absl::Now();
  absl::Time next_connect = absl::Now() + options_.reconnect_delay;
  bool resync = true;  // Re-read once connected: changes before it were not pushed.
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      pushed_ = stream != nullptr;
    }
    const absl::Time now = absl::Now();
    if (can_push && stream == nullptr && now >= next_connect) {
      absl::StatusOr<std::unique_ptr<storage::ChangeStream>> again = store_.OpenChangeStream();
      next_connect = now + options_.reconnect_delay;
      if (again.ok()) {
        stream = *std::move(again);
        resync = true;
        spdlog::info("change feed connected");
      }
    }
    if (stream == nullptr) {
      if (now >= next_poll) {
        PollRound();
        next_poll = absl::Now() + options_.poll;
      }
      if (!SleepUnlessStopped(std::min(options_.wait_slice, next_poll - absl::Now()))) return;
      continue;
    }
    if (resync || now >= next_poll) {
      resync = false;
      PollRound();
      next_poll = absl::Now() + options_.push_safety_poll;
    }
    absl::StatusOr<std::vector<storage::StoreChange>> changes = stream->Wait(options_.wait_slice);
    if (!changes.ok()) {
      spdlog::warn("change feed lost its stream, polling until it reconnects: {}",
                   std::string(changes.status().message()));
      stream.reset();
      next_poll = absl::Now();
      next_connect = absl::Now() + options_.reconnect_delay;
      continue;
    }
    for (const storage::StoreChange& change : *changes) {
      if (change.kind == storage::StoreChange::Kind::kAttestationStatus) {
        on_attestation_status_(change.id);
      } else if (Followed(change.id)) {
        on_verification_(change.id);
      }
    }
  }
}

}  // namespace vouch::verifier::service
