#!/usr/bin/env bash
# Parity and speed against plaso on a disk image: log2timeline (filestat only,
# then its default parsers) and `waybill ingest --target` on the same E01, one
# after the other; then the regular files each found and their modification
# times compared (NTFS metadata files and System Volume Information left out
# of both, as waybill stages neither).
#
#   crates/waybill-bench/peer/plaso_e01_parity.sh [IMAGE]
#       (default ../shared/data/targets/laptop-ntfs.E01)
#
# Needs the plaso venv of ../shared/tools/peer-setup.sh ($PEER_PREFIX, default
# ~/.cache/waybill-peers) and the release binary (cargo build --release -p waybill).
set -euo pipefail
cd "$(dirname "$0")/../../.."
image="$(realpath "${1:-../shared/data/targets/laptop-ntfs.E01}")"
venv="${PEER_PREFIX:-$HOME/.cache/waybill-peers}/plaso-venv/bin"
waybill="${CARGO_TARGET_DIR:-target}/release/waybill"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
secs() { echo "$2 - $1" | bc; }

s=$(date +%s.%N)
"$venv/log2timeline" --status_view none -u -q --logfile "$tmp/l2t.log" --storage_file "$tmp/filestat.plaso" \
  --parsers filestat "$image" >/dev/null 2>&1
e=$(date +%s.%N)
plaso_filestat=$(secs "$s" "$e")
s=$(date +%s.%N)
"$venv/log2timeline" --status_view none -u -q --logfile "$tmp/l2t-all.log" --storage_file "$tmp/all.plaso" \
  "$image" >/dev/null 2>&1
e=$(date +%s.%N)
plaso_all=$(secs "$s" "$e")
"$venv/psort" -q -o json_line -w "$tmp/plaso.jsonl" "$tmp/filestat.plaso" >/dev/null 2>&1

"$waybill" case new "$tmp/case" >/dev/null
s=$(date +%s.%N)
"$waybill" ingest "$tmp/case" --target "$image" >/dev/null
e=$(date +%s.%N)
waybill_s=$(secs "$s" "$e")
"$waybill" sql "$tmp/case" "SELECT c.path, e.ts FROM content c JOIN events e ON e.source = c.source AND e.record = c.record AND e.kind = 'fs.modified'" --format json > "$tmp/waybill.jsonl"

python3 - "$tmp/plaso.jsonl" "$tmp/waybill.jsonl" "$plaso_filestat" "$plaso_all" "$waybill_s" <<'PY'
import datetime, json, sys
plaso_path, waybill_path, p_fs, p_all, w = sys.argv[1:6]
plaso = {}
for line in open(plaso_path):
    ev = json.loads(line)
    if ev.get("data_type") != "fs:stat" or ev.get("timestamp_desc") != "Content Modification Time":
        continue
    if str(ev.get("file_entry_type", "")).lower() not in ("file", "2"):
        continue
    # plaso names NTFS entries with backslashes (\\Users\\ana\\…), ext ones with slashes.
    name = (ev.get("filename") or "").replace("\\", "/")
    rel = name.lstrip("/")
    if not rel or rel.startswith("$") or rel.startswith("System Volume Information"):
        continue
    plaso[rel] = int(ev["timestamp"])
waybill = {}
for line in open(waybill_path):
    row = json.loads(line)
    t = datetime.datetime.strptime(row["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    waybill[row["path"]] = int(t.timestamp()) * 1_000_000 + t.microsecond
only_p = sorted(set(plaso) - set(waybill))
only_w = sorted(set(waybill) - set(plaso))
differ = sorted(p for p in set(plaso) & set(waybill) if plaso[p] != waybill[p])
print(f"regular files: plaso {len(plaso)}, waybill {len(waybill)}, both {len(set(plaso) & set(waybill))}")
print(f"only plaso: {only_p}")
print(f"only waybill: {only_w}")
print(f"mtime differs (to the microsecond): {[(p, plaso[p], waybill[p]) for p in differ]}")
p_fs, p_all, w = float(p_fs), float(p_all), float(w)
print(f"wall time: plaso filestat {p_fs:.2f} s, plaso default parsers {p_all:.2f} s, waybill ingest --target {w:.2f} s"
      f" ({p_fs / w:.0f}x and {p_all / w:.0f}x)")
sys.exit(1 if only_p or only_w or differ else 0)
PY
