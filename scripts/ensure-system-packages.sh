#!/usr/bin/env bash
# Installs the Debian packages `npm start` and `npm test` need when they are missing, so both work as
# written on a fresh Debian machine that has only Node: today that is redis-server (the local sandbox
# and the test suite start their own). Runs as `prestart` / `pretest`; does nothing when all are there.
# Without root or apt-get it says what to install and stops.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0
# With REDIS_URL set, nothing here starts a redis-server.
if [ -n "${REDIS_URL:-}" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "正在安装缺少的系统软件包 / installing missing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "缺少系统软件包 / missing system packages: ${missing[*]}" >&2
echo "请安装后重试 / install them, then run again:  sudo apt-get install -y ${missing[*]}" >&2
echo "（或设置 REDIS_URL 使用已有的 Redis / or set REDIS_URL to use an existing Redis）" >&2
exit 1
