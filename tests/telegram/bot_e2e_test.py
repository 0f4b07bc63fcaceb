"""End to end: the example bot, two fake Bot API servers and a real vouchd.

  relying fake  the relying bot's Telegram (getUpdates, sendMessage, getFile,
                downloads, setPassportDataErrors), token RELYING_TOKEN
  verifier fake vouch's verifier bot's Telegram (verifyUser), token
                VERIFIER_TOKEN, given to vouchd in a 0600 file

  1. /start: the bot answers with the Passport link; its public key is vouchd's
     (Provider.GetProviderInfo) and its nonce is fresh;
  2. a genuine sample (tests/docgen vouch_sample, sealed with vouchctl for that
     key and nonce) arrives as passport_data: the bot downloads every file,
     Verify says VERIFIED, the user is told, and vouchd calls verifyUser once
     with the user's id and the policy's description;
  3. a sample whose typed last name differs from the MRZ: REJECTED, and the
     bot sends setPassportDataErrors with vouch's errors (a data error on
     personal_details.last_name);
  4. the verifier token is in no log and no file of vouchd's data directory,
     and no fake saw a documented-parameter violation.

Usage: bot_e2e_test.py SOURCE_DIR BUILD_DIR VOUCHD VOUCHCTL VOUCH_SAMPLE FAKE_SERVER
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SRC, BUILD, VOUCHD, VOUCHCTL, SAMPLE, FAKE = sys.argv[1:7]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from e2e_support import assert_secret_absent, fail, http, logs, procs, run, stop_all  # noqa: E402
from e2e_support import wait_for  # noqa: E402

RELYING_TOKEN = "5550001:relying-bot-token_AAAAAAAAAAAAAAAAAAAAAAAA"
VERIFIER_TOKEN = "7770001:verifier-bot-token_ZZZZZZZZZZZZZZZZZZZZZZ"
USER = 424242
DESCRIPTION = "Identity document checked by vouch"


def start_fake(token):
    p = subprocess.Popen([FAKE, token], stdout=subprocess.PIPE, text=True)
    procs.append(p)
    line = p.stdout.readline().split()
    if len(line) != 2 or line[0] != "port":
        fail("fake Bot API did not start")
    return "http://127.0.0.1:" + line[1]


def calls(fake, method=None):
    out = http(fake + "/__control/calls")
    if out["violations"]:
        fail("Bot API rules broken: %s" % out["violations"])
    return [c for c in out["calls"] if method is None or c["method"] == method]


def message(message_id, **fields):
    m = {"message_id": message_id, "date": int(time.time()),
         "chat": {"id": USER, "type": "private"},
         "from": {"id": USER, "is_bot": False, "first_name": "Ann"}}
    m.update(fields)
    return {"message": m}


def main():
    work = tempfile.mkdtemp(prefix="vouch-bot-e2e.")
    relying = start_fake(RELYING_TOKEN)
    verifier = start_fake(VERIFIER_TOKEN)

    # vouchd: the example config with the badge on for the default policy.
    with open(os.path.join(SRC, "deploy/vouchd.example.toml")) as f:
        config = f.read()
    config = (config.replace("# [policies.default.telegram]", "[policies.default.telegram]")
              .replace("# verify_user = true", "verify_user = true")
              .replace('# custom_description = "%s"' % DESCRIPTION,
                       'custom_description = "%s"' % DESCRIPTION))
    if "\nverify_user = true" not in config:
        fail("the example config no longer documents [policies.default.telegram]")
    with open(os.path.join(work, "vouchd.toml"), "w") as f:
        f.write(config)
    token_file = os.path.join(work, "verifier.token")
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, (VERIFIER_TOKEN + "\n").encode())
    os.close(fd)
    data = os.path.join(work, "data")
    ready = os.path.join(work, "ready")
    log_path = os.path.join(work, "vouchd.log")
    log = open(log_path, "w")
    logs.append(log_path)
    vouchd = subprocess.Popen(
        [VOUCHD, "--config", os.path.join(work, "vouchd.toml"), "--listen", "127.0.0.1:0",
         "--data-dir", data, "--ready-file", ready, "--metrics-listen", "127.0.0.1:0",
         "--insecure-loopback", "--workers", "2", "--models-dir", os.path.join(SRC, "models"),
         "--telegram-token-file", token_file, "--telegram-api-url", verifier],
        stdout=log, stderr=subprocess.STDOUT)
    procs.append(vouchd)
    wait_for("vouchd", lambda: os.path.exists(ready) and open(ready).read().count("\n") >= 2)
    address, metrics = open(ready).read().split("\n")[:2]
    api_key = open(os.path.join(data, "service-default.token")).read().strip()

    env = dict(os.environ, BOT_TOKEN=RELYING_TOKEN, VOUCH_API_KEY=api_key,
               PYTHONPATH=os.path.join(BUILD, "clients/python"), PYTHONDONTWRITEBYTECODE="1")
    bot_log = open(os.path.join(work, "bot.log"), "w")
    logs.append(os.path.join(work, "bot.log"))
    bot = subprocess.Popen(
        ["/usr/bin/python3", os.path.join(SRC, "examples/telegram-bot/vouch_bot.py"),
         "--vouchd", address, "--insecure", "--bot-api-url", relying],
        env=env, stdout=bot_log, stderr=subprocess.STDOUT)
    procs.append(bot)

    # 1. /start → the Passport link.
    http(relying + "/__control/update",
         message(1, text="/start", entities=[{"type": "bot_command", "offset": 0, "length": 6}]))
    sent = wait_for("the Passport link", lambda: [c for c in calls(relying, "sendMessage")
                                                  if "reply_markup" in c["params"]])
    markup = sent[0]["params"]["reply_markup"]
    if isinstance(markup, str):
        markup = json.loads(markup)
    url = markup["inline_keyboard"][0][0]["url"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    if query["domain"] != ["telegrampassport"] or query["bot_id"] != ["5550001"]:
        fail("Passport link: " + url)
    public_key = query["public_key"][0]
    vouch_key = run(["openssl", "pkey", "-in", os.path.join(data, "keys/passport_rsa.pem"),
                     "-pubout"])
    if public_key.strip() != vouch_key.strip():
        fail("the link's public key is not vouchd's Passport key")
    scope = json.loads(query["scope"][0])
    if scope.get("v") != 1 or not scope.get("data"):
        fail("scope: %s" % scope)
    nonce = query["nonce"][0]
    with open(os.path.join(work, "pub.pem"), "w") as f:
        f.write(public_key)

    def submit(name, message_id, extra=()):
        sample = os.path.join(work, name)
        run([SAMPLE, "--out", sample, "--nonce", nonce, "--face",
             os.path.join(SRC, "models/face/samples/astronaut.png"), "--face-box",
             "120,0,210,273"] + list(extra))
        sealed = os.path.join(work, name + "-sealed")
        run([VOUCHCTL, "passport", "seal", "--public-key", os.path.join(work, "pub.pem"), "--in",
             os.path.join(sample, "PLAIN.json"), "--files-dir", sample, "--out-dir", sealed])
        passport = json.load(open(os.path.join(sealed, "passport_data.json")))
        for element in passport["data"]:
            refs = [element[k] for k in ("front_side", "reverse_side", "selfie") if k in element]
            refs += element.get("files", []) + element.get("translation", [])
            for ref in refs:
                content = open(os.path.join(sealed, ref["file_id"]), "rb").read()
                http(relying + "/__control/file",
                     {"file_id": ref["file_id"], "file_path": "passport/%s.jpg" % ref["file_id"],
                      "content_b64": base64.b64encode(content).decode()})
        http(relying + "/__control/update", message(message_id, passport_data=passport))
        return passport

    # 2. Genuine → VERIFIED → verifyUser once.
    passport = submit("genuine", 2)
    wait_for("the decision", lambda: [c for c in calls(relying, "sendMessage")
                                      if "verified" in c["params"]["text"].lower()
                                      and "could not" not in c["params"]["text"]], 180)
    downloads = len(calls(relying, "getFile"))
    expected_files = sum(1 for e in passport["data"] for k in ("front_side", "reverse_side",
                                                               "selfie") if k in e)
    if downloads < expected_files:
        fail("the bot downloaded %d of %d files" % (downloads, expected_files))
    verify_calls = wait_for("verifyUser", lambda: calls(verifier, "verifyUser"), 30)
    time.sleep(1.5)  # Three dispatcher polls: a second call would show now.
    verify_calls = calls(verifier, "verifyUser")
    if len(verify_calls) != 1:
        fail("verifyUser called %d times" % len(verify_calls))
    if verify_calls[0]["params"] != {"user_id": USER, "custom_description": DESCRIPTION}:
        fail("verifyUser parameters: %s" % verify_calls[0]["params"])

    # 3. Last name differs from the MRZ → REJECTED → setPassportDataErrors.
    # A fresh request (the first nonce was used).
    http(relying + "/__control/update",
         message(3, text="/start", entities=[{"type": "bot_command", "offset": 0, "length": 6}]))
    links = wait_for("a second link", lambda: [c for c in calls(relying, "sendMessage")
                                               if "reply_markup" in c["params"]][1:])
    markup = links[0]["params"]["reply_markup"]
    if isinstance(markup, str):
        markup = json.loads(markup)
    nonce = urllib.parse.parse_qs(urllib.parse.urlsplit(
        markup["inline_keyboard"][0][0]["url"]).query)["nonce"][0]
    submit("mismatch", 4, ["--last-name", "DIFFERENT"])
    errors_calls = wait_for("setPassportDataErrors",
                            lambda: calls(relying, "setPassportDataErrors"), 180)
    # python-telegram-bot 13 posts form fields: numbers and arrays as text.
    errors = errors_calls[0]["params"]["errors"]
    if isinstance(errors, str):
        errors = json.loads(errors)
    if int(errors_calls[0]["params"]["user_id"]) != USER or not any(
            e["source"] == "data" and e["type"] == "personal_details"
            and e.get("field_name") == "last_name" for e in errors):
        fail("setPassportDataErrors: %s" % errors_calls[0]["params"])
    if len(calls(verifier, "verifyUser")) != 1:
        fail("a rejected submission called verifyUser")

    # 4. The verifier token is nowhere in vouchd's log or data.
    secret = VERIFIER_TOKEN.split(":")[1].encode()
    log.flush()
    assert_secret_absent(secret, dirs=[data], files=[log_path])
    metrics_text = urllib.request.urlopen("http://%s/metrics" % metrics, timeout=10).read()
    if b'vouch_telegram_badge_calls_total{action="verify",outcome="done"} 1' not in metrics_text:
        fail("metrics lack the badge call")
    print("OK")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
