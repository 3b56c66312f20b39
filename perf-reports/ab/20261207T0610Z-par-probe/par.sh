#!/bin/bash
# quick par probe: 16 parallel dd of the par files through a fresh engine mount over rqbit-sim
JAR=$1; shift
source "$(dirname "$(readlink -f "$0")")/../sim-mount.sh"
cd /work/main
B=benchmarks/target-fin/benchmarks.jar
M=/tmp/pmnt; mkdir -p $M; fusermount -u $M 2>/dev/null
start_sim $B /tmp/psim.log
mount_engine $JAR $M 9998 /tmp/peng.log "$@"
d=$(await_found $M -type d -name par)
echo "dir $d"
wf=$(await_found $M -name warm.bin)
for w in 1 2 3 4 5; do
  dd if=$wf of=/dev/null bs=1M 2>/dev/null   # JIT warm-up, and evicts the par files from the engine's cache
  sync; echo 3 > /proc/sys/vm/drop_caches; cat /var/tmp/fe-mount-bench/data/par/* > /dev/null
  curl -s http://127.0.0.1:9998/metrics | grep -v '^#' | grep -v bucket > /tmp/pm0
  t0=$(date +%s.%N)
  pids=(); for f in $d/*; do dd if=$f of=/dev/null bs=1M 2>/dev/null & pids+=($!); done; wait "${pids[@]}"
  t1=$(date +%s.%N)
  curl -s http://127.0.0.1:9998/metrics | grep -v '^#' | grep -v bucket > /tmp/pm1
  echo "pass $w: $(echo "$t0 $t1" | awk '{printf "%.3f s, %.0f MB/s", $2-$1, 268435456/($2-$1)/1e6}')"
done
join <(sort /tmp/pm0) <(sort /tmp/pm1) | awk '{d=$3-$2; if (d!=0) print $1, d}' | grep -E "reads|hits|misses|readahead|chunk_fetch|transport_requests|replies|latency|evictions"
fusermount -u $M; kill $EP; wait $EP 2>/dev/null
