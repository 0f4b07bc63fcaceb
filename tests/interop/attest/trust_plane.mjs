// Stock verifiers against vouchd's public trust plane (vouchd --http-listen),
// from the credential alone: nothing is passed in by hand but the token and
// the holder's key (for the presentation), and the TLS CA through
// NODE_EXTRA_CA_CERTS. Driven by tests/e2e/trust_http_e2e_test.cc.
//
//   node trust_plane.mjs keygen PREFIX                 -> PREFIX.jwk, PREFIX.pem (P-256)
//   node trust_plane.mjs verify TOKEN PREFIX valid|revoked
//
// verify: (1) @sd-jwt/sd-jwt-vc with its own status-list fetcher (GET of
// status.status_list.uri, application/statuslist+jwt), the issuer key
// resolved through /.well-known/jwt-vc-issuer and its jwks_uri, and the
// Type Metadata loaded from the vct; (2) jose's createRemoteJWKSet against
// the jwks_uri of the metadata, jwtVerify of the issuer-signed JWT and of
// the status list token. "revoked" expects @sd-jwt to refuse the credential
// for its status and the list to hold 1 at the credential's index.
import crypto from 'node:crypto';
import fs from 'node:fs';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { digest, ES256 } from '@sd-jwt/crypto-nodejs';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';

const [command, ...args] = process.argv.slice(2);

if (command === 'keygen') {
  const [prefix] = args;
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  fs.writeFileSync(`${prefix}.jwk`, JSON.stringify(publicKey.export({ format: 'jwk' })));
  fs.writeFileSync(`${prefix}.pem`, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  process.exit(0);
}
assert.equal(command, 'verify', 'usage: keygen PREFIX | verify TOKEN PREFIX valid|revoked');
const [tokenFile, holderPrefix, expected] = args;
const token = fs.readFileSync(tokenFile, 'utf8').trim();
const issuerJwt = token.split('~')[0];
const { iss } = jose.decodeJwt(issuerJwt);

// SD-JWT VC draft, JWT VC Issuer Metadata: /.well-known/jwt-vc-issuer is
// inserted between the host and the path of `iss`.
async function issuerMetadata() {
  const url = new URL(iss);
  const path = url.pathname === '/' ? '' : url.pathname;
  const response = await fetch(`${url.origin}/.well-known/jwt-vc-issuer${path}`);
  assert.equal(response.status, 200);
  const metadata = await response.json();
  assert.equal(metadata.issuer, iss, 'metadata issuer equals iss');
  return metadata;
}
const metadata = await issuerMetadata();
async function issuerJwks() {
  if (metadata.jwks) return metadata.jwks;
  const response = await fetch(metadata.jwks_uri);
  assert.equal(response.status, 200);
  return response.json();
}
// @sd-jwt's verifier callback: the key named by the header's kid in the
// issuer's JWKS (used for the credential and for the status list token).
async function issuerVerifier(data, signature) {
  const header = JSON.parse(Buffer.from(data.split('.')[0], 'base64url').toString());
  const jwk = (await issuerJwks()).keys.find((k) => k.kid === header.kid);
  if (!jwk || jwk.alg !== header.alg) return false;
  const verify = await ES256.getVerifier(jwk);
  return verify(data, signature);
}
const holderKey = crypto.createPrivateKey(fs.readFileSync(`${holderPrefix}.pem`));
const sdjwt = new SDJwtVcInstance({
  hasher: digest, hashAlg: 'sha-256', verifier: issuerVerifier,
  kbSigner: async (data) => crypto.sign('sha256', Buffer.from(data),
    { key: holderKey, dsaEncoding: 'ieee-p1363' }).toString('base64url'),
  kbSignAlg: 'ES256',
  kbVerifier: async (data, sig, payload) => (await ES256.getVerifier(payload.cnf.jwk))(data, sig),
  loadTypeMetadataFormat: true,
});

// (1) @sd-jwt/sd-jwt-vc: a presentation of document_verified, verified with
// key binding; status and type metadata fetched by the library itself.
const presentation = await sdjwt.present(token, { document_verified: true },
  { kb: { payload: { aud: 'https://shop.example', nonce: 'n-1', iat: Math.floor(Date.now() / 1000) } } });
let verified;
try {
  verified = await sdjwt.verify(presentation, { keyBindingNonce: 'n-1', requiredClaimKeys: ['document_verified'] });
} catch (error) {
  if (expected === 'revoked') {
    assert.match(String(error.message), /Status is not valid/);
    console.log('ok - @sd-jwt/sd-jwt-vc refuses the revoked credential:', error.message);
  } else {
    throw error;
  }
}
if (expected === 'valid') {
  assert.equal(verified.payload.iss, iss);
  assert.equal(verified.payload.document_verified, true);
  assert.equal(verified.typeMetadata.mergedTypeMetadata.vct, verified.payload.vct);
  console.log('ok - @sd-jwt/sd-jwt-vc verifies: key from the issuer metadata, status list, type metadata');
} else {
  assert.equal(verified, undefined, 'a revoked credential must not verify');
}

// (2) jose: createRemoteJWKSet on the published JWKS.
const remote = jose.createRemoteJWKSet(new URL(metadata.jwks_uri));
const { payload } = await jose.jwtVerify(issuerJwt, remote, { issuer: iss, typ: 'dc+sd-jwt' });
const { uri, idx } = payload.status.status_list;
const listResponse = await fetch(uri);
assert.equal(listResponse.headers.get('content-type'), 'application/statuslist+jwt');
const listJwt = await listResponse.text();
const list = await jose.jwtVerify(listJwt, remote, { typ: 'statuslist+jwt', subject: uri });
assert.ok(list.payload.ttl > 0);
const status = getListFromStatusListJWT(listJwt).getStatus(idx);
assert.equal(status, expected === 'valid' ? 0 : 1);
console.log(`ok - jose verifies the credential and the status list with createRemoteJWKSet; status ${status}`);
