#!/usr/bin/env bash
# Installs the Debian packages `npm start` and `npm test` need when they are missing, so both work as
# written on a fresh Debian machine that has only Node: redis-server (the local sandbox and the test
# suite start their own) and, for `npm test` (argument `test`), chromium and a CJK font for the
# browser tests. Runs as `prestart` / `pretest`; does nothing when all are there.
# Without root or apt-get it says what to install and stops.
set -euo pipefail
missing=()
# With REDIS_URL set, nothing here starts a redis-server.
if [ -z "${REDIS_URL:-}" ]; then command -v redis-server >/dev/null 2>&1 || missing+=(redis-server); fi
if [ "${1:-}" = "test" ]; then
  # CHROMIUM_PATH points the browser tests at another Chromium build.
  if [ -z "${CHROMIUM_PATH:-}" ]; then command -v chromium >/dev/null 2>&1 || missing+=(chromium); fi
  if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; }; then missing+=(fonts-noto-cjk); fi
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "正在安装缺少的系统软件包 / installing missing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "缺少系统软件包 / missing system packages: ${missing[*]}" >&2
echo "请安装后重试 / install them, then run again:  sudo apt-get install -y ${missing[*]}" >&2
echo "（或设置 REDIS_URL 使用已有的 Redis、CHROMIUM_PATH 使用已有的 Chromium / or set REDIS_URL, CHROMIUM_PATH）" >&2
exit 1
