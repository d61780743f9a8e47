"""Hostile input through a real node and web3.py (issue 8, Docs/fuzzing.md): the deploy payload
whose RETURNDATACOPY once overflowed and killed the node, sent through eth_call, eth_estimateGas
and as a signed creation transaction. Each gets an error or a failed receipt, and the node keeps
serving. (The time limit of eth_call is tested in Swift, with a limit short enough to hit: at the
measured gas prices, 50M gas of any operation runs in well under the default 5 s.)"""
import subprocess

from web3 import Web3

from conftest import CHAIN_ID, ROOT, node_binary

OVERFLOW = ROOT / "Tests" / "Fixtures" / "returndatacopy-overflow.asm"


def assemble(source):
    return subprocess.run([node_binary(), "assemble", str(source)], check=True, capture_output=True,
                          text=True).stdout.strip()


def test_overflowing_payload_through_every_entry_point(w3, accounts):
    payload = assemble(OVERFLOW)
    for method in ["eth_call", "eth_estimateGas"]:
        response = w3.provider.make_request(method, [{"data": payload}, "latest"])
        assert response["error"]["code"] == -32000, response
        assert "return data" in response["error"]["message"]
        assert w3.eth.block_number >= 0

    account = accounts[3]
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    nonce = w3.eth.get_transaction_count(account.address, "pending")
    signed = account.sign_transaction({"chainId": CHAIN_ID, "nonce": nonce, "gas": 1_000_000, "data": payload,
                                       "maxFeePerGas": 2 * base_fee, "maxPriorityFeePerGas": 0})
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction), timeout=30)
    assert receipt["status"] == 0 and receipt["gasUsed"] == 1_000_000
    # The chain goes on: the next transaction of the same sender is mined in a later block.
    signed = account.sign_transaction({"chainId": CHAIN_ID, "nonce": nonce + 1, "gas": 21_000, "value": 1,
                                       "to": Web3.to_checksum_address("0x000000000000000000000000000000000000d6d6"),
                                       "maxFeePerGas": 2 * base_fee, "maxPriorityFeePerGas": 0})
    after = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction), timeout=30)
    assert after["status"] == 1 and after["blockNumber"] > receipt["blockNumber"]
