"""ABI round trips against eth-abi for every value type the DSL supports: what
`d6g-contract encode` writes, eth-abi decodes to the same values, and what eth-abi encodes,
`d6g-contract decode` reads back; out-of-range text is refused."""
import random
import subprocess

import pytest
from eth_abi import decode, encode

from test_dsl_contracts import contract_binary

TYPES = ([f"uint{bits}" for bits in range(8, 257, 8)] + [f"int{bits}" for bits in range(8, 257, 8)]
         + [f"bytes{size}" for size in range(1, 33)] + ["bool", "address", "bytes", "string"])
BYTE_STRING_LENGTHS = [0, 1, 31, 32, 33, 64]


def sample(kind, rng):
    if kind.startswith("uint"):
        bits = int(kind[4:])
        return rng.choice([0, 1, 2**bits - 1, rng.randrange(2**bits)])
    if kind.startswith("int"):
        bits = int(kind[3:])
        return rng.choice([0, -1, -(2**(bits - 1)), 2**(bits - 1) - 1, rng.randrange(-(2**(bits - 1)), 2**(bits - 1))])
    if kind == "bytes":
        return bytes(rng.randrange(256) for _ in range(rng.choice(BYTE_STRING_LENGTHS)))
    if kind == "string":
        return "".join(rng.choice("abcé6G —") for _ in range(rng.choice(BYTE_STRING_LENGTHS)))
    if kind.startswith("bytes"):
        return bytes(rng.randrange(256) for _ in range(int(kind[5:])))
    if kind == "bool":
        return rng.choice([True, False])
    return "0x" + bytes(rng.randrange(256) for _ in range(20)).hex()


def as_text(kind, value):
    if kind.startswith("bytes"):
        return "0x" + value.hex()
    if kind == "bool":
        return "true" if value else "false"
    return str(value)


def normal(kind, value):
    return value.lower() if kind == "address" else value


@pytest.mark.parametrize("chunk", range(4))
def test_encode_and_decode_agree_with_eth_abi(chunk):
    rng = random.Random(chunk)
    kinds = TYPES[chunk::4]
    for _ in range(3):
        values = [sample(kind, rng) for kind in kinds]
        ours = subprocess.run([contract_binary(), "encode", ",".join(kinds), *[as_text(k, v) for k, v in zip(kinds, values)]],
                              capture_output=True, text=True, check=True).stdout.strip()
        theirs = encode(kinds, values)
        assert bytes.fromhex(ours.removeprefix("0x")) == theirs
        decoded = decode(kinds, theirs)
        assert [normal(k, v) for k, v in zip(kinds, decoded)] == [normal(k, v) for k, v in zip(kinds, values)]
        back = subprocess.run([contract_binary(), "decode", ",".join(kinds), "0x" + theirs.hex()],
                              capture_output=True, text=True, check=True).stdout.split("\n")[:len(kinds)]
        # Addresses come back checksummed; compare them without case.
        assert [line.lower() for line in back] == [as_text(k, v).lower() for k, v in zip(kinds, values)]


@pytest.mark.parametrize("length", BYTE_STRING_LENGTHS)
def test_byte_strings_of_every_edge_length_agree_with_eth_abi(length):
    blob, text = bytes(range(length)), "é" * length
    kinds = ["uint8", "bytes", "string", "bytes"]
    values = [length, blob, text, blob[::-1]]
    ours = subprocess.run([contract_binary(), "encode", ",".join(kinds), str(length), "0x" + blob.hex(), text, "0x" + blob[::-1].hex()],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert bytes.fromhex(ours.removeprefix("0x")) == encode(kinds, values)
    back = subprocess.run([contract_binary(), "decode", ",".join(kinds), "0x" + encode(kinds, values).hex()],
                          capture_output=True, text=True, check=True).stdout.split("\n")
    assert back[:4] == [str(length), "0x" + blob.hex(), text, "0x" + blob[::-1].hex()]


def test_an_offset_past_the_end_is_refused():
    data = bytearray(encode(["bytes"], [b"abc"]))
    data[31] = 0x60
    result = subprocess.run([contract_binary(), "decode", "bytes", "0x" + data.hex()], capture_output=True, text=True)
    assert result.returncode != 0 and "offset or length past the end" in result.stderr


@pytest.mark.parametrize("kind,text", [("uint8", "256"), ("int8", "-129"), ("int8", "128"), ("bool", "maybe"),
                                       ("address", "0x1234"), ("bytes4", "0x0102"), ("uint256", str(2**256)),
                                       ("bytes", "0x123"), ("bytes", "00ff")])
def test_values_outside_their_type_are_refused(kind, text):
    result = subprocess.run([contract_binary(), "encode", kind, text], capture_output=True, text=True)
    assert result.returncode != 0 and "is not a" in result.stderr
