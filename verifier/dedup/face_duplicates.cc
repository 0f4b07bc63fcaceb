#include "dedup/face_duplicates.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "spdlog/spdlog.h"

namespace vouch::verifier::dedup {
namespace {

constexpr int kChangesPage = 1000;
constexpr size_t kEmbeddingBytes = FaceIndex::kDimension * sizeof(float);

}  // namespace

std::string FaceSealContext(absl::string_view verification_id) {
  return absl::StrCat("vouch.face.v1\n", verification_id);
}

FaceDuplicateIndex::FaceDuplicateIndex(std::shared_ptr<const DedupKeyring> keyring,
                                       FaceSealer sealer, storage::Store& store,
                                       FaceDuplicateOptions options)
    : keyring_(std::move(keyring)),
      sealer_(std::move(sealer)),
      store_(store),
      options_(options),
      index_(options.index) {}

const DedupKey* FaceDuplicateIndex::KeyOf(absl::string_view key_id) const {
  for (const DedupKey& k : keyring_->keys()) {
    if (k.id == key_id) return &k;
  }
  return nullptr;
}

absl::StatusOr<int64_t> FaceDuplicateIndex::Sync(absl::Time now, bool overlap) {
  absl::MutexLock sync(&sync_mu_);
  absl::Time after = cursor_time_;
  std::string after_id = cursor_id_;
  if (overlap && cursor_time_ != absl::InfinitePast()) {
    after = cursor_time_ - options_.overlap;
    after_id.clear();
  }
  int64_t applied = 0;
  for (;;) {
    VOUCH_ASSIGN_OR_RETURN(std::vector<storage::FaceIndexChange> page,
                           store_.ListFaceChanges(after, after_id, kChangesPage));
    for (const storage::FaceIndexChange& c : page) {
      absl::StatusOr<bool> done = Apply(c, now);
      if (done.ok() && *done) ++applied;
    }
    if (!page.empty()) {
      after = page.back().change_time;
      after_id = page.back().entry.verification_id;
      if (after > cursor_time_ || (after == cursor_time_ && after_id > cursor_id_)) {
        cursor_time_ = after;
        cursor_id_ = after_id;
      }
    }
    if (page.size() < static_cast<size_t>(kChangesPage)) break;
  }
  if (overlap) {
    // The entries expired meanwhile: out of the index and of the metadata.
    index_.Expire(now);
    absl::MutexLock lock(&mu_);
    absl::erase_if(meta_, [now](const auto& kv) { return kv.second.expire_time <= now; });
  }
  return applied;
}

absl::StatusOr<bool> FaceDuplicateIndex::Apply(const storage::FaceIndexChange& change,
                                               absl::Time now) {
  const storage::DuplicateEntry& e = change.entry;
  const std::string& id = e.verification_id;
  bool was_in_index = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = meta_.find(id);
    if (it != meta_.end()) {
      // Read again by an overlapping poll: nothing new.
      if (!change.erased && it->second.change_time == change.change_time) return false;
      was_in_index = it->second.in_index;
      if (change.erased || e.expire_time <= now) meta_.erase(it);
    }
  }
  if (was_in_index) index_.Remove(id);
  if (change.erased || e.expire_time <= now) return true;

  Meta m;
  m.scope = e.scope;
  m.key_id = e.key_id;
  m.document_hash = e.hash;
  m.user_hash = e.user_hash;
  m.forged = e.forged;
  m.change_time = change.change_time;
  m.expire_time = e.expire_time;
  // A held entry matches nobody until released, unless marked forged.
  const bool searchable = !e.held || e.forged;
  bool unreadable = false;
  bool refused = false;
  if (searchable) {
    absl::StatusOr<SecureBytes> plain =
        sealer_.open ? sealer_.open(FaceSealContext(id), e.sealed_key_id, e.sealed)
                     : absl::FailedPreconditionError("no sealer");
    if (!plain.ok() || plain->size() != kEmbeddingBytes) {
      unreadable = true;
    } else {
      std::vector<float> face(FaceIndex::kDimension);
      std::memcpy(face.data(), plain->data(), kEmbeddingBytes);
      absl::Status added = index_.Add(id, face, e.expire_time, now);
      WipeMemory(face.data(), kEmbeddingBytes);
      if (added.ok()) {
        m.in_index = true;
      } else if (absl::IsResourceExhausted(added)) {
        refused = true;
      } else {
        unreadable = true;
      }
    }
  }
  absl::MutexLock lock(&mu_);
  if (unreadable) ++unreadable_;
  if (refused) ++refused_;
  meta_[id] = std::move(m);
  return true;
}

absl::StatusOr<std::vector<FaceDuplicate>> FaceDuplicateIndex::Find(const DuplicateSubject& subject,
                                                                    absl::Time now) {
  std::vector<FaceDuplicate> out;
  if (!IsFaceEmbedding(subject.face)) return out;
  VOUCH_RETURN_IF_ERROR(Sync(now, /*overlap=*/false).status());
  // More candidates than returned: some are the same user's, of another
  // scope, or on the same document.
  const std::vector<FaceMatch> candidates = index_.Search(
      subject.face, subject.face_similarity, std::max(64, 4 * options_.max_matches), now);
  const bool has_document = subject.document.has_value() && IsHashable(*subject.document);
  // The subject's hashes under each key an entry names.
  absl::flat_hash_map<std::string, std::pair<std::string, std::string>> hashes;
  absl::MutexLock lock(&mu_);
  for (const FaceMatch& c : candidates) {
    auto it = meta_.find(c.verification_id);
    if (it == meta_.end() || !it->second.in_index) continue;
    const Meta& m = it->second;
    if (m.scope != subject.scope) continue;
    if (!m.forged) {
      // An entry under a key no longer in the ring is another user's, on
      // another document.
      if (const DedupKey* key = KeyOf(m.key_id); key != nullptr) {
        auto h = hashes.find(key->id);
        if (h == hashes.end()) {
          h = hashes
                  .emplace(key->id, std::make_pair(SubjectUserHash(*key, subject),
                                                   has_document ? DocumentHash(*key, subject.scope,
                                                                               *subject.document)
                                                                : std::string()))
                  .first;
        }
        if (h->second.first == m.user_hash) continue;  // The same user again.
        // The same document: duplicate_document's finding, not a face's.
        if (has_document && !m.document_hash.empty() && h->second.second == m.document_hash) {
          continue;
        }
      }
    }
    out.push_back(FaceDuplicate{c.verification_id, c.similarity, m.forged});
    if (static_cast<int>(out.size()) >= options_.max_matches) break;
  }
  return out;
}

std::optional<storage::DuplicateEntry> FaceDuplicateIndex::EntryFor(
    const DuplicateSubject& subject, absl::string_view verification_id, absl::Time now,
    absl::Duration ttl) {
  if (!IsFaceEmbedding(subject.face) || !sealer_.seal) return std::nullopt;
  const DedupKey& key = keyring_->current();
  storage::DuplicateEntry e;
  e.scope = subject.scope;
  e.kind = storage::DuplicateKind::kFace;
  e.key_id = key.id;
  if (subject.document.has_value() && IsHashable(*subject.document)) {
    e.hash = DocumentHash(key, subject.scope, *subject.document);
  }
  e.verification_id = std::string(verification_id);
  e.user_hash = SubjectUserHash(key, subject);
  e.create_time = now;
  e.expire_time = now + ttl;
  std::string plain(kEmbeddingBytes, '\0');
  std::memcpy(plain.data(), subject.face.data(), kEmbeddingBytes);
  std::tie(e.sealed, e.sealed_key_id) = sealer_.seal(FaceSealContext(verification_id), plain);
  WipeMemory(plain.data(), plain.size());
  return e;
}

std::string FaceDuplicateIndex::RenderMetrics() const {
  int64_t unreadable = 0;
  int64_t refused = 0;
  {
    absl::MutexLock lock(&mu_);
    unreadable = unreadable_;
    refused = refused_;
  }
  return absl::StrCat(
      "# HELP vouch_duplicate_face_index_entries Faces in vouchd's memory that can match.\n"
      "# TYPE vouch_duplicate_face_index_entries gauge\n"
      "vouch_duplicate_face_index_entries ",
      index_.size(),
      "\n"
      "# HELP vouch_duplicate_face_index_bytes Memory of the in-memory face index.\n"
      "# TYPE vouch_duplicate_face_index_bytes gauge\n"
      "vouch_duplicate_face_index_bytes ",
      index_.memory_bytes(),
      "\n"
      "# HELP vouch_duplicate_face_unreadable_total Face entries that did not open.\n"
      "# TYPE vouch_duplicate_face_unreadable_total counter\n"
      "vouch_duplicate_face_unreadable_total ",
      unreadable,
      "\n"
      "# HELP vouch_duplicate_face_refused_total Face entries refused at capacity.\n"
      "# TYPE vouch_duplicate_face_refused_total counter\n"
      "vouch_duplicate_face_refused_total ",
      refused, "\n");
}

FaceIndexPoller::FaceIndexPoller(FaceDuplicateIndex& index, Clock& clock, absl::Duration interval)
    : task_(interval, [&index, &clock] {
        absl::StatusOr<int64_t> applied = index.Sync(clock.Now(), /*overlap=*/true);
        if (!applied.ok()) {
          spdlog::warn("face index poll failed code={}",
                       absl::StatusCodeToString(applied.status().code()));
        }
      }) {}

absl::StatusOr<FaceRekeyOutcome> RekeyFaces(storage::Store& store, const FaceSealer& sealer,
                                            const std::vector<std::string>& old_key_ids) {
  constexpr int kPage = 500;
  FaceRekeyOutcome out;
  for (const std::string& old_id : old_key_ids) {
    std::string after;
    for (;;) {
      VOUCH_ASSIGN_OR_RETURN(std::vector<storage::DuplicateEntry> page,
                             store.FacesSealedWith(old_id, after, kPage));
      for (const storage::DuplicateEntry& e : page) {
        const std::string context = FaceSealContext(e.verification_id);
        absl::StatusOr<SecureBytes> plain = sealer.open(context, e.sealed_key_id, e.sealed);
        if (!plain.ok()) {
          ++out.unreadable;
          continue;
        }
        auto [sealed, key_id] = sealer.seal(context, plain->view());
        if (key_id == old_id) continue;  // The old key is still the active one.
        VOUCH_ASSIGN_OR_RETURN(bool rekeyed,
                               store.RekeyFace(e.verification_id, old_id, sealed, key_id));
        if (rekeyed) ++out.resealed;
      }
      if (static_cast<int>(page.size()) < kPage) break;
      after = page.back().verification_id;
    }
  }
  return out;
}

}  // namespace vouch::verifier::dedup
