"""Byte strings end to end (Contracts/KeyDirectory.swift): `bytes` and `string` arguments sent by
web3.py, a signature made by eth-account and checked by the contract with ecrecover, results
and events with byte strings decoded by web3.py from the emitted ABI, a custom error with a
string, and `d6g-contract call`/`send` with byte-string arguments."""
import pytest
from eth_abi import decode, encode
from eth_account import Account
from web3 import Web3
from web3.exceptions import ContractCustomError

from conftest import CHAIN_ID, DEV_KEYS
from test_dsl_contracts import compile_and_deploy, fees, run, selector


@pytest.fixture(scope="module")
def directory(node, w3, tmp_path_factory):
    folder = tmp_path_factory.mktemp("directory")
    key_file = folder / "admin.key"
    key_file.write_text(DEV_KEYS[2] + "\n")
    contract, _, _ = compile_and_deploy(node, w3, folder, "KeyDirectory", key_file, "100")
    return contract, key_file


def proof(contract, account, key):
    # Word by word (abi.encode), as the contract's keccak256 of word values hashes them.
    digest = Web3.keccak(encode(["bytes32", "uint256", "address", "address", "bytes32"],
                                [Web3.keccak(text="d6g-key-v1"), CHAIN_ID, contract.address, account.address, Web3.keccak(key)]))
    return Account.unsafe_sign_hash(digest, account.key).signature


def send(w3, account, call):
    tx = call.build_transaction({"from": account.address, "chainId": CHAIN_ID,
                                 "nonce": w3.eth.get_transaction_count(account.address, "pending"), **fees(w3)})
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction), timeout=30)
    assert receipt["status"] == 1
    return receipt


@pytest.mark.parametrize("length", [0, 1, 31, 32, 33, 64])
def test_keys_of_every_edge_length_round_trip(directory, w3, accounts, length):
    contract, _ = directory
    account = accounts[0]
    key = bytes((7 * index + length) % 256 for index in range(length))
    label = f"agent-{length} — site B"
    receipt = send(w3, account, contract.functions.publish(key, label, proof(contract, account, key)))
    events = contract.events.KeyPublished().process_receipt(receipt)
    assert [dict(event["args"]) for event in events] == [{"owner": account.address, "key": key, "label": label}]
    assert contract.functions.keyOf(account.address).call() == key
    assert contract.functions.labelOf(account.address).call() == label


def test_a_proof_for_another_key_or_a_long_key_is_refused(directory, accounts):
    contract, _ = directory
    account = accounts[1]
    with pytest.raises(ContractCustomError) as raised:
        contract.functions.publish(b"\x02" * 33, "x", proof(contract, account, b"\x03" * 33)).call({"from": account.address})
    data = bytes.fromhex(str(raised.value.data).removeprefix("0x"))
    assert data[:4] == selector("BadProof(address)")
    with pytest.raises(ContractCustomError) as raised:
        contract.functions.publish(b"\x02" * 101, "x", proof(contract, account, b"\x02" * 101)).call({"from": account.address})
    data = bytes.fromhex(str(raised.value.data).removeprefix("0x"))
    assert data[:4] == selector("KeyTooLong(uint256,uint256)")
    assert decode(["uint256", "uint256"], data[4:]) == (101, 100)


def test_revocation_is_final_and_explained(directory, w3, accounts):
    contract, _ = directory
    admin, owner = Account.from_key(DEV_KEYS[2]), accounts[3]
    key = b"\x04" * 65
    send(w3, owner, contract.functions.publish(key, "soon revoked", proof(contract, owner, key)))
    receipt = send(w3, admin, contract.functions.revoke(owner.address, "image tampered"))
    assert contract.events.KeyRevoked().process_receipt(receipt)[0]["args"]["reason"] == "image tampered"
    assert contract.functions.keyOf(owner.address).call() == b""
    with pytest.raises(ContractCustomError) as raised:
        contract.functions.publish(key, "again", proof(contract, owner, key)).call({"from": owner.address})
    data = bytes.fromhex(str(raised.value.data).removeprefix("0x"))
    assert data[:4] == selector("Revoked(address,string)")
    assert decode(["address", "string"], data[4:])[1] == "revoked keys stay revoked"


def test_the_command_line_takes_and_prints_byte_strings(directory, node, accounts):
    contract, key_file = directory
    admin = Account.from_key(DEV_KEYS[2])
    key = bytes(range(40))
    signature = proof(contract, admin, key)
    sent = run("send", "KeyDirectory", "--at", contract.address, "--rpc", node.url, "--key", str(key_file),
               "publish", "0x" + key.hex(), "admin's key", "0x" + signature.hex())
    assert "publish succeeded" in sent.stdout
    assert "KeyPublished(" in sent.stdout and "0x" + key.hex() in sent.stdout
    called = run("call", "KeyDirectory", "--at", contract.address, "keyOf", admin.address, "--rpc", node.url)
    assert called.stdout.strip() == "0x" + key.hex()
    label = run("call", "KeyDirectory", "--at", contract.address, "labelOf", admin.address, "--rpc", node.url)
    assert label.stdout.strip() == "admin's key"
    wrong = run("call", "KeyDirectory", "--at", contract.address, "keyOf", "0x1234", "--rpc", node.url, check=False)
    assert wrong.returncode != 0
    odd = run("send", "KeyDirectory", "--at", contract.address, "--rpc", node.url, "--key", str(key_file),
              "publish", "0x123", "label", "0x00", check=False)
    assert odd.returncode != 0 and "even number of hex digits" in odd.stderr
