"""Transfers through web3.py and eth-account against a real dev node: receipts, balances, nonces
and fees exact, blocks by number and hash."""
import pytest
from eth_account import Account
from web3 import Web3

from conftest import CHAIN_ID, VALIDATOR

RECIPIENT = Web3.to_checksum_address("0x000000000000000000000000000000000000d6d6")


def fee_fields(w3):
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    tip = w3.eth.max_priority_fee
    return {"maxFeePerGas": 2 * base_fee + tip, "maxPriorityFeePerGas": tip}


def send(w3, account, **fields):
    tx = {"chainId": CHAIN_ID, "nonce": w3.eth.get_transaction_count(account.address, "pending"), "gas": 21000,
          "to": RECIPIENT, "value": 1}
    tx.update(fields)
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    assert tx_hash == signed.hash
    return tx_hash


def test_node_identifies_itself(w3):
    assert w3.is_connected()
    assert w3.eth.chain_id == CHAIN_ID
    assert w3.net.version == str(CHAIN_ID)
    assert w3.client_version.startswith("d6g-ledger/")
    assert w3.eth.syncing is False
    assert w3.eth.accounts == []
    assert w3.net.peer_count == 0
    assert w3.net.listening is True


def test_eip1559_transfer_moves_value_and_fees_exactly(w3, accounts):
    sender = accounts[0]
    recipient = Account.create().address
    value = 10**18 + 7
    before = w3.eth.get_balance(sender.address)
    tx_hash = send(w3, sender, to=recipient, value=value, type=2, **fee_fields(w3))
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    assert receipt["status"] == 1 and receipt["gasUsed"] == 21000 and receipt["type"] == 2
    assert receipt["from"] == sender.address and receipt["to"] == recipient
    assert receipt["contractAddress"] is None and receipt["logs"] == []
    block = receipt["blockNumber"]
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert receipt["effectiveGasPrice"] == w3.eth.get_block(block)["baseFeePerGas"] + w3.eth.max_priority_fee
    assert w3.eth.get_balance(recipient, block) == value
    assert w3.eth.get_balance(sender.address, block) == before - value - fee
    # Every fee (base fee and tip) goes to the proposer: nothing is burned.
    miner = w3.eth.get_block(block)["miner"]
    assert miner == VALIDATOR
    block_fees = sum(w3.eth.get_transaction_receipt(h)["gasUsed"] * w3.eth.get_transaction_receipt(h)["effectiveGasPrice"]
                     for h in w3.eth.get_block(block)["transactions"])
    assert w3.eth.get_balance(miner, block) - w3.eth.get_balance(miner, block - 1) == block_fees
    assert w3.eth.get_transaction_count(sender.address, block) == w3.eth.get_transaction(tx_hash)["nonce"] + 1


def test_legacy_transfer_with_gas_price(w3, accounts):
    sender = accounts[1]
    before = w3.eth.get_balance(sender.address)
    price = w3.eth.gas_price
    tx_hash = send(w3, sender, value=5, gasPrice=price)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    assert receipt["status"] == 1 and receipt["type"] == 0 and receipt["effectiveGasPrice"] == price
    assert w3.eth.get_balance(sender.address, receipt["blockNumber"]) == before - 5 - 21000 * price
    tx = w3.eth.get_transaction(tx_hash)
    assert tx["gasPrice"] == price and tx["value"] == 5 and tx["blockHash"] == receipt["blockHash"]
    assert tx["v"] in (CHAIN_ID * 2 + 35, CHAIN_ID * 2 + 36)


def test_build_transaction_fills_fees_and_gas(w3, accounts):
    sender = accounts[4]
    tx = {"from": sender.address, "to": RECIPIENT, "value": 3, "chainId": CHAIN_ID,
          "nonce": w3.eth.get_transaction_count(sender.address, "pending")}
    tx["gas"] = w3.eth.estimate_gas(tx)
    assert tx["gas"] == 21000
    tx.update(fee_fields(w3))
    signed = sender.sign_transaction({k: v for k, v in tx.items() if k != "from"})
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction), timeout=30)
    assert receipt["status"] == 1
    assert w3.eth.call({"to": RECIPIENT, "data": "0x1234"}) == b""


def test_blocks_by_number_and_by_hash_agree(w3, accounts):
    tx_hash = send(w3, accounts[0], **fee_fields(w3))
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    by_number = w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    by_hash = w3.eth.get_block(receipt["blockHash"], full_transactions=True)
    assert by_number == by_hash
    assert by_number["hash"] == receipt["blockHash"] and by_number["number"] == receipt["blockNumber"]
    assert tx_hash in [tx["hash"] for tx in by_number["transactions"]]
    hashes_only = w3.eth.get_block(receipt["blockNumber"])
    assert tx_hash in hashes_only["transactions"]
    assert hashes_only["sha3Uncles"] == Web3.to_bytes(hexstr="0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347")
    assert hashes_only["difficulty"] == 0 and hashes_only["uncles"] == []
    assert hashes_only["gasUsed"] == sum(w3.eth.get_transaction_receipt(h)["gasUsed"] for h in hashes_only["transactions"])
    parent = w3.eth.get_block(receipt["blockNumber"] - 1)
    assert hashes_only["parentHash"] == parent["hash"] and hashes_only["timestamp"] >= parent["timestamp"]
    assert w3.eth.get_block_transaction_count(receipt["blockNumber"]) == len(hashes_only["transactions"])
    assert w3.eth.get_block("earliest")["number"] == 0
    latest = w3.eth.get_block("latest")["number"]
    assert w3.eth.get_block("finalized")["number"] >= latest and w3.eth.get_block("safe")["number"] >= latest


def test_unknown_block_is_null(w3):
    response = w3.provider.make_request("eth_getBlockByNumber", [hex(10**9), False])
    assert response["result"] is None


def test_fee_history_and_gas_price(w3):
    history = w3.eth.fee_history(4, "latest", [10, 90])
    assert len(history["baseFeePerGas"]) == len(history["gasUsedRatio"]) + 1
    assert all(len(rewards) == 2 for rewards in history["reward"])
    assert w3.eth.gas_price >= w3.eth.get_block("latest")["baseFeePerGas"]


def test_block_filter_reports_new_blocks(w3, accounts):
    block_filter = w3.eth.filter("latest")
    tx_hash = send(w3, accounts[1], **fee_fields(w3))
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    assert receipt["blockHash"] in block_filter.get_new_entries()
    # Plain transfers emit no logs.
    assert w3.eth.get_logs({"fromBlock": receipt["blockNumber"], "toBlock": receipt["blockNumber"]}) == []
