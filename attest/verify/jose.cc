#include "internal/jose.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <simdjson.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

namespace vouch::attest::internal {
namespace {

using json = nlohmann::json;
using ::vouch::BioPtr;
using ::vouch::OpenSslPtr;
using BnPtr = OpenSslPtr<BIGNUM, BN_free>;
using EcdsaSigPtr = OpenSslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using ParamBldPtr = OpenSslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamPtr = OpenSslPtr<OSSL_PARAM, OSSL_PARAM_free>;
using PkeyCtxPtr = ::vouch::EvpPkeyCtxPtr;

const unsigned char* U8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// EVP_EncodeBlock takes an int length: encode in chunks far below INT_MAX
// (a multiple of 3 bytes, so only the last chunk has padding).
constexpr size_t kEncodeChunk = 3 << 20;
// Characters translated to the standard alphabet per EVP_DecodeBlock call (a
// multiple of 4; the buffer is on the stack).
constexpr size_t kDecodeChunk = 1024;

// RFC 4648 §5 -> §4 per character: '-' -> '+', '_' -> '/', the other url
// characters unchanged; anything outside the url alphabet ('=', '+', '/',
// whitespace, ..., which EVP_DecodeBlock would otherwise accept) maps to
// 0x80, a bit no url character has. A table lookup per character is 4x
// faster than the comparisons, which GCC does not vectorize at -O2.
constexpr std::array<unsigned char, 256> MakeFromUrlTable() {
  std::array<unsigned char, 256> table{};
  for (int c = 0; c < 256; ++c) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    table[c] = alnum ? static_cast<unsigned char>(c) : (c == '-' ? '+' : (c == '_' ? '/' : 0x80));
  }
  return table;
}
constexpr std::array<unsigned char, 256> kFromUrl = MakeFromUrlTable();

// RFC 4648 §4 -> §5 in place: '+' -> '-', '/' -> '_'. Branch-free selects
// on a local copy, which the compiler vectorizes (a byte-map lookup through
// a char pointer cannot be: every store may alias the table).
inline char ToUrl(char c) { return c == '+' ? '-' : (c == '/' ? '_' : c); }
inline void StandardToUrl(char* p, size_t n) {
  size_t i = 0;
  // Blocks of a fixed size, which the compiler turns into vector code even
  // at -O2; the rest one by one.
  for (; i + 16 <= n; i += 16) {
    char block[16];
    std::memcpy(block, p + i, 16);
    for (char& c : block) c = ToUrl(c);
    std::memcpy(p + i, block, 16);
  }
  for (; i < n; ++i) p[i] = ToUrl(p[i]);
}

}  // namespace

// base64url on top of OpenSSL's standard-alphabet base64 (EVP_EncodeBlock /
// EVP_DecodeBlock): translate between the alphabets and drop or re-add the
// '=' padding.
std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  Base64UrlAppend(bytes, &out);
  return out;
}

void Base64UrlAppend(std::string_view bytes, std::string* out) {
  const size_t start = out->size();
  out->resize(start + 4 * ((bytes.size() + 2) / 3) + 1);  // +1: EVP's NUL.
  auto* o = reinterpret_cast<unsigned char*>(out->data() + start);
  size_t written = 0;
  for (size_t at = 0; at < bytes.size(); at += kEncodeChunk) {
    const size_t n = std::min(kEncodeChunk, bytes.size() - at);
    written +=
        static_cast<size_t>(EVP_EncodeBlock(o + written, U8(bytes) + at, static_cast<int>(n)));
  }
  while (written > 0 && o[written - 1] == '=') --written;
  out->resize(start + written);
  StandardToUrl(out->data() + start, written);
}

bool Base64UrlDecode(std::string_view text, std::string* out) {
  out->clear();
  const size_t n = text.size();
  if (n % 4 == 1) return false;
  const size_t pad = (4 - n % 4) % 4;
  out->resize((n + pad) / 4 * 3);
  auto* o = reinterpret_cast<unsigned char*>(out->data());
  unsigned char chunk[kDecodeChunk + 4];
  size_t written = 0;
  for (size_t at = 0; at < n;) {
    const size_t len = std::min(kDecodeChunk, n - at);
    // The url alphabet only (see kFromUrl).
    unsigned char bad_bits = 0;
    for (size_t i = 0; i < len; ++i) {
      const unsigned char c = kFromUrl[static_cast<unsigned char>(text[at + i])];
      bad_bits |= c;
      chunk[i] = c;
    }
    const bool bad = (bad_bits & 0x80) != 0;
    size_t total = len;
    at += len;
    if (at == n) {
      for (size_t i = 0; i < pad; ++i) chunk[total++] = '=';
    }
    const int got = bad ? -1 : EVP_DecodeBlock(o + written, chunk, static_cast<int>(total));
    if (got < 0) {
      out->clear();
      return false;
    }
    written += static_cast<size_t>(got);
  }
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (written != out->size()) {
    out->clear();
    return false;
  }
  out->resize(written - pad);
  // Canonical: the unused low bits of the last character must be zero, i.e.
  // re-encoding the last partial group gives back the same characters.
  if (pad != 0) {
    const size_t tail_bytes = 3 - pad;
    unsigned char tail[5];
    EVP_EncodeBlock(tail, o + out->size() - tail_bytes, static_cast<int>(tail_bytes));
    StandardToUrl(reinterpret_cast<char*>(tail), 4);
    if (text.substr(n - (tail_bytes + 1)) !=
        std::string_view(reinterpret_cast<char*>(tail), tail_bytes + 1)) {
      out->clear();
      return false;
    }
  }
  return true;
}

namespace {

// Documents at most this large keep the parse buffers of their thread's
// parser for the next call; a larger one (up to kMaxTokenBytes) frees them
// afterwards, so a hostile token cannot pin megabytes per thread.
constexpr size_t kParserKeepBytes = 64 << 10;

// Copies simdjson's DOM into nlohmann's, refusing a duplicate member name in
// any object (names compared decoded) and nesting deeper than kMaxJsonDepth.
// Grammar (RFC 8259), UTF-8 validity, escapes, surrogate pairs and finite
// numbers are simdjson's. Returns the error message, or nullptr.
const char* CopyDom(simdjson::dom::element in, json& out, int depth) {
  using Type = simdjson::dom::element_type;
  switch (in.type()) {
    case Type::OBJECT: {
      if (depth >= kMaxJsonDepth) return "JSON nested too deeply";
      out = json::object();
      auto& members = out.get_ref<json::object_t&>();
      simdjson::dom::object object;
      if (in.get(object) != simdjson::SUCCESS) return "invalid JSON";
      for (simdjson::dom::key_value_pair member : object) {
        auto [it, inserted] = members.emplace(std::string(member.key), nullptr);
        if (!inserted) return "duplicate JSON member name";
        if (const char* err = CopyDom(member.value, it->second, depth + 1)) return err;
      }
      return nullptr;
    }
    case Type::ARRAY: {
      if (depth >= kMaxJsonDepth) return "JSON nested too deeply";
      out = json::array();
      auto& items = out.get_ref<json::array_t&>();
      simdjson::dom::array array;
      if (in.get(array) != simdjson::SUCCESS) return "invalid JSON";
      items.reserve(array.size());
      for (simdjson::dom::element item : array) {
        items.emplace_back();
        if (const char* err = CopyDom(item, items.back(), depth + 1)) return err;
      }
      return nullptr;
    }
    case Type::STRING: {
      std::string_view v;
      if (in.get(v) != simdjson::SUCCESS) return "invalid JSON";
      out = std::string(v);
      return nullptr;
    }
    case Type::INT64: {
      int64_t v = 0;
      if (in.get(v) != simdjson::SUCCESS) return "invalid JSON";
      // As nlohmann types them: a non-negative integer is unsigned.
      if (v >= 0) {
        out = static_cast<uint64_t>(v);
      } else {
        out = v;
      }
      return nullptr;
    }
    case Type::UINT64: {
      uint64_t v = 0;
      if (in.get(v) != simdjson::SUCCESS) return "invalid JSON";
      out = v;
      return nullptr;
    }
    case Type::DOUBLE: {
      double v = 0;
      if (in.get(v) != simdjson::SUCCESS) return "invalid JSON";
      out = v;
      return nullptr;
    }
    case Type::BOOL: {
      bool v = false;
      if (in.get(v) != simdjson::SUCCESS) return "invalid JSON";
      out = v;
      return nullptr;
    }
    case Type::NULL_VALUE:
      out = nullptr;
      return nullptr;
  }
  return "invalid JSON";
}

}  // namespace

Result<json> ParseJsonStrict(std::string_view text) {
  if (text.size() > kMaxTokenBytes) {
    return Err(ErrorCode::kMalformed, "JSON text too large");
  }
  // One parser per thread: its buffers are reused (simdjson's parser is not
  // thread-safe, and setting one up costs more than parsing a disclosure).
  thread_local simdjson::dom::parser parser(kMaxTokenBytes);
  json value;
  const char* err = nullptr;
  try {  // std::bad_alloc from the copy; simdjson is used without exceptions.
    simdjson::dom::element root;
    // Copied into the parser's padded buffer (simdjson reads past the end).
    if (parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true).get(root) !=
        simdjson::SUCCESS) {
      // simdjson's message names the category only, never the input; keep
      // ours just as plain.
      err = "invalid JSON";
    } else {
      err = CopyDom(root, value, 0);
    }
  } catch (const std::exception&) {
    err = "invalid JSON";
  }
  if (text.size() > kParserKeepBytes) parser = simdjson::dom::parser(kMaxTokenBytes);
  if (err != nullptr) return Err(ErrorCode::kMalformed, err);
  return value;
}

std::string DumpJson(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool DumpJsonStrict(const json& value, std::string* out) {
  try {
    *out = value.dump();
    return true;
  } catch (const std::exception&) {  // type_error 316: invalid UTF-8.
    out->clear();
    return false;
  }
}

const EVP_MD* Sha256Md() {
  // Fetched once: an implicit fetch (EVP_sha256()) per call costs as much as
  // hashing a disclosure. Never freed; lives as long as the process.
  static const EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? static_cast<const EVP_MD*>(fetched) : EVP_sha256();
  }();
  return md;
}

std::string Sha256(std::string_view data) {
  unsigned char md[32];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, Sha256Md(), nullptr) != 1) {
    // Only on allocation failure inside OpenSSL; a bug-level condition.
    std::abort();
  }
  return std::string(reinterpret_cast<char*>(md), 32);
}

std::string Sha256B64(std::string_view text) { return Base64UrlEncode(Sha256(text)); }

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {}

std::string Sha256Hasher::B64(std::string_view text) {
  std::string out(kB64Size, '\0');
  B64(text, out.data());
  return out;
}

void Sha256Hasher::B64(std::string_view text, char* out) {
  unsigned char md[32];
  unsigned int len = 0;
  if (!ctx_ || EVP_DigestInit_ex2(ctx_.get(), Sha256Md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx_.get(), text.data(), text.size()) != 1 ||
      EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) {
    // Fresh-context path; aborts only on OOM.
    const std::string raw = Sha256(text);
    std::memcpy(md, raw.data(), sizeof(md));
  }
  // 32 bytes -> 44 characters with one '=' (dropped), plus EVP's NUL.
  unsigned char b64[45];
  EVP_EncodeBlock(b64, md, sizeof(md));
  std::memcpy(out, b64, kB64Size);
  StandardToUrl(out, kB64Size);
}

KeyType KeyTypeForAlg(std::string_view alg) {
  if (alg == "ES256") return KeyType::kP256;
  if (alg == "EdDSA" || alg == "Ed25519") return KeyType::kEd25519;
  return KeyType::kUnsupported;
}

KeyType KeyTypeOf(EVP_PKEY* pkey) {
  if (pkey == nullptr) return KeyType::kUnsupported;
  if (EVP_PKEY_is_a(pkey, "ED25519")) return KeyType::kEd25519;
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &len) == 1 &&
        (std::strcmp(group, "prime256v1") == 0 || std::strcmp(group, "P-256") == 0)) {
      return KeyType::kP256;
    }
  }
  return KeyType::kUnsupported;
}

namespace {

Result<std::string> JwkCoordinate(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  std::string raw;
  if (it == jwk.end() || !it->is_string() ||
      !Base64UrlDecode(it->get_ref<const std::string&>(), &raw) || raw.size() != 32) {
    return Err(ErrorCode::kMalformed,
               std::string("JWK member ") + name + " must be 32 bytes of base64url");
  }
  return raw;
}

bool MemberIs(const json& obj, const char* name, const char* value) {
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() && it->get_ref<const std::string&>() == value;
}

}  // namespace

Result<EvpPkeyPtr> PublicKeyFromJwk(const json& jwk) {
  if (!jwk.is_object()) return Err(ErrorCode::kMalformed, "JWK is not an object");
  if (jwk.contains("d") || jwk.contains("p") || jwk.contains("k")) {
    return Err(ErrorCode::kMalformed, "JWK holds private key material");
  }
  if (MemberIs(jwk, "kty", "OKP") && MemberIs(jwk, "crv", "Ed25519")) {
    auto x = JwkCoordinate(jwk, "x");
    if (!x.ok()) return x.error();
    EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, U8(*x), x->size());
    if (pkey == nullptr) return Err(ErrorCode::kMalformed, "bad Ed25519 key");
    return EvpPkeyPtr(pkey);
  }
  if (MemberIs(jwk, "kty", "EC") && MemberIs(jwk, "crv", "P-256")) {
    auto x = JwkCoordinate(jwk, "x");
    if (!x.ok()) return x.error();
    auto y = JwkCoordinate(jwk, "y");
    if (!y.ok()) return y.error();
    std::string point = "\x04" + *x + *y;
    ParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                          point.size())) {
      return Err(ErrorCode::kInternal, "OSSL_PARAM_BLD failed");
    }
    ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* pkey = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1 ||
        pkey == nullptr) {
      return Err(ErrorCode::kMalformed, "EC point is not on P-256");
    }
    EvpPkeyPtr owned(pkey);
    // fromdata decodes the point; check it explicitly all the same.
    PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) {
      return Err(ErrorCode::kMalformed, "EC point is not on P-256");
    }
    return owned;
  }
  return Err(ErrorCode::kMalformed, "unsupported JWK (need EC P-256 or OKP Ed25519)");
}

Result<json> PublicJwk(EVP_PKEY* pkey) {
  switch (KeyTypeOf(pkey)) {
    case KeyType::kEd25519: {
      unsigned char raw[32];
      size_t len = sizeof(raw);
      if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != 32) {
        return Err(ErrorCode::kInternal, "cannot read Ed25519 public key");
      }
      return json{{"kty", "OKP"},
                  {"crv", "Ed25519"},
                  {"x", Base64UrlEncode(std::string_view(reinterpret_cast<char*>(raw), 32))}};
    }
    case KeyType::kP256: {
      BIGNUM* x = nullptr;
      BIGNUM* y = nullptr;
      if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
          EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1) {
        BN_free(x);
        BN_free(y);
        return Err(ErrorCode::kInternal, "cannot read EC public key");
      }
      BnPtr xo(x), yo(y);
      unsigned char xb[32], yb[32];
      // JWK x and y are each left-padded to 32 bytes (RFC 7518 §6.2.1.2).
      if (BN_bn2binpad(x, xb, 32) != 32 || BN_bn2binpad(y, yb, 32) != 32) {
        return Err(ErrorCode::kInternal, "EC coordinate too large");
      }
      return json{{"kty", "EC"},
                  {"crv", "P-256"},
                  {"x", Base64UrlEncode(std::string_view(reinterpret_cast<char*>(xb), 32))},
                  {"y", Base64UrlEncode(std::string_view(reinterpret_cast<char*>(yb), 32))}};
    }
    case KeyType::kUnsupported:
      break;
  }
  return Err(ErrorCode::kInvalidArgument, "unsupported key type");
}

Result<std::string> JwkThumbprint(const json& jwk) {
  // RFC 7638 §3.2: required members only, lexicographic order, no spaces.
  // nlohmann::json objects are std::map-ordered, so dump() sorts them.
  json members;
  if (MemberIs(jwk, "kty", "EC")) {
    for (const char* m : {"crv", "kty", "x", "y"}) {
      if (!jwk.contains(m) || !jwk[m].is_string()) {
        return Err(ErrorCode::kMalformed, "JWK lacks a required member");
      }
      members[m] = jwk[m];
    }
  } else if (MemberIs(jwk, "kty", "OKP")) {
    for (const char* m : {"crv", "kty", "x"}) {
      if (!jwk.contains(m) || !jwk[m].is_string()) {
        return Err(ErrorCode::kMalformed, "JWK lacks a required member");
      }
      members[m] = jwk[m];
    }
  } else {
    return Err(ErrorCode::kMalformed, "unsupported JWK kty");
  }
  return Sha256B64(DumpJson(members));
}

Result<EvpPkeyPtr> PrivateKeyFromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Err(ErrorCode::kInternal, "BIO_new_mem_buf failed");
  // A refusing password callback: never prompt on a terminal.
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(
      bio.get(), nullptr, [](char*, int, int, void*) { return -1; }, nullptr);
  if (pkey == nullptr) {
    return Err(ErrorCode::kInvalidArgument, "not an unencrypted PEM private key");
  }
  EvpPkeyPtr owned(pkey);
  if (KeyTypeOf(pkey) == KeyType::kUnsupported) {
    return Err(ErrorCode::kInvalidArgument, "key is neither P-256 nor Ed25519");
  }
  return owned;
}

Result<EvpPkeyPtr> GenerateKey(KeyType type) {
  EVP_PKEY* pkey = nullptr;
  if (type == KeyType::kP256) {
    pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else if (type == KeyType::kEd25519) {
    pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  if (pkey == nullptr) return Err(ErrorCode::kInternal, "key generation failed");
  return EvpPkeyPtr(pkey);
}

Result<std::string> PrivateKeyToPem(EVP_PKEY* pkey) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Err(ErrorCode::kInternal, "cannot encode PKCS#8 PEM");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(len));
  // The BIO held the private key: wipe it before it is freed.
  OPENSSL_cleanse(data, static_cast<size_t>(len));
  return pem;
}

namespace {

// DER ECDSA-Sig-Value (OpenSSL's output) -> raw R||S, each left-padded to 32
// bytes (RFC 7518 §3.4).
Result<std::string> EcdsaDerToRaw(const unsigned char* der, size_t len) {
  const unsigned char* p = der;
  EcdsaSigPtr ecdsa(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!ecdsa) return Err(ErrorCode::kInternal, "bad DER from OpenSSL");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(ecdsa.get(), &r, &s);
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, 32) != 32 || BN_bn2binpad(s, out + 32, 32) != 32) {
    return Err(ErrorCode::kInternal, "ECDSA value too large");
  }
  return raw;
}

// Raw R||S (64 bytes) -> DER for OpenSSL's verifier. False on failure.
bool EcdsaRawToDer(std::string_view raw, std::string* der) {
  EcdsaSigPtr ecdsa(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(U8(raw), 32, nullptr);
  BIGNUM* s = BN_bin2bn(U8(raw) + 32, 32, nullptr);
  if (!ecdsa || r == nullptr || s == nullptr) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  ECDSA_SIG_set0(ecdsa.get(), r, s);  // Takes ownership.
  unsigned char* buf = nullptr;
  const int len = i2d_ECDSA_SIG(ecdsa.get(), &buf);
  if (len <= 0) return false;
  der->assign(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return true;
}

// EVP_DigestSign into a JWS signature; `ctx` is initialised for signing.
Result<std::string> DigestSignJws(EVP_MD_CTX* ctx, KeyType type, std::string_view input) {
  // An ECDSA P-256 DER signature is at most 72 bytes, Ed25519's 64.
  unsigned char sig[80];
  size_t len = sizeof(sig);
  if (EVP_DigestSign(ctx, sig, &len, U8(input), input.size()) != 1) {
    return Err(ErrorCode::kInternal, "EVP_DigestSign failed");
  }
  if (type == KeyType::kEd25519) {
    return std::string(reinterpret_cast<char*>(sig), len);
  }
  return EcdsaDerToRaw(sig, len);
}

bool DigestVerifyJws(EVP_MD_CTX* ctx, KeyType type, std::string_view input,
                     std::string_view signature) {
  if (signature.size() != 64) return false;
  std::string der;
  if (type == KeyType::kP256) {
    if (!EcdsaRawToDer(signature, &der)) return false;
    signature = der;
  }
  return EVP_DigestVerify(ctx, U8(signature), signature.size(), U8(input), input.size()) == 1;
}

}  // namespace

Result<std::string> SignRaw(EVP_PKEY* pkey, std::string_view input) {
  const KeyType type = KeyTypeOf(pkey);
  if (type == KeyType::kUnsupported) {
    return Err(ErrorCode::kInvalidArgument, "unsupported signing key");
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  // Ed25519 is one-shot: no digest, no Update (pitfall 2).
  const EVP_MD* md = type == KeyType::kP256 ? Sha256Md() : nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, pkey) != 1) {
    return Err(ErrorCode::kInternal, "EVP_DigestSignInit failed");
  }
  return DigestSignJws(ctx.get(), type, input);
}

bool VerifyRaw(EVP_PKEY* pkey, std::string_view input, std::string_view signature) {
  const KeyType type = KeyTypeOf(pkey);
  if (type == KeyType::kUnsupported || signature.size() != 64) return false;
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const EVP_MD* md = type == KeyType::kP256 ? Sha256Md() : nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey) != 1) {
    return false;
  }
  return DigestVerifyJws(ctx.get(), type, input, signature);
}

// Idle ES256 contexts, each initialised for the key's use. Grows to the
// number of concurrent callers (kept up to kMaxIdle).
struct PreparedKey::Pool {
  std::vector<EVP_PKEY_CTX*> idle;
  ~Pool() {
    for (EVP_PKEY_CTX* ctx : idle) EVP_PKEY_CTX_free(ctx);
  }
};

PreparedKey::PreparedKey(PreparedKey&&) noexcept = default;
PreparedKey& PreparedKey::operator=(PreparedKey&&) noexcept = default;
PreparedKey::~PreparedKey() = default;

namespace {

// Idle ES256 contexts kept per key: enough for every thread of a server.
constexpr size_t kMaxIdleContexts = 64;

// An EVP_PKEY_CTX for ES256 over a SHA-256 digest, initialised for `use`.
PkeyCtxPtr NewEcdsaCtx(EVP_PKEY* pkey, PreparedKey::Use use) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(pkey, nullptr));
  if (!ctx) return nullptr;
  const int init = use == PreparedKey::Use::kSign ? EVP_PKEY_sign_init(ctx.get())
                                                  : EVP_PKEY_verify_init(ctx.get());
  // With the digest set, OpenSSL also checks the input is 32 bytes.
  if (init != 1 || EVP_PKEY_CTX_set_signature_md(ctx.get(), Sha256Md()) != 1) {
    return nullptr;
  }
  return ctx;
}

}  // namespace

Result<PreparedKey> PreparedKey::Create(EVP_PKEY* pkey, Use use) {
  const KeyType type = KeyTypeOf(pkey);
  if (type == KeyType::kUnsupported) {
    return Err(ErrorCode::kInvalidArgument, "unsupported key");
  }
  PreparedKey key;
  key.type_ = type;
  key.use_ = use;
  if (EVP_PKEY_up_ref(pkey) != 1) {
    return Err(ErrorCode::kInternal, "EVP_PKEY_up_ref failed");
  }
  key.pkey_.reset(pkey);
  key.mu_ = std::make_unique<std::mutex>();
  const ErrorCode failure = use == Use::kSign ? ErrorCode::kInvalidArgument : ErrorCode::kInternal;
  if (type == KeyType::kP256) {
    key.pool_ = std::make_unique<Pool>();
    PkeyCtxPtr ctx = NewEcdsaCtx(pkey, use);  // Also checks the key is usable.
    if (!ctx) return Err(failure, "cannot initialise the EVP context for this key");
    key.pool_->idle.push_back(ctx.release());
    return key;
  }
  key.prepared_.reset(EVP_MD_CTX_new());
  const int ok =
      !key.prepared_
          ? 0
          : (use == Use::kSign
                 ? EVP_DigestSignInit(key.prepared_.get(), nullptr, nullptr, nullptr, pkey)
                 : EVP_DigestVerifyInit(key.prepared_.get(), nullptr, nullptr, nullptr, pkey));
  if (ok != 1) return Err(failure, "cannot initialise the EVP context for this key");
  return key;
}

EvpMdCtxPtr PreparedKey::Copy() const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || !prepared_) return nullptr;
  std::lock_guard<std::mutex> lock(*mu_);
  if (EVP_MD_CTX_copy_ex(ctx.get(), prepared_.get()) != 1) return nullptr;
  return ctx;
}

namespace {

// Runs `op` on an idle ES256 context of `pool` (or a new one), then returns
// the context to the pool.
template <typename Op>
bool WithEcdsaCtx(std::mutex& mu, std::vector<EVP_PKEY_CTX*>& idle, EVP_PKEY* pkey,
                  PreparedKey::Use use, Op op) {
  PkeyCtxPtr ctx;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!idle.empty()) {
      ctx.reset(idle.back());
      idle.pop_back();
    }
  }
  if (!ctx) ctx = NewEcdsaCtx(pkey, use);
  if (!ctx) return false;
  const bool ok = op(ctx.get());
  if (ok) {  // A context whose operation failed is not reused.
    std::lock_guard<std::mutex> lock(mu);
    if (idle.size() < kMaxIdleContexts) idle.push_back(ctx.release());
  }
  return ok;
}

}  // namespace

Result<std::string> PreparedKey::Sign(std::string_view input) const {
  if (use_ != Use::kSign) {
    return Err(ErrorCode::kInternal, "key is prepared for verification");
  }
  if (type_ == KeyType::kP256) {
    unsigned char digest[32];
    unsigned int digest_len = 0;
    if (EVP_Digest(input.data(), input.size(), digest, &digest_len, Sha256Md(), nullptr) != 1) {
      return Err(ErrorCode::kInternal, "SHA-256 failed");
    }
    unsigned char der[80];  // An ECDSA P-256 DER signature is at most 72 bytes.
    size_t len = sizeof(der);
    if (!WithEcdsaCtx(*mu_, pool_->idle, pkey_.get(), use_, [&](EVP_PKEY_CTX* ctx) {
          return EVP_PKEY_sign(ctx, der, &len, digest, sizeof(digest)) == 1;
        })) {
      return Err(ErrorCode::kInternal, "EVP_PKEY_sign failed");
    }
    return EcdsaDerToRaw(der, len);
  }
  EvpMdCtxPtr ctx = Copy();
  if (!ctx) return Err(ErrorCode::kInternal, "EVP_MD_CTX_copy_ex failed");
  return DigestSignJws(ctx.get(), type_, input);
}

bool PreparedKey::Verify(std::string_view input, std::string_view signature) const {
  if (use_ != Use::kVerify || signature.size() != 64) return false;
  if (type_ == KeyType::kP256) {
    std::string der;
    unsigned char digest[32];
    unsigned int digest_len = 0;
    if (!EcdsaRawToDer(signature, &der) ||
        EVP_Digest(input.data(), input.size(), digest, &digest_len, Sha256Md(), nullptr) != 1) {
      return false;
    }
    bool valid = false;
    // A signature that does not verify is not a context failure.
    WithEcdsaCtx(*mu_, pool_->idle, pkey_.get(), use_, [&](EVP_PKEY_CTX* ctx) {
      const int rc = EVP_PKEY_verify(ctx, U8(der), der.size(), digest, sizeof(digest));
      valid = rc == 1;
      return rc == 1 || rc == 0;
    });
    return valid;
  }
  EvpMdCtxPtr ctx = Copy();
  return ctx && DigestVerifyJws(ctx.get(), type_, input, signature);
}

Result<std::string> SignCompactJws(EVP_PKEY* pkey, const json& header, const json& payload) {
  std::string input = Base64UrlEncode(DumpJson(header)) + "." + Base64UrlEncode(DumpJson(payload));
  auto sig = SignRaw(pkey, input);
  if (!sig.ok()) return sig.error();
  return input + "." + Base64UrlEncode(*sig);
}

Result<DecodedJws> DecodeCompactJws(std::string_view jws) {
  if (jws.size() > kMaxTokenBytes) return Err(ErrorCode::kMalformed, "JWS too large");
  const size_t d1 = jws.find('.');
  const size_t d2 = d1 == std::string_view::npos ? d1 : jws.find('.', d1 + 1);
  if (d2 == std::string_view::npos || jws.find('.', d2 + 1) != jws.npos) {
    return Err(ErrorCode::kMalformed, "JWS must have three parts");
  }
  std::string header_raw, payload_raw, sig_raw;
  if (!Base64UrlDecode(jws.substr(0, d1), &header_raw) ||
      !Base64UrlDecode(jws.substr(d1 + 1, d2 - d1 - 1), &payload_raw) ||
      !Base64UrlDecode(jws.substr(d2 + 1), &sig_raw)) {
    return Err(ErrorCode::kMalformed, "JWS part is not strict base64url");
  }
  auto header = ParseJsonStrict(header_raw);
  if (!header.ok()) {
    return Err(ErrorCode::kMalformed, "JWS header: " + header.error().message);
  }
  auto payload = ParseJsonStrict(payload_raw);
  if (!payload.ok()) {
    return Err(ErrorCode::kMalformed, "JWS payload: " + payload.error().message);
  }
  if (!header->is_object() || !payload->is_object()) {
    return Err(ErrorCode::kMalformed, "JWS header and payload must be objects");
  }
  DecodedJws out;
  out.signing_input = std::string(jws.substr(0, d2));
  out.header = std::move(*header);
  out.payload = std::move(*payload);
  out.signature = std::move(sig_raw);
  return out;
}

// ---- zlib inflate (RFC 1950), bounded output.
Result<std::string> ZlibInflate(std::string_view data, size_t max_output) {
  if (data.size() > UINT_MAX || max_output >= SIZE_MAX / 2) {
    return Err(ErrorCode::kMalformed, "zlib data too large");
  }
  z_stream zs{};
  // inflateInit: zlib format only (RFC 1950 header and Adler-32 trailer), so
  // raw DEFLATE and gzip are refused.
  if (inflateInit(&zs) != Z_OK) {
    return Err(ErrorCode::kInternal, "inflateInit failed");
  }
  struct End {
    z_stream* zs;
    ~End() { inflateEnd(zs); }
  } end{&zs};
  zs.next_in = const_cast<Bytef*>(U8(data));
  zs.avail_in = static_cast<uInt>(data.size());
  // One byte beyond the bound tells an oversized stream from a full one.
  const size_t limit = max_output + 1;
  std::string out(std::min(limit, std::max<size_t>(4 * data.size(), 1024)), '\0');
  size_t produced = 0;
  while (true) {
    if (produced == out.size()) {
      if (out.size() >= limit) break;
      out.resize(std::min(limit, out.size() * 2));
    }
    const size_t room = std::min<size_t>(out.size() - produced, UINT_MAX);
    zs.next_out = reinterpret_cast<Bytef*>(out.data()) + produced;
    zs.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      return Err(ErrorCode::kMalformed, "zlib data is truncated");
    }
    // Z_DATA_ERROR (bad header, bad code, Adler-32 mismatch), Z_NEED_DICT
    // (a preset dictionary), Z_MEM_ERROR.
    return Err(ErrorCode::kMalformed, std::string("invalid zlib data: ") +
                                          (zs.msg != nullptr ? zs.msg : "inflate failed"));
  }
  if (produced > max_output) {
    return Err(ErrorCode::kMalformed, "zlib data inflates beyond the limit");
  }
  if (zs.avail_in != 0) {
    return Err(ErrorCode::kMalformed, "trailing bytes after zlib data");
  }
  out.resize(produced);
  return out;
}

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace vouch::attest::internal
