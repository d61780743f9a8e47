#!/usr/bin/env bash
# Pins the Permissions system contract (Docs/adr/0007): compiles Contracts/Permissions.swift and
# writes its runtime code into Sources/Execution/PermissionsCode.swift and its ABI into
# Contracts/Permissions.abi.json. Run after changing the contract (which changes every new
# chain's genesis); ContractCompilerTests fail while either file is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product d6g-contract >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
.build/release/d6g-contract compile Permissions --out "$out" >/dev/null
.build/release/d6g-contract abi Permissions > Contracts/Permissions.abi.json
python3 - "$out/Permissions.json" Sources/Execution/PermissionsCode.swift <<'PY'
import json, sys
code = json.load(open(sys.argv[1]))["deployedBytecode"].removeprefix("0x")
lines = "\n".join(f'        "{code[i:i + 96]}",' for i in range(0, len(code), 96))
path = sys.argv[2]
text = open(path).read()
head, rest = text.split("try! Hex.decode([\n", 1)
tail = rest.split("\n    ].joined())", 1)[1]
open(path, "w").write(f"{head}try! Hex.decode([\n{lines}\n    ].joined()){tail}")
PY
echo "pinned: Sources/Execution/PermissionsCode.swift, Contracts/Permissions.abi.json"
