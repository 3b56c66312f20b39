#!/bin/bash
# usage: run.sh JAR ROUNDS [N]  -> interleaved diag.sh runs of one jar with Netty's leak detector at SIMPLE (Netty's
# default) and DISABLED (the candidate default, rejected: see README.md): WARM (default 4) warm-up cold 1 GiB reads, then N
# (default 24) measured ones, over rqbit-sim. Per-thread CPU ticks, including the JIT's compiler threads, go to
# round<r>-<level>.out in this directory; summarize.sh tabulates them.
set -u
JAR=$1; ROUNDS=${2:-3}; N=${3:-24}
HERE=$(cd "$(dirname "$0")" && pwd)
DIAG=$HERE/../20261207T0255Z-progress-wakeups/diag.sh
for r in $(seq "$ROUNDS"); do
  for level in simple disabled; do
    FE_JVM="-Dio.netty.leakDetection.level=$level" WARM=${WARM:-4} bash "$DIAG" "$JAR" "$N" > "$HERE/round$r-$level.out" 2>&1
  done
done
