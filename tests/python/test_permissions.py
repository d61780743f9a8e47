"""Permissioning through the Permissions system contract, with web3.py and the ABI file in
Contracts/: the admin restricts sending and deploying, a refused sender gets -32000 at admission
with a clear message, role checks refuse everyone else, and the admin changes in two steps.
Runs on a node of its own, since it restricts who may send."""
import json
import os
import tempfile

import pytest
from eth_abi import decode
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError

from conftest import ROOT, DevNode, signed_transfer
from test_dsl_contracts import fees, selector

ADDRESS = "0xd6e0000000000000000000000000000000000001"


@pytest.fixture(scope="module")
def chain():
    with tempfile.TemporaryDirectory(prefix="d6g-permissions-") as base:
        node = DevNode(os.path.join(base, "dev")).start()
        try:
            w3 = node.web3()
            abi = json.loads((ROOT / "Contracts" / "Permissions.abi.json").read_text())
            yield w3, w3.eth.contract(address=ADDRESS, abi=abi)
        finally:
            assert node.stop() == 0, node.log()


def send(w3, account, call, **extra):
    transaction = call.build_transaction({"from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending"),
                                          "gas": 300_000, **fees(w3), **extra})
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(account.sign_transaction(transaction).raw_transaction))
    assert receipt.status == 1
    return receipt


def transfer(w3, account, to, value=1):
    return w3.eth.send_raw_transaction(signed_transfer(w3, account, to, value))


def unauthorized(call, sender):
    with pytest.raises(ContractCustomError) as raised:
        call.call({"from": sender})
    data = bytes.fromhex(str(raised.value.data).removeprefix("0x"))
    assert data[:4] == selector("Unauthorized(address)")
    assert decode(["address"], data[4:])[0].lower() == sender.lower()


def test_the_genesis_state(chain, accounts):
    w3, permissions = chain
    assert w3.eth.get_code(ADDRESS) != b""
    assert permissions.functions.maySend(accounts[2].address).call() is True
    assert permissions.functions.mayDeploy(accounts[2].address).call() is True
    admin = w3.eth.get_storage_at(ADDRESS, 0)
    assert "0x" + admin[-20:].hex() == accounts[0].address.lower()


def test_only_the_admin_changes_the_lists(chain, accounts):
    w3, permissions = chain
    outsider = accounts[2].address
    unauthorized(permissions.functions.setSender(outsider, True), outsider)
    unauthorized(permissions.functions.setDeployer(outsider, True), outsider)
    unauthorized(permissions.functions.setRestrictions(False, False), outsider)
    unauthorized(permissions.functions.proposeAdmin(outsider), outsider)
    with pytest.raises(ContractLogicError, match="the admin keeps its send permission"):
        permissions.functions.setRestrictions(True, True).call({"from": accounts[0].address})


def test_restricted_senders_are_refused_at_admission(chain, accounts):
    w3, permissions = chain
    admin, sender, outsider = accounts[0], accounts[1], accounts[2]
    receipt = send(w3, admin, permissions.functions.setSender(admin.address, True))
    events = permissions.events.SenderSet().process_receipt(receipt)
    assert [(event.args.account, event.args.allowed) for event in events] == [(admin.address, True)]
    send(w3, admin, permissions.functions.setSender(sender.address, True))
    send(w3, admin, permissions.functions.setDeployer(admin.address, True))
    send(w3, admin, permissions.functions.setRestrictions(True, True))
    assert int.from_bytes(w3.eth.get_storage_at(ADDRESS, 2), "big") == 1
    assert permissions.functions.maySend(outsider.address).call() is False

    with pytest.raises(Web3RPCError) as refused:
        transfer(w3, outsider, sender.address)
    error = refused.value.rpc_response["error"]
    assert error["code"] == -32000
    assert error["message"] == f"sender not allowed: {outsider.address} is not on the send allowlist"

    w3.eth.wait_for_transaction_receipt(transfer(w3, sender, outsider.address))
    creation = {"data": "0x00", "gas": 100_000, "chainId": 1337, "value": 0,
                "nonce": w3.eth.get_transaction_count(sender.address, "pending"), **fees(w3)}
    with pytest.raises(Web3RPCError) as refused:
        w3.eth.send_raw_transaction(sender.sign_transaction(creation).raw_transaction)
    assert refused.value.rpc_response["error"]["code"] == -32000
    assert "not allowed to deploy contracts" in refused.value.rpc_response["error"]["message"]

    # Revoked: the sender's next transaction is refused too.
    send(w3, admin, permissions.functions.setSender(sender.address, False))
    with pytest.raises(Web3RPCError, match="sender not allowed"):
        transfer(w3, sender, outsider.address)


def test_the_admin_changes_in_two_steps(chain, accounts):
    w3, permissions = chain
    admin, successor = accounts[0], accounts[3]
    send(w3, admin, permissions.functions.setSender(successor.address, True))
    unauthorized(permissions.functions.acceptAdmin(), successor.address)
    receipt = send(w3, admin, permissions.functions.proposeAdmin(successor.address))
    proposed = permissions.events.AdminProposed().process_receipt(receipt)[0].args
    assert (proposed.current, proposed.proposed) == (admin.address, successor.address)
    send(w3, successor, permissions.functions.acceptAdmin())
    unauthorized(permissions.functions.setSender(accounts[4].address, True), admin.address)
    send(w3, successor, permissions.functions.setRestrictions(False, False))
    assert permissions.functions.maySend(accounts[2].address).call() is True
