// An independent OpenID4VCI wallet (@openid4vc/openid4vci, the OpenWallet
// Foundation's oid4vc-ts) and SD-JWT VC verifier (@sd-jwt/sd-jwt-vc) against
// a real vouchd (#19, docs/wallet.md). Driven by
// openid4vci_interop_test.cc through run.sh; the TLS test CA comes in through
// NODE_EXTRA_CA_CERTS, nothing else is passed in but the offer and tx_code.
//
//   node wallet.mjs issue OFFER_URI_FILE TX_CODE_FILE OUT_DIR
//     From the offer URI alone: issuer and authorization server metadata
//     discovery, the pre-authorized code grant with the tx_code (a wrong one
//     first) and DPoP, a c_nonce from the nonce endpoint, a `jwt` key proof
//     (ES256, a fresh P-256 wallet key), the credential (with the DPoP proof;
//     without it, and a second time, refused). Then @sd-jwt/sd-jwt-vc verifies it with the
//     issuer's key resolved over HTTPS (/.well-known/jwt-vc-issuer, jwks_uri)
//     and its status list, and the wallet presents it with a KB-JWT
//     disclosing only age_equal_or_over.18, which @sd-jwt verifies too.
//     Writes OUT_DIR/{credential,presentation,jwks.json,status_uri}.
//   node wallet.mjs revoked OUT_DIR
//     After the revocation: @sd-jwt/sd-jwt-vc refuses the same presentation
//     for its status, and the list fetched from the credential's status.uri
//     has 1 at its index. Writes OUT_DIR/status_list (for vouch-verify).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { Openid4vciClient } from '@openid4vc/openid4vci';
import { clientAuthenticationAnonymous } from '@openid4vc/oauth2';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { digest, ES256 } from '@sd-jwt/crypto-nodejs';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';

const AUDIENCE = 'https://shop.example';
const KB_NONCE = 'rp-nonce-1';
const b64json = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decodePart = (jwt, i) => JSON.parse(Buffer.from(jwt.split('.')[i], 'base64url').toString());
const ok = (message) => console.log(`ok - ${message}`);

const [command, ...args] = process.argv.slice(2);

// The issuer's keys, resolved from the credential's `iss` over HTTPS (SD-JWT
// VC, JWT VC Issuer Metadata: /.well-known/jwt-vc-issuer + the iss path).
async function issuerJwks(iss) {
  const url = new URL(iss);
  const suffix = url.pathname === '/' ? '' : url.pathname;
  const response = await fetch(`${url.origin}/.well-known/jwt-vc-issuer${suffix}`);
  assert.equal(response.status, 200, 'jwt-vc-issuer metadata');
  const metadata = await response.json();
  assert.equal(metadata.issuer, iss, 'metadata issuer equals iss');
  if (metadata.jwks) return metadata.jwks;
  const jwks = await fetch(metadata.jwks_uri);
  assert.equal(jwks.status, 200, 'jwks_uri');
  return jwks.json();
}

function sdJwtVc(jwks, holderKey) {
  return new SDJwtVcInstance({
    hasher: digest,
    hashAlg: 'sha-256',
    verifier: async (data, signature) => {
      const header = JSON.parse(Buffer.from(data.split('.')[0], 'base64url').toString());
      const jwk = jwks.keys.find((k) => k.kid === header.kid);
      if (!jwk || (jwk.alg && jwk.alg !== header.alg)) return false;
      return (await ES256.getVerifier(jwk))(data, signature);
    },
    kbSigner: holderKey && (async (data) =>
      crypto.sign('sha256', Buffer.from(data), { key: holderKey, dsaEncoding: 'ieee-p1363' })
        .toString('base64url')),
    kbSignAlg: 'ES256',
    kbVerifier: async (data, sig, payload) => (await ES256.getVerifier(payload.cnf.jwk))(data, sig),
    // The status list is fetched by the library from status.status_list.uri.
  });
}

if (command === 'issue') {
  const [offerFile, txCodeFile, out] = args;
  const offerUri = fs.readFileSync(offerFile, 'utf8').trim();
  const txCode = fs.readFileSync(txCodeFile, 'utf8').trim();

  // The wallet's keys: fresh P-256 pairs, one for the credential (cnf), one
  // for DPoP; only the public JWKs leave.
  const newKey = () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
    return { privateKey, jwk: { kty, crv, x, y } };
  };
  const { privateKey, jwk: walletJwk } = newKey();
  const dpopKey = newKey();
  const dpopSigner = { method: 'jwk', alg: 'ES256', publicJwk: dpopKey.jwk };
  const keyFor = (jwk) => (jwk.x === dpopKey.jwk.x ? dpopKey.privateKey : privateKey);
  const client = new Openid4vciClient({
    callbacks: {
      hash: (data, alg) => crypto.createHash(alg.replace('-', '')).update(data).digest(),
      generateRandom: (length) => crypto.randomBytes(length),
      clientAuthentication: clientAuthenticationAnonymous(),
      signJwt: async (signer, { header, payload }) => {
        assert.equal(signer.method, 'jwk');
        const input = `${b64json(header)}.${b64json(payload)}`;
        const signature = crypto.sign('sha256', Buffer.from(input),
          { key: keyFor(signer.publicJwk), dsaEncoding: 'ieee-p1363' }).toString('base64url');
        return { jwt: `${input}.${signature}`, signerJwk: signer.publicJwk };
      },
    },
  });

  // (1) Discovery from the offer URI alone.
  const offer = await client.resolveCredentialOffer(offerUri);
  const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer);
  assert.equal(issuerMetadata.credentialIssuer.credential_issuer, offer.credential_issuer);
  // The library reads vouch's metadata as OpenID4VCI 1.0 (not a draft).
  assert.equal(issuerMetadata.originalDraftVersion, 'V1');
  const configurationId = 'vouch_identity';
  assert.ok(offer.credential_configuration_ids.includes(configurationId));
  const configuration = issuerMetadata.credentialIssuer.credential_configurations_supported[configurationId];
  assert.equal(configuration.format, 'dc+sd-jwt');
  ok(`offer and metadata resolved: issuer ${offer.credential_issuer}, ` +
     `authorization server ${issuerMetadata.authorizationServers[0].issuer}`);

  // (2) Token: a wrong tx_code first (the library surfaces the OAuth error;
  // vouch counts it), then the pre-authorized code grant with the right one.
  const wrongTxCode = txCode === '0'.repeat(txCode.length) ? '1'.repeat(txCode.length) : '0'.repeat(txCode.length);
  await assert.rejects(
    client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer: offer, issuerMetadata, txCode: wrongTxCode }),
    (error) => error.errorResponse?.error === 'invalid_grant');
  ok('a wrong tx_code is refused with invalid_grant');
  // vouch advertises DPoP (RFC 9449): the library binds the token to its key.
  assert.deepEqual(issuerMetadata.authorizationServers[0].dpop_signing_alg_values_supported, ['ES256']);
  const { accessTokenResponse, dpop } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer, issuerMetadata, txCode, dpop: { signer: dpopSigner },
  });
  assert.equal(accessTokenResponse.token_type, 'DPoP');
  assert.ok(dpop, 'the library keeps DPoP for the credential request');
  ok('DPoP-bound access token for the pre-authorized code and tx_code');

  // (3) Nonce, (4) the jwt key proof, (5) the credential.
  const { c_nonce: cNonce } = await client.requestNonce({ issuerMetadata });
  const { jwt: proof } = await client.createCredentialRequestJwtProof({
    issuerMetadata,
    credentialConfigurationId: configurationId,
    signer: { method: 'jwk', alg: 'ES256', publicJwk: walletJwk },
    nonce: cNonce,
  });
  assert.equal(decodePart(proof, 0).typ, 'openid4vci-proof+jwt');
  const credentialRequest = (withDpop) => client.retrieveCredentials({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: configurationId,
    proofs: { jwt: [proof] },
    dpop: withDpop ? { ...dpop, signer: dpopSigner } : undefined,
  });
  // The DPoP-bound token without its proof (Bearer) is refused, consuming
  // nothing.
  const unbound = await credentialRequest(false).then(
    () => assert.fail('a DPoP-bound token was accepted as Bearer'), (error) => error);
  assert.equal(unbound.response?.response?.status, 401);
  assert.equal(unbound.response.credentialErrorResponseResult?.data?.error, 'invalid_token');
  ok('the DPoP-bound token sent as Bearer is refused: 401 invalid_token');
  const response = await credentialRequest(true);
  const credentials = response.credentialResponse.credentials;
  assert.equal(credentials.length, 1);
  const credential = credentials[0].credential;
  assert.equal(typeof credential, 'string');
  ok('credential issued for a jwt key proof over the c_nonce');
  // The access token is spent: a second request gets invalid_token (401 with
  // WWW-Authenticate: Bearer, which the library parses).
  const again = await credentialRequest(true).then(
    () => assert.fail('a second credential was issued'), (error) => error);
  assert.equal(again.response?.response?.status, 401);
  assert.equal(again.response.wwwAuthenticate?.[0]?.scheme, 'DPoP');
  assert.equal(again.response.wwwAuthenticate[0].error, 'invalid_token');
  assert.equal(again.response.credentialErrorResponseResult?.data?.error, 'invalid_token');
  ok('the spent access token is refused: 401, WWW-Authenticate DPoP error=invalid_token');

  // (6) @sd-jwt/sd-jwt-vc verifies it: the issuer key over HTTPS, the status
  // list, cnf = the wallet's key.
  const iss = decodePart(credential.split('~')[0], 1).iss;
  assert.equal(iss, offer.credential_issuer);
  const jwks = await issuerJwks(iss);
  const sdjwt = sdJwtVc(jwks, privateKey);
  const whole = await sdjwt.verify(credential);
  assert.equal(whole.payload.vct, configuration.vct);
  assert.deepEqual(whole.payload.cnf.jwk, walletJwk, 'cnf is the wallet key');
  assert.equal(whole.payload.age_equal_or_over['18'], true);
  assert.ok(whole.payload.status.status_list.uri.startsWith('https://'));
  ok('@sd-jwt/sd-jwt-vc verifies the credential (issuer key from jwt-vc-issuer, status list), cnf = wallet key');

  // (7) The presentation: only age_equal_or_over.18, with a KB-JWT.
  const presentation = await sdjwt.present(credential, { age_equal_or_over: { 18: true } }, {
    kb: { payload: { aud: AUDIENCE, nonce: KB_NONCE, iat: Math.floor(Date.now() / 1000) } },
  });
  const presented = await sdjwt.verify(presentation, { keyBindingNonce: KB_NONCE });
  assert.ok(presented.kb, 'key binding verified');
  assert.equal(presented.kb.payload.aud, AUDIENCE);
  assert.deepEqual(presented.payload.age_equal_or_over, { 18: true });
  for (const hidden of ['given_name', 'family_name', 'birthdate', 'nationalities', 'verification', 'sub']) {
    assert.ok(!(hidden in presented.payload), `${hidden} is not disclosed`);
  }
  // The disclosures presented: the age_equal_or_over object and its "18"
  // entry (recursively disclosable), nothing else.
  const disclosed = presentation.split('~').slice(1, -1)
    .map((d) => JSON.parse(Buffer.from(d, 'base64url').toString())[1]);
  assert.deepEqual(disclosed.sort(), ['18', 'age_equal_or_over']);
  ok('@sd-jwt/sd-jwt-vc verifies the presentation: KB-JWT with the wallet key, only age_equal_or_over.18');

  fs.writeFileSync(path.join(out, 'credential'), credential);
  fs.writeFileSync(path.join(out, 'presentation'), presentation);
  fs.writeFileSync(path.join(out, 'jwks.json'), JSON.stringify(jwks));
  process.exit(0);
}

assert.equal(command, 'revoked', 'usage: issue OFFER TX_CODE OUT | revoked OUT');
const [out] = args;
const presentation = fs.readFileSync(path.join(out, 'presentation'), 'utf8');
const jwks = JSON.parse(fs.readFileSync(path.join(out, 'jwks.json'), 'utf8'));
const payload = decodePart(presentation.split('~')[0], 1);
await assert.rejects(sdJwtVc(jwks).verify(presentation, { keyBindingNonce: KB_NONCE }),
  /Status is not valid/);
ok('@sd-jwt/sd-jwt-vc refuses the revoked credential for its status');
const { uri, idx } = payload.status.status_list;
const list = await fetch(uri);
assert.equal(list.status, 200);
assert.equal(list.headers.get('content-type'), 'application/statuslist+jwt');
const listJwt = await list.text();
assert.equal(getListFromStatusListJWT(listJwt).getStatus(idx), 1);
fs.writeFileSync(path.join(out, 'status_list'), listJwt);
ok(`the status list at ${uri} has 1 (revoked) at ${idx}`);
