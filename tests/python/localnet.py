"""A local network of real `d6g-node run` processes on loopback, as `d6g-node testnet` writes it:
start, kill and restart nodes, rewrite their configuration files, talk JSON-RPC to them, and
check that they agree. Used by tests/python/test_testnet.py and the fault scenarios in tests/e2e.

This module imports no conftest: tests/python and tests/e2e each have a conftest.py, and pytest
keeps only one module named `conftest` at a time, so the binary is passed in by the caller."""
import json
import random
import re
import signal
import socket
import subprocess
import time
import urllib.request

from web3 import Web3

CHAIN_ID = 1338  # `d6g-node testnet`'s default chain id


def _ephemeral_floor() -> int:
    """The lowest port the kernel hands out for outgoing connections: a node's port above it could
    be taken by some socket's source port while that node is down between a kill and its restart."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def free_base(count: int) -> int:
    """A port such that base … base + count − 1 are free now (below the ephemeral range)."""
    top = max(20_000 + count, _ephemeral_floor() - count)
    for _ in range(100):
        base = random.randint(20_000, top)
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                sockets.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free port range")


class RPCError(Exception):
    pass


class LocalTestnet:
    """Nodes 0 … validators − 1 are validators, the rest followers (the layout `d6g-node testnet`
    writes: nodeK.toml, nodeK/data, logs in nodeK.log). `uninitialised` names nodes whose data
    directory is left for `initialise` to create later (a node that joins a running chain)."""

    def __init__(self, root: str, binary: str, validators: int = 4, followers: int = 1,
                 testnet_args=(), uninitialised=()):
        self.root = root
        self.binary = binary
        self.validators = validators
        self.count = validators + followers
        # One range for both so the RPC and P2P ports cannot overlap.
        base = free_base(2 * self.count)
        self.rpc_base = base
        self.p2p_base = base + self.count
        subprocess.run([binary, "testnet", "--validators", str(validators), "--followers", str(followers),
                        "--out", root, "--rpc-base-port", str(self.rpc_base), "--p2p-base-port", str(self.p2p_base),
                        *testnet_args], check=True, capture_output=True)
        for index in range(self.count):
            if index not in uninitialised:
                self.initialise(index)
        self.processes = [None] * self.count
        self.extra_args = [[] for _ in range(self.count)]
        self._node_keys = {}

    def initialise(self, index: int):
        subprocess.run([self.binary, "init", "--genesis", f"{self.root}/genesis.json", "--datadir",
                        f"{self.root}/node{index}/data"], check=True, capture_output=True)

    # MARK: processes

    def start(self, index: int, extra_args=None):
        """Starts node `index`; `extra_args` (kept for later restarts) go after `--config`."""
        if extra_args is not None:
            self.extra_args[index] = list(extra_args)
        log = open(self.log_path(index), "ab")
        self.processes[index] = subprocess.Popen(
            [self.binary, "run", "--config", self.toml_path(index), *self.extra_args[index]],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()

    def running(self, index: int) -> bool:
        process = self.processes[index]
        return process is not None and process.poll() is None

    def running_nodes(self) -> list:
        return [i for i in range(self.count) if self.running(i)]

    def kill(self, *indices: int):
        """SIGKILL to each (all signalled before any is waited for, so several die at once): no
        shutdown of any kind, as a power cut would."""
        for index in indices:
            self.processes[index].send_signal(signal.SIGKILL)
        for index in indices:
            self.processes[index].wait()

    def stop(self) -> dict:
        """SIGTERM to every running node, then waits. Returns each signalled node's exit code, None
        for one that had not stopped within 15 s (it is then killed)."""
        signalled = [i for i in range(self.count) if self.running(i)]
        for index in signalled:
            self.processes[index].send_signal(signal.SIGTERM)
        codes = {}
        for index in signalled:
            try:
                codes[index] = self.processes[index].wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.processes[index].kill()
                self.processes[index].wait()
                codes[index] = None
        return codes

    # MARK: files

    def toml_path(self, index: int) -> str:
        return f"{self.root}/node{index}.toml"

    def log_path(self, index: int) -> str:
        return f"{self.root}/node{index}.log"

    def p2p_port(self, index: int) -> int:
        return self.p2p_base + index

    def peers(self, index: int) -> list:
        """The `[p2p] peers` addresses of node `index`'s configuration file."""
        match = re.search(r"^peers = \[(.*)\]$", open(self.toml_path(index)).read(), re.MULTILINE)
        assert match, f"no peers line in {self.toml_path(index)}"
        return re.findall(r'"([^"]+)"', match.group(1))

    def set_peers(self, index: int, addresses):
        """Rewrites the `[p2p] peers` line (takes effect at the node's next start)."""
        text = open(self.toml_path(index)).read()
        line = "peers = [" + ", ".join(f'"{a}"' for a in addresses) + "]"
        text, replaced = re.subn(r"^peers = \[.*\]$", line, text, flags=re.MULTILINE)
        assert replaced == 1, f"expected one peers line in {self.toml_path(index)}, found {replaced}"
        with open(self.toml_path(index), "w") as f:
            f.write(text)

    def set_p2p_option(self, index: int, key: str, value):
        """Adds `key = value` to the `[p2p]` table of node `index`'s configuration file (an integer
        or a string; takes effect at the node's next start)."""
        text = open(self.toml_path(index)).read()
        written = f'"{value}"' if isinstance(value, str) else str(value)
        text, replaced = re.subn(r"^\[p2p\]$", f"[p2p]\n{key} = {written}", text, flags=re.MULTILINE)
        assert replaced == 1, f"expected one [p2p] table in {self.toml_path(index)}, found {replaced}"
        with open(self.toml_path(index), "w") as f:
            f.write(text)

    def redirect_peers(self, choose):
        """For every node K and every peer address in nodeK.toml that names node T's P2P port,
        `choose(K, T)` returns a port to dial instead (a proxy in front of T), or None to keep it."""
        for dialler in range(self.count):
            addresses = []
            for address in self.peers(dialler):
                target = int(address.rsplit(":", 1)[1]) - self.p2p_base
                port = choose(dialler, target)
                addresses.append(address if port is None else f"127.0.0.1:{port}")
            self.set_peers(dialler, addresses)

    def log_text(self, index: int) -> str:
        try:
            return open(self.log_path(index), "rb").read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tails(self, chars: int = 2000) -> str:
        parts = []
        for index in range(self.count):
            state = "running" if self.running(index) else "not running"
            parts.append(f"--- node{index} ({state}), {self.log_path(index)}:\n{self.log_text(index)[-chars:]}")
        return "\n".join(parts)

    # MARK: JSON-RPC

    def rpc_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.rpc_base + index}"

    def web3(self, index: int) -> Web3:
        return Web3(Web3.HTTPProvider(self.rpc_url(index), request_kwargs={"timeout": 10}))

    def _post(self, index: int, body, timeout: float):
        request = urllib.request.Request(self.rpc_url(index), data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def rpc(self, index: int, method: str, params=(), timeout: float = 10.0):
        """One call through the standard library (web3.py's middleware costs more than the node's
        answer); raises RPCError for an error object."""
        answer = self._post(index, {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout)
        if "error" in answer:
            raise RPCError(f"node{index} {method}: {answer['error']}")
        return answer["result"]

    def batch(self, index: int, calls, timeout: float = 30.0) -> list:
        """Many (method, params) calls in batches of 500 (the node takes up to 1,000); the results in
        order, an error object's place holding an RPCError."""
        results = []
        for start in range(0, len(calls), 500):
            chunk = calls[start:start + 500]
            body = [{"jsonrpc": "2.0", "id": n, "method": m, "params": list(p)} for n, (m, p) in enumerate(chunk)]
            answers = {a["id"]: a for a in self._post(index, body, timeout)}
            for n, (method, _) in enumerate(chunk):
                answer = answers[n]
                results.append(RPCError(f"node{index} {method}: {answer['error']}") if "error" in answer
                               else answer["result"])
        return results

    def height(self, index: int) -> int:
        """The node's head, or −1 when it does not answer."""
        try:
            return int(self.rpc(index, "eth_blockNumber", timeout=5), 16)
        except Exception:
            return -1

    def heights(self) -> list:
        return [self.height(i) for i in range(self.count)]

    def node_key(self, index: int) -> str:
        """The node's P2P key (compressed, 0x-hex) as d6g_peers lists it."""
        if index not in self._node_keys:
            self._node_keys[index] = self.rpc(index, "d6g_nodeInfo")["nodeKey"]
        return self._node_keys[index]

    def peer_keys(self, index: int) -> set:
        return {peer["nodeKey"] for peer in self.rpc(index, "d6g_peers")}

    # MARK: waiting and checking

    def wait_for(self, condition, timeout=30.0, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if condition():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}; heights {self.heights()}\n"
                             f"{self.log_tails()}")

    def assert_agreement(self, nodes=None, receipted=(), catch_up_timeout: float = 90.0) -> int:
        """Waits until every node in `nodes` (default: the running ones) reaches the highest head
        among them, then checks that they hold the same block hash and state root at every height
        up to the lowest head, and that every transaction hash in `receipted` has a receipt with
        status 1 in the same block on every one of them. Returns the height checked up to."""
        nodes = list(self.running_nodes() if nodes is None else nodes)
        assert nodes, "no running node to compare"
        target = max(self.height(i) for i in nodes)
        self.wait_for(lambda: all(self.height(i) >= target for i in nodes), timeout=catch_up_timeout,
                      what=f"nodes {nodes} to reach height {target} before comparing")
        top = min(self.height(i) for i in nodes)
        calls = [("eth_getBlockByNumber", [hex(n), False]) for n in range(top + 1)]
        blocks = {i: self.batch(i, calls) for i in nodes}
        for number in range(top + 1):
            seen = {i: (blocks[i][number]["hash"], blocks[i][number]["stateRoot"]) for i in nodes}
            if len(set(seen.values())) != 1:
                table = "\n".join(f"  node{i}: hash {h} stateRoot {r}" for i, (h, r) in seen.items())
                raise AssertionError(f"nodes disagree at height {number}:\n{table}\n{self.log_tails()}")
        hashes = list(receipted)
        if hashes:
            calls = [("eth_getTransactionReceipt", [h]) for h in hashes]
            receipts = {i: self.batch(i, calls) for i in nodes}
            problems = []
            for n, tx_hash in enumerate(hashes):
                found = {i: receipts[i][n] for i in nodes}
                missing = [i for i, r in found.items() if not isinstance(r, dict)]
                failed = [i for i, r in found.items() if isinstance(r, dict) and r["status"] != "0x1"]
                places = {r["blockHash"] for r in found.values() if isinstance(r, dict)}
                if missing or failed or len(places) > 1:
                    problems.append(f"{tx_hash}: no receipt on {missing}, status ≠ 1 on {failed}, in blocks {places}")
            assert not problems, (f"{len(problems)} of {len(hashes)} receipted transactions are not receipted "
                                  f"alike on every node:\n" + "\n".join(problems[:20]))
        return top


def transfer(w3: Web3, account, nonce: int) -> bytes:
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    return bytes(account.sign_transaction({
        "to": "0x000000000000000000000000000000000000bEEF", "value": 1, "gas": 21_000, "chainId": CHAIN_ID,
        "nonce": nonce, "maxFeePerGas": 2 * base_fee, "maxPriorityFeePerGas": 0}).raw_transaction)
