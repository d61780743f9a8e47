"""A contract written in d6g assembly (Contracts/SimpleStore.asm) on a real dev node, driven by
web3.py with its ABI: deployed with a raw transaction signed by eth-account, called, its event
decoded from the receipt and from eth_getLogs, its revert reason raised as ContractLogicError."""
import json
import subprocess

import pytest
from web3.exceptions import ContractLogicError

from conftest import CHAIN_ID, ROOT, node_binary

CONTRACTS = ROOT / "Contracts"


def assembled(name):
    out = subprocess.run([node_binary(), "assemble", str(CONTRACTS / f"{name}.asm")],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def fee_fields(w3):
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    tip = w3.eth.max_priority_fee
    return {"maxFeePerGas": 2 * base_fee + tip, "maxPriorityFeePerGas": tip}


def sign_and_send(w3, account, tx):
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)


def transaction_fields(w3, account):
    return {"from": account.address, "chainId": CHAIN_ID,
            "nonce": w3.eth.get_transaction_count(account.address, "pending"), **fee_fields(w3)}


@pytest.fixture(scope="module")
def store(w3, accounts):
    abi = json.loads((CONTRACTS / "SimpleStore.abi.json").read_text())
    factory = w3.eth.contract(abi=abi, bytecode=assembled("SimpleStore"))
    deploy = factory.constructor().build_transaction(transaction_fields(w3, accounts[4]))
    receipt = sign_and_send(w3, accounts[4], deploy)
    assert receipt["status"] == 1, receipt
    assert receipt["contractAddress"] is not None and receipt["to"] is None
    return w3.eth.contract(address=receipt["contractAddress"], abi=abi), receipt


def test_deployed_code_is_the_runtime_container(w3, store):
    contract, _ = store
    code = w3.eth.get_code(contract.address)
    assert code[:3] == bytes([0xD6, 0x47, 0x01])
    # The stored container has no init section: its init function count is zero.
    assert code[4:6] == b"\x00\x00"
    assert bytes.fromhex(assembled("SimpleStore")[2:]) != code


def test_set_then_get_with_event(w3, accounts, store):
    contract, deployed = store
    sender = accounts[4]
    assert contract.functions.get().call() == 0
    estimate = contract.functions.set(42).estimate_gas({"from": sender.address})
    assert 21000 < estimate < 100_000
    tx = contract.functions.set(42).build_transaction(transaction_fields(w3, sender))
    receipt = sign_and_send(w3, sender, tx)
    assert receipt["status"] == 1
    assert receipt["gasUsed"] <= tx["gas"]
    assert contract.functions.get().call() == 42
    assert contract.functions.get().call(block_identifier=deployed["blockNumber"]) == 0
    assert int.from_bytes(w3.eth.get_storage_at(contract.address, 0), "big") == 42

    events = contract.events.ValueSet().process_receipt(receipt)
    assert len(events) == 1
    assert events[0]["args"]["who"] == sender.address and events[0]["args"]["value"] == 42
    assert events[0]["address"] == contract.address

    logs = contract.events.ValueSet().get_logs(from_block=receipt["blockNumber"], to_block=receipt["blockNumber"])
    assert [(log["args"]["who"], log["args"]["value"]) for log in logs] == [(sender.address, 42)]
    assert logs[0]["transactionHash"] == receipt["transactionHash"]


def test_the_trace_of_a_call_shows_its_instructions(w3, accounts, store):
    contract, _ = store
    sender = accounts[4]
    receipt = sign_and_send(w3, sender, contract.functions.set(7).build_transaction(transaction_fields(w3, sender)))
    answer = w3.provider.make_request("debug_traceTransaction", [receipt["transactionHash"].to_0x_hex()])
    trace = answer["result"]
    assert int(trace["gas"], 16) == receipt["gasUsed"] and trace["failed"] is False
    ops = [step["op"] for step in trace["structLogs"]]
    assert "SSTORE" in ops and "LOG2" in ops and ops[-1] in ("STOP", "RETURN")
    assert all(step["depth"] == 1 for step in trace["structLogs"])
    gas = [step["gas"] for step in trace["structLogs"]]
    assert gas == sorted(gas, reverse=True)
    refused = w3.provider.make_request("debug_traceTransaction", ["0x" + "00" * 32])
    assert refused["error"]["code"] == -32000


def test_revert_reason_is_contract_logic_error(w3, accounts, store):
    contract, _ = store
    with pytest.raises(ContractLogicError, match="nope") as raised:
        contract.functions.fail().call()
    assert raised.value.data is not None and raised.value.data.startswith("0x08c379a0")
    with pytest.raises(ContractLogicError, match="nope"):
        contract.functions.fail().estimate_gas({"from": accounts[4].address})


def test_unknown_selector_reverts_without_reason(w3, store):
    contract, _ = store
    with pytest.raises(ContractLogicError):
        w3.eth.call({"to": contract.address, "data": "0xdeadbeef"})


def test_websocket_subscriptions_see_the_block_and_the_event(node, w3, accounts, store):
    import asyncio
    from web3 import AsyncWeb3, WebSocketProvider

    contract, _ = store
    sender = accounts[4]

    async def run():
        async with AsyncWeb3(WebSocketProvider(node.url.replace("http://", "ws://"))) as ws:
            heads = await ws.eth.subscribe("newHeads")
            logs = await ws.eth.subscribe("logs", {"address": contract.address})
            tx = contract.functions.set(7).build_transaction(transaction_fields(w3, sender))
            receipt = await asyncio.to_thread(sign_and_send, w3, sender, tx)
            seen_heads, seen_logs = [], []
            async for message in ws.socket.process_subscriptions():
                if message["subscription"] == heads:
                    seen_heads.append(message["result"])
                elif message["subscription"] == logs:
                    seen_logs.append(message["result"])
                if seen_logs and any(h["number"] >= receipt["blockNumber"] for h in seen_heads):
                    break
            return receipt, seen_heads, seen_logs

    receipt, seen_heads, seen_logs = asyncio.run(asyncio.wait_for(run(), timeout=30))
    assert any(h["hash"] == receipt["blockHash"] for h in seen_heads)
    assert len(seen_logs) == 1 and seen_logs[0]["transactionHash"] == receipt["transactionHash"]
    event = contract.events.ValueSet().process_log(seen_logs[0])
    assert event["args"]["value"] == 7 and event["args"]["who"] == sender.address
