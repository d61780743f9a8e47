#!/usr/bin/env python3
"""revm side of `d6g-bench vm` (Docs/benchmarks.md, "VM"): the same four loops as hand-written
EVM bytecode, run through pyrevm (pip install pyrevm==0.3.7). Prints one JSON object per
workload: {"name", "iterations", "ns_per_iteration", "output"} (median of --runs timed runs, in thread CPU time: the machine is shared)."""
import argparse, json, statistics, sys, time

from pyrevm import EVM, AccountInfo

CALLER = "0x" + "5e".rjust(40, "0")
CONTRACT = "0x" + "c0".rjust(40, "0")
CALLEE = "0x" + "c1".rjust(40, "0")

JUMPDEST, JUMPI, STOP, POP = 0x5B, 0x57, 0x00, 0x50
ADD, MUL, SUB, SWAP1, DUP1 = 0x01, 0x02, 0x03, 0x90, 0x80
MSTORE, KECCAK, SSTORE, CALL, GAS, RETURN = 0x52, 0x20, 0x55, 0xF1, 0x5A, 0xF3


def push(value, size=None):
    size = size or max(1, (value.bit_length() + 7) // 8)
    return [0x5F + size] + list(value.to_bytes(size, "big"))


def loop(count, body, prologue=(), epilogue=()):
    """counter on top of the stack; `body` must leave the stack as it found it."""
    head = list(prologue) + push(count, 4)
    start = len(head)
    code = head + [JUMPDEST] + body + push(1) + [SWAP1, SUB, DUP1] + push(start, 2) + [JUMPI, POP] + list(epilogue)
    return bytes(code)


RETURN_TOP = push(0) + [MSTORE] + push(32) + push(0) + [RETURN]

def arithmetic(n):
    # stack: acc counter; acc = acc * 3 + 7 (wrapping)
    body = [SWAP1] + push(3) + [MUL] + push(7) + [ADD, SWAP1]
    return loop(n, body, prologue=push(1), epilogue=RETURN_TOP)

def keccak(n):
    body = push(32) + push(0) + [KECCAK] + push(0) + [MSTORE]
    return loop(n, body, epilogue=push(32) + push(0) + [RETURN])

def storage(n):
    body = [DUP1, DUP1, SSTORE]            # slot[counter] = counter
    return loop(n, body, epilogue=[STOP])

def calls(n):
    # CALL(gas, callee, 0, 0, 0, 0, 0); POP
    body = push(0) + push(0) + push(0) + push(0) + push(0) + push(int(CALLEE, 16), 20) + [GAS, CALL, POP]
    return loop(n, body, epilogue=[STOP])

CALLEE_CODE = bytes(push(1) + RETURN_TOP)   # returns the word 1

WORKLOADS = {
    "arithmetic": (arithmetic, 1_000_000),
    "keccak": (keccak, 100_000),
    "storage": (storage, 10_000),
    "calls": (calls, 10_000),
}


def fresh_evm(code):
    evm = EVM()
    evm.insert_account_info(CALLER, AccountInfo(balance=10**20))
    evm.insert_account_info(CONTRACT, AccountInfo(code=code))
    evm.insert_account_info(CALLEE, AccountInfo(code=CALLEE_CODE))
    return evm


def measure(name, runs):
    build, n = WORKLOADS[name]
    code = build(n)
    samples = []
    output = b""
    for run in range(runs + 1):  # the first run warms up
        evm = fresh_evm(code)
        start = time.thread_time_ns()
        output = evm.message_call(CALLER, CONTRACT, b"", gas=10**12)
        elapsed = time.thread_time_ns() - start
        if run:
            samples.append(elapsed / n)
    return {"name": name, "iterations": n, "ns_per_iteration": statistics.median(samples),
            "output": bytes(output).hex()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    args = parser.parse_args()
    for name in args.workloads:
        print(json.dumps(measure(name, args.runs)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
