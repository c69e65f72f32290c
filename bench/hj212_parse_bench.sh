#!/usr/bin/env bash
# HJ 212 decode benchmark (issue 7): frames per second one core frames, CRC-checks and decodes
# (20,000 flue-gas and wastewater uploads from 1,000 loggers), plus the 9014 reply. Prints a
# markdown table. HJ 212 解码基准：单核每秒分帧、校验、解析的报文数。
#
# Usage: bash bench/hj212_parse_bench.sh [--frames N] [--loggers N] [--runs N] [--min-seconds S]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:-}" in -h|--help) sed -n '2,6p' "$0"; exit 0 ;; esac
BUILD="$ROOT/build-release"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZP_BUILD_TESTS=OFF \
  -DZP_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$BUILD" -j2 --target zp_hj212_parse_bench
echo "machine: $(uname -sr), $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/bench/zp_hj212_parse_bench" "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
