#!/bin/bash
# usage: conv.sh JAR N  -> a fresh fuse-engine mount over rqbit-sim, then N cold 1 GiB reads of big.bin (drop_caches
# and the sim's file read back before each). Per read: dd's rate and the engine's CPU ticks (10 ms) in all and in
# its JIT compiler threads (C1/C2), from /proc/PID/task. Shows how many GiB the engine reads before its JIT is quiet.
# FE_JVM: extra JVM flags for the engine. BENCH_JAR: the benchmarks jar (BenchSim). Needs mount-bench's data set.
set -u
JAR=$1; N=${2:-40}; FE_JVM=${FE_JVM:-}
source "$(dirname "$(readlink -f "$0")")/../sim-mount.sh"
M=/tmp/cmnt; mkdir -p $M; fusermount -u $M 2>/dev/null
start_sim "${BENCH_JAR:-benchmarks/target-mb/benchmarks.jar}" /tmp/csim.log
mount_engine "$JAR" $M 9998 /tmp/ceng.log
f=$(await_found $M -name big.bin)
[ -n "$f" ] || { echo "mount failed: /tmp/ceng.log"; exit 1; }
ticks() { # all, jit
  for t in /proc/$EP/task/*; do echo "$(tr ' ' _ < $t/comm) $(awk '{print $14+$15}' $t/stat)"; done \
    | awk '{a+=$2; if ($1 ~ /CompilerThre/) j+=$2} END {print a, j}'
}
echo "read GiB_total MB/s engine_ticks jit_ticks"
for r in $(seq "$N"); do
  sync; echo 3 > /proc/sys/vm/drop_caches; cat /var/tmp/fe-mount-bench/data/big.bin > /dev/null
  read a0 j0 < <(ticks)
  rate=$(dd if="$f" of=/dev/null bs=1M 2>&1 | tail -1 | awk '{v=$(NF-1); if ($NF=="GB/s") v*=1000; print v}')
  read a1 j1 < <(ticks)
  echo "$r $r $rate $((a1 - a0)) $((j1 - j0))"
done
fusermount -u $M; wait $EP 2>/dev/null
