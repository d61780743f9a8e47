"""R3: one validator cut off from every other node for 30 s by a TCP proxy, then reconnected.

Every connection to or from the isolated validator goes through FaultProxy routes: its own
`[p2p] peers` name a route to each other node, and every other node (the follower too) names a
route to it. The cut closes what the routes carry, then refuses new connections for 15 s
(nothing listens) and blackholes them for 15 s (accepted, never answered). The other three
validators, more than 2/3, go on; the isolated one commits nothing; after the reconnect it
catches up and every node agrees."""
import random
import time

REFUSE_S = 15.0
BLACKHOLE_S = 15.0


def route_everything_through(net, proxy, isolated: int) -> list:
    """Rewrites the configuration files so that every dial from or to `isolated` goes through a
    route of `proxy`; returns the routes."""
    routes = []

    def choose(dialler, target):
        if isolated not in (dialler, target):
            return None
        routes.append(proxy.route(net.p2p_port(target), dialler=dialler, target=target))
        return routes[-1].port

    net.redirect_peers(choose)
    return routes


def test_a_validator_cut_off_for_30_seconds_catches_up(testnet_factory, proxy_factory, load_factory, seed, report):
    rng = random.Random(seed)
    net = testnet_factory(validators=4, followers=1)
    isolated = rng.randrange(net.validators)
    others = [i for i in range(net.count) if i != isolated]
    other_validators = [i for i in others if i < net.validators]
    proxy = proxy_factory(avoid=range(net.rpc_base, net.p2p_base + net.count))
    routes = route_everything_through(net, proxy, isolated)
    # Three validators and the follower dial it; it dials the three validators.
    assert len(routes) == 2 * (net.validators - 1) + 1, routes
    for index in range(net.count):
        net.start(index)
    net.wait_for(lambda: all(net.height(i) >= 2 for i in range(net.count)), timeout=60, what="all five at height 2")
    keys = {i: net.node_key(i) for i in range(net.count)}
    net.wait_for(lambda: net.peer_keys(isolated) == {keys[i] for i in others}, timeout=60,
                 what=f"node{isolated} in session with all four others through the proxy")
    assert sum(route.relayed for route in routes) >= len(others)
    load = load_factory(net)
    net.wait_for(lambda: load.count() >= 10, timeout=60, what=f"the first receipts ({load.summary()})")

    # The cut.
    cut_at = time.time()
    proxy.cut("refuse")
    others_at_cut = max(net.height(i) for i in other_validators)
    net.wait_for(lambda: not net.peer_keys(isolated), timeout=15, what=f"node{isolated} to lose its sessions")
    net.wait_for(lambda: all(keys[isolated] not in net.peer_keys(i) for i in others), timeout=15,
                 what=f"the others to lose node{isolated}")
    time.sleep(2.0)   # what reached it just before the cut is processed by now
    frozen = net.height(isolated)
    report(f"node{isolated} cut off at height {frozen}, the others at {others_at_cut}")
    blackholed = False
    while time.time() - cut_at < REFUSE_S + BLACKHOLE_S:
        if not blackholed and time.time() - cut_at >= REFUSE_S:
            proxy.cut("blackhole")
            blackholed = True
        height = net.height(isolated)
        assert height != -1, f"node{isolated} stopped answering JSON-RPC while cut off\n{net.log_tails()}"
        assert height == frozen, (f"node{isolated} went from {frozen} to {height} while cut off from every other "
                                  f"node (seed {seed})\n{net.log_tails()}")
        assert not net.peer_keys(isolated), f"node{isolated} has sessions while cut off: {net.peer_keys(isolated)}"
        time.sleep(0.5)
    others_at_reconnect = min(net.height(i) for i in other_validators)
    assert others_at_reconnect >= others_at_cut + 5, (
        f"three of four validators went only from {others_at_cut} to {others_at_reconnect} in "
        f"{REFUSE_S + BLACKHOLE_S:.0f} s\n{net.log_tails()}")
    # The nodes kept dialling through the cut; the blackhole swallowed those attempts.
    assert sum(route.blackholed for route in routes) >= 1, "no node dialled while the link was blackholed"

    # The reconnect.
    synced_before = net.log_text(isolated).count("synced=true")
    proxy.restore()
    restored_at = time.time()
    net.wait_for(lambda: net.height(isolated) >= others_at_reconnect, timeout=120,
                 what=f"node{isolated} to catch up to {others_at_reconnect} (seed {seed})")
    caught_up = time.time() - restored_at
    net.wait_for(lambda: net.peer_keys(isolated) == {keys[i] for i in others}, timeout=90,
                 what=f"node{isolated} in session with all four again")
    sessions_back = time.time() - restored_at
    head = max(net.height(i) for i in other_validators)
    net.wait_for(lambda: net.height(isolated) >= head + 2, timeout=60, what=f"node{isolated} to follow the head")
    synced_after = net.log_text(isolated).count("synced=true")
    assert synced_after > synced_before, (f"node{isolated} caught up without committing a fetched block "
                                          f"(no 'synced=true' line since the reconnect)")
    report(f"cut {REFUSE_S + BLACKHOLE_S:.0f} s: the others went {others_at_cut}→{others_at_reconnect}; after the "
           f"reconnect node{isolated} reached {others_at_reconnect} in {caught_up:.1f} s "
           f"({synced_after - synced_before} fetched blocks committed), all four sessions back in "
           f"{sessions_back:.1f} s")

    load.stop()
    assert not load.failed, f"transfers with status ≠ 1: {load.failed}"
    receipted = load.receipted_hashes()
    top = net.assert_agreement(receipted=receipted)
    report(f"agreement: five nodes, heights 0…{top}, {len(receipted)} receipted transfers on every node; "
           f"load {load.summary()}")


def test_two_cut_links_do_not_stop_the_chain(testnet_factory, proxy_factory, load_factory, report):
    """Links 0–1 and 2–3 cut at once, for 20 s: every validator still reaches two of the other
    three, so each one's proposals and votes reach the one it cannot reach through the others
    (each node relays a validator's message of the current height once). The chain goes on."""
    net = testnet_factory(validators=4, followers=0)
    proxy = proxy_factory(avoid=range(net.rpc_base, net.p2p_base + net.count))
    cut = {(0, 1), (1, 0), (2, 3), (3, 2)}
    net.redirect_peers(lambda dialler, target: proxy.route(net.p2p_port(target), dialler, target).port
                       if (dialler, target) in cut else None)
    for index in range(net.count):
        net.start(index)
    net.wait_for(lambda: min(net.heights()) >= 3, timeout=60, what="height 3")
    load = load_factory(net)
    proxy.cut("refuse")
    before = min(net.heights())
    time.sleep(20)
    during = min(net.heights())
    sessions = [len(net.peer_keys(i)) for i in range(net.count)]
    proxy.restore()
    report(f"with links 0–1 and 2–3 cut for 20 s: every node went from {before} to at least {during}; "
           f"sessions per node {sessions}")
    assert all(count == 2 for count in sessions), f"the cut links were not down: sessions {sessions}"
    assert during >= before + 10, f"only {during - before} heights in 20 s with two links cut"
    load.stop()
    assert not load.failed, f"transfers with status ≠ 1: {load.failed}"
    net.assert_agreement(receipted=load.receipted_hashes())
