#!/usr/bin/env python3
"""`make demo`: the whole D6G story on a fresh machine, unattended. About 45 s on two idle cores
(as much with both cores busy); the phases' timeouts allow several minutes on a slow machine, and
grow with the number of agents (--agents; a round of N steps takes about N × 0.35 s).

1. A local network of four validators, real `d6g-node run` processes (tests/python/localnet.py).
2. In a fresh output folder (demo-output/, or --out) the three programs run as an operator runs
   them: store keys in the environment only, `d6g-mlfo init` with a funded testnet key,
   `d6g-secaas init`, `d6g-mlfo deploy-contracts`, a service of 8 agents (--agents) over 3 sites placed by
   `d6g-mlfo pipeline`, `d6g-secaas wrap` per agent, `d6g-mlfo deploy-agents` (the agent
   processes), `register`, `d6g-secaas serve`, `d6g-mlfo serve`, `d6g-mlfo configured`. Every
   program is given all four nodes' RPC URLs, so it fails over.
3. The story: the initial attestation of all 8 agents, periodic rounds chained through the root
   of trust, traffic between peers; one agent's image tampered with where it runs (revoked, rekeyed
   out, unable to read the new epoch's frames); another agent stopped (misses, then UNREACHABLE);
   a few more rounds. Each phase is announced with its latency and written as a `phase` event.
4. A live timeline: every program's events files are followed and each new event printed as
   scripts/demo_report.py renders it (routine traffic reports are summarised, see Timeline). At the
   end: the figures, and timeline.json, chart.svg and report.txt (the full timeline) in the folder.
5. S1: the nodes' data directories, the folder's logs and event files and the chain's RPC answers
   are scanned for the secrets in plaintext (the per-agent image secrets, the store keys); --no-scan
   skips it.

--agents N runs the same story with N agents (at least 5): the same 3 functions in a chain, the
replicas split as evenly as possible (8 → 3/3/2, 16 → 6/5/5), 3 sites of ceil((N + 1) / 3) each.
--quiet prints no live timeline and no command lines, only a line per phase and the end's figures
(scripts/bench_attestation.py runs the demo so, for N = 8 … 64).

Every process it starts is stopped on success, failure or Ctrl-C. A phase that times out ends the
demo with a non-zero exit, the reason and the tail of the logs that matter.

    .venv/bin/python scripts/demo.py [--bin .build/release] [--out demo-output] [--deadline-blocks 3]
                                     [--agents 8] [--quiet] [--no-scan]
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests" / "python"))

import demo_report  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_utils import keccak  # noqa: E402
from localnet import LocalTestnet  # noqa: E402
from web3 import Web3  # noqa: E402

VALIDATORS = 4
STATUS = {0: "NONE", 1: "PENDING", 2: "TRUSTED", 3: "REVOKED", 4: "UNREACHABLE"}
PIPELINE = "video-analytics"
# The service: 3 functions in a chain over 3 sites; by default 8 agents (3/3/2), 3 sites with room for 9.
SITE_NAMES = ("edge-a", "edge-b", "core")
FUNCTION_NAMES = ("ingest", "detect", "report")
DEFAULT_AGENTS = 8
# The story needs a second replica of the middle function (the tampered one) and an agent of
# another function at another site (the silenced one): 5 agents (2/2/1) at least.
MIN_AGENTS = 5
# `d6g-node testnet` funds its validators and the five devnet development accounts, whose keys are
# public (Genesis/README.md: keccak-256 of "d6g-dev-account-N"). The MLFO imports one of them.
MLFO_DEV_ACCOUNT = 4
WRAP_MARKER = b"\nd6g-wrapped-v1\n"


def functions_for(agents: int) -> list[tuple[str, int]]:
    """The chain's functions and their replicas, split as evenly as possible, the first ones
    taking the remainder: 8 → ingest 3, detect 3, report 2; 16 → 6/5/5."""
    share, extra = divmod(agents, len(FUNCTION_NAMES))
    return [(name, share + (1 if index < extra else 0)) for index, name in enumerate(FUNCTION_NAMES)]


def sites_for(agents: int) -> list[tuple[str, int]]:
    """3 sites of equal capacity with room for one agent more than there are: 8 → 3 each."""
    capacity = -(-(agents + 1) // len(SITE_NAMES))
    return [(name, capacity) for name in SITE_NAMES]


class DemoFailure(Exception):
    """A phase that did not happen: what was awaited, and the logs that tell why."""

    def __init__(self, message: str, logs: str = ""):
        super().__init__(message)
        self.logs = logs


class Interrupted(BaseException):
    """SIGTERM. Not an Exception: wait_until looks again after any Exception of a condition (a
    node busy or restarting), which would swallow it."""


def milliseconds_since(start: float) -> int:
    return round((time.time() - start) * 1000)


# MARK: the live timeline

class Timeline:
    """Follows every events file of the run and prints each new event as demo_report.render
    renders it (the same words and offsets as report.txt). A `traffic` event every 2 s from each of
    8 agents would bury the story, so one is shown only when it says something new for its agent:
    its first, a new epoch, or a new kind of drop; the rest are counted (all are in timeline.json).
    Quiet, it still follows the files (the phases wait on the events) but prints no event and
    none of say()'s lines, only those said `always`."""

    PATTERNS = ("demo.jsonl", "secaas.jsonl", "mlfo.jsonl", "sites/*/*/events.jsonl")

    def __init__(self, out: Path, quiet: bool = False):
        self.out = out
        self.quiet = quiet
        self.events: list[dict] = []
        self.skipped = 0
        self.hidden_traffic = 0
        self.read_upto: dict[Path, int] = {}
        self.partial: dict[Path, bytes] = {}
        self.last_traffic: dict[str, tuple] = {}
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._follow, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.thread.join()
        self.poll()

    def say(self, text: str = "", always: bool = False):
        if self.quiet and not always:
            return
        with self.lock:
            print(text, flush=True)

    def record(self, kind: str, **fields):
        """One of the demo's own events (the orchestrator's acts and the phases), in demo.jsonl."""
        event = {"t": time.time(), "role": "demo", "event": kind, **fields}
        with open(self.out / "demo.jsonl", "a") as file:
            file.write(json.dumps(event, sort_keys=True) + "\n")
        self.poll()

    def snapshot(self) -> list[dict]:
        with self.lock:
            return list(self.events)

    def _follow(self):
        while not self.stopping.wait(0.4):
            try:
                self.poll()
            except Exception as error:  # a torn file must not end the timeline
                self.say(f"(timeline: {error})")

    def poll(self):
        with self.lock:
            new = []
            for pattern in self.PATTERNS:
                for path in sorted(self.out.glob(pattern)):
                    new += self._new_events(path)
            if not new:
                return
            self.events += new
            if self.quiet:
                return
            shown = {id(event) for event in demo_report.in_time_order(new) if self._worth_showing(event)}
            if not shown:
                return
            # render numbers every line from the first event and names agents from all of them.
            lines = demo_report.render(self.events, self.skipped)
            for event, line in zip(demo_report.in_time_order(self.events), lines):
                if id(event) in shown:
                    print(line, flush=True)

    def _new_events(self, path: Path) -> list[dict]:
        with open(path, "rb") as file:
            file.seek(self.read_upto.get(path, 0))
            data = file.read()
        self.read_upto[path] = self.read_upto.get(path, 0) + len(data)
        # A line still being written stays for the next look.
        data = self.partial.pop(path, b"") + data
        *lines, rest = data.split(b"\n")
        if rest:
            self.partial[path] = rest
        events = []
        for line in lines:
            if not line.strip():
                continue
            event = demo_report.parsed(line.decode("utf-8", errors="replace"))
            if event is None:
                self.skipped += 1
            else:
                events.append(event)
        return events

    def _worth_showing(self, event: dict) -> bool:
        if event["event"] != "traffic":
            return True
        dropped = event.get("dropped") if isinstance(event.get("dropped"), dict) else {}
        now = (event.get("epoch"), tuple(sorted(reason for reason, count in dropped.items() if count)))
        agent = str(event.get("agent"))
        if self.last_traffic.get(agent) == now:
            self.hidden_traffic += 1
            return False
        self.last_traffic[agent] = now
        return True


# MARK: the programs

class Programs:
    """The run's folder, the store keys, and every process started in it."""

    def __init__(self, out: Path, binaries: Path, timeline: Timeline):
        self.out = out
        self.binaries = binaries
        self.timeline = timeline
        self.env = dict(os.environ)
        # The store keys exist only here and in the programs' environment: never in a file.
        self.store_keys = {role: secrets.token_hex(32) for role in ("MLFO", "SECAAS", "AGENT")}
        for role, key in self.store_keys.items():
            self.env[f"D6G_{role}_STORE_KEY"] = key
        self.services: dict[str, subprocess.Popen] = {}
        self.agent_pids: dict[str, int] = {}
        self.rpc_urls: list[str] = []

    def rpc_arguments(self) -> list[str]:
        return [argument for url in self.rpc_urls for argument in ("--rpc", url)]

    def shown(self, program: str, args) -> str:
        """The command line as the operator types it, the four --rpc options shortened."""
        text, rpc = [program], 0
        for argument in args:
            if argument == "--rpc":
                rpc += 1
                continue
            if argument in self.rpc_urls:
                continue
            text.append(argument)
        return " ".join(text) + (f" --rpc … (×{rpc})" if rpc else "")

    def run(self, program: str, *args, timeout: float = 180) -> str:
        """A one-shot command in the folder; its output goes to commands.log."""
        self.timeline.say(f"  $ {self.shown(program, args)}")
        try:
            result = subprocess.run([str(self.binaries / program), *args], cwd=self.out, env=self.env,
                                    capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as error:
            raise DemoFailure(f"`{self.shown(program, args)}` did not finish in {timeout:.0f} s",
                              self.tails() + f"\n--- its output:\n{error.stdout or ''}{error.stderr or ''}")
        with open(self.out / "commands.log", "a") as log:
            log.write(f"$ {program} {' '.join(args)}\n{result.stdout}{result.stderr}\n")
        if result.returncode != 0:
            raise DemoFailure(f"`{self.shown(program, args)}` failed (exit {result.returncode})",
                              f"{result.stdout}{result.stderr}")
        return result.stdout

    def start(self, name: str, program: str, *args):
        """A long-running program, its output in NAME.log."""
        self.timeline.say(f"  $ {self.shown(program, args)} &")
        with open(self.out / f"{name}.log", "w") as log:
            self.services[name] = subprocess.Popen([str(self.binaries / program), *args], cwd=self.out, env=self.env,
                                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def check_services(self):
        for name, process in self.services.items():
            if process.poll() is not None:
                raise DemoFailure(f"{name} exited with code {process.returncode}", self.tails())

    def read_agent_pids(self):
        for line in (self.out / "sites" / "agents.pids").read_text().splitlines():
            if line.strip():
                pid, name = line.split()
                self.agent_pids[name] = int(pid)

    def kill_agent(self, name: str, sig=signal.SIGKILL):
        pid = self.agent_pids.pop(name)
        if is_agent_process(pid, self.out):
            os.kill(pid, sig)

    def stop_agents(self):
        """The agents are not our children (deploy-agents started them), so their pids are checked
        to still be d6g-agent processes before they are signalled."""
        alive = [pid for pid in self.agent_pids.values() if is_agent_process(pid, self.out)]
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 10
        while time.time() < deadline and any(is_agent_process(pid, self.out) for pid in alive):
            time.sleep(0.2)
        for pid in alive:
            if is_agent_process(pid, self.out):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.agent_pids.clear()

    def stop_services(self):
        for process in self.services.values():
            if process.poll() is None:
                process.terminate()
        for process in self.services.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.services.clear()

    def tails(self, agents=None, chars: int = 2500) -> str:
        """The end of the SECaaS's, the MLFO's and the agents' logs (all agents, or those named)."""
        paths = [self.out / "secaas.log", self.out / "mlfo.log"]
        for path in sorted(self.out.glob("sites/*/*/agent.log")):
            if agents is None or path.parent.name in agents:
                paths.append(path)
        parts = []
        for path in paths:
            if path.exists():
                parts.append(f"--- {path.relative_to(self.out)}:\n{path.read_text(errors='replace')[-chars:]}")
        return "\n".join(parts)


def is_agent_process(pid: int, folder: Path) -> bool:
    """Whether `pid` is still a d6g-agent of this run (pids are reused; other runs may be going)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"d6g-agent" in command and str(folder).encode() in command


def free_udp_base(count: int) -> int:
    """A first port of `count` consecutive free UDP ports, below the ephemeral range."""
    for _ in range(200):
        base = secrets.randbelow(10_000) + 20_000
        sockets = []
        try:
            for port in range(base, base + count):
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(udp)
                udp.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for udp in sockets:
                udp.close()
    raise DemoFailure("no free range of UDP ports for the agents")


# MARK: the demo

class Demo:
    def __init__(self, options):
        self.options = options
        self.out = options.out.resolve()
        self.binaries = options.bin.absolute()
        self.agents = options.agents
        # Waiting for rounds takes longer with more agents: the phases' timeouts, set for 8, grow with N.
        self.scale = max(1.0, self.agents / DEFAULT_AGENTS)
        self.timeline = Timeline(self.out, quiet=options.quiet)
        self.programs = Programs(self.out, self.binaries, self.timeline)
        self.net: LocalTestnet | None = None
        self.started = time.time()
        self.phase_number = 0
        self.names: list[str] = []
        self.account_of: dict[str, str] = {}
        self.site_of: dict[str, str] = {}
        self.deployment: dict = {}

    # Phases and waiting

    def announce(self, title: str) -> float:
        self.phase_number += 1
        if self.timeline.quiet:
            self.timeline.say(f"=== {self.phase_number}. {title}", always=True)
        else:
            self.timeline.say(f"\n=== {self.phase_number}. {title}")
        return time.time()

    def phase_done(self, name: str, since: float):
        self.timeline.record("phase", name=name, latency_ms=milliseconds_since(since))

    def wait_until(self, what: str, condition, timeout: float, agents=None):
        """Polls `condition` until it holds; fails with the logs of `agents` (default: all) if it
        does not within `timeout` s, or at once if a node, the SECaaS or the MLFO service died."""
        deadline = time.time() + timeout
        last_error = None
        while time.time() < deadline:
            self.programs.check_services()
            stopped = [index for index in range(VALIDATORS) if not self.net.running(index)]
            if stopped:
                raise DemoFailure(f"node(s) {stopped} stopped while waiting for {what}", self.net.log_tails(3000))
            try:
                if condition():
                    return
                last_error = None
            except DemoFailure:  # the condition saw that it can never hold
                raise
            except Exception as error:  # a node busy or restarting: look again
                last_error = error
            time.sleep(0.5)
        note = f" (last error: {last_error})" if last_error else ""
        raise DemoFailure(f"timed out after {timeout:.0f} s waiting for {what}{note}",
                          self.programs.tails(agents) + "\n" + (self.net.log_tails(1200) if self.net else ""))

    # Reading the chain and the events

    def status(self, name: str) -> str:
        return STATUS[self.registry.functions.statusOf(self.account_of[name]).call()]

    def statuses(self) -> dict[str, str]:
        return {name: self.status(name) for name in self.names}

    def of_kind(self, kind: str) -> list[dict]:
        return [event for event in self.timeline.snapshot() if event["event"] == kind]

    def finished_rounds(self) -> set[int]:
        """Rounds every step of which ended (answered, missed or declined)."""
        return {entry["round"] for entry in demo_report.round_time(self.timeline.snapshot())["rounds"]
                if entry["ms"] != demo_report.NOT_REACHED}

    def chained_rounds(self) -> set[int]:
        """Finished periodic rounds in which an agent, as the RoT, challenged its successor."""
        secaas = self.deployment["secaas"].lower()
        by_agents = {event["round"] for event in self.of_kind("step_challenged")
                     if str(event.get("challenger", "")).lower() != secaas}
        return {number for number in self.finished_rounds() if number >= 1 and number in by_agents}

    # The story

    def run(self):
        self.prepare_folder()
        self.timeline.start()
        self.timeline.record("phase", name="demo started")
        self.start_network()
        self.set_up_programs()
        self.deploy_pipeline()
        self.start_services()
        self.initial_attestation()
        self.chained_rounds_and_traffic()
        self.tamper()
        self.silence()
        self.more_rounds()
        self.check_honest_agents()
        self.finish()

    def prepare_folder(self):
        # Refuse to delete a folder that is not an earlier demo's output (a mistyped --out).
        if self.out.exists() and any(self.out.iterdir()) and not (self.out / "demo.jsonl").exists():
            raise DemoFailure(f"{self.out} exists, is not empty and holds no demo.jsonl: not deleting it; "
                              "give another --out or delete it yourself")
        shutil.rmtree(self.out, ignore_errors=True)
        self.out.mkdir(parents=True)
        print(f"d6g demo: output in {self.out}, programs from {self.binaries}", flush=True)

    def start_network(self):
        since = self.announce(f"a network of {VALIDATORS} validators (d6g-node testnet, then d6g-node run ×{VALIDATORS})")
        self.net = LocalTestnet(str(self.out / "network"), str(self.binaries / "d6g-node"), validators=VALIDATORS,
                                followers=0)
        for index in range(VALIDATORS):
            self.net.start(index)
        self.programs.rpc_urls = [self.net.rpc_url(index) for index in range(VALIDATORS)]
        for index in range(VALIDATORS):
            self.timeline.say(f"  node{index}: {self.net.rpc_url(index)}, log network/node{index}.log")
        try:
            self.net.wait_for(lambda: min(self.net.heights()) >= 3, timeout=90, what="every validator at block 3")
        except AssertionError as error:  # localnet's message holds the heights and the nodes' logs
            raise DemoFailure("the network made no blocks", str(error))
        self.w3 = self.net.web3(0)
        self.timeline.say(f"  blocks coming: heights {self.net.heights()}")
        self.phase_done("network up", since)

    def funded_dev_key(self) -> str:
        """The development key the MLFO imports, after checking that this genesis funds it."""
        key = "0x" + keccak(text=f"d6g-dev-account-{MLFO_DEV_ACCOUNT}").hex().removeprefix("0x")
        address = Account.from_key(key).address
        alloc = json.loads((self.out / "network" / "genesis.json").read_text())["alloc"]
        balances = {entry.lower(): int(value["balance"]) for entry, value in alloc.items()}
        if balances.get(address.lower(), 0) == 0:
            raise DemoFailure(f"the testnet genesis does not fund dev account {MLFO_DEV_ACCOUNT} ({address}); "
                              f"funded: {sorted(balances)}")
        self.timeline.say(f"  the MLFO's account: dev account {MLFO_DEV_ACCOUNT} {address}, funded in genesis with "
                          f"{balances[address.lower()] / 10**18:,.0f} ether (a public development key)")
        return key

    def set_up_programs(self):
        since = self.announce("the MLFO and the SECaaS: accounts and contracts")
        key_file = self.out / "mlfo-import.key"
        key_file.write_text(self.funded_dev_key() + "\n")
        self.programs.run("d6g-mlfo", "init", "--dir", "mlfo", "--import-key", key_file.name)
        # Sealed now under the MLFO's store key; the operator removes the clear copy.
        key_file.unlink()
        secaas = self.programs.run("d6g-secaas", "init", "--dir", "secaas").strip()
        self.programs.run("d6g-mlfo", "deploy-contracts", "--dir", "mlfo", "--secaas", secaas, "--max-misses", "2",
                          "--min-deadline-blocks", "3", *self.programs.rpc_arguments())
        self.deployment = json.loads((self.out / "deployment.json").read_text())
        self.timeline.say(f"  AttestationRegistry {self.deployment['registry']}, KeyExchange {self.deployment['keyExchange']}, "
                          f"block {self.deployment['deployedAtBlock']}; SECaaS {secaas}")
        # demo_report names an address that an event gives with an `_id` beside it: the SECaaS's
        # challenges then read "challenged by secaas".
        self.timeline.record("secaas_account", agent=secaas, agent_id="secaas")
        abi = subprocess.run([str(self.binaries / "d6g-contract"), "abi", "AttestationRegistry"], capture_output=True,
                             text=True, check=True).stdout
        self.registry = self.w3.eth.contract(address=self.deployment["registry"], abi=json.loads(abi))
        self.phase_done("contracts deployed", since)

    def deploy_pipeline(self):
        since = self.announce(f"the pipeline: {self.agents} agents over 3 sites, wrapped, deployed and registered")
        images = self.out / "images"
        images.mkdir()
        functions, sites = functions_for(self.agents), sites_for(self.agents)
        for function, _ in functions:
            # A stand-in for the function's software: some kilobytes of its own.
            (images / f"{function}.img").write_bytes(f"{function} network function, build 1\n".encode() * 2000)
        (self.out / "service.json").write_text(json.dumps({
            "name": PIPELINE, "basePort": free_udp_base(sum(replicas for _, replicas in functions)),
            "sites": [{"name": name, "capacity": capacity} for name, capacity in sites],
            "functions": [{"name": name, "image": f"images/{name}.img", "replicas": replicas} for name, replicas in functions],
        }, indent=1) + "\n")
        for line in self.programs.run("d6g-mlfo", "pipeline", "--service", "service.json", "--out", "pipeline.json").splitlines():
            self.timeline.say(f"    {line}")
        pipeline = json.loads((self.out / "pipeline.json").read_text())
        self.names = [agent["agentId"] for agent in pipeline["agents"]]
        self.site_of = {agent["agentId"]: agent["site"] for agent in pipeline["agents"]}
        (self.out / "wrapped").mkdir()
        for agent in pipeline["agents"]:
            self.programs.run("d6g-secaas", "wrap", "--dir", "secaas", "--agent-id", agent["agentId"], "--image",
                              agent["image"], "--out", f"wrapped/{agent['agentId']}.wrapped")
        self.programs.run("d6g-mlfo", "deploy-agents", "--descriptor", "pipeline.json", *self.programs.rpc_arguments(),
                          timeout=180 * self.scale)
        self.programs.read_agent_pids()
        self.programs.run("d6g-mlfo", "register", "--dir", "mlfo", "--descriptor", "pipeline.json",
                          *self.programs.rpc_arguments(), timeout=180 * self.scale)
        for agent in pipeline["agents"]:
            bundle = json.loads((self.out / "sites" / agent["site"] / agent["agentId"] / "bundle.json").read_text())
            self.account_of[agent["agentId"]] = Web3.to_checksum_address(bundle["account"])
            # Where the orchestrator placed whom: also names the agents in the timeline from here on.
            self.timeline.record("agent_deployed", agent=bundle["account"], agent_id=agent["agentId"], site=agent["site"],
                                 function=agent["function"], pid=self.programs.agent_pids.get(agent["agentId"]))
        statuses = self.statuses()
        if set(statuses.values()) != {"PENDING"}:
            raise DemoFailure(f"registered agents should be PENDING before the initial attestation: {statuses}")
        self.phase_done("agents deployed and registered", since)

    def start_services(self):
        since = self.announce("the services: d6g-secaas serve, d6g-mlfo serve, then `configured`")
        rpc = self.programs.rpc_arguments()
        self.programs.start("secaas", "d6g-secaas", "serve", "--dir", "secaas", "--deadline-blocks",
                            str(self.options.deadline_blocks), "--round-interval", str(self.options.round_interval),
                            "--events", "secaas.jsonl", *rpc)
        self.programs.start("mlfo", "d6g-mlfo", "serve", "--dir", "mlfo", "--pipeline", PIPELINE, "--events", "mlfo.jsonl",
                            "--epoch-max-age", "30", *rpc)
        self.programs.run("d6g-mlfo", "configured", "--descriptor", "pipeline.json")
        self.configured_at = time.time()
        self.phase_done("services started", since)

    def initial_attestation(self):
        count = self.agents
        since = self.announce(f"the initial attestation: the SECaaS challenges all {count} agents (round 0)")
        asked = [0.0]

        def all_trusted() -> bool:
            # The statuses cost a call per agent, and with many agents polling them twice a second
            # would load the node being measured: they are asked once the events show every agent
            # passing a step, or every 5 s whatever the events say.
            passed = {str(event.get("prover")).lower() for event in self.of_kind("step_answered")
                      if event.get("passed") is True}
            if len(passed) < count and time.time() - asked[0] < 5:
                return False
            asked[0] = time.time()
            statuses = self.statuses()
            # REVOKED and UNREACHABLE are final: waiting on would only run out the timeout.
            lost = sorted(name for name, status in statuses.items() if status in ("REVOKED", "UNREACHABLE"))
            if lost:
                raise DemoFailure(f"{', '.join(f'{name} {statuses[name]}' for name in lost)} before the initial "
                                  f"attestation ended: all {count} can no longer be TRUSTED", self.programs.tails(lost))
            return set(statuses.values()) == {"TRUSTED"}

        self.wait_until(f"all {count} agents TRUSTED", all_trusted, 180 * self.scale)
        self.phase_done(f"initial attestation: {count} TRUSTED", since)

    def chained_rounds_and_traffic(self):
        since = self.announce("periodic rounds chained through the root of trust; group keys and traffic")
        self.wait_until("two periodic rounds chained through the RoT", lambda: len(self.chained_rounds()) >= 2,
                        240 * self.scale)
        first, second = sorted(self.chained_rounds())[:2]
        self.phase_done(f"rounds {first} and {second} chained through the RoT", since)

        def first_accepted() -> dict[str, float]:
            """When each agent first accepted a frame of its peers."""
            times = {}
            for event in self.of_kind("traffic"):
                if event.get("accepted", 0) > 0:
                    times.setdefault(event["agent"].lower(), event["t"])
            return times

        self.wait_until("traffic accepted by every agent",
                        lambda: all(self.account_of[name].lower() in first_accepted() for name in self.names),
                        90 * self.scale)
        # Usually true well before this point: timed from `configured` to the last agent's first frame.
        self.timeline.record("phase", name=f"configured → traffic reaching all {self.agents} agents",
                             latency_ms=round((max(first_accepted().values()) - self.configured_at) * 1000))

    def tamper(self):
        # A replica of the middle function: the pipeline keeps a path around it.
        name = self.tampered = "detect-2"
        address = self.account_of[name]
        since = self.announce(f"tamper: one byte of {name}'s wrapped image changed where it runs")
        image = self.out / "sites" / self.site_of[name] / name / "image.wrapped"
        altered = bytearray(image.read_bytes())
        altered[len(altered) // 2] ^= 0x01
        image.write_bytes(bytes(altered))
        self.timeline.record("tamper", agent=address, agent_id=name)
        self.wait_until(f"{name} REVOKED", lambda: self.status(name) == "REVOKED", 240 * self.scale, agents=[name])
        self.phase_done(f"tamper → {name} REVOKED", since)
        revoked_at = time.time()

        def epoch_without():
            return any(event["t"] >= since and address.lower() not in [m.lower() for m in event.get("members", [])]
                       for event in self.of_kind("epoch_published"))

        self.wait_until(f"an epoch without {name}", epoch_without, 90 * self.scale)
        self.phase_done(f"revocation → epoch without {name}", revoked_at)
        rekeyed_at = time.time()

        def locked_out():
            return any(event["agent"].lower() == address.lower() and event["t"] >= since
                       and event.get("dropped", {}).get("unknown-epoch", 0) > 0 for event in self.of_kind("traffic"))

        self.wait_until(f"{name} dropping the new epoch's frames as unknown-epoch", locked_out, 60 * self.scale,
                        agents=[name])
        self.phase_done(f"{name} cannot read the new epoch", rekeyed_at)

    def silence(self):
        # Another function's replica at another site than the tampered one: ingest-1 with 8 agents.
        name = self.silenced = next(agent for agent in self.names if agent.startswith("ingest-")
                                    and self.site_of[agent] != self.site_of[self.tampered])
        since = self.announce(f"silence: {name}'s process is killed (kill -9); the rounds must mark it")
        address = self.account_of[name].lower()
        self.programs.kill_agent(name)
        self.timeline.record("silence", agent=self.account_of[name], agent_id=name)

        def epoch_without():
            return any(event["t"] >= since and address not in [m.lower() for m in event.get("members", [])]
                       for event in self.of_kind("epoch_published"))

        # Its first miss already costs it the group key: the MLFO rekeys without it at once.
        self.wait_until(f"an epoch without {name}", epoch_without, 120 * self.scale)
        self.phase_done(f"silence → epoch without {name} (its first miss)", since)
        self.wait_until(f"{name} UNREACHABLE", lambda: self.status(name) == "UNREACHABLE", 300 * self.scale)
        self.phase_done(f"silence → {name} UNREACHABLE", since)

    def more_rounds(self):
        since = self.announce(f"the rounds go on with the {self.agents - 2} honest agents")
        seen = max(self.finished_rounds(), default=-1)
        self.wait_until("two more rounds finished",
                        lambda: len([number for number in self.chained_rounds() if number > seen]) >= 2,
                        180 * self.scale)
        self.phase_done("two more rounds without them", since)

    def check_honest_agents(self):
        """What the story claims: only the two agents the demo broke were revoked or missed."""
        statuses = self.statuses()
        honest = [name for name in self.names if name not in (self.tampered, self.silenced)]
        expected = {**{name: "TRUSTED" for name in honest}, self.tampered: "REVOKED", self.silenced: "UNREACHABLE"}
        if statuses != expected:
            raise DemoFailure(f"statuses at the end: {statuses}, expected {expected}", self.programs.tails())
        name_of = {address.lower(): name for name, address in self.account_of.items()}
        start = self.deployment["deployedAtBlock"]
        revoked = [(name_of.get(log["args"]["agent"].lower()), log["args"]["reason"])
                   for log in self.registry.events.AgentRevoked.get_logs(from_block=start)]
        missed = sorted({name_of.get(log["args"]["agent"].lower()) for log in self.registry.events.AgentMissed.get_logs(from_block=start)})
        self.timeline.say(f"\n  on chain: revoked {revoked}; missed a step: {missed}; the other {len(honest)} TRUSTED",
                          always=True)
        if sorted(revoked) != sorted([(self.tampered, "evidence"), (self.silenced, "unreachable")]):
            raise DemoFailure(f"unexpected revocations: {revoked}", self.programs.tails())
        if set(missed) - {self.silenced}:
            # A honest miss is a fact worth showing (a slow machine, a short deadline), not a revocation.
            self.timeline.say(f"  NOTE: honest agents missed steps: {sorted(set(missed) - {self.silenced})} "
                              f"(deadline {self.options.deadline_blocks} blocks)", always=True)

    # The end: stop, report, scan

    def finish(self):
        scan = not self.options.no_scan
        since = self.announce("stop the programs; S1: scan for secrets in plaintext" if scan
                              else "stop the programs (no secrets scan: --no-scan)")
        self.programs.stop_agents()
        self.programs.stop_services()
        scanner = SecretScanner(self.out, self.programs.store_keys) if scan else None
        if scanner:
            scanner.scan_rpc(self.net, self.deployment)
        self.net.stop()
        self.timeline.stop()
        self.write_report()
        if scanner:
            scanner.scan_files()
            self.phase_done("secrets scanned", since)  # after the report: this phase is in demo.jsonl only
        self.print_figures()
        if scanner:
            for line in scanner.report():
                print(line)
            if scanner.found:
                raise DemoFailure("a secret was found in plaintext (see above)")
        print(f"\nd6g demo passed in {time.time() - self.started:.0f} s; everything is in {self.out}")

    def write_report(self):
        files = [str(path) for pattern in Timeline.PATTERNS for path in sorted(self.out.glob(pattern))]
        # demo_report's own command writes timeline.json and chart.svg; its full timeline goes to report.txt.
        with open(self.out / "report.txt", "w") as text, contextlib.redirect_stdout(text):
            demo_report.main(["--out", str(self.out), *files])

    def print_figures(self):
        events = self.timeline.snapshot()
        print()
        if not self.timeline.quiet:
            print(f"({self.timeline.hidden_traffic} routine traffic reports not shown above; report.txt has every event)")
        for line in demo_report.summary(demo_report.figures(events), self.timeline.skipped):
            print(line)
        print(f"\nwrote {self.out / 'timeline.json'}, {self.out / 'chart.svg'} and {self.out / 'report.txt'}")

    def clean_up(self):
        """Stops whatever is still running, whatever happened; after a failure, the timeline so
        far still goes to report.txt, timeline.json and chart.svg."""
        # Interrupted after deploy-agents wrote the pids but before they were read. The agents run
        # in sessions of their own (deploy-agents starts them so), so Ctrl-C does not reach them.
        with contextlib.suppress(OSError, ValueError):
            self.programs.read_agent_pids()
        self.programs.stop_agents()
        self.programs.stop_services()
        if self.net is not None:
            self.net.stop()
        if self.timeline.thread.is_alive():
            self.timeline.stop()
            with contextlib.suppress(Exception):
                self.write_report()
                print(f"the timeline so far: {self.out / 'report.txt'}", file=sys.stderr)


# MARK: S1, secrets in plaintext

class SecretScanner:
    """Looks for the run's secrets where they must never be: raw, in hex (any case) and in base64.
    The secrets: each wrapped image's per-agent secret (the 32 bytes after its marker), its
    reference measurements (SHA-256 and keccak-256 of the whole wrapped image) and the three
    store keys. The group keys never leave the MLFO's memory and the agents' (sealed to each member),
    so there is nothing to compare with; their absence is shown by the protocol, not by a scan."""

    def __init__(self, out: Path, store_keys: dict[str, str]):
        self.out = out
        self.secrets: dict[str, bytes] = {}
        for path in sorted((out / "wrapped").glob("*.wrapped")):
            data = path.read_bytes()
            if data[-48:-32] != WRAP_MARKER:
                raise DemoFailure(f"{path} does not end with the wrap marker and a 32-byte secret")
            self.secrets[f"per-agent secret of {path.stem}"] = data[-32:]
            # A reference measurement of the wrapped image, as a verifier that stores one would
            # keep it (the paper's prototype kept them in contract storage): never on chain here.
            self.secrets[f"reference measurement (SHA-256) of {path.stem}"] = hashlib.sha256(data).digest()
            self.secrets[f"reference measurement (keccak-256) of {path.stem}"] = keccak(data)
        for role, key in store_keys.items():
            self.secrets[f"{role.lower()} store key"] = bytes.fromhex(key)
        self.found: list[str] = []
        self.scanned: list[str] = []
        self.check_the_check()

    def check_the_check(self):
        """"No secret found" means something only if each form would be found: plant them once."""
        for name, secret in self.secrets.items():
            for planted in (secret, secret.hex().upper().encode(), base64.b64encode(secret)):
                self.look(b"...\x00" + planted + b"\n...", "a planted copy")
                if len(self.found) != 1:
                    raise DemoFailure(f"the secret scan missed a planted copy of the {name}")
                self.found.clear()

    def look(self, data: bytes, where: str):
        lowered = data.lower()
        for name, secret in self.secrets.items():
            forms = {"raw": (data, secret), "hex": (lowered, secret.hex().encode()),
                     "base64": (data, base64.b64encode(secret).rstrip(b"="))}
            for form, (haystack, needle) in forms.items():
                if needle in haystack:
                    self.found.append(f"{name} ({form}) in {where}")

    def scan_rpc(self, net: LocalTestnet, deployment: dict):
        """What anyone can ask a node: every block with its transactions, the contracts' logs, and
        each logged transaction and receipt by hash, from every validator."""
        contracts = [deployment["registry"], deployment["keyExchange"]]
        answers, transactions = 0, 0
        for index in range(VALIDATORS):
            head = int(net.rpc(index, "eth_blockNumber"), 16)
            blocks = net.batch(index, [("eth_getBlockByNumber", [hex(number), True]) for number in range(head + 1)])
            logs = [net.rpc(index, "eth_getLogs", [{"fromBlock": "0x0", "toBlock": hex(head), "address": address}])
                    for address in contracts]
            hashes = sorted({log["transactionHash"] for answer in logs for log in answer})
            by_hash = net.batch(index, [(method, [tx]) for tx in hashes
                                        for method in ("eth_getTransactionByHash", "eth_getTransactionReceipt")])
            for answer in blocks + logs + by_hash:
                self.look(json.dumps(answer).encode(), f"node{index}'s RPC answers")
            answers += len(blocks) + len(logs) + len(by_hash)
            transactions += sum(len(block["transactions"]) for block in blocks if isinstance(block, dict))
        self.scanned.append(f"RPC of {VALIDATORS} nodes: {answers} answers — every block with its transactions "
                            f"({transactions} transactions), eth_getLogs of AttestationRegistry and KeyExchange, "
                            "eth_getTransactionByHash and eth_getTransactionReceipt of every logged transaction")

    def scan_files(self):
        """Every file of the output folder, the nodes' data directories included, but the wrapped
        images: wrapped/ is the deployable copy and sites/*/*/image.wrapped each agent's running
        image, both holding their own secret by design."""
        groups: dict[str, list[int]] = {}
        for path in sorted(self.out.rglob("*")):
            if not path.is_file():
                continue
            relative = path.relative_to(self.out)
            parts = relative.parts
            if parts[0] == "wrapped" or (parts[0] == "sites" and relative.name == "image.wrapped"):
                continue
            if parts[0] == "network" and len(parts) > 2 and parts[2] == "data":
                group = "node data directories (network/node*/data, all files)"
            elif relative.suffix == ".log":
                group = "logs (nodes, programs, agents, commands)"
            elif relative.suffix == ".jsonl":
                group = "event files"
            else:
                group = "other files (sealed stores, keys of the nodes, JSON, report)"
            data = path.read_bytes()
            self.look(data, str(relative))
            counts = groups.setdefault(group, [0, 0])
            counts[0] += 1
            counts[1] += len(data)
        for group, (count, size) in groups.items():
            self.scanned.append(f"{group}: {count} files, {size / 1e6:.1f} MB")

    def report(self) -> list[str]:
        lines = ["", "S1, secrets in plaintext",
                 f"  looked for {len(self.secrets)} secrets, raw, hex (any case) and base64: "
                 + ", ".join(self.secrets),
                 "  group keys are never written anywhere (sealed to each member on chain, opened in memory), "
                 "so they cannot be scanned for directly",
                 "  not scanned, by design: wrapped/ (the SECaaS's deployable copies) and sites/*/*/image.wrapped "
                 "(each agent's running image holds its own secret)",
                 "  node data directories are RocksDB files: compressed blocks would hide a secret from a byte scan, "
                 "so the RPC answers (the chain's content, decoded) are scanned as well"]
        lines += [f"  scanned {entry}" for entry in self.scanned]
        if self.found:
            lines.append(f"  FOUND {len(self.found)}:")
            lines += [f"    {entry}" for entry in self.found]
        else:
            lines.append("  no secret found")
        return lines


def parse_options(arguments=None) -> argparse.Namespace:
    """The demo's options (scripts/bench_attestation.py builds its runs' options here too)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", type=Path, default=ROOT / ".build" / "release", help="the built programs")
    parser.add_argument("--out", type=Path, default=ROOT / "demo-output", help="the output folder (deleted first)")
    parser.add_argument("--deadline-blocks", type=int, default=3,
                        help="each step's deadline in blocks (the registry's minimum is 3, f + 2 for 4 validators)")
    parser.add_argument("--round-interval", type=float, default=2.0, help="seconds at least between two rounds begun")
    parser.add_argument("--agents", type=int, default=DEFAULT_AGENTS,
                        help=f"agents in the service (at least {MIN_AGENTS}): 3 functions, replicas split evenly, 3 sites")
    parser.add_argument("--quiet", action="store_true", help="no live timeline nor command lines: a line per phase")
    parser.add_argument("--no-scan", action="store_true", help="skip the S1 secrets scan at the end")
    options = parser.parse_args(arguments)
    if options.deadline_blocks < 3:
        # The registry is deployed with --min-deadline-blocks 3; `d6g-secaas serve` would only log
        # a revert (DeadlineTooShort) at every round it tries to begin.
        parser.error("--deadline-blocks must be at least 3, the registry's minimum (f + 2 for 4 validators)")
    if options.agents < MIN_AGENTS:
        parser.error(f"--agents must be at least {MIN_AGENTS} (a second replica of the middle function to tamper "
                     "with, and an agent of another function at another site to silence)")
    return options


def missing_programs(binaries: Path) -> list[Path]:
    return [binaries / program for program in ("d6g-node", "d6g-mlfo", "d6g-secaas", "d6g-agent", "d6g-contract")
            if not (binaries / program).exists()]


def main() -> int:
    options = parse_options()
    sys.stdout.reconfigure(line_buffering=True)
    for path in missing_programs(options.bin):
        print(f"demo: no {path}; build first (make build)", file=sys.stderr)
        return 2
    return run_demo(options)


def run_demo(options: argparse.Namespace) -> int:
    """One whole run: 0 passed, 1 failed, 130 interrupted. Whatever happens, every process it
    started is stopped and the signal handlers are as they were before."""

    def interrupted(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGTERM, interrupted)
    demo = Demo(options)
    try:
        demo.run()
        return 0
    except DemoFailure as failure:
        print(f"\ndemo FAILED: {failure}", file=sys.stderr)
        if failure.logs:
            print(f"\n{failure.logs}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Interrupted) as error:
        print(f"\ndemo interrupted ({str(error) or 'Ctrl-C'}); stopping everything", file=sys.stderr)
        return 130
    except Exception:
        # Not a phase that timed out but the demo's own fault (or a node's answer it did not expect).
        traceback.print_exc()
        print(f"\ndemo FAILED with an error; the programs' logs:\n{demo.programs.tails(chars=1500)}", file=sys.stderr)
        return 1
    finally:
        # Ctrl-C again while stopping must not leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        demo.clean_up()
        for number, handler in previous.items():
            signal.signal(number, handler)


if __name__ == "__main__":
    sys.exit(main())
