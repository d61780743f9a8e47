"""R1: four validators and a follower under a steady load of transfers; validators are killed with
SIGKILL at random moments, one at a time and sometimes two at once, twenty times, each followed by
a restart. With one of four down the other three go on; with two of four down the chain stalls
and resumes once they are back. At the end every node holds the same chain and every transaction
that ever had a receipt has it, with status 1 and in the same block, on every node."""
import random
import time

KILLS = 20
DOUBLE_KILLS = 5   # of the twenty, this many take two validators down at once
SETTLE_S = 2.0     # after killing two, for a decision already under way to land
STALL_WATCH_S = 5.0


def test_kill_nine_validators_twenty_times_under_load(testnet_factory, load_factory, seed, report):
    rng = random.Random(seed)
    net = testnet_factory(validators=4, followers=1)
    for index in range(net.count):
        net.start(index)
    everyone = range(net.count)
    net.wait_for(lambda: all(net.height(i) >= 2 for i in everyone), timeout=60, what="all five at height 2")
    load = load_factory(net)
    net.wait_for(lambda: load.count() >= 10, timeout=60, what=f"the first receipts ({load.summary()})")

    doubles = set(rng.sample(range(KILLS), DOUBLE_KILLS))
    validators = list(range(net.validators))
    began = time.time()
    for event in range(1, KILLS + 1):
        time.sleep(rng.uniform(0.2, 2.0))   # anywhere in a height: proposing, voting, committing
        victims = sorted(rng.sample(validators, 2 if event - 1 in doubles else 1))
        net.kill(*victims)
        live = [i for i in everyone if i not in victims]
        if len(victims) == 2:
            # Two of four is not more than 2/3: nothing may be decided until one comes back.
            time.sleep(SETTLE_S)
            stalled_at = max(net.height(i) for i in live)
            time.sleep(STALL_WATCH_S)
            after = max(net.height(i) for i in live)
            assert after == stalled_at, (f"kill {event}: the chain went from {stalled_at} to {after} with validators "
                                         f"{victims} down (seed {seed})\n{net.log_tails()}")
            what = f"stalled at {stalled_at} for {STALL_WATCH_S:.0f} s"
            resume_from = stalled_at
        else:
            before = max(net.height(i) for i in live)
            net.wait_for(lambda: min(net.height(i) for i in live) >= before + 2, timeout=60,
                         what=f"kill {event}: progress with validator {victims[0]} down (seed {seed})")
            what = f"went on {before}→{min(net.height(i) for i in live)}"
            resume_from = before
        restarted = time.time()
        for victim in victims:
            net.start(victim)
        head = max(net.height(i) for i in live)
        # Back: the restarted ones at the head they missed, and (after a stall) new blocks on every node.
        goal = max(head, resume_from + 2)
        net.wait_for(lambda: all(net.height(i) >= goal for i in everyone), timeout=120,
                     what=f"kill {event}: nodes {victims} back and every node at {goal} (seed {seed})")
        report(f"kill {event}/{KILLS}: validator(s) {victims}: {what}; restarted, all at {goal} after "
               f"{time.time() - restarted:.1f} s; {load.count()} receipted so far")

    report(f"{KILLS} kills in {time.time() - began:.0f} s; load: {load.summary()}")
    load.stop()
    assert not load.failed, f"transfers with status ≠ 1: {load.failed}"
    receipted = load.receipted_hashes()
    assert len(receipted) >= 100, f"too little load to judge: {load.summary()}"
    top = net.assert_agreement(receipted=receipted)
    for index in everyone:
        halted = net.rpc(index, "d6g_nodeInfo")["halted"]
        assert halted is None, f"node{index} halted: {halted}"
    report(f"agreement: five nodes, heights 0…{top}, {len(receipted)} receipted transfers on every node")
