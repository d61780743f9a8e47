"""A contract written in the Swift DSL (Contracts/Token.swift), end to end on a real dev node:
compiled with `d6g-contract compile`, deployed with `d6g-contract deploy`, then used from web3.py
with nothing but the emitted ABI — calls, a signed transfer, its event decoded from the receipt,
custom errors and the role guard's Unauthorized — and through `d6g-contract call` and `send`."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from eth_abi import decode
from web3.exceptions import ContractCustomError

from conftest import CHAIN_ID, DEV_KEYS, ROOT, node_binary


def contract_binary() -> str:
    return os.environ.get("D6G_CONTRACT_BIN") or str(Path(node_binary()).parent / "d6g-contract")


def run(*arguments, check=True):
    result = subprocess.run([contract_binary(), *arguments], capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, f"d6g-contract {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def selector(signature):
    from web3 import Web3
    return Web3.keccak(text=signature)[:4]


def fees(w3):
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    tip = w3.eth.max_priority_fee
    return {"maxFeePerGas": 2 * base_fee + tip, "maxPriorityFeePerGas": tip}


def compile_and_deploy(node, w3, folder, name, key_file, *arguments):
    """`d6g-contract compile` then `deploy` with the key in `key_file`: the web3.py contract, the
    artifact and the deploy command's output."""
    run("compile", name, "--out", str(folder))
    artifact = json.loads((folder / f"{name}.json").read_text())
    deployed = run("deploy", str(folder / f"{name}.json"), "--rpc", node.url, "--key", str(key_file), *arguments)
    address = re.search(r"address\s+(0x[0-9a-fA-F]{40})", deployed.stdout).group(1)
    return w3.eth.contract(address=w3.to_checksum_address(address), abi=artifact["abi"]), artifact, deployed.stdout


@pytest.fixture(scope="module")
def token(node, w3, accounts, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dsl")
    key_file = folder / "admin.key"
    key_file.write_text(DEV_KEYS[3] + "\n")
    contract, artifact, output = compile_and_deploy(node, w3, folder, "Token", key_file, "1_000_000")
    assert int(re.search(r"gas used\s+(\d+)", output).group(1)) > 21_000
    return contract, artifact, key_file, accounts[3]


def test_the_artifact_abi_is_standard(token, w3):
    contract, artifact, _, admin = token
    assert contract.functions.balanceOf(admin.address).call() == 1_000_000
    assert artifact["methodIdentifiers"]["transfer(address,uint256)"] == "a9059cbb"
    code = w3.eth.get_code(contract.address)
    assert "0x" + code.hex().removeprefix("0x") == artifact["deployedBytecode"]


def test_a_signed_transfer_emits_a_decodable_event(token, w3, accounts):
    contract, _, _, admin = token
    receiver = accounts[1].address
    before = contract.functions.balanceOf(receiver).call()
    tx = contract.functions.transfer(receiver, 2_500).build_transaction(
        {"from": admin.address, "chainId": CHAIN_ID, "nonce": w3.eth.get_transaction_count(admin.address, "pending"), **fees(w3)})
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(admin.sign_transaction(tx).raw_transaction), timeout=30)
    assert receipt["status"] == 1
    events = contract.events.Transfer().process_receipt(receipt)
    assert len(events) == 1
    assert events[0]["args"] == {"from": admin.address, "to": receiver, "value": 2_500}
    assert contract.functions.balanceOf(receiver).call() == before + 2_500


def test_custom_errors_reach_web3(token, accounts):
    contract, _, _, _ = token
    poor = accounts[2].address
    with pytest.raises(ContractCustomError) as raised:
        contract.functions.transfer(accounts[1].address, 5).call({"from": poor})
    data = bytes.fromhex(str(raised.value.data).removeprefix("0x"))
    assert data[:4] == selector("InsufficientBalance(uint256,uint256)")
    assert decode(["uint256", "uint256"], data[4:]) == (0, 5)
    with pytest.raises(ContractCustomError) as raised:
        contract.functions.mint(poor, 1).call({"from": poor})
    data = bytes.fromhex(str(raised.value.data).removeprefix("0x"))
    assert data[:4] == selector("Unauthorized(address)")
    assert decode(["address"], data[4:])[0].lower() == poor.lower()


def test_the_command_line_calls_and_sends(token, node, accounts):
    contract, _, key_file, admin = token
    receiver = accounts[0].address
    before = int(run("call", "Token", "--at", contract.address, "balanceOf", receiver, "--rpc", node.url).stdout.strip())
    sent = run("send", "Token", "--at", contract.address, "--rpc", node.url, "--key", str(key_file), "transfer", receiver, "0x10")
    assert "transfer succeeded" in sent.stdout
    assert f"Transfer(from: {admin.address}".lower() in sent.stdout.lower()
    after = int(run("call", "Token", "--at", contract.address, "balanceOf", receiver, "--rpc", node.url).stdout.strip())
    assert after == before + 16
    # A revert is decoded from the ABI, and bad arguments are explained before anything is sent.
    refused = run("send", "Token", "--at", contract.address, "--rpc", node.url, "--key", str(key_file),
                  "transfer", receiver, str(10**30), check=False)
    assert refused.returncode != 0 and "InsufficientBalance" in refused.stderr
    wrong = run("call", "Token", "--at", contract.address, "balanceOf", "0x1234", "--rpc", node.url, check=False)
    assert wrong.returncode != 0 and "argument owner" in wrong.stderr and "40 hex digits" in wrong.stderr
