"""Fixtures: a real `d6g-node dev` process on a free port with a temporary data directory.

The binary is $D6G_NODE_BIN, else .build/release/d6g-node, else .build/debug/d6g-node.
"""
import os
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

ROOT = Path(__file__).resolve().parents[2]

# Genesis/README.md: DEVELOPMENT ONLY keys, keccak-256 of public seeds.
DEV_KEYS = [
    "0xf7f84620ffc36dd5c977f1fb0629ee53b3835745ff37ae523ad60b87d624bd8f",
    "0xed75c7d239bb22887b85f6e2670f97fcb37777235fd4e02e8908a6ab96ab282c",
    "0x65ce1ca53f5ec3227187d1e68f6d5fe7566dfe1046756911ef0d672f5e5910f5",
    "0xf65afa0416343adbe7851accb9cead5eb9147cb6ffec10a02a473b472552101e",
    "0x7f5bad84c996d6d02be1fd5a8b7e8132add64ff23146fd69f4a599528998542d",
]
CHAIN_ID = 1337
VALIDATOR = "0x376922ec0D1DfB6DFcCDa334419BAec2168B1EDf"


def signed_transfer(w3, account, to="0x000000000000000000000000000000000000bEEF", value=1, nonce=None):
    """The raw bytes of an EIP-1559 transfer from `account` at twice the current base fee, no tip
    (every fee goes to the fee recipient), at its next pending nonce unless one is given."""
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    if nonce is None:
        nonce = w3.eth.get_transaction_count(account.address, "pending")
    transaction = {"to": to, "value": value, "gas": 21_000, "chainId": CHAIN_ID, "nonce": nonce,
                   "maxFeePerGas": 2 * base_fee, "maxPriorityFeePerGas": 0}
    return bytes(account.sign_transaction(transaction).raw_transaction)


def node_binary() -> str:
    if os.environ.get("D6G_NODE_BIN"):
        return os.environ["D6G_NODE_BIN"]
    for build in ("release", "debug"):
        candidate = ROOT / ".build" / build / "d6g-node"
        if candidate.exists():
            return str(candidate)
    raise RuntimeError("no d6g-node binary: run `swift build -c release` first or set D6G_NODE_BIN")


class DevNode:
    """One `d6g-node dev` process; `start()` waits until JSON-RPC answers."""

    def __init__(self, datadir: str, extra_args=()):
        self.datadir = datadir
        self.extra_args = list(extra_args)
        self.process = None
        self.url = None
        self.log_path = os.path.join(datadir + "-logs", "node.log")
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)

    def start(self, timeout: float = 30.0) -> "DevNode":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [node_binary(), "dev", "--datadir", self.datadir, "--rpc-port", "0", *self.extra_args],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.time() + timeout
        # Human or JSON log lines (--log-format json).
        pattern = re.compile(rb'JSON-RPC listening(?: address=|","address":")(http://[0-9.]+:[0-9]+)')
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"d6g-node exited with {self.process.returncode}:\n{self.log()}")
            matches = pattern.findall(open(self.log_path, "rb").read())
            if matches:
                self.url = matches[-1].decode()
                w3 = self.web3()
                try:
                    if w3.is_connected():
                        return self
                except Exception:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"d6g-node did not start serving in {timeout} s:\n{self.log()}")

    def web3(self) -> Web3:
        return Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 30}))

    def log(self) -> str:
        return open(self.log_path, "rb").read().decode(errors="replace")[-4000:]

    def stop(self, sig=signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"d6g-node did not stop within {timeout} s of signal {sig}")


@pytest.fixture(scope="session")
def node():
    with tempfile.TemporaryDirectory(prefix="d6g-pytest-") as base:
        dev = DevNode(os.path.join(base, "dev"), ["--rpc-debug"]).start()
        try:
            yield dev
        finally:
            code = dev.stop()
            assert code == 0, f"d6g-node exited with {code} on SIGTERM:\n{dev.log()}"


@pytest.fixture(scope="session")
def w3(node):
    return node.web3()


@pytest.fixture(scope="session")
def accounts():
    return [Account.from_key(key) for key in DEV_KEYS]
