#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into Fuzz/corpus/<target>/ (Docs/fuzzing.md).

Seeds come from the external vectors in Tests/Vectors and the contracts in Contracts/: valid and
invalid RLP, every transaction of TransactionTests, the JSON-RPC requests of execution-apis, and
assembled containers. File names are the SHA-1 of the content, as libFuzzer names its own, so
running this again adds nothing twice. Usage: scripts/fuzz_seed.py [--assembler PATH]
"""
import argparse
import hashlib
import json
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
VECTORS = ROOT / "Tests" / "Vectors"
CORPUS = ROOT / "Fuzz" / "corpus"


def write(target: str, data: bytes) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def hex_bytes(text: str) -> bytes | None:
    text = text[2:] if text.startswith("0x") else text
    try:
        return bytes.fromhex(text)
    except ValueError:
        return None


def rlp_seeds() -> None:
    for name in ["rlptest.json", "invalidRLPTest.json"]:
        for case in json.loads((VECTORS / "ethereum-tests/RLPTests" / name).read_text()).values():
            data = hex_bytes(case["out"])
            if data is not None:
                write("rlp", data)


def transaction_seeds() -> None:
    for path in sorted((VECTORS / "ethereum-tests/TransactionTests").rglob("*.json")):
        for case in json.loads(path.read_text()).values():
            data = hex_bytes(case.get("txbytes", ""))
            if data:
                write("transaction", data)


def request_lines() -> list[bytes]:
    lines = []
    for path in sorted((VECTORS / "execution-apis/tests").rglob("*.io")):
        for line in path.read_text().splitlines():
            if line.startswith(">> "):
                lines.append(line[3:].encode())
    return lines


def json_and_rpc_seeds() -> None:
    for line in request_lines():
        write("json", line)
        write("rpc", b"\x00" + line)  # an even first byte: a raw body
    batch = b"[" + b",".join(request_lines()[:5]) + b"]"
    write("json", batch)
    write("rpc", b"\x00" + batch)
    # Structured calls (odd first byte): a few method choices with parameters.
    for method in range(0, 240, 7):
        write("rpc", bytes([1, 0, method, 2, 1, 0, 2, 0]))


def container_and_assembly_seeds(assembler: str | None) -> None:
    for source in sorted((ROOT / "Contracts").glob("*.asm")):
        write("assembly", source.read_bytes())
        if assembler:
            payload = subprocess.run([assembler, "assemble", str(source)], check=True, capture_output=True, text=True)
            write("container", bytes.fromhex(payload.stdout.strip().removeprefix("0x")))
    write("assembly", b".init\n  PUSH 0\n  PUSH 0\n  RETURN\n.runtime\nloop:\n  PUSH 1\n  RJUMPI loop\n  STOP\n")
    # A minimal runtime container: magic, version 1, flags 0, no init, one function "STOP", no data.
    write("container", bytes([0xD6, 0x47, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0x00]))


def vm_seeds() -> None:
    # The VM target reads any bytes as a program recipe: a deterministic spread of lengths.
    block = b"d6g-ledger vm seed"
    for index in range(32):
        data = b""
        while len(data) < 16 * (index + 1):
            block = hashlib.sha256(block).digest()
            data += block
        write("vm", data[: 16 * (index + 1)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assembler", help="a d6g-node binary, to assemble Contracts/*.asm into containers")
    arguments = parser.parse_args()
    rlp_seeds()
    transaction_seeds()
    json_and_rpc_seeds()
    container_and_assembly_seeds(arguments.assembler)
    vm_seeds()
    for folder in sorted(CORPUS.iterdir()):
        print(f"{folder.name}: {len(list(folder.iterdir()))} inputs")


if __name__ == "__main__":
    main()
