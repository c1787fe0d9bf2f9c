#!/bin/sh
# Runs bench-store-ops under callgrind and prints, for each measured op,
# the instructions of one call: the inclusive count of its wrapper in
# tools/bench_store_ops.c divided by the rounds the program reports.
# Usage: tools/bench-store-ops.sh build/host/bench-store-ops [log]
# (log: the log-structured store; each line ends store=NAME)
set -e
program=${1:?usage: $0 BENCH-STORE-OPS [log]}
kind=${2:-}
store=zstore
[ "$kind" = log ] && store=logstore
out=$(mktemp /tmp/bench-store-ops.XXXXXX)
trap 'rm -f "$out"' EXIT
rounds=$(valgrind --tool=callgrind --callgrind-out-file="$out" "$program" $kind 2>/dev/null |
	 sed -n 's/^rounds=\([0-9]*\).*/\1/p')
[ -n "$rounds" ] || { echo "bench-store-ops: no rounds line" >&2; exit 1; }
callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$out" 2>/dev/null |
	awk -v rounds="$rounds" -v store="$store" '
	/:ops_((put|read|map_unmap|size|free|free_length)_(small|page)|adopt_page|release_page) \[/ {
		count = $1; gsub(",", "", count)
		name = $0; sub(/.*:ops_/, "", name); sub(/[ \[].*/, "", name)
		printf "store op %-18s %7.0f instructions/call store=%s\n", name, count / rounds, store
	}' | sort
