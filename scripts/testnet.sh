#!/usr/bin/env bash
# `make testnet`: a local network of validators on loopback, one `d6g-node run` process each
# (Docs/operator-guide.md §Local testnet). The first run writes keys, genesis and configurations
# into $TESTNET_DIR (`d6g-node testnet`) and initialises each data directory; later runs reuse
# them, so the chain goes on. Ctrl-C stops every node cleanly (SIGTERM, then waits).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.build/release}
DIR=${TESTNET_DIR:-.d6g/testnet}
COUNT=${VALIDATORS:-4}
FOLLOWERS=${FOLLOWERS:-1}
RPC_BASE=${RPC_BASE_PORT:-8545}
P2P_BASE=${P2P_BASE_PORT:-30303}

if [ ! -f "$DIR/genesis.json" ]; then
  "$BIN/d6g-node" testnet --validators "$COUNT" --followers "$FOLLOWERS" --out "$DIR" \
    --rpc-base-port "$RPC_BASE" --p2p-base-port "$P2P_BASE"
  for ((i = 0; i < COUNT + FOLLOWERS; i++)); do
    "$BIN/d6g-node" init --genesis "$DIR/genesis.json" --datadir "$DIR/node$i/data"
  done
fi
COUNT=$(ls "$DIR" | grep -c '^node[0-9]*\.toml$')

pids=()
stop() {
  echo
  echo "stopping ${#pids[@]} nodes…"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  echo "stopped; the chain is kept in $DIR (delete it for a fresh network)"
}
trap stop INT TERM

for ((i = 0; i < COUNT; i++)); do
  "$BIN/d6g-node" run --config "$DIR/node$i.toml" >"$DIR/node$i.log" 2>&1 &
  pids+=($!)
done

sleep 2
echo "testnet: $COUNT nodes (validators, then followers), logs in $DIR/nodeK.log"
for ((i = 0; i < COUNT; i++)); do
  port=$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$DIR/node$i.toml" | head -1)
  echo "  node$i  JSON-RPC http://127.0.0.1:$port  (pid ${pids[$i]})"
done
echo "funded accounts: the devnet's development keys (Genesis/README.md); chain id $(sed -n 's/.*"chainId": \([0-9]*\).*/\1/p' "$DIR/genesis.json")"
echo "Ctrl-C stops them."
wait
