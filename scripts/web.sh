#!/usr/bin/env bash
# Build the web dashboard / 构建网页看板: web/ -> web/dist/.
# Idempotent: `npm ci` runs only when web/node_modules is missing or web/package-lock.json changed
# since the last install (its hash is kept in web/node_modules/.zeropark-lock.sha256); then
# `npm run build` (the i18n check, then vite build).
# Usage / 用法: scripts/web.sh [--install-only]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/web"
stamp="$web/node_modules/.zeropark-lock.sha256"

say() { printf '%s\n' "$*"; }
die() { printf 'web.sh: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null || die "node not found; install Node.js >= 20.19 (apt-get install nodejs npm) / 未找到 node, 请安装 Node.js 20.19 以上"
command -v npm >/dev/null || die "npm not found / 未找到 npm"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js $(node --version) is too old; Vite needs >= 20.19 / Node.js 版本过低, Vite 需要 20.19 以上"
[[ -f "$web/package-lock.json" ]] || die "web/package-lock.json is missing / 缺少 web/package-lock.json"

want="$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
if [[ ! -d "$web/node_modules" || "$want" != "$have" ]]; then
  say "installing web dependencies (npm ci) / 正在安装网页依赖 (npm ci)"
  (cd "$web" && npm ci --no-audit --no-fund) || die "npm ci failed / npm ci 失败"
  printf '%s\n' "$want" > "$stamp"
else
  say "web dependencies up to date / 网页依赖已是最新"
fi

[[ "${1:-}" == "--install-only" ]] && exit 0

say "building web/dist / 正在构建 web/dist"
(cd "$web" && npm run build) || die "build failed / 构建失败"
[[ -f "$web/dist/index.html" ]] || die "web/dist/index.html was not produced / 未生成 web/dist/index.html"
say "web dashboard built: $web/dist / 看板已构建: $web/dist"
