# d6g-ledger: `make run` starts a working node, `make test` runs the whole test suite.
# Both install what is missing first (Debian packages through scripts/install-deps.sh).

SWIFT ?= swift
RELEASE := -c release
BIN := .build/release

.PHONY: run test deps build bench bench-vm soak clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build $(RELEASE)

# Until the node core lands, `run` exercises the crypto stack with a fresh key.
run: build
	$(BIN)/d6g-node keygen

# The whole suite, built in release: pure-Swift hashing and 256-bit arithmetic
# are ~50x slower in debug. Swift Testing only (no XCTest tests exist).
test: deps
	$(SWIFT) build $(RELEASE) --build-tests
	$(SWIFT) test $(RELEASE) --skip-build --disable-xctest

# Component benchmarks (release). One at a time: make bench BENCHES=keccak
BENCHES ?= keccak uint256 crypto transactions trie storage mempool execution consensus rpc
bench: build bench-vm
	@for b in $(BENCHES); do echo "== d6g-bench $$b"; $(BIN)/d6g-bench $$b || exit 1; done

# The VM beside revm (TARGETS.md P5): pyrevm in a local venv, created on first use.
.venv/bin/python:
	python3 -m venv .venv && .venv/bin/pip install --quiet pyrevm==0.3.7

bench-vm: build .venv/bin/python
	$(BIN)/d6g-bench vm --dispatch

# Long seeded consensus simulations, outside `make test`.
soak: deps
	D6G_SIM_RUNS=$${D6G_SIM_RUNS:-50000} $(SWIFT) test $(RELEASE) --disable-xctest --filter ConsensusCoreTests

clean:
	rm -rf .build
