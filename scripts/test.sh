#!/usr/bin/env bash
# Builds zeropark and runs every test: unit and conformance tests (ctest) in build/
# (RelWithDebInfo), the same under AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/
# (without the zeropark executable and its CLI test unless --slow),
# then the end-to-end tests (tests/integration/*_test.py) against build/apps/zeropark/zeropark,
# then builds the dashboard (scripts/web.sh) and runs its browser tests (tests/browser/run.mjs:
# Debian's chromium driven by playwright-core against `zeropark demo`; screenshots in
# build/browser-shots/). Ends with the lines `browser: ...` and `integration: N passed, M failed`;
# exits non-zero if anything failed.
# 构建并运行全部测试：单元测试、ASan+UBSan 测试、端到端集成测试、看板浏览器测试。
#
# Usage: bash scripts/test.sh [--slow] [--no-asan]
#   --slow     also run slow suites (ctest label `slow`, integration tests that need ZP_SLOW=1,
#              and the integration tests again against the ASan + UBSan binary)
#   --no-asan  skip the sanitizer build (quicker local runs; CI runs it)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SLOW=0
ASAN=1
for a in "$@"; do
  case "$a" in
    --slow) SLOW=1 ;;
    --no-asan) ASAN=0 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done
JOBS="${ZP_JOBS:-2}"
T0=$(date +%s)
stamp() { echo "== [$(($(date +%s) - T0))s] $*"; }

bash scripts/install-deps.sh --browser

CTEST_ARGS=(--output-on-failure -j"$JOBS" --timeout 600)
if [[ $SLOW == 0 ]]; then
  CTEST_ARGS+=(-LE slow)
fi
BENCH=OFF
[[ -f bench/CMakeLists.txt ]] && BENCH=ON
failed=()

# --- 1. RelWithDebInfo build and its tests. An existing build/ keeps its build type.
stamp "configure + build build/"
CONF=(-DZP_BUILD_TESTS=ON -DZP_BUILD_BENCHMARKS="$BENCH")
# -g1 (line tables: stack traces keep file and line) instead of -g: full debug info costs a good
# part of the compile and link time on 2 cores and no test needs it.
[[ -f build/CMakeCache.txt ]] || CONF+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG")
cmake -S . -B build -G Ninja "${CONF[@]}" >/dev/null
cmake --build build -j"$JOBS"
stamp "ctest build/"
ctest --test-dir build "${CTEST_ARGS[@]}" || failed+=("ctest build/")

# --- 2. AddressSanitizer + UndefinedBehaviorSanitizer build: tests only, no benchmarks.
if [[ $ASAN == 1 ]]; then
  stamp "configure + build build-asan/ (ASan + UBSan)"
  # -O1 -g1 with assertions on: the sanitizers need no more, and it compiles in about half the
  # time of -O2 -g (keeps the default test run well under 20 minutes on 2 cores).
  # The zeropark executable (and its CLI test) only with --slow, whose integration tests run it
  # under the sanitizers: the unit tests are what this tree is for.
  APP=OFF
  [[ $SLOW == 1 ]] && APP=ON
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
    -DZP_SANITIZE=ON -DZP_BUILD_TESTS=ON -DZP_BUILD_BENCHMARKS=OFF -DZP_BUILD_APP="$APP" >/dev/null
  cmake --build build-asan -j"$JOBS"
  stamp "ctest build-asan/"
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    ctest --test-dir build-asan "${CTEST_ARGS[@]}" || failed+=("ctest build-asan/")
fi

# --- 3. End-to-end tests against the real binary (prints the closing `integration:` line).
stamp "web dashboard: npm ci + build"
web_ok=1
bash scripts/web.sh || { web_ok=0; failed+=("web build"); }

stamp "integration tests"
INTEGRATION_ARGS=(--binary "$ROOT/build/apps/zeropark/zeropark")
if [[ $SLOW == 1 ]]; then
  INTEGRATION_ARGS+=(--slow)
  # Slow mode also runs the end-to-end suite against the sanitizer build.
  [[ $ASAN == 1 ]] && INTEGRATION_ARGS+=(--binary "$ROOT/build-asan/apps/zeropark/zeropark")
fi
integration_rc=0
ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  python3 tests/integration/run.py "${INTEGRATION_ARGS[@]}" >"$ROOT/build/integration.log" 2>&1 \
  || integration_rc=$?
grep -v '^integration: ' "$ROOT/build/integration.log" || true
summary="$(grep '^integration: ' "$ROOT/build/integration.log" | tail -1 || true)"
[[ -n "$summary" ]] || summary="integration: 0 passed, 1 failed"
[[ $integration_rc == 0 ]] || failed+=("integration")

stamp "browser tests (chromium + playwright-core)"
browser_summary="browser: not run"
if [[ $web_ok == 1 ]]; then
  browser_rc=0
  node tests/browser/run.mjs --binary "$ROOT/build/apps/zeropark/zeropark" --web-dir "$ROOT/web/dist" \
    --out "$ROOT/build/browser-shots" >"$ROOT/build/browser.log" 2>&1 || browser_rc=$?
  grep -E '^\s+FAIL|ready in|^browser: ' "$ROOT/build/browser.log" || true
  browser_summary="$(grep '^browser: ' "$ROOT/build/browser.log" | tail -1 || true)"
  [[ -n "$browser_summary" ]] || { browser_summary="browser: failed to run"; tail -30 "$ROOT/build/browser.log"; }
  [[ $browser_rc == 0 ]] || failed+=("browser")
  # The overview once more with the demo's live feed running (today's hours as they arrive).
  live_rc=0
  node tests/browser/run.mjs --binary "$ROOT/build/apps/zeropark/zeropark" --web-dir "$ROOT/web/dist" \
    --pages overview --roles admin,enterprise --live --out "$ROOT/build/browser-shots/live" \
    >"$ROOT/build/browser-live.log" 2>&1 || live_rc=$?
  grep -E '^\s+FAIL|^browser: ' "$ROOT/build/browser-live.log" | sed 's/^/live: /' || true
  grep -q '^browser: ' "$ROOT/build/browser-live.log" || tail -30 "$ROOT/build/browser-live.log"
  [[ $live_rc == 0 ]] || failed+=("browser-live")
fi

stamp "done"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAILED: ${failed[*]}"
fi
echo "$browser_summary"
echo "$summary"
[[ ${#failed[@]} -eq 0 ]]
