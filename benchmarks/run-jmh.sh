#!/usr/bin/env bash
# Runs the bridge suite (BridgeBenchmark + SlotBenchmark) with -prof gc and writes, into
# perf-reports/jmh/<UTC timestamp>/:
#   results.json  JMH JSON (SampleTime percentiles are in primaryMetric.scorePercentiles)
#   results.txt   JMH's text table (score, error, p0.50/p0.99/p0.999, gc.alloc.rate.norm)
#   run.log       the whole console output
#   machine.txt   machine facts: nproc, CPU, memory, kernel, load, java -version, the JMH arguments used
#
# Usage: benchmarks/run-jmh.sh [--quick] [extra JMH arguments...]
#   --quick   one fork, 1 warmup + 2 measurement iterations of 1 s (a smoke run; numbers are not results)
#   extra arguments go to JMH, e.g. a benchmark regex ('BridgeBenchmark.latency64'), '-p readSize=131072',
#   '-p design=slotRing,queueFuture'.
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
if [[ "${1:-}" == "--quick" ]]; then
  quick=(-f 1 -wi 1 -i 2 -w 1s -r 1s)
  shift
fi

# A benchmark regex among the extra arguments replaces the default selection.
selection=('io\.fuseengine\.bench\.(BridgeBenchmark|SlotBenchmark)\.')
for a in "$@"; do
  if [[ "$a" != -* && "${prev:-}" != -* ]]; then selection=(); break; fi
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
