#!/bin/bash
# quick par probe: 16 parallel dd of the par files through a fresh engine mount over rqbit-sim
JAR=$1; shift
cd /work/main
B=benchmarks/target-fin/benchmarks.jar
M=/tmp/pmnt; mkdir -p $M; fusermount -u $M 2>/dev/null
if ! curl -s -o /dev/null http://127.0.0.1:3931/torrents; then
  java -XX:+UseZGC -cp $B io.fuseengine.bench.mount.BenchSim 3931 3932 /var/tmp/fe-mount-bench/data > /tmp/psim.log 2>&1 &
  for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:3931/torrents && break; sleep 0.2; done
fi
java -XX:+UseZGC -jar $JAR mount $M --rqbit-url http://127.0.0.1:3931 --metrics-addr 127.0.0.1:9998 "$@" > /tmp/peng.log 2>&1 &
EP=$!
for i in $(seq 100); do d=$(find $M -type d -name par 2>/dev/null | head -1); [ -n "$d" ] && break; sleep 0.2; done
echo "dir $d"
wf=$(find $M -name warm.bin | head -1)
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
