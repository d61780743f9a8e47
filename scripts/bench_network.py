#!/usr/bin/env python3
"""P3 of TARGETS.md on a local network (`make bench-network`): four validators as real
`d6g-node run` processes over TCP on loopback (`d6g-node testnet`), for each minimum block
interval asked for:

- throughput: `d6g-bench transfers` as fast as it can offer, submitted to one validator (the
  others get the transactions by gossip), first submit → last receipt;
- sustained: transfers offered at 3,000/s for 60 s (TARGETS.md P3), the rate committed;
- latency: transfers offered at 2,000/s for 30 s, submit → receipt p50 / p99;
- finality at rest: transfers offered at 20/s one per request, submit → receipt (the wait for
  the next block, then the votes and the commit);
- recovery: one validator killed with SIGKILL and restarted, the time from its start until
  it holds the others' head.

Prints each run's output and a summary table (Docs/benchmarks.md §Network). Run it with nothing
else building: the four nodes and the load generator share the machine's cores."""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))
from localnet import LocalTestnet  # noqa: E402


def bench(bench_binary: str, net: LocalTestnet, *args) -> str:
    command = [bench_binary, "transfers", "--rpc", net.rpc_url(0), "--dev", "--genesis", f"{net.root}/genesis.json", *args]
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    print(result.stdout + result.stderr, flush=True)
    if result.returncode != 0:
        raise SystemExit(f"d6g-bench failed ({result.returncode})")
    return result.stdout


def figure(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    return found.group(1) if found else "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=str(ROOT / ".build" / "release"))
    parser.add_argument("--intervals", default="100,250,500", help="minimum block intervals (ms), comma-separated")
    parser.add_argument("--count", type=int, default=30_000, help="transfers in the throughput run")
    parser.add_argument("--rate", type=int, default=2_000, help="offered transfers/s in the latency run")
    parser.add_argument("--duration", type=int, default=30, help="seconds of the latency run")
    parser.add_argument("--sustain", type=int, default=60, help="seconds of the sustained run (0: none)")
    parser.add_argument("--sustain-rate", type=int, default=3_000, help="offered transfers/s in the sustained run")
    options = parser.parse_args()
    node = os.path.join(options.bin, "d6g-node")
    load = os.path.join(options.bin, "d6g-bench")
    rows = []
    for interval in [int(x) for x in options.intervals.split(",")]:
        with tempfile.TemporaryDirectory(prefix=f"d6g-bench-net-{interval}-") as base:
            net = LocalTestnet(os.path.join(base, "net"), node, validators=4, followers=0,
                               testnet_args=("--min-block-interval-ms", str(interval),
                                             "--empty-block-period-ms", str(max(1_000, interval))))
            try:
                for index in range(4):
                    net.start(index)
                net.wait_for(lambda: all(net.height(i) >= 2 for i in range(4)), timeout=60, what="height 2")
                print(f"== minimum block interval {interval} ms", flush=True)
                fast = bench(load, net, "--count", str(options.count), "--senders", "64")
                steady = bench(load, net, "--rate", str(options.rate), "--duration", str(options.duration), "--senders", "128")
                sustained = bench(load, net, "--rate", str(options.sustain_rate), "--duration", str(options.sustain),
                                  "--senders", "128") if options.sustain else ""
                rest = bench(load, net, "--rate", "20", "--duration", "10", "--batch", "1", "--connections", "1")
                # Recovery: node 3 is killed, misses some blocks, and is started again.
                net.kill(3)
                time.sleep(5)
                started = time.time()
                net.start(3)
                net.wait_for(lambda: net.height(3) >= max(net.height(i) for i in range(3)) > 0, timeout=120,
                             what="node 3 to catch up")
                recovery = time.time() - started
                top = net.assert_agreement()
                rows.append((interval, figure(r"last receipt\): (\d+) tx/s", fast),
                             figure(r"last receipt\): (\d+) tx/s", sustained) + " / p99 " + figure(r"p99 (\d+ ms)", sustained),
                             figure(r"p50 (\d+ ms)", steady), figure(r"p99 (\d+ ms)", steady),
                             figure(r"p50 (\d+ ms)", rest), f"{recovery:.1f} s", top))
            finally:
                net.stop()
    print("\n| min block interval | tx/s as fast as offered | tx/s offered %d/s for %d s | p50 / p99 at %d/s | finality p50 at 20/s | recovery after kill -9 | heights, all agreeing |"
          % (options.sustain_rate, options.sustain, options.rate))
    print("|---|---|---|---|---|---|---|")
    for interval, tps, sustained, p50, p99, rest, recovery, top in rows:
        print(f"| {interval} ms | {tps} | {sustained} | {p50} / {p99} | {rest} | {recovery} | {top} |")


if __name__ == "__main__":
    main()
