"""Four validators as four real `d6g-node run` processes over TCP on loopback (`d6g-node
testnet`): web3.py sends transfers to different nodes, every node commits them (transaction
gossip, proposals, votes, blocks over the P2P layer), one node is killed with SIGKILL while the
others go on, and after its restart it catches up; a follower (no validator key) keeps the same
chain; all five are stopped at once and started again, and the chain goes on; then every node
holds the same block hash and state root at every height, and every receipt is on every node."""
import signal

import pytest
from eth_account import Account

from conftest import DEV_KEYS, node_binary
from localnet import CHAIN_ID, LocalTestnet, transfer


@pytest.fixture
def testnet(tmp_path):
    net = LocalTestnet(str(tmp_path / "testnet"), node_binary())
    for index in range(net.count):
        net.start(index)
    yield net
    net.stop()


def test_validators_and_a_follower_agree_survive_kills_and_restarts(testnet):
    net = testnet
    net.wait_for(lambda: all(net.height(i) >= 2 for i in range(5)), what="all five at height 2")
    follower = net.web3(4).provider.make_request("d6g_consensusState", [])["result"]
    assert follower["validator"] is None
    assert net.web3(0).eth.chain_id == CHAIN_ID

    # The d6g namespace: identity, validator set, consensus position, peers, certificates.
    w3 = net.web3(1)
    info = w3.provider.make_request("d6g_nodeInfo", [])["result"]
    validators = w3.provider.make_request("d6g_validators", [])["result"]
    assert info["chainId"] == hex(CHAIN_ID) and info["validator"] in [v["address"] for v in validators]
    assert len(validators) == 4 and info["nodeKey"] in [v["nodeKey"] for v in validators]
    net.wait_for(lambda: len(net.web3(1).provider.make_request("d6g_peers", [])["result"]) == 4,
                 what="three validators and the follower as peers")
    assert w3.net.peer_count == 4
    state = w3.provider.make_request("d6g_consensusState", [])["result"]
    assert int(state["height"], 16) >= 2 and state["step"] in ("propose", "prevote", "precommit")
    certificate = w3.provider.make_request("d6g_certificate", ["0x1"])["result"]
    assert certificate["blockHash"] == w3.eth.get_block(1)["hash"].to_0x_hex() and len(certificate["signatures"]) >= 3
    assert w3.provider.make_request("d6g_certificate", ["0xffffff"])["result"] is None

    # Transfers sent to two different nodes reach the others' proposals through gossip.
    first, second = Account.from_key(DEV_KEYS[1]), Account.from_key(DEV_KEYS[2])
    hashes = [net.web3(1).eth.send_raw_transaction(transfer(net.web3(1), first, n)) for n in range(10)]
    hashes += [net.web3(3).eth.send_raw_transaction(transfer(net.web3(3), second, n)) for n in range(10)]
    for h in hashes:
        assert net.web3(0).eth.wait_for_transaction_receipt(h, timeout=30)["status"] == 1

    # SIGKILL one validator: three of four are more than 2/3 and go on.
    net.processes[2].send_signal(signal.SIGKILL)
    net.processes[2].wait()
    before = net.height(0)
    more = [net.web3(0).eth.send_raw_transaction(transfer(net.web3(0), first, n)) for n in range(10, 15)]
    for h in more:
        assert net.web3(1).eth.wait_for_transaction_receipt(h, timeout=30)["status"] == 1
    net.wait_for(lambda: net.height(0) >= before + 3, what="progress without node 2")

    # Restarted, it fetches the blocks it missed with their certificates and rejoins.
    net.start(2)
    net.wait_for(lambda: net.height(2) >= net.height(0) >= before + 4, timeout=40, what="node 2 to catch up")

    # All five nodes stopped at once and started again: the chain goes on from its head.
    stopped_at = max(net.height(i) for i in range(5))
    net.stop()
    for index in range(5):
        net.start(index)
    net.wait_for(lambda: all(net.height(i) >= stopped_at + 2 for i in range(5)), timeout=40,
                 what="all five past the height they stopped at")

    top = min(net.height(i) for i in range(5))
    for number in range(1, top + 1):
        blocks = [net.web3(i).eth.get_block(number) for i in range(5)]
        assert len({b["hash"] for b in blocks}) == 1, f"nodes disagree at height {number}"
        assert len({b["stateRoot"] for b in blocks}) == 1
    for h in hashes + more:
        assert all(net.web3(i).eth.get_transaction_receipt(h)["status"] == 1 for i in range(5))
    assert net.web3(2).eth.get_transaction_count(first.address) == 15
