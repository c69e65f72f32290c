#!/usr/bin/env bash
# Accounting benchmark: a full year of energy and carbon (all enterprises, all months, both
# electricity methods, both Scope 2 methods) recomputed from the rollups, for the default demo park
# and for a park 15 times larger (30,000+ meters). Writes bench/results/accounting.json.
# 核算基准：从汇总数据重算全年能耗与碳排放（演示园区及其 15 倍规模）。
#
# Usage: bash bench/accounting_bench.sh [--runs N] [--keep]
# The parks are built once into a temporary folder (not timed); --keep leaves them there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=5
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
BUILD="$ROOT/build-bench"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZP_BUILD_TESTS=OFF \
  -DZP_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target zp_accounting_bench
WORK="$(mktemp -d /tmp/zp-accounting-bench.XXXXXX)"
if [[ $KEEP == 0 ]]; then trap 'rm -rf "$WORK"' EXIT; else echo "parks kept in $WORK"; fi
mkdir -p "$ROOT/bench/results"
"$BUILD/bench/zp_accounting_bench" --dir "$WORK" --runs "$RUNS" | tee "$ROOT/bench/results/accounting.json.tmp"
{
  printf '{"command":"bash bench/accounting_bench.sh --runs %s","machine":"%s, %s cores","date":"%s","results":' \
    "$RUNS" "$(uname -sr)" "$(nproc)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  cat "$ROOT/bench/results/accounting.json.tmp"
  printf '}\n'
} > "$ROOT/bench/results/accounting.json"
rm -f "$ROOT/bench/results/accounting.json.tmp"
echo "wrote bench/results/accounting.json"
