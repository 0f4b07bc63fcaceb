// An independent gRPC client for vouchd: @grpc/grpc-js with @grpc/proto-loader,
// loading the .proto files at run time (nothing generated, nothing shared with
// the C++ code). Starts a real vouchd on a free loopback port, then checks:
//   1. grpc.health.v1 Check answers SERVING;
//   2. server reflection (v1alpha, what grpc++ 1.51 serves) lists our services;
//   3. Verify with a submission sealed by `vouchctl passport seal` for the
//      key vouchd generated, and Verify with a wrong nonce (INVALID_ARGUMENT
//      with an ErrorInfo reason in grpc-status-details-bin).
// Usage: node client_test.js VOUCHD VOUCHCTL PROTO_DIR TESTDATA_DIR WORK_DIR

'use strict';
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [vouchd, vouchctl, protoDir, testdata, work] = process.argv.slice(2);
if (!work) {
  console.error('usage: node client_test.js VOUCHD VOUCHCTL PROTO_DIR TESTDATA_DIR WORK_DIR');
  process.exit(2);
}

const loaderOptions = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

function load(file, includeDirs) {
  return grpc.loadPackageDefinition(protoLoader.loadSync(file, { ...loaderOptions, includeDirs }));
}

// The bearer token of vouchd's first-start "default" service (set in main).
let serviceToken = '';

function call(client, method, request, deadlineSeconds = 30) {
  const metadata = new grpc.Metadata();
  if (serviceToken) metadata.set('authorization', `Bearer ${serviceToken}`);
  return new Promise((resolve, reject) => {
    client[method](request, metadata, { deadline: Date.now() + deadlineSeconds * 1000 },
      (err, res) => (err ? reject(err) : resolve(res)));
  });
}

async function waitForFile(file, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fs.existsSync(file)) {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      if (lines.length >= 2 && lines[0]) return lines;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`vouchd did not become ready (${file})`);
}

async function main() {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const dataDir = path.join(work, 'data');
  const ready = path.join(work, 'ready');
  const log = fs.openSync(path.join(work, 'vouchd.log'), 'w');
  const server = spawn(vouchd, ['--listen', '127.0.0.1:0', '--data-dir', dataDir,
    '--metrics-listen', '', '--ready-file', ready, '--workers', '1', '--insecure-loopback'],
  { stdio: ['ignore', log, log] });
  let exited = null;
  server.on('exit', (code) => { exited = code; });
  try {
    const [address] = await waitForFile(ready, 30000);
    const creds = grpc.credentials.createInsecure();
    serviceToken = fs.readFileSync(path.join(dataDir, 'service-default.token'), 'utf8').trim();

    // 1. Health.
    const healthProto = require.resolve('grpc-health-check/proto/health/v1/health.proto');
    const health = load(healthProto, []).grpc.health.v1;
    const healthClient = new health.Health(address, creds);
    const status = await call(healthClient, 'Check', { service: '' });
    assert.equal(status.status, 'SERVING');

    // 2. Reflection: list services.
    const reflectionProto = path.join(path.dirname(require.resolve('@grpc/reflection')),
      '..', 'proto', 'grpc', 'reflection', 'v1alpha', 'reflection.proto');
    const reflection = load(reflectionProto, []).grpc.reflection.v1alpha;
    const reflectionClient = new reflection.ServerReflection(address, creds);
    const services = await new Promise((resolve, reject) => {
      const stream = reflectionClient.ServerReflectionInfo();
      stream.on('data', (res) => {
        resolve(res.list_services_response.service.map((s) => s.name));
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ list_services: '*' });
    });
    for (const name of ['vouch.v1.Verification', 'vouch.v1.Attestations', 'grpc.health.v1.Health']) {
      assert.ok(services.includes(name), `reflection lists ${name}: ${services}`);
    }

    // 3. Verify a sealed submission.
    const publicKey = path.join(work, 'public.pem');
    execFileSync('openssl', ['pkey', '-in', path.join(dataDir, 'keys', 'passport_rsa.pem'),
      '-pubout', '-out', publicKey]);
    const sealed = path.join(work, 'sealed');
    execFileSync(vouchctl, ['passport', 'seal', '--public-key', publicKey,
      '--in', path.join(testdata, 'PLAIN.json'), '--files-dir', testdata, '--out-dir', sealed],
    { stdio: ['ignore', 'ignore', 'inherit'] });
    const plain = JSON.parse(fs.readFileSync(path.join(testdata, 'PLAIN.json'), 'utf8'));
    const passportData = fs.readFileSync(path.join(sealed, 'passport_data.json'), 'utf8');
    const files = fs.readdirSync(sealed).filter((f) => f !== 'passport_data.json')
      .map((f) => ({ file_id: f, content: fs.readFileSync(path.join(sealed, f)) }));
    const v1 = load('vouch/v1/verification.proto', [protoDir]).vouch.v1;
    const client = new v1.Verification(address, creds);
    const request = {
      passport_data_json: passportData, files, nonce: plain.nonce, telegram_user_id: '12345',
      relying_service: 'default', idempotency_key: 'node-1',
    };
    const result = await call(client, 'Verify', request);
    assert.equal(result.state, 'VERIFICATION_STATE_COMPLETED');
    assert.match(result.verification_id, /^ver_[a-z2-7]{26}$/);
    assert.notEqual(result.decision, 'DECISION_UNSPECIFIED');
    assert.notEqual(result.decision, 'DECISION_VERIFIED', 'no scan check ran, so never VERIFIED');
    assert.ok(result.checks.some((c) => c.name === 'expiry' && c.outcome === 'CHECK_OUTCOME_PASS'));
    const again = await call(client, 'Verify', request);
    assert.equal(again.verification_id, result.verification_id, 'idempotent');

    // Wrong nonce: INVALID_ARGUMENT with google.rpc details.
    const err = await call(client, 'Verify', { ...request, nonce: 'wrong', idempotency_key: '' })
      .then(() => null, (e) => e);
    assert.ok(err, 'wrong nonce must fail');
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    const detailsBin = err.metadata.get('grpc-status-details-bin')[0];
    assert.ok(detailsBin, 'grpc-status-details-bin present');
    const rpc = load('google/rpc/status.proto', [protoDir]);
    const StatusType = protoLoader.loadSync('google/rpc/error_details.proto',
      { ...loaderOptions, includeDirs: [protoDir] });
    assert.ok(StatusType['google.rpc.ErrorInfo']);
    assert.ok(rpc.google.rpc.Status);
    assert.ok(detailsBin.includes(Buffer.from('NONCE_MISMATCH')), 'ErrorInfo reason NONCE_MISMATCH');

    console.log(`ok: health SERVING; reflection lists ${services.length} services; ` +
      `Verify -> ${result.decision} (${result.checks.length} checks); wrong nonce -> INVALID_ARGUMENT`);
  } finally {
    if (exited === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  }
  assert.equal(exited ?? server.exitCode, 0, 'vouchd exits 0 after SIGTERM');
}

main().then(() => process.exit(0), (e) => {
  console.error('FAIL:', e && e.stack ? e.stack : e);
  try { console.error(fs.readFileSync(path.join(work, 'vouchd.log'), 'utf8')); } catch (_) { /* none */ }
  process.exit(1);
});
