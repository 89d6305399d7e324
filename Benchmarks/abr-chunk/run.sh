#!/bin/sh
# Chunk-mode experiments of session 6 (Docs/Benchmarks.md, "Session 6"): not product code.
# Each driver is compiled with swiftc -O together with Sources/ABR (and, for the DP, the two
# experimental files here). Run from the worktree root; tuning set only: $TRAIN, default
# ../shared/data/abr/train. Scores are deterministic.
#   Benchmarks/abr-chunk/run.sh dp-cv  [cv|in|base]      # env: BINS RATIO HIST VOL VWIN PRIOR PRICE FIRST
#   Benchmarks/abr-chunk/run.sh grid   h,w,n,cap,pen,bv …  # SluiceChunk parameters
#   Benchmarks/abr-chunk/run.sh volcap [theta,low,high,window …]  # no argument: the volatility quantiles
#   Benchmarks/abr-chunk/run.sh live   [0.5|0.2]           # live simulator: every policy, NQoE per profile
set -e
here=$(cd "$(dirname "$0")" && pwd)
abr="$here/../../Sources/ABR"
driver=$1; shift
tmp=$(mktemp -d)
cp "$here/$driver.swift" "$tmp/main.swift"
extra="$here/TraceRotation.swift"
[ "$driver" = dp-cv ] && extra="$extra $here/SluiceDP.swift $here/ChunkThroughputModel.swift"
swiftc -O -o "$tmp/drv" "$tmp/main.swift" "$abr"/*.swift $extra
"$tmp/drv" "$@"
rm -rf "$tmp"
