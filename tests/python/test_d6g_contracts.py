"""The D6G contracts on a real node, driven by web3.py and eth-account only, with every commitment,
signature, evidence and sealed key computed by this file's own implementation of
Docs/protocol.md (the one test_protocol_vectors.py checks): `d6g-contract compile`/`deploy` of
AttestationRegistry and KeyExchange, an agent registered with an eth-account signature over
encPubMsg, a round posted with bytes32[] and bytes[] arrays, a challenge, a passing response, a
key epoch that skips an unregistered member, and the member's key opened from `keyOf`."""
import hashlib
import os

from eth_account import Account
from eth_keys import keys
from web3 import Web3
from web3.logs import DISCARD

from conftest import CHAIN_ID, DEV_KEYS
from test_dsl_contracts import compile_and_deploy, fees
from test_protocol_vectors import compressed, keccak, open_sealed, seal, tag, w


def send(w3, account, call, value=0):
    tx = call.build_transaction({"from": account.address, "chainId": CHAIN_ID, "value": value,
                                 "nonce": w3.eth.get_transaction_count(account.address, "pending"), **fees(w3)})
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction),
                                                  timeout=30)
    assert receipt["status"] == 1, receipt
    return receipt


def fund(w3, sender, to):
    tx = {"to": to, "value": Web3.to_wei(1, "ether"), "gas": 21_000, "chainId": CHAIN_ID,
          "nonce": w3.eth.get_transaction_count(sender.address, "pending"), **fees(w3)}
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction), timeout=30)
    assert receipt["status"] == 1


def test_a_round_and_a_key_epoch_through_web3(node, w3, accounts, tmp_path):
    admin, secaas = accounts[0], accounts[1]
    key_file = tmp_path / "admin.key"
    key_file.write_text(DEV_KEYS[0] + "\n")
    registry, _, _ = compile_and_deploy(node, w3, tmp_path, "AttestationRegistry", key_file, secaas.address, "3", "2", "1000")
    exchange, _, _ = compile_and_deploy(node, w3, tmp_path, "KeyExchange", key_file, registry.address)
    registry_address = bytes.fromhex(registry.address[2:])
    exchange_address = bytes.fromhex(exchange.address[2:])

    # The agent makes its own keys and vouches for its encryption key (PROTOCOL.md §Roles).
    agent = Account.create()
    encryption = keys.PrivateKey(os.urandom(32))
    enc_pub = compressed(encryption.public_key)
    agent_address = bytes.fromhex(agent.address[2:])
    message = w(tag("d6g-encpub-v1")) + w(CHAIN_ID) + w(registry_address) + w(agent_address) + w(keccak(enc_pub))
    signature = Account.unsafe_sign_hash(keccak(message), agent.key).signature
    receipt = send(w3, admin, registry.functions.registerAgent(agent.address, b"\x01" * 32, b"\x02" * 32, enc_pub, signature))
    assert [e["args"]["agent"] for e in registry.events.AgentRegistered().process_receipt(receipt, errors=DISCARD)] == [agent.address]
    assert registry.functions.statusOf(agent.address).call() == 1

    # Round 0: one step, the SECaaS as challenger of the PENDING agent.
    image = b"the agent's wrapped image" * 40
    salt, nonce = os.urandom(32), os.urandom(32)
    step_ctx = w(tag("d6g-step-v1")) + w(CHAIN_ID) + w(registry_address) + w(0) + w(0) + w(agent_address)
    expected = hashlib.sha256(nonce + step_ctx + image).digest()
    plan = keccak(w(tag("d6g-plan-v1")) + w(0) + w(0) + w(agent_address) + salt)
    nonce_hash = keccak(w(tag("d6g-nonce-v1")) + w(0) + w(0) + nonce)
    evidence_commit = keccak(w(tag("d6g-evidence-v1")) + step_ctx + expected)
    secaas_encryption = keys.PrivateKey(os.urandom(32))
    challenge_ctx = w(tag("d6g-challenge-v1")) + w(CHAIN_ID) + w(registry_address) + w(0) + w(0) + w(bytes.fromhex(secaas.address[2:]))
    sealed = seal(secaas_encryption.public_key, agent_address + salt + nonce, challenge_ctx, os.urandom(32), os.urandom(12))
    receipt = send(w3, secaas, registry.functions.beginRound(0, 3, [plan], [nonce_hash], [evidence_commit], [sealed]))
    assert registry.events.RoundBegun().process_receipt(receipt, errors=DISCARD)[0]["args"]["steps"] == 1
    assert registry.functions.sealedChallengeOf(0, 0).call() == sealed
    assert open_sealed(sealed, secaas_encryption.to_bytes(), challenge_ctx) == agent_address + salt + nonce
    send(w3, secaas, registry.functions.challenge(0, 0, agent.address, salt, nonce))

    # The agent answers from its image; the contract decides.
    fund(w3, accounts[2], agent.address)
    evidence = hashlib.sha256(nonce + step_ctx + image).digest()
    receipt = send(w3, agent, registry.functions.respond(0, 0, evidence))
    recorded = registry.events.AttestationRecorded().process_receipt(receipt, errors=DISCARD)[0]["args"]
    assert recorded["passed"] is True and recorded["measured"] == agent.address and recorded["newRoT"] == agent.address
    rot = keccak(w(tag("d6g-rot-v1")) + w(0) + w(0) + w(agent_address) + w(bytes.fromhex(secaas.address[2:])) + w(1)
                 + w(receipt["blockNumber"]))
    assert registry.functions.rotChainHead().call() == rot
    assert registry.functions.isEligible(agent.address).call() is True

    # A key epoch: the agent gets the key, an unregistered address is skipped (not a revert).
    group, group_key = 0x42, os.urandom(32)
    key_ctx = (w(tag("d6g-groupkey-v1")) + w(CHAIN_ID) + w(exchange_address) + w(group) + w(1) + w(agent_address)
               + w(keccak(enc_pub)))
    blob = seal(encryption.public_key, group_key, key_ctx, os.urandom(32), os.urandom(12))
    stranger = Account.create().address
    receipt = send(w3, admin, exchange.functions.publishEpoch(group, 1, [agent.address, stranger], [blob, b"\x00" * 93]))
    assert [e["args"]["member"] for e in exchange.events.MemberKeyed().process_receipt(receipt, errors=DISCARD)] == [agent.address]
    assert [e["args"]["member"] for e in exchange.events.MemberSkipped().process_receipt(receipt, errors=DISCARD)] == [stranger]
    assert exchange.functions.epochOf(group, agent.address).call() == 1
    assert open_sealed(exchange.functions.keyOf(group, agent.address).call(), encryption.to_bytes(), key_ctx) == group_key
    assert exchange.functions.keyOf(group, stranger).call() == b""
