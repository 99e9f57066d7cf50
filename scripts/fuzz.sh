#!/usr/bin/env bash
# scripts/fuzz.sh: build the libFuzzer harnesses (test/fuzz/) and run each one.
#
#   scripts/fuzz.sh [SECONDS]   fuzz every target for SECONDS (default 60)
#   scripts/fuzz.sh --replay    only run the seeds and the saved corpus once
#   TARGETS="states model_in" scripts/fuzz.sh 30    a subset
#
# The harnesses call clv's own src/*.c outside the server under ASan and
# UBSan (see test/fuzz/fuzz.h).  Any crash, sanitizer report, leak, internal
# error, broken round trip or input slower than 5 s fails the run; the
# reproducer is saved in test/fuzz/build/findings/ and printed, and replays with
#   test/fuzz/build/fuzz_TARGET REPRODUCER      (CLV_FUZZ_VERBOSE=1 shows each ERROR)
# Inputs found along the way are kept in test/fuzz/build/corpus/TARGET for the
# next run; the hand-made seeds are in test/fuzz/corpus/TARGET.
#
# Needs: clang and its sanitizer runtime, PostgreSQL's server headers, make
# (scripts/setup.sh --print-packages names them for this Debian release).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
build=$root/test/fuzz/build
targets=${TARGETS:-model_in model_recv attribution states normalize}

replay=false
seconds=60
case "${1:-}" in
	--replay) replay=true ;;
	'') ;;
	*[!0-9]*) echo "usage: $0 [SECONDS | --replay]" >&2; exit 2 ;;
	*) seconds=$1 ;;
esac

# Debian installs clang-N without the plain name unless clang is installed too
. scripts/debian_release.sh
cc=${CC:-}
if [ -z "$cc" ]; then
	for c in clang "clang-$CLANG_VERSION"; do
		if command -v "$c" >/dev/null; then cc=$c; break; fi
	done
fi
if [ -z "$cc" ]; then
	echo "fuzz.sh: no clang found; apt-get install clang-$CLANG_VERSION libclang-rt-$CLANG_VERSION-dev" >&2
	exit 2
fi

make -s -C test/fuzz CC="$cc" all
mkdir -p "$build/findings" "$build/logs"

status=0
for t in $targets; do
	bin=$build/fuzz_$t
	corpus=$build/corpus/$t
	log=$build/logs/$t.log
	mkdir -p "$corpus"
	# the first directory collects new inputs; the seeds are only read
	args=(-timeout=5 -rss_limit_mb=2048 -artifact_prefix="$build/findings/$t-"
		  -print_final_stats=1 "$corpus" "$root/test/fuzz/corpus/$t")
	if $replay; then
		args=(-runs=0 "${args[@]}")
	else
		args=(-max_total_time="$seconds" "${args[@]}")
	fi
	start=$(date +%s)
	if "$bin" "${args[@]}" >"$log" 2>&1; then
		result=ok
	else
		result=FAILED
		status=1
	fi
	stats=$(grep -aE '^#[0-9]+[[:space:]]+(DONE|INITED)' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' || true)
	execs=$(grep -aoE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
	echo "fuzz $t: $result in $(( $(date +%s) - start )) s, $execs runs, $stats"
	if [ $result = FAILED ]; then
		grep -aE 'FINDING|ERROR: |runtime error|SUMMARY' "$log" | head -5 | sed 's/^/    /' || true
		grep -aoE "Test unit written to [^ ]+" "$log" | sed 's/^/    reproducer: /;s/Test unit written to //' || true
		echo "    log: $log"
	fi
done
exit $status
