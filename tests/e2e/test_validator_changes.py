"""Validator changes by vote (Docs/adr/0009) on real processes: four validators and a fifth node
started with a fresh validator key that is in no set yet. Three validators vote it in with
web3.py and the Permissions ABI file; from two heights after the vote passed it proposes and its
precommits are in the certificates. Then four of the five vote validator 0 out: its precommits
stop counting, the others close its sessions (its node key is no longer admitted), and the
remaining four go on and agree on every block."""
import json
import subprocess

from eth_account import Account

from conftest import DEV_KEYS, ROOT

PERMISSIONS = "0xd6e0000000000000000000000000000000000001"
CHAIN_ID = 1338


def vote(net, voter: int, function: str, *arguments) -> dict:
    w3 = net.web3(voter)
    account = Account.from_key(open(f"{net.root}/node{voter}/validator.key").read().strip())
    contract = w3.eth.contract(address=PERMISSIONS, abi=json.loads((ROOT / "Contracts" / "Permissions.abi.json").read_text()))
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    transaction = getattr(contract.functions, function)(*arguments).build_transaction({
        "from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending"), "chainId": CHAIN_ID,
        "gas": 1_500_000, "maxFeePerGas": 2 * base_fee, "maxPriorityFeePerGas": 0})
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(account.sign_transaction(transaction).raw_transaction), timeout=60)
    assert receipt["status"] == 1, f"{function} from node{voter} failed: {receipt}"
    return receipt


def signers(net, index: int, number: int) -> set:
    certificate = net.rpc(index, "d6g_certificate", [hex(number)])
    return {s["validator"] for s in certificate["signatures"]}


def test_a_validator_is_voted_in_and_another_voted_out(testnet_factory, binary, report):
    net = testnet_factory(validators=4, followers=1)
    newcomer = 4
    made = subprocess.run([binary, "keygen", "--out", f"{net.root}/node{newcomer}/validator.key"],
                          check=True, capture_output=True, text=True).stdout
    newcomer_address = next(line.split()[1] for line in made.splitlines() if line.startswith("address:"))
    config = open(net.toml_path(newcomer)).read()
    datadir_line = next(line for line in config.splitlines() if line.startswith("datadir"))
    with open(net.toml_path(newcomer), "w") as file:
        file.write(config.replace(datadir_line, datadir_line + f'\nvalidator-key = "{net.root}/node{newcomer}/validator.key"'))
    for index in range(net.count):
        net.start(index)
    net.wait_for(lambda: all(net.height(i) >= 2 for i in range(net.count)), timeout=60, what="all five at height 2")
    assert "not in the current validator set" in net.log_text(newcomer)
    assert len(net.rpc(0, "d6g_validators")) == 4

    # In: three of four vote.
    node_key = bytes.fromhex(net.node_key(newcomer)[2:])
    receipts = [vote(net, voter, "voteAddValidator", newcomer_address, node_key, 1) for voter in range(3)]
    passed = receipts[-1]["blockNumber"]
    report(f"validator {newcomer_address} voted in at block {passed}")
    for index in range(net.count):
        net.wait_for(lambda: len(net.rpc(index, "d6g_validators")) == 5, timeout=30, what=f"node{index} to see 5 validators")
    net.wait_for(lambda: min(net.height(i) for i in range(net.count)) >= passed + 12, timeout=90,
                 what=f"height {passed + 12}")
    proposers = {net.web3(0).eth.get_block(n)["miner"] for n in range(passed + 2, passed + 12)}
    assert newcomer_address in proposers, f"the newcomer never proposed between {passed + 2} and {passed + 11}"
    assert any(newcomer_address in signers(net, 0, n) for n in range(passed + 2, passed + 11))
    assert not any(newcomer_address in signers(net, 0, n) for n in range(1, passed + 2)), "it signed before its height"

    # Out: validator 0, by the four others. The newcomer's account needs gas for its vote.
    w3 = net.web3(1)
    funder = Account.from_key(DEV_KEYS[0])
    funding = funder.sign_transaction({
        "to": newcomer_address, "value": 10**18, "gas": 21_000, "chainId": CHAIN_ID, "maxPriorityFeePerGas": 0,
        "maxFeePerGas": 2 * w3.eth.get_block("latest")["baseFeePerGas"],
        "nonce": w3.eth.get_transaction_count(funder.address, "pending")})
    assert w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(funding.raw_transaction), timeout=60)["status"] == 1
    removed = Account.from_key(open(f"{net.root}/node0/validator.key").read().strip()).address
    receipts = [vote(net, voter, "voteRemoveValidator", removed) for voter in (1, 2, 3, newcomer)]
    gone = receipts[-1]["blockNumber"]
    report(f"validator {removed} voted out at block {gone}")
    rest = [1, 2, 3, newcomer]
    net.wait_for(lambda: min(net.height(i) for i in rest) >= gone + 10, timeout=90, what=f"height {gone + 10}")
    assert [m["address"] for m in net.rpc(1, "d6g_validators")].count(removed) == 0
    assert not any(removed in signers(net, 1, n) for n in range(gone + 2, gone + 9)), "a removed validator's precommit counted"
    net.wait_for(lambda: net.rpc(0, "d6g_peers") == [], timeout=30, what="the others to close node0's sessions")
    top = net.assert_agreement(nodes=rest)
    # Node 0 holds a prefix of the same chain.
    mine = net.height(0)
    for number in range(max(1, mine - 5), mine + 1):
        assert net.web3(0).eth.get_block(number)["hash"] == net.web3(1).eth.get_block(number)["hash"]
    report(f"the four agree up to {top}; node0 stopped at {mine} outside the set")
