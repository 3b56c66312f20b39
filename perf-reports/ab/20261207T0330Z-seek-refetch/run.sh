#!/bin/bash
# Usage: run.sh JAR_A JAR_B ROUNDS  (from the repository root, as root, BenchSim's data set in /var/tmp/fe-mount-bench/data)
# Mounts each jar in turn over one rqbit-sim (BenchSim, whose stats endpoint counts the stream bytes it served) and runs
# seekbytes.py: 20 seeks into big.bin, 8 MiB read on after each; prints the backend bytes per byte read.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
A=$1; B=$2; ROUNDS=${3:-2}
DATA=/var/tmp/fe-mount-bench/data
M=/tmp/seek-mnt; mkdir -p $M
java -XX:+UseZGC -cp benchmarks/target-mb2/benchmarks.jar io.fuseengine.bench.mount.BenchSim 3941 3942 $DATA > /tmp/seek-sim.log 2>&1 &
SIM=$!
for i in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:3941/torrents && break; sleep 0.2; done
for r in $(seq "$ROUNDS"); do
  for jar in "$A" "$B"; do
    java -XX:+UseZGC -jar "$jar" mount $M --rqbit-url http://127.0.0.1:3941 --metrics-addr off > /tmp/seek-eng.log 2>&1 &
    EP=$!
    for i in $(seq 100); do f=$(find $M -name big.bin 2>/dev/null | head -1); [ -n "$f" ] && break; sleep 0.2; done
    echo "round $r $jar: $(python3 "$HERE/seekbytes.py" "$f" $DATA/big.bin http://127.0.0.1:3942/ 20 8 $r)"
    fusermount -u $M; kill $EP 2>/dev/null; wait $EP  # jars before 37567a0 do not exit on an unmount from outside
  done
done
kill $SIM; wait $SIM 2>/dev/null
