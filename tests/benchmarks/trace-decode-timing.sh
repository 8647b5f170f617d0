#!/bin/sh
# Times `psremote-cli trace decode --json --roundtrip` on a generated 20,000-object trace
# (~17 MB). Usage: tests/benchmarks/trace-decode-timing.sh BUILD_DIR
# BUILD_DIR must hold psremote-cli and tests/benchmarks/make_trace (build a Release tree for
# meaningful figures: target < 0.5 s). A script, not a test: it prints, it asserts nothing.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
build=$1
cli=$build/psremote-cli
make_trace=$build/tests/benchmarks/make_trace
for tool in "$cli" "$make_trace"; do
    if [ ! -x "$tool" ]; then
        echo "$0: $tool is missing; build the psremote-cli and make_trace targets first" >&2
        exit 2
    fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
"$make_trace" "$work/trace.jsonl" 20000 2>&1
echo "trace: $(wc -c < "$work/trace.jsonl") bytes, $(wc -l < "$work/trace.jsonl") legs"

best=""
for run in 1 2 3; do
    start=$(date +%s%N)
    "$cli" trace decode --json --roundtrip "$work/trace.jsonl" > "$work/out.jsonl"
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    echo "run $run: ${ms} ms"
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
done
echo "messages: $(wc -l < "$work/out.jsonl")"
echo "best: ${best} ms (target < 500 ms on a Release build)"
