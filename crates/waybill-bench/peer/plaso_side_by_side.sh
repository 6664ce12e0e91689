#!/usr/bin/env bash
# Side-by-side: plaso's log2timeline (text/apache_access) and waybill ingest on the
# same combined-format access log, one after the other on the same machine.
#
#   crates/waybill-bench/peer/plaso_side_by_side.sh [LINES]   (default 100000)
#
# Needs the plaso venv of ../shared/tools/peer-setup.sh ($PEER_PREFIX, default
# ~/.cache/waybill-peers) and the release binaries (cargo build --release -p waybill-bench -p waybill).
set -euo pipefail
cd "$(dirname "$0")/../../.."
lines="${1:-100000}"
venv="${PEER_PREFIX:-$HOME/.cache/waybill-peers}/plaso-venv/bin"
target="${CARGO_TARGET_DIR:-target}/release"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
# A plain combined log (no custom fields), which both tools read without options.
"$target/gen_access_log" "$tmp/gen.log" "--lines=$lines" 42
sed -E 's/ "[^"]*" "[^"]*" "[^"]*" "[^"]*" "[^"]*"$//' "$tmp/gen.log" > "$tmp/access.log"
echo "input: $(wc -l < "$tmp/access.log") lines, $(stat -c %s "$tmp/access.log") bytes"
s=$(date +%s.%N)
"$venv/log2timeline" --status_view none -u -q --logfile "$tmp/l2t.log" --storage_file "$tmp/p.plaso" \
  --parsers text/apache_access "$tmp/access.log" >/dev/null 2>&1
e=$(date +%s.%N)
pev=$(sqlite3 "$tmp/p.plaso" 'select count(*) from event')
echo "plaso: $pev events in $(echo "$e - $s" | bc) s"
"$target/waybill" case new "$tmp/case" >/dev/null
s=$(date +%s.%N)
"$target/waybill" ingest "$tmp/case" "$tmp/access.log" >/dev/null
e=$(date +%s.%N)
wev=$("$target/waybill" sql "$tmp/case" "SELECT count(*) AS n FROM events" --format csv | tail -1)
echo "waybill: $wev events in $(echo "$e - $s" | bc) s"
