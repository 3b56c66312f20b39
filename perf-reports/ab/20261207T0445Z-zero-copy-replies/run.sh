#!/bin/bash
# usage: run.sh OLD_JAR NEW_JAR ROUNDS  -> interleaved diag.sh runs (WARM (default 3) warm-up + 4 measured cold 1 GiB reads each)
# over rqbit-sim; output per jar and round in this directory.
set -u
OLD=$1; NEW=$2; ROUNDS=${3:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
DIAG=$HERE/../20261207T0255Z-progress-wakeups/diag.sh
for r in $(seq "$ROUNDS"); do
  for jar in "$OLD" "$NEW"; do
    name=$(basename "$jar" .jar)
    WARM=${WARM:-3} bash "$DIAG" "$jar" 4 > "$HERE/round$r-$name.out" 2>&1
  done
done
