#!/usr/bin/env bash
# Installs every Debian 12 package vouch needs to build, test and run.
# Idempotent: asks apt only for what is missing, so a second run takes a second.
# Runs as root, or through sudo when it is there.
set -euo pipefail

PACKAGES=(
  # Toolchain
  build-essential cmake pkg-config git ca-certificates
  # Wire API
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  # Core libraries
  libabsl-dev libssl-dev openssl zlib1g-dev nlohmann-json3-dev libsimdjson-dev libcli11-dev
  libspdlog-dev libfmt-dev libtomlplusplus-dev libcpp-httplib-dev
  # Storage
  libsqlite3-dev sqlite3 libpq-dev postgresql
  # Image and OCR
  libopencv-dev libopencv-contrib-dev opencv-data libtesseract-dev libleptonica-dev
  tesseract-ocr tesseract-ocr-eng libzxing-dev fonts-ocr-b fonts-dejavu-core
  # Tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev nodejs npm
  python3 python3-yaml  # tests/deploy/kubernetes_test.py
  # The Python client (clients/python) and the example bot (examples/telegram-bot)
  python3-grpcio python3-protobuf python3-python-telegram-bot
  clang libclang-rt-14-dev  # Fuzzing (deploy/fuzz.sh): clang, libFuzzer, sanitizers
  clang-format  # deploy/format.sh --check in deploy/test.sh; clang-tidy, ninja-build: .ci/run-extended
  clang-tidy ninja-build
  mold  # the linker (cmake/BuildSpeed.cmake): links the ~100 test binaries several times faster
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: run as root or install sudo" >&2; exit 1
  fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
  # A package counts as present when dpkg has it installed (any architecture).
  if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
    # nodejs/npm may come from elsewhere on a developer machine; accept working binaries.
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
