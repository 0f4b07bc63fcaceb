#!/usr/bin/env bash
# deploy/systemd/vouchd.service: `systemd-analyze verify` prints nothing and
# exits 0 (with ExecStart pointed at the built vouchd, since the unit names
# the installed path), and its hardening (a system user, a read-only system, no new
# privileges or capabilities, a system-call filter) is there.
# Exit 77 (skipped) without systemd-analyze.
# Usage: systemd_unit_test.sh SOURCE_DIR VOUCHD
set -euo pipefail
UNIT=$1/deploy/systemd/vouchd.service
VOUCHD=$(realpath "$2")
command -v systemd-analyze > /dev/null || { echo "systemd-analyze not found: skipped"; exit 77; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for directive in 'User=vouchd' 'StateDirectory=vouchd' 'ProtectSystem=strict' \
                 'NoNewPrivileges=yes' 'CapabilityBoundingSet=' 'SystemCallFilter=@system-service' \
                 'PrivateTmp=yes' 'ProtectHome=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
                 'ExecReload=/bin/kill -HUP $MAINPID'; do
  grep -qxF "$directive" "$UNIT" || { echo "FAIL: $UNIT lacks '$directive'"; exit 1; }
done
grep -q '^ExecStart=/usr/local/bin/vouchd ' "$UNIT" || { echo "FAIL: ExecStart"; exit 1; }
sed "s|^ExecStart=/usr/local/bin/vouchd |ExecStart=$VOUCHD |" "$UNIT" > "$WORK/vouchd.service"
out=$(systemd-analyze verify "$WORK/vouchd.service" 2>&1) || { echo "FAIL: $out"; exit 1; }
[[ -z "$out" ]] || { echo "FAIL: systemd-analyze verify printed: $out"; exit 1; }
echo "systemd unit: OK"
