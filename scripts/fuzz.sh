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

# The VM differential runs fastest as seeded structured runs of the plain release build (its
# generator already aims at the edges; under ASan and coverage instrumentation it is ~25× slower),
# in chunks of 50,000 programs with fresh seeds until the runs or the time are used up.
fuzz_vm_seeded() {
    local started=$SECONDS total=0 seed=${FUZZ_VM_SEED:-$RANDOM} divergences=0
    : > Fuzz/logs/vm.log
    while [ "$total" -lt "$RUNS" ] && [ $((SECONDS - started)) -lt "$SECONDS_EACH" ]; do
        if ! "$VM_BINARY" vm --runs 50000 --seed "$seed" --show 3 >> Fuzz/logs/vm.log 2>&1; then
            divergences=$((divergences + 1))
            echo "seed $seed diverged: d6g-fuzz vm --runs 50000 --seed $seed" >> Fuzz/logs/vm.log
        fi
        total=$((total + 50000))
        seed=$((seed + 1))
    done
    local elapsed=$((SECONDS - started))
    echo "vm (seeded): $total executions in ${elapsed} s, $((total / (elapsed > 0 ? elapsed : 1))) exec/s, $divergences diverging chunks"
}

# FUZZ_MUTATE=1: unguided mutants of the kept corpus in the plain release build instead of
# libFuzzer (d6g-fuzz mutate; ~25x the executions per second of the instrumented build for rpc),
# in chunks of 1,000,000 with fresh seeds.
fuzz_mutated() {
    local target=$1 started=$SECONDS total=0 seed=${FUZZ_SEED:-$RANDOM} findings=0
    : > "Fuzz/logs/$target.mutate.log"
    while [ "$total" -lt "$RUNS" ] && [ $((SECONDS - started)) -lt "$SECONDS_EACH" ]; do
        if ! "$VM_BINARY" mutate "$target" --runs 1000000 --seed "$seed" >> "Fuzz/logs/$target.mutate.log" 2>&1; then
            findings=$((findings + 1))
            echo "seed $seed: finding, see Fuzz/findings/$target" >> "Fuzz/logs/$target.mutate.log"
        fi
        total=$((total + 1000000))
        seed=$((seed + 1))
    done
    local elapsed=$((SECONDS - started))
    echo "$target (mutants): $total executions in ${elapsed} s, $((total / (elapsed > 0 ? elapsed : 1))) exec/s, $findings findings"
}

# The compiler's differential (random DSL contracts, compiled and evaluated), seeded like vm, in
# chunks of 500 contracts with 20 calls each.
fuzz_dsl_seeded() {
    local started=$SECONDS total=0 seed=${FUZZ_DSL_SEED:-$RANDOM} divergences=0
    : > Fuzz/logs/dsl.log
    while [ "$total" -lt "$RUNS" ] && [ $((SECONDS - started)) -lt "$SECONDS_EACH" ]; do
        if ! "$VM_BINARY" dsl --runs 500 --calls 20 --seed "$seed" >> Fuzz/logs/dsl.log 2>&1; then
            divergences=$((divergences + 1))
            echo "seed $seed diverged: d6g-fuzz dsl --runs 500 --seed $seed" >> Fuzz/logs/dsl.log
        fi
        total=$((total + 10000))
        seed=$((seed + 1))
    done
    local elapsed=$((SECONDS - started))
    echo "dsl (seeded): $total calls in ${elapsed} s, $((total / (elapsed > 0 ? elapsed : 1))) calls/s, $divergences diverging chunks"
}

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
