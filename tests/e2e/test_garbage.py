"""Unauthenticated garbage at a validator's P2P port, from raw sockets: random bytes, a huge
length prefix, a handshake on the wrong chain, truncated handshakes, handshakes abandoned after
the node's answer or finished with a forged third message, and 200 connections that never send.
The node refuses each (Docs/p2p.md §Handshake, §Limits and bans), its sessions with the other
validators stay up, it keeps committing and its JSON-RPC keeps answering."""
import random
import selectors
import socket
import threading
import time

from eth_keys import keys
from eth_utils import keccak

from localnet import CHAIN_ID

MAGIC = b"d6g1"
FIRST_BYTES, SECOND_BYTES, THIRD_BYTES = 45, 131, 98
HANDSHAKE_TIMEOUT_S = 5.0          # PeerHandler.handshakeTimeout
MAXIMUM_CONNECTIONS = 128          # PeerTransportConfiguration.maximumConnections
IDLE_CONNECTIONS = 200


def first_message(chain_id: int, rng: random.Random) -> bytes:
    """Handshake message 1 as a real initiator sends it: magic, chain id, a fresh ephemeral key."""
    ephemeral = keys.PrivateKey(rng.randbytes(31) + b"\x01")
    return MAGIC + chain_id.to_bytes(8, "big") + ephemeral.public_key.to_compressed_bytes()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def send(s: socket.socket, data: bytes):
    """Sends what it can: the node may close the connection before it has read everything."""
    try:
        s.sendall(data)
    except (ConnectionResetError, BrokenPipeError):
        pass


def closed_by_peer(s: socket.socket, within: float) -> float | None:
    """Seconds until the node closed `s` (EOF or reset), or None if it is still open after `within`.
    Bytes the node sends first are read and dropped."""
    started = time.time()
    s.settimeout(within)
    try:
        while True:
            if not s.recv(65536):
                return time.time() - started
    except (ConnectionResetError, BrokenPipeError):
        return time.time() - started
    except socket.timeout:
        return None


def close_times(sockets, within: float) -> dict:
    """For each socket the node closed within `within` seconds from now, when (time.time()). The
    node never speaks first on these connections, so a readable socket is a closed one."""
    started = time.time()
    closed = {}
    with selectors.DefaultSelector() as selector:
        for s in sockets:
            selector.register(s, selectors.EVENT_READ)
        while len(closed) < len(sockets) and time.time() - started < within:
            for key, _ in selector.select(timeout=0.05):
                try:
                    data = key.fileobj.recv(65536)
                except ConnectionResetError:
                    data = b""
                if not data:
                    closed[key.fileobj] = time.time()
                    selector.unregister(key.fileobj)
    return closed


class Watch(threading.Thread):
    """Asks the node for its head every quarter second for as long as the attack lasts: every
    answer's latency and height, and every failure."""

    def __init__(self, net, index):
        super().__init__(daemon=True)
        self.net, self.index = net, index
        self.samples = []   # (time, height, seconds the answer took)
        self.failures = []
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            started = time.time()
            try:
                height = int(self.net.rpc(self.index, "eth_blockNumber", timeout=5), 16)
                self.samples.append((started, height, time.time() - started))
            except Exception as error:
                self.failures.append((started, repr(error)))
            time.sleep(0.25)


def test_garbage_at_the_p2p_port_is_refused_and_the_node_keeps_committing(testnet_factory, seed, report):
    rng = random.Random(seed)
    net = testnet_factory(validators=4, followers=0)
    for index in range(net.count):
        net.start(index)
    target = rng.randrange(net.count)
    port = net.p2p_port(target)
    net.wait_for(lambda: all(net.height(i) >= 3 for i in range(net.count)), timeout=60, what="all four at height 3")
    keys_by_node = {i: net.node_key(i) for i in range(net.count)}
    sessions = {keys_by_node[i] for i in range(net.count) if i != target}
    net.wait_for(lambda: net.peer_keys(target) == sessions, timeout=60, what=f"node{target} in session with the others")
    log_from = len(net.log_text(target))
    watch = Watch(net, target)
    watch.start()
    began = time.time()

    # Random bytes (at least a whole first message, so it is judged at once) and a huge length
    # prefix: the first 45 bytes are read as handshake message 1, whose magic is wrong.
    blobs = [rng.randbytes(rng.randint(FIRST_BYTES, 4096)) for _ in range(20)]
    blobs += [(0xFFFF_FFFF).to_bytes(4, "big") + rng.randbytes(64 * 1024),
              ((16 << 20) + 1).to_bytes(4, "big") + rng.randbytes(1024)]
    for blob in blobs:
        s = connect(port)
        send(s, blob)
        assert closed_by_peer(s, 10) is not None, f"node{target} kept a connection open after {len(blob)} random bytes"
        s.close()

    # A well-formed first message for another chain.
    for _ in range(5):
        s = connect(port)
        s.sendall(first_message(CHAIN_ID + 1, rng))
        assert closed_by_peer(s, 10) is not None, f"node{target} kept a connection from chain {CHAIN_ID + 1} open"
        s.close()

    # A first message for this chain: the node answers with message 2, proving its node key by a
    # signature over the transcript, which is checked here. Then the connection is abandoned, or
    # finished with a third message of random bytes (no valid key, no valid signature).
    for n in range(10):
        s = connect(port)
        first = first_message(CHAIN_ID, rng)
        s.sendall(first)
        second = b""
        while len(second) < SECOND_BYTES:
            chunk = s.recv(SECOND_BYTES - len(second))
            assert chunk, f"node{target} closed the connection instead of answering a valid first message"
            second += chunk
        transcript = keccak(b"d6g-p2p-v1" + first + second[:66])
        signer = keys.Signature(second[66:]).recover_public_key_from_msg_hash(transcript)
        assert "0x" + signer.to_compressed_bytes().hex() == keys_by_node[target] == "0x" + second[33:66].hex(), (
            "message 2 is not signed by the node's own key")
        if n % 2:
            send(s, rng.randbytes(THIRD_BYTES))
            assert closed_by_peer(s, 10) is not None, f"node{target} kept a connection with a forged third message"
        s.close()

    # Truncated handshakes: part of a first message, then the connection is closed by us, or held
    # open until the node's handshake timeout closes it.
    for _ in range(10):
        s = connect(port)
        s.sendall(first_message(CHAIN_ID, rng)[:rng.randint(1, FIRST_BYTES - 1)])
        s.close()
    held = {connect(port): time.time() for _ in range(5)}
    for s in held:
        s.sendall(first_message(CHAIN_ID, rng)[:rng.randint(1, FIRST_BYTES - 1)])
    timeouts = sorted(closed - held[s] for s, closed in close_times(list(held), 30).items())
    for s in held:
        s.close()
    assert len(timeouts) == len(held), f"only {len(timeouts)} of {len(held)} truncated handshakes closed in 30 s"
    assert HANDSHAKE_TIMEOUT_S - 0.5 <= timeouts[0] <= timeouts[-1] <= HANDSHAKE_TIMEOUT_S + 10, (
        f"truncated handshakes were closed {timeouts} s after they opened, not after about {HANDSHAKE_TIMEOUT_S} s")

    # Connections that never send: past the connection limit they are closed on arrival, the rest
    # when their handshake times out.
    # Opened 16 at a time: a burst past the listen backlog (64) would leave connections waiting in
    # the kernel, and the time the node holds each could no longer be told from the socket's age.
    idle = {}
    for _ in range(IDLE_CONNECTIONS // 16 + 1):
        for _ in range(min(16, IDLE_CONNECTIONS - len(idle))):
            idle[connect(port)] = time.time()
        time.sleep(0.05)
    lifetimes = {s: closed - idle[s] for s, closed in close_times(list(idle), 30).items()}
    for s in idle:
        s.close()
    still_open = IDLE_CONNECTIONS - len(lifetimes)
    at_once = sum(1 for t in lifetimes.values() if t < HANDSHAKE_TIMEOUT_S / 2)
    held_for = sorted(t for t in lifetimes.values() if t >= HANDSHAKE_TIMEOUT_S / 2)
    assert still_open == 0, f"{still_open} of {IDLE_CONNECTIONS} idle connections still open after 30 s"
    assert len(held_for) <= MAXIMUM_CONNECTIONS, (
        f"node{target} held {len(held_for)} idle connections, more than {MAXIMUM_CONNECTIONS}")
    assert at_once >= IDLE_CONNECTIONS - MAXIMUM_CONNECTIONS, (
        f"only {at_once} of {IDLE_CONNECTIONS} idle connections were closed on arrival")
    assert all(HANDSHAKE_TIMEOUT_S - 0.5 <= t <= HANDSHAKE_TIMEOUT_S + 10 for t in held_for), (
        f"idle connections held for {held_for[0]:.1f}–{held_for[-1]:.1f} s, not about {HANDSHAKE_TIMEOUT_S} s")
    attack_s = time.time() - began

    # Afterwards: sessions untouched, the chain went on through the attack, RPC answered throughout.
    time.sleep(2.0)
    watch.stop_event.set()
    watch.join()
    assert net.running(target), f"node{target} exited\n{net.log_tails()}"
    assert net.peer_keys(target) == sessions, f"node{target} lost sessions: {net.peer_keys(target)} ≠ {sessions}"
    assert not watch.failures, f"JSON-RPC failed during the attack: {watch.failures[:5]}"
    slowest = max(latency for _, _, latency in watch.samples)
    first_height, last_height = watch.samples[0][1], watch.samples[-1][1]
    gaps, last_change, previous = [], watch.samples[0][0], first_height
    for when, height, _ in watch.samples:
        if height != previous:
            gaps.append(when - last_change)
            last_change, previous = when, height
    gaps.append(watch.samples[-1][0] - last_change)
    assert last_height >= first_height + attack_s / 4, (
        f"node{target} went only from {first_height} to {last_height} in {attack_s:.0f} s of attack")
    assert max(gaps) < 10, f"node{target} committed nothing for {max(gaps):.1f} s during the attack"

    log = net.log_text(target)[log_from:]
    refusals = {
        "wrong magic": log.count("p2p: connection closed: not a d6g peer (wrong handshake magic)"),
        "wrong chain": log.count(f"p2p: connection closed: peer is on chain {CHAIN_ID + 1}, this node on {CHAIN_ID}"),
        "forged third message": log.count("p2p: connection closed: malformed handshake: initiator node key")
                                + log.count("p2p: connection closed: the peer's handshake signature does not match"),
    }
    assert refusals["wrong magic"] >= len(blobs), refusals
    assert refusals["wrong chain"] >= 5, refusals
    assert refusals["forged third message"] >= 5, refusals
    assert "banned" not in log, "an unauthenticated connection led to a ban (it has no key to ban)"
    report(f"node{target}: {len(blobs)} random blobs, 5 wrong-chain, 10 abandoned or forged handshakes, 15 truncated, "
           f"{IDLE_CONNECTIONS} idle ({at_once} closed on arrival, {len(held_for)} held until the handshake timeout, "
           f"for {held_for[0] if held_for else 0:.1f}–{held_for[-1] if held_for else 0:.1f} s) "
           f"in {attack_s:.0f} s; "
           f"log refusals {refusals}; heights {first_height}→{last_height}, longest pause {max(gaps):.1f} s, "
           f"slowest RPC answer {slowest:.2f} s")
    top = net.assert_agreement()
    report(f"agreement: four nodes, heights 0…{top}")
