#!/usr/bin/env python3
"""Crash test (TARGETS.md R1 on one node): kill -9 a `d6g-node dev` at random moments while a
stream of signed transfers flows in, restart it on the same data directory, and check that it
serves again, that its head never moved back, and that every transaction that had a receipt
still has exactly the same one.

    .venv/bin/python scripts/crash_test.py --binary .build/release/d6g-node --kills 10 [--seed 7]
"""
import argparse
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))

from eth_account import Account  # noqa: E402
from web3 import Web3  # noqa: E402

from conftest import CHAIN_ID, DEV_KEYS, DevNode  # noqa: E402

RECIPIENT = Web3.to_checksum_address("0x000000000000000000000000000000000000c0de")


class Sender(threading.Thread):
    """Sends transfers from the dev accounts round-robin until stopped; survives node restarts."""

    def __init__(self):
        super().__init__(daemon=True)
        self.accounts = [Account.from_key(key) for key in DEV_KEYS]
        self.url = None
        self.lock = threading.Lock()
        self.sent = []  # transaction hashes, in order
        self.stop_event = threading.Event()
        self.errors = 0

    def point_at(self, url):
        with self.lock:
            self.url = url

    def run(self):
        nonces = {}
        w3 = None
        current = None
        turn = 0
        while not self.stop_event.is_set():
            with self.lock:
                url = self.url
            if url is None:
                time.sleep(0.02)
                continue
            if url != current:
                w3, current, nonces = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 5})), url, {}
            account = self.accounts[turn % len(self.accounts)]
            turn += 1
            try:
                if account.address not in nonces:
                    nonces[account.address] = w3.eth.get_transaction_count(account.address, "pending")
                signed = account.sign_transaction({
                    "chainId": CHAIN_ID, "nonce": nonces[account.address], "gas": 21000, "to": RECIPIENT,
                    "value": 1, "maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 0, "type": 2})
                w3.eth.send_raw_transaction(signed.raw_transaction)
                nonces[account.address] += 1
                with self.lock:
                    self.sent.append(signed.hash)
            except Exception:
                # The node is down or restarting (or the pool lost what it held): start over from the chain.
                self.errors += 1
                nonces = {}
                time.sleep(0.05)

    def sent_so_far(self):
        with self.lock:
            return list(self.sent)


def receipt_fingerprint(w3, tx_hash):
    """The receipt's fields that must never change once served, or None when there is none."""
    receipt = w3.provider.make_request("eth_getTransactionReceipt", ["0x" + tx_hash.hex()]).get("result")
    if not receipt:
        return None
    return tuple(receipt[field] for field in ("blockHash", "blockNumber", "transactionIndex", "status",
                                              "cumulativeGasUsed", "gasUsed", "effectiveGasPrice", "from", "to"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(ROOT / ".build" / "release" / "d6g-node"))
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--sample", type=int, default=400, help="receipts recorded per kill, at most")
    args = parser.parse_args()
    os.environ["D6G_NODE_BIN"] = args.binary
    rng = random.Random(args.seed)
    print(f"crash test: {args.kills} kills, seed {args.seed}", flush=True)

    confirmed = {}  # tx hash -> receipt fingerprint
    heads = {}  # block number -> block hash, as served before some kill
    highest = 0
    failures = []
    with tempfile.TemporaryDirectory(prefix="d6g-crash-") as base:
        datadir = os.path.join(base, "dev")
        node = DevNode(datadir).start()
        sender = Sender()
        sender.point_at(node.url)
        sender.start()
        try:
            for kill in range(1, args.kills + 1):
                time.sleep(rng.uniform(0.4, 1.5))
                w3 = node.web3()
                # A sample of what was sent since the last kill (all of it when it is small), so
                # the re-checks after each restart stay quick however fast transfers flow.
                unconfirmed = [h for h in sender.sent_so_far() if h not in confirmed]
                for tx_hash in rng.sample(unconfirmed, min(len(unconfirmed), args.sample)):
                    fingerprint = receipt_fingerprint(w3, tx_hash)
                    if fingerprint:
                        confirmed[tx_hash] = fingerprint
                head = w3.eth.get_block("latest")
                heads[head["number"]] = bytes(head["hash"])
                highest = max(highest, head["number"])
                # Transfers keep flowing; the kill lands anywhere in block production.
                time.sleep(rng.uniform(0.0, 0.3))
                node.process.send_signal(signal.SIGKILL)
                node.process.wait()
                sender.point_at(None)
                node = DevNode(datadir).start()
                sender.point_at(node.url)
                w3 = node.web3()
                restarted_head = w3.eth.block_number
                problems = []
                if restarted_head < highest:
                    problems.append(f"head moved back from {highest} to {restarted_head}")
                for number, block_hash in heads.items():
                    block = w3.eth.get_block(number) if number <= restarted_head else None
                    if block is None or bytes(block["hash"]) != block_hash:
                        problems.append(f"block {number} changed or vanished")
                for tx_hash, fingerprint in confirmed.items():
                    if receipt_fingerprint(w3, tx_hash) != fingerprint:
                        problems.append(f"receipt of 0x{tx_hash.hex()} lost or changed")
                        break
                status = "ok" if not problems else "FAILED: " + "; ".join(problems)
                print(f"kill {kill}: head before {highest}, after restart {restarted_head}, "
                      f"{len(confirmed)} receipts checked, {len(sender.sent_so_far())} sent: {status}", flush=True)
                if problems:
                    failures.append(kill)
        finally:
            sender.stop_event.set()
            sender.join(timeout=5)
            code = node.stop()
            if code != 0:
                failures.append("clean stop")
                print(f"the node exited with {code} on SIGTERM:\n{node.log()}")
    if not confirmed:
        failures.append("no transaction was ever confirmed")
    print(f"{args.kills - len([f for f in failures if isinstance(f, int)])} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
