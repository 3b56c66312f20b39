#!/usr/bin/env bash
# Runs a JMH suite (default: the bridge suite, BridgeBenchmark + SlotBenchmark) with -prof gc and writes, into
# perf-reports/jmh/<UTC timestamp>/:
#   results.json  JMH JSON (SampleTime percentiles are in primaryMetric.scorePercentiles)
#   results.txt   JMH's text table (score, error, p0.50/p0.99/p0.999, gc.alloc.rate.norm)
#   run.log       the whole console output
#   machine.txt   machine facts: nproc, CPU, memory, kernel, load, java -version, the JMH arguments used
#
# Usage: benchmarks/run-jmh.sh [--quick] [--suite NAME] [extra JMH arguments...]
#   --quick        one fork, 1 warmup + 2 measurement iterations of 1 s (a smoke run; numbers are not results)
#   --suite NAME   which benchmarks (default: bridge):
#                    bridge     BridgeBenchmark + SlotBenchmark
#                    cache      CacheBenchmark (ChunkCache hits, puts)
#                    transport  TransportBenchmark (128 KiB-16 MiB range requests over loopback HTTP)
#                    loopback   LoopbackReadBenchmark (FUSE-sized reads over loopback HTTP)
#                    all        every JMH benchmark in the jar
#   extra arguments go to JMH, e.g. a benchmark regex ('BridgeBenchmark.latency64'), '-p readSize=131072',
#   '-p design=slotRing,queueFuture'. A benchmark regex replaces the suite's selection (so give one or the other).
# Environment: JAVA (default: java on PATH), JAR (default: benchmarks/target/benchmarks.jar), OUT_ROOT.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
JAVA=${JAVA:-java}
JAR=${JAR:-$here/target/benchmarks.jar}
OUT_ROOT=${OUT_ROOT:-$root/perf-reports/jmh}

if [[ ! -f "$JAR" ]]; then
  echo "no $JAR; build it first: (cd $root && mvn -B -pl benchmarks -am package -DskipTests)" >&2
  exit 1
fi

quick=()
suite=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=(-f 1 -wi 1 -i 2 -w 1s -r 1s); shift ;;
    --suite) [[ $# -ge 2 ]] || { echo "--suite needs a name: bridge|cache|transport|loopback|all" >&2; exit 2; }
             suite=$2; shift 2 ;;
    --suite=*) suite=${1#--suite=}; shift ;;
    *) break ;;
  esac
done

case "${suite:-bridge}" in
  bridge)    selection=('io\.fuseengine\.bench\.(BridgeBenchmark|SlotBenchmark)\.') ;;
  cache)     selection=('io\.fuseengine\.bench\.CacheBenchmark\.') ;;
  transport) selection=('io\.fuseengine\.bench\.TransportBenchmark\.') ;;
  loopback)  selection=('io\.fuseengine\.bench\.LoopbackReadBenchmark\.') ;;
  all)       selection=('io\.fuseengine\.bench\.[A-Za-z]+Benchmark\.') ;;
  *) echo "unknown suite '$suite': bridge|cache|transport|loopback|all" >&2; exit 2 ;;
esac

# A benchmark regex among the extra arguments replaces the suite's selection.
for a in "$@"; do
  if [[ "$a" != -* && "${prev:-}" != -* ]]; then
    if [[ -n "$suite" ]]; then
      echo "give --suite or a benchmark regex ('$a'), not both" >&2
      exit 2
    fi
    selection=()
    break
  fi
  prev=$a
done
unset prev

# The benchmarks' @Fork(jvmArgsAppend) carries the parent pom's ${fe.jvm.flags} and a fixed pre-touched heap. Java 23+
# also wants two flags Java 17 refuses to start with: they go in -jvmArgsPrepend, which leaves the @Fork list alone
# (a command-line -jvmArgsAppend would replace it).
feature=$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
modern=()
host=()
if [[ "${feature%%.*}" -ge 23 ]]; then
  modern=(-jvmArgsPrepend "--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow")
  host=(--sun-misc-unsafe-memory-access=allow)   # the JMH harness JVM itself uses sun.misc.Unsafe
fi

out="$OUT_ROOT/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
args=(${selection[@]+"${selection[@]}"} -prof gc -rf json -rff "$out/results.json" ${quick[@]+"${quick[@]}"} ${modern[@]+"${modern[@]}"} "$@")

{
  echo "date (UTC):  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host:        $(uname -n)"
  echo "kernel:      $(uname -srm)"
  echo "nproc:       $(nproc)"
  echo "cpu:         $(lscpu 2>/dev/null | awk -F': *' '/^Model name/ {print $2; exit}')"
  echo "memory:      $(free -m 2>/dev/null | awk '/^Mem:/ {print $2 " MiB total, " $7 " MiB available"}')"
  echo "load avg:    $(cut -d' ' -f1-3 /proc/loadavg) (at start)"
  echo "jar:         $JAR ($(stat -c %y "$JAR"))"
  if [[ ${#selection[@]} -eq 0 ]]; then echo "suite:       none (a benchmark regex selects)"; else echo "suite:       ${suite:-bridge}"; fi
  echo "jmh args:    $(printf '%q ' "${args[@]}")"
  [[ ${#quick[@]} -gt 0 ]] && echo "mode:        QUICK SMOKE RUN (1 fork, 1x1s warmup, 2x1s measurement): not results"
  echo "java -version:"
  "$JAVA" -version 2>&1 | sed 's/^/  /'
} > "$out/machine.txt"
cat "$out/machine.txt"

"$JAVA" ${host[@]+"${host[@]}"} -jar "$JAR" "${args[@]}" 2>&1 | tee "$out/run.log"
status=${PIPESTATUS[0]}

# The text table is what JMH prints after the run, from the "Benchmark  Mode  Cnt" header on.
awk '/^Benchmark +(\(.*\) +)*Mode +Cnt/ {table=1} table' "$out/run.log" > "$out/results.txt"
echo "load avg:    $(cut -d' ' -f1-3 /proc/loadavg) (at end)" >> "$out/machine.txt"
echo
echo "wrote $out/{results.json,results.txt,run.log,machine.txt}"
exit "$status"
