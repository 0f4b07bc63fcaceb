// Interop between vouch and independent implementations (jose 6.x,
// @sd-jwt/sd-jwt-vc 0.19.0), in both directions. Run by run.sh.
// Exits non-zero on the first failed check.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { digest } from '@sd-jwt/crypto-nodejs';

const [vouchctl, vouchVerify, work] = process.argv.slice(2);
const RP = 'https://rp.example';
const NONCE = 'nonce-' + crypto.randomBytes(8).toString('hex');
let checks = 0;
const ok = (what) => { checks++; console.log(`ok ${checks} - ${what}`); };
const file = (name, content) => {
  const p = path.join(work, name);
  fs.writeFileSync(p, content);
  return p;
};
const run = (bin, args) => execFileSync(bin, args, { encoding: 'utf8' }).trim();
const b64u = (buf) => Buffer.from(buf).toString('base64url');
const sha256b64u = (s) => b64u(crypto.createHash('sha256').update(s, 'ascii').digest());

// Node crypto signer/verifier for both algorithms (crypto-nodejs has no EdDSA).
function nodeSigner(privateKey, alg) {
  return async (data) => b64u(alg === 'ES256'
    ? crypto.sign('sha256', Buffer.from(data), { key: privateKey, dsaEncoding: 'ieee-p1363' })
    : crypto.sign(null, Buffer.from(data), privateKey));
}
function nodeVerify(jwk, data, sigB64u) {
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const sig = Buffer.from(sigB64u, 'base64url');
  if (sig.toString('base64url') !== sigB64u) return false;  // Strict base64url.
  return jwk.kty === 'EC'
    ? crypto.verify('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, sig)
    : crypto.verify(null, Buffer.from(data), key, sig);
}
// Issuer verifier for @sd-jwt: pick the JWKS key by the header's kid.
function jwksVerifier(jwks) {
  return async (data, sig) => {
    const header = JSON.parse(Buffer.from(data.split('.')[0], 'base64url').toString());
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    if (!jwk || (jwk.alg && jwk.alg !== header.alg)) return false;
    return nodeVerify(jwk, data, sig);
  };
}
function holderKey(alg) {
  const { privateKey, publicKey } = alg === 'ES256'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('ed25519');
  return { privateKey, publicJwk: publicKey.export({ format: 'jwk' }),
           pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) };
}
const sdjwtVc = (jwks, extra = {}) => new SDJwtVcInstance({
  hasher: digest, hashAlg: 'sha-256', verifier: jwksVerifier(jwks),
  kbVerifier: async (data, sig, payload) => nodeVerify(payload.cnf.jwk, data, sig),
  ...extra,
});

const claims = {
  telegram_user_id: '123456789',
  document_verified: true,
  verification: { assurance_level: 'substantial', time: 1767225000,
    evidence: { document_type: 'passport', issuing_country: 'UTO', checks_passed: ['mrz'] } },
  age_equal_or_over: { '16': true, '18': true, '21': true, '25': false, '65': false },
  nationalities: ['UTO', 'DEU'],
  birthdate: '2000-02-29', given_name: 'Anna', family_name: 'Eriksson',
};
const claimsFile = file('claims.json', JSON.stringify(claims));

// ---------- Direction 1: vouch issues, jose and @sd-jwt verify.
for (const alg of ['ES256', 'EdDSA']) {
  const keyDir = path.join(work, `keys-${alg}`);
  run(vouchctl, ['attest', 'keygen', '--key-dir', keyDir, '--alg', alg]);
  const jwks = JSON.parse(run(vouchctl, ['attest', 'jwks', '--key-dir', keyDir]));
  assert.equal(jwks.keys.length, 1);
  assert.equal(jwks.keys[0].alg, alg);
  assert.ok(!('d' in jwks.keys[0]));
  assert.equal(jwks.keys[0].kid, await jose.calculateJwkThumbprint(jwks.keys[0], 'sha256'));
  ok(`${alg}: vouch JWKS kid is the RFC 7638 thumbprint jose computes`);

  // Direct mode.
  const token = run(vouchctl, ['attest', 'issue', '--key-dir', keyDir, '--claims', claimsFile, '--aud', RP]);
  assert.ok(token.endsWith('~'));
  const jwt = token.split('~')[0];
  const { payload, protectedHeader } = await jose.jwtVerify(jwt, jose.createLocalJWKSet(jwks),
    { typ: 'dc+sd-jwt', audience: RP, algorithms: [alg], issuer: 'https://vouch.example' });
  assert.equal(protectedHeader.kid, jwks.keys[0].kid);
  assert.equal(payload._sd_alg, 'sha-256');
  ok(`${alg}: jose verifies the vouch issuer JWT (typ, aud, iss, kid)`);

  const vc = sdjwtVc(jwks);
  const verified = await vc.verify(token, { requiredClaimKeys: ['iss', 'vct', 'exp'] });
  assert.equal(verified.header.typ, 'dc+sd-jwt');
  assert.equal(verified.payload.given_name, 'Anna');
  assert.deepEqual(verified.payload.nationalities, ['UTO', 'DEU']);
  assert.deepEqual(verified.payload.age_equal_or_over,
    { '16': true, '18': true, '21': true, '25': false, '65': false });
  assert.equal(verified.payload.verification.evidence.issuing_country, 'UTO');
  assert.equal(verified.payload.sub.length, 43);
  ok(`${alg}: @sd-jwt/sd-jwt-vc verifies the vouch credential and decodes every disclosure`);

  // Wallet mode + presentation with a KB-JWT signed by vouchctl.
  const holder = holderKey(alg);
  const holderJwk = file(`holder-${alg}.jwk`, JSON.stringify(holder.publicJwk));
  const holderPem = file(`holder-${alg}.pem`, holder.pem);
  const walletToken = file(`wallet-${alg}.sdjwt`, run(vouchctl, ['attest', 'issue', '--key-dir', keyDir,
    '--claims', claimsFile, '--holder-jwk', holderJwk]));
  const presentation = run(vouchctl, ['attest', 'present', '--token', walletToken,
    '--disclose', 'age_equal_or_over.18', '--holder-key', holderPem, '--aud', RP, '--nonce', NONCE]);
  const pv = await vc.verify(presentation, { keyBindingNonce: NONCE });
  assert.deepEqual(pv.payload.age_equal_or_over, { '18': true });
  assert.equal(pv.payload.given_name, undefined);
  assert.equal(pv.kb.payload.aud, RP);
  assert.equal(pv.kb.header.typ, 'kb+jwt');
  ok(`${alg}: @sd-jwt verifies a vouch presentation (only age_equal_or_over.18) and its KB-JWT`);

  const kbJwt = presentation.slice(presentation.lastIndexOf('~') + 1);
  const issuerPayload = jose.decodeJwt(presentation.split('~')[0]);
  const kb = await jose.jwtVerify(kbJwt, await jose.importJWK(issuerPayload.cnf.jwk, alg),
    { typ: 'kb+jwt', audience: RP });
  assert.equal(kb.payload.nonce, NONCE);
  assert.equal(kb.payload.sd_hash, sha256b64u(presentation.slice(0, presentation.lastIndexOf('~') + 1)));
  ok(`${alg}: jose verifies the vouch KB-JWT with cnf.jwk; sd_hash matches`);

  // A tampered vouch credential is refused by @sd-jwt too (signature).
  const parts = jwt.split('.');
  const flipped = parts[0] + '.' + parts[1] + '.' + (parts[2][0] === 'A' ? 'B' : 'A') + parts[2].slice(1);
  await assert.rejects(vc.verify(token.replace(jwt, flipped)));
  ok(`${alg}: @sd-jwt refuses a vouch credential with a flipped signature`);
}

// ---------- Direction 2: jose and @sd-jwt issue, vouch-verify verifies.
function vouchVerifyRun(args) {
  const r = spawnSync(vouchVerify, args, { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
for (const alg of ['ES256', 'EdDSA']) {
  const { privateKey, publicKey } = alg === 'ES256'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('ed25519');
  const pub = publicKey.export({ format: 'jwk' });
  const kid = await jose.calculateJwkThumbprint(pub, 'sha256');
  const jwks = { keys: [{ ...pub, kid, use: 'sig', alg }] };
  const jwksFile = file(`js-jwks-${alg}.json`, JSON.stringify(jwks));
  const now = Math.floor(Date.now() / 1000);
  const holder = holderKey(alg);

  // @sd-jwt issues with 128-bit salts (its default is 64 bits: pitfall 5).
  const vc = sdjwtVc(jwks, {
    signer: nodeSigner(privateKey, alg), signAlg: alg,
    saltGenerator: () => crypto.randomBytes(16).toString('base64url'),
    kbSigner: nodeSigner(holder.privateKey, alg), kbSignAlg: alg,
  });
  const credential = await vc.issue({
    iss: 'https://issuer.js.example', iat: now, exp: now + 600, vct: 'https://js.example/vct/1',
    cnf: { jwk: holder.publicJwk },
    given_name: 'Anna', nationalities: ['UTO', 'DEU'],
    age_equal_or_over: { '18': true, '21': false },
  }, {
    _sd: ['given_name', 'age_equal_or_over', 'nationalities'],
    age_equal_or_over: { _sd: ['18', '21'] },
    nationalities: { _sd: [0, 1] },
  }, { header: { kid } });
  const credFile = file(`js-cred-${alg}.sdjwt`, credential);
  let r = vouchVerifyRun(['--jwks', jwksFile, '--token', credFile]);
  assert.equal(r.code, 0, r.err);
  const got = JSON.parse(r.out);
  assert.equal(got.given_name, 'Anna');
  assert.deepEqual(got.nationalities, ['UTO', 'DEU']);
  assert.deepEqual(got.age_equal_or_over, { '18': true, '21': false });
  ok(`${alg}: vouch-verify accepts an @sd-jwt-issued SD-JWT VC with nested disclosures`);

  const presentation = await vc.present(credential, { age_equal_or_over: { '18': true } },
    { kb: { payload: { iat: now, aud: RP, nonce: NONCE } } });
  const presFile = file(`js-pres-${alg}.sdjwt`, presentation);
  r = vouchVerifyRun(['--jwks', jwksFile, '--token', presFile, '--aud', RP, '--nonce', NONCE, '--require-kb']);
  assert.equal(r.code, 0, r.err);
  const pres = JSON.parse(r.out);
  assert.deepEqual(pres.age_equal_or_over, { '18': true });
  assert.equal(pres.given_name, undefined);
  ok(`${alg}: vouch-verify accepts an @sd-jwt presentation with KB-JWT`);

  r = vouchVerifyRun(['--jwks', jwksFile, '--token', presFile, '--aud', RP, '--nonce', 'other', '--require-kb']);
  assert.equal(r.code, 1);
  assert.match(r.err, /^invalid: wrong_nonce/);
  ok(`${alg}: vouch-verify refuses the @sd-jwt presentation with a wrong nonce (exit 1)`);

  // jose issues a plain JWT with typ dc+sd-jwt; with a trailing ~ it is an
  // SD-JWT VC without disclosures.
  const josePriv = await jose.importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }), alg);
  const joseJwt = await new jose.SignJWT({ vct: 'https://js.example/vct/1', document_verified: true })
    .setProtectedHeader({ alg, typ: 'dc+sd-jwt', kid })
    .setIssuer('https://issuer.js.example').setIssuedAt(now).setExpirationTime(now + 600)
    .setAudience(RP).sign(josePriv);
  const joseFile = file(`jose-${alg}.sdjwt`, joseJwt + '~');
  r = vouchVerifyRun(['--jwks', jwksFile, '--token', joseFile, '--aud', RP]);
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).document_verified, true);
  ok(`${alg}: vouch-verify accepts a jose-signed dc+sd-jwt`);
  r = vouchVerifyRun(['--jwks', jwksFile, '--token', joseFile, '--aud', 'https://other.example']);
  assert.equal(r.code, 1);
  assert.match(r.err, /wrong_audience/);
  ok(`${alg}: vouch-verify refuses the jose token for another audience (exit 1)`);

  // @sd-jwt's default 64-bit salts are accepted by the library; vouch-verify
  // accepts them too (salt length is the issuer's duty), but a JWKS holding
  // the private key is a usage error (exit 2).
  const leaky = file(`leaky-${alg}.json`, JSON.stringify({ keys: [{ ...privateKey.export({ format: 'jwk' }), kid }] }));
  r = vouchVerifyRun(['--jwks', leaky, '--token', credFile]);
  assert.equal(r.code, 2);
  ok(`${alg}: vouch-verify exits 2 for a JWKS that contains a private key`);
}
console.log(`interop: ${checks} checks passed`);
