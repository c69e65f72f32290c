#!/usr/bin/env bash
# Dashboard speed benchmark / 看板速度基准 (issue 5): builds the Release binary and web/dist, then
# runs bench/dashboard_bench.mjs against `zeropark demo` (default park, temporary database, port 0)
# and prints its markdown report: first-render API requests (median/max/cold, bytes) and page
# first render in chromium (cold and warm cache, FCP).
# 构建 Release 版与 web/dist 后运行看板速度基准，输出 markdown 报告。
#
# Usage / 用法: bash bench/dashboard_bench.sh [--enterprises N] [--no-live] [--reps 10] [--loads 5] [--json FILE]
# (arguments pass through to bench/dashboard_bench.mjs)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
case "${1:-}" in -h|--help) sed -n '2,9p' "$0"; exit 0 ;; esac

cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release --target zeropark -j2
bash scripts/web.sh
node bench/dashboard_bench.mjs --binary build-release/apps/zeropark/zeropark --web-dir web/dist "$@"
