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
import sys
import time
from pathlib import Path

import pytest
from web3 import Web3

from conftest import DEV_KEYS, ROOT, DevNode, node_binary

BIN = Path(node_binary()).resolve().parent
# (function, replicas): the whole workflow with 8 agents over three sites; the restarts with 4.
EIGHT = [("ingest", 3), ("detect", 3), ("report", 2)]
FOUR = [("ingest", 2), ("detect", 2)]
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
    paths = ([programs.root / "secaas.log", programs.root / "mlfo.log"] + sorted(programs.root.glob("sites/*/*/agent.log"))
             + sorted(programs.root.glob("*-*.log")))
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


class Deployed:
    """A pipeline of agents over three sites, deployed, registered and configured, with the
    SECaaS and the MLFO serving: the state every scenario starts from."""

    def __init__(self, node, root, functions, max_misses=2):
        self.w3 = node.web3()
        self.programs = Programs(root, node.url)
        self.root = root
        self.rpc = ["--rpc", node.url]
        self.pids = {}
        programs, rpc = self.programs, self.rpc
        (root / "dev.key").write_text(DEV_KEYS[4] + "\n")
        programs.run("d6g-mlfo", "init", "--dir", "mlfo", "--import-key", "dev.key")
        self.secaas = programs.run("d6g-secaas", "init", "--dir", "secaas").strip()
        assert Web3.is_address(self.secaas)
        programs.run("d6g-mlfo", "deploy-contracts", "--dir", "mlfo", "--secaas", self.secaas, "--max-misses", str(max_misses), *rpc)
        self.deployment = json.loads((root / "deployment.json").read_text())
        # The service: a chain of functions over three sites; the MLFO places them.
        (root / "images").mkdir()
        for function, _ in functions:
            (root / "images" / f"{function}.img").write_bytes(f"{function} software\n".encode() * 200)
        self.count = sum(replicas for _, replicas in functions)
        (root / "service.json").write_text(json.dumps({
            "name": "video", "basePort": 20000 + secrets.randbelow(20000),
            "sites": [{"name": "edge-a", "capacity": 3}, {"name": "edge-b", "capacity": 3}, {"name": "core", "capacity": 3}],
            "functions": [{"name": name, "image": f"images/{name}.img", "replicas": replicas} for name, replicas in functions]}))
        programs.run("d6g-mlfo", "pipeline", "--service", "service.json", "--out", "pipeline.json")
        self.pipeline = json.loads((root / "pipeline.json").read_text())
        self.names = [agent["agentId"] for agent in self.pipeline["agents"]]
        assert len(self.names) == self.count
        (root / "wrapped").mkdir()
        for agent in self.pipeline["agents"]:
            programs.run("d6g-secaas", "wrap", "--dir", "secaas", "--agent-id", agent["agentId"], "--image", agent["image"],
                         "--out", f"wrapped/{agent['agentId']}.wrapped")
        programs.run("d6g-mlfo", "deploy-agents", "--descriptor", "pipeline.json", *rpc)
        for line in (root / "sites" / "agents.pids").read_text().split("\n"):
            if line.strip():
                pid, name = line.split()
                self.pids[name] = int(pid)
        programs.run("d6g-mlfo", "register", "--dir", "mlfo", "--descriptor", "pipeline.json", *rpc)
        self.site_of = {a["agentId"]: a["site"] for a in self.pipeline["agents"]}
        self.accounts = [json.loads((self.folder(name) / "bundle.json").read_text())["account"] for name in self.names]
        abi = json.loads(subprocess.run([str(BIN / "d6g-contract"), "abi", "AttestationRegistry"], capture_output=True,
                                        text=True, check=True).stdout)
        self.registry = self.w3.eth.contract(address=self.deployment["registry"], abi=abi)
        assert [self.status(i) for i in range(self.count)] == ["PENDING"] * self.count
        self.start_secaas()
        self.start_mlfo()

    def folder(self, name):
        return self.root / "sites" / self.site_of[name] / name

    def start_secaas(self):
        self.programs.start("secaas", "d6g-secaas", "serve", "--dir", "secaas", "--deadline-blocks", "3", "--round-interval", "1",
                            "--events", "secaas.jsonl", *self.rpc)

    def start_mlfo(self):
        self.programs.start("mlfo", "d6g-mlfo", "serve", "--dir", "mlfo", "--pipeline", "video", "--events", "mlfo.jsonl", *self.rpc)

    def restart_agent(self, index):
        """kill -9, then the same command deploy-agents ran (same keys, a new traffic session)."""
        name = self.names[index]
        os.kill(self.pids.pop(name), 9)
        folder = self.folder(name)
        self.programs.start(name, "d6g-agent", "run", "--dir", str(folder), "--agent-id", name, "--deployment",
                            str(self.root / "deployment.json"), "--image", str(folder / "image.wrapped"), "--descriptor",
                            str(self.root / "pipeline.json"), "--events", str(folder / "events.jsonl"), *self.rpc)

    def status(self, index):
        return STATUS[self.registry.functions.statusOf(self.accounts[index]).call()]

    def of_kind(self, kind):
        return [event for event in events(self.root) if event["event"] == kind]

    def chained(self):
        """Passed steps challenged by an agent as the RoT."""
        challenges = self.of_kind("step_challenged")
        return [e for e in self.of_kind("step_answered") if e["passed"]
                and any(c["round"] == e["round"] and c["step"] == e["step"] and c["challenger"].lower() != self.secaas.lower()
                        for c in challenges)]

    def attested(self):
        """Configured, then: every agent TRUSTED, holding a group key, and talking to its peers."""
        programs = self.programs
        # Nothing is attested before the MLFO says the pipeline is configured.
        time.sleep(2)
        assert [self.status(i) for i in range(self.count)] == ["PENDING"] * self.count
        programs.run("d6g-mlfo", "configured", "--descriptor", "pipeline.json")
        wait_for("every agent TRUSTED", lambda: all(self.status(i) == "TRUSTED" for i in range(self.count)), 120, programs)
        wait_for("steps challenged by agents as the RoT", lambda: len(self.chained()) >= self.count, 180, programs)
        wait_for("every agent holding a group key",
                 lambda: {e["agent"] for e in self.of_kind("group_key_opened")} >= set(self.accounts), 60, programs)
        wait_for("traffic between peers", lambda: sum(e["accepted"] for e in self.of_kind("traffic")) >= 8, 60, programs)
        assert all(self.registry.functions.isEligible(account).call() for account in self.accounts)
        assert self.of_kind("key_rotated"), "agents rotate their encryption key after each group key"

    def losses(self):
        """(agents that missed, agents revoked) on chain so far."""
        block = self.deployment["deployedAtBlock"]
        return ({log["args"]["agent"] for log in self.registry.events.AgentMissed.get_logs(from_block=block)},
                {log["args"]["agent"] for log in self.registry.events.AgentRevoked.get_logs(from_block=block)})

    def stop(self):
        self.programs.stop_all()
        for pid in self.pids.values():
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                pass
        # Once: a pid may belong to another process later.
        self.pids.clear()


def test_the_programs_attest_chain_rekey_revoke_a_tampered_agent_and_mark_a_silent_one(own_node, tmp_path):
    (tmp_path / "work").mkdir()
    run = Deployed(own_node, tmp_path / "work", EIGHT)
    programs, accounts, names = run.programs, run.accounts, run.names
    honest = [index for index in range(run.count) if index not in (1, 2)]
    try:
        # The store keys are the only way into the sealed files: no secret is written in the clear.
        for sealed in [run.root / "mlfo" / "account.sealed", run.root / "secaas" / "account.sealed"]:
            assert sealed.read_bytes().startswith(b"D6GSEAL1")
        assert DEV_KEYS[4][2:].encode() not in (run.root / "mlfo" / "account.sealed").read_bytes()
        # Anti-affinity: the replicas of a function run at different sites.
        for function, replicas in EIGHT:
            assert len({a["site"] for a in run.pipeline["agents"] if a["function"] == function}) == replicas
        run.attested()

        # Agent 1's image is altered where it runs: its next answer fails, it is revoked, and the
        # MLFO publishes an epoch without it; it cannot read the frames of that epoch.
        image = run.folder(names[1]) / "image.wrapped"
        altered = bytearray(image.read_bytes())
        altered[0] ^= 0xFF
        image.write_bytes(bytes(altered))
        wait_for("the tampered agent revoked", lambda: run.status(1) == "REVOKED", 120, programs)
        revoked = run.registry.events.AgentRevoked.get_logs(from_block=run.deployment["deployedAtBlock"])
        assert [(log["args"]["agent"], log["args"]["reason"]) for log in revoked] == [(accounts[1], "evidence")]
        wait_for("an epoch without the revoked agent",
                 lambda: any(e["reason"] == "revocation" and accounts[1] not in e["members"] for e in run.of_kind("epoch_published")),
                 30, programs)
        wait_for("the revoked agent failing to read the next epoch's frames",
                 lambda: any(e["agent"] == accounts[1] and e["dropped"].get("unknown-epoch", 0) > 0 for e in run.of_kind("traffic")),
                 30, programs)

        # Agent 2 goes silent: misses, then UNREACHABLE; the others stay TRUSTED throughout.
        os.kill(run.pids[names[2]], 9)
        wait_for("the silent agent UNREACHABLE", lambda: run.status(2) == "UNREACHABLE", 300, programs)
        assert [run.status(i) for i in honest] == ["TRUSTED"] * len(honest)
        # The rounds go on without them.
        before = len(run.chained())
        wait_for("a step after the silent agent's exit", lambda: len(run.chained()) > before, 90, programs)
        assert [run.status(i) for i in honest] == ["TRUSTED"] * len(honest)
        # No honest agent ever missed a step or was revoked.
        assert run.losses() == ({accounts[2]}, {accounts[1], accounts[2]})
        # S1: no per-agent secret, reference measurement or store key in plaintext in the node's
        # data directory and log, the programs' files, logs and events, or the chain's RPC answers.
        run.stop()
        sys.path.insert(0, str(ROOT / "scripts"))
        import demo
        scanner = demo.SecretScanner(run.root, {role: programs.env[f"D6G_{role}_STORE_KEY"] for role in ("MLFO", "SECAAS", "AGENT")})
        scanner.scan_files()
        for path in [p for p in Path(own_node.datadir).rglob("*") if p.is_file()] + [Path(own_node.log_path)]:
            scanner.look(path.read_bytes(), str(path))
        w3 = own_node.web3()
        for number in range(w3.eth.block_number + 1):
            scanner.look(Web3.to_json(w3.eth.get_block(number, full_transactions=True)).encode(), f"block {number}")
        for address in (run.deployment["registry"], run.deployment["keyExchange"]):
            scanner.look(Web3.to_json(w3.eth.get_logs({"fromBlock": 0, "address": address})).encode(), f"logs of {address}")
        assert scanner.found == [], scanner.found
    finally:
        run.stop()


def test_restarts_of_the_secaas_the_mlfo_and_an_agent_lose_nothing(own_node, tmp_path):
    (tmp_path / "work").mkdir()
    run = Deployed(own_node, tmp_path / "work", FOUR, max_misses=3)
    programs, accounts = run.programs, run.accounts
    try:
        run.attested()
        # The SECaaS is killed while a round runs, and comes back: it keeps its sealed plans,
        # never reuses a round number or a nonce (the registry would refuse it), and goes on.
        rounds = {e["round"] for e in run.of_kind("round_begun")}
        programs.processes.pop("secaas").kill()
        time.sleep(1)
        run.start_secaas()
        wait_for("rounds begun after the SECaaS's restart",
                 lambda: len({e["round"] for e in run.of_kind("round_begun")} - rounds) >= 2, 60, programs)
        begun = [e["round"] for e in run.of_kind("round_begun")]
        assert len(begun) == len(set(begun)), f"a round number used twice: {begun}"
        before = len(run.chained())
        wait_for("steps chained after the SECaaS's restart", lambda: len(run.chained()) >= before + run.count, 90, programs)

        # An agent is killed and restarted on the same keys: a new traffic session, and it goes on
        # answering and talking.
        answered = len([e for e in run.of_kind("step_answered") if e["prover"] == accounts[3]])
        restarted = time.time()
        run.restart_agent(3)
        wait_for("the restarted agent answering again",
                 lambda: len([e for e in run.of_kind("step_answered") if e["prover"] == accounts[3] and e["passed"]]) > answered,
                 90, programs)
        # Its frames go on being accepted: a new session, so its sequence numbers from 0 are no replay.
        wait_for("the restarted agent talking again",
                 lambda: any(e["t"] > restarted + 3 and e["agent"] != accounts[3] and e["accepted"] > 0
                             for e in run.of_kind("traffic")), 60, programs)
        assert not any(e["dropped"].get("replay", 0) for e in run.of_kind("traffic")), "frames taken for replays"

        # The operator revokes agent 0, and the MLFO is killed the moment it reports the
        # revocation — in the middle of the rekey. Back, it finds the current epoch on chain and
        # ends with an epoch without agent 0, whether the interrupted one landed or not.
        exchange_abi = json.loads(subprocess.run([str(BIN / "d6g-contract"), "abi", "KeyExchange"], capture_output=True,
                                                 text=True, check=True).stdout)
        exchange = run.w3.eth.contract(address=run.deployment["keyExchange"], abi=exchange_abi)
        group = int.from_bytes(Web3.keccak(text="video"), "big")
        before = exchange.functions.currentEpoch(group).call()
        seen = programs.log("mlfo").count("REVOKED")
        programs.run("d6g-mlfo", "revoke", "--dir", "mlfo", *run.rpc, accounts[0], "decommissioned")
        deadline = time.time() + 30
        while programs.log("mlfo").count("REVOKED") == seen and time.time() < deadline:
            time.sleep(0.01)
        programs.processes.pop("mlfo").kill()
        run.start_mlfo()
        # On chain (the interrupted MLFO may have published it and died before its event).
        def keyed_out():
            current = exchange.functions.currentEpoch(group).call()
            return current > before and exchange.functions.epochOf(group, accounts[0]).call() < current
        wait_for("an epoch without the revoked agent after the MLFO's restart", keyed_out, 60, programs)
        # No honest agent was revoked, and the others are eligible at the end.
        missed, revoked = run.losses()
        assert revoked == {accounts[0]}
        wait_for("every honest agent eligible",
                 lambda: all(run.registry.functions.isEligible(account).call() for account in accounts[1:]), 90, programs)
    finally:
        run.stop()
