#!/usr/bin/env bash
# Side-by-side: `evtx_dump` (the evtx crate's own CLI) and `waybill ingest` on the
# same large EVTX file, runs interleaved (RUNS, default 5).
#
#   crates/waybill-bench/peer/evtx_side_by_side.sh [SIZE]    (default 512MiB)
#
# The file is built by gen_evtx from the chunks of the real logs in
# ../shared/data/real/windows (security.evtx and System.evtx, repeated).
# evtx_dump is taken from $EVTX_DUMP, else PATH; build it with
# `cargo install evtx --version 0.15.1 --root DIR` (the version waybill links).
# Needs the release binaries (cargo build --release -p waybill-bench -p waybill).
set -euo pipefail
cd "$(dirname "$0")/../../.."
size="${1:-512MiB}"
target="${CARGO_TARGET_DIR:-target}/release"
real="${WAYBILL_REAL:-../shared/data/real}/windows"
dump="${EVTX_DUMP:-$(command -v evtx_dump || true)}"
[ -x "$dump" ] || { echo "evtx_dump not found: set EVTX_DUMP or install it (see the header)" >&2; exit 2; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$target/gen_evtx" "$tmp/big.evtx" "$size" "$real/omerbenamram_evtx/security.evtx" "$real/plaso/System.evtx"
echo "evtx_dump: $("$dump" --version)"
# The runs are interleaved (this machine's speed drifts by 20 % over minutes):
# each round runs evtx_dump on all threads, then waybill ingest into a fresh
# case; the median and range of each are printed at the end.
runs="${RUNS:-5}"
for i in $(seq "$runs"); do
  /usr/bin/time -o "$tmp/t" -f "%e %U %S %M" "$dump" -o jsonl "$tmp/big.evtx" > /dev/null
  echo "evtx_dump $(cat "$tmp/t")" | tee -a "$tmp/times"
  rm -rf "$tmp/case"
  "$target/waybill" case new "$tmp/case" > /dev/null
  /usr/bin/time -o "$tmp/t" -f "%e %U %S %M" "$target/waybill" ingest "$tmp/case" "$tmp/big.evtx" > /dev/null
  echo "waybill_ingest $(cat "$tmp/t")" | tee -a "$tmp/times"
done
/usr/bin/time -f "evtx_dump -o jsonl -t 1: %e s wall, %U s user, %M KiB peak" \
  "$dump" -o jsonl -t 1 "$tmp/big.evtx" > /dev/null
python3 - "$tmp/times" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    tool, wall, user, sys_, rss = line.split()
    rows.setdefault(tool, []).append((float(wall), float(user) + float(sys_), int(rss)))
for tool, r in rows.items():
    walls = sorted(x[0] for x in r)
    cpus = sorted(x[1] for x in r)
    print(f"{tool:15} wall median {walls[len(walls) // 2]:.2f} s (range {walls[0]:.2f}-{walls[-1]:.2f}), "
          f"CPU median {cpus[len(cpus) // 2]:.2f} s, peak {max(x[2] for x in r) // 1024} MiB, {len(r)} runs")
PY
echo "records: $("$dump" -o jsonl "$tmp/big.evtx" 2>/dev/null | wc -l) (evtx_dump)"
"$target/waybill" sql "$tmp/case" "SELECT count(*) AS events FROM events" --format csv
