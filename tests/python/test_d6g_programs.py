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
    paths = [programs.root / "secaas.log", programs.root / "mlfo.log"] + sorted(programs.root.glob("sites/*/*/agent.log"))
    logs = "\n".join(f"--- {path}\n{path.read_text()[-3000:]}" for path in paths if path.exists())
    pytest.fail(f"timed out waiting for {what}\n{logs}")


@pytest.fixture
def own_node(tmp_path):
    node = DevNode(str(tmp_path / "node")).start()
    yield node
    node.stop()


def events(root):
    """Every program's JSON-lines events, in time order."""
    found = []
    for path in list(root.glob("*.jsonl")) + list(root.glob("sites/*/*/events.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                found.append(json.loads(line))
    return sorted(found, key=lambda event: event["t"])


def test_the_programs_attest_chain_rekey_revoke_a_tampered_agent_and_mark_a_silent_one(own_node, tmp_path):
    w3 = own_node.web3()
    root = tmp_path / "work"
    root.mkdir()
    programs = Programs(root, own_node.url)
    rpc = ["--rpc", own_node.url]
    pids = {}
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

        # The service: two functions of two replicas each over two sites; the MLFO places them.
        (root / "images").mkdir()
        for function in ("ingest", "detect"):
            (root / "images" / f"{function}.img").write_bytes(f"{function} software\n".encode() * 200)
        base_port = 20000 + secrets.randbelow(20000)
        (root / "service.json").write_text(json.dumps({
            "name": "video", "basePort": base_port,
            "sites": [{"name": "edge-a", "capacity": 2}, {"name": "edge-b", "capacity": 3}],
            "functions": [{"name": "ingest", "image": "images/ingest.img", "replicas": 2},
                          {"name": "detect", "image": "images/detect.img", "replicas": 2}]}))
        programs.run("d6g-mlfo", "pipeline", "--service", "service.json", "--out", "pipeline.json")
        pipeline = json.loads((root / "pipeline.json").read_text())
        names = [agent["agentId"] for agent in pipeline["agents"]]
        assert len(names) == AGENTS
        # Anti-affinity: the two replicas of a function run at different sites.
        for function in ("ingest", "detect"):
            assert len({a["site"] for a in pipeline["agents"] if a["function"] == function}) == 2
        (root / "wrapped").mkdir()
        for agent in pipeline["agents"]:
            programs.run("d6g-secaas", "wrap", "--dir", "secaas", "--agent-id", agent["agentId"], "--image", agent["image"],
                         "--out", f"wrapped/{agent['agentId']}.wrapped")
        programs.run("d6g-mlfo", "deploy-agents", "--descriptor", "pipeline.json", *rpc)
        for line in (root / "sites" / "agents.pids").read_text().split("\n"):
            if line.strip():
                pid, name = line.split()
                pids[name] = int(pid)
        programs.run("d6g-mlfo", "register", "--dir", "mlfo", "--descriptor", "pipeline.json", *rpc)
        bundles = {a["agentId"]: json.loads((root / "sites" / a["site"] / a["agentId"] / "bundle.json").read_text())
                   for a in pipeline["agents"]}
        accounts = [bundles[name]["account"] for name in names]
        site_of = {a["agentId"]: a["site"] for a in pipeline["agents"]}
        abi = json.loads(subprocess.run([str(BIN / "d6g-contract"), "abi", "AttestationRegistry"], capture_output=True,
                                        text=True, check=True).stdout)
        registry = w3.eth.contract(address=deployment["registry"], abi=abi)

        def status(index):
            return STATUS[registry.functions.statusOf(accounts[index]).call()]

        assert [status(i) for i in range(AGENTS)] == ["PENDING"] * AGENTS
        programs.start("secaas", "d6g-secaas", "serve", "--dir", "secaas", "--deadline-blocks", "3", "--round-interval", "1",
                       "--events", "secaas.jsonl", *rpc)
        programs.start("mlfo", "d6g-mlfo", "serve", "--dir", "mlfo", "--pipeline", "video", "--events", "mlfo.jsonl", *rpc)
        # Nothing is attested before the MLFO says the pipeline is configured.
        time.sleep(2)
        assert [status(i) for i in range(AGENTS)] == ["PENDING"] * AGENTS
        programs.run("d6g-mlfo", "configured", "--descriptor", "pipeline.json")

        # The initial attestation by the SECaaS, the first key epoch, then rounds chained through the RoT.
        wait_for("every agent TRUSTED", lambda: all(status(i) == "TRUSTED" for i in range(AGENTS)), 90, programs)

        def of_kind(kind):
            return [event for event in events(root) if event["event"] == kind]

        def chained():
            return [e for e in of_kind("step_answered") if e["passed"]
                    and any(c["event"] == "step_challenged" and c["round"] == e["round"] and c["step"] == e["step"]
                            and c["challenger"].lower() != secaas.lower() for c in of_kind("step_challenged"))]

        wait_for("steps challenged by agents as the RoT", lambda: len(chained()) >= AGENTS, 120, programs)
        wait_for("every agent holding a group key", lambda: {e["agent"] for e in of_kind("group_key_opened")} >= set(accounts), 60,
                 programs)
        wait_for("traffic between peers", lambda: sum(e["accepted"] for e in of_kind("traffic")) >= 8, 60, programs)
        assert all(registry.functions.isEligible(account).call() for account in accounts)
        assert of_kind("key_rotated"), "agents rotate their encryption key after each group key"

        # Agent 1's image is altered where it runs: its next answer fails, it is revoked, and the
        # MLFO publishes an epoch without it; it cannot read the frames of that epoch.
        tampered = names[1]
        image = root / "sites" / site_of[tampered] / tampered / "image.wrapped"
        altered = bytearray(image.read_bytes())
        altered[0] ^= 0xFF
        image.write_bytes(bytes(altered))
        wait_for("the tampered agent revoked", lambda: status(1) == "REVOKED", 120, programs)
        revoked = registry.events.AgentRevoked.get_logs(from_block=deployment["deployedAtBlock"])
        assert [(log["args"]["agent"], log["args"]["reason"]) for log in revoked] == [(accounts[1], "evidence")]
        wait_for("an epoch without the revoked agent",
                 lambda: any(e["reason"] == "revocation" and accounts[1] not in e["members"] for e in of_kind("epoch_published")),
                 30, programs)
        wait_for("the revoked agent failing to read the next epoch's frames",
                 lambda: any(e["agent"] == accounts[1] and e["dropped"].get("unknown-epoch", 0) > 0 for e in of_kind("traffic")),
                 30, programs)

        # Agent 2 goes silent: misses, then UNREACHABLE; the others stay TRUSTED throughout.
        os.kill(pids[names[2]], 9)
        wait_for("the silent agent UNREACHABLE", lambda: status(2) == "UNREACHABLE", 240, programs)
        missed = registry.events.AgentMissed.get_logs(from_block=deployment["deployedAtBlock"])
        assert {log["args"]["agent"] for log in missed} == {accounts[2]}
        assert [status(i) for i in (0, 3)] == ["TRUSTED", "TRUSTED"]
        # The rounds go on without them.
        before = len(chained())
        wait_for("a step after the silent agent's exit", lambda: len(chained()) > before, 90, programs)
        assert [status(i) for i in (0, 3)] == ["TRUSTED", "TRUSTED"]
        # No honest agent ever missed a step or was revoked.
        missed = registry.events.AgentMissed.get_logs(from_block=deployment["deployedAtBlock"])
        assert {log["args"]["agent"] for log in missed} == {accounts[2]}
        revoked = registry.events.AgentRevoked.get_logs(from_block=deployment["deployedAtBlock"])
        assert {log["args"]["agent"] for log in revoked} == {accounts[1], accounts[2]}
    finally:
        programs.stop_all()
        for pid in pids.values():
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                pass
