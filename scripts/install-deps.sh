#!/usr/bin/env bash
# Installs the Debian packages the build links against, only if pkg-config cannot find them.
# Idempotent and non-interactive, so `make run` and `make test` work on a fresh machine.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists libsecp256k1 2>/dev/null || missing+=(libsecp256k1-dev)
pkg-config --exists rocksdb 2>/dev/null || missing+=(librocksdb-dev)
pkg-config --exists libcrypto 2>/dev/null || missing+=(libssl-dev)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing Debian packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
