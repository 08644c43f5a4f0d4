#!/usr/bin/env bash
# A long libFuzzer run: RUNS executions of each target (default 10 million),
# starting from the seeds the test command replays plus the kept regressions.
# Prints one line per target: executions, seconds, executions/s, coverage
# and whether it found anything (the input is then under fuzz/artifacts/).
# Needs a nightly toolchain and cargo-fuzz (README: Fuzzing).
#
#   fuzz/long_run.sh [RUNS] [TARGET...]
#
# Targets run one after another; to use two cores, start two with different
# target lists.
set -euo pipefail
RUNS=${1:-10000000}
shift || true
TARGETS=${*:-machine packet engine_paused_server engine_server engine_client record_layer record_differential imports}
cd "$(dirname "$0")/.."
cargo build -p wassl
WASSL_FUZZ_SEEDS=$PWD/fuzz/corpus cargo test -p wassl-tests --test fuzz_corpus -- --ignored write_seeds >/dev/null
cd fuzz
export WASSL_GUEST_WASM=$PWD/../target/guest/wasm32-wasip2/guest/wassl_guest.wasm
cargo +nightly fuzz build -O -s none
mkdir -p logs
for t in $TARGETS; do
    mkdir -p "corpus/$t" "artifacts/$t"
    cp regressions/"$t"/* "corpus/$t/" 2>/dev/null || true
    start=$(date +%s)
    before=$(ls "artifacts/$t" | wc -l)
    target/x86_64-unknown-linux-gnu/release/"$t" "corpus/$t" -runs="$RUNS" -timeout=30 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"logs/$t.log" 2>&1 || true
    # A finding leaves its input under artifacts/; an interrupted run does not.
    status=clean
    [ "$(ls "artifacts/$t" | wc -l)" -gt "$before" ] && status="FOUND (artifacts/$t/)"
    secs=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log")
    cov=$(grep -o 'cov: [0-9]*' "logs/$t.log" | tail -1)
    echo "$t: ${execs:-0} executions in ${secs} s ($(( ${execs:-0} / (secs > 0 ? secs : 1) ))/s), $cov, $status"
done
