"""eth_getProof checked by an independent Merkle Patricia Trie (`trie` from PyPI): account proofs
against the block's stateRoot, and storage proofs of a DSL Token against the account's
storageRoot, for present and absent keys, at the latest block and at an older one."""
import rlp
from eth_utils import keccak, to_bytes
from trie import HexaryTrie

from conftest import DEV_KEYS
from test_dsl_contracts import compile_and_deploy


def verified(root, key, proof):
    """The value the proof proves for keccak(key) under root (b"" when absent)."""
    return HexaryTrie.get_from_proof(bytes(root), keccak(key), [rlp.decode(bytes(node)) for node in proof])


def balance_slot(holder):
    """Slot of balances[holder]: Token's `balances` map is storage variable 3 (Solidity's layout)."""
    return int.from_bytes(keccak(bytes(12) + to_bytes(hexstr=holder) + (3).to_bytes(32, "big")), "big")


def slot_value(entry):
    """web3.py hands a storage proof's value over as bytes."""
    return int.from_bytes(entry.value, "big")


def check_account(w3, address, block_identifier="latest", slots=()):
    block = w3.eth.get_block(block_identifier)
    answer = w3.eth.get_proof(address, list(slots), block_identifier)
    proven = verified(block.stateRoot, to_bytes(hexstr=address), answer.accountProof)
    if proven == b"":
        assert answer.balance == 0 and answer.nonce == 0
        return answer, None
    nonce, balance, storage_root, code_hash = rlp.decode(proven)
    assert int.from_bytes(nonce, "big") == answer.nonce
    assert int.from_bytes(balance, "big") == answer.balance
    assert storage_root == bytes(answer.storageHash) and code_hash == bytes(answer.codeHash)
    for entry in answer.storageProof:
        value = verified(answer.storageHash, int(entry.key.hex(), 16).to_bytes(32, "big"), entry.proof)
        assert (int.from_bytes(rlp.decode(value), "big") if value else 0) == slot_value(entry)
    return answer, block


def test_account_proofs_verify_against_the_state_root(node, w3, accounts):
    answer, _ = check_account(w3, accounts[0].address)
    assert answer.balance == w3.eth.get_balance(accounts[0].address)
    assert answer.nonce == w3.eth.get_transaction_count(accounts[0].address)
    absent, _ = check_account(w3, "0x00000000000000000000000000000000DeaDBeef")
    assert absent.balance == 0 and absent.storageProof == []


def test_storage_proofs_of_a_contract(node, w3, accounts, tmp_path):
    key_file = tmp_path / "admin.key"
    key_file.write_text(DEV_KEYS[3] + "\n")
    contract, _, _ = compile_and_deploy(node, w3, tmp_path, "Token", key_file, "1_000_000")
    deployed_at = w3.eth.block_number
    admin = accounts[3].address
    slots = [0, 2, balance_slot(admin), balance_slot(accounts[4].address)]
    answer, _ = check_account(w3, contract.address, slots=slots)
    values = [slot_value(entry) for entry in answer.storageProof]
    assert values[0] == int(admin, 16)                      # admin
    assert values[1] == 1_000_000                           # totalSupply
    assert values[2] == contract.functions.balanceOf(admin).call() == 1_000_000
    assert values[3] == 0                                   # absent, proven absent
    assert answer.codeHash == keccak(w3.eth.get_code(contract.address))

    # A transfer changes the proof at the head, not the one at the deployment block.
    tx = contract.functions.transfer(accounts[4].address, 250).build_transaction(
        {"from": admin, "nonce": w3.eth.get_transaction_count(admin)})
    signed = accounts[3].sign_transaction(tx)
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))
    now, _ = check_account(w3, contract.address, slots=slots[2:])
    assert [slot_value(entry) for entry in now.storageProof] == [1_000_000 - 250, 250]
    then, _ = check_account(w3, contract.address, block_identifier=deployed_at, slots=slots[2:])
    assert [slot_value(entry) for entry in then.storageProof] == [1_000_000, 0]
