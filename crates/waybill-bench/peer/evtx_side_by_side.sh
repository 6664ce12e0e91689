#!/usr/bin/env bash
# Side-by-side: `evtx_dump` (the evtx crate's own CLI) and `waybill ingest` on the
# same large EVTX file, one after the other, each run three times.
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
for i in 1 2 3; do
  /usr/bin/time -f "evtx_dump -o jsonl (all threads): %e s wall, %U s user, %M KiB peak" \
    "$dump" -o jsonl "$tmp/big.evtx" > /dev/null
done
for i in 1 2 3; do
  /usr/bin/time -f "evtx_dump -o jsonl -t 1: %e s wall, %U s user, %M KiB peak" \
    "$dump" -o jsonl -t 1 "$tmp/big.evtx" > /dev/null
done
for i in 1 2 3; do
  rm -rf "$tmp/case"
  "$target/waybill" case new "$tmp/case" > /dev/null
  /usr/bin/time -f "waybill ingest: %e s wall, %U s user, %M KiB peak" \
    "$target/waybill" ingest "$tmp/case" "$tmp/big.evtx" > /dev/null
done
echo "records: $("$dump" -o jsonl "$tmp/big.evtx" 2>/dev/null | wc -l) (evtx_dump)"
"$target/waybill" sql "$tmp/case" "SELECT count(*) AS events FROM events" --format csv
