# run_limited SECONDS CMD...: runs CMD in its own process group and kills the whole group at the limit.
# The timer holds no copy of the caller's output (a pipe such as `| tee` closes when CMD ends) and is
# ended with its sleep when CMD ends first, so a call lasts as long as its work.
run_limited() {
  local t=$1; shift
  setsid "$@" & local p=$!
  ( sleep "$t"; kill -TERM -- -"$p" 2>/dev/null; sleep 5; kill -KILL -- -"$p" 2>/dev/null ) </dev/null >/dev/null 2>&1 & local w=$!
  wait "$p"; local rc=$?
  pkill -P "$w" 2>/dev/null; kill "$w" 2>/dev/null
  return $rc
}
