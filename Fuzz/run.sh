#!/usr/bin/env bash
# Builds the libFuzzer target and runs it for N seconds (default 120) on one core.
# Findings (crash-*, leak-*, timeout-*) land in Fuzz/artifacts/; the corpus in Fuzz/corpus/,
# which starts from the seeds kept in Fuzz/seeds/ (first byte: which parser, see FuzzIngest.swift).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-120}
swift build -c debug --product fuzz-ingest
mkdir -p corpus artifacts
./.build/debug/fuzz-ingest corpus seeds -max_total_time="$seconds" -max_len=4096 -artifact_prefix=artifacts/ -print_final_stats=1
