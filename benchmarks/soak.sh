#!/usr/bin/env bash
# Soak: the integrity stress test (64 threads, random-offset reads of 1 B-256 KiB through a real mount, every byte
# verified against rqbit-sim's generated content) run with many more reads than CI does, while the test JVM's RSS
# and thread count are sampled every 5 s. Writes perf-reports/soak/<UTC>/{samples.csv,summary.md,test.log}.
#   READS=2000000 benchmarks/soak.sh        (default 1 000 000 reads; roughly 5-15 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=C.UTF-8
reads="${READS:-1000000}"
out="perf-reports/soak/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
echo "time_s,rss_mib,threads" > "$out/samples.csv"
start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
mvn -B -ntp -q -Dfe.target=target-soak -pl fuse-adapter -am test -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest='io.fuseengine.fuse.faults.ReadIntegrityStressTest' -Dfe.stress.reads="$reads" > "$out/test.log" 2>&1 &
mvn_pid=$!
while kill -0 "$mvn_pid" 2>/dev/null; do
  pid=$(pgrep -f '^[^ ]*/bin/java .*target-soak/surefire.*surefirebooter' | head -1 || true)
  if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
    rss=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status" 2>/dev/null || echo "")
    thr=$(awk '/Threads/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo "")
    [ -n "$rss" ] && echo "$(( $(date +%s) - start )),$rss,$thr" >> "$out/samples.csv"
  fi
  sleep 5
done
rc=0; wait "$mvn_pid" || rc=$?
verdict=$([ $rc -eq 0 ] && echo "PASSED (zero mismatches, zero hangs)" || echo "FAILED (exit $rc, see test.log)")
{
  echo "# Soak: $reads verified random reads through the mount"
  echo
  echo "Command: \`READS=$reads benchmarks/soak.sh\` at commit $(git rev-parse --short HEAD)"
  echo
  echo "- result: $verdict"
  echo "- wall time: $(( $(date +%s) - start )) s; load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- test JVM RSS MiB (min / max over samples): $(awk -F, 'NR>1 {if(min==""||$2<min)min=$2; if($2>max)max=$2} END {print min" / "max}' "$out/samples.csv")"
  echo "- test JVM threads (min / max): $(awk -F, 'NR>1 {if(min==""||$3<min)min=$3; if($3>max)max=$3} END {print min" / "max}' "$out/samples.csv")"
  echo "- nproc $(nproc); $(java -version 2>&1 | head -1)"
  echo
  echo "The test JVM holds rqbit-sim, the engine and 64 reader threads; RSS includes the off-heap chunk cache of the test mount."
} > "$out/summary.md"
cat "$out/summary.md"
exit $rc
