"""A catalogue of bad input against a real node (issue 10): every method with wrong types, huge
numbers, missing and extra arguments; malformed JSON, huge bodies, deep nesting and oversized
batches; invalid RLP, oversized transactions and invalid signatures; filter abuse. Each gets a
JSON-RPC error (never -32603, an internal error, which would mean an unhandled case), the node
keeps serving, and its memory stays bounded."""
import json
import urllib.error
import urllib.request

import rlp
from eth_account import Account

from conftest import CHAIN_ID, DEV_KEYS

METHODS = {  # name: a valid argument list, from which the bad ones are made
    "web3_clientVersion": [], "web3_sha3": ["0x00"], "net_version": [], "net_listening": [], "net_peerCount": [],
    "eth_chainId": [], "eth_syncing": [], "eth_accounts": [], "eth_blockNumber": [], "eth_gasPrice": [],
    "eth_maxPriorityFeePerGas": [], "eth_feeHistory": ["0x2", "latest", [50]],
    "eth_getBalance": ["0x" + "11" * 20, "latest"], "eth_getTransactionCount": ["0x" + "11" * 20, "latest"],
    "eth_getCode": ["0x" + "11" * 20, "latest"], "eth_getStorageAt": ["0x" + "11" * 20, "0x0", "latest"],
    "eth_call": [{"to": "0x" + "11" * 20}, "latest"], "eth_estimateGas": [{"to": "0x" + "11" * 20}],
    "eth_sendRawTransaction": ["0x00"], "eth_getTransactionByHash": ["0x" + "00" * 32],
    "eth_getTransactionReceipt": ["0x" + "00" * 32], "eth_getBlockByNumber": ["latest", False],
    "eth_getBlockByHash": ["0x" + "00" * 32, False], "eth_getBlockTransactionCountByNumber": ["latest"],
    "eth_getBlockTransactionCountByHash": ["0x" + "00" * 32], "eth_getBlockReceipts": ["latest"],
    "eth_getTransactionByBlockHashAndIndex": ["0x" + "00" * 32, "0x0"],
    "eth_getTransactionByBlockNumberAndIndex": ["latest", "0x0"],
    "eth_getUncleCountByBlockHash": ["0x" + "00" * 32], "eth_getUncleCountByBlockNumber": ["latest"],
    "eth_getUncleByBlockHashAndIndex": ["0x" + "00" * 32, "0x0"], "eth_getUncleByBlockNumberAndIndex": ["latest", "0x0"],
    "eth_getProof": ["0x" + "11" * 20, ["0x0"], "latest"], "debug_traceTransaction": ["0x" + "00" * 32],
    "eth_getLogs": [{"fromBlock": "0x0", "toBlock": "latest"}], "eth_newFilter": [{}], "eth_newBlockFilter": [],
    "eth_getFilterChanges": ["0x1"], "eth_getFilterLogs": ["0x1"], "eth_uninstallFilter": ["0x1"],
    "eth_subscribe": ["newHeads"], "eth_unsubscribe": ["0x1"],
}

BAD_VALUES = [12345, -1, 1.5, True, None, {"a": 1}, [], [[[]]], "", "0x", "0xzz", "latest!", "0x" + "f" * 200,
              "0x" + "0" * 65, "1" * 400, "\u0000", "💥" * 10]


def post(node, body, content_type="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(node.url, data=data, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text else None


def rss_kib(node):
    for line in open(f"/proc/{node.process.pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def assert_answered(response, label):
    assert isinstance(response, dict) and ("result" in response or "error" in response), f"{label}: {response}"
    if "error" in response:
        assert response["error"]["code"] != -32603, f"{label}: internal error {response['error']}"


def test_every_method_refuses_bad_arguments_with_an_error(node):
    before = rss_kib(node)
    calls, answered = [], 0
    for method, good in METHODS.items():
        variants = [[*good, *([None] * 6)], "not an array", {"object": True}, [None] * len(good)]
        variants += [good[:index] for index in range(len(good))]                # missing arguments
        for position in range(len(good)):
            for bad in BAD_VALUES:
                variants.append(good[:position] + [bad] + good[position + 1:])
        for params in variants:
            calls.append((method, params))
    # In batches of 500, the batch limit being 1,000.
    for start in range(0, len(calls), 500):
        chunk = calls[start:start + 500]
        status, responses = post(node, [{"jsonrpc": "2.0", "id": i, "method": m, "params": p}
                                        for i, (m, p) in enumerate(chunk)])
        assert status == 200 and len(responses) == len(chunk)
        for response in responses:
            method, params = chunk[response["id"]]
            assert_answered(response, f"{method} {json.dumps(params)[:120]}")
            answered += 1
    assert answered == len(calls) > 1_000
    status, alive = post(node, {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []})
    assert status == 200 and "result" in alive
    assert rss_kib(node) - before < 200 * 1024, "memory grew by more than 200 MiB"


def test_framing_and_transport_abuse(node):
    cases = [
        (b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"', 200, -32700),       # truncated
        (b"\xff\xfe\x00garbage", 200, -32700),
        (b"[" * 100 + b"]" * 100, 200, -32700),                                    # nesting past 64
        (b"[]", 200, -32600),                                                      # empty batch
        (json.dumps([{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(1_001)]).encode(), 200, -32600),
        (b'{"jsonrpc":"1.0","id":1,"method":"eth_chainId"}', 200, -32600),
        (b'{"jsonrpc":"2.0","id":{"x":1},"method":"eth_chainId"}', 200, -32600),
        (b'{"jsonrpc":"2.0","id":1,"method":12}', 200, -32600),
        (b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[1e999999]}', 200, None),
    ]
    for body, status_wanted, code in cases:
        status, response = post(node, body)
        assert status == status_wanted, (body[:60], status)
        if code is not None:
            error = response["error"] if isinstance(response, dict) else response[0]["error"]
            assert error["code"] == code, (body[:60], error)
    huge = b'{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"data":"0x' + b"00" * (3 * 1024 * 1024) + b'"}]}'
    status, response = post(node, huge)
    assert status == 413 and response["error"]["code"] == -32600
    status, response = post(node, b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', content_type="text/plain")
    assert status == 415
    status, alive = post(node, {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    assert alive["result"] == hex(CHAIN_ID)


def test_bad_transactions_are_refused(node, w3):
    sender = Account.from_key(DEV_KEYS[2])
    fees = {"maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 0, "chainId": CHAIN_ID}
    nonce = w3.eth.get_transaction_count(sender.address, "pending")
    good = sender.sign_transaction({"to": sender.address, "value": 0, "gas": 21_000, "nonce": nonce, **fees})
    raw = bytes(good.raw_transaction)
    fields = rlp.decode(raw[1:])
    zero_r = bytes([2]) + rlp.encode(fields[:-2] + [b"", fields[-1]])
    high_s = bytes([2]) + rlp.encode(fields[:-1] + [(2**256 - 1).to_bytes(32, "big")])
    oversized = sender.sign_transaction({"to": sender.address, "value": 0, "gas": 3_000_000, "nonce": nonce,
                                         "data": b"\x01" * (200 * 1024), **fees})
    catalogue = {
        "not RLP": b"\x02\xff\xff",
        "empty": b"",
        "unknown type": b"\x05" + raw[1:],
        "trailing bytes": raw + b"\x00",
        "truncated": raw[:-5],
        "zero r": zero_r,
        "s above the order": high_s,
        "oversized": bytes(oversized.raw_transaction),
        "legacy list in a typed envelope": bytes([2]) + rlp.encode([b"\x01"] * 9),
    }
    for label, payload in catalogue.items():
        status, response = post(node, {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction",
                                       "params": ["0x" + payload.hex()]})
        assert status == 200 and response["error"]["code"] == -32000, (label, response)
    assert w3.eth.get_transaction_count(sender.address, "pending") == nonce, "nothing was admitted"


def test_filter_abuse_hits_its_limits(node):
    # A range past the head is cut to the blocks that exist (the range limit counts those).
    status, response = post(node, {"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs",
                                   "params": [{"fromBlock": "0x0", "toBlock": "0xffffffffffff"}]})
    assert isinstance(response["result"], list)
    # 10,000 installed filters at most (-32005 past them); uninstalled again for the other tests.
    ids = []
    try:
        while len(ids) < 10_001:
            count = min(1_000, 10_001 - len(ids))
            status, responses = post(node, [{"jsonrpc": "2.0", "id": i, "method": "eth_newBlockFilter", "params": []}
                                            for i in range(count)])
            refused = [r["error"] for r in responses if "error" in r]
            ids += [r["result"] for r in responses if "result" in r]
            if refused:
                assert refused[0]["code"] == -32005 and "too many filters" in refused[0]["message"]
                break
        assert len(ids) <= 10_000 and refused, f"{len(ids)} filters installed without a refusal"
    finally:
        for start in range(0, len(ids), 1_000):
            post(node, [{"jsonrpc": "2.0", "id": i, "method": "eth_uninstallFilter", "params": [filter_id]}
                        for i, filter_id in enumerate(ids[start:start + 1_000])])
    for bad in [{"fromBlock": "0x10", "toBlock": "0x1"}, {"address": "0x12"}, {"topics": [["0x12"]]},
                {"topics": [None, None, None, None, None]}, {"blockHash": "0x" + "00" * 32, "fromBlock": "0x0"}]:
        status, response = post(node, {"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs", "params": [bad]})
        assert response["error"]["code"] in (-32000, -32602), (bad, response)
    # Unknown and foreign filter ids.
    for method in ("eth_getFilterChanges", "eth_getFilterLogs"):
        status, response = post(node, {"jsonrpc": "2.0", "id": 1, "method": method, "params": ["0x" + "ab" * 16]})
        assert response["error"]["message"] == "filter not found"
    status, response = post(node, {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]})
    assert response["error"]["code"] == -32601                                  # no subscriptions over HTTP
