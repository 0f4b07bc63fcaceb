#!/usr/bin/env bash
# Builds the vouchd image with podman and runs it.
#   deploy/container/build.sh build   builds localhost/vouch/vouchd:VERSION
#   deploy/container/build.sh run     starts it (name vouchd-demo) on
#                                     127.0.0.1:50051 with a throwaway TLS
#                                     certificate (CA in $TLS_DIR/ca.pem),
#                                     waits until healthy
#   deploy/container/build.sh stop    stops and removes vouchd-demo
# Environment: IMAGE (default localhost/vouch/vouchd:0.1.0), BASE (a Debian 12
# image, default localhost/debian:bookworm), JOBS (compile jobs, default 2),
# TLS_DIR (default ./vouchd-demo-tls), PORT (default 50051).
#
# Machines without registry access (as this project's build machines): the
# Debian 12 base is made locally with mmdebstrap (about 15 s) and imported:
#   mmdebstrap --variant=minbase bookworm base.tar && podman import base.tar $BASE
# which `build` does when $BASE is missing. Podman there needs the runc
# runtime and no default ulimits, in ~/.config/containers/containers.conf
#   [containers]
#   default_ulimits = []
#   [engine]
#   runtime = "runc"
# (as root: /etc/containers/containers.conf; without it runc fails with
# "error setting rlimit type 7: operation not permitted").
# `podman build --network host` reaches the Debian mirror.
set -euo pipefail
cd "$(dirname "$0")/../.."
IMAGE=${IMAGE:-localhost/vouch/vouchd:0.1.0}
BASE=${BASE:-localhost/debian:bookworm}
JOBS=${JOBS:-2}
TLS_DIR=${TLS_DIR:-$PWD/vouchd-demo-tls}
PORT=${PORT:-50051}
NAME=vouchd-demo

build() {
  if ! podman image exists "$BASE"; then
    command -v mmdebstrap > /dev/null || { echo "error: no $BASE and no mmdebstrap (apt-get install mmdebstrap)" >&2; exit 1; }
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    mmdebstrap --variant=minbase bookworm "$tmp/base.tar"
    podman import "$tmp/base.tar" "$BASE"
  fi
  [[ -s models/face/fr_detect.onnx ]] || bash models/face/install.sh
  commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  # --format docker: the OCI image format has no HEALTHCHECK.
  podman build --format docker --network host --ignorefile deploy/container/containerignore \
    --build-arg BASE="$BASE" --build-arg JOBS="$JOBS" --build-arg VOUCH_GIT_COMMIT="$commit" \
    -f deploy/container/Containerfile -t "$IMAGE" .
}

make_tls() {
  [[ -s "$TLS_DIR/server.pem" ]] && return
  mkdir -p -m 700 "$TLS_DIR"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=vouchd-demo-ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
    -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout "$TLS_DIR/server.key" -out "$TLS_DIR/server.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,DNS:vouchd,IP:127.0.0.1\n' \
    > "$TLS_DIR/server.ext"
  openssl x509 -req -days 30 -in "$TLS_DIR/server.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca.key" \
    -CAcreateserial -extfile "$TLS_DIR/server.ext" -out "$TLS_DIR/server.pem" 2>/dev/null
  # The container's user (uid 10001) reads them through the mount: the
  # certificates world-readable, the key 0600 owned by that uid (inside the
  # user namespace when podman runs rootless).
  chmod 755 "$TLS_DIR"
  chmod 644 "$TLS_DIR/server.pem" "$TLS_DIR/ca.pem"
  chmod 600 "$TLS_DIR/server.key" "$TLS_DIR/ca.key"
  if [[ $(id -u) == 0 ]]; then
    chown 10001:10001 "$TLS_DIR/server.key"
  else
    podman unshare chown 10001:10001 "$TLS_DIR/server.key"
  fi
}

run() {
  make_tls
  podman rm -f "$NAME" > /dev/null 2>&1 || true
  podman run -d --name "$NAME" -p "127.0.0.1:$PORT:50051" \
    -v "$TLS_DIR:/etc/vouch/tls:ro" -v vouchd-demo-data:/var/lib/vouchd "$IMAGE" > /dev/null
  for _ in $(seq 60); do
    if podman healthcheck run "$NAME" > /dev/null 2>&1; then
      echo "vouchd-demo healthy on 127.0.0.1:$PORT (CA $TLS_DIR/ca.pem; data in volume vouchd-demo-data)"
      echo "service token: podman exec $NAME cat /var/lib/vouchd/data/service-default.token"
      return 0
    fi
    sleep 1
  done
  podman logs "$NAME" >&2
  echo "error: vouchd-demo did not become healthy" >&2
  exit 1
}

case ${1:-} in
  build) build ;;
  run) run ;;
  stop) podman rm -f "$NAME" > /dev/null ;;
  *) echo "usage: $0 build|run|stop" >&2; exit 2 ;;
esac
