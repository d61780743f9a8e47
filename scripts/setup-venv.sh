#!/usr/bin/env bash
# Creates .venv (if missing) and installs scripts/python-requirements.txt into it, then writes a
# stamp so that make skips this while the requirements file is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r scripts/python-requirements.txt
touch .venv/.python-requirements.stamp
