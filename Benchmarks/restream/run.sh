#!/usr/bin/env bash
# Restream to nginx-rtmp, a second Sluice and an SRT listener with one destination killed and
# restarted (Docs/Benchmarks.md "Restream"). Usage: Benchmarks/restream/run.sh [--kill nginx|sluice-b|srt]
# [--before S] [--down S] [--after S]. SLUICE: the sluice binary (default .build/debug/sluice).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec python3 Benchmarks/restream/restream.py "$@"
