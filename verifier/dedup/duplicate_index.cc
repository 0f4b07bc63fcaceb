#include "dedup/duplicate_index.h"

#include <utility>

#include "base/secure_bytes.h"
#include "base/status_macros.h"
#include "dedup/face_duplicates.h"

namespace vouch::verifier::dedup {
namespace {

void Wipe(std::string& s) { WipeMemory(s.data(), s.size()); }

std::string UserHash(const DedupKey& key, const DuplicateSubject& subject) {
  return SubjectUserHash(key, subject);
}

class StoreDuplicateIndex final : public DuplicateIndex {
 public:
  StoreDuplicateIndex(std::shared_ptr<const DedupKeyring> keyring, storage::Store& store,
                      FaceDuplicateIndex* faces)
      : keyring_(std::move(keyring)), store_(store), faces_(faces) {}

  bool SearchesFaces() const override { return faces_ != nullptr; }

  absl::StatusOr<DuplicateMatches> Find(const DuplicateSubject& subject, absl::Time now) override {
    DuplicateMatches out;
    if (subject.document.has_value() && IsHashable(*subject.document)) {
      VOUCH_ASSIGN_OR_RETURN(
          out.documents,
          Lookup(subject, storage::DuplicateKind::kDocument, now, [&](const DedupKey& k) {
            return DocumentHash(k, subject.scope, *subject.document);
          }));
    }
    if (subject.person.has_value() && IsHashable(*subject.person)) {
      VOUCH_ASSIGN_OR_RETURN(
          out.persons,
          Lookup(subject, storage::DuplicateKind::kPerson, now,
                 [&](const DedupKey& k) { return PersonHash(k, subject.scope, *subject.person); }));
    }
    if (faces_ != nullptr && !subject.face.empty()) {  // The face 1:N index.
      VOUCH_ASSIGN_OR_RETURN(out.faces, faces_->Find(subject, now));
    }
    return out;
  }

  std::vector<storage::DuplicateEntry> EntriesFor(const DuplicateSubject& subject,
                                                  absl::string_view verification_id, absl::Time now,
                                                  absl::Duration ttl) override {
    const DedupKey& key = keyring_->current();
    std::vector<storage::DuplicateEntry> out;
    const auto entry = [&](storage::DuplicateKind kind, std::string hash) {
      storage::DuplicateEntry e;
      e.scope = subject.scope;
      e.kind = kind;
      e.key_id = key.id;
      e.hash = std::move(hash);
      e.verification_id = std::string(verification_id);
      e.user_hash = UserHash(key, subject);
      e.create_time = now;
      e.expire_time = now + ttl;
      out.push_back(std::move(e));
    };
    if (subject.document.has_value() && IsHashable(*subject.document)) {
      entry(storage::DuplicateKind::kDocument, DocumentHash(key, subject.scope, *subject.document));
    }
    if (subject.person.has_value() && IsHashable(*subject.person)) {
      entry(storage::DuplicateKind::kPerson, PersonHash(key, subject.scope, *subject.person));
    }
    if (faces_ != nullptr && !subject.face.empty()) {
      std::optional<storage::DuplicateEntry> face =
          faces_->EntryFor(subject, verification_id, now, ttl);
      if (face.has_value()) out.push_back(*std::move(face));
    }
    return out;
  }

 private:
  template <typename HashFn>
  absl::StatusOr<std::vector<storage::DuplicateEntry>> Lookup(const DuplicateSubject& subject,
                                                              storage::DuplicateKind kind,
                                                              absl::Time now, const HashFn& hash) {
    std::vector<storage::DuplicateProbe> probes;
    for (const DedupKey& k : keyring_->keys()) {
      probes.push_back(storage::DuplicateProbe{k.id, hash(k), UserHash(k, subject)});
    }
    return store_.FindDuplicates(subject.scope, kind, probes, now, kMaxDuplicateMatches);
  }

  const std::shared_ptr<const DedupKeyring> keyring_;
  storage::Store& store_;
  FaceDuplicateIndex* const faces_;
};

}  // namespace

std::string SubjectUserHash(const DedupKey& key, const DuplicateSubject& subject) {
  if (subject.telegram_user_id > 0) {
    return TelegramUserHash(key, subject.scope, subject.telegram_user_id);
  }
  return TelegramUserHash(key, subject.scope + "\nunknown user of " + subject.verification_id, 0);
}

DuplicateSubject::~DuplicateSubject() {
  if (document.has_value()) Wipe(document->document_number);
  if (person.has_value()) Wipe(person->name);
  WipeMemory(face.data(), face.size() * sizeof(float));
}

std::unique_ptr<DuplicateIndex> NewStoreDuplicateIndex(std::shared_ptr<const DedupKeyring> keyring,
                                                       storage::Store& store,
                                                       FaceDuplicateIndex* faces) {
  return std::make_unique<StoreDuplicateIndex>(std::move(keyring), store, faces);
}

}  // namespace vouch::verifier::dedup
