"""Helpers shared by the Telegram end-to-end tests (bot_e2e_test.py, badge_e2e_test.py).

procs and logs are the test's child processes and log files: fail() prints the
logs' tails, stop_all() ends the processes when the test is over.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request

procs = []
logs = []


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    for path in logs:
        if os.path.exists(path):
            print("--- " + path, file=sys.stderr)
            print(open(path, errors="replace").read()[-6000:], file=sys.stderr)
    sys.exit(1)


def http(url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def wait_for(what, predicate, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    fail("timed out waiting for " + what)


def run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        fail("%s: %s %s" % (cmd[0], r.stdout, r.stderr))
    return r.stdout


def assert_secret_absent(secret, dirs=(), files=()):
    """Fails when the bytes secret occur in any file under dirs or in files."""
    paths = list(files)
    for d in dirs:
        for root, _, names in os.walk(d):
            paths += [os.path.join(root, n) for n in names]
    for path in paths:
        with open(path, "rb") as f:
            if secret in f.read():
                fail("the token is in " + path)


def stop_all():
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
