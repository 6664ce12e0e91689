#!/usr/bin/env bash
# Ingest speed of every text source of the messaging, cloud and CDN issue:
# gen_source_log writes SIZE of each format, bench_ingest ingests it into a
# fresh case (parse, hash, Parquet, manifest) and prints MB/s and peak memory.
#
#   crates/waybill-bench/peer/sources_speed.sh [SIZE] [DIR]     (default 256MiB, a temp folder)
#
# Needs the release binaries (cargo build --release -p waybill-bench -p waybill).
set -euo pipefail
cd "$(dirname "$0")/../../.."
size="${1:-256MiB}"
target="${CARGO_TARGET_DIR:-target}/release"
dir="${2:-$(mktemp -d)}"
mkdir -p "$dir"
runs="${RUNS:-3}"
# Each format is ingested $runs times (the machine's speed varies by 20 % from
# run to run): MB/s of the median run, and the lowest and highest.
printf '%-18s %-18s %10s %15s %10s %10s %8s\n' format source MB/s min-max records events rss_MiB
for f in $("$target/gen_source_log" --list | cut -f1); do
  [ -f "$dir/$f" ] || "$target/gen_source_log" "$f" "$dir/$f" "$size" 2>/dev/null
  for _ in $(seq "$runs"); do "$target/bench_ingest" "$dir/$f"; echo; done | python3 -c '
import json, sys
runs = [json.loads(l) for l in sys.stdin if l.strip()]
mbs = sorted(d["mb_per_s"] for d in runs)
d = runs[0]
print("%-18s %-18s %10.1f %7.1f-%-7.1f %10d %10d %8.0f" % (sys.argv[1], d["format"], mbs[len(mbs) // 2], mbs[0], mbs[-1], d["records"], d["events"], max(r["peak_rss_mib"] for r in runs)))
' "$f"
done
