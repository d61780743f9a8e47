"""A node that joins late: four validators run under a load of transfers (an empty block at most
every 250 ms) until they are past height 60; only then is the follower's data directory
initialised from the same genesis and its process started. It fetches the committed blocks with
their certificates, executes them, reaches the head and then follows it; every node agrees."""
import time

START_AT = 60


def test_a_follower_started_at_height_60_syncs_and_follows(testnet_factory, load_factory, report):
    net = testnet_factory(validators=4, followers=1, testnet_args=("--empty-block-period-ms", "250"),
                          uninitialised={4})
    follower = 4
    validators = range(net.validators)
    for index in validators:
        net.start(index)
    net.wait_for(lambda: all(net.height(i) >= 2 for i in validators), timeout=60, what="the validators at height 2")
    load = load_factory(net, targets=validators)
    net.wait_for(lambda: min(net.height(i) for i in validators) >= START_AT, timeout=180,
                 what=f"the validators at height {START_AT}")

    net.initialise(follower)
    head = max(net.height(i) for i in validators)
    started = time.time()
    net.start(follower)
    net.wait_for(lambda: net.height(follower) >= head, timeout=120, what=f"the new follower to reach {head}")
    synced_s = time.time() - started
    fetched = net.log_text(follower).count("synced=true")
    assert fetched >= START_AT - 5, (f"the follower reached {head} having committed only {fetched} fetched blocks "
                                     f"(synced=true): it did not sync from its peers")
    # The progress line at the end of the sync (and, if it took longer than 2 s, "syncing" lines).
    done = [line for line in net.log_text(follower).splitlines() if "sync done" in line]
    assert done, "the follower never logged 'sync done'"

    # Following: the validators go on, and it stays with them.
    mark = max(net.height(i) for i in validators)
    net.wait_for(lambda: net.height(follower) >= mark + 20, timeout=60, what=f"the follower to follow to {mark + 20}")
    lag = max(net.height(i) for i in validators) - net.height(follower)
    report(f"follower started with the validators at {head}: reached it in {synced_s:.1f} s ({fetched} fetched "
           f"blocks committed), then followed to {mark + 20}; behind the head by {lag} at the end")

    load.stop()
    assert not load.failed, f"transfers with status ≠ 1: {load.failed}"
    receipted = load.receipted_hashes()
    assert any(block <= head for block in load.receipted.values()), "no transfer in the blocks the follower synced"
    top = net.assert_agreement(receipted=receipted)
    report(f"agreement: five nodes, heights 0…{top}, {len(receipted)} receipted transfers on every node")
