"""Docs/protocol-vectors.json recomputed by a second, independent implementation of the byte
layouts of Docs/protocol.md (PROTOCOL.md): pycryptodome for SHA-256, HKDF and AES-256-GCM,
eth-keys for secp256k1 (keys, ECDH, signatures), eth-hash for keccak-256. The Swift library
(Sources/D6GProtocol) is checked against the same file by Tests/D6GProtocolTests, so the two agree
byte for byte. Written from Docs/protocol.md alone, as another team's agent would be."""
import hashlib
import json
import pathlib

from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Protocol.KDF import HKDF
from eth_hash.auto import keccak
from eth_keys import keys
from eth_keys.backends.native.jacobian import fast_multiply
from eth_utils import to_checksum_address

VECTORS = json.loads((pathlib.Path(__file__).parents[2] / "Docs" / "protocol-vectors.json").read_text())
I, O = VECTORS["inputs"], VECTORS["outputs"]


def h(text: str) -> bytes:
    return bytes.fromhex(text[2:])


def w(value) -> bytes:
    """One 32-byte big-endian word: an int, or an address / hash given as bytes (left-padded)."""
    if isinstance(value, int):
        return value.to_bytes(32, "big")
    assert len(value) <= 32
    return bytes(32 - len(value)) + value


def tag(text: str) -> bytes:
    return keccak(text.encode())


def address(text: str) -> bytes:
    return h(text)


def compressed(public: keys.PublicKey) -> bytes:
    return public.to_compressed_bytes()


def ecdh_x(private: bytes, public: keys.PublicKey) -> bytes:
    raw = public.to_bytes()
    point = (int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    x, _ = fast_multiply(point, int.from_bytes(private, "big"))
    return x.to_bytes(32, "big")


def seal(recipient: keys.PublicKey, plaintext: bytes, ctx: bytes, ephemeral: bytes, nonce: bytes) -> bytes:
    ephemeral_public = compressed(keys.PrivateKey(ephemeral).public_key)
    key = HKDF(ecdh_x(ephemeral, recipient), 32, ephemeral_public, SHA256, context=b"d6g-seal-v1" + ctx)
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
    cipher.update(ctx)
    ciphertext, mac = cipher.encrypt_and_digest(plaintext)
    return ephemeral_public + nonce + ciphertext + mac


def open_sealed(box: bytes, private: bytes, ctx: bytes) -> bytes:
    ephemeral_public = keys.PublicKey.from_compressed_bytes(box[:33])
    key = HKDF(ecdh_x(private, ephemeral_public), 32, box[:33], SHA256, context=b"d6g-seal-v1" + ctx)
    cipher = AES.new(key, AES.MODE_GCM, nonce=box[33:45])
    cipher.update(ctx)
    return cipher.decrypt_and_verify(box[45:-16], box[-16:])


chain_id = int(I["chainId"])
registry, key_exchange = address(I["registry"]), address(I["keyExchange"])
round_, step = int(I["round"]), int(I["step"])
prover_key = keys.PrivateKey(h(I["proverKey"]))
prover = prover_key.public_key.to_canonical_address()
challenger = keys.PrivateKey(h(I["challengerKey"])).public_key.to_canonical_address()
challenger_enc = keys.PrivateKey(h(I["challengerEncryptionKey"]))
member_enc = keys.PrivateKey(h(I["memberEncryptionKey"]))
salt, nonce, image = h(I["salt"]), h(I["nonce"]), h(I["image"])
group, epoch, group_key = int(I["group"], 16), int(I["epoch"]), h(I["groupKey"])
session, sequence = int(I["session"], 16), int(I["sequence"])

step_ctx = w(tag("d6g-step-v1")) + w(chain_id) + w(registry) + w(round_) + w(step) + w(prover)
challenge_ctx = w(tag("d6g-challenge-v1")) + w(chain_id) + w(registry) + w(round_) + w(step) + w(challenger)
key_ctx = (w(tag("d6g-groupkey-v1")) + w(chain_id) + w(key_exchange) + w(group) + w(epoch) + w(prover)
           + w(keccak(compressed(member_enc.public_key))))
encpub_msg = (w(tag("d6g-encpub-v1")) + w(chain_id) + w(registry) + w(prover)
              + w(keccak(compressed(member_enc.public_key))))
evidence = hashlib.sha256(nonce + step_ctx + image).digest()


def test_inputs_are_what_they_say():
    assert to_checksum_address(prover) == I["prover"]
    assert to_checksum_address(challenger) == I["challenger"]
    assert "0x" + compressed(challenger_enc.public_key).hex() == I["challengerEncryptionPublic"]
    assert "0x" + compressed(member_enc.public_key).hex() == I["memberEncryptionPublic"]


def test_contexts():
    assert step_ctx == h(O["stepContext"])
    assert challenge_ctx == h(O["challengeContext"])
    assert key_ctx == h(O["keyContext"])
    assert encpub_msg == h(O["encryptionKeyMessage"])


def test_commitments_and_evidence():
    assert keccak(w(tag("d6g-plan-v1")) + w(round_) + w(step) + w(prover) + salt) == h(O["planCommit"])
    assert keccak(w(tag("d6g-nonce-v1")) + w(round_) + w(step) + nonce) == h(O["nonceHash"])
    assert evidence == h(O["evidence"])
    assert keccak(w(tag("d6g-evidence-v1")) + step_ctx + evidence) == h(O["evidenceCommit"])


def test_encryption_key_signature():
    signature = h(O["encryptionKeySignature"])
    assert len(signature) == 65 and signature[64] in (27, 28)
    recovered = keys.Signature(signature[:64] + bytes([signature[64] - 27])).recover_public_key_from_msg_hash(
        keccak(encpub_msg))
    assert recovered.to_canonical_address() == prover
    # RFC 6979 signatures are deterministic: this implementation makes the same bytes.
    ours = prover_key.sign_msg_hash(keccak(encpub_msg)).to_bytes()
    assert ours[:64] + bytes([ours[64] + 27]) == signature


def test_sealed_blobs():
    ephemeral, seal_nonce = h(I["ephemeralKey"]), h(I["sealNonce"])
    plaintext = prover + salt + nonce
    assert seal(challenger_enc.public_key, plaintext, challenge_ctx, ephemeral, seal_nonce) == h(O["sealedChallenge"])
    assert open_sealed(h(O["sealedChallenge"]), challenger_enc.to_bytes(), challenge_ctx) == plaintext
    assert seal(member_enc.public_key, group_key, key_ctx, ephemeral, seal_nonce) == h(O["sealedGroupKey"])
    assert open_sealed(h(O["sealedGroupKey"]), member_enc.to_bytes(), key_ctx) == group_key


def test_root_of_trust_chain():
    start = w(tag("d6g-rot-v1"))
    assert start == h(O["rootOfTrustStart"])
    passed = 1 if I["passed"] == "true" else 0
    assert keccak(start + w(round_) + w(step) + w(prover) + w(challenger) + w(passed)
                  + w(int(I["blockNumber"]))) == h(O["rootOfTrustAfterStep"])


def test_traffic_key_and_frame():
    session_bytes = session.to_bytes(8, "big")
    key = HKDF(group_key, 32, w(group) + w(epoch), SHA256, context=b"d6g-traffic-v1" + prover + session_bytes)
    assert key == h(O["trafficSessionKey"])
    header = (bytes([1]) + w(group) + epoch.to_bytes(8, "big") + prover + session_bytes
              + sequence.to_bytes(8, "big"))
    cipher = AES.new(key, AES.MODE_GCM, nonce=bytes(4) + sequence.to_bytes(8, "big"))
    cipher.update(header)
    ciphertext, mac = cipher.encrypt_and_digest(h(I["payload"]))
    assert header + ciphertext + mac == h(O["trafficFrame"])
