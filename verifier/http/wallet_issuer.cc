#include "http/wallet_issuer.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "pipeline/attestor.h"
#include "vouch/v1/review.pb.h"

namespace vouch::verifier::http {
namespace {

using json = nlohmann::json;

constexpr char kPreAuthorizedGrant[] = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
constexpr char kActor[] = "wallet";

std::string PathOf(const std::string& url) {
  absl::string_view rest = url;
  absl::ConsumePrefix(&rest, "https://");
  const size_t slash = rest.find('/');
  return slash == absl::string_view::npos ? "" : std::string(rest.substr(slash));
}

// RFC 3986 unreserved characters kept, everything else %XX.
std::string PercentEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded; false for a malformed body or a
// repeated parameter.
bool ParseForm(absl::string_view body, std::map<std::string, std::string>* out) {
  if (body.empty()) return true;
  for (absl::string_view pair : absl::StrSplit(body, '&')) {
    const size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) return false;
    std::string decoded[2];
    const absl::string_view parts[2] = {pair.substr(0, eq), pair.substr(eq + 1)};
    for (int i = 0; i < 2; ++i) {
      for (size_t k = 0; k < parts[i].size(); ++k) {
        const char c = parts[i][k];
        if (c == '+') {
          decoded[i] += ' ';
        } else if (c == '%') {
          if (k + 2 >= parts[i].size()) return false;
          const int hi = HexValue(parts[i][k + 1]);
          const int lo = HexValue(parts[i][k + 2]);
          if (hi < 0 || lo < 0) return false;
          decoded[i] += static_cast<char>(hi * 16 + lo);
          k += 2;
        } else {
          decoded[i] += c;
        }
      }
    }
    if (!out->emplace(std::move(decoded[0]), std::move(decoded[1])).second) return false;
  }
  return true;
}

bool MediaTypeIs(absl::string_view content_type, absl::string_view want) {
  const absl::string_view type = absl::StripAsciiWhitespace(
      content_type.substr(0, std::min(content_type.find(';'), content_type.size())));
  return absl::EqualsIgnoreCase(type, want);
}

WalletAnswer Json(int status, const json& body) { return WalletAnswer{status, body.dump(), ""}; }

// How an access token is stored: its hash, with the key's thumbprint bound in
// when it is DPoP-bound (RFC 9449), so only a proof by that key finds it.
std::string AccessTokenHash(absl::string_view token, absl::string_view jkt) {
  return attest::HashForStorage(jkt.empty() ? std::string(token)
                                            : absl::StrCat(token, "\ndpop-jkt:", jkt));
}

json ClaimsMetadata(bool age_only) {
  const auto claim = [](std::vector<std::string> path, const char* name) {
    return json{{"path", path}, {"display", json::array({{{"name", name}, {"locale", "en"}}})}};
  };
  json claims = json::array({claim({"document_verified"}, "Document verified"),
                             claim({"age_equal_or_over"}, "Age thresholds reached")});
  if (!age_only) {
    claims.push_back(claim({"sub"}, "Pairwise subject"));
    claims.push_back(claim({"verification"}, "How the document was verified"));
    claims.push_back(claim({"nationalities"}, "Nationalities"));
    claims.push_back(claim({"birthdate"}, "Date of birth"));
    claims.push_back(claim({"given_name"}, "Given name"));
    claims.push_back(claim({"family_name"}, "Family name"));
  }
  return claims;
}

// A credential request's one `jwt` key proof: proofs.jwt[0] (1.0), or
// proof {proof_type: jwt} (drafts). Errors (kInvalidArgument): the
// invalid_proof reason.
absl::StatusOr<std::string> OneJwtProof(const json& request) {
  if (const auto proofs = request.find("proofs"); proofs != request.end()) {
    const auto jwts = proofs->is_object() ? proofs->find("jwt") : proofs->end();
    if (!proofs->is_object() || proofs->size() != 1 || jwts == proofs->end() || !jwts->is_array() ||
        jwts->size() != 1 || !(*jwts)[0].is_string()) {
      return absl::InvalidArgumentError("proofs must hold exactly one jwt proof");
    }
    return (*jwts)[0].get<std::string>();
  }
  if (const auto single = request.find("proof"); single != request.end()) {
    if (!single->is_object() || single->value("proof_type", "") != "jwt" ||
        !single->contains("jwt") || !single->at("jwt").is_string()) {
      return absl::InvalidArgumentError("proof must be of type jwt");
    }
    return single->at("jwt").get<std::string>();
  }
  return absl::InvalidArgumentError("a jwt key proof is required");
}

}  // namespace

WalletIssuer::WalletIssuer(WalletIssuerOptions options, pipeline::AttestationIssuer& inner,
                           storage::Store& store, OfferSealer sealer, Clock& clock)
    : options_(std::move(options)),
      issuer_path_(PathOf(options_.issuer_url)),
      inner_(inner),
      store_(store),
      sealer_(std::move(sealer)),
      clock_(clock),
      nonces_(options_.nonce_key.Clone(), absl::ToInt64Seconds(options_.nonce_lifetime)),
      token_limiter_(options_.token_rate_limit),
      credential_limiter_(options_.credential_rate_limit) {}

void WalletIssuer::Audit(absl::string_view action, absl::string_view verification_id,
                         std::string detail) {
  storage::AuditEvent event;
  event.time = clock_.Now();
  event.actor = kActor;
  event.action = std::string(action);
  event.verification_id = std::string(verification_id);
  event.detail = std::move(detail);
  (void)store_.AppendAudit(event);  // Best effort: a refusal stands without it.
}

WalletAnswer WalletIssuer::Fail(absl::string_view endpoint, int status, absl::string_view error,
                                absl::string_view reason, absl::string_view verification_id) {
  Audit("wallet.refuse", verification_id,
        json{{"endpoint", std::string(endpoint)},
             {"error", std::string(error)},
             {"reason", std::string(reason)}}
            .dump());
  WalletAnswer answer =
      Json(status, json{{"error", std::string(error)}, {"error_description", std::string(reason)}});
  if (status == 401) answer.www_authenticate = absl::StrCat("Bearer error=\"", error, "\"");
  return answer;
}

WalletAnswer WalletIssuer::Refuse(absl::string_view endpoint, int status, absl::string_view error,
                                  absl::string_view reason) {
  return Fail(endpoint, status, error, reason);
}

absl::StatusOr<v1::CredentialOffer> WalletIssuer::Offer(const pipeline::AttestationRequest& request,
                                                        absl::string_view verification_id) {
  if (!request.wallet_offer) return absl::InvalidArgumentError("not a wallet offer request");
  const absl::Time now = clock_.Now();
  const std::string code = attest::RandomUrlToken(32);
  const std::string tx_code = request.offer_tx_code_length > 0
                                  ? attest::RandomDigits(request.offer_tx_code_length)
                                  : std::string();
  storage::WalletOfferRecord record;
  record.code_hash = attest::HashForStorage(code);
  record.verification_id = std::string(verification_id);
  record.tx_code_hash = tx_code.empty() ? "" : attest::HashForStorage(tx_code);
  {
    v1::PendingAttestation pending = pipeline::ToPendingAttestation(request, v1::Summary());
    std::string plaintext = pending.SerializeAsString();
    std::tie(record.sealed, record.key_id) = sealer_.seal(record.code_hash, plaintext);
    WipeMemory(plaintext.data(), plaintext.size());
  }
  record.create_time = now;
  record.expire_time = now + request.offer_lifetime;
  VOUCH_RETURN_IF_ERROR(store_.CreateWalletOffer(record));

  json ids = json::array({kIdentityConfiguration});
  if (!request.claims.age_equal_or_over.empty()) ids.push_back(kAgeOverConfiguration);
  json grant = {{"pre-authorized_code", code}};
  if (!tx_code.empty()) {
    grant["tx_code"] = {{"input_mode", "numeric"},
                        {"length", tx_code.size()},
                        {"description", "The code the bot showed you in the chat"}};
  }
  const json offer = {{"credential_issuer", options_.issuer_url},
                      {"credential_configuration_ids", ids},
                      {"grants", {{kPreAuthorizedGrant, grant}}}};
  v1::CredentialOffer out;
  out.set_offer_json(offer.dump());
  out.set_uri(absl::StrCat("openid-credential-offer://?credential_offer=",
                           PercentEncode(out.offer_json())));
  out.set_tx_code(tx_code);
  out.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(record.expire_time));
  Audit(
      "wallet.offer", verification_id,
      json{{"expire_time", absl::ToUnixSeconds(record.expire_time)}, {"tx_code", !tx_code.empty()}}
          .dump());
  return out;
}

std::string WalletIssuer::CredentialIssuerMetadata() const {
  const auto configuration = [this](bool age_only) {
    return json{
        {"format", "dc+sd-jwt"},
        {"vct", options_.vct},
        {"scope", age_only ? "vouch_age_over" : "vouch_identity"},
        {"cryptographic_binding_methods_supported", json::array({"jwk"})},
        {"credential_signing_alg_values_supported", json::array({"ES256"})},
        {"proof_types_supported",
         {{"jwt", {{"proof_signing_alg_values_supported", json::array({"ES256"})}}}}},
        {"credential_metadata",
         {{"display", json::array({{{"name", age_only ? "Age verification" : "Verified identity"},
                                    {"locale", "en"}}})},
          {"claims", ClaimsMetadata(age_only)}}}};
  };
  return json{{"credential_issuer", options_.issuer_url},
              {"credential_endpoint", absl::StrCat(options_.issuer_url, "/credential")},
              {"nonce_endpoint", absl::StrCat(options_.issuer_url, "/nonce")},
              {"display", json::array({{{"name", "vouch"}, {"locale", "en"}}})},
              {"credential_configurations_supported",
               {{kIdentityConfiguration, configuration(false)},
                {kAgeOverConfiguration, configuration(true)}}}}
      .dump();
}

std::string WalletIssuer::AuthorizationServerMetadata() const {
  return json{{"issuer", options_.issuer_url},
              {"token_endpoint", absl::StrCat(options_.issuer_url, "/token")},
              {"grant_types_supported", json::array({kPreAuthorizedGrant})},
              {"response_types_supported", json::array()},
              {"token_endpoint_auth_methods_supported", json::array({"none"})},
              {"dpop_signing_alg_values_supported", json::array({"ES256"})},
              {"pre-authorized_grant_anonymous_access_supported", true}}
      .dump();
}

WalletAnswer WalletIssuer::Token(absl::string_view content_type, absl::string_view body,
                                 const std::vector<std::string>& dpop) {
  constexpr char kEndpoint[] = "token";
  if (body.size() > kMaxWalletRequestBytes) {
    return Fail(kEndpoint, 413, "invalid_request", "request body too large");
  }
  if (!MediaTypeIs(content_type, "application/x-www-form-urlencoded")) {
    return Fail(kEndpoint, 400, "invalid_request", "expected application/x-www-form-urlencoded");
  }
  std::map<std::string, std::string> form;
  if (!ParseForm(body, &form)) {
    return Fail(kEndpoint, 400, "invalid_request", "malformed or repeated parameters");
  }
  const auto grant_type = form.find("grant_type");
  if (grant_type == form.end()) return Fail(kEndpoint, 400, "invalid_request", "no grant_type");
  if (grant_type->second != kPreAuthorizedGrant) {
    return Fail(kEndpoint, 400, "unsupported_grant_type", "only the pre-authorized code grant");
  }
  const auto code = form.find("pre-authorized_code");
  if (code == form.end() || code->second.empty() || code->second.size() > 256) {
    return Fail(kEndpoint, 400, "invalid_request", "no pre-authorized_code");
  }
  const auto tx_code = form.find("tx_code");
  const bool has_tx_code = tx_code != form.end();
  if (has_tx_code && (tx_code->second.empty() || tx_code->second.size() > 16)) {
    return Fail(kEndpoint, 400, "invalid_request", "malformed tx_code");
  }
  // DPoP (RFC 9449): a proof binds the access token to its key.
  std::string bound_jkt;
  if (!dpop.empty()) {
    if (dpop.size() > 1) {
      return Fail(kEndpoint, 400, "invalid_dpop_proof", "more than one DPoP header");
    }
    const attest::DpopCheck proof = CheckDpop(dpop[0], "/token", "");
    if (!proof.ok()) return Fail(kEndpoint, 400, "invalid_dpop_proof", proof.refusal);
    bound_jkt = proof.jkt;
  }
  const absl::Time now = clock_.Now();
  const std::string token = attest::RandomUrlToken(32);
  absl::StatusOr<storage::WalletRedeemOutcome> redeemed = store_.RedeemWalletOffer(
      attest::HashForStorage(code->second),
      has_tx_code ? attest::HashForStorage(tx_code->second) : "", AccessTokenHash(token, bound_jkt),
      now + options_.access_token_lifetime, options_.max_tx_code_failures, now);
  if (!redeemed.ok()) {
    return Json(503, json{{"error", "temporarily_unavailable"}});
  }
  const std::string& id = redeemed->offer.verification_id;
  switch (redeemed->result) {
    case storage::WalletRedemption::kRedeemed:
      break;
    case storage::WalletRedemption::kUnknown:
      return Fail(kEndpoint, 400, "invalid_grant", "unknown pre-authorized_code");
    case storage::WalletRedemption::kExpired:
      return Fail(kEndpoint, 400, "invalid_grant", "pre-authorized_code expired", id);
    case storage::WalletRedemption::kAlreadyUsed:
      return Fail(kEndpoint, 400, "invalid_grant", "pre-authorized_code already redeemed", id);
    case storage::WalletRedemption::kLocked:
      return Fail(kEndpoint, 400, "invalid_grant", "too many wrong tx_codes: offer locked", id);
    case storage::WalletRedemption::kWrongTxCode:
      // OpenID4VCI 1.0 §6.3: a tx_code missing, or sent for an offer that
      // has none, is invalid_request; a wrong one invalid_grant.
      if (!has_tx_code) return Fail(kEndpoint, 400, "invalid_request", "tx_code required", id);
      if (redeemed->offer.tx_code_hash.empty()) {
        return Fail(kEndpoint, 400, "invalid_request", "this offer has no tx_code", id);
      }
      return Fail(kEndpoint, 400, "invalid_grant", "wrong tx_code", id);
  }
  Audit("wallet.token", id, json{{"dpop", !bound_jkt.empty()}}.dump());
  return Json(200, json{{"access_token", token},
                        {"token_type", bound_jkt.empty() ? "Bearer" : "DPoP"},
                        {"expires_in", absl::ToInt64Seconds(options_.access_token_lifetime)}});
}

WalletAnswer WalletIssuer::Nonce() {
  return Json(200, json{{"c_nonce", nonces_.Mint(absl::ToUnixSeconds(clock_.Now()))}});
}

WalletAnswer WalletIssuer::Credential(absl::string_view authorization,
                                      absl::string_view content_type, absl::string_view body,
                                      const std::vector<std::string>& dpop) {
  constexpr char kEndpoint[] = "credential";
  if (body.size() > kMaxWalletRequestBytes) {
    return Fail(kEndpoint, 413, "invalid_request", "request body too large");
  }
  absl::string_view token = authorization;
  const bool dpop_scheme = absl::ConsumePrefix(&token, "DPoP ");
  // A 401: the challenge names the scheme the request used.
  const auto unauthorized = [&](absl::string_view error, absl::string_view reason) {
    WalletAnswer answer = Fail(kEndpoint, 401, error, reason);
    if (dpop_scheme) {
      answer.www_authenticate = absl::StrCat("DPoP error=\"", error, "\", algs=\"ES256\"");
    }
    return answer;
  };
  if ((!dpop_scheme && !absl::ConsumePrefix(&token, "Bearer ")) || token.empty() ||
      token.size() > 256) {
    return unauthorized("invalid_token", "a Bearer or DPoP access token is required");
  }
  std::string bound_jkt;  // A DPoP-bound token is found under its key's thumbprint.
  if (dpop_scheme) {
    if (dpop.size() != 1) {
      return unauthorized("invalid_dpop_proof",
                          dpop.empty() ? "a DPoP proof is required" : "more than one DPoP header");
    }
    const attest::DpopCheck proof = CheckDpop(dpop[0], "/credential", token);
    if (!proof.ok()) return unauthorized("invalid_dpop_proof", proof.refusal);
    bound_jkt = proof.jkt;
  }
  if (!MediaTypeIs(content_type, "application/json")) {
    return Fail(kEndpoint, 400, "invalid_credential_request", "expected application/json");
  }
  absl::StatusOr<json> request =
      attest::ParseStrictJson(std::string_view(body.data(), body.size()));
  if (!request.ok() || !request->is_object()) {
    return Fail(kEndpoint, 400, "invalid_credential_request", "not a JSON object");
  }
  const auto config = request->find("credential_configuration_id");
  if (request->contains("credential_identifier")) {
    return Fail(kEndpoint, 400, "unknown_credential_identifier",
                "this issuer names no credential identifiers");
  }
  if (config == request->end() || !config->is_string()) {
    return Fail(kEndpoint, 400, "invalid_credential_request", "no credential_configuration_id");
  }
  const bool age_only = *config == kAgeOverConfiguration;
  if (!age_only && *config != kIdentityConfiguration) {
    return Fail(kEndpoint, 400, "unknown_credential_configuration",
                "unknown credential_configuration_id");
  }
  const absl::StatusOr<std::string> proof = OneJwtProof(*request);
  if (!proof.ok()) return Fail(kEndpoint, 400, "invalid_proof", proof.status().message());
  const int64_t now_unix = absl::ToUnixSeconds(clock_.Now());
  attest::KeyProofOptions proof_options;
  proof_options.audience = options_.issuer_url;
  proof_options.now = now_unix;
  proof_options.max_age_seconds = absl::ToInt64Seconds(options_.proof_max_age);
  const attest::KeyProofCheck checked = attest::VerifyKeyProof(*proof, proof_options);
  if (checked.refusal == attest::ProofRefusal::kNonceMissing) {
    return Fail(kEndpoint, 400, "invalid_nonce", "the proof has no nonce");
  }
  if (!checked.ok()) {
    return Fail(kEndpoint, 400, "invalid_proof", attest::ProofRefusalName(checked.refusal));
  }
  if (!nonces_.Valid(checked.nonce, now_unix)) {
    return Fail(kEndpoint, 400, "invalid_nonce", "unknown or expired c_nonce");
  }

  // The proof holds: claim the offer (once) and issue.
  const absl::Time now = clock_.Now();
  absl::StatusOr<storage::WalletOfferRecord> offer =
      store_.ClaimWalletOffer(AccessTokenHash(token, bound_jkt), now);
  if (absl::IsNotFound(offer.status())) {
    // Also a DPoP-bound token sent as Bearer or with another key's proof.
    return unauthorized("invalid_token", "unknown, expired or used access token");
  }
  if (!offer.ok()) return Json(503, json{{"error", "temporarily_unavailable"}});
  const std::string& id = offer->verification_id;
  absl::StatusOr<storage::VerificationRecord> verification = store_.GetVerification(id);
  v1::VerificationResult result;
  if (!verification.ok() || verification->state != storage::VerificationState::kCompleted ||
      !result.ParseFromString(verification->result) || result.decision() != v1::DECISION_VERIFIED) {
    return Fail(kEndpoint, 400, "credential_request_denied", "the verification is not VERIFIED",
                id);
  }
  absl::StatusOr<SecureBytes> opened = sealer_.open(offer->code_hash, offer->key_id, offer->sealed);
  v1::PendingAttestation pending;
  if (!opened.ok() || !pending.ParseFromArray(opened->data(), static_cast<int>(opened->size()))) {
    return Fail(kEndpoint, 500, "server_error", "the offer's claims cannot be opened", id);
  }
  pipeline::AttestationRequest issue = pipeline::FromPendingAttestation(pending, now);
  pending.Clear();
  issue.wallet_offer = false;
  issue.audience.clear();
  issue.holder_jwk_json = checked.jwk_json;
  // The pairwise subject is the wallet's, not the calling service's.
  const std::string relying_service = issue.relying_service;
  issue.relying_service.clear();
  if (age_only) {
    issue.claims.nationalities.clear();
    issue.claims.include_verification = false;
    pipeline::WipePersonalClaims(issue.claims);
    issue.claims.given_name.reset();
    issue.claims.family_name.reset();
    issue.claims.birthdate.reset();
  }
  absl::StatusOr<pipeline::IssuedAttestation> issued = inner_.Issue(issue);
  pipeline::WipePersonalClaims(issue.claims);
  if (!issued.ok()) {
    return Fail(kEndpoint, 500, "server_error", "the credential could not be issued", id);
  }
  const absl::Status recorded = store_.RecordAttestation(storage::AttestationRecord{
      issued->attestation_id, id, relying_service, issued->expire_time, issued->status_list_uri,
      issued->status_list_uri.empty() ? -1 : issued->status_list_index, 0});
  if (!recorded.ok()) {
    // Not revocable without its record: it is not handed out.
    return Fail(kEndpoint, 500, "server_error", "the credential could not be recorded", id);
  }
  Audit("wallet.issue", id,
        json{{"attestation_id", issued->attestation_id}, {"configuration", *config}}.dump());
  return Json(200, json{{"credentials", json::array({{{"credential", issued->sd_jwt}}})}});
}

}  // namespace vouch::verifier::http
