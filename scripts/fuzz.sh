#!/usr/bin/env bash
# Runs libFuzzer on each fuzz target (Docs/fuzzing.md), two at a time on this 2-core machine.
# Each target runs until FUZZ_RUNS executions or FUZZ_SECONDS seconds, whichever comes first,
# growing its corpus in Fuzz/corpus/<target>; an input that breaks a check or traps is written to
# Fuzz/findings/<target>/, which `make test` replays. The corpus is then minimised in place.
# Usage: scripts/fuzz.sh [TARGET…]   (default: every target; FUZZ_VM_LIBFUZZER=1 runs vm under
# libFuzzer too; FUZZ_MUTATE=1 runs the others as corpus mutants, below)
set -euo pipefail
cd "$(dirname "$0")/.."
BINARY=.build-fuzz/release/d6g-fuzz
# The plain release build runs the VM differential; FUZZ_VM_BINARY names a copy of it, so that a
# long run is not disturbed by rebuilding .build.
VM_BINARY=${FUZZ_VM_BINARY:-.build/release/d6g-fuzz}
RUNS=${FUZZ_RUNS:-10000000}
SECONDS_EACH=${FUZZ_SECONDS:-600}
JOBS=${FUZZ_JOBS:-2}
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then TARGETS=(rlp transaction json container assembly rpc vm dsl); fi
mkdir -p Fuzz/logs

# Runs `d6g-fuzz ARGS…` (the plain release build) in chunks with fresh seeds, until the runs or the
# time are used up; each chunk counts UNITS executions. "@SEED" in ARGS is the chunk's seed.
# Usage: fuzz_chunks NAME UNITS FIRST_SEED ARGS…
fuzz_chunks() {
    local name=$1 units=$2 seed=$3 started=$SECONDS total=0 failures=0
    shift 3
    : > "Fuzz/logs/$name.log"
    while [ "$total" -lt "$RUNS" ] && [ $((SECONDS - started)) -lt "$SECONDS_EACH" ]; do
        if ! "$VM_BINARY" "${@//@SEED/$seed}" >> "Fuzz/logs/$name.log" 2>&1; then
            failures=$((failures + 1))
            echo "seed $seed failed: d6g-fuzz ${*//@SEED/$seed}" >> "Fuzz/logs/$name.log"
        fi
        total=$((total + units))
        seed=$((seed + 1))
    done
    local elapsed=$((SECONDS - started))
    echo "$name: $total executions in ${elapsed} s, $((total / (elapsed > 0 ? elapsed : 1))) exec/s, $failures failing chunks"
}

# The VM differential runs fastest as seeded structured runs of the plain release build (its
# generator already aims at the edges; under ASan and coverage instrumentation it is ~25× slower),
# in chunks of 50,000 programs.
fuzz_vm_seeded() { fuzz_chunks vm 50000 "${FUZZ_VM_SEED:-$RANDOM}" vm --runs 50000 --seed @SEED --show 3; }

# The compiler's differential (random DSL contracts, compiled and evaluated), seeded like vm, in
# chunks of 500 contracts with 20 calls each.
fuzz_dsl_seeded() { fuzz_chunks dsl 10000 "${FUZZ_DSL_SEED:-$RANDOM}" dsl --runs 500 --calls 20 --seed @SEED; }

# FUZZ_MUTATE=1: unguided mutants of the kept corpus in the plain release build instead of
# libFuzzer (d6g-fuzz mutate; ~25x the executions per second of the instrumented build for rpc),
# in chunks of 1,000,000.
fuzz_mutated() { fuzz_chunks "$1.mutate" 1000000 "${FUZZ_SEED:-$RANDOM}" mutate "$1" --runs 1000000 --seed @SEED; }

fuzz_one() {
    local target=$1
    if [ "$target" = dsl ]; then fuzz_dsl_seeded; return; fi
    if [ "$target" = vm ] && [ "${FUZZ_VM_LIBFUZZER:-0}" = 0 ]; then fuzz_vm_seeded; return; fi
    if [ "$target" != vm ] && [ "${FUZZ_MUTATE:-0}" = 1 ]; then fuzz_mutated "$target"; return; fi
    mkdir -p "Fuzz/corpus/$target" "Fuzz/findings/$target"
    D6G_FUZZ_TARGET=$target "$BINARY" "Fuzz/corpus/$target" -runs="$RUNS" -max_total_time="$SECONDS_EACH" \
        -timeout=10 -rss_limit_mb=4096 -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="Fuzz/findings/$target/" > "Fuzz/logs/$target.log" 2>&1 || true
    # Keep only the inputs that add coverage.
    local minimal
    minimal=$(mktemp -d)
    D6G_FUZZ_TARGET=$target "$BINARY" -merge=1 "$minimal" "Fuzz/corpus/$target" > "Fuzz/logs/$target.merge.log" 2>&1 || true
    if [ -n "$(ls -A "$minimal")" ]; then rm -rf "Fuzz/corpus/$target"; mv "$minimal" "Fuzz/corpus/$target"; else rm -rf "$minimal"; fi
    local runs rate cover findings
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "Fuzz/logs/$target.log" | awk '{print $2}')
    rate=$(grep -o 'exec/s: [0-9]*' "Fuzz/logs/$target.log" | tail -1 | awk '{print $2}')
    cover=$(grep -o 'cov: [0-9]*' "Fuzz/logs/$target.log" | tail -1 | awk '{print $2}')
    findings=$(find "Fuzz/findings/$target" -type f | wc -l)
    echo "$target: ${runs:-0} executions, ${rate:-0} exec/s, coverage ${cover:-0} edges, $(ls "Fuzz/corpus/$target" | wc -l) corpus inputs, $findings findings"
}

running=0
for target in "${TARGETS[@]}"; do
    fuzz_one "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait
