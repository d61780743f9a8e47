"""A TCP relay on loopback that can sit between d6g nodes: it forwards bytes both ways, and on
command cuts the link (closes what it relays, then refuses or blackholes new connections) or
damages one frame of an established session.

It understands just enough of the wire (Docs/p2p.md) to find frame boundaries: the dialler sends
handshake messages 1 and 3 (45 + 98 bytes), the listener message 2 (131 bytes), and after that
each direction is a sequence of frames, a 4-byte big-endian length then that many bytes of
AES-GCM ciphertext and tag. It never decrypts anything; the faults it injects are the ones an
attacker on the path could produce.

Everything runs on one asyncio loop in a background thread; the methods are called from the
test's thread."""
import asyncio
import random
import threading
import time

from localnet import free_base

INITIATOR_HANDSHAKE_BYTES = 45 + 98   # messages 1 and 3
RESPONDER_HANDSHAKE_BYTES = 131       # message 2
MAXIMUM_FRAME_BYTES = 16 << 20        # FrameCipher.maximumFrameBytes

TO_TARGET = "to-target"   # bytes from the dialler to the node behind the route
TO_DIALLER = "to-dialler"


class FrameSplitter:
    """Cuts one direction's byte stream into handshake bytes and whole frames. Handshake bytes are
    passed on as they come; a frame is held until it is complete, so a fault can treat it whole."""

    def __init__(self, handshake_bytes: int):
        self.handshake_left = handshake_bytes
        self.buffer = bytearray()
        self.opaque = False

    def feed(self, data: bytes) -> list:
        self.buffer += data
        units = []
        while self.buffer:
            if self.opaque:
                # The stream stopped looking like frames (a node would close it now): pass it on as is.
                units.append(("bytes", bytes(self.buffer)))
                self.buffer.clear()
            elif self.handshake_left:
                n = min(self.handshake_left, len(self.buffer))
                units.append(("handshake", bytes(self.buffer[:n])))
                del self.buffer[:n]
                self.handshake_left -= n
            elif len(self.buffer) >= 4:
                length = int.from_bytes(self.buffer[:4], "big")
                if length > MAXIMUM_FRAME_BYTES:
                    self.opaque = True
                    continue
                if len(self.buffer) < 4 + length:
                    break
                units.append(("frame", bytes(self.buffer[:4 + length])))
                del self.buffer[:4 + length]
            else:
                break
        return units


class Fault:
    """A one-shot change to the next whole frame that crosses one of `places` ((route, direction)
    pairs). `applied` is set once it happened; `detail` says what was done."""

    KINDS = ("replay", "tamper", "oversize")

    def __init__(self, kind: str, places, rng: random.Random):
        assert kind in self.KINDS, kind
        self.kind = kind
        self.places = set(places)
        self.rng = rng
        self.applied = threading.Event()
        self.applied_at = None   # time.time() when the damaged frame went out
        self.detail = None

    def apply(self, frame: bytes) -> bytes:
        length = len(frame) - 4
        if self.kind == "replay":
            # The same frame again, byte for byte: its nonce (a counter) is already used.
            self.detail = f"replayed a {length}-byte frame"
            return frame + frame
        if self.kind == "tamper":
            damaged = bytearray(frame)
            index = self.rng.randrange(4, len(frame))
            bit = self.rng.randrange(8)
            damaged[index] ^= 1 << bit
            self.detail = f"flipped bit {bit} of byte {index - 4} of a {length}-byte frame's ciphertext"
            return bytes(damaged)
        # oversize: the real body under a prefix that announces one byte more than the cap.
        self.detail = f"announced {MAXIMUM_FRAME_BYTES + 1} bytes for a {length}-byte frame"
        return (MAXIMUM_FRAME_BYTES + 1).to_bytes(4, "big") + frame[4:]


class Route:
    """Listens on `port` and relays each connection to `target_port`. `dialler` and `target` are
    labels (the node indices) used in reports."""

    def __init__(self, proxy, target_port: int, dialler, target):
        self.proxy = proxy
        self.target_port = target_port
        self.dialler = dialler
        self.target = target
        self.port = None
        self.server = None
        self.relayed = 0      # connections passed on to the target
        self.blackholed = 0   # connections accepted and silenced while cut

    def __repr__(self):
        return f"route node{self.dialler}→node{self.target} (:{self.port}→:{self.target_port})"


class Connection:
    def __init__(self, route, dialler_writer):
        self.route = route
        self.writers = [dialler_writer]
        self.frames = {TO_TARGET: 0, TO_DIALLER: 0}

    def abort(self):
        for writer in self.writers:
            writer.transport.abort()


class FaultProxy:
    """`avoid`: ports to leave alone (a testnet's, which are free until its nodes start)."""

    def __init__(self, seed: int = 0, avoid=()):
        self.rng = random.Random(seed)
        self.avoid = set(avoid)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fault-proxy", daemon=True)
        self.thread.start()
        self.routes = []
        self.mode = "open"          # "open", "refuse" or "blackhole"
        self.connections = set()    # relayed connections
        self.holes = set()          # blackholed connections (their writers)
        self.faults = []
        self.lock = threading.Lock()

    def _run(self, coroutine, timeout: float = 10.0):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    # MARK: set-up

    def route(self, target_port: int, dialler=None, target=None) -> Route:
        """A new listening port that relays to 127.0.0.1:target_port."""
        route = Route(self, target_port, dialler, target)
        self._run(self._listen(route))
        self.routes.append(route)
        return route

    async def _listen(self, route: Route):
        # A fixed port below the ephemeral range (free_base), so that it can be listened on again
        # after a refusal: a port the kernel hands out could meanwhile be some connection's source port.
        while route.port is None or route.port in self.avoid:
            route.port = free_base(1)
        route.server = await asyncio.start_server(lambda r, w: self._accept(route, r, w), "127.0.0.1",
                                                  route.port, reuse_address=True)

    def close(self):
        try:
            self._run(self._close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            if not self.thread.is_alive():
                self.loop.close()

    async def _close(self):
        for route in self.routes:
            if route.server:
                route.server.close()
        self._drop_all()
        for writer in list(self.holes):
            writer.transport.abort()
        # Every relay ends here rather than being destroyed pending with the loop.
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # MARK: cutting the link

    def cut(self, mode: str):
        """Closes every connection relayed so far; from now on new connections are refused (the
        port stops listening, so a dial gets ECONNREFUSED) or blackholed (accepted, and whatever
        they send is read and dropped, nothing ever answers)."""
        assert mode in ("refuse", "blackhole"), mode
        self._run(self._cut(mode))

    async def _cut(self, mode: str):
        if mode == "refuse":
            for route in self.routes:
                if route.server:
                    route.server.close()
                    route.server = None
        elif self.mode == "refuse":
            for route in self.routes:
                await self._listen(route)
        self.mode = mode
        self._drop_all()

    def restore(self):
        """Relays again. Blackholed connections are closed: what they sent was dropped, so their
        streams cannot continue, as after a handshake timeout."""
        self._run(self._restore())

    async def _restore(self):
        if self.mode == "refuse":
            for route in self.routes:
                await self._listen(route)
        self.mode = "open"
        for writer in list(self.holes):
            writer.transport.abort()
        self.holes.clear()

    def _drop_all(self):
        for connection in list(self.connections):
            connection.abort()
        self.connections.clear()

    # MARK: damaging frames

    def inject(self, kind: str, places) -> Fault:
        """Arms a one-shot fault on the next frame that crosses any of `places`, a list of
        (route, TO_TARGET or TO_DIALLER)."""
        fault = Fault(kind, places, random.Random(self.rng.random()))
        with self.lock:
            self.faults.append(fault)
        return fault

    def _take_fault(self, route, direction):
        with self.lock:
            for fault in self.faults:
                if (route, direction) in fault.places:
                    self.faults.remove(fault)
                    return fault
        return None

    # MARK: relaying

    async def _accept(self, route: Route, reader, writer):
        if self.mode == "blackhole":
            route.blackholed += 1
            self.holes.add(writer)
            try:
                while await reader.read(65536):
                    pass
            except (ConnectionError, OSError):
                pass
            finally:
                self.holes.discard(writer)
                writer.transport.abort()
            return
        try:
            target_reader, target_writer = await asyncio.open_connection("127.0.0.1", route.target_port)
        except OSError:
            # The node behind the route is down: the dialler sees its connection close.
            writer.transport.abort()
            return
        route.relayed += 1
        connection = Connection(route, writer)
        connection.writers.append(target_writer)
        self.connections.add(connection)
        try:
            await asyncio.gather(
                self._pump(connection, reader, target_writer, TO_TARGET, INITIATOR_HANDSHAKE_BYTES),
                self._pump(connection, target_reader, writer, TO_DIALLER, RESPONDER_HANDSHAKE_BYTES))
        finally:
            self.connections.discard(connection)
            connection.abort()

    async def _pump(self, connection: Connection, reader, writer, direction: str, handshake_bytes: int):
        splitter = FrameSplitter(handshake_bytes)
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for kind, unit in splitter.feed(data):
                    if kind == "frame":
                        connection.frames[direction] += 1
                        fault = self._take_fault(connection.route, direction)
                        if fault:
                            unit = fault.apply(unit)
                            fault.applied_at = time.time()
                            fault.applied.set()
                    writer.write(unit)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            # One side ended: end the other too, as a direct TCP connection would.
            connection.abort()
