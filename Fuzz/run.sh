#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for N seconds (default 120), one after another,
# in one process on one core (libFuzzer's default; -jobs would fork and log to files).
# Usage: [FUZZ_SANITIZERS=fuzzer] Fuzz/run.sh [seconds] [target...]   (default: every target)
# Each target starts from its committed seeds in Fuzz/corpus/<target>/ and grows a working
# corpus in Fuzz/work/<target>/ (not committed). Findings (crash-*, leak-*, oom-*, timeout-*)
# land in Fuzz/artifacts/<target>/; the script fails if any target found something.
# MERGE=1 afterwards adds to corpus/<target>/ a small set of work/<target>/'s inputs that
# reach new coverage (libFuzzer -merge=1 -set_cover_merge=1), to commit. dict/<target>.dict, if present, seeds the mutator.
set -euo pipefail
# Swift's backtracer would race ASan's report of the same signal.
export SWIFT_BACKTRACE=enable=no
cd "$(dirname "$0")"
seconds=${1:-120}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz-ingest fuzz-http fuzz-streamid fuzz-playlist fuzz-ts fuzz-tsunits fuzz-webrtc)

# Inputs larger than this are not tried: the parsers' interesting structure fits well within.
max_len() {
    case "$1" in
        fuzz-ts|fuzz-tsunits) echo 16384 ;;  # ~87 TS packets: tables, PES of both tracks
        fuzz-streamid) echo 600 ;;  # SRTStreamID.maxLength is 512
        fuzz-webrtc) echo 8192 ;;   # Chromium's offers are 5–7 KB
        *) echo 4096 ;;
    esac
}

# FUZZ_SANITIZERS=fuzzer builds without ASan into its own scratch path (see Package.swift).
scratch=.build
[ -n "${FUZZ_SANITIZERS:-}" ] && [ "$FUZZ_SANITIZERS" != fuzzer,address ] && scratch=.build-$FUZZ_SANITIZERS
for t in "${targets[@]}"; do swift build -c debug --scratch-path "$scratch" --product "$t"; done
status=0
for t in "${targets[@]}"; do
    mkdir -p "work/$t" "corpus/$t" "artifacts/$t"
    echo "== $t: ${seconds}s"
    if [ "${MERGE:-0}" = 1 ]; then
        "./$scratch/debug/$t" -merge=1 -set_cover_merge=1 -max_len="$(max_len "$t")" "corpus/$t" "work/$t"
        continue
    fi
    dict=(); [ -f "dict/$t.dict" ] && dict=(-dict="dict/$t.dict") # tokens the mutator should know
    "./$scratch/debug/$t" "work/$t" "corpus/$t" "${dict[@]}" -max_total_time="$seconds" -max_len="$(max_len "$t")" \
        -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 || status=1
done
exit $status
