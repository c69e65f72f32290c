#!/usr/bin/env bash
# Installs the Debian 12 packages zeropark needs to build and test (as root; idempotent).
# When everything is present it only checks, and does not touch the network.
# 安装构建与测试所需的 Debian 12 软件包（需 root；可重复执行，已齐全时只做检查）。
# --browser adds what the dashboard's browser tests need (Debian's chromium and CJK fonts).
# The dashboard is built with the machine's Node.js (>= 20.19, checked by scripts/web.sh); Debian's
# own nodejs package is installed only when there is no node at all.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build g++
  clang libclang-rt-14-dev  # fuzzers (libFuzzer) / 模糊测试
  googletest libgmock-dev libgtest-dev libbenchmark-dev
  libsqlite3-dev libsodium-dev libfmt-dev nlohmann-json3-dev libcpp-httplib-dev libcli11-dev libzstd-dev
  libxlsxwriter-dev  # .xlsx export (src/report) / Excel 导出
  tzdata python3 python3-requests sqlite3 ca-certificates
  python3-numpy  # bench/green_alloc_bench.sh compares with a numpy version / 绿电分配基准
)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)  # the dashboard's toolchain / 看板构建工具
fi
if [[ "${1:-}" == "--browser" ]]; then
  PACKAGES+=(chromium fonts-noto-cjk)  # browser tests: headless chromium, Chinese glyphs / 浏览器测试
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present / 依赖已齐全"
  exit 0
fi

echo "install-deps: installing ${missing[*]} / 安装缺少的软件包"
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: missing packages and not root; run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${missing[@]}"
echo "install-deps: done / 完成"
