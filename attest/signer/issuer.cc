#include "attest/issuer.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "internal/jose.h"
#include "internal/json_writer.h"
#include "internal/status_convert.h"

namespace vouch::attest {
namespace {

using json = nlohmann::json;

constexpr int64_t kDay = 24 * 3600;
constexpr int64_t kMaxLifetime = 400 * kDay;
constexpr size_t kMaxClaimBytes = 1024;
constexpr size_t kMaxListItems = 32;

// Bumped in a forked child, so a pool never hands the parent's bytes out
// again in the child (the same reason OpenSSL's DRBG checks for fork()).
std::atomic<uint64_t> fork_generation{0};
void OnForkChild() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

// Per-thread random bytes for salts and decoys, drawn from RAND_bytes 16 KiB
// at a time (about 30 credentials): each RAND_bytes call re-keys the DRBG's
// cipher and checks for fork(), which cost as much as a tenth of an issue
// when made per salt. Wiped when the thread ends.
class RandomPool {
 public:
  RandomPool() {
    static const int registered = pthread_atfork(nullptr, nullptr, &OnForkChild);
    (void)registered;
  }
  ~RandomPool() { OPENSSL_cleanse(buf_, sizeof(buf_)); }
  RandomPool(const RandomPool&) = delete;
  RandomPool& operator=(const RandomPool&) = delete;

  // The bytes stay valid until the next Take() on this thread.
  absl::StatusOr<std::string_view> Take(size_t n) {
    if (n > sizeof(buf_)) return absl::InternalError("random request too large");
    const uint64_t generation = fork_generation.load(std::memory_order_relaxed);
    if (generation != generation_) {  // Forked: drop the inherited bytes.
      filled_ = pos_ = 0;
      generation_ = generation;
    }
    if (pos_ + n > filled_) {
      if (RAND_bytes(buf_, sizeof(buf_)) != 1) {
        filled_ = pos_ = 0;
        return absl::InternalError("RAND_bytes failed");
      }
      filled_ = sizeof(buf_);
      pos_ = 0;
    }
    std::string_view out(reinterpret_cast<const char*>(buf_) + pos_, n);
    pos_ += n;
    return out;
  }

  absl::StatusOr<int> Int(int lo, int hi) {  // Inclusive.
    if (hi <= lo) return lo;
    VOUCH_ASSIGN_OR_RETURN(std::string_view r, Take(4));
    uint32_t v = 0;
    for (char c : r) v = (v << 8) | static_cast<uint8_t>(c);
    // Modulo bias is negligible for ranges this small (< 2^-24).
    return lo + static_cast<int>(v % static_cast<uint32_t>(hi - lo + 1));
  }

 private:
  unsigned char buf_[16384];
  size_t filled_ = 0;
  size_t pos_ = 0;
  uint64_t generation_ = 0;
};

RandomPool& ThreadRandomPool() {
  thread_local RandomPool pool;
  return pool;
}

using Digest = std::array<char, internal::Sha256Hasher::kB64Size>;

std::string_view View(const Digest& d) { return std::string_view(d.data(), d.size()); }

absl::Status InvalidClaimText() {
  return absl::InvalidArgumentError("claim text must be valid UTF-8 of at most 1024 bytes");
}

// Builds disclosures straight into the token's tail ("<d1>~<d2>~...~").
// Each disclosure's JSON text is written once (JsonWriter: every value
// serialized by nlohmann, strictly) into a scratch buffer, base64url-encoded
// onto the tail, and its digest is taken over exactly those characters
// (pitfall 4).
class DisclosureBuilder {
 public:
  DisclosureBuilder(const IssuerConfig& config, RandomPool& random)
      : config_(config), random_(random), writer_(&scratch_) {
    scratch_.reserve(512);
    tail_.reserve(1536);
  }

  // ["<salt>","<name>", then the caller writes the value through writer(),
  // then Finish().
  absl::Status BeginMember(std::string_view name) {
    VOUCH_RETURN_IF_ERROR(BeginElement());
    writer_.String(name);
    return absl::OkStatus();
  }
  // ["<salt>", then the value, then Finish().
  absl::Status BeginElement() {
    writer_.Reset();
    VOUCH_ASSIGN_OR_RETURN(std::string_view raw, random_.Take(16));
    salt_.clear();
    internal::Base64UrlAppend(raw, &salt_);
    writer_.BeginArray();
    writer_.String(salt_);
    return absl::OkStatus();
  }
  internal::JsonWriter& writer() { return writer_; }
  // Closes the disclosure; its digest.
  absl::StatusOr<Digest> Finish() {
    writer_.EndArray();
    if (!writer_.ok()) return InvalidClaimText();  // Not UTF-8.
    const size_t start = tail_.size();
    internal::Base64UrlAppend(scratch_, &tail_);
    Digest digest;
    hasher_.B64(std::string_view(tail_).substr(start), digest.data());
    tail_.push_back('~');
    ++count_;
    return digest;
  }

  // A member disclosure of a scalar or DOM value.
  template <typename Write>
  absl::StatusOr<Digest> Member(std::string_view name, Write write) {
    VOUCH_RETURN_IF_ERROR(BeginMember(name));
    write(writer_);
    return Finish();
  }

  // Writes the value of an `_sd` member to `w`: the digests with decoys,
  // sorted, so neither count nor order leaks (RFC 9901 §4.2.5).
  absl::Status WriteSdArray(internal::JsonWriter& w, std::vector<Digest> digests) {
    VOUCH_ASSIGN_OR_RETURN(int decoys, random_.Int(config_.decoys_min, config_.decoys_max));
    for (int i = 0; i < decoys; ++i) {
      VOUCH_ASSIGN_OR_RETURN(Digest d, Decoy());
      digests.push_back(d);
    }
    std::sort(digests.begin(), digests.end());
    w.BeginArray();
    for (const Digest& d : digests) w.String(View(d));
    w.EndArray();
    return absl::OkStatus();
  }
  // {"_sd":[...]}
  absl::Status WriteSdObject(internal::JsonWriter& w, std::vector<Digest> digests) {
    w.BeginObject();
    w.Key("_sd");
    VOUCH_RETURN_IF_ERROR(WriteSdArray(w, std::move(digests)));
    w.EndObject();
    return absl::OkStatus();
  }
  // [{"...":d},...] with decoys at random positions.
  absl::Status WriteElementArray(internal::JsonWriter& w, std::vector<Digest> digests) {
    VOUCH_ASSIGN_OR_RETURN(int decoys, random_.Int(config_.decoys_min, config_.decoys_max));
    for (int i = 0; i < decoys; ++i) {
      VOUCH_ASSIGN_OR_RETURN(Digest d, Decoy());
      VOUCH_ASSIGN_OR_RETURN(int pos, random_.Int(0, static_cast<int>(digests.size())));
      digests.insert(digests.begin() + pos, d);
    }
    w.BeginArray();
    for (const Digest& d : digests) {
      w.BeginObject();
      w.Key("...");
      w.String(View(d));
      w.EndObject();
    }
    w.EndArray();
    return absl::OkStatus();
  }

  // "<d1>~<d2>~...~"
  const std::string& tail() const { return tail_; }
  size_t count() const { return count_; }

 private:
  // A digest over 32 random bytes (RFC 9901 §4.2.5).
  absl::StatusOr<Digest> Decoy() {
    VOUCH_ASSIGN_OR_RETURN(std::string_view raw, random_.Take(32));
    Digest d;
    hasher_.B64(raw, d.data());
    return d;
  }

  const IssuerConfig& config_;
  RandomPool& random_;
  internal::Sha256Hasher hasher_;
  std::string scratch_;
  std::string salt_;
  internal::JsonWriter writer_;
  std::string tail_;
  size_t count_ = 0;
};

absl::Status CheckText(const std::string& what, const std::string& value) {
  if (value.empty() || value.size() > kMaxClaimBytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be 1..", kMaxClaimBytes, " bytes"));
  }
  return absl::OkStatus();
}

// Every claim text is at most kMaxClaimBytes; UTF-8 validity is checked by
// nlohmann's strict serializer as each is written (JsonWriter), before a
// status index is allocated.
absl::Status CheckSizes(const CredentialClaims& c) {
  std::vector<const std::string*> texts;
  if (c.verification) {
    texts.push_back(&c.verification->assurance_level);
    texts.push_back(&c.verification->evidence.document_type);
    texts.push_back(&c.verification->evidence.issuing_country);
    for (const auto& check : c.verification->evidence.checks_passed) {
      texts.push_back(&check);
    }
  }
  for (const auto& n : c.nationalities) texts.push_back(&n);
  for (const auto* opt : {&c.birthdate, &c.given_name, &c.family_name}) {
    if (opt->has_value()) texts.push_back(&**opt);
  }
  for (const std::string* t : texts) {
    if (t->size() > kMaxClaimBytes) return InvalidClaimText();
  }
  return absl::OkStatus();
}

// UTF-8 validity of text that reaches JSON (or the pairwise subject) outside
// a disclosure, by nlohmann's strict serializer.
bool IsUtf8(std::initializer_list<std::string_view> texts) {
  // ASCII is UTF-8: the common case needs no serializer (and no allocation).
  bool ascii = true;
  for (std::string_view t : texts) {
    for (const char c : t) ascii &= static_cast<unsigned char>(c) < 0x80;
  }
  if (ascii) return true;
  std::string scratch;
  internal::JsonWriter w(&scratch);
  for (std::string_view t : texts) w.String(t);
  return w.ok();
}

void AppendLengthPrefixed(std::string& out, absl::string_view s) {
  const uint64_t n = s.size();
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  out.append(s.data(), s.size());
}

}  // namespace

struct Issuer::KeyedHmac {
  using CtxPtr = OpenSslPtr<EVP_MAC_CTX, EVP_MAC_CTX_free>;
  // Keyed once; never used directly, only copied.
  CtxPtr ctx;
  // Copies of `ctx` for reuse (re-initialised with the same key): a copy
  // per call costs a dozen allocations. At most kMaxIdle are kept.
  static constexpr size_t kMaxIdle = 64;
  absl::Mutex mu;
  std::vector<CtxPtr> idle ABSL_GUARDED_BY(mu);

  CtxPtr Take() {
    {
      absl::MutexLock lock(&mu);
      if (!idle.empty()) {
        CtxPtr c = std::move(idle.back());
        idle.pop_back();
        // Same key, fresh state (OpenSSL 3: a NULL key re-initialises).
        if (EVP_MAC_init(c.get(), nullptr, 0, nullptr) == 1) return c;
      }
    }
    return CtxPtr(EVP_MAC_CTX_dup(ctx.get()));
  }
  void Return(CtxPtr c) {
    absl::MutexLock lock(&mu);
    if (idle.size() < kMaxIdle) idle.push_back(std::move(c));
  }
};

Issuer::Issuer(IssuerConfig config, const KeySet& keys, StatusAllocator* status_list)
    : hmac_(std::make_unique<KeyedHmac>()),
      config_(std::move(config)),
      keys_(keys),
      status_list_(status_list) {}
Issuer::~Issuer() = default;

absl::Status Issuer::ValidateHolderJwk(absl::string_view jwk_json) {
  auto jwk = internal::ParseJsonStrict(std::string_view(jwk_json.data(), jwk_json.size()));
  if (!jwk.ok() || !jwk->is_object()) {
    return absl::InvalidArgumentError("holder JWK is not a JSON object");
  }
  // RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2: private and symmetric members.
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (jwk->contains(member)) {
      return absl::InvalidArgumentError(absl::StrCat("holder JWK holds the private member \"",
                                                     member, "\": send the public key only"));
    }
  }
  auto pkey = internal::PublicKeyFromJwk(*jwk);
  if (!pkey.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("holder JWK: ", pkey.error().message));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Issuer>> Issuer::Create(IssuerConfig config, const KeySet& keys,
                                                       StatusAllocator* status_list) {
  if (!absl::StartsWith(config.issuer, "https://") || config.issuer.size() < 9) {
    return absl::InvalidArgumentError("issuer must be an https URL");
  }
  if (config.vct.empty()) return absl::InvalidArgumentError("vct is empty");
  if (!IsUtf8({config.issuer, config.vct})) {
    return absl::InvalidArgumentError("issuer and vct must be valid UTF-8");
  }
  if (config.pairwise_secret.size() < 32) {
    return absl::InvalidArgumentError("pairwise secret must be >= 32 bytes");
  }
  if (config.direct_lifetime_seconds <= 0 || config.wallet_lifetime_seconds <= 0 ||
      config.direct_lifetime_seconds > kMaxLifetime ||
      config.wallet_lifetime_seconds > kMaxLifetime) {
    return absl::InvalidArgumentError("lifetimes must be in (0, 400 days]");
  }
  if (config.time_granularity_seconds <= 0 || config.decoys_min < 0 ||
      config.decoys_max < config.decoys_min || config.decoys_max > 16) {
    return absl::InvalidArgumentError("bad granularity or decoy counts");
  }
  std::unique_ptr<Issuer> issuer(new Issuer(std::move(config), keys, status_list));
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  issuer->hmac_->ctx.reset(hmac != nullptr ? EVP_MAC_CTX_new(hmac) : nullptr);
  EVP_MAC_free(hmac);  // The context keeps its own reference.
  const SecureBytes& secret = issuer->config_.pairwise_secret;
  if (!issuer->hmac_->ctx ||
      EVP_MAC_init(issuer->hmac_->ctx.get(), secret.data(), secret.size(), params) != 1) {
    return absl::InternalError("cannot set up HMAC-SHA256");
  }
  return issuer;
}

std::string Issuer::PairwiseSubject(absl::string_view telegram_user_id,
                                    absl::string_view service_id) const {
  // Unambiguous input: a domain tag, then each field length-prefixed, so
  // ("12", "3x") and ("123", "x") never collide.
  std::string input = "vouch/pairwise-sub/v1";
  input.push_back('\0');
  AppendLengthPrefixed(input, telegram_user_id);
  AppendLengthPrefixed(input, service_id);
  // A copy of the pre-keyed context (pooled): cheaper than HMAC() (which
  // fetches and keys on every call) and safe to do from several threads.
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  KeyedHmac::CtxPtr ctx = hmac_->Take();
  if (!ctx ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1 ||
      EVP_MAC_final(ctx.get(), mac, &mac_len, sizeof(mac)) != 1) {
    // Allocation failure inside OpenSSL: a bug-level condition (STYLE 7.2.5).
    std::abort();
  }
  hmac_->Return(std::move(ctx));
  std::string out =
      internal::Base64UrlEncode(std::string_view(reinterpret_cast<char*>(mac), mac_len));
  OPENSSL_cleanse(mac, sizeof(mac));
  return out;
}

absl::StatusOr<IssuedCredential> Issuer::Issue(const CredentialClaims& claims,
                                               const IssueOptions& options) const {
  VOUCH_RETURN_IF_ERROR(CheckText("service_id", options.service_id));
  VOUCH_RETURN_IF_ERROR(CheckText("telegram_user_id", claims.telegram_user_id));
  const bool wallet = options.holder_jwk_json.has_value();
  const int64_t lifetime = options.lifetime_seconds.value_or(
      wallet ? config_.wallet_lifetime_seconds : config_.direct_lifetime_seconds);
  if (lifetime <= 0 || lifetime > kMaxLifetime) {
    return absl::InvalidArgumentError("lifetime must be in (0, 400 days]");
  }
  if (claims.nationalities.size() > kMaxListItems ||
      claims.age_equal_or_over.size() > kMaxListItems) {
    return absl::InvalidArgumentError("too many list items");
  }

  VOUCH_RETURN_IF_ERROR(CheckSizes(claims));
  // Into the pairwise subject and (direct mode) aud.
  if (!IsUtf8({claims.telegram_user_id, options.service_id})) {
    return InvalidClaimText();
  }

  const int64_t now = options.now.value_or(internal::NowUnix());
  // Coarse times (ARF ISSU_36) so iat does not single out one issuance.
  const int64_t iat = now - (now % config_.time_granularity_seconds);
  IssuedCredential issued;
  issued.expires_at = iat + lifetime;
  RandomPool& random = ThreadRandomPool();
  VOUCH_ASSIGN_OR_RETURN(std::string_view id_raw, random.Take(16));
  issued.credential_id = internal::Base64UrlEncode(id_raw);

  std::optional<json> cnf;
  if (wallet) {
    VOUCH_RETURN_IF_ERROR(ValidateHolderJwk(*options.holder_jwk_json));
    auto jwk = internal::ParseJsonStrict(*options.holder_jwk_json);
    if (!jwk.ok()) {
      return absl::InvalidArgumentError("holder JWK is not JSON");
    }
    auto pkey = internal::PublicKeyFromJwk(*jwk);
    if (!pkey.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("holder JWK: ", pkey.error().message));
    }
    // Re-derived from the key: only public members, canonical padding.
    auto public_jwk = internal::PublicJwk(pkey->get());
    if (!public_jwk.ok()) return internal::ToAbslStatus(public_jwk.error());
    cnf = json{{"jwk", std::move(*public_jwk)}};
    if (status_list_ == nullptr && lifetime > kDay) {
      return absl::FailedPreconditionError("a credential valid for over 24 h needs a status list");
    }
  } else if (lifetime > kDay) {
    // A direct-mode credential is a bearer token without a status entry:
    // keep it short (validity <= 24 h without a status list, pitfall 14).
    return absl::FailedPreconditionError("a direct-mode credential may live at most 24 h");
  }

  // Disclosures first: every claim text passes nlohmann's strict serializer
  // here, before a status index is allocated.
  DisclosureBuilder b(config_, random);
  std::vector<Digest> top;
  top.reserve(8);
  const std::string sub = PairwiseSubject(claims.telegram_user_id, options.service_id);
  VOUCH_ASSIGN_OR_RETURN(Digest d,
                         b.Member("sub", [&](internal::JsonWriter& w) { w.String(sub); }));
  top.push_back(d);
  VOUCH_ASSIGN_OR_RETURN(d, b.Member("document_verified", [&](internal::JsonWriter& w) {
    w.Bool(claims.document_verified);
  }));
  top.push_back(d);
  if (claims.verification) {
    const auto& v = *claims.verification;
    std::vector<Digest> inner;
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("assurance_level", [&](internal::JsonWriter& w) {
      w.String(v.assurance_level);
    }));
    inner.push_back(d);
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("time", [&](internal::JsonWriter& w) { w.Int(v.time); }));
    inner.push_back(d);
    VOUCH_ASSIGN_OR_RETURN(d, b.Member("evidence", [&](internal::JsonWriter& w) {
      w.BeginObject();
      w.Key("checks_passed");
      w.BeginArray();
      for (const std::string& check : v.evidence.checks_passed) w.String(check);
      w.EndArray();
      w.Key("document_type");
      w.String(v.evidence.document_type);
      w.Key("issuing_country");
      w.String(v.evidence.issuing_country);
      w.EndObject();
    }));
    inner.push_back(d);
    VOUCH_RETURN_IF_ERROR(b.BeginMember("verification"));
    VOUCH_RETURN_IF_ERROR(b.WriteSdObject(b.writer(), std::move(inner)));
    VOUCH_ASSIGN_OR_RETURN(d, b.Finish());
    top.push_back(d);
  }
  if (!claims.age_equal_or_over.empty()) {
    std::vector<Digest> inner;
    for (const auto& [years, over] : claims.age_equal_or_over) {
      const bool value = over;
      VOUCH_ASSIGN_OR_RETURN(
          d, b.Member(std::to_string(years), [&](internal::JsonWriter& w) { w.Bool(value); }));
      inner.push_back(d);
    }
    VOUCH_RETURN_IF_ERROR(b.BeginMember("age_equal_or_over"));
    VOUCH_RETURN_IF_ERROR(b.WriteSdObject(b.writer(), std::move(inner)));
    VOUCH_ASSIGN_OR_RETURN(d, b.Finish());
    top.push_back(d);
  }
  if (!claims.nationalities.empty()) {
    std::vector<Digest> elements;
    for (const std::string& n : claims.nationalities) {
      VOUCH_RETURN_IF_ERROR(b.BeginElement());
      b.writer().String(n);
      VOUCH_ASSIGN_OR_RETURN(d, b.Finish());
      elements.push_back(d);
    }
    VOUCH_RETURN_IF_ERROR(b.BeginMember("nationalities"));
    VOUCH_RETURN_IF_ERROR(b.WriteElementArray(b.writer(), std::move(elements)));
    VOUCH_ASSIGN_OR_RETURN(d, b.Finish());
    top.push_back(d);
  }
  for (const auto& [name, value] :
       {std::pair{"birthdate", &claims.birthdate}, std::pair{"given_name", &claims.given_name},
        std::pair{"family_name", &claims.family_name}}) {
    if (!value->has_value()) continue;
    // `value` is copied into the lambda: clang captures structured bindings only from clang 16.
    VOUCH_ASSIGN_OR_RETURN(
        d, b.Member(name, [&, value = value](internal::JsonWriter& w) { w.String(**value); }));
    top.push_back(d);
  }

  std::optional<json> status;
  if (wallet && status_list_ != nullptr) {
    VOUCH_ASSIGN_OR_RETURN(StatusReference ref, status_list_->AllocateStatus(issued.credential_id));
    issued.status_idx = ref.idx;
    status = json{{"status_list", {{"idx", ref.idx}, {"uri", ref.uri}}}};
    issued.status_uri = std::move(ref.uri);
  }

  // The payload, members in nlohmann's (sorted) order. Plaintext claims are
  // never disclosable (pitfall 9); times are integers.
  std::string payload;
  payload.reserve(256 + 48 * (top.size() + config_.decoys_max));
  internal::JsonWriter w(&payload);
  w.BeginObject();
  w.Key("_sd");
  VOUCH_RETURN_IF_ERROR(b.WriteSdArray(w, std::move(top)));
  w.Key("_sd_alg");
  w.String("sha-256");
  if (!wallet) {
    w.Key("aud");
    w.String(options.service_id);
  }
  if (cnf) {
    w.Key("cnf");
    w.Value(*cnf);
  }
  w.Key("exp");
  w.Int(issued.expires_at);
  w.Key("iat");
  w.Int(iat);
  w.Key("iss");
  w.String(config_.issuer);
  w.Key("nbf");
  w.Int(iat);
  if (status) {
    w.Key("status");
    w.Value(*status);
  }
  w.Key("vct");
  w.String(config_.vct);
  w.EndObject();
  if (!w.ok()) return absl::InternalError("payload is not serializable");

  VOUCH_ASSIGN_OR_RETURN(std::string jwt, keys_.SignJwt("dc+sd-jwt", payload));
  issued.token.reserve(jwt.size() + 1 + b.tail().size());
  issued.token = std::move(jwt);
  issued.token.push_back('~');
  issued.token += b.tail();
  return issued;
}

absl::StatusOr<CredentialClaims> Issuer::ClaimsFromJson(absl::string_view text) {
  auto parsed = internal::ParseJsonStrict(std::string_view(text.data(), text.size()));
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("claims: ", parsed.error().message));
  }
  const json& j = *parsed;
  if (!j.is_object()) return absl::InvalidArgumentError("claims must be an object");
  CredentialClaims c;
  auto bad = [](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("claims: bad ", what));
  };
  auto get_string = [](const json& obj, const char* name, std::string* out) {
    auto it = obj.find(name);
    if (it == obj.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "telegram_user_id") {
      if (v.is_string())
        c.telegram_user_id = v.get<std::string>();
      else if (v.is_number_integer())
        c.telegram_user_id = std::to_string(v.get<int64_t>());
      else
        return bad(key);
    } else if (key == "document_verified") {
      if (!v.is_boolean()) return bad(key);
      c.document_verified = v.get<bool>();
    } else if (key == "verification") {
      CredentialClaims::Verification ver;
      if (!v.is_object() || !get_string(v, "assurance_level", &ver.assurance_level) ||
          !v.contains("time") || !v["time"].is_number_integer()) {
        return bad(key);
      }
      ver.time = v["time"].get<int64_t>();
      if (v.contains("evidence")) {
        const json& e = v["evidence"];
        if (!e.is_object() || !get_string(e, "document_type", &ver.evidence.document_type) ||
            !get_string(e, "issuing_country", &ver.evidence.issuing_country)) {
          return bad("verification.evidence");
        }
        if (e.contains("checks_passed")) {
          if (!e["checks_passed"].is_array()) return bad("checks_passed");
          for (const json& check : e["checks_passed"]) {
            if (!check.is_string()) return bad("checks_passed");
            ver.evidence.checks_passed.push_back(check.get<std::string>());
          }
        }
      }
      c.verification = std::move(ver);
    } else if (key == "age_equal_or_over") {
      if (!v.is_object()) return bad(key);
      for (auto a = v.begin(); a != v.end(); ++a) {
        const std::string& years = a.key();
        if (years.empty() || years.size() > 3 ||
            years.find_first_not_of("0123456789") != std::string::npos || !a.value().is_boolean()) {
          return bad(key);
        }
        c.age_equal_or_over[std::stoi(years)] = a.value().get<bool>();
      }
    } else if (key == "nationalities") {
      if (!v.is_array()) return bad(key);
      for (const json& n : v) {
        if (!n.is_string()) return bad(key);
        c.nationalities.push_back(n.get<std::string>());
      }
    } else if (key == "birthdate" || key == "given_name" || key == "family_name") {
      if (!v.is_string()) return bad(key);
      std::optional<std::string>& field =
          key == "birthdate" ? c.birthdate : (key == "given_name" ? c.given_name : c.family_name);
      field = v.get<std::string>();
    } else {
      return absl::InvalidArgumentError(absl::StrCat("claims: unknown member '", key, "'"));
    }
  }
  if (c.telegram_user_id.empty()) {
    return absl::InvalidArgumentError("claims: telegram_user_id is required");
  }
  return c;
}

}  // namespace vouch::attest
