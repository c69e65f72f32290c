#!/usr/bin/env bash
# Builds zeropark (Release, in build/) and runs the demo park: the first run generates a
# realistic park into demo.zpdb, then it serves the dashboard and API at http://127.0.0.1:8080.
# Extra arguments go to `zeropark demo` (e.g. --enterprises 50 --days 30, --port 9090).
# 构建 zeropark 并运行演示园区：首次运行生成演示数据，然后在 http://127.0.0.1:8080 提供服务。
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${ZP_BUILD_DIR:-$ROOT/build}"

bash scripts/install-deps.sh
bash scripts/web.sh  # the dashboard (web/dist), served at /app/
# A fresh build/ is configured Release; an existing one keeps its type (no needless full rebuild
# after scripts/test.sh configured it RelWithDebInfo).
if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$BUILD" --target zeropark -j"${ZP_JOBS:-2}"

has_db=0
for a in "$@"; do [[ "$a" == --db || "$a" == --db=* ]] && has_db=1; done
if [[ $has_db == 1 ]]; then
  exec "$BUILD/apps/zeropark/zeropark" demo "$@"
fi
exec "$BUILD/apps/zeropark/zeropark" demo --db "$ROOT/demo.zpdb" "$@"
