#!/usr/bin/env bash
# Green power allocation benchmark (issue 6): 3,000 consumers x 8,760 hours x 50 sources in 4
# priority rounds. Times zp::green::Allocate on one thread (best and median of --runs) and the same
# algorithm in numpy (bench/green_alloc_numpy.py with Debian's /usr/bin/python3) in the same run,
# checks their checksums are identical and prints a markdown table with the ratio.
# 绿电逐时分配基准：C++ 单线程 vs numpy 同一算法，校验和一致，输出 Markdown 表格。
#
# Usage: bash bench/green_alloc_bench.sh [--runs N] [--numpy-runs N]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=3
NP_RUNS=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --numpy-runs) NP_RUNS="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
BUILD="$ROOT/build-release"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZP_BUILD_TESTS=OFF \
  -DZP_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$BUILD" -j2 --target zp_green_alloc_bench
FILE="$(mktemp /tmp/zp-green-alloc.XXXXXX)"
trap 'rm -f "$FILE"' EXIT
echo "machine: $(uname -sr), $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/bench/zp_green_alloc_bench" --runs "$RUNS" --numpy-runs "$NP_RUNS" --file "$FILE" \
  --script "$ROOT/bench/green_alloc_numpy.py" --python /usr/bin/python3
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
