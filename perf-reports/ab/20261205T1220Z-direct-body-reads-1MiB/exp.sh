#!/usr/bin/env bash
# usage: exp.sh engine|memoryfs [reps] ; env FE_EXTRA (jvm flags for engine), FE_OPTS, PROF=1
set -u
SYS=$1; REPS=${2:-3}; BYTES=1073741824; [ -n "${HIT:-}" ] && BYTES=268435456
W=/var/tmp/fe-prof; M=$W/mnt; mkdir -p $M
B=${BENCH_JAR:-/var/tmp/fe-prof/s5-bench.jar}
FE=${FE_JAR:-/var/tmp/fe-prof/s5.jar}
SPEC="big=1G,warm=2G,par=1x1M,media=1x1M"
JVM_FLAGS="--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED"
fusermount -u -z $M 2>/dev/null
cpu() { local t=0; for p in $@; do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
if ! curl -sf -o /dev/null http://127.0.0.1:3941/torrents; then
  java -XX:+UseZGC $JVM_FLAGS -cp $B io.fuseengine.bench.mount.BenchSim 3941 3942 $W/data > $W/sim.log 2>&1 &
  for i in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:3941/torrents && break; sleep 0.2; done
fi
SIMPID=$(pgrep -f "BenchSim 3941")
URL=http://127.0.0.1:3941
[ "${BACKEND:-}" = nginx ] && { URL=http://127.0.0.1:${NGINX_PORT:-3933}; SIMPID=$(pgrep -f "nginx: worker" | tr "\n" " "); }
PROFARG=""
[ "${PROF:-0}" = 1 ] && PROFARG="-agentpath:/tmp/ap/linux-x64/libasyncProfiler.so=start,event=${PROFEV:-cpu},interval=${PROFINT:-1ms},threads,loop=2s,file=$W/loop-%t.collapsed,collapsed"
case $SYS in
  engine) XDG_CONFIG_HOME=$W/xdg XDG_STATE_HOME=$W/xdg ${FEJ:-java} -XX:+UseZGC ${FE_EXTRA:-} $PROFARG -jar $FE mount $M --rqbit-url $URL ${FE_OPTS:-} > $W/fs-$SYS.log 2>&1 & ;;
  memoryfs) java -XX:+UseZGC $JVM_FLAGS $PROFARG -cp $B io.fuseengine.bench.mount.MemoryFs $M "$SPEC" ${LEAN:-} > $W/fs-$SYS.log 2>&1 & ;;
esac
FSPID=$!
for i in $(seq 300); do [ -f $M/big.bin ] && break; sleep 0.1; done
ls $M >/dev/null
[ -n "${RA:-}" ] && { bdi=$(mountpoint -d $M); echo $RA > /sys/class/bdi/$bdi/read_ahead_kb; echo "ra=$(cat /sys/class/bdi/$bdi/read_ahead_kb)"; }
for w in $(seq ${WARMN:-1}); do sync; echo 3 > /proc/sys/vm/drop_caches; [ "$SYS" = engine ] && cat $W/data/warm.bin > /dev/null; dd if=$M/warm.bin of=/dev/null bs=1M 2>&1 | tail -1 | sed 's/^/warm: /'; done
[ -n "${MIDPROF:-}" ] && jcmd $FSPID JVMTI.agent_load /tmp/ap/linux-x64/libasyncProfiler.so "start,event=cpu,interval=1ms,threads" 2>&1 | tail -2
$W/thcpu.sh $FSPID > $W/th0.txt
[ -n "${ASPROF:-}" ] && /tmp/ap/bin/asprof start -e cpu -i 1ms --threads $FSPID 2>&1 | tail -1
[ -n "${UPTIME:-}" ] && jcmd $FSPID VM.uptime | tail -1 | sed 's/^/uptime start: /'
for r in $(seq $REPS); do
  sync; echo 3 > /proc/sys/vm/drop_caches; [ "$SYS" = engine ] && cat $W/data/big.bin > /dev/null
  c0=$(cpu $FSPID); s0=$(cpu $SIMPID); t0=$(date +%s.%N)
  if [ -n "${HIT:-}" ]; then dd if=$M/big.bin of=/dev/null bs=1M count=256 2>/dev/null; sync; echo 3 > /proc/sys/vm/drop_caches; c0=$(cpu $FSPID); s0=$(cpu $SIMPID); t0=$(date +%s.%N); fi
  date +%H%M%S;   dd if=$M/big.bin of=/dev/null bs=1M ${HIT:+count=256} 2>/dev/null
  t1=$(date +%s.%N); c1=$(cpu $FSPID); s1=$(cpu $SIMPID)
  python3 -c "t=$t1-$t0; print(f'$SYS run $r: {$BYTES/t/1e6:.0f} MB/s  fs cpu {($c1-$c0)/100:.2f}s  sim cpu {($s1-$s0)/100:.2f}s  wall {t:.2f}s')"
done
[ -n "${ASPROF:-}" ] && /tmp/ap/bin/asprof stop -o collapsed -f $W/asprof-$ASPROF.collapsed $FSPID 2>&1 | tail -1
[ -n "${MIDPROF:-}" ] && jcmd $FSPID JVMTI.agent_load /tmp/ap/linux-x64/libasyncProfiler.so "stop,file=$W/mid-$SYS.collapsed,collapsed" 2>&1 | tail -2
[ -n "${UPTIME:-}" ] && jcmd $FSPID VM.uptime | tail -1 | sed 's/^/uptime end: /'
$W/thcpu.sh $FSPID > $W/th1.txt; join -a1 $W/th0.txt $W/th1.txt | awk '{d=$3-$2; if(d>0) printf "%s %.2fs  ", $1, d/100} END{print ""}'
kill $FSPID; wait $FSPID 2>/dev/null; fusermount -u -z $M 2>/dev/null
