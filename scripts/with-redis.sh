#!/usr/bin/env bash
# Runs a command with a private redis-server: a free loopback port, no persistence, a temp dir; the
# server is stopped when the command ends (whatever way it ends).
#   scripts/with-redis.sh npm test
# Exports for the command:
#   DWCONV_JIT_TEST_REDIS         redis://127.0.0.1:PORT (the remote-cache tests skip without it)
#   DWCONV_JIT_TEST_REDIS_PIDFILE the server's pid file
#   DWCONV_JIT_TEST_REDIS_SERVER  the redis-server binary (tests that need a server of their own start it)
set -euo pipefail
if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi
server="$(command -v redis-server || true)"
if [ -z "$server" ]; then
  echo "with-redis: redis-server not found (scripts/ci-redis.sh installs it); running without it" >&2
  exec "$@"
fi
dir="$(mktemp -d "${TMPDIR:-/tmp}/dwconv-redis.XXXXXX")"
pid=""
stop() {
  if [ -n "$pid" ]; then
    kill -CONT "$pid" 2>/dev/null || true # a test may have left it stopped
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM
# A free port: ask the kernel for one, then give it to redis (a race with another process is retried).
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
for attempt in 1 2 3 4 5; do
  port="$(free_port)"
  "$server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --daemonize no --protected-mode yes &
  pid=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  echo "with-redis: redis-server did not start on port $port (attempt $attempt): $(tail -n 3 "$dir/redis.log" 2>/dev/null)" >&2
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
done
if [ -z "$pid" ]; then
  echo "with-redis: giving up on redis-server" >&2
  exit 1
fi
# The pid file is written by redis itself a moment after it listens; ours is the one we know.
echo "$pid" > "$dir/server.pid"
export DWCONV_JIT_TEST_REDIS="redis://127.0.0.1:$port"
export DWCONV_JIT_TEST_REDIS_PIDFILE="$dir/server.pid"
export DWCONV_JIT_TEST_REDIS_SERVER="$server"
echo "with-redis: redis-server $("$server" --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on $DWCONV_JIT_TEST_REDIS (pid $pid)" >&2
status=0
"$@" || status=$?
exit "$status"
