#!/usr/bin/env bash
# Ingest benchmark: zeropark against InfluxDB 1.6 and VictoriaMetrics 1.79 (Debian packages), same
# data, same client, one run. Writes bench/results/ingest.json and the table in
# docs/performance.md.
# 摄入基准：zeropark 与 InfluxDB、VictoriaMetrics 同机同数据同客户端对比。
#
# Usage: bash bench/ingest_bench.sh [--only zeropark,influxdb,victoriametrics] [--no-demo]
#                                  [--zeropark PATH_TO_BINARY]
# Needs root for `apt-get install` of the peers the first time. Everything runs on 127.0.0.1 in a
# temporary folder; every process started here is stopped at exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLIENT="$ROOT/bench/ingest_client.py"
ONLY="zeropark,influxdb,victoriametrics"
RUN_DEMO=1
ZP_BIN=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) ONLY="$2"; shift 2 ;;
    --no-demo) RUN_DEMO=0; shift ;;
    --zeropark) ZP_BIN="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
wants() { [[ ",$ONLY," == *",$1,"* ]]; }

WORK="$(mktemp -d /tmp/zp-ingest-bench.XXXXXX)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ "${ZP_BENCH_KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[bench] %s\n' "$*" >&2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until URL answers 2xx (at most $2 seconds).
wait_http() {
  local url="$1" limit="${2:-60}" i
  for ((i = 0; i < limit * 10; i++)); do
    if python3 - "$url" <<'EOF' 2>/dev/null; then return 0; fi
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=1) as r:
    sys.exit(0 if 200 <= r.status < 300 else 1)
EOF
    sleep 0.1
  done
  log "timed out waiting for $url"
  return 1
}

stop_pid() {
  local pid="$1" i
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Bytes a folder takes: allocated blocks (du -sB1, the headline figure) and apparent size (du -sb).
# Measured after the flush and a clean stop, so that each system has written what it keeps.
du_bytes() { du -sb "$1" | cut -f1; }
du_alloc() { du -sB1 "$1" | cut -f1; }

PARTS="$WORK/parts"
mkdir -p "$PARTS"
put() {  # put KEY JSON  -> $PARTS/KEY.json
  printf '%s\n' "$2" >"$PARTS/$1.json"
}

# --- peers: Debian packages, installed here only (not by scripts/install-deps.sh).
need=()
wants influxdb && ! dpkg-query -W -f='${Status}' influxdb 2>/dev/null | grep -q 'ok installed' \
  && need+=(influxdb)
wants victoriametrics && ! dpkg-query -W -f='${Status}' victoria-metrics 2>/dev/null \
  | grep -q 'ok installed' && need+=(victoria-metrics)
if [[ ${#need[@]} -gt 0 ]]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- zeropark: a Release build of the binary only.
if wants zeropark || [[ $RUN_DEMO == 1 ]]; then
  if [[ -z "$ZP_BIN" ]]; then
    BUILD="$ROOT/build-release"
    log "building zeropark (Release) in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZP_BUILD_TESTS=OFF \
      >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log"; exit 1; }
    cmake --build "$BUILD" --target zeropark -j2 >"$WORK/build.log" 2>&1 \
      || { tail -50 "$WORK/build.log"; exit 1; }
    ZP_BIN="$BUILD/apps/zeropark/zeropark"
    ZP_BUILD_TYPE=Release
  else
    ZP_BUILD_TYPE="given"
  fi
fi

# --- data, once for all three.
log "generating data"
python3 "$CLIENT" gen "$WORK/data" >"$PARTS/gen.json"
cat "$PARTS/gen.json" >&2

# --- client ceiling against a trivial sink.
log "client against a trivial sink"
python3 "$CLIENT" sink --port 0 >"$WORK/sink.port" &
SINK_PID=$!
PIDS+=("$SINK_PID")
for _ in $(seq 50); do [[ -s "$WORK/sink.port" ]] && break; sleep 0.1; done
python3 "$CLIENT" load "http://127.0.0.1:$(cat "$WORK/sink.port")/write" "$WORK/data" \
  >"$PARTS/sink.json"
stop_pid "$SINK_PID"
cat "$PARTS/sink.json" >&2

# Runs load + query for one system: bench_system NAME WRITE_URL QUERY_CMD QUERY_URL
bench_load() {
  local name="$1" url="$2"
  log "$name: loading 8.64 M readings"
  python3 "$CLIENT" load "$url" "$WORK/data" >"$WORK/$name.load.json" || {
    cat "$WORK/$name.load.json" >&2; return 1; }
  cat "$WORK/$name.load.json" >&2
}
bench_query() {
  local name="$1" url="$2"
  log "$name: monthly sums per meter"
  python3 "$CLIENT" "query-$name" "$url" "$WORK/data" >"$WORK/$name.query.json" \
    2>"$WORK/$name.query.err" || { log "$name: query failed"; tail -5 "$WORK/$name.query.err" >&2; }
  cat "$WORK/$name.query.json" >&2
}
assemble() {  # assemble NAME DATA_DIR
  local name="$1" dir="$2"
  python3 - "$name" "$WORK" "$dir" "$(du_bytes "$dir")" "$(du_alloc "$dir")" >"$PARTS/$name.json" <<'EOF'
import json, sys
name, work, d, apparent, alloc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
load = json.load(open(f"{work}/{name}.load.json"))
try:
    query = json.load(open(f"{work}/{name}.query.json"))
except Exception as e:
    query = {"error": str(e)}
n = load["acknowledged"] or 1
print(json.dumps({"load": load, "query": query, "disk_apparent_bytes": apparent,
                  "disk_allocated_bytes": alloc, "bytes_per_reading": round(alloc / n, 3),
                  "apparent_bytes_per_reading": round(apparent / n, 3)}))
EOF
}

# --- VictoriaMetrics.
if wants victoriametrics; then
  VM_PORT="$(free_port)"
  mkdir -p "$WORK/vm"
  victoria-metrics -httpListenAddr="127.0.0.1:$VM_PORT" -storageDataPath="$WORK/vm" \
    -retentionPeriod=100y -loggerLevel=ERROR >"$WORK/vm.log" 2>&1 &
  VM_PID=$!
  PIDS+=("$VM_PID")
  wait_http "http://127.0.0.1:$VM_PORT/health" 60
  bench_load victoriametrics "http://127.0.0.1:$VM_PORT/write?precision=s"
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$VM_PORT/internal/force_flush').read()"
  sleep 1
  bench_query victoriametrics "http://127.0.0.1:$VM_PORT"
  stop_pid "$VM_PID"
  assemble victoriametrics "$WORK/vm"
fi

# --- InfluxDB.
if wants influxdb; then
  IF_HTTP="$(free_port)"
  IF_RPC="$(free_port)"
  IF_IFQL="$(free_port)"
  mkdir -p "$WORK/influxdb"
  influxd config >"$WORK/influxdb.default.conf" 2>/dev/null
  python3 - "$WORK/influxdb" "$IF_HTTP" "$IF_RPC" "$IF_IFQL" "$WORK/influxdb.default.conf" \
    >"$WORK/influxdb.conf" <<'EOF'
import sys
data, http_port, rpc_port, ifql_port, default_conf = sys.argv[1:6]
section = ""
for line in open(default_conf).read().splitlines():
    s = line.strip()
    if s.startswith("["):
        section = s
    line = line.replace("/var/lib/influxdb", data)
    if s.startswith("bind-address"):
        if section == "":
            line = f'bind-address = "127.0.0.1:{rpc_port}"'
        elif section == "[http]":
            line = f'  bind-address = "127.0.0.1:{http_port}"'
        elif section == "[ifql]":
            line = f'  bind-address = "127.0.0.1:{ifql_port}"'
    if section == "[http]" and s.startswith("log-enabled"):
        line = "  log-enabled = false"
    if section == "[data]" and s.startswith("query-log-enabled"):
        line = "  query-log-enabled = false"
    if s.startswith("reporting-enabled"):
        line = "reporting-enabled = false"
    print(line)
EOF
  influxd -config "$WORK/influxdb.conf" >"$WORK/influxdb.log" 2>&1 &
  IF_PID=$!
  PIDS+=("$IF_PID")
  wait_http "http://127.0.0.1:$IF_HTTP/ping" 60
  python3 -c "
import urllib.request, urllib.parse
urllib.request.urlopen('http://127.0.0.1:$IF_HTTP/query', urllib.parse.urlencode({'q': 'CREATE DATABASE park'}).encode()).read()"
  bench_load influxdb "http://127.0.0.1:$IF_HTTP/write?db=park&precision=s"
  bench_query influxdb "http://127.0.0.1:$IF_HTTP"
  stop_pid "$IF_PID"
  assemble influxdb "$WORK/influxdb"
fi

# --- zeropark.
if wants zeropark; then
  ZP_PORT="$(free_port)"
  mkdir -p "$WORK/zp"
  # An administrator token for the benchmark client (zeropark refuses anonymous writes).
  "$ZP_BIN" user add --db "$WORK/zp/park.zpdb" --username bench --role admin \
    --generate-password >/dev/null
  ZP_TOKEN="$("$ZP_BIN" token issue --db "$WORK/zp/park.zpdb" --username bench --name bench \
    2>/dev/null)"
  export ZP_TOKEN
  "$ZP_BIN" serve --db "$WORK/zp/park.zpdb" --host 127.0.0.1 --port "$ZP_PORT" --hj212-port -1 \
    >"$WORK/zeropark.log" 2>&1 &
  ZP_PID=$!
  PIDS+=("$ZP_PID")
  wait_http "http://127.0.0.1:$ZP_PORT/health" 60
  python3 - "http://127.0.0.1:$ZP_PORT/api/v1/registry/meters.csv" "$WORK/data/meters.csv" <<'EOF'
import sys, urllib.request
import os
req = urllib.request.Request(sys.argv[1], data=open(sys.argv[2], "rb").read(),
                             headers={"Content-Type": "text/csv",
                                      "Authorization": "Bearer " + os.environ["ZP_TOKEN"]},
                             method="POST")
with urllib.request.urlopen(req, timeout=120) as r:
    assert 200 <= r.status < 300, r.status
EOF
  bench_load zeropark "http://127.0.0.1:$ZP_PORT/write?precision=s"
  python3 - "http://127.0.0.1:$ZP_PORT/api/v1/flush" >"$WORK/zeropark.flush_s" <<'EOF'
import os, sys, time, urllib.request
t0 = time.monotonic()
urllib.request.urlopen(urllib.request.Request(
    sys.argv[1], data=b"", method="POST",
    headers={"Authorization": "Bearer " + os.environ["ZP_TOKEN"]}), timeout=600).read()
print(round(time.monotonic() - t0, 3))
EOF
  log "zeropark: flush took $(cat "$WORK/zeropark.flush_s") s"
  bench_query zeropark "http://127.0.0.1:$ZP_PORT"
  stop_pid "$ZP_PID"
  assemble zeropark "$WORK/zp"
  unset ZP_TOKEN  # the peers get no credentials
  # The database file keeps the pages the truncated ingest log freed: note the live part too.
  python3 - "$PARTS/zeropark.json" "$WORK/zp/park.zpdb" "$WORK/zeropark.flush_s" <<'EOF'
import json, sqlite3, sys
part = json.load(open(sys.argv[1]))
part["flush_s"] = float(open(sys.argv[3]).read())
db = sqlite3.connect(sys.argv[2])
page_size, pages, free = (db.execute(f"PRAGMA {p}").fetchone()[0]
                          for p in ("page_size", "page_count", "freelist_count"))
live = (pages - free) * page_size
part["sqlite_live_bytes"] = live
part["sqlite_free_bytes"] = free * page_size
part["live_bytes_per_reading"] = round(live / max(1, part["load"]["acknowledged"]), 3)
json.dump(part, open(sys.argv[1], "w"))
EOF
fi

# --- demo generation + load.
DEMO_S=null
if [[ $RUN_DEMO == 1 ]]; then
  log "timing zeropark demo --no-serve (default park)"
  mkdir -p "$WORK/demo"
  t0=$(date +%s.%N)
  "$ZP_BIN" demo --db "$WORK/demo/demo.zpdb" --no-serve >"$WORK/demo.log" 2>&1 \
    || { tail -20 "$WORK/demo.log"; exit 1; }
  t1=$(date +%s.%N)
  DEMO_S=$(python3 -c "print(round($t1 - $t0, 2))")
  log "demo: ${DEMO_S}s"
fi

# --- meta and report.
vm_version="$(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null || true)"
if_version="$(dpkg-query -W -f='${Version}' influxdb 2>/dev/null || true)"
zp_version=""
if [[ -n "$ZP_BIN" && -x "$ZP_BIN" ]]; then
  zp_version="$("$ZP_BIN" --version 2>/dev/null | head -1 || true)"
fi
python3 - "$PARTS" "$DEMO_S" "$vm_version" "$if_version" "$zp_version" "${ZP_BUILD_TYPE:-}" \
  "$*" >"$WORK/parts.json" <<'EOF'
import glob, json, os, platform, sys, time
parts_dir, demo_s, vm, inf, zp, build_type = sys.argv[1:7]
parts = {}
for p in glob.glob(os.path.join(parts_dir, "*.json")):
    parts[os.path.basename(p)[:-5]] = json.load(open(p))
cpu = "?"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
parts["demo_load_s"] = None if demo_s == "null" else float(demo_s)
parts["meta"] = {
    "command": "bash bench/ingest_bench.sh",
    "date": time.strftime("%Y-%m-%d"),
    "cpu": cpu,
    "cores": os.cpu_count(),
    "kernel": platform.release(),
    "python": platform.python_version(),
    "victoriametrics_version": vm.split("+")[0],
    "influxdb_version": inf.split("+")[0].split("~")[0],
    "zeropark_version": zp.split()[-1] if zp else "",
    "zeropark_build_type": build_type,
    "data": "1,000 meters x 8,640 readings (90 days at 15 min from 2024-01-01T00:00:00+08:00), "
            "line protocol, precision s, 10,000 lines per request, time-ordered, 2 client threads "
            "(Python http.client, keep-alive)",
    "bytes_per_reading": "allocated size (du -sB1) of the whole data folder after the flush and a "
                         "clean stop, divided by acknowledged readings (apparent size in details); "
                         "InfluxDB not compacted",
    "query": "monthly sums per meter, months of Asia/Shanghai (Jan, Feb, Mar to the 30th): "
             "zeropark one GET /api/v1/sums; InfluxDB 3 SELECT sum(kwh) ... GROUP BY meter "
             "statements in one request with explicit UTC instants; VictoriaMetrics 3 instant "
             "queries sum_over_time(energy_kwh[<month>s]) at month end - 1 s (window (t-w, t])",
    "gen": parts.pop("gen", None),
}
print(json.dumps(parts))
EOF
python3 "$CLIENT" report "$WORK/parts.json" --out "$ROOT/bench/results/ingest.json" \
  --doc "$ROOT/docs/performance.md"
log "wrote bench/results/ingest.json and docs/performance.md"
