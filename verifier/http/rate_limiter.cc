#include "http/rate_limiter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace vouch::verifier::http {

std::string IpRateLimiter::KeyOf(absl::string_view address) {
  std::string text(address);
  unsigned char v6[16];
  if (::inet_pton(AF_INET6, text.c_str(), v6) != 1) return text;  // IPv4 or unparsed.
  static constexpr unsigned char kV4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(v6, kV4Mapped, sizeof(kV4Mapped)) == 0) {
    char v4[INET_ADDRSTRLEN];
    return ::inet_ntop(AF_INET, v6 + 12, v4, sizeof(v4)) != nullptr ? std::string(v4) : text;
  }
  std::memset(v6 + 8, 0, 8);  // The /64.
  char out[INET6_ADDRSTRLEN];
  if (::inet_ntop(AF_INET6, v6, out, sizeof(out)) == nullptr) return text;
  return std::string(out) + "/64";
}

double IpRateLimiter::Refilled(const Bucket& bucket, absl::Time now) const {
  const double earned =
      now > bucket.updated ? absl::FDivDuration(now - bucket.updated, limit_.interval) : 0.0;
  return std::min<double>(limit_.burst, bucket.tokens + earned);
}

void IpRateLimiter::MakeRoom(absl::Time now) {
  if (buckets_.size() < limit_.max_addresses) return;
  absl::erase_if(buckets_,
                 [&](const auto& entry) { return Refilled(entry.second, now) >= limit_.burst; });
  if (buckets_.size() < limit_.max_addresses) return;
  auto oldest = buckets_.begin();
  for (auto it = buckets_.begin(); it != buckets_.end(); ++it) {
    if (it->second.updated < oldest->second.updated) oldest = it;
  }
  buckets_.erase(oldest);
}

IpRateLimiter::Decision IpRateLimiter::Take(absl::string_view address, absl::Time now) {
  const std::string key = KeyOf(address);
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    MakeRoom(now);
    it = buckets_.emplace(key, Bucket{static_cast<double>(limit_.burst), now, false}).first;
  }
  Bucket& bucket = it->second;
  bucket.tokens = Refilled(bucket, now);
  bucket.updated = std::max(bucket.updated, now);
  Decision decision;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    bucket.refused = false;
    return decision;
  }
  decision.allowed = false;
  decision.first_refusal = !bucket.refused;
  bucket.refused = true;
  decision.retry_after = limit_.interval * (1.0 - bucket.tokens);
  return decision;
}

size_t IpRateLimiter::size() const {
  absl::MutexLock lock(&mu_);
  return buckets_.size();
}

}  // namespace vouch::verifier::http
