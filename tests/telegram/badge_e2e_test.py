"""End to end: the badge outbox of a real vouchd against the fake Bot API.

vouchd runs with a badge policy (verify_user) and a 0600 token file; the
relying service calls Verify through the Python client (vouch_client) with a
genuine sample sealed for vouchd's key. The fake Bot API stands for
Telegram (tests/telegram/fake_bot_api_server).

  1. kill -9 between the enqueue and the delivery: the first vouchd's Bot API
     URL leads nowhere (every attempt is a network error, retried), so the
     VERIFIED result's verifyUser waits in the Store's outbox; vouchd is
     killed with SIGKILL; the second vouchd, on the same data, makes the call
     exactly once, and GetVerification shows the badge SET;
  2. revocation (Attestations.Revoke) → removeUserVerification once for the
     same user, and the badge REMOVED;
     a reviewer's reversal (Review.ReverseVerification, through `vouchctl queue
     reverse`) of a direct-mode verification, which has no status entry to
     revoke → REJECTED with the reversal, removeUserVerification once, and a
     repeat answers the same and calls nothing;
  3. a 429 storm (three 429s with retry_after = 1): retried no sooner than
     retry_after, and exactly one successful call in the end;
  4. a 400 (ok: false): one call, the badge FAILED with Telegram's
     description, not retried, audited;
  5. remove_at_expiry: 3. and 4. run under a short-lived policy (wallet
     attestations of 20..70 s, the one that expires 8..18 s after the
     issue; 3. runs before 2., so the wait overlaps 2. and 4.): the badge of
     3. is removed when its attestation expires, not before (the time of the
     call at the fake); the refused one of 4. is never removed;
  6. the verifier token is in no log and no file of vouchd's data directory.

Usage: badge_e2e_test.py SOURCE_DIR BUILD_DIR VOUCHD VOUCHCTL VOUCH_SAMPLE FAKE_SERVER
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SRC, BUILD, VOUCHD, VOUCHCTL, SAMPLE, FAKE = sys.argv[1:7]
sys.path.insert(0, os.path.join(BUILD, "clients/python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from vouch.v1 import admin_pb2, admin_pb2_grpc  # noqa: E402
from vouch.v1 import attestations_pb2, attestations_pb2_grpc  # noqa: E402
from vouch.v1 import review_pb2, review_pb2_grpc  # noqa: E402
from vouch.v1 import verification_pb2  # noqa: E402
from vouch_client import VouchClient  # noqa: E402
from e2e_support import assert_secret_absent, fail, http, logs, procs, run, stop_all  # noqa: E402
from e2e_support import wait_for  # noqa: E402

VERIFIER_TOKEN = "7770002:verifier-bot-token_badge_e2e_QQQQQQQQQQQQ"
DESCRIPTION = "Identity document checked by vouch"
NONCE = "badge-e2e-nonce-0001"
# The short-lived policies of steps 3-5: wallet attestations of these many
# seconds. iat is rounded down to the issuer's 60 s (attest/issuer.h), so an
# attestation expires at the minute's start + the lifetime: the test picks
# the policy whose expiry is 8..18 s after the issue.
SHORT_LIFETIMES = range(20, 80, 10)
reserved = []  # Sockets holding the dead URL's port.


def dead_url():
    """A loopback URL where nothing listens (connections are refused).

    The port stays bound (never listening) until the test ends, so no other
    process, such as a test running beside this one, can take it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    reserved.append(s)
    return "http://127.0.0.1:%d" % s.getsockname()[1]


def holder_jwk():
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()

    def b64(n):
        import base64
        return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()

    return json.dumps({"kty": "EC", "crv": "P-256", "x": b64(numbers.x), "y": b64(numbers.y)})


class Vouchd:
    def __init__(self, work, config, token_file, api_url, name):
        self.data = os.path.join(work, "data")
        self.ready = os.path.join(work, "ready-" + name)
        self.log_path = os.path.join(work, "vouchd-%s.log" % name)
        logs.append(self.log_path)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [VOUCHD, "--config", config, "--listen", "127.0.0.1:0", "--data-dir", self.data,
             "--ready-file", self.ready, "--metrics-listen", "127.0.0.1:0",
             "--insecure-loopback", "--workers", "2", "--models-dir",
             os.path.join(SRC, "models"), "--telegram-token-file", token_file,
             "--telegram-api-url", api_url],
            stdout=self.log, stderr=subprocess.STDOUT)
        procs.append(self.proc)
        wait_for("vouchd " + name, lambda: os.path.exists(self.ready)
                 and open(self.ready).read().count("\n") >= 2, 120)
        self.address, self.metrics = open(self.ready).read().split("\n")[:2]
        api_key = open(os.path.join(self.data, "service-default.token")).read().strip()
        admin_key = open(os.path.join(self.data, "admin.token")).read().strip()
        self.client = VouchClient(self.address, api_key=api_key, insecure=True)
        self.admin_metadata = (("authorization", "Bearer " + admin_key),)
        channel = grpc.insecure_channel(self.address)
        self.attestations = attestations_pb2_grpc.AttestationsStub(channel)
        self.review = review_pb2_grpc.ReviewStub(channel)
        self.admin = admin_pb2_grpc.AdminStub(channel)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.client.close()

    def verify(self, passport, files, user, key, policy="", direct=False):
        request = verification_pb2.VerifyRequest(
            passport_data_json=json.dumps(passport), nonce=NONCE, telegram_user_id=user,
            idempotency_key=key, policy=policy)
        request.files.extend(files)
        if direct:
            request.attestation.direct.audience = "shop.example"
        else:
            request.attestation.wallet.holder_jwk_json = holder_jwk()
        return self.client._call(self.client.verification.Verify, request, timeout=300)

    def badge(self, verification_id):
        result = self.client._call(
            self.client.verification.GetVerification,
            verification_pb2.GetVerificationRequest(verification_id=verification_id))
        return result.telegram_badge

    def audit(self):
        events = self.admin.ListAuditEvents(admin_pb2.ListAuditEventsRequest(page_size=1000),
                                            metadata=self.admin_metadata, timeout=30)
        return list(events.events)


T0 = time.time()


def step(name):
    """Prints the elapsed time at each step (the test's time is CI time)."""
    print("%6.1f s  %s" % (time.time() - T0, name), flush=True)


def main():
    work = tempfile.mkdtemp(prefix="vouch-badge-e2e.")
    p = subprocess.Popen([FAKE, VERIFIER_TOKEN], stdout=subprocess.PIPE, text=True)
    procs.append(p)
    line = p.stdout.readline().split()
    if len(line) != 2 or line[0] != "port":
        fail("fake Bot API did not start")
    fake = "http://127.0.0.1:" + line[1]

    def calls(method, user=None):
        out = http(fake + "/__control/calls")
        if out["violations"]:
            fail("Bot API rules broken: %s" % out["violations"])
        return [c for c in out["calls"] if c["method"] == method
                and (user is None or int(c["params"]["user_id"]) == user)]

    with open(os.path.join(SRC, "deploy/vouchd.example.toml")) as f:
        config = f.read()
    # The badge, removed at the end of the attestation's validity.
    config = (config.replace("# [policies.default.telegram]", "[policies.default.telegram]")
              .replace("# verify_user = true", "verify_user = true")
              .replace('# custom_description = "%s"' % DESCRIPTION,
                       'custom_description = "%s"' % DESCRIPTION)
              .replace("# remove_at_expiry = false", "remove_at_expiry = true"))
    # [policies.default] and its subtables, up to the next policy.
    start = config.find("[policies.default]\n")
    end = re.compile(r"\n\[policies\.(?!default[.\]])").search(config, start).start()
    default = config[start:end]
    if "\nverify_user = true" not in default or "\nremove_at_expiry = true" not in default \
            or '\nwallet_lifetime = "24h"' not in default:
        fail("the example config no longer documents [policies.default.telegram]")
    # The short-lived policies: the default one with another wallet_lifetime.
    for lifetime in SHORT_LIFETIMES:
        config += "\n" + (default.replace("[policies.default", "[policies.short%d" % lifetime)
                          .replace('wallet_lifetime = "24h"', 'wallet_lifetime = "%ds"' % lifetime))
    config_path = os.path.join(work, "vouchd.toml")
    with open(config_path, "w") as f:
        f.write(config)
    token_file = os.path.join(work, "verifier.token")
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, (VERIFIER_TOKEN + "\n").encode())
    os.close(fd)

    step("1. first vouchd")
    # 1. The first vouchd cannot reach Telegram.
    first = Vouchd(work, config_path, token_file, dead_url(), "first")
    public_key = run(["openssl", "pkey", "-in", os.path.join(first.data, "keys/passport_rsa.pem"),
                      "-pubout"])
    with open(os.path.join(work, "pub.pem"), "w") as f:
        f.write(public_key)
    sample = os.path.join(work, "genuine")
    run([SAMPLE, "--out", sample, "--nonce", NONCE, "--face",
         os.path.join(SRC, "models/face/samples/astronaut.png"), "--face-box", "120,0,210,273"])
    sealed = os.path.join(work, "genuine-sealed")
    run([VOUCHCTL, "passport", "seal", "--public-key", os.path.join(work, "pub.pem"), "--in",
         os.path.join(sample, "PLAIN.json"), "--files-dir", sample, "--out-dir", sealed])
    passport = json.load(open(os.path.join(sealed, "passport_data.json")))
    files = []
    for element in passport["data"]:
        refs = [element[k] for k in ("front_side", "reverse_side", "selfie") if k in element]
        refs += element.get("files", []) + element.get("translation", [])
        for ref in refs:
            files.append(verification_pb2.EncryptedFile(
                file_id=ref["file_id"],
                content=open(os.path.join(sealed, ref["file_id"]), "rb").read()))

    result = first.verify(passport, files, 1001, "badge-1")
    if result.decision != verification_pb2.DECISION_VERIFIED:
        fail("the genuine sample is not VERIFIED: %s" % result)
    if result.telegram_badge.state != verification_pb2.TelegramBadge.STATE_PENDING:
        fail("a fresh badge is not PENDING: %s" % result.telegram_badge)
    vid = result.verification_id
    # The dispatcher tried and got no answer (a network error, retried).
    wait_for("a failed attempt", lambda: first.badge(vid).error, 30)
    badge = first.badge(vid)
    if badge.state != verification_pb2.TelegramBadge.STATE_PENDING or not badge.error:
        fail("an unanswered call is not pending with its error: %s" % badge)
    first.kill9()
    if calls("verifyUser"):
        fail("Telegram saw a call before the restart")

    step("restart")
    second = Vouchd(work, config_path, token_file, fake, "second")
    made = wait_for("verifyUser after the restart", lambda: calls("verifyUser", 1001), 60)
    wait_for("the badge SET", lambda: second.badge(vid).state
             == verification_pb2.TelegramBadge.STATE_SET, 30)
    time.sleep(1)  # Two dispatcher polls: a second call would show now.
    made = calls("verifyUser", 1001)
    if len(made) != 1:
        fail("verifyUser made %d times after the restart" % len(made))
    if made[0]["params"] != {"user_id": 1001, "custom_description": DESCRIPTION}:
        fail("verifyUser parameters: %s" % made[0]["params"])

    step("3. storm")
    # 3. and 4. run under the short-lived policy that expires 8..18 s after
    # the issue (not in a minute's last seconds: the issue could fall in the
    # next minute, and its expiry a minute later); the storm comes first, so
    # steps 2, 2b and 4 run while its attestation's validity runs out.
    while time.time() % 60 > 55:
        time.sleep(0.5)
    second_of_minute = time.time() % 60
    short = "short%d" % min(t for t in SHORT_LIFETIMES if t - second_of_minute >= 8)

    # 3. A 429 storm: three answers of 429 with retry_after = 1, then ok.
    for _ in range(3):
        http(fake + "/__control/script",
             {"method": "verifyUser", "status": 429,
              "body": {"ok": False, "error_code": 429,
                       "description": "Too Many Requests: retry after 1",
                       "parameters": {"retry_after": 1}}})
    storm = second.verify(passport, files, 2002, "badge-2", policy=short)
    wait_for("the badge SET after the storm", lambda: second.badge(storm.verification_id).state
             == verification_pb2.TelegramBadge.STATE_SET, 60)
    time.sleep(1)
    made = calls("verifyUser", 2002)
    if len(made) != 4:
        fail("the storm took %d calls (3 refused, 1 made expected)" % len(made))
    times = [c.get("time_ms") for c in made]
    if all(t is not None for t in times):
        gaps = [b - a for a, b in zip(times, times[1:])]
        if min(gaps) < 990:  # Milliseconds of the fake's clock: the same clock as vouchd's.
            fail("retry_after not honoured: gaps %s ms" % gaps)
    badge = second.badge(storm.verification_id)
    if badge.attempts != 4:
        fail("the storm's badge: %s" % badge)

    storm_badge = second.badge(storm.verification_id)
    if not storm_badge.HasField("remove_time"):
        fail("no removal scheduled for the storm's badge: %s" % storm_badge)

    step("2. revocation")
    # 2. Revocation → removeUserVerification, well before the removal the end
    # of the validity scheduled.
    badge = second.badge(vid)
    if badge.remove_time.seconds < time.time() + 5:
        fail("no removal scheduled at the attestation's expiry, or too close to "
             "tell from the revocation's: %s" % badge)
    revoked = second.attestations.Revoke(
        attestations_pb2.RevokeRequest(verification_id=vid), metadata=second.admin_metadata,
        timeout=30)
    if not revoked.changed:
        fail("the revocation changed nothing")
    removed = wait_for("removeUserVerification",
                       lambda: calls("removeUserVerification", 1001), 30)
    wait_for("the badge REMOVED", lambda: second.badge(vid).state
             == verification_pb2.TelegramBadge.STATE_REMOVED, 30)
    time.sleep(1)
    removed = calls("removeUserVerification", 1001)
    if len(removed) != 1 or removed[0]["params"] != {"user_id": 1001}:
        fail("removeUserVerification: %s" % removed)

    step("2b. reversal")
    # 2b. A reviewer's reversal of a direct-mode verification (no status
    # entry to revoke; its badge removal was due at the expiry, in 15 min).
    direct = second.verify(passport, files, 1501, "badge-direct", direct=True)
    if direct.decision != verification_pb2.DECISION_VERIFIED or \
            direct.attestation.status_list_uri:
        fail("the direct-mode sample: %s" % direct)
    wait_for("the direct badge SET", lambda: second.badge(direct.verification_id).state
             == verification_pb2.TelegramBadge.STATE_SET, 30)
    admin_token = open(os.path.join(second.data, "admin.token")).read().strip()
    out = run([VOUCHCTL, "queue", "reverse", direct.verification_id, "--reason", "fraud_found",
               "--json", "--server", second.address],
              env=dict(os.environ, VOUCH_TOKEN=admin_token))
    reversed_result = json.loads(out)["result"]
    if reversed_result.get("decision") != "DECISION_REJECTED" or \
            reversed_result.get("reversal", {}).get("reason") != "fraud_found":
        fail("vouchctl queue reverse: %s" % out)
    wait_for("removeUserVerification after the reversal",
             lambda: calls("removeUserVerification", 1501), 30)
    wait_for("the reversed badge REMOVED", lambda: second.badge(direct.verification_id).state
             == verification_pb2.TelegramBadge.STATE_REMOVED, 30)
    got = second.client._call(
        second.client.verification.GetVerification,
        verification_pb2.GetVerificationRequest(verification_id=direct.verification_id))
    if got.decision != verification_pb2.DECISION_REJECTED or got.reversal.reason != "fraud_found":
        fail("GetVerification after the reversal: %s" % got)
    first_answer = second.review.ReverseVerification(
        review_pb2.ReverseVerificationRequest(verification_id=direct.verification_id,
                                              reason="fraud_found"),
        metadata=second.admin_metadata, timeout=30)
    again = second.review.ReverseVerification(
        review_pb2.ReverseVerificationRequest(verification_id=direct.verification_id,
                                              reason="another_reason"),
        metadata=second.admin_metadata, timeout=30)
    if again != first_answer or again.result.reversal.reason != "fraud_found":
        fail("a repeated reversal answered differently: %s / %s" % (first_answer, again))
    time.sleep(1)  # Two dispatcher polls: a second removal would show now.
    removed = calls("removeUserVerification", 1501)
    if len(removed) != 1 or removed[0]["params"] != {"user_id": 1501}:
        fail("removeUserVerification after the reversal: %s" % removed)
    events = [e for e in second.audit() if e.action == "verification.reverse"]
    if len(events) != 1 or events[0].verification_id != direct.verification_id \
            or "1501" in events[0].detail:
        fail("the reversal's audit: %s" % events)

    step("4. refusal")
    # 4. A definitive refusal.
    http(fake + "/__control/script",
         {"method": "verifyUser", "status": 400,
          "body": {"ok": False, "error_code": 400, "description": "Bad Request: USER_ID_INVALID"}})
    refused = second.verify(passport, files, 3003, "badge-3", policy=short)
    wait_for("the badge FAILED", lambda: second.badge(refused.verification_id).state
             == verification_pb2.TelegramBadge.STATE_FAILED, 60)
    badge = second.badge(refused.verification_id)
    if "400 Bad Request: USER_ID_INVALID" not in badge.error:
        fail("the refusal's description is not kept: %s" % badge)
    time.sleep(1.5)  # Past the first backoff (1 s) and a poll: no retry.
    if len(calls("verifyUser", 3003)) != 1:
        fail("a 400 was retried")
    events = [e for e in second.audit() if e.action == "telegram.verify_user"
              and e.verification_id == refused.verification_id]
    if len(events) != 1 or "USER_ID_INVALID" not in events[0].detail \
            or '"outcome":"failed"' not in events[0].detail or "3003" in events[0].detail:
        fail("the refusal's audit: %s" % events)

    step("5. expiry")
    # 5. The end of the validity: removeUserVerification for the storm's user
    # (the refused one had no badge: its scheduled removal is dropped).
    wait_for("the removal at the attestation's expiry",
             lambda: calls("removeUserVerification", 2002),
             storm_badge.remove_time.seconds - time.time() + 30)
    wait_for("the storm's badge REMOVED", lambda: second.badge(storm.verification_id).state
             == verification_pb2.TelegramBadge.STATE_REMOVED, 30)
    removal_time = calls("removeUserVerification", 2002)[0]["time_ms"] / 1000.0
    if removal_time < storm_badge.remove_time.seconds - 1:
        fail("removed %.1f s before the attestation expired"
             % (storm_badge.remove_time.seconds - removal_time))
    if calls("removeUserVerification", 3003):
        fail("a badge that was never set was removed")
    if second.badge(refused.verification_id).state != verification_pb2.TelegramBadge.STATE_FAILED:
        fail("the refused badge: %s" % second.badge(refused.verification_id))

    metrics = urllib.request.urlopen("http://%s/metrics" % second.metrics, timeout=10).read()
    for want in (b'vouch_telegram_badge_calls_total{action="verify",outcome="retry"} 3',
                 b'vouch_telegram_badge_calls_total{action="verify",outcome="failed"} 1',
                 b'vouch_telegram_badge_calls_total{action="remove",outcome="done"} 3',
                 b'vouch_telegram_badge_outbox{state="failed"} 2',
                 b'vouch_telegram_badge_outbox{state="pending"} 0'):
        if want not in metrics:
            fail("metrics lack %s" % want.decode())

    step("6. token")
    # 6. The token is nowhere in vouchd's logs or data.
    secret = VERIFIER_TOKEN.split(":")[1].encode()
    assert_secret_absent(secret, dirs=[first.data], files=logs)
    step("OK")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
