#!/usr/bin/env bash
# Memory/scale run of fuse-engine (issue #4; issue #3's "RSS stays under cache budget + 256 MiB with 1000 files open
# at once"). One run:
#   1. generates FILE_COUNT files of FILE_SIZE (default 1000 x 8 MiB media/mNNN.mkv, bytes a pure function of the path:
#      io.fuseengine.bench.mount.DataSet) and serves them with rqbit-sim (io.fuseengine.bench.mount.BenchSim) in a JVM
#      of its own, so the engine's RSS is only the engine's;
#   2. mounts fuse-engine as a user would: java -XX:+UseZGC -Xlog:gc*:file=OUT/gc.log:... -jar fuse-engine.jar mount
#      MNT --rqbit-url ... --cache-size CACHE_SIZE --metrics-addr 127.0.0.1:PORT (everything else default);
#   3. holds 1, 100, 1000 files open through the mount (each opened, its page cache dropped, 64 KiB read at its head and
#      checked against the source file), and at each level, once the engine is idle, records VmRSS, VmHWM, PSS, threads,
#      the cache figures of the Prometheus endpoint and the ZGC heap (jcmd GC.heap_info);
#   4. sustained reads: SEQ_READERS whole-file sequential readers (sha256 of each file checked) and RAND_READERS random
#      readers (each read compared with the source file) for SUSTAIN_SECONDS, page cache of the mount dropped after each
#      read so every read reaches the engine; RSS/threads sampled every second for the whole run;
#   5. verifies VERIFY_FILES whole files by sha256 through the mount after the churn;
#   6. writes perf-reports/scale/<UTC>/: summary.md, samples.csv (1 s samples, whole run), levels.csv, sustain.json,
#      gc.log, gc-pauses.csv, gc.json, rss.png, engine.log, sim.log, config.txt, and jcmd outputs.
#
# Needs: root (FUSE mount), /dev/fuse, java 17+ (jcmd), python3, curl, gnuplot (gnuplot-nox), the jars:
#   mvn -B -Dfe.target=target-scaleB -pl app,benchmarks -am package -DskipTests
# Usage:
#   benchmarks/scale-bench.sh
#   FE_JAR=app/target-scaleB/fuse-engine.jar BENCH_JAR=benchmarks/target-scaleB/benchmarks.jar benchmarks/scale-bench.sh
#   NMT=1 benchmarks/scale-bench.sh     # diagnostic run (output dir suffix -diag): the engine with
#       -XX:NativeMemoryTracking=summary (jcmd VM.native_memory summary at every level: nmt-*.txt) and jcmd GC.run
#       after each level (live heap; LIVE_HEAP=0 turns it off). JFR=1 adds JFR allocation profiling (alloc-top.txt),
#       which does not see the TLABs of jffi's throwaway callback threads. Diagnostics perturb what they measure.
# Settings (environment, defaults): FILE_COUNT (1000), FILE_SIZE (8M), LEVELS ("1 100 1000"), CACHE_SIZE (512MiB),
# SUSTAIN_SECONDS (60), SEQ_READERS (8), RAND_READERS (8), VERIFY_FILES (6), HEAD_READ (65536), SETTLE_MAX (90 s),
# RSS_MARGIN_MIB (256), JAVA (java), JAVA_OPTS (extra engine JVM flags, default none), FE_OPTS (extra mount options),
# NMT (0), JFR (0), LIVE_HEAP (=NMT), WORK_BASE (/var/tmp/fe-scale-bench), KEEP_DATA (0: data this run generated is removed at exit),
# OUT_BASE (perf-reports/scale), SIM_PORT/SIM_STATS_PORT/METRICS_PORT (first free from 3951/3952/3953).
set -uo pipefail
export LANG=C.UTF-8 LC_ALL=C.UTF-8

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
first_existing() { for f in "$@"; do [ -f "$f" ] && { echo "$f"; return; }; done; echo "$1"; }

# ---------------------------------------------------------------------------------------------- settings
FILE_COUNT="${FILE_COUNT:-1000}"
FILE_SIZE="${FILE_SIZE:-8M}"
LEVELS="${LEVELS:-1 100 1000}"
CACHE_SIZE="${CACHE_SIZE:-512MiB}"
SUSTAIN_SECONDS="${SUSTAIN_SECONDS:-60}"
SEQ_READERS="${SEQ_READERS:-8}"
RAND_READERS="${RAND_READERS:-8}"
VERIFY_FILES="${VERIFY_FILES:-6}"
HEAD_READ="${HEAD_READ:-65536}"
SETTLE_MAX="${SETTLE_MAX:-90}"
RSS_MARGIN_MIB="${RSS_MARGIN_MIB:-256}"
JAVA="${JAVA:-java}"
JAVA_OPTS="${JAVA_OPTS:-}"
FE_OPTS="${FE_OPTS:-}"
NMT="${NMT:-0}"
JFR="${JFR:-0}"                    # diagnostic: JFR allocation profile of the engine (top allocation sites in alloc-top.txt)
LIVE_HEAP="${LIVE_HEAP:-$NMT}"     # diagnostic: jcmd GC.run after each level's measurement, then record the live heap
WORK_BASE="${WORK_BASE:-/var/tmp/fe-scale-bench}"
KEEP_DATA="${KEEP_DATA:-0}"
OUT_BASE="${OUT_BASE:-$REPO/perf-reports/scale}"
MOUNT_TIMEOUT="${MOUNT_TIMEOUT:-60}"
FE_JAR="${FE_JAR:-$(first_existing "$REPO/app/target-scaleB/fuse-engine.jar" "$REPO/app/target/fuse-engine.jar")}"
BENCH_JAR="${BENCH_JAR:-$(first_existing "$REPO/benchmarks/target-scaleB/benchmarks.jar" "$REPO/benchmarks/target/benchmarks.jar")}"
JVM_FLAGS="--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED"

SPEC="media=${FILE_COUNT}x$FILE_SIZE"
DATA="$WORK_BASE/data"
SUMS="$WORK_BASE/SHA256SUMS"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
DIAG=0; { [ "$NMT" = 1 ] || [ "$JFR" = 1 ] || [ "$LIVE_HEAP" = 1 ]; } && DIAG=1
[ "$DIAG" = 1 ] && STAMP="$STAMP-diag"
OUT="$OUT_BASE/$STAMP"
MNT="/tmp/fe-scale-mnt.$$"
TOOL="$WORK_BASE/scaletool.$$.py"
PHASE_FILE="$WORK_BASE/phase.$$"

BASE_CREATED=0; [ -d "$WORK_BASE" ] || BASE_CREATED=1
mkdir -p "$OUT" "$WORK_BASE"
exec 3>&2   # the script's stderr, also for log lines written while a step's output is redirected
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/bench.log" >&3; }
die() { log "FATAL: $*"; exit 1; }
phase() { echo "$1" > "$PHASE_FILE"; log "phase: $1"; }

# ---------------------------------------------------------------------------------------------- cleanup
SIM_PID=""; FE_PID=""; SAMPLER_PID=""; STEP_PID=""; DATA_CREATED=0; MOUNTED_BY_US=0; JFR_FILE=""
. "$REPO/benchmarks/bench-lib.sh"   # stop_pid, unmount_dir
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$STEP_PID" 5
    stop_pid "$SAMPLER_PID" 5
    stop_pid "$FE_PID" 20           # the engine unmounts on SIGTERM
    [ "$MOUNTED_BY_US" = 1 ] && unmount_dir "$MNT"
    rmdir "$MNT" 2>/dev/null
    stop_pid "$SIM_PID" 15
    rm -f "$TOOL" "$PHASE_FILE" "$WORK_BASE/files.txt" "$WORK_BASE/verify.$$" "$JFR_FILE"
    if [ "$DATA_CREATED" = 1 ] && [ "$KEEP_DATA" != 1 ]; then
        log "removing the generated data $DATA (KEEP_DATA=1 keeps it)"
        rm -rf "$DATA" "$SUMS"
    fi
    rmdir "$WORK_BASE/xdg/config" "$WORK_BASE/xdg" 2>/dev/null
    [ "$BASE_CREATED" = 1 ] && [ "$KEEP_DATA" != 1 ] && rmdir "$WORK_BASE" 2>/dev/null
    grep -qs " $MNT " /proc/self/mountinfo && log "WARNING: $MNT is still mounted"
    [ -n "${LOAD_END:-}" ] || log "exiting (rc=$rc) before the end of the run"
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# runs a step in the background (so the trap can stop it) bounded by a timeout; returns its exit code
step() { local secs="$1"; shift; timeout --kill-after=10 "$secs" "$@" & STEP_PID=$!; wait "$STEP_PID"; local rc=$?; STEP_PID=""; return $rc; }

# ---------------------------------------------------------------------------------------------- checks
[ "$(id -u)" = 0 ] || die "run as root (FUSE mount)"
[ -e /dev/fuse ] || die "/dev/fuse is missing"
missing=()
for c in python3 curl "$JAVA" jcmd gnuplot fusermount timeout ss; do command -v "$c" >/dev/null || missing+=("$c"); done
[ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} (apt-get install -y gnuplot-nox python3 curl fuse3; jcmd comes with the JDK)"
[ -f "$FE_JAR" ] || die "no $FE_JAR: mvn -B -Dfe.target=target-scaleB -pl app,benchmarks -am package -DskipTests (or set FE_JAR)"
[ -f "$BENCH_JAR" ] || die "no $BENCH_JAR (or set BENCH_JAR)"
port_free() { ! ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }
pick_port() { local p="$1"; while ! port_free "$p" || [[ " ${USED_PORTS:-} " == *" $p "* ]]; do p=$((p + 1)); done; USED_PORTS="${USED_PORTS:-} $p"; echo "$p"; }
if [ -n "${SIM_PORT:-}" ]; then port_free "$SIM_PORT" || die "SIM_PORT $SIM_PORT in use"; USED_PORTS="$SIM_PORT"; else SIM_PORT="$(pick_port 3951)"; fi
if [ -n "${SIM_STATS_PORT:-}" ]; then port_free "$SIM_STATS_PORT" || die "SIM_STATS_PORT in use"; USED_PORTS="$USED_PORTS $SIM_STATS_PORT"; else SIM_STATS_PORT="$(pick_port 3952)"; fi
if [ -n "${METRICS_PORT:-}" ]; then port_free "$METRICS_PORT" || die "METRICS_PORT in use"; USED_PORTS="$USED_PORTS $METRICS_PORT"; else METRICS_PORT="$(pick_port 3953)"; fi
METRICS_URL="http://127.0.0.1:$METRICS_PORT/metrics"
max_level=0; for l in $LEVELS; do [ "$l" -gt "$max_level" ] && max_level=$l; done
[ "$max_level" -le "$FILE_COUNT" ] || die "LEVELS go up to $max_level but FILE_COUNT is $FILE_COUNT"

machine_facts() {
    echo "- nproc: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "- memory: $(free -m | awk '/^Mem:/ {print $2 " MiB total, " $7 " MiB available"}'); swap: $(free -m | awk '/^Swap:/ {print $2 " MiB"}')"
    echo "- kernel: $(uname -srvm)"
    echo "- java: $("$JAVA" -version 2>&1 | tr '\n' ' ')"
    echo "- python: $(python3 -c 'import sys;print(sys.version.split()[0])'); $(gnuplot --version 2>/dev/null)"
    echo "- file system of the data: $(df -hT "$WORK_BASE" | awk 'NR==2 {print $1 " (" $2 "), " $3 " size, " $5 " available"}')"
}
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
FACTS="$(machine_facts)"
log "output $OUT; spec $SPEC; cache $CACHE_SIZE; levels $LEVELS; sustain ${SUSTAIN_SECONDS}s (${SEQ_READERS} seq + ${RAND_READERS} random); ports sim $SIM_PORT stats $SIM_STATS_PORT metrics $METRICS_PORT; load $LOAD_START"

# ---------------------------------------------------------------------------------------------- the python helper
cat > "$TOOL" <<'PYEOF'
#!/usr/bin/env python3
"""Helpers of scale-bench.sh (standard library only): sampler, holder, sustained readers, verification, GC log
statistics and the summary."""
import hashlib, json, os, random, re, resource, signal, statistics, subprocess, sys, threading, time, urllib.request
from datetime import datetime

MIB = 1 << 20
METRIC_KEYS = ["fuse_engine_cache_resident_bytes", "fuse_engine_cache_resident_chunks", "fuse_engine_cache_evictions_total",
               "fuse_engine_cache_fetched_bytes_total", "fuse_engine_transport_bytes_total", "fuse_engine_reads_total",
               "fuse_engine_reads_in_flight", "fuse_engine_readahead_chunks_in_flight", "fuse_engine_read_errors_total",
               "fuse_engine_read_timeouts_total", "fuse_engine_transport_connections_open"]
SHORT = {"fuse_engine_cache_resident_bytes": "cache_resident_bytes", "fuse_engine_cache_resident_chunks": "cache_chunks",
         "fuse_engine_cache_evictions_total": "cache_evictions", "fuse_engine_cache_fetched_bytes_total": "cache_fetched_bytes",
         "fuse_engine_transport_bytes_total": "transport_bytes", "fuse_engine_reads_total": "engine_reads",
         "fuse_engine_reads_in_flight": "reads_in_flight", "fuse_engine_readahead_chunks_in_flight": "readahead_in_flight",
         "fuse_engine_read_errors_total": "read_errors", "fuse_engine_read_timeouts_total": "read_timeouts",
         "fuse_engine_transport_connections_open": "connections_open"}
PROC_KEYS = ["rss_mib", "hwm_mib", "pss_mib", "rss_anon_mib", "rss_file_mib", "rss_shmem_mib", "threads"]
CSV_COLS = ["epoch", "t_s", "phase"] + PROC_KEYS + [SHORT[k] for k in METRIC_KEYS]


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def proc(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                out[k] = int(v.split()[0]) / 1024.0
            elif k == "Threads":
                out[k] = int(v)
    pss = ""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return {"rss_mib": out.get("VmRSS"), "hwm_mib": out.get("VmHWM"), "pss_mib": pss, "rss_anon_mib": out.get("RssAnon"),
            "rss_file_mib": out.get("RssFile"), "rss_shmem_mib": out.get("RssShmem"), "threads": out.get("Threads")}


def metrics(url):
    vals = {}
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            for line in r.read().decode().splitlines():
                if line.startswith("#"):
                    continue
                parts = line.split()
                if len(parts) == 2 and parts[0] in METRIC_KEYS:
                    vals[SHORT[parts[0]]] = float(parts[1])
    except Exception:
        pass
    return vals


def fmt(v):
    if v is None or v == "":
        return ""
    if isinstance(v, float):
        return f"{v:.1f}" if abs(v) < 1e6 else f"{v:.0f}"
    return str(v)


def sample(pid, url):
    s = proc(pid)
    s.update(metrics(url))
    return s


def read_phase(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def cmd_sampler(a):
    """sampler PID METRICS_URL PHASE_FILE OUT_CSV INTERVAL: one row per INTERVAL until the pid exits or SIGTERM"""
    pid, url, phase_file, out, interval = a[0], a[1], a[2], a[3], float(a[4])
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    t0 = time.time()
    with open(out, "w") as f:
        f.write(",".join(CSV_COLS) + "\n")
        nxt = time.time()
        while not stop:
            now = time.time()
            try:
                s = sample(pid, url)
            except (OSError, ValueError):
                break
            row = [f"{now:.3f}", f"{now - t0:.1f}", read_phase(phase_file)] + [fmt(s.get(k)) for k in PROC_KEYS] + \
                  [fmt(s.get(SHORT[k])) for k in METRIC_KEYS]
            f.write(",".join(row) + "\n")
            f.flush()
            nxt += interval
            time.sleep(max(0.0, nxt - time.time()))


def heap_info(pid):
    try:
        out = subprocess.run(["jcmd", str(pid), "GC.heap_info"], capture_output=True, text=True, timeout=30).stdout
    except Exception as e:
        return "", "", f"jcmd failed: {e}"
    m = re.search(r"ZHeap\s+used (\d+)M, capacity (\d+)M", out)
    if m:
        return int(m.group(1)), int(m.group(2)), out
    m = re.search(r"used (\d+)K", out)
    return (int(m.group(1)) // 1024 if m else ""), "", out


def threads_started(pid):
    """java.threads.started: every Java thread the JVM started or attached (a native thread attached by jffi counts)"""
    try:
        out = subprocess.run(["jcmd", str(pid), "PerfCounter.print"], capture_output=True, text=True, timeout=30).stdout
        m = re.search(r"^java\.threads\.started=(\d+)", out, re.M)
        return int(m.group(1)) if m else ""
    except Exception:
        return ""


def settle(pid, url, min_s, max_s):
    """waits until no read and no read-ahead is in flight and the transport moved no byte for 3 polls (1 s apart)"""
    t0 = time.time()
    last, quiet = None, 0
    while True:
        m = metrics(url)
        tb = m.get("transport_bytes")
        idle = m.get("reads_in_flight", 0) == 0 and m.get("readahead_in_flight", 0) == 0
        quiet = quiet + 1 if (idle and tb is not None and tb == last) else 0
        last = tb
        el = time.time() - t0
        if (quiet >= 3 and el >= min_s) or el >= max_s:
            return el, quiet >= 3
        time.sleep(1)


def measure_level(label, pid, url, outdir, nmt, open_s, files_open, head_bad, settle_max):
    settled_s, settled = settle(pid, url, 5, settle_max)
    rows = []
    for _ in range(3):
        rows.append(sample(pid, url))
        time.sleep(1)
    s = rows[-1]
    used, cap, raw = heap_info(pid)
    started = threads_started(pid)
    with open(os.path.join(outdir, f"jcmd-heap-{label}.txt"), "w") as f:
        f.write(raw)
    live = ""
    if os.environ.get("LIVE_HEAP") == "1":
        subprocess.run(["jcmd", str(pid), "GC.run"], capture_output=True, timeout=120)
        live, _, raw2 = heap_info(pid)
        with open(os.path.join(outdir, f"jcmd-heap-{label}-after-gc.txt"), "w") as f:
            f.write(raw2)
    if nmt:
        try:
            out = subprocess.run(["jcmd", str(pid), "VM.native_memory", "summary"], capture_output=True, text=True, timeout=60).stdout
        except Exception as e:
            out = f"jcmd failed: {e}"
        with open(os.path.join(outdir, f"nmt-{label}.txt"), "w") as f:
            f.write(out)
    rec = {"level": label, "files_open": files_open, "open_seconds": round(open_s, 2), "head_mismatches": head_bad,
           "settle_seconds": round(settled_s, 1), "settled": settled, "heap_used_mib": used, "heap_capacity_mib": cap,
           "heap_after_gc_run_mib": live, "jvm_threads_started": started,
           "rss_max_of_3_mib": max(r["rss_mib"] for r in rows)}
    rec.update({k: s.get(k) for k in PROC_KEYS})
    rec.update({SHORT[k]: s.get(SHORT[k]) for k in METRIC_KEYS})
    return rec


def cmd_hold(a):
    """hold PID METRICS_URL ROOT DATA FILELIST LEVELS HEAD OUTDIR PHASE_FILE SETTLE_MAX NMT"""
    pid, url, root, data, filelist, levels, head, outdir, phase_file, settle_max, nmt = \
        a[0], a[1], a[2], a[3], a[4], [int(x) for x in a[5].split()], int(a[6]), a[7], a[8], float(a[9]), a[10] == "1"
    raise_nofile()
    with open(filelist) as f:
        files = [l.strip() for l in f if l.strip()]
    fds, recs, head_bad = [], [], 0
    # the idle engine before any file is opened (after one jcmd attach, so the Attach Listener thread is counted everywhere)
    heap_info(pid)
    with open(phase_file, "w") as f:
        f.write("idle")
    recs.append(measure_level("idle", pid, url, outdir, nmt, 0.0, 0, 0, settle_max))
    print(json.dumps(recs[-1]), file=sys.stderr, flush=True)
    for lvl in levels:
        with open(phase_file, "w") as f:
            f.write(f"open-{lvl}")
        t0 = time.time()
        while len(fds) < lvl:
            rel = files[len(fds)]
            fd = os.open(os.path.join(root, rel), os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)   # the head read must reach the engine
            got = os.pread(fd, head, 0)
            with open(os.path.join(data, rel), "rb") as src:
                if src.read(head) != got:
                    head_bad += 1
            fds.append(fd)
        open_s = time.time() - t0
        with open(phase_file, "w") as f:
            f.write(f"hold-{lvl}")
        recs.append(measure_level(str(lvl), pid, url, outdir, nmt, open_s, len(fds), head_bad, settle_max))
        print(json.dumps(recs[-1]), file=sys.stderr, flush=True)
    with open(phase_file, "w") as f:
        f.write("closed")
    for fd in fds:
        os.close(fd)
    recs.append(measure_level("closed", pid, url, outdir, nmt, 0.0, 0, head_bad, settle_max))
    print(json.dumps(recs[-1]), file=sys.stderr, flush=True)
    with open(os.path.join(outdir, "levels.json"), "w") as f:
        json.dump(recs, f, indent=1)
    cols = list(recs[0].keys())
    with open(os.path.join(outdir, "levels.csv"), "w") as f:
        f.write(",".join(cols) + "\n")
        for r in recs:
            f.write(",".join(fmt(r.get(c)) for c in cols) + "\n")
    sys.exit(1 if head_bad else 0)


def load_sums(path):
    sums = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                sums[line[66:]] = line[:64]
    return sums


def cmd_sustain(a):
    """sustain ROOT DATA SUMS SECONDS SEQ RAND OUT_JSON: sequential readers (whole files, sha256 checked) and random
    readers (4 KiB-256 KiB at random offsets, compared with the source file); the mount's page cache of a file is
    dropped before and after each read so that reads reach the engine"""
    root, data, sums_path, secs, nseq, nrand, out = a[0], a[1], a[2], float(a[3]), int(a[4]), int(a[5]), a[6]
    raise_nofile()
    sums = load_sums(sums_path)
    files = sorted(sums)
    deadline = time.time() + secs
    lock = threading.Lock()
    st = {"seq_bytes": 0, "seq_files_ok": 0, "seq_files_bad": 0, "seq_files_partial": 0, "rand_bytes": 0, "rand_reads": 0,
          "rand_ok": 0, "rand_bad": 0, "errors": {}, "bad_files": []}
    order = files[:]
    random.Random(42).shuffle(order)
    nxt = [0]

    def err(e):
        with lock:
            k = getattr(e, "errno", None) or type(e).__name__
            st["errors"][str(k)] = st["errors"].get(str(k), 0) + 1

    def seq_reader():
        while time.time() < deadline:
            with lock:
                rel = order[nxt[0] % len(order)]
                nxt[0] += 1
            try:
                fd = os.open(os.path.join(root, rel), os.O_RDONLY)
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    h, n, cut = hashlib.sha256(), 0, False
                    while True:
                        if time.time() >= deadline:
                            cut = True
                            break
                        b = os.read(fd, MIB)
                        if not b:
                            break
                        h.update(b)
                        n += len(b)
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)
                with lock:
                    st["seq_bytes"] += n
                    if cut:
                        st["seq_files_partial"] += 1
                    elif h.hexdigest() == sums[rel]:
                        st["seq_files_ok"] += 1
                    else:
                        st["seq_files_bad"] += 1
                        st["bad_files"].append(rel)
            except OSError as e:
                err(e)

    def rand_reader(seed):
        rnd = random.Random(seed)
        while time.time() < deadline:
            rel = rnd.choice(files)
            try:
                fd = os.open(os.path.join(root, rel), os.O_RDONLY)
                src = os.open(os.path.join(data, rel), os.O_RDONLY)
                try:
                    size = os.fstat(src).st_size
                    for _ in range(8):
                        ln = rnd.choice((4096, 16384, 65536, 131072, 262144))
                        off = rnd.randrange(0, max(1, size - ln)) & ~4095
                        os.posix_fadvise(fd, off, ln, os.POSIX_FADV_DONTNEED)
                        got = os.pread(fd, ln, off)
                        want = os.pread(src, ln, off)
                        with lock:
                            st["rand_reads"] += 1
                            st["rand_bytes"] += len(got)
                            if got == want:
                                st["rand_ok"] += 1
                            else:
                                st["rand_bad"] += 1
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)
                    os.close(src)
            except OSError as e:
                err(e)

    t0 = time.time()
    ths = [threading.Thread(target=seq_reader) for _ in range(nseq)] + \
          [threading.Thread(target=rand_reader, args=(1000 + i,)) for i in range(nrand)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    st["seconds"] = round(time.time() - t0, 2)
    st["seq_MBps"] = round(st["seq_bytes"] / st["seconds"] / 1e6, 1)
    st["rand_reads_per_s"] = round(st["rand_reads"] / st["seconds"], 1)
    st["bad_files"] = st["bad_files"][:20]
    with open(out, "w") as f:
        json.dump(st, f, indent=1)
    print(json.dumps(st))
    sys.exit(1 if st["seq_files_bad"] or st["rand_bad"] else 0)


def cmd_verify(a):
    """verify ROOT SUMS N OUT: sha256 of N whole files through the mount (first, last, the rest random) vs the manifest"""
    root, sums, n, out = a[0], load_sums(a[1]), int(a[2]), a[3]
    files = sorted(sums)
    pick = [files[0], files[-1]] + random.Random(7).sample(files[1:-1], max(0, min(n - 2, len(files) - 2)))
    bad = 0
    with open(out, "w") as f:
        f.write("file,expected_sha256,mount_sha256,ok\n")
        for rel in pick[:max(n, 1)]:
            h = hashlib.sha256()
            fd = os.open(os.path.join(root, rel), os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                while True:
                    b = os.read(fd, MIB)
                    if not b:
                        break
                    h.update(b)
            finally:
                os.close(fd)
            ok = h.hexdigest() == sums[rel]
            bad += 0 if ok else 1
            f.write(f"{rel},{sums[rel]},{h.hexdigest()},{'ok' if ok else 'MISMATCH'}\n")
    print(len(pick[:max(n, 1)]), bad)
    sys.exit(1 if bad else 0)


PAUSE_RE = re.compile(r"^\[([^\]]+)\]\[([0-9.]+)s\].*GC\((\d+)\) (?:[yOoY]: )?(Pause [A-Za-z ]+?)(?: \([A-Za-z]+\))? ([0-9.]+)ms\s*$")
CYCLE_RE = re.compile(r"^\[([^\]]+)\].*GC\((\d+)\) ")


def gc_parse(path):
    pauses, cycles = [], {}
    with open(path, errors="replace") as f:
        for line in f:
            m = PAUSE_RE.match(line.rstrip("\n"))
            if m and "Phase:" not in line:
                t = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
                pauses.append((t, float(m.group(2)), int(m.group(3)), m.group(4).strip(), float(m.group(5))))
            c = CYCLE_RE.match(line)
            if c:
                gid = int(c.group(2))
                if gid not in cycles:
                    cycles[gid] = datetime.strptime(c.group(1), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    return pauses, cycles


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def pause_stats(ps):
    d = [p[4] for p in ps]
    if not d:
        return {"count": 0}
    return {"count": len(d), "median_ms": round(statistics.median(d), 3), "p99_ms": round(pct(d, 99), 3),
            "max_ms": round(max(d), 3), "total_ms": round(sum(d), 3),
            "by_kind": {k: len([p for p in ps if p[3] == k]) for k in sorted({p[3] for p in ps})}}


GCSUM_RE = re.compile(r"^\[([^\]]+)\].*GC\((\d+)\) Garbage Collection \(([^)]*)\) (\d+)M\(\d+%\)->(\d+)M\(\d+%\)")
HEAPROW_RE = re.compile(r"GC\((\d+)\)\s+(Capacity|Live|Used):\s+(.*)$")
ALLOC_RE = re.compile(r"^\[([^\]]+)\].*Memory: Allocation Rate\s+(\d+) / (\d+)")


def gc_cycles(path):
    """per cycle: start time, reason, used before -> after (MiB), live at mark end, highest capacity"""
    cyc, rates = {}, []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = GCSUM_RE.match(line)
            if m:
                g = cyc.setdefault(int(m.group(2)), {})
                g.update({"end": datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp(), "reason": m.group(3),
                          "before_mib": int(m.group(4)), "after_mib": int(m.group(5))})
                continue
            m = HEAPROW_RE.search(line)
            if m:
                vals = re.findall(r"(\d+)M", m.group(3))
                g = cyc.setdefault(int(m.group(1)), {})
                if m.group(2) == "Capacity" and len(vals) >= 5:
                    g["capacity_high_mib"] = int(vals[4])
                elif m.group(2) == "Live" and vals:
                    g["live_mib"] = int(vals[0])
                continue
            m = ALLOC_RE.match(line)
            if m:
                rates.append((datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp(), int(m.group(2)), int(m.group(3))))
    return cyc, rates


def cmd_gc(a):
    """gc GCLOG START_EPOCH END_EPOCH OUT_CSV OUT_JSON"""
    path, t0, t1, out_csv, out_json = a[0], float(a[1]), float(a[2]), a[3], a[4]
    pauses, cycles = gc_parse(path)
    cyc, rates = gc_cycles(path)
    with open(out_csv, "w") as f:
        f.write("epoch,uptime_s,gc_id,pause,ms\n")
        for p in pauses:
            f.write(f"{p[0]:.3f},{p[1]:.3f},{p[2]},{p[3]},{p[4]}\n")
    win = [p for p in pauses if t0 <= p[0] <= t1]
    res = {"all": pause_stats(pauses), "sustain": pause_stats(win), "cycles_all": len(cycles),
           "cycles_sustain": len([g for g, t in cycles.items() if t0 <= t <= t1]),
           "cycles": [dict(gc_id=k, start=cycles.get(k), **v) for k, v in sorted(cyc.items())],
           "alloc_rate_10s_MBps_sustain": [r[1] for r in rates if t0 <= r[0] <= t1 + 10],
           "alloc_rate_10s_MBps_all": [r[1] for r in rates]}
    with open(out_json, "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res))


def cmd_jfralloc(a):
    """jfralloc JFR_FILE T0 T1 OUT: JFR jdk.ObjectAllocationSample (weight = bytes the sample stands for), summed by
    allocated class + top frame, and by the first frame outside java.*/jdk.*/sun.*; whole recording and T0..T1"""
    path, t0, t1, out = a[0], float(a[1]), float(a[2]), a[3]
    js = subprocess.run(["jfr", "print", "--json", "--stack-depth", "16", "--events", "jdk.ObjectAllocationSample", path],
                        capture_output=True, text=True, timeout=600).stdout
    evs = json.loads(js)["recording"]["events"]

    def frame_name(fr):
        m = fr.get("method") or {}
        return f"{(m.get('type') or {}).get('name', '?')}.{m.get('name', '?')}:{fr.get('lineNumber', '')}"

    def ts(v):
        try:
            return datetime.fromisoformat(v["startTime"].replace("Z", "+00:00")).timestamp()
        except Exception:
            return None

    lines = []
    for label, sel in (("sustained phase", lambda t: t is not None and t0 <= t <= t1), ("whole recording", lambda t: True)):
        by_top, by_own, total, n = {}, {}, 0, 0
        for e in evs:
            v = e["values"]
            if not sel(ts(v)):
                continue
            w = v.get("weight") or 0
            cls = (v.get("objectClass") or {}).get("name", "?")
            frames = ((v.get("stackTrace") or {}).get("frames")) or []
            top = frame_name(frames[0]) if frames else "?"
            own = next((frame_name(f) for f in frames if not re.match(r"(java|jdk|sun|javax)\.", ((f.get("method") or {}).get("type") or {}).get("name", ""))), top)
            chain = " < ".join(frame_name(f) for f in frames[:8])
            by_top[(cls, top)] = by_top.get((cls, top), 0) + w
            by_own.setdefault(own, [0, chain, cls])
            by_own[own][0] += w
            total += w
            n += 1
        lines.append(f"== {label}: {n} samples, {total / MIB:.0f} MiB allocated (sampled weight) ==")
        lines.append("-- by allocated class + top frame --")
        for (cls, top), w in sorted(by_top.items(), key=lambda x: -x[1])[:15]:
            lines.append(f"{w / MIB:10.0f} MiB {100.0 * w / max(total, 1):5.1f}%  {cls}  @ {top}")
        lines.append("-- by first frame outside java.*/jdk.*/sun.* (one example stack, top first) --")
        for own, (w, chain, cls) in sorted(by_own.items(), key=lambda x: -x[1][0])[:15]:
            lines.append(f"{w / MIB:10.0f} MiB {100.0 * w / max(total, 1):5.1f}%  {own}  [{cls}]")
            lines.append(f"             {chain}")
        lines.append("")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines[:20]))


def rows_csv(path):
    with open(path) as f:
        hdr = f.readline().strip().split(",")
        return [dict(zip(hdr, l.rstrip("\n").split(","))) for l in f if l.strip()]


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def cmd_plotdata(a):
    """plotdata SAMPLES_CSV OUT_DAT OUT_PHASES: t rss pss hwm threads cache_MiB; and phase start times"""
    rows = rows_csv(a[0])
    with open(a[1], "w") as f:
        for r in rows:
            cr = num(r.get("cache_resident_bytes"))
            f.write(f"{r['t_s']} {r['rss_mib'] or 'NaN'} {r['pss_mib'] or 'NaN'} {r['hwm_mib'] or 'NaN'} "
                    f"{r['threads'] or 'NaN'} {cr / MIB if cr is not None else 'NaN'}\n")
    with open(a[2], "w") as f:
        last = None
        for r in rows:
            if r["phase"] != last:
                f.write(f"{r['t_s']} {r['phase']}\n")
                last = r["phase"]


def mib(v):
    return "" if v is None or v == "" else f"{float(v):.0f}"


def tmib(v):
    return "" if v is None or v == "" else f"{float(v) / MIB:.0f}"


def cmd_summary(a):
    """summary OUTDIR (settings come from the environment)"""
    out = a[0]
    env = os.environ
    lv = json.load(open(os.path.join(out, "levels.json"))) if os.path.exists(os.path.join(out, "levels.json")) else []
    sus = json.load(open(os.path.join(out, "sustain.json"))) if os.path.exists(os.path.join(out, "sustain.json")) else {}
    gc = json.load(open(os.path.join(out, "gc.json"))) if os.path.exists(os.path.join(out, "gc.json")) else {}
    rows = rows_csv(os.path.join(out, "samples.csv")) if os.path.exists(os.path.join(out, "samples.csv")) else []
    cache_bytes = int(env["CACHE_BYTES"])
    limit = cache_bytes / MIB + float(env["RSS_MARGIN_MIB"])
    L = []
    w = L.append
    w(f"# fuse-engine memory/scale run ({env['STAMP']})")
    w("")
    if env.get("DIAG") == "1":
        w("**Diagnostic run, not the measurement of record:** " + ", ".join(x for x in (
            "`-XX:NativeMemoryTracking=summary` (NMT adds its own bookkeeping to RSS; nmt-*.txt)" if env.get("NMT") == "1" else "",
            "JFR allocation profiling (`settings=profile`; alloc-top.txt)" if env.get("JFR") == "1" else "",
            "`jcmd GC.run` after each level's measurement (the next level starts from a collected heap; "
            "heap-after-GC column)" if env.get("LIVE_HEAP") == "1" else "") if x) + ".")
        w("")
    w(f"Command: `{env['CMDLINE']}`")
    w("")
    w(f"Engine: `{env['FE_CMD']}`")
    w("")
    w(f"Backend: rqbit-sim (`io.fuseengine.bench.mount.BenchSim`, its own JVM) serving `{env['SPEC']}` "
      f"({env['FILE_COUNT']} files of {env['FILE_SIZE']}, {env['DATA_DU']} under {env['DATA']}); jars `{env['FE_JAR']}`, `{env['BENCH_JAR']}`.")
    w(f"Cache budget (`--cache-size`): {env['CACHE_SIZE']} = {cache_bytes} B; chunk size and everything else default "
      f"(effective settings in config.txt).")
    w("")
    target_row = next((r for r in lv if r["level"] == str(max(int(x) for x in env["LEVELS"].split()))), None)
    w("## Verdict")
    w("")
    if target_row:
        rss = target_row["rss_mib"]
        verdict = "PASS" if rss is not None and rss <= limit else "FAIL"
        w(f"- **{verdict}**: RSS with {target_row['files_open']} files open = {rss:.0f} MiB (VmRSS, settled; max of 3 samples "
          f"{target_row['rss_max_of_3_mib']:.0f} MiB) vs limit cache budget + {env['RSS_MARGIN_MIB']} MiB = {limit:.0f} MiB.")
        pss = target_row.get("pss_mib")
        if pss not in (None, ""):
            w(f"- Same point by PSS (counts each physical page once; ZGC maps its heap three times and VmRSS counts a "
              f"resident heap page once per mapping it was touched through): {float(pss):.0f} MiB → "
              f"{'within' if float(pss) <= limit else 'over'} the limit.")
    else:
        w("- **FAIL**: the hold phase did not reach its last level (see bench.log).")
    if sus:
        w(f"- Correctness under load: {sus.get('seq_files_ok', 0)} whole files sha256-verified through the mount, "
          f"{sus.get('seq_files_bad', 0)} mismatched; {sus.get('rand_ok', 0)} random reads equal to the source, "
          f"{sus.get('rand_bad', 0)} differed; errors {sus.get('errors') or 'none'}.")
    w(f"- Final check: {env.get('VERIFY_RESULT', 'not run')} (verify.csv).")
    w(f"- engine.log: {env.get('ENGINE_WARNS', '?')} WARN/ERROR lines.")
    heads = lv[-1]["head_mismatches"] if lv else "n/a"
    w(f"- Head reads (64 KiB of every opened file compared with its source): {heads} mismatches.")
    w("")
    w("## Files held open")
    w("")
    w("Each level opens more files through the mount (fadvise DONTNEED, then a "
      f"{env['HEAD_READ']} B read at offset 0, kept open) and is measured once the engine is idle (no read or read-ahead in "
      "flight, transport silent for 3 s; `settle` column), 3 samples 1 s apart, the last shown. `idle`: mounted, nothing "
      "opened yet; `closed`: all closed again. RSS = VmRSS, HWM = VmHWM (peak since start), PSS from smaps_rollup, "
      "Shmem = RssShmem (the ZGC heap's multi-mapped memory), heap = ZGC used/capacity (jcmd GC.heap_info), threads = "
      "Threads of /proc/PID/status (Java and native FUSE threads), Java threads started = the JVM's `java.threads.started` "
      "counter (jcmd PerfCounter.print: every thread started or attached, including each attach of a native FUSE thread by jffi).")
    w("")
    w("| files open | open time s | settle s | RSS MiB | HWM MiB | PSS MiB | RssAnon MiB | RssShmem MiB | threads | cache resident B (chunks) | heap used/capacity MiB | transport MiB (cum.) | Java threads started (cum.) |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in lv:
        cr = r.get("cache_resident_bytes")
        w(f"| {r['level'] if r['level'] in ('idle', 'closed') else r['files_open']} | {r['open_seconds']} | "
          f"{r['settle_seconds']}{'' if r['settled'] else ' (not idle)'} | {mib(r['rss_mib'])} | {mib(r['hwm_mib'])} | "
          f"{mib(r['pss_mib'])} | {mib(r['rss_anon_mib'])} | {mib(r['rss_shmem_mib'])} | {r['threads']} | "
          f"{'' if cr is None else f'{cr:.0f}'} ({'' if r.get('cache_chunks') is None else int(r['cache_chunks'])}) | "
          f"{r['heap_used_mib']}/{r['heap_capacity_mib']}{' (after GC.run: ' + str(r.get('heap_after_gc_run_mib')) + ')' if r.get('heap_after_gc_run_mib') not in (None, '') else ''} | "
          f"{tmib(r.get('transport_bytes'))} | {r.get('jvm_threads_started', '')} |")
    w("")
    w("## Sustained reads")
    w("")
    srows = [r for r in rows if r["phase"] == "sustain"]
    if srows:
        def col(k):
            return [v for v in (num(r[k]) for r in srows) if v is not None]

        def mmm(xs, f="{:.0f}"):
            return " / ".join(f.format(x) for x in (min(xs), statistics.median(xs), max(xs))) if xs else "n/a"
        t0, t1 = float(srows[0]["epoch"]), float(srows[-1]["epoch"])
        fetched = [num(srows[0]["cache_fetched_bytes"]), num(srows[-1]["cache_fetched_bytes"])]
        evict = [num(srows[0]["cache_evictions"]), num(srows[-1]["cache_evictions"])]
        tb = [num(srows[0]["transport_bytes"]), num(srows[-1]["transport_bytes"])]
        w(f"{env['SUSTAIN_SECONDS']} s, {env['SEQ_READERS']} sequential readers (whole files, 1 MiB reads, next file of a shuffled "
          f"list) + {env['RAND_READERS']} random readers (8 reads of 4-256 KiB at random 4 KiB-aligned offsets per open), "
          "the mount's page cache of each file dropped (fadvise DONTNEED) before and after reading. Samples every 1 s "
          f"({len(srows)} samples):")
        w("")
        w(f"| | min / median / max |")
        w("|---|---|")
        w(f"| RSS MiB | {mmm(col('rss_mib'))} |")
        w(f"| PSS MiB | {mmm(col('pss_mib'))} |")
        w(f"| RssShmem MiB (ZGC heap mappings) | {mmm(col('rss_shmem_mib'))} |")
        w(f"| threads | {mmm(col('threads'))} |")
        w(f"| cache resident MiB | {mmm([x / MIB for x in col('cache_resident_bytes')])} |")
        w("")
        if None not in fetched and None not in evict:
            w(f"- Cache churn: {(fetched[1] - fetched[0]) / MIB:.0f} MiB put into the cache ({(fetched[1] - fetched[0]) / cache_bytes:.1f}x the budget), "
              f"{evict[1] - evict[0]:.0f} evictions; transport {(tb[1] - tb[0]) / MIB:.0f} MiB from rqbit-sim.")
        ts0, ts1 = env.get("SUS_STARTED0", ""), env.get("SUS_STARTED1", "")
        if ts0.isdigit() and ts1.isdigit():
            d = int(ts1) - int(ts0)
            w(f"- Java threads started or attached during the phase (`java.threads.started`): {d} "
              f"({d / float(env['SUS_SECONDS_REAL']):.0f}/s) while /proc showed {mmm(col('threads'))} threads alive.")
        if sus:
            w(f"- Readers: sequential {sus['seq_bytes'] / MIB:.0f} MiB ({sus['seq_MBps']} MB/s), {sus['seq_files_ok']} files verified, "
              f"{sus['seq_files_partial']} cut by the deadline; random {sus['rand_reads']} reads ({sus['rand_reads_per_s']}/s, "
              f"{sus['rand_bytes'] / MIB:.0f} MiB).")
        try:
            hm = re.search(r"ZHeap\s+used (\d+)M, capacity (\d+)M, max capacity (\d+)M", open(os.path.join(out, "jcmd-heap-end.txt")).read())
            if hm:
                w(f"- ZGC heap after the phase (jcmd GC.heap_info): used {hm.group(1)} MiB, capacity {hm.group(2)} MiB, max capacity {hm.group(3)} MiB.")
        except OSError:
            pass
        w(f"- RSS over the limit ({limit:.0f} MiB) in {len([x for x in col('rss_mib') if x > limit])} of {len(srows)} samples "
          f"(PSS: {len([x for x in col('pss_mib') if x > limit])}).")
    else:
        w("No sustained-phase samples.")
    w("")
    w("## ZGC pauses (gc.log)")
    w("")
    if gc:
        w("| window | GC cycles | pauses | median ms | p99 ms | max ms | total ms |")
        w("|---|---|---|---|---|---|---|")
        for name, key, ck in (("sustained phase", "sustain", "cycles_sustain"), ("whole run", "all", "cycles_all")):
            s = gc.get(key, {})
            if s.get("count"):
                w(f"| {name} | {gc.get(ck)} | {s['count']} | {s['median_ms']} | {s['p99_ms']} | {s['max_ms']} | {s['total_ms']} |")
            else:
                w(f"| {name} | {gc.get(ck)} | 0 | | | | |")
        kinds = gc.get("all", {}).get("by_kind", {})
        w("")
        w(f"Pauses counted: {', '.join(f'{k} ({v})' for k, v in kinds.items())}; one row each in gc-pauses.csv.")
        cl = gc.get("cycles", [])
        if cl:
            w("")
            w("GC cycles (gc.log): heap used at the start of the cycle → after it, the live set found by marking, and the "
              "highest heap capacity of the cycle (ZGC grows the heap towards the max capacity, here the JVM default of 1/4 of RAM, "
              "when allocation outpaces collection; heap capacity becomes RSS once touched):")
            w("")
            w("| GC | start (s since mount; < 0: before) | reason | used before → after MiB | live MiB | capacity high MiB |")
            w("|---|---|---|---|---|---|")
            tstart = float(rows[0]["epoch"]) if rows else 0.0
            for c in cl:
                st = c.get("start")
                w(f"| {c['gc_id']} | {'' if st is None else f'{st - tstart:.0f}'} | {c.get('reason', '')} | "
                  f"{c.get('before_mib', '')} → {c.get('after_mib', '')} | {c.get('live_mib', '')} | {c.get('capacity_high_mib', '')} |")
            ar = gc.get("alloc_rate_10s_MBps_sustain") or []
            if ar:
                w("")
                w(f"Allocation rate (ZGC's 10 s average, `Memory: Allocation Rate` in gc.log) during the sustained phase: "
                  f"{min(ar)}–{max(ar)} MB/s (median {statistics.median(ar):.0f}).")
    w("")
    w("## Plot")
    w("")
    w("![RSS, PSS, cache and threads over the run](rss.png)")
    w("")
    w("## Machine")
    w("")
    w(env["FACTS"])
    w(f"- load average before: {env['LOAD_START']}; after: {env['LOAD_END']}")
    w(f"- engine JVM flags: `{env['FE_JVM']}`; no -Xmx/-Xms (JVM defaults: max heap = 1/4 of RAM)")
    w("")
    w("## Files")
    w("")
    w("samples.csv (1 s samples, whole run, `phase` column), levels.csv/levels.json (the table above), sustain.json, "
      "verify.csv, gc.log, gc-pauses.csv, gc.json, rss.png (+ rss.gp), jcmd-heap-*.txt, engine.log, sim.log, config.txt, "
      "bench.log" + (", nmt-*.txt" if env.get("NMT") == "1" else "") + (", alloc-top.txt" if env.get("JFR") == "1" else "") + ".")
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    cmds = {"sampler": cmd_sampler, "hold": cmd_hold, "sustain": cmd_sustain, "verify": cmd_verify, "gc": cmd_gc,
            "plotdata": cmd_plotdata, "summary": cmd_summary, "jfralloc": cmd_jfralloc}
    cmds[sys.argv[1]](sys.argv[2:])
PYEOF

# ---------------------------------------------------------------------------------------------- data
[ -d "$DATA" ] || DATA_CREATED=1
mkdir -p "$DATA"
log "generating/checking $SPEC under $DATA"
t0=$(date +%s)
step 900 "$JAVA" -cp "$BENCH_JAR" io.fuseengine.bench.mount.DataSet generate "$DATA" "$SPEC" "$SUMS" 2>"$OUT/dataset.log" \
    || die "data generation failed (see dataset.log)"
log "data ready in $(( $(date +%s) - t0 )) s: $(du -sh "$DATA" | cut -f1)"
awk '{print substr($0, 67)}' "$SUMS" > "$WORK_BASE/files.txt"

# ---------------------------------------------------------------------------------------------- servers
wait_http() { # url seconds [pid that must stay alive]
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        curl -sf -o /dev/null --max-time 2 "$1" && return 0
        [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null && return 1
        sleep 0.1
    done
    return 1
}
log "starting rqbit-sim (BenchSim) on 127.0.0.1:$SIM_PORT"
# shellcheck disable=SC2086
"$JAVA" -XX:+UseZGC $JVM_FLAGS -cp "$BENCH_JAR" io.fuseengine.bench.mount.BenchSim "$SIM_PORT" "$SIM_STATS_PORT" "$DATA" >"$OUT/sim.log" 2>&1 &
SIM_PID=$!
wait_http "http://127.0.0.1:$SIM_PORT/torrents" 60 "$SIM_PID" || die "rqbit-sim did not answer (see sim.log)"

# the engine, as a user starts it; no FUSE_ENGINE_* from our environment, no user config file
for v in $(env | awk -F= '/^FUSE_ENGINE_/ {print $1}'); do unset "$v"; done
mkdir -p "$WORK_BASE/xdg/config" "$MNT"
FE_JVM="-XX:+UseZGC -Xlog:gc*:file=$OUT/gc.log:time,uptime,level,tags${JAVA_OPTS:+ $JAVA_OPTS}"
[ "$NMT" = 1 ] && FE_JVM="$FE_JVM -XX:NativeMemoryTracking=summary"
JFR_FILE="$WORK_BASE/engine.$$.jfr"
[ "$JFR" = 1 ] && FE_JVM="$FE_JVM -XX:StartFlightRecording=name=scale,settings=profile"
FE_ARGS="mount $MNT --rqbit-url http://127.0.0.1:$SIM_PORT --cache-size $CACHE_SIZE --metrics-addr 127.0.0.1:$METRICS_PORT${FE_OPTS:+ $FE_OPTS}"
FE_CMD="LANG=C.UTF-8 $JAVA $FE_JVM -jar $FE_JAR $FE_ARGS"
XDG_CONFIG_HOME="$WORK_BASE/xdg/config" FUSE_ENGINE_RQBIT_URL="http://127.0.0.1:$SIM_PORT" FUSE_ENGINE_CACHE_SIZE="$CACHE_SIZE" \
    FUSE_ENGINE_METRICS_ADDR="127.0.0.1:$METRICS_PORT" "$JAVA" -jar "$FE_JAR" config --print > "$OUT/config.txt" 2>&1
CACHE_BYTES="$(python3 -c '
import re,sys
s=sys.argv[1].strip(); m=re.fullmatch(r"(\d+)\s*([KMGT]?)(i?B)?", s, re.I)
print(int(m.group(1)) * 1024 ** " KMGT".index((m.group(2) or " ").upper()))' "$CACHE_SIZE")" || die "cannot parse CACHE_SIZE $CACHE_SIZE"
log "engine: $FE_CMD"
# shellcheck disable=SC2086
XDG_CONFIG_HOME="$WORK_BASE/xdg/config" "$JAVA" $FE_JVM -jar "$FE_JAR" $FE_ARGS >"$OUT/engine.log" 2>&1 &
FE_PID=$!
MOUNTED_BY_US=1
first="$(head -1 "$WORK_BASE/files.txt")"
for ((i = 0; i < MOUNT_TIMEOUT * 10; i++)); do
    kill -0 "$FE_PID" 2>/dev/null || die "the engine exited while mounting (see engine.log)"
    grep -qs " $MNT " /proc/self/mountinfo && [ -f "$MNT/$first" ] && break
    sleep 0.1
done
[ -f "$MNT/$first" ] || die "$MNT/$first did not appear within ${MOUNT_TIMEOUT}s"
wait_http "$METRICS_URL" 20 "$FE_PID" || die "no metrics at $METRICS_URL"
log "mounted at $MNT (engine pid $FE_PID, metrics $METRICS_URL); $(ls "$MNT/media" | wc -l) files visible"

phase start
python3 "$TOOL" sampler "$FE_PID" "$METRICS_URL" "$PHASE_FILE" "$OUT/samples.csv" 1 2>>"$OUT/bench.log" &
SAMPLER_PID=$!

# ---------------------------------------------------------------------------------------------- hold phase
log "hold phase: levels $LEVELS"
LIVE_HEAP="$LIVE_HEAP" step 900 python3 "$TOOL" hold "$FE_PID" "$METRICS_URL" "$MNT" "$DATA" "$WORK_BASE/files.txt" "$LEVELS" "$HEAD_READ" \
    "$OUT" "$PHASE_FILE" "$SETTLE_MAX" "$NMT" 2>>"$OUT/bench.log"
HOLD_RC=$?
[ $HOLD_RC = 0 ] || log "hold phase exit $HOLD_RC (1: a head read differed from its source; 124: timeout)"
[ -f "$OUT/levels.csv" ] && column -s, -t < "$OUT/levels.csv" | cut -c1-220 >&2

# ---------------------------------------------------------------------------------------------- sustained phase
perf_started() { jcmd "$FE_PID" PerfCounter.print 2>/dev/null | awk -F= '/^java.threads.started=/ {print $2}'; }
SUS_STARTED0="$(perf_started)"
phase sustain
SUS_T0="$(date +%s.%N)"
step $((SUSTAIN_SECONDS + 300)) python3 "$TOOL" sustain "$MNT" "$DATA" "$SUMS" "$SUSTAIN_SECONDS" "$SEQ_READERS" "$RAND_READERS" \
    "$OUT/sustain.json" >>"$OUT/bench.log" 2>&1
SUS_RC=$?
SUS_T1="$(date +%s.%N)"
SUS_STARTED1="$(perf_started)"
SUS_SECONDS_REAL="$(awk -v a="$SUS_T0" -v b="$SUS_T1" 'BEGIN {printf "%.2f", b - a}')"
phase after
log "sustained phase exit $SUS_RC: $(cat "$OUT/sustain.json" 2>/dev/null | tr -d '\n ' | cut -c1-300)"

# ---------------------------------------------------------------------------------------------- verification
phase verify
step 300 python3 "$TOOL" verify "$MNT" "$SUMS" "$VERIFY_FILES" "$OUT/verify.csv" >"$WORK_BASE/verify.$$" 2>>"$OUT/bench.log"
VRC=$?
read -r vn vbad < "$WORK_BASE/verify.$$"; rm -f "$WORK_BASE/verify.$$"
if [ $VRC = 0 ]; then VERIFY_RESULT="$vn files sha256-verified through the mount after the sustained phase, all equal to the source"
else VERIFY_RESULT="FAILED (exit $VRC): ${vbad:-?} of ${vn:-?} files differ"; fi
log "verify: $VERIFY_RESULT"
phase end
sleep 2
jcmd "$FE_PID" GC.heap_info > "$OUT/jcmd-heap-end.txt" 2>&1
[ "$NMT" = 1 ] && jcmd "$FE_PID" VM.native_memory summary > "$OUT/nmt-end.txt" 2>&1
[ "$JFR" = 1 ] && jcmd "$FE_PID" JFR.dump name=scale filename="$JFR_FILE" >> "$OUT/bench.log" 2>&1
grep -E 'VmRSS|VmHWM|Threads' "/proc/$FE_PID/status" | tr -s ' \t' ' ' | tr '\n' ';' | sed 's/^/end: /' | tee -a "$OUT/bench.log" >&2; echo >&2
stop_pid "$SAMPLER_PID" 5; SAMPLER_PID=""
log "stopping the engine"
stop_pid "$FE_PID" 20; FE_PID=""
unmount_dir "$MNT"; MOUNTED_BY_US=0
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------------------------- report
python3 "$TOOL" gc "$OUT/gc.log" "$SUS_T0" "$SUS_T1" "$OUT/gc-pauses.csv" "$OUT/gc.json" >>"$OUT/bench.log" 2>&1 || log "gc.log parsing failed"
if [ "$JFR" = 1 ] && [ -f "$JFR_FILE" ]; then
    log "aggregating the JFR allocation samples"
    python3 "$TOOL" jfralloc "$JFR_FILE" "$SUS_T0" "$SUS_T1" "$OUT/alloc-top.txt" >>"$OUT/bench.log" 2>&1 || log "JFR aggregation failed"
    rm -f "$JFR_FILE"
fi
python3 "$TOOL" plotdata "$OUT/samples.csv" "$OUT/rss.dat" "$OUT/phases.dat" || log "plot data failed"
{
    echo "set terminal pngcairo size 1400,700 font ',10' noenhanced"
    echo "set output '$OUT/rss.png'"
    echo "set title 'fuse-engine $STAMP: $SPEC, cache $CACHE_SIZE (limit = cache + ${RSS_MARGIN_MIB} MiB)'"
    echo "set xlabel 'seconds since mount'; set ylabel 'MiB'; set y2label 'threads'; set ytics nomirror; set y2tics"
    echo "set key outside bottom center horizontal; set grid"
    echo "set yrange [0:*]; set y2range [0:*]"
    awk '{printf "set arrow from %s, graph 0 to %s, graph 1 nohead dt 3 lc rgb \"gray\"\nset label \"%s\" at %s, graph %s rotate by 90 right font \",8\"\n", $1, $1, $2, $1, (NR % 2 ? "0.98" : "0.80")}' "$OUT/phases.dat"
    echo "plot '$OUT/rss.dat' u 1:2 w l lw 2 t 'VmRSS', '' u 1:3 w l t 'PSS', '' u 1:6 w l t 'cache resident', $((CACHE_BYTES / 1048576 + RSS_MARGIN_MIB)) w l dt 2 lc rgb 'red' t 'limit', '' u 1:5 axes x1y2 w l lc rgb 'black' t 'threads (right axis)'"
} > "$OUT/rss.gp"
sed -i "s#'$OUT/#'#g" "$OUT/rss.gp"
(cd "$OUT" && gnuplot rss.gp 2>>"$OUT/bench.log") || log "gnuplot failed"
CMDLINE="FILE_COUNT=$FILE_COUNT FILE_SIZE=$FILE_SIZE LEVELS=\"$LEVELS\" CACHE_SIZE=$CACHE_SIZE SUSTAIN_SECONDS=$SUSTAIN_SECONDS SEQ_READERS=$SEQ_READERS RAND_READERS=$RAND_READERS${JAVA_OPTS:+ JAVA_OPTS=\"$JAVA_OPTS\"}${FE_OPTS:+ FE_OPTS=\"$FE_OPTS\"}$( [ "$NMT" = 1 ] && echo " NMT=1")$( [ "$JFR" = 1 ] && echo " JFR=1")$( [ "$LIVE_HEAP" = 1 ] && echo " LIVE_HEAP=1") FE_JAR=$FE_JAR BENCH_JAR=$BENCH_JAR benchmarks/scale-bench.sh"
DATA_DU="$(du -sh "$DATA" | cut -f1)"
ENGINE_WARNS="$(grep -cE ' (WARN|ERROR) ' "$OUT/engine.log")"
export STAMP CMDLINE FE_CMD FE_JVM SPEC FILE_COUNT FILE_SIZE DATA DATA_DU FE_JAR BENCH_JAR CACHE_SIZE CACHE_BYTES LEVELS \
    RSS_MARGIN_MIB HEAD_READ SUSTAIN_SECONDS SEQ_READERS RAND_READERS VERIFY_RESULT FACTS LOAD_START LOAD_END NMT ENGINE_WARNS DIAG JFR LIVE_HEAP SUS_STARTED0 SUS_STARTED1 SUS_SECONDS_REAL
python3 "$TOOL" summary "$OUT" || log "summary failed"
grep -E '^\- \*\*(PASS|FAIL)' "$OUT/summary.md" | tee -a "$OUT/bench.log" >&2
log "done: $OUT/summary.md (load at end $LOAD_END)"
[ $HOLD_RC = 0 ] && [ $SUS_RC = 0 ] && [ $VRC = 0 ]
