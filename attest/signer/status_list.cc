#include "attest/status_list.h"

#include <openssl/rand.h>
#include <zlib.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "attest/key_set.h"
#include "base/status_macros.h"
#include "internal/jose.h"

namespace vouch::attest {
namespace {

using json = nlohmann::json;

constexpr uint32_t kMaxCapacity = 1u << 24;

absl::Status ValidateShape(const std::string& uri, int bits, uint32_t capacity) {
  if (uri.empty()) return absl::InvalidArgumentError("status list uri is empty");
  if (bits != 1 && bits != 2) {
    return absl::InvalidArgumentError("status list bits must be 1 or 2");
  }
  if (capacity < 8 || capacity > kMaxCapacity || capacity % 8 != 0) {
    return absl::InvalidArgumentError("status list capacity must be a multiple of 8 in [8, 2^24]");
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> RandomBelow(uint32_t bound) {
  // Rejection sampling: uniform over [0, bound).
  const uint32_t limit = UINT32_MAX - (UINT32_MAX % bound);
  while (true) {
    uint32_t r = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&r), sizeof(r)) != 1) {
      return absl::InternalError("RAND_bytes failed");
    }
    if (r < limit) return r % bound;
  }
}

}  // namespace

struct StatusList::Impl {
  mutable absl::Mutex mu;
  StatusListState state ABSL_GUARDED_BY(mu);
  std::vector<uint8_t> used ABSL_GUARDED_BY(mu);  // One flag per index.

  // Packed bytes, entry i at bits [i*bits, (i+1)*bits), LSB first.
  std::string PackedBytes() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::string bytes(state.capacity * state.bits / 8, '\0');
    for (const auto& [id, entry] : state.entries) {
      const uint64_t bit = uint64_t{entry.index} * state.bits;
      bytes[bit / 8] = static_cast<char>(static_cast<uint8_t>(bytes[bit / 8]) |
                                         (static_cast<uint8_t>(entry.status) << (bit % 8)));
    }
    return bytes;
  }
};

std::string StatusListState::Serialize() const {
  json entries_json = json::object();
  for (const auto& [id, entry] : entries) {
    entries_json[id] = {entry.index, static_cast<int>(entry.status)};
  }
  return internal::DumpJson(
      json{{"uri", uri}, {"bits", bits}, {"capacity", capacity}, {"entries", entries_json}});
}

absl::StatusOr<StatusListState> StatusListState::Deserialize(absl::string_view text) {
  auto parsed = internal::ParseJsonStrict(std::string_view(text.data(), text.size()));
  if (!parsed.ok() || !parsed->is_object()) {
    return absl::InvalidArgumentError("status list state is not JSON");
  }
  const json& j = *parsed;
  StatusListState state;
  if (!j.contains("uri") || !j["uri"].is_string() || !j.contains("bits") ||
      !j["bits"].is_number_unsigned() || !j.contains("capacity") ||
      !j["capacity"].is_number_unsigned() || !j.contains("entries") || !j["entries"].is_object()) {
    return absl::InvalidArgumentError("status list state lacks members");
  }
  state.uri = j["uri"].get<std::string>();
  const uint64_t bits = j["bits"].get<uint64_t>();
  const uint64_t capacity = j["capacity"].get<uint64_t>();
  if (bits > 2 || capacity > kMaxCapacity) {
    return absl::InvalidArgumentError("status list bits or capacity out of range");
  }
  state.bits = static_cast<int>(bits);
  state.capacity = static_cast<uint32_t>(capacity);
  for (auto it = j["entries"].begin(); it != j["entries"].end(); ++it) {
    const json& e = it.value();
    if (!e.is_array() || e.size() != 2 || !e[0].is_number_unsigned() ||
        !e[1].is_number_unsigned() || e[0].get<uint64_t>() >= capacity ||
        e[1].get<uint64_t>() > 2) {
      return absl::InvalidArgumentError("bad status list entry");
    }
    state.entries[it.key()] = StatusListEntry{static_cast<uint32_t>(e[0].get<uint64_t>()),
                                              static_cast<TokenStatus>(e[1].get<uint64_t>())};
  }
  return state;
}

StatusList::StatusList(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StatusList::~StatusList() = default;

absl::StatusOr<std::unique_ptr<StatusList>> StatusList::Create(std::string uri, int bits,
                                                               uint32_t capacity) {
  StatusListState state;
  state.uri = std::move(uri);
  state.bits = bits;
  state.capacity = capacity;
  return Restore(std::move(state));
}

absl::StatusOr<std::unique_ptr<StatusList>> StatusList::Restore(StatusListState state) {
  VOUCH_RETURN_IF_ERROR(ValidateShape(state.uri, state.bits, state.capacity));
  auto impl = std::make_unique<Impl>();
  absl::MutexLock lock(&impl->mu);
  impl->used.assign(state.capacity, 0);
  for (const auto& [id, entry] : state.entries) {
    if (entry.index >= state.capacity || impl->used[entry.index]) {
      return absl::InvalidArgumentError("status list entries overlap or overflow");
    }
    if (state.bits == 1 && entry.status == TokenStatus::kSuspended) {
      return absl::InvalidArgumentError("suspended entry in a 1-bit list");
    }
    impl->used[entry.index] = 1;
  }
  impl->state = std::move(state);
  return std::unique_ptr<StatusList>(new StatusList(std::move(impl)));
}

absl::StatusOr<uint32_t> StatusList::Allocate(absl::string_view credential_id) {
  absl::MutexLock lock(&impl_->mu);
  StatusListState& state = impl_->state;
  const std::string id(credential_id);
  if (id.empty()) return absl::InvalidArgumentError("empty credential id");
  if (state.entries.count(id)) {
    return absl::AlreadyExistsError("credential id already has an entry");
  }
  if (state.entries.size() >= state.capacity) {
    return absl::ResourceExhaustedError("status list is full");
  }
  // A random index, so an index says nothing about issuance order. After a
  // few collisions, walk from a random start (still uniform enough, bounded).
  VOUCH_ASSIGN_OR_RETURN(uint32_t index, RandomBelow(state.capacity));
  for (int tries = 0; tries < 64 && impl_->used[index]; ++tries) {
    VOUCH_ASSIGN_OR_RETURN(index, RandomBelow(state.capacity));
  }
  while (impl_->used[index]) index = (index + 1) % state.capacity;
  impl_->used[index] = 1;
  state.entries[id] = StatusListEntry{index, TokenStatus::kValid};
  return index;
}

absl::StatusOr<StatusReference> StatusList::AllocateStatus(absl::string_view credential_id) {
  VOUCH_ASSIGN_OR_RETURN(uint32_t index, Allocate(credential_id));
  return StatusReference{uri(), index};
}

absl::Status StatusList::SetStatus(absl::string_view credential_id, TokenStatus status) {
  absl::MutexLock lock(&impl_->mu);
  auto it = impl_->state.entries.find(std::string(credential_id));
  if (it == impl_->state.entries.end()) {
    return absl::NotFoundError("no status entry for this credential id");
  }
  if (status == TokenStatus::kSuspended && impl_->state.bits == 1) {
    return absl::InvalidArgumentError("a 1-bit status list cannot suspend");
  }
  if (it->second.status == TokenStatus::kInvalid && status != TokenStatus::kInvalid) {
    return absl::FailedPreconditionError("revocation is final");
  }
  it->second.status = status;
  return absl::OkStatus();
}

std::string StatusList::uri() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->state.uri;
}

int StatusList::bits() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->state.bits;
}

StatusListState StatusList::State() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->state;
}

absl::StatusOr<std::string> StatusList::SignToken(const KeySet& keys, int64_t now,
                                                  int64_t validity_seconds,
                                                  int64_t ttl_seconds) const {
  std::string bytes;
  std::string uri;
  int bits = 0;
  {
    absl::MutexLock lock(&impl_->mu);
    bytes = impl_->PackedBytes();
    uri = impl_->state.uri;
    bits = impl_->state.bits;
  }
  // ZLIB (RFC 1950) format, not raw DEFLATE (pitfall 14).
  uLongf out_len = compressBound(static_cast<uLong>(bytes.size()));
  std::string compressed(out_len, '\0');
  if (compress2(reinterpret_cast<Bytef*>(compressed.data()), &out_len,
                reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uLong>(bytes.size()),
                Z_BEST_COMPRESSION) != Z_OK) {
    return absl::InternalError("zlib compression failed");
  }
  compressed.resize(out_len);
  const json payload = {
      {"sub", uri},
      {"iat", now},
      {"exp", now + validity_seconds},
      {"ttl", ttl_seconds},
      {"status_list", {{"bits", bits}, {"lst", internal::Base64UrlEncode(compressed)}}}};
  return keys.SignJwt("statuslist+jwt", internal::DumpJson(payload));
}

}  // namespace vouch::attest
