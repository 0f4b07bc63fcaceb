#include "internal/jose.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <array>
#include <charconv>
#include <cmath>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

namespace vouch::attest::internal {
namespace {

using json = nlohmann::json;
using BnPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free_all>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpenSslDeleter<ECDSA_SIG_free>>;
using ParamBldPtr =
    std::unique_ptr<OSSL_PARAM_BLD, OpenSslDeleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, OpenSslDeleter<OSSL_PARAM_free>>;
using PkeyCtxPtr =
    std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX_free>>;

constexpr char kB64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

Error Err(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

const unsigned char* U8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  const size_t full = bytes.size() / 3;
  const size_t rest = bytes.size() % 3;
  std::string out(full * 4 + (rest == 0 ? 0 : rest + 1), '\0');
  const auto* b = U8(bytes);
  char* o = out.data();
  for (size_t i = 0; i < full; ++i, b += 3, o += 4) {
    const uint32_t v = (uint32_t{b[0]} << 16) | (uint32_t{b[1]} << 8) | b[2];
    o[0] = kB64Alphabet[(v >> 18) & 63];
    o[1] = kB64Alphabet[(v >> 12) & 63];
    o[2] = kB64Alphabet[(v >> 6) & 63];
    o[3] = kB64Alphabet[v & 63];
  }
  if (rest == 1) {
    const uint32_t v = uint32_t{b[0]} << 16;
    o[0] = kB64Alphabet[(v >> 18) & 63];
    o[1] = kB64Alphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{b[0]} << 16) | (uint32_t{b[1]} << 8);
    o[0] = kB64Alphabet[(v >> 18) & 63];
    o[1] = kB64Alphabet[(v >> 12) & 63];
    o[2] = kB64Alphabet[(v >> 6) & 63];
  }
  return out;
}

bool Base64UrlDecode(std::string_view text, std::string* out) {
  static const auto kTable = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kB64Alphabet[i])] = i;
    return t;
  }();
  out->clear();
  const size_t n = text.size();
  if (n % 4 == 1) return false;
  out->resize(n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1));
  const auto* in = U8(text);
  char* o = out->data();
  size_t i = 0;
  for (; i + 4 <= n; i += 4, o += 3) {
    const int a = kTable[in[i]], b = kTable[in[i + 1]], c = kTable[in[i + 2]],
              d = kTable[in[i + 3]];
    if ((a | b | c | d) < 0) return false;
    const uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) |
                       (uint32_t(c) << 6) | uint32_t(d);
    o[0] = static_cast<char>(v >> 16);
    o[1] = static_cast<char>(v >> 8);
    o[2] = static_cast<char>(v);
  }
  const size_t rest = n - i;
  if (rest == 2) {
    const int a = kTable[in[i]], b = kTable[in[i + 1]];
    // Canonical: the 4 unused low bits must be zero.
    if ((a | b) < 0 || (b & 0x0f) != 0) return false;
    o[0] = static_cast<char>((a << 2) | (b >> 4));
  } else if (rest == 3) {
    const int a = kTable[in[i]], b = kTable[in[i + 1]], c = kTable[in[i + 2]];
    if ((a | b | c) < 0 || (c & 0x03) != 0) return false;
    o[0] = static_cast<char>((a << 2) | (b >> 4));
    o[1] = static_cast<char>(((b & 0x0f) << 4) | (c >> 2));
  }
  return true;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int len = 0;
    uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p < len) return false;
    for (int i = 1; i < len; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    p += len;
  }
  return true;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ReadHex4(std::string_view text, size_t at, uint32_t* out) {
  if (at + 4 > text.size()) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    const int h = HexValue(text[at + i]);
    if (h < 0) return false;
    v = (v << 4) | static_cast<uint32_t>(h);
  }
  *out = v;
  return true;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

}  // namespace

bool ParseJsonStringAt(std::string_view text, size_t* pos, std::string* out) {
  size_t i = *pos;
  if (i >= text.size() || text[i] != '"') return false;
  ++i;
  out->clear();
  size_t run = i;  // Start of the pending run of plain characters.
  while (true) {
    if (i >= text.size()) return false;
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"') {
      const std::string_view tail = text.substr(run, i - run);
      if (!IsValidUtf8(tail)) return false;
      out->append(tail);
      *pos = i + 1;
      return true;
    }
    if (c < 0x20) return false;
    if (c != '\\') {
      ++i;
      continue;
    }
    const std::string_view plain = text.substr(run, i - run);
    if (!IsValidUtf8(plain)) return false;
    out->append(plain);
    if (i + 1 >= text.size()) return false;
    const char e = text[i + 1];
    i += 2;
    switch (e) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        uint32_t cp = 0;
        if (!ReadHex4(text, i, &cp)) return false;
        i += 4;
        if (cp >= 0xdc00 && cp <= 0xdfff) return false;  // Lone low half.
        if (cp >= 0xd800 && cp <= 0xdbff) {
          uint32_t low = 0;
          if (i + 1 >= text.size() || text[i] != '\\' || text[i + 1] != 'u' ||
              !ReadHex4(text, i + 2, &low) || low < 0xdc00 || low > 0xdfff) {
            return false;
          }
          i += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        }
        AppendUtf8(out, cp);
        break;
      }
      default:
        return false;
    }
    run = i;
  }
}

namespace {

// A strict RFC 8259 parser into nlohmann::json. Ours rather than nlohmann's
// because it must refuse duplicate member names and deep nesting as it goes,
// and because nlohmann's lexer was a fifth of the verification time.
// Recursion is bounded by kMaxJsonDepth.
class StrictParser {
 public:
  explicit StrictParser(std::string_view text) : t_(text) {}

  Result<json> Parse() {
    json value;
    SkipSpace();
    if (!Value(&value, 0)) return Err(ErrorCode::kMalformed, error_);
    SkipSpace();
    if (i_ != t_.size()) return Err(ErrorCode::kMalformed, "invalid JSON (trailing data)");
    return value;
  }

 private:
  bool Fail(const char* message) {
    if (error_.empty()) error_ = message;
    return false;
  }
  void SkipSpace() {
    while (i_ < t_.size() &&
           (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) {
      ++i_;
    }
  }
  bool Literal(std::string_view word) {
    if (t_.compare(i_, word.size(), word) != 0) return Fail("invalid JSON literal");
    i_ += word.size();
    return true;
  }

  bool Value(json* out, int depth) {
    if (i_ >= t_.size()) return Fail("invalid JSON (unexpected end)");
    switch (t_[i_]) {
      case '{':
        return Object(out, depth + 1);
      case '[':
        return Array(out, depth + 1);
      case '"': {
        std::string s;
        if (!ParseJsonStringAt(t_, &i_, &s)) return Fail("invalid JSON string");
        *out = std::move(s);
        return true;
      }
      case 't':
        *out = true;
        return Literal("true");
      case 'f':
        *out = false;
        return Literal("false");
      case 'n':
        *out = nullptr;
        return Literal("null");
      default:
        return Number(out);
    }
  }

  bool Object(json* out, int depth) {
    if (depth > kMaxJsonDepth) return Fail("JSON nested too deeply");
    ++i_;
    *out = json::object();
    auto& members = out->get_ref<json::object_t&>();
    SkipSpace();
    if (i_ < t_.size() && t_[i_] == '}') {
      ++i_;
      return true;
    }
    while (true) {
      SkipSpace();
      std::string key;
      if (!ParseJsonStringAt(t_, &i_, &key)) return Fail("invalid JSON member name");
      SkipSpace();
      if (i_ >= t_.size() || t_[i_] != ':') return Fail("invalid JSON (expected ':')");
      ++i_;
      SkipSpace();
      json value;
      if (!Value(&value, depth)) return false;
      if (!members.emplace(std::move(key), std::move(value)).second) {
        return Fail("duplicate JSON member name");
      }
      SkipSpace();
      if (i_ < t_.size() && t_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < t_.size() && t_[i_] == '}') {
        ++i_;
        return true;
      }
      return Fail("invalid JSON (expected ',' or '}')");
    }
  }

  bool Array(json* out, int depth) {
    if (depth > kMaxJsonDepth) return Fail("JSON nested too deeply");
    ++i_;
    *out = json::array();
    auto& items = out->get_ref<json::array_t&>();
    SkipSpace();
    if (i_ < t_.size() && t_[i_] == ']') {
      ++i_;
      return true;
    }
    while (true) {
      SkipSpace();
      json value;
      if (!Value(&value, depth)) return false;
      items.push_back(std::move(value));
      SkipSpace();
      if (i_ < t_.size() && t_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < t_.size() && t_[i_] == ']') {
        ++i_;
        return true;
      }
      return Fail("invalid JSON (expected ',' or ']')");
    }
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? ; integers become int64
  // (negative) or uint64 like nlohmann's, others double (finite only).
  bool Number(json* out) {
    const size_t start = i_;
    auto digit = [&](size_t k) { return k < t_.size() && t_[k] >= '0' && t_[k] <= '9'; };
    if (i_ < t_.size() && t_[i_] == '-') ++i_;
    if (!digit(i_)) return Fail("invalid JSON value");
    if (t_[i_] == '0') {
      ++i_;
    } else {
      while (digit(i_)) ++i_;
    }
    bool integral = true;
    if (i_ < t_.size() && t_[i_] == '.') {
      integral = false;
      ++i_;
      if (!digit(i_)) return Fail("invalid JSON number");
      while (digit(i_)) ++i_;
    }
    if (i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E')) {
      integral = false;
      ++i_;
      if (i_ < t_.size() && (t_[i_] == '+' || t_[i_] == '-')) ++i_;
      if (!digit(i_)) return Fail("invalid JSON number");
      while (digit(i_)) ++i_;
    }
    const char* first = t_.data() + start;
    const char* last = t_.data() + i_;
    if (integral) {
      if (*first == '-') {
        int64_t v = 0;
        auto r = std::from_chars(first, last, v);
        if (r.ec == std::errc() && r.ptr == last) {
          *out = v;
          return true;
        }
      } else {
        uint64_t v = 0;
        auto r = std::from_chars(first, last, v);
        if (r.ec == std::errc() && r.ptr == last) {
          *out = v;
          return true;
        }
      }
    }
    double d = 0;
    auto r = std::from_chars(first, last, d);
    if (r.ec != std::errc() || r.ptr != last || !std::isfinite(d)) {
      return Fail("JSON number out of range");
    }
    *out = d;
    return true;
  }

  std::string_view t_;
  size_t i_ = 0;
  std::string error_;
};

}  // namespace

Result<json> ParseJsonStrict(std::string_view text) {
  if (text.size() > kMaxTokenBytes) {
    return Err(ErrorCode::kMalformed, "JSON text too large");
  }
  return StrictParser(text).Parse();
}

std::string DumpJson(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
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

std::string Sha256B64(std::string_view text) {
  return Base64UrlEncode(Sha256(text));
}

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {}

std::string Sha256Hasher::B64(std::string_view text) {
  unsigned char md[32];
  unsigned int len = 0;
  if (!ctx_ || EVP_DigestInit_ex2(ctx_.get(), Sha256Md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx_.get(), text.data(), text.size()) != 1 ||
      EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) {
    return Sha256B64(text);  // Fresh-context path; aborts only on OOM.
  }
  return Base64UrlEncode(std::string_view(reinterpret_cast<char*>(md), 32));
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
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                       sizeof(group), &len) == 1 &&
        (std::strcmp(group, "prime256v1") == 0 ||
         std::strcmp(group, "P-256") == 0)) {
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
      !Base64UrlDecode(it->get_ref<const std::string&>(), &raw) ||
      raw.size() != 32) {
    return Err(ErrorCode::kMalformed,
               std::string("JWK member ") + name +
                   " must be 32 bytes of base64url");
  }
  return raw;
}

bool MemberIs(const json& obj, const char* name, const char* value) {
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() &&
         it->get_ref<const std::string&>() == value;
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
    EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                                 U8(*x), x->size());
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
        !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                         "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                          point.data(), point.size())) {
      return Err(ErrorCode::kInternal, "OSSL_PARAM_BLD failed");
    }
    ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* pkey = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY,
                          params.get()) != 1 ||
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
                  {"x", Base64UrlEncode(std::string_view(
                            reinterpret_cast<char*>(raw), 32))}};
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
      return json{
          {"kty", "EC"},
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
    return Err(ErrorCode::kInvalidArgument,
               "not an unencrypted PEM private key");
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
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey, nullptr, nullptr,
                                            0, nullptr, nullptr) != 1) {
    return Err(ErrorCode::kInternal, "cannot encode PKCS#8 PEM");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(len));
  // The BIO held the private key: wipe it before it is freed.
  OPENSSL_cleanse(data, static_cast<size_t>(len));
  return pem;
}

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
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, U8(input), input.size()) != 1) {
    return Err(ErrorCode::kInternal, "EVP_DigestSign failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()),
                     &len, U8(input), input.size()) != 1) {
    return Err(ErrorCode::kInternal, "EVP_DigestSign failed");
  }
  sig.resize(len);
  if (type == KeyType::kEd25519) return sig;
  // DER -> raw R||S, each left-padded to 32 bytes (RFC 7518 §3.4).
  const unsigned char* p = U8(sig);
  EcdsaSigPtr ecdsa(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
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

bool VerifyRaw(EVP_PKEY* pkey, std::string_view input,
               std::string_view signature) {
  const KeyType type = KeyTypeOf(pkey);
  if (type == KeyType::kUnsupported || signature.size() != 64) return false;
  std::string der;
  if (type == KeyType::kP256) {
    EcdsaSigPtr ecdsa(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(U8(signature), 32, nullptr);
    BIGNUM* s = BN_bin2bn(U8(signature) + 32, 32, nullptr);
    if (!ecdsa || r == nullptr || s == nullptr) {
      BN_free(r);
      BN_free(s);
      return false;
    }
    ECDSA_SIG_set0(ecdsa.get(), r, s);  // Takes ownership.
    unsigned char* buf = nullptr;
    const int len = i2d_ECDSA_SIG(ecdsa.get(), &buf);
    if (len <= 0) return false;
    der.assign(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
    OPENSSL_free(buf);
    signature = der;
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const EVP_MD* md = type == KeyType::kP256 ? Sha256Md() : nullptr;
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), U8(signature), signature.size(),
                          U8(input), input.size()) == 1;
}

Result<std::string> SignCompactJws(EVP_PKEY* pkey, const json& header,
                                   const json& payload) {
  std::string input = Base64UrlEncode(DumpJson(header)) + "." +
                      Base64UrlEncode(DumpJson(payload));
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

// ---- zlib inflate (RFC 1950 / RFC 1951), after the structure of zlib's
// contrib/puff: canonical Huffman decoding, bit by bit, fully bounded.
namespace {

constexpr int kMaxBits = 15;

struct Huffman {
  std::array<short, kMaxBits + 1> count{};
  std::array<short, 288> symbol{};
};

class Inflater {
 public:
  Inflater(std::string_view in, size_t max_out) : in_(in), max_out_(max_out) {}

  bool Run(std::string* out) {
    out_ = out;
    int last = 0;
    do {
      last = Bits(1);
      const int type = Bits(2);
      if (failed_) return false;
      bool ok = false;
      if (type == 0) ok = Stored();
      else if (type == 1) ok = Fixed();
      else if (type == 2) ok = Dynamic();
      if (!ok || failed_) return false;
    } while (!last);
    return true;
  }
  size_t consumed() const { return pos_; }

 private:
  int Bits(int need) {
    uint32_t val = bitbuf_;
    while (bitcnt_ < need) {
      if (pos_ >= in_.size()) {
        failed_ = true;
        return 0;
      }
      val |= static_cast<uint32_t>(static_cast<unsigned char>(in_[pos_++]))
             << bitcnt_;
      bitcnt_ += 8;
    }
    bitbuf_ = val >> need;
    bitcnt_ -= need;
    return static_cast<int>(val & ((1u << need) - 1));
  }

  bool Put(char c) {
    if (out_->size() >= max_out_) return false;
    out_->push_back(c);
    return true;
  }

  bool Stored() {
    bitbuf_ = 0;
    bitcnt_ = 0;
    if (pos_ + 4 > in_.size()) return false;
    const auto* p = U8(in_) + pos_;
    const unsigned len = p[0] | (p[1] << 8);
    const unsigned nlen = p[2] | (p[3] << 8);
    if (len != (~nlen & 0xffff)) return false;
    pos_ += 4;
    if (pos_ + len > in_.size()) return false;
    for (unsigned i = 0; i < len; ++i) {
      if (!Put(in_[pos_ + i])) return false;
    }
    pos_ += len;
    return true;
  }

  int Decode(const Huffman& h) {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= kMaxBits; ++len) {
      code |= Bits(1);
      if (failed_) return -1;
      const int count = h.count[len];
      if (code - count < first) return h.symbol[index + (code - first)];
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    return -1;  // Code not in the table.
  }

  // Returns false for an over-subscribed code set.
  static bool Construct(Huffman& h, const short* length, int n) {
    h.count.fill(0);
    for (int s = 0; s < n; ++s) h.count[length[s]]++;
    if (h.count[0] == n) return true;
    int left = 1;
    for (int len = 1; len <= kMaxBits; ++len) {
      left <<= 1;
      left -= h.count[len];
      if (left < 0) return false;
    }
    std::array<short, kMaxBits + 1> offs{};
    for (int len = 1; len < kMaxBits; ++len) {
      offs[len + 1] = static_cast<short>(offs[len] + h.count[len]);
    }
    for (int s = 0; s < n; ++s) {
      if (length[s] != 0) h.symbol[offs[length[s]]++] = static_cast<short>(s);
    }
    return true;
  }

  bool Codes(const Huffman& lencode, const Huffman& distcode) {
    static constexpr short kLenBase[29] = {
        3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
        31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static constexpr short kLenExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1,
                                            1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
                                            4, 4, 4, 4, 5, 5, 5, 5, 0};
    static constexpr short kDistBase[30] = {
        1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
        33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
        1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static constexpr short kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,
                                             4, 4, 5, 5, 6, 6, 7, 7,  8,  8,
                                             9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    while (true) {
      int symbol = Decode(lencode);
      if (symbol < 0) return false;
      if (symbol < 256) {
        if (!Put(static_cast<char>(symbol))) return false;
      } else if (symbol == 256) {
        return true;
      } else {
        symbol -= 257;
        if (symbol >= 29) return false;
        const int len = kLenBase[symbol] + Bits(kLenExtra[symbol]);
        int dsym = Decode(distcode);
        if (dsym < 0 || dsym >= 30) return false;
        const size_t dist =
            static_cast<size_t>(kDistBase[dsym] + Bits(kDistExtra[dsym]));
        if (failed_ || dist > out_->size()) return false;
        for (int i = 0; i < len; ++i) {
          if (!Put((*out_)[out_->size() - dist])) return false;
        }
      }
    }
  }

  bool Fixed() {
    Huffman lencode, distcode;
    short lengths[288];
    int s = 0;
    for (; s < 144; ++s) lengths[s] = 8;
    for (; s < 256; ++s) lengths[s] = 9;
    for (; s < 280; ++s) lengths[s] = 7;
    for (; s < 288; ++s) lengths[s] = 8;
    Construct(lencode, lengths, 288);
    for (s = 0; s < 30; ++s) lengths[s] = 5;
    Construct(distcode, lengths, 30);
    return Codes(lencode, distcode);
  }

  bool Dynamic() {
    static constexpr short kOrder[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                         11, 4,  12, 3, 13, 2, 14, 1, 15};
    const int nlen = Bits(5) + 257;
    const int ndist = Bits(5) + 1;
    const int ncode = Bits(4) + 4;
    if (failed_ || nlen > 286 || ndist > 30) return false;
    short lengths[320] = {0};
    for (int i = 0; i < ncode; ++i) lengths[kOrder[i]] = static_cast<short>(Bits(3));
    Huffman lencode, distcode;
    if (failed_ || !Construct(lencode, lengths, 19)) return false;
    int index = 0;
    while (index < nlen + ndist) {
      int symbol = Decode(lencode);
      if (symbol < 0) return false;
      if (symbol < 16) {
        lengths[index++] = static_cast<short>(symbol);
        continue;
      }
      short len = 0;
      if (symbol == 16) {
        if (index == 0) return false;
        len = lengths[index - 1];
        symbol = 3 + Bits(2);
      } else if (symbol == 17) {
        symbol = 3 + Bits(3);
      } else {
        symbol = 11 + Bits(7);
      }
      if (failed_ || index + symbol > nlen + ndist) return false;
      while (symbol--) lengths[index++] = len;
    }
    if (lengths[256] == 0) return false;  // No end-of-block code.
    if (!Construct(lencode, lengths, nlen)) return false;
    if (!Construct(distcode, lengths + nlen, ndist)) return false;
    return Codes(lencode, distcode);
  }

  std::string_view in_;
  size_t max_out_;
  std::string* out_ = nullptr;
  size_t pos_ = 0;
  uint32_t bitbuf_ = 0;
  int bitcnt_ = 0;
  bool failed_ = false;
};

uint32_t Adler32(std::string_view data) {
  uint32_t a = 1, b = 0;
  for (unsigned char c : data) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

}  // namespace

Result<std::string> ZlibInflate(std::string_view data, size_t max_output) {
  if (data.size() < 6) return Err(ErrorCode::kMalformed, "zlib data too short");
  const auto* p = U8(data);
  const unsigned cmf = p[0], flg = p[1];
  if ((cmf & 0x0f) != 8 || (cmf >> 4) > 7 || ((cmf << 8) | flg) % 31 != 0 ||
      (flg & 0x20) != 0) {
    return Err(ErrorCode::kMalformed, "not a zlib (RFC 1950) stream");
  }
  std::string out;
  Inflater inflater(data.substr(2, data.size() - 6), max_output);
  if (!inflater.Run(&out)) {
    return Err(ErrorCode::kMalformed,
               "invalid or oversized DEFLATE data");
  }
  if (inflater.consumed() != data.size() - 6) {
    return Err(ErrorCode::kMalformed, "trailing bytes after DEFLATE data");
  }
  const auto* t = p + data.size() - 4;
  const uint32_t adler = (uint32_t{t[0]} << 24) | (uint32_t{t[1]} << 16) |
                         (uint32_t{t[2]} << 8) | t[3];
  if (adler != Adler32(out)) {
    return Err(ErrorCode::kMalformed, "zlib Adler-32 mismatch");
  }
  return out;
}

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace vouch::attest::internal
