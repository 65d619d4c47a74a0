# run_limited SECONDS CMD...: runs CMD in its own process group and kills the whole group at the limit
run_limited() { local t=$1; shift; setsid "$@" & local p=$!; ( sleep "$t"; kill -TERM -- -"$p" 2>/dev/null; sleep 5; kill -KILL -- -"$p" 2>/dev/null ) & local w=$!; wait "$p"; local rc=$?; kill "$w" 2>/dev/null; return $rc; }
