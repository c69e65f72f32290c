#!/usr/bin/env bash
# HJ 212 server benchmark (issue 7): simulated data loggers on loopback against `zeropark serve`
# (frames parsed, authenticated, stored and evaluated; 9014 replies after the commit). Reports
# accepted frames per second and the largest alarm latency from /metrics. Builds nothing.
# HJ 212 接入基准：回环上的模拟数采仪，每秒入库报文数与最大告警延迟。
#
# Usage: bash bench/hj212_server_bench.sh [--zeropark PATH] [--loggers N] [--rate R]
#                                         [--duration S] [--keep]
#   defaults: build-release/apps/zeropark/zeropark, 1000 loggers, 25 real-time frames/logger/s,
#   30 s. The target: >= 20,000 frames/s and alarm latency < 1 s with 1,000 loggers.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ZP="$ROOT/build-release/apps/zeropark/zeropark"
LOGGERS=1000
RATE=25
DURATION=30
KEEP=0
while (($#)); do
  case "$1" in
    --zeropark) ZP="$2"; shift 2 ;;
    --loggers) LOGGERS="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x "$ZP" ]] || { echo "no zeropark binary at $ZP (build it, or pass --zeropark)" >&2; exit 1; }
ZP="$(readlink -f "$ZP")"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if ((KEEP)); then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
DB="$WORK/bench.zpdb"

echo "machine: $(uname -sr), $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$ZP" demo --db "$DB" --no-serve --days 1 >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log" >&2; exit 1; }
# The fleet: its options (for the simulator, which cannot open the database the server holds) and
# its sources (registered in the park).
"$ZP" hj212-sim --db "$DB" --loggers "$LOGGERS" --seed 212 --print-fleet >"$WORK/fleet.json"
"$ZP" hj212-sim --fleet "$WORK/fleet.json" --print-sources >"$WORK/sources.json"
"$ZP" env sources import --db "$DB" --file "$WORK/sources.json" >/dev/null
# /metrics needs an account (park-read); an administrator token for this script.
"$ZP" user add --db "$DB" --username bench --role admin --generate-password >/dev/null
TOKEN="$("$ZP" token issue --db "$DB" --username bench --name bench 2>/dev/null)"

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
"$ZP" serve --db "$DB" --port 0 --hj212-port 0 2>"$WORK/serve.err" &
SERVER_PID=$!
HTTP_PORT="" HJ_PORT=""
for _ in $(seq 1 200); do
  HTTP_PORT="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/serve.err" | head -1 | cut -d: -f3 || true)"
  HJ_PORT="$(sed -n 's/.*HJ 212.* port \([0-9][0-9]*\).*/\1/p' "$WORK/serve.err" | head -1 || true)"
  [[ -n "$HTTP_PORT" && -n "$HJ_PORT" ]] && break
  sleep 0.05
done
if [[ -z "$HTTP_PORT" || -z "$HJ_PORT" ]]; then
  echo "serve did not report its ports:" >&2; cat "$WORK/serve.err" >&2; exit 1
fi

metrics() {  # metrics NAME: the value of an unlabelled metric
  exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT"
  printf 'GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n' "$TOKEN" >&3
  local body
  body="$(cat <&3)"
  exec 3<&-
  awk -v n="$1" '$1 == n { print $2 }' <<<"$body" | tail -1 || true
}

BEFORE="$(metrics zp_hj212_frames_accepted_total)"
T0="$(date +%s.%N)"
"$ZP" hj212-sim --fleet "$WORK/fleet.json" --port "$HJ_PORT" --rate "$RATE" --duration "$DURATION" \
  | tee "$WORK/sim.out" | awk 'NR == 1 || /done:/ || NR % 5 == 0'
T1="$(date +%s.%N)"
AFTER="$(metrics zp_hj212_frames_accepted_total)"
LATENCY="$(metrics zp_env_alarm_latency_seconds_max)"
RAISED="$(metrics zp_env_alarms_raised_total)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$LOGGERS" "$RATE" "${BEFORE:-0}" "${AFTER:-0}" "$T0" "$T1" "${LATENCY:-}" "${RAISED:-}" \
  "$WORK/sim.out" <<'PY'
import re, sys
loggers, rate, before, after, t0, t1, latency, raised, sim = sys.argv[1:10]
text = open(sim).read()
m = re.search(r"done: ([\d.]+) s, sent (\d+) frames .*replies (\d+), refused (\d+), timeouts (\d+)", text)
seconds, sent, replies, refused, timeouts = (float(m.group(1)), *map(int, m.groups()[1:])) if m else (0, 0, 0, 0, 0)
accepted = float(after) - float(before)
if accepted <= 0 and replies:
    # No zp_hj212_frames_accepted_total in /metrics: each 9014 reply stands for a stored frame.
    print("(no HJ 212 counters in /metrics: frames/s from the simulator's acknowledged frames)")
    accepted = replies
fps = accepted / seconds if seconds else 0
print()
print("| loggers | rate (2011/logger/s) | seconds | frames sent | replies | refused | timeouts | "
      "frames accepted | accepted frames/s | alarms raised | max alarm latency |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
lat = f"{float(latency):.3f} s" if latency else "n/a"
print(f"| {loggers} | {rate} | {seconds:.1f} | {sent} | {replies} | {refused} | {timeouts} | "
      f"{accepted:.0f} | {fps:,.0f} | {raised or 'n/a'} | {lat} |")
ok = fps >= 20000 and latency and float(latency) < 1.0
print()
print("target (1,000 loggers): >= 20,000 frames/s, alarm latency < 1 s:", "met" if ok else "NOT met")
PY
