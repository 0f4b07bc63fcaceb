#!/usr/bin/env python3
"""Checks deploy/kubernetes/base: parses every manifest and checks the fields
that matter against each other and against vouchd itself.

  - kustomize resources and generators exist; with kubectl, `kubectl kustomize`
    renders them;
  - the Deployment: replicas, selector = template labels, probes (vouchctl
    health over TLS), resources, non-root read-only security context, the
    database URL from a Secret, every volume's Secret/ConfigMap;
  - vouchd.toml's paths lie under the mounts, its ports are the container's,
    and vouchd --check-config accepts it (paths overridden by flags);
  - Service, PodDisruptionBudget and NetworkPolicy select the pods and use the
    container's ports;
  - make-secrets.sh (with kubectl) turns a real vouchd data directory into
    Secrets whose files the init container's script restores byte for byte,
    0600, and vouchd starts on the restored keys with the same Passport key;
  - the init container maps Secret keys back to paths unambiguously, kids
    containing "__" included (without kubectl too).

Usage: kubernetes_test.py SOURCE_DIR VOUCHD
"""

import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib

import yaml

SRC, VOUCHD = sys.argv[1], sys.argv[2]
BASE = os.path.join(SRC, "deploy", "kubernetes", "base")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def load(name):
    with open(os.path.join(BASE, name)) as f:
        return list(yaml.safe_load_all(f))


kustomization = load("kustomization.yaml")[0]
docs = {}
for res in kustomization["resources"]:
    for doc in load(res):
        docs[doc["kind"]] = doc
check(set(docs) == {"Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy"},
      f"resource kinds {sorted(docs)}")
generated = kustomization["configMapGenerator"][0]
check(generated["name"] == "vouchd-config", "config map name")
with open(os.path.join(BASE, generated["files"][0]), "rb") as f:
    toml = tomllib.load(f)
server = toml["server"]

if shutil.which("kubectl"):
    rendered = subprocess.run(["kubectl", "kustomize", BASE], check=True, capture_output=True,
                              text=True).stdout
    kinds = sorted(d["kind"] for d in yaml.safe_load_all(rendered))
    check(kinds == ["ConfigMap", "Deployment", "NetworkPolicy", "PodDisruptionBudget",
                    "Service"], f"kubectl kustomize kinds {kinds}")

# --- Deployment.
dep = docs["Deployment"]
spec = dep["spec"]
pod = spec["template"]["spec"]
labels = spec["template"]["metadata"]["labels"]
check(spec["replicas"] >= 2, "replicas >= 2")
check(spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, "rolling update keeps capacity")
check(all(labels.get(k) == v for k, v in spec["selector"]["matchLabels"].items()),
      "selector matches the template's labels")
check(pod["securityContext"]["runAsNonRoot"] is True, "runAsNonRoot")
check(pod["automountServiceAccountToken"] is False, "no service account token")
check(pod["terminationGracePeriodSeconds"] > server["drain_seconds"],
      "grace period longer than vouchd's drain")
containers = {c["name"]: c for c in pod["containers"]}
vouchd = containers["vouchd"]
ports = {p["name"]: p["containerPort"] for p in vouchd["ports"]}
check(ports["grpc"] == int(server["listen"].rsplit(":", 1)[1]), "gRPC port = listen")
check(ports["metrics"] == int(server["metrics_listen"].rsplit(":", 1)[1]), "metrics port")
check(server["metrics_allow_non_loopback"] is True, "metrics reachable from Prometheus")
for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
    cmd = vouchd[probe]["exec"]["command"]
    check(cmd[:2] == ["vouchctl", "health"], f"{probe} runs vouchctl health")
    check(cmd[cmd.index("--server") + 1] == f"127.0.0.1:{ports['grpc']}", f"{probe} port")
    check(cmd[cmd.index("--tls") + 1] == "on", f"{probe} over TLS")
    check(cmd[cmd.index("--ca") + 1].startswith("/etc/vouch/tls/"), f"{probe} CA from the TLS Secret")
res = vouchd["resources"]
check(res["requests"]["cpu"] and res["requests"]["memory"] and res["limits"]["memory"],
      "cpu/memory requests and a memory limit")
check(str(res["requests"]["cpu"]) == str(server["workers"]), "one core per worker")
for c in [vouchd] + pod["initContainers"]:
    sc = c["securityContext"]
    check(sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True and
          sc["capabilities"]["drop"] == ["ALL"], f"{c['name']}: locked-down securityContext")
env = {e["name"]: e for e in vouchd["env"]}
ref = env["VOUCH_DATABASE"]["valueFrom"]["secretKeyRef"]
check((ref["name"], ref["key"]) == ("vouchd-database", "url"), "database URL from a Secret")
check("database" not in server, "no database URL in the config map")
volumes = {v["name"]: v for v in pod["volumes"]}
check(volumes["config"]["configMap"]["name"] == "vouchd-config", "config volume")
for name, secret in (("tls", "vouchd-tls"), ("auth", "vouchd-auth"), ("keys", "vouchd-keys")):
    check(volumes[name]["secret"]["secretName"] == secret, f"{name} volume from {secret}")
mounts = {m["name"]: m["mountPath"] for m in vouchd["volumeMounts"]}
check(vouchd["args"] == ["--config", os.path.join(mounts["config"], generated["files"][0])],
      "--config points into the config map")
for key, mount in (("tls_cert", "tls"), ("tls_key", "tls"), ("auth_config", "auth"),
                   ("data_dir", "data")):
    check(server[key].startswith(mounts[mount] + "/"), f"{key} lies under the {mount} mount")
check("keys" not in mounts, "the Secret's keys are not mounted into vouchd")
init_script = pod["initContainers"][0]["command"][-1]
check(f"{server['data_dir']}/keys" in init_script, "init container fills data_dir/keys")

# --- Service, PDB, NetworkPolicy.
svc = docs["Service"]["spec"]
check(all(labels.get(k) == v for k, v in svc["selector"].items()), "Service selects the pods")
check({p["targetPort"] for p in svc["ports"]} <= set(ports), "Service targets named ports")
pdb = docs["PodDisruptionBudget"]["spec"]
check(pdb["minAvailable"] >= 1 and pdb["minAvailable"] < spec["replicas"], "PDB leaves room")
check(all(labels.get(k) == v for k, v in pdb["selector"]["matchLabels"].items()), "PDB selects")
np = docs["NetworkPolicy"]["spec"]
check(set(np["policyTypes"]) == {"Ingress", "Egress"}, "ingress and egress restricted")
ingress_ports = {p["port"] for rule in np["ingress"] for p in rule["ports"]}
check(ingress_ports == {ports["grpc"], ports["metrics"]}, f"ingress ports {ingress_ports}")
egress_ports = {p["port"] for rule in np["egress"] for p in rule["ports"]}
check(egress_ports == {53, 5432}, f"egress ports {egress_ports}")

# --- vouchd accepts the config map (paths from a test PKI and the repo).
work = tempfile.mkdtemp(prefix="vouch-k8s-test.")
try:
    key, cert = os.path.join(work, "tls.key"), os.path.join(work, "tls.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=vouchd",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(key, 0o600)
    check_run = subprocess.run(
        [VOUCHD, "--config", os.path.join(BASE, "vouchd.toml"), "--tls-cert", cert, "--tls-key",
         key, "--auth-config", os.path.join(SRC, "deploy", "auth.example.toml"), "--models-dir",
         os.path.join(SRC, "models"), "--data-dir", os.path.join(work, "unused"),
         "--check-config"], capture_output=True, text=True)
    check(check_run.returncode == 0 and "configuration OK" in check_run.stdout,
          f"vouchd --check-config on the config map: {check_run.stderr}")

    # --- the init container's name mapping, on Secret keys chosen to be hard:
    # attestation key files are named by their base64url kid, and a kid can
    # contain "__" (about 1 key in 100), "_" and "-" anywhere.
    volume = os.path.join(work, "volume")
    os.mkdir(volume)
    expected = {
        "passport_rsa.pem": "passport_rsa.pem",
        "storage.key": "storage.key",
        "attest__keys.json": "attest/keys.json",
        "attest__2iIoNg8qMsFKzqpgnpy__o5zjdhwqVYwgJ5dI3YeGlU.pem":
            "attest/2iIoNg8qMsFKzqpgnpy__o5zjdhwqVYwgJ5dI3YeGlU.pem",
        "attest____lead_and_trail__.pem": "attest/__lead_and_trail__.pem",
        "attest__attest__x.pem": "attest/attest__x.pem",
    }
    for name in expected:
        with open(os.path.join(volume, name), "w") as f:
            f.write(name)
    mapped = os.path.join(work, "mapped")
    restore = subprocess.run(["/bin/sh", "-ec", init_script.replace(
        "/etc/vouch/keys", volume).replace(server["data_dir"], mapped)],
        capture_output=True, text=True)
    check(restore.returncode == 0, f"init container script: {restore.stderr.strip()}")
    got = {os.path.relpath(os.path.join(root, name), os.path.join(mapped, "keys"))
           for root, _, files in os.walk(mapped) for name in files}
    check(got == set(expected.values()), f"init container restored {sorted(got)}")
    for name, rel in expected.items():
        path = os.path.join(mapped, "keys", rel)
        check(os.path.isfile(path) and open(path).read() == name,
              f"Secret key {name} restored as keys/{rel}")

    # --- make-secrets.sh and the init container's restore.
    if shutil.which("kubectl"):
        data = os.path.join(work, "data")
        ready = os.path.join(work, "ready")
        proc = subprocess.Popen([VOUCHD, "--listen", "127.0.0.1:0", "--metrics-listen", "",
                                 "--insecure-loopback", "--data-dir", data, "--ready-file", ready,
                                 "--models-dir", os.path.join(SRC, "models")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            if os.path.exists(ready) or proc.poll() is not None:
                break
            time.sleep(0.1)
        proc.terminate()
        proc.wait(timeout=30)
        env = dict(os.environ, VOUCH_DATABASE="postgresql://vouch:pw@db/vouch")
        out = subprocess.run([os.path.join(SRC, "deploy", "kubernetes", "make-secrets.sh"), data,
                              "--tls-cert", cert, "--tls-key", key, "--tls-ca", cert],
                             check=True, capture_output=True, text=True, env=env).stdout
        secrets = {d["metadata"]["name"]: d for d in yaml.safe_load_all(out)}
        check(set(secrets) == {"vouchd-keys", "vouchd-auth", "vouchd-database", "vouchd-tls"},
              f"make-secrets.sh made {sorted(secrets)}")
        check(set(secrets["vouchd-tls"]["data"]) == {"tls.crt", "tls.key", "ca.crt"},
              "TLS Secret keys")
        check(base64.b64decode(secrets["vouchd-database"]["data"]["url"]).decode() ==
              env["VOUCH_DATABASE"], "database Secret")
        # The Secret as a volume, then the init container's script.
        mounted = os.path.join(work, "secret")
        os.mkdir(mounted)
        for name, b64 in secrets["vouchd-keys"]["data"].items():
            with open(os.path.join(mounted, name), "wb") as f:
                f.write(base64.b64decode(b64))
        restored = os.path.join(work, "restored")
        script = init_script.replace("/etc/vouch/keys", mounted).replace(
            server["data_dir"], restored)
        subprocess.run(["/bin/sh", "-ec", script], check=True)
        original = os.path.join(data, "keys")
        for root, _, files in os.walk(original):
            for name in files:
                rel = os.path.relpath(os.path.join(root, name), original)
                copy = os.path.join(restored, "keys", rel)
                check(os.path.isfile(copy), f"restored {rel}")
                if os.path.isfile(copy):
                    check(open(copy, "rb").read() == open(os.path.join(original, rel), "rb").read(),
                          f"{rel} restored byte for byte")
                    check(os.stat(copy).st_mode & 0o077 == 0, f"{rel} restored 0600")
        # vouchd on the restored keys: it loads them, generates none.
        ready2 = os.path.join(work, "ready2")
        log = os.path.join(work, "restored.log")
        with open(log, "w") as out_file:
            proc = subprocess.Popen(
                [VOUCHD, "--listen", "127.0.0.1:0", "--metrics-listen", "",
                 "--insecure-loopback", "--data-dir", restored, "--ready-file", ready2,
                 "--models-dir", os.path.join(SRC, "models"), "--auth-config",
                 os.path.join(SRC, "deploy", "auth.example.toml")],
                stdout=out_file, stderr=subprocess.STDOUT)
            for _ in range(300):
                if os.path.exists(ready2) or proc.poll() is not None:
                    break
                time.sleep(0.1)
            proc.terminate()
            proc.wait(timeout=30)
        text = open(log).read()
        check(os.path.exists(ready2) and "generated" not in text and
              "vouchd: Telegram Passport key " in text and "attestation key set " in text,
              f"vouchd on the restored keys: {text}")
    else:
        print("note: kubectl not found; make-secrets.sh not run")
finally:
    shutil.rmtree(work, ignore_errors=True)

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("kubernetes manifests: OK")
