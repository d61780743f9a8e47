"""The three D6G programs as real processes on a dev node of their own (issue 13): `d6g-mlfo`
deploys the contracts and registers agents from their own requests, `d6g-secaas` wraps their
images and runs the rounds, four `d6g-agent run` processes answer and chain challenges. Then one
agent's image is tampered with and it is revoked on its next step; another goes silent and takes
misses until UNREACHABLE; no honest agent is ever revoked. The chain is read through web3.py with
the ABI `d6g-contract abi` prints."""
import json
import os
import secrets
import subprocess
import time
from pathlib import Path

import pytest
from web3 import Web3

from conftest import DEV_KEYS, DevNode, node_binary

BIN = Path(node_binary()).resolve().parent
AGENTS = 4
STATUS = {0: "NONE", 1: "PENDING", 2: "TRUSTED", 3: "REVOKED", 4: "UNREACHABLE"}


class Programs:
    """The work directory, the store keys and the processes of one run."""

    def __init__(self, root: Path, url: str):
        self.root = root
        self.url = url
        self.env = dict(os.environ)
        for role in ("MLFO", "SECAAS", "AGENT"):
            self.env[f"D6G_{role}_STORE_KEY"] = secrets.token_hex(32)
        self.processes = {}

    def run(self, program, *args):
        result = subprocess.run([str(BIN / program), *args], cwd=self.root, env=self.env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, f"{program} {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start(self, name, program, *args):
        log = open(self.root / f"{name}.log", "w")
        self.processes[name] = subprocess.Popen([str(BIN / program), *args], cwd=self.root, env=self.env, stdout=log,
                                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def stop(self, name):
        process = self.processes.pop(name)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log(self, name):
        return (self.root / f"{name}.log").read_text()

    def stop_all(self):
        for name in list(self.processes):
            self.stop(name)


def wait_for(what, predicate, timeout, programs):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    logs = "\n".join(f"--- {name}\n{programs.log(name)[-3000:]}" for name in ["secaas"] + [f"agent-{i}" for i in range(AGENTS)]
                     if (programs.root / f"{name}.log").exists())
    pytest.fail(f"timed out waiting for {what}\n{logs}")


@pytest.fixture
def own_node(tmp_path):
    node = DevNode(str(tmp_path / "node")).start()
    yield node
    node.stop()


def test_the_programs_attest_chain_revoke_a_tampered_agent_and_mark_a_silent_one(own_node, tmp_path):
    w3 = own_node.web3()
    root = tmp_path / "work"
    root.mkdir()
    programs = Programs(root, own_node.url)
    rpc = ["--rpc", own_node.url]
    try:
        (root / "dev.key").write_text(DEV_KEYS[4] + "\n")
        programs.run("d6g-mlfo", "init", "--dir", "mlfo", "--import-key", "dev.key")
        secaas = programs.run("d6g-secaas", "init", "--dir", "secaas").strip()
        assert Web3.is_address(secaas)
        programs.run("d6g-mlfo", "deploy-contracts", "--dir", "mlfo", "--secaas", secaas, "--max-misses", "2", *rpc)
        deployment = json.loads((root / "deployment.json").read_text())
        # The store keys are the only way into the sealed files: no secret is written in the clear.
        for sealed in [root / "mlfo" / "account.sealed", root / "secaas" / "account.sealed"]:
            assert sealed.read_bytes().startswith(b"D6GSEAL1")
        assert DEV_KEYS[4][2:].encode() not in (root / "mlfo" / "account.sealed").read_bytes()

        accounts = []
        (root / "sites").mkdir()
        for index in range(AGENTS):
            name = f"agent-{index}"
            programs.run("d6g-agent", "init", "--dir", name, "--agent-id", name)
            (root / f"{name}.image").write_bytes(f"agent software {index % 2}\n".encode() * 100)
            programs.run("d6g-secaas", "wrap", "--dir", "secaas", "--agent-id", name, "--image", f"{name}.image",
                         "--out", f"sites/{name}.wrapped")
            programs.run("d6g-mlfo", "register", "--dir", "mlfo", "--request", f"{name}/request.json",
                         "--out", f"{name}/bundle.json", *rpc)
            accounts.append(json.loads((root / name / "bundle.json").read_text())["account"])
        abi = json.loads(subprocess.run([str(BIN / "d6g-contract"), "abi", "AttestationRegistry"], capture_output=True,
                                        text=True, check=True).stdout)
        registry = w3.eth.contract(address=deployment["registry"], abi=abi)

        def status(index):
            return STATUS[registry.functions.statusOf(accounts[index]).call()]

        assert [status(i) for i in range(AGENTS)] == ["PENDING"] * AGENTS

        programs.start("secaas", "d6g-secaas", "serve", "--dir", "secaas", "--deadline-blocks", "3", "--round-interval", "1",
                       *rpc)
        for index in range(AGENTS):
            name = f"agent-{index}"
            programs.start(name, "d6g-agent", "run", "--dir", name, "--bundle", f"{name}/bundle.json",
                           "--image", f"sites/{name}.wrapped", *rpc)

        # The initial attestation by the SECaaS, then rounds chained through the RoT.
        wait_for("every agent TRUSTED", lambda: all(status(i) == "TRUSTED" for i in range(AGENTS)), 90, programs)

        def recorded():
            return registry.events.AttestationRecorded.get_logs(from_block=deployment["deployedAtBlock"])

        def chained():
            return [log for log in recorded() if log["args"]["verifier"] != Web3.to_checksum_address(secaas)]

        wait_for("steps challenged by agents as the RoT", lambda: len(chained()) >= AGENTS, 120, programs)
        assert all(log["args"]["passed"] for log in recorded())
        assert all(registry.functions.isEligible(account).call() for account in accounts)

        # Agent 1's image is altered where it runs: its next answer fails and it is revoked.
        image = root / "sites" / "agent-1.wrapped"
        altered = bytearray(image.read_bytes())
        altered[0] ^= 0xFF
        image.write_bytes(bytes(altered))
        wait_for("the tampered agent revoked", lambda: status(1) == "REVOKED", 120, programs)
        revoked = registry.events.AgentRevoked.get_logs(from_block=deployment["deployedAtBlock"])
        assert [(log["args"]["agent"], log["args"]["reason"]) for log in revoked] == [(accounts[1], "evidence")]

        # Agent 2 goes silent: misses, then UNREACHABLE; the others stay TRUSTED throughout.
        programs.stop("agent-2")
        wait_for("the silent agent UNREACHABLE", lambda: status(2) == "UNREACHABLE", 240, programs)
        missed = registry.events.AgentMissed.get_logs(from_block=deployment["deployedAtBlock"])
        assert {log["args"]["agent"] for log in missed} == {accounts[2]}
        assert [status(i) for i in (0, 3)] == ["TRUSTED", "TRUSTED"]
        # The rounds go on without them.
        before = len(chained())
        wait_for("a step after the silent agent's exit", lambda: len(chained()) > before, 90, programs)
        assert [status(i) for i in (0, 3)] == ["TRUSTED", "TRUSTED"]
    finally:
        programs.stop_all()
