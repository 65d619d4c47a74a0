#!/usr/bin/env bash
# Makes sure redis-server is installed (Debian's package), for the remote-cache tests. Best effort:
# without it those tests skip themselves and say why. Non-interactive, every step under a timeout.
set -uo pipefail
if command -v redis-server >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "ci-redis: no redis-server and no root apt-get; the remote-cache tests will skip" >&2
  exit 0
fi
if ! (timeout 300 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq --no-install-recommends redis-server >/dev/null); then
  echo "ci-redis: redis-server could not be installed; the remote-cache tests will skip" >&2
  exit 0
fi
# Debian's package may start a system instance on 6379; the tests never use it (they start their own).
if command -v systemctl >/dev/null && systemctl is-active --quiet redis-server 2>/dev/null; then
  timeout 30 systemctl stop redis-server || true
fi
echo "ci-redis: $(redis-server --version)" >&2
