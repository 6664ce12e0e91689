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
printf '%-18s %-18s %10s %8s %10s %10s %8s\n' format source MB/s seconds records events rss_MiB
for f in $("$target/gen_source_log" --list | cut -f1); do
  [ -f "$dir/$f" ] || "$target/gen_source_log" "$f" "$dir/$f" "$size" 2>/dev/null
  "$target/bench_ingest" "$dir/$f" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("%-18s %-18s %10.1f %8.2f %10d %10d %8.0f" % (sys.argv[1], d["format"], d["mb_per_s"], d["seconds"], d["records"], d["events"], d["peak_rss_mib"]))
' "$f"
done
