"""R2: one of four validators is Byzantine. Validator 3's keys run `d6g-adversary equivocate`
instead of a node: on every height and round it hears, it signs conflicting prevotes and
precommits, two proposals for blocks nobody has when it is the proposer, precommits for rounds
far ahead, prevotes for heights far ahead, and precommits forged in the other validators' names;
then it sends a frame of no known kind. The other three keep producing blocks under a load of
transfers, never disagree, record evidence naming validator 3, ban its key for the bad frame,
and a node key on nobody's allowlist never gets a session."""
import json
import subprocess
from pathlib import Path

from eth_account import Account

from conftest import node_binary

BYZANTINE = 3


def adversary_binary() -> str:
    path = Path(node_binary()).parent / "d6g-adversary"
    assert path.exists(), f"{path} is missing: build it (swift build -c release --product d6g-adversary)"
    return str(path)


def events(output: str) -> dict:
    return {entry["event"]: entry for entry in map(json.loads, output.strip().splitlines())}


def test_a_byzantine_validator_cannot_stop_or_split_the_other_three(testnet_factory, load_factory, report):
    net = testnet_factory(validators=4, followers=1)
    honest = [0, 1, 2]
    for index in honest + [4]:
        net.start(index)
    net.wait_for(lambda: all(net.height(i) >= 2 for i in honest), timeout=60, what="the honest three at height 2")
    load = load_factory(net, targets=honest)
    start_height = min(net.height(i) for i in honest)

    adversary = subprocess.run(
        [adversary_binary(), "equivocate", "--genesis", f"{net.root}/genesis.json",
         "--validator-key", f"{net.root}/node{BYZANTINE}/validator.key",
         "--node-key", f"{net.root}/node{BYZANTINE}/node.key", "--p2p-port", str(net.p2p_port(BYZANTINE)),
         *[arg for i in honest for arg in ("--peer", f"127.0.0.1:{net.p2p_port(i)}")],
         "--seconds", "25", "--garbage"],
        capture_output=True, text=True, timeout=90)
    assert adversary.returncode == 0, adversary.stderr
    said = events(adversary.stdout)
    attacked = said["equivocated"]
    report(f"the adversary attacked {attacked['roundsAttacked']} rounds: {attacked['proposals']} proposals, "
           f"{attacked['votes']} votes ({attacked['forged']} forged, {attacked['future']} for the future)")
    assert attacked["roundsAttacked"] >= 5 and attacked["votes"] > 0, attacked
    assert attacked["proposals"] > 0, "the adversary was never the proposer: the scenario did not test double proposals"

    # The three went on while it attacked.
    reached = min(net.height(i) for i in honest)
    assert reached >= start_height + 8, f"only {reached - start_height} heights in 25 s under attack"

    # Evidence on every honest node, naming the Byzantine validator and nobody else.
    address = Account.from_key(open(f"{net.root}/node{BYZANTINE}/validator.key").read().strip()).address
    assert address in [m["address"] for m in net.rpc(0, "d6g_validators")]
    for index in honest:
        evidence = net.rpc(index, "d6g_evidence")
        assert evidence, f"node{index} holds no evidence"
        assert {e["validator"] for e in evidence} == {address}, f"node{index} blames {evidence}"
        assert {e["kind"] for e in evidence} >= {"conflictingPrevotes", "conflictingPrecommits"}

    # The frame of no known kind: every honest peer banned the key and closed the session.
    garbage = said["garbage"]
    assert garbage["peersBefore"] >= 1 and garbage["peersAfter"] == 0, garbage
    for index in honest:
        assert "banned for 300 s: unknown frame kind 0" in net.log_text(index), f"node{index} did not ban it"

    # A node key on nobody's allowlist: the handshake is refused, the node logs it and goes on.
    unlisted = subprocess.run([adversary_binary(), "unlisted", "--chain-id", "1338",
                               "--peer", f"127.0.0.1:{net.p2p_port(0)}", "--seconds", "3"],
                              capture_output=True, text=True, timeout=30)
    assert unlisted.returncode == 0, unlisted.stderr
    refused = events(unlisted.stdout)["unlisted"]
    assert refused["open"] == 0 and refused["frames"] == 0, refused
    assert f"node key {refused['nodeKey']} is not allowed to connect" in net.log_text(0)
    assert refused["nodeKey"] not in net.peer_keys(0)

    mark = min(net.height(i) for i in honest)
    net.wait_for(lambda: min(net.height(i) for i in honest) >= mark + 3, timeout=30, what="progress after the attack")
    load.stop()
    assert not load.failed, f"transfers with status ≠ 1: {load.failed}"
    top = net.assert_agreement(nodes=honest + [4], receipted=load.receipted_hashes())
    report(f"{load.summary()}; all four nodes agree up to {top}")
