#!/usr/bin/env bash
# Nightly-style fuzzing of waybill's readers of hostile input.
#
#   fuzz/run.sh [SECONDS_PER_TARGET]     (default 600)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Each
# target runs for the given time with libFuzzer limits: 1 s per input
# (`-timeout`), 2 GiB RSS (`-rss_limit_mb`) — a hang or an unbounded allocation
# is a finding like a panic. Seeds: the target's regressions, the ingest
# fixtures and, when present, the shared corpus of real artifacts (read only).
# A finding is written to fuzz/artifacts/<target>/; once fixed, copy it into
# fuzz/regressions/<target>/, where `cargo test -p waybill-fuzz` replays it.
# The summary line per target gives executions and time.
set -euo pipefail
secs="${1:-600}"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
mkdir -p logs
status=0
for t in sources hash_set log_format; do
    mkdir -p "corpus/$t"
    seeds=("regressions/$t")
    if [ "$t" = sources ]; then
        seeds+=("../crates/waybill-ingest/tests/fixtures")
        [ -d ../../shared/data/real ] && seeds+=("../../shared/data/real")
    fi
    set +e
    cargo +nightly fuzz run "$t" "corpus/$t" "${seeds[@]}" -- \
        -max_total_time="$secs" -timeout=1 -rss_limit_mb=2048 -max_len=262144 \
        -print_final_stats=1 >"logs/$t.log" 2>&1
    rc=$?
    set -e
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' || echo "?")
    echo "$t: exit $rc, $execs executions in ${secs}s (log fuzz/logs/$t.log)"
    [ "$rc" -ne 0 ] && status=1
done
exit "$status"
