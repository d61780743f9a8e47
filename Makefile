# d6g-ledger: `make run` starts a working node, `make test` runs the whole test suite.
# Both install what is missing first (Debian packages through scripts/install-deps.sh).

SWIFT ?= swift
RELEASE := -c release
BIN := .build/release

.PHONY: run testnet test test-swift test-python crash-test e2e demo deps build bench bench-vm bench-dsl bench-transfers bench-gas bench-contracts bench-network bench-attestation soak simulate-nodes fuzz fuzz-build fuzz-seed clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build $(RELEASE)

# A one-validator development chain on http://127.0.0.1:8545 (Docs/operator-guide.md).
# DEV_FLAGS passes options through, e.g. make run DEV_FLAGS="--reset".
DEV_FLAGS ?=
run: build
	$(BIN)/d6g-node dev $(DEV_FLAGS)

# Four validators and a follower (VALIDATORS=N, FOLLOWERS=M) as local processes over TCP; Ctrl-C stops them.
testnet: build
	scripts/testnet.sh

# The whole suite, built in release: pure-Swift hashing and 256-bit arithmetic
# are ~50x slower in debug. Swift Testing first, then web3.py against a real node
# and the kill -9 crash test with 6 kills (`make crash-test` runs 10; the suite must
# stay under 15 minutes from a fresh clone on two cores).
test: test-swift test-python
	$(MAKE) crash-test CRASH_KILLS=6

test-swift: deps
	$(SWIFT) build $(RELEASE) --build-tests
	$(SWIFT) test $(RELEASE) --skip-build --disable-xctest

# Python tools in .venv, pinned in scripts/python-requirements.txt; rebuilt only when it changes.
PYTHON_STAMP := .venv/.python-requirements.stamp
$(PYTHON_STAMP): scripts/python-requirements.txt
	scripts/setup-venv.sh

# web3.py and eth-account against a real `d6g-node dev` on a free port (tests/python).
test-python: build $(PYTHON_STAMP)
	D6G_NODE_BIN=$(BIN)/d6g-node .venv/bin/python -m pytest -q tests/python

# kill -9 a node under a stream of transfers, 10 times; check head and receipts survive.
CRASH_KILLS ?= 10
crash-test: build $(PYTHON_STAMP)
	.venv/bin/python scripts/crash_test.py --binary $(BIN)/d6g-node --kills $(CRASH_KILLS)

# End-to-end fault scenarios on real `d6g-node run` processes over loopback (tests/e2e,
# Docs/testing.md): kill -9 under load, a partition through a TCP proxy, replayed, damaged and
# oversized frames, garbage at the P2P port, a node syncing from scratch. About 10 minutes, most of
# it the 300 s ban the frame faults earn, so it is not part of `make test`. D6G_E2E_SEED=N repeats a run.
e2e: build $(PYTHON_STAMP)
	D6G_NODE_BIN=$(BIN)/d6g-node .venv/bin/python -m pytest -q tests/e2e

# The D6G story on four local validators (scripts/demo.py): the MLFO, the SECaaS and 8 agents as real
# processes, initial attestation, rounds chained through the RoT, traffic, a tampered agent revoked
# and rekeyed out, a silent one made UNREACHABLE, then a scan for secrets in plaintext. About a
# minute; a live timeline in the terminal, the figures, timeline.json and chart.svg in demo-output/.
# DEMO_FLAGS passes options through, e.g. make demo DEMO_FLAGS="--deadline-blocks 4".
DEMO_FLAGS ?=
demo: build $(PYTHON_STAMP)
	.venv/bin/python scripts/demo.py --bin $(BIN) $(DEMO_FLAGS)

# Component benchmarks (release). One at a time: make bench BENCHES=keccak
BENCHES ?= keccak uint256 crypto transactions trie storage mempool execution consensus rpc
bench: build bench-vm
	@for b in $(BENCHES); do echo "== d6g-bench $$b"; $(BIN)/d6g-bench $$b || exit 1; done

# The VM beside revm (TARGETS.md P5): pyrevm in the local venv, installed on first use.
PYREVM_STAMP := .venv/.pyrevm-0.3.7.stamp
$(PYREVM_STAMP):
	test -x .venv/bin/python || python3 -m venv .venv
	.venv/bin/pip install --quiet pyrevm==0.3.7 && touch $@

bench-vm: build $(PYREVM_STAMP)
	$(BIN)/d6g-bench vm --dispatch

# The contract DSL beside Vyper on revm (TARGETS.md P5, scripts/bench_vyper.py): vyper, pyrevm and
# eth-keys in their own venv, .venv-bench, so benchmark tools never change the test venv (.venv);
# installed on first use and again when a pin (in the stamp's name) changes.
BENCH_DSL_PACKAGES := pyrevm==0.3.7 vyper==0.4.3 eth-keys==0.8.0 'eth-hash[pycryptodome]==0.8.0'
BENCH_DSL_STAMP := .venv-bench/.pyrevm-0.3.7-vyper-0.4.3-eth-keys-0.8.0-eth-hash-0.8.0.stamp
$(BENCH_DSL_STAMP):
	test -x .venv-bench/bin/python || python3 -m venv .venv-bench
	.venv-bench/bin/pip install --quiet $(BENCH_DSL_PACKAGES) && touch $@

bench-dsl: build $(BENCH_DSL_STAMP)
	$(BIN)/d6g-bench dsl --python .venv-bench/bin/python

# P3 on four local validators (real processes over TCP): throughput, latency at 2,000/s, finality
# and recovery after kill -9, at minimum block intervals of 100, 250 and 500 ms (scripts/bench_network.py).
bench-network: build $(PYTHON_STAMP)
	.venv/bin/python scripts/bench_network.py --bin $(BIN)

# P1 and P2 (issue 13): the demo's story with the real programs for 8, 16, 32 and 64 agents; step
# latency p50/p99, round time, tamper → revocation, the exposure windows (scripts/bench_attestation.py).
# Output in bench-output/attestation (bench.json). BENCH_FLAGS passes options, e.g. BENCH_FLAGS="--agents 8 16".
BENCH_FLAGS ?=
bench-attestation: build $(PYTHON_STAMP)
	.venv/bin/python scripts/bench_attestation.py --bin $(BIN) $(BENCH_FLAGS)

# ns per gas of every operation class on a 1M-account RocksDB state, and the worst-case block (P8).
bench-gas: build
	$(BIN)/d6g-bench gas

# Issue 12: gas and time per call of the D6G contracts on the VM, and their code sizes.
bench-contracts: build
	$(BIN)/d6g-bench d6g-contracts --agents 16

# Fuzzing (Docs/fuzzing.md), outside `make test`, which replays the kept corpus and findings.
# libFuzzer comes with the Swift toolchain; lld links the instrumented binary.
FUZZ_FLAGS := -Xswiftc -sanitize=fuzzer,address -Xswiftc -DD6G_LIBFUZZER -Xswiftc -use-ld=lld
fuzz-build: deps
	$(SWIFT) build $(RELEASE) --product d6g-fuzz --scratch-path .build-fuzz $(FUZZ_FLAGS)

# Every target until FUZZ_RUNS executions (default 10 million) or FUZZ_SECONDS (default 600) each.
fuzz: fuzz-build build
	scripts/fuzz.sh $(FUZZ_TARGETS)

# Seeds Fuzz/corpus from the vectors in Tests/Vectors and the contracts in Contracts/.
fuzz-seed: build
	python3 scripts/fuzz_seed.py --assembler $(BIN)/d6g-node

# Long seeded consensus simulations, outside `make test`.
soak: deps
	D6G_SIM_RUNS=$${D6G_SIM_RUNS:-50000} $(SWIFT) test $(RELEASE) --disable-xctest --filter ConsensusCoreTests

# Long seeded simulations of whole nodes (the real driver, execution and storage), outside
# `make test`; D6G_NODE_SIM_SEED=N replays one seed.
simulate-nodes: deps
	SWIFT_DETERMINISTIC_HASHING=1 D6G_NODE_SIM_RUNS=$${D6G_NODE_SIM_RUNS:-2000} $(SWIFT) test $(RELEASE) --disable-xctest --filter NodeSimulationTests

clean:
	rm -rf .build
