#!/usr/bin/env python3
"""Vyper/revm side of `d6g-bench dsl` (Docs/benchmarks.md): the four P5 programs of
Sources/D6GBench/DSLBenchmark.swift written in Vyper 0.4.3, compiled here with the `vyper` package,
deployed through their constructors and run on revm through pyrevm 0.3.7 (both pinned in the
Makefile's bench-dsl target, which installs them in .venv-bench, apart from the test venv).

Usage: bench_vyper.py --runs N [NAME ...]   (default: arithmetic keccak transfer ecrecover noop)

Prints one JSON object per line per workload:
  {"name": str, "ns_per_iteration": float, "iterations": int, "gas": int, "code_size": int,
   "output": "hex without 0x"}
- ns_per_iteration: median over N timed runs (after one warm-up run) of thread CPU time
  (time.thread_time_ns: the machine is shared) per loop iteration (arithmetic, keccak: one
  message_call running `iterations` iterations) or per call (transfer, ecrecover, noop:
  `iterations` message_calls, each a transaction of its own). Every run has a fresh EVM with the
  contract deployed anew; deployment and calldata encoding are outside the timed region.
- gas: execution gas of one call, the counterpart of the Swift side's `gas limit - gas left` of a
  message: pyrevm's ExecutionResult.gas_used (evm.result after the call; it is the transaction's
  gas, intrinsic included, less the capped refund, which is 0 here) minus the intrinsic gas
  21000 + 16 per non-zero and 4 per zero calldata byte. For `transfer` it is measured on a fresh
  EVM that holds the deployed code and the storage of the steady state (both balances non-zero)
  in its database, so that the call pays cold storage access like a transaction of its own:
  pyrevm 0.3.7 never ends the journal between message_calls, so in the timed sequence every slot
  after the first call is warm and dirty (cheaper, and not what a transaction pays).
- code_size: bytes of runtime code at the deployed address (the code the constructor returned,
  which is checked to equal the compiler's runtime bytecode).
- output: return data of the (last) call, hex.
The outputs are also checked here against the programs' semantics computed in Python; a
mismatch exits non-zero.
"""
import argparse, json, statistics, sys, time

import vyper
from vyper.compiler.settings import OptimizationLevel, Settings
from eth_hash.auto import keccak
from eth_keys import keys
from pyrevm import EVM, AccountInfo

CALLER = "0x" + "5e".rjust(40, "0")
RECEIVER = "0x" + "b0b".rjust(40, "0")
GAS_LIMIT = 10**12

# pyrevm 0.3.7 accepts spec_id but runs revm's latest spec whatever it is given (PUSH0, MCOPY and
# TSTORE run even with spec_id="LONDON"); Cancun is what that revm implements, so the contracts
# are compiled for it (vyper 0.4.3 defaults to prague, which emits the same code for these).
EVM_VERSION = "cancun"
SETTINGS = dict(evm_version=EVM_VERSION, optimize=OptimizationLevel.GAS, experimental_codegen=False)

HEADER = "# pragma version 0.4.3\n"

ARITHMETIC = HEADER + """
@external
def run(n: uint256) -> uint256:
    acc: uint256 = 1
    for i: uint256 in range(n, bound=10000000):
        acc = (acc * 3 + 7) % 1000000007
    return acc
"""

KECCAK = HEADER + """
@external
def chain(seed: bytes32, n: uint256) -> bytes32:
    h: bytes32 = seed
    for i: uint256 in range(n, bound=10000000):
        h = keccak256(h)
    return h
"""

TRANSFER = HEADER + """
event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

balanceOf: public(HashMap[address, uint256])

@deploy
def __init__(supply: uint256):
    self.balanceOf[msg.sender] = supply

@external
def transfer(to: address, amount: uint256) -> bool:
    assert self.balanceOf[msg.sender] >= amount
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[to] += amount
    log Transfer(sender=msg.sender, receiver=to, value=amount)
    return True
"""

ECRECOVER = HEADER + """
@external
def check(digest: bytes32, v: uint8, r: bytes32, s: bytes32, expected: address) -> bool:
    return ecrecover(digest, v, r, s) == expected
"""

NOOP = HEADER + """
@external
def noop():
    pass
"""


def word(value):
    if isinstance(value, bytes):
        assert len(value) == 32
        return value
    if isinstance(value, str):  # address
        value = int(value, 16)
    return value.to_bytes(32, "big")


def calldata(selector, *args):
    # vyper's method_identifiers are hex numbers without leading zeros ("0xafe322d")
    return int(selector, 16).to_bytes(4, "big") + b"".join(word(a) for a in args)


def intrinsic_gas(data):
    zeros = data.count(0)
    return 21000 + 4 * zeros + 16 * (len(data) - zeros)


def compile_contract(source, signature):
    out = vyper.compile_code(source, output_formats=["bytecode", "bytecode_runtime", "method_identifiers"],
                             settings=Settings(**SETTINGS))
    return bytes.fromhex(out["bytecode"][2:]), bytes.fromhex(out["bytecode_runtime"][2:]), out["method_identifiers"][signature]


def arithmetic_expected(n):
    acc = 1
    for _ in range(n):
        acc = (acc * 3 + 7) % 1_000_000_007
    return word(acc)


def keccak_expected(seed, n):
    h = seed
    for _ in range(n):
        h = keccak(h)
    return h


def signed_check():
    key = keys.PrivateKey(b"\x07" * 32)
    digest = keccak(b"bench")  # the raw hash, no message prefix
    sig = key.sign_msg_hash(digest)
    return digest, 27 + sig.v, word(sig.r), word(sig.s), key.public_key.to_checksum_address()


SEED = word(1)
N_ARITHMETIC, N_KECCAK, N_CALLS = 100_000, 10_000, 2_000
ECRECOVER_ARGS = signed_check()

# name: (source, signature, constructor args, call args, iterations, per call, expected output)
WORKLOADS = {
    "arithmetic": (ARITHMETIC, "run(uint256)", (), (N_ARITHMETIC,), N_ARITHMETIC, False,
                   lambda: arithmetic_expected(N_ARITHMETIC)),
    "keccak": (KECCAK, "chain(bytes32,uint256)", (), (SEED, N_KECCAK), N_KECCAK, False,
               lambda: keccak_expected(SEED, N_KECCAK)),
    "transfer": (TRANSFER, "transfer(address,uint256)", (10**24,), (RECEIVER, 1), N_CALLS, True, lambda: word(1)),
    "ecrecover": (ECRECOVER, "check(bytes32,uint8,bytes32,bytes32,address)", (), ECRECOVER_ARGS, N_CALLS, True,
                  lambda: word(1)),
    "noop": (NOOP, "noop()", (), (), N_CALLS, True, lambda: b""),
}


def deploy(initcode, constructor_args):
    evm = EVM(spec_id=EVM_VERSION.upper())
    evm.insert_account_info(CALLER, AccountInfo(balance=10**20))
    address = evm.deploy(CALLER, initcode + b"".join(word(a) for a in constructor_args), gas=GAS_LIMIT)
    if not evm.result.is_success:
        raise RuntimeError(f"deployment failed: {evm.result.reason}")
    return evm, address


def call(evm, address, data):
    output = evm.message_call(CALLER, address, data, gas=GAS_LIMIT)
    if not evm.result.is_success:
        raise RuntimeError(f"call failed: {evm.result.reason}")
    return bytes(output)


def transfer_gas(evm, address, data):
    """Execution gas of one transfer as a transaction of its own, in the steady state (sender and
    receiver balances non-zero, as after the first timed call): a fresh EVM whose database holds
    the deployed code and both balance slots, so that the call finds them cold."""
    # Vyper: HashMap slot = keccak256(slot ++ key), balanceOf at slot 0.
    slots = [int.from_bytes(keccak(word(0) + word(who)), "big") for who in (CALLER, RECEIVER)]
    values = [evm.storage(address, slot) for slot in slots]
    assert values == [10**24 - N_CALLS, N_CALLS], f"after {N_CALLS} transfers of 1: {values}"
    fresh = EVM(spec_id=EVM_VERSION.upper())
    fresh.insert_account_info(CALLER, AccountInfo(balance=10**20))
    fresh.insert_account_info(address, AccountInfo(code=runtime_code(evm, address)))
    for slot, value in zip(slots, values):
        # insert_account_storage writes the database only while the account is not in revm's
        # journal, and loads it there (later slots would go into the journal, warm and dirty):
        # reverting a snapshot taken before it unloads the account again.
        checkpoint = fresh.snapshot()
        fresh.insert_account_storage(address, slot, value)
        fresh.revert(checkpoint)
    assert not fresh.journal_state, "the state should be in the database only"
    call(fresh, address, data)
    assert fresh.storage(address, slots[1]) == values[1] + 1
    return fresh.result.gas_used - intrinsic_gas(data)


def runtime_code(evm, address):
    # revm keeps deployed code padded (get_code returns it with 33 zero bytes appended); the code
    # hash is that of the code the constructor returned.
    code = bytes(evm.get_code(address) or b"")
    code_hash = bytes(evm.basic(address).code_hash)
    size = len(code.rstrip(b"\0"))
    while keccak(code[:size]) != code_hash:
        size += 1
        if size > len(code):
            raise RuntimeError(f"no prefix of the code at {address} has its code hash")
    return code[:size]


def measure(name, runs):
    source, signature, constructor_args, args, iterations, per_call, expected = WORKLOADS[name]
    initcode, runtime, selector = compile_contract(source, signature)
    data = calldata(selector, *args)
    calls = range(iterations if per_call else 1)
    samples = []
    for run in range(runs + 1):  # the first run warms up
        evm, address = deploy(initcode, constructor_args)
        start = time.thread_time_ns()
        for _ in calls:
            output = evm.message_call(CALLER, address, data, gas=GAS_LIMIT)
        elapsed = time.thread_time_ns() - start
        if not evm.result.is_success:
            raise RuntimeError(f"{name} failed: {evm.result.reason}")
        if run:
            samples.append(elapsed / iterations)
    output = bytes(output)
    if output != expected():
        raise RuntimeError(f"{name}: output {output.hex()} is not {expected().hex()}")
    code = runtime_code(evm, address)
    if code != runtime:
        raise RuntimeError(f"{name}: deployed code differs from the compiler's runtime bytecode")
    if name == "transfer":
        gas = transfer_gas(evm, address, data)
    else:
        gas = evm.result.gas_used - intrinsic_gas(data)
    return {"name": name, "ns_per_iteration": statistics.median(samples), "iterations": iterations,
            "gas": gas, "code_size": len(code), "output": output.hex()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("workloads", nargs="*", metavar="NAME", help=f"default: {' '.join(WORKLOADS)}")
    args = parser.parse_args()
    unknown = [name for name in args.workloads if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)} (choose from {', '.join(WORKLOADS)})")
    for name in args.workloads or list(WORKLOADS):
        print(json.dumps(measure(name, args.runs)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
