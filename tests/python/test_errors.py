"""The errors web3.py users meet, with the codes and geth's messages."""
import pytest
import rlp
from eth_account import Account
from web3 import Web3
from web3.exceptions import Web3RPCError

from conftest import CHAIN_ID

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
RECIPIENT = Web3.to_checksum_address("0x000000000000000000000000000000000000d6d6")


def legacy(w3, account, nonce, price=None, chain_id=CHAIN_ID, value=1):
    return account.sign_transaction({"chainId": chain_id, "nonce": nonce, "gas": 21000, "to": RECIPIENT,
                                     "value": value, "gasPrice": price or w3.eth.gas_price})


def rpc_error(w3, method, params):
    response = w3.provider.make_request(method, params)
    assert "error" in response, response
    return response["error"]


def test_unknown_method(w3):
    error = rpc_error(w3, "eth_doesNotExist", [])
    assert error["code"] == -32601 and "does not exist" in error["message"]


def test_bad_params(w3):
    assert rpc_error(w3, "eth_getBalance", ["0xnothex", "latest"])["code"] == -32602
    assert rpc_error(w3, "eth_getBalance", [])["code"] == -32602
    assert rpc_error(w3, "eth_blockNumber", [1])["code"] == -32602
    assert rpc_error(w3, "eth_sendRawTransaction", ["0x1234"])["code"] == -32000


def test_nonce_too_low(w3, accounts):
    sender = accounts[2]
    nonce = w3.eth.get_transaction_count(sender.address, "pending")
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(legacy(w3, sender, nonce).raw_transaction), timeout=30)
    with pytest.raises(Web3RPCError) as failure:
        w3.eth.send_raw_transaction(legacy(w3, sender, nonce, value=2).raw_transaction)
    assert failure.value.rpc_response["error"]["code"] == -32000
    assert "nonce too low" in failure.value.rpc_response["error"]["message"]


def test_already_known(w3, accounts):
    sender = accounts[2]
    nonce = w3.eth.get_transaction_count(sender.address, "pending")
    signed = legacy(w3, sender, nonce + 5)  # queued behind a gap: it stays in the pool
    w3.eth.send_raw_transaction(signed.raw_transaction)
    with pytest.raises(Web3RPCError, match="already known"):
        w3.eth.send_raw_transaction(signed.raw_transaction)


def test_wrong_chain_id(w3, accounts):
    sender = accounts[2]
    signed = legacy(w3, sender, w3.eth.get_transaction_count(sender.address, "pending"), chain_id=1)
    with pytest.raises(Web3RPCError) as failure:
        w3.eth.send_raw_transaction(signed.raw_transaction)
    assert failure.value.rpc_response["error"]["code"] == -32000
    assert "chain id" in failure.value.rpc_response["error"]["message"]


def test_high_s_signature(w3, accounts):
    sender = accounts[2]
    signed = legacy(w3, sender, w3.eth.get_transaction_count(sender.address, "pending"))
    fields = rlp.decode(bytes(signed.raw_transaction))
    v = int.from_bytes(fields[6], "big")
    s = int.from_bytes(fields[8], "big")
    # The malleable twin: s' = n - s with the other recovery id recovers the same key (EIP-2 forbids it).
    base = CHAIN_ID * 2 + 35
    flipped = base + 1 if v == base else base
    fields[6] = flipped.to_bytes((flipped.bit_length() + 7) // 8, "big")
    high = SECP256K1_N - s
    fields[8] = high.to_bytes(32, "big").lstrip(b"\0")
    with pytest.raises(Web3RPCError) as failure:
        w3.eth.send_raw_transaction(rlp.encode(fields))
    assert failure.value.rpc_response["error"]["code"] == -32000
    assert "invalid transaction v, r, s values" in failure.value.rpc_response["error"]["message"]


def test_underpriced_replacement(w3, accounts):
    sender = accounts[3]
    nonce = w3.eth.get_transaction_count(sender.address, "pending")
    price = w3.eth.gas_price
    # Behind a nonce gap the first one waits in the pool, so the replacement meets it there.
    w3.eth.send_raw_transaction(legacy(w3, sender, nonce + 1, price=price).raw_transaction)
    with pytest.raises(Web3RPCError, match="replacement transaction underpriced"):
        w3.eth.send_raw_transaction(legacy(w3, sender, nonce + 1, price=price, value=9).raw_transaction)
    # A 10 % bump replaces it.
    bumped = w3.eth.send_raw_transaction(legacy(w3, sender, nonce + 1, price=price * 11 // 10, value=9).raw_transaction)
    w3.eth.send_raw_transaction(legacy(w3, sender, nonce).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(bumped, timeout=30)
    assert receipt["status"] == 1 and w3.eth.get_transaction(bumped)["value"] == 9


def test_pending_transaction_count_counts_the_pool(w3, accounts):
    sender = accounts[3]
    nonce = w3.eth.get_transaction_count(sender.address, "pending")
    assert nonce == w3.eth.get_transaction_count(sender.address, "latest")
    queued = w3.eth.send_raw_transaction(legacy(w3, sender, nonce + 1).raw_transaction)
    # Behind a gap: queued, not pending, and visible by hash without a block.
    assert w3.eth.get_transaction_count(sender.address, "pending") == nonce
    pooled = w3.eth.get_transaction(queued)
    assert pooled["blockNumber"] is None and pooled["blockHash"] is None and pooled["nonce"] == nonce + 1
    w3.eth.send_raw_transaction(legacy(w3, sender, nonce).raw_transaction)
    # Pending now covers both, whether or not a block took them already.
    assert w3.eth.get_transaction_count(sender.address, "pending") == nonce + 2
    w3.eth.wait_for_transaction_receipt(queued, timeout=30)
    assert w3.eth.get_transaction_count(sender.address, "latest") == nonce + 2


def test_insufficient_funds(w3):
    poor = Account.create()
    signed = poor.sign_transaction({"chainId": CHAIN_ID, "nonce": 0, "gas": 21000, "to": RECIPIENT, "value": 1,
                                    "gasPrice": w3.eth.gas_price})
    with pytest.raises(Web3RPCError, match="insufficient funds for gas \\* price \\+ value"):
        w3.eth.send_raw_transaction(signed.raw_transaction)


def test_missing_receipt_is_none(w3):
    response = w3.provider.make_request("eth_getTransactionReceipt", ["0x" + "11" * 32])
    assert response["result"] is None


def test_a_second_node_on_the_same_data_directory_refuses(node):
    import subprocess
    from conftest import node_binary
    second = subprocess.run([node_binary(), "dev", "--datadir", node.datadir, "--rpc-port", "0"],
                            capture_output=True, text=True, timeout=30)
    assert second.returncode != 0
    assert "in use by another d6g-node process" in second.stderr
