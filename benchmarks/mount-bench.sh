#!/usr/bin/env bash
# Through-the-mount benchmark of fuse-engine: the same files read through fuse-engine (over rqbit-sim and over
# nginx), rclone mount and httpfs2 (over nginx), against the ceilings: plain HTTP (curl from nginx / rqbit-sim),
# a Java FUSE filesystem with no backend (MemoryFs, jnr-fuse) and a C FUSE passthrough (bindfs).
# Runs are interleaved: for each workload, repetition r runs every system once (order rotated per repetition).
# Every full read is checked by sha256 (partial reads against the expected head/tail/first byte). seq times a plain
# read and hashes a second pass afterwards (SEQ_VERIFY=after, default; the hash would compete with the file system
# for the CPU) or hashes on a second thread while timing (SEQ_VERIFY=inline). hit measures the cache-hit read path:
# the first HIT_SIZE of big.bin read once, the page cache dropped, then the timed re-read (served by the file
# system's own cache, if it has one) and a check against big.bin on disk. seq and hit also record the CPU seconds of
# the file-system process and of the backend (rqbit-sim, nginx's workers) during the timed read only.
#
# Needs: root (drop_caches, mounts), /dev/fuse, java 17+, python3, curl, fio, gnuplot, nginx (nginx-light),
# bindfs, rclone, httpfs2 (only those of the selected systems), built jars:
#   mvn -B -Dfe.target=target-mb -pl app,benchmarks -am package -DskipTests
# Usage (all settings are environment variables, defaults shown in the "settings" block below):
#   benchmarks/mount-bench.sh                                   # the full run
#   BIG_SIZE=64M HIT_SIZE=32M PAR_COUNT=4 PAR_SIZE=4M MEDIA_COUNT=20 MEDIA_SIZE=1M RUNS=1 FIO_RUNTIME=5 benchmarks/mount-bench.sh
# Output: perf-reports/mount/<UTC timestamp>/ (CSV per workload, results.md, PNG per workload, logs/), and
# perf-reports/mount/LATEST.md (a copy of results.md).
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HERE="$REPO/benchmarks"
TOOL="$HERE/mount/mbtool.py"

first_existing() { for f in "$@"; do [ -f "$f" ] && { echo "$f"; return; }; done; echo "$1"; }

# ---------------------------------------------------------------------------------------------- settings
RUNS="${RUNS:-3}"
SYSTEMS="${SYSTEMS:-curl-nginx curl-sim memoryfs memoryfs-lean bindfs fuse-engine-sim fuse-engine-nginx rclone httpfs2}"
WORKLOADS="${WORKLOADS:-seq hit fio par ttfb scan}"
BIG_SIZE="${BIG_SIZE:-1G}"
SEQ_VERIFY="${SEQ_VERIFY:-after}"         # seq's sha256: after = timed plain 1 MiB readinto loop, then (untimed) a 2nd pass
                                          # through the same open file, hashed; inline = hashed on a 2nd thread while timed
HIT_SIZE="${HIT_SIZE:-256M}"              # hit: the first HIT_SIZE of big.bin (<= BIG_SIZE, else clamped) read, drop_caches,
                                          # timed re-read; keep WARMUP_SIZE + HIT_SIZE within fuse-engine's cache-size
HIT_PASSES="${HIT_PASSES:-3}"             # hit: timed re-reads per cell, each after drop_caches; the row is the last one
                                          # (the hit path's own JIT warm-up: the first re-read after the fill is slower)
PAR_COUNT="${PAR_COUNT:-16}"
PAR_SIZE="${PAR_SIZE:-16M}"
MEDIA_COUNT="${MEDIA_COUNT:-200}"
MEDIA_SIZE="${MEDIA_SIZE:-8M}"
FIO_RUNTIME="${FIO_RUNTIME:-30}"          # seconds; fio stops after one pass over the file or this, whichever first
TTFB_FILES="${TTFB_FILES:-50}"            # first-byte latency over the first N media files
SCAN_CHUNK="${SCAN_CHUNK:-65536}"
BACKEND_CACHE="${BACKEND_CACHE:-warm}"    # warm: backend's files re-read into the page cache after drop_caches; cold: not
READ_AHEAD_KB="${READ_AHEAD_KB:-}"        # if set, written to every FUSE mount's bdi read_ahead_kb (all systems alike)
ENGINE_READ_AHEAD_KB="${ENGINE_READ_AHEAD_KB:-}" # if set: fuse-engine-* get --raise-read-ahead-kb N and memoryfs-lean
                                          # raises its own the same way (default: each its own default, 4096 as root)
WORK_BASE="${WORK_BASE:-/var/tmp/fe-mount-bench}"
OUT_BASE="${OUT_BASE:-$REPO/perf-reports/mount}"
SIM_PORT="${SIM_PORT:-3931}"
SIM_STATS_PORT="${SIM_STATS_PORT:-3932}"
NGINX_PORT="${NGINX_PORT:-3933}"
JAVA="${JAVA:-java}"
FE_JAR="${FE_JAR:-$(first_existing "$REPO/app/target-mb/fuse-engine.jar" "$REPO/app/target/fuse-engine.jar")}"
BENCH_JAR="${BENCH_JAR:-$(first_existing "$REPO/benchmarks/target-mb/benchmarks.jar" "$REPO/benchmarks/target/benchmarks.jar")}"
FE_OPTS="${FE_OPTS:-}"                     # extra fuse-engine mount options
FE_JVM_OPTS="${FE_JVM_OPTS:-}"             # extra JVM flags for fuse-engine (e.g. -Dproperty=value for an experimental build)
FE_JAVA="${FE_JAVA:-$JAVA}"                # the java that runs fuse-engine (e.g. a JDK 21+ for generational ZGC)
RCLONE_OPTS="${RCLONE_OPTS:---read-only --vfs-cache-mode off --buffer-size 16M --vfs-read-chunk-size 128M --vfs-read-chunk-size-limit off --dir-cache-time 1h --poll-interval 0 --no-modtime}"
WARMUP_SIZE="${WARMUP_SIZE:-256M}"        # warm.bin, read (4 parallel slices) after each mount, before drop_caches; 0: none
WARMUP_PASSES="${WARMUP_PASSES:-1}"        # warm.bin reads per cell, drop_caches before each after the first
WARMUP_MAX_PASSES="${WARMUP_MAX_PASSES:-$WARMUP_PASSES}"  # above WARMUP_PASSES: more passes until the JIT is quiet
WARMUP_JIT_QUIET="${WARMUP_JIT_QUIET:-0.05}"  # quiet: 2 passes in a row whose JIT threads (C1/C2 of the file system and
                                          # the backend) used at most this fraction of their CPU. fuse-engine's JIT
                                          # settles after ~25-30 GiB of reads (its per-response code runs 256x per GiB):
                                          # WARMUP_SIZE=2G WARMUP_PASSES=4 WARMUP_MAX_PASSES=24 for a JIT-settled process
WARMUP_READERS="${WARMUP_READERS:-4}"
MOUNT_TIMEOUT="${MOUNT_TIMEOUT:-60}"      # seconds to wait for a mount to show the files
STEP_TIMEOUT="${STEP_TIMEOUT:-900}"       # hard bound on any single measurement command

SPEC="big=$BIG_SIZE,warm=$WARMUP_SIZE,par=${PAR_COUNT}x$PAR_SIZE,media=${MEDIA_COUNT}x$MEDIA_SIZE"
DATA="$WORK_BASE/data"
SUMS="$WORK_BASE/SHA256SUMS"
WWW="$WORK_BASE/www"
MNT_BASE="$WORK_BASE/mnt"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$OUT_BASE/$STAMP"
LOGS="$OUT/logs"
JVM_FLAGS="--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$LOGS/bench.log" >&2; }
die() { log "FATAL: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------- cleanup
SIM_PID=""; NGINX_PID=""; FS_PID=""; FS_MNT=""
. "$HERE/bench-lib.sh"   # stop_pid, unmount_dir
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ -n "$FS_PID" ] && stop_pid "$FS_PID" 15
    [ -n "$FS_MNT" ] && unmount_dir "$FS_MNT"
    if [ -d "$MNT_BASE" ]; then for m in "$MNT_BASE"/*; do [ -d "$m" ] && unmount_dir "$m"; done; fi
    stop_pid "$NGINX_PID" 10
    stop_pid "$SIM_PID" 15
    [ -n "${LOAD_END:-}" ] || log "exiting (rc=$rc) before the end of the run"
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------------------------------------- checks
mkdir -p "$LOGS" "$MNT_BASE" "$WORK_BASE/xdg/config" "$WORK_BASE/xdg/state"
[ "$(id -u)" = 0 ] || die "run as root (drop_caches, mounts)"
[ -e /dev/fuse ] || die "/dev/fuse is missing"
has() { [[ " $SYSTEMS " == *" $1 "* ]]; }
case "$SEQ_VERIFY" in after|inline) ;; *) die "SEQ_VERIFY=$SEQ_VERIFY: after or inline" ;; esac
[[ "$WARMUP_PASSES" =~ ^[1-9][0-9]*$ ]] || die "WARMUP_PASSES=$WARMUP_PASSES: a count >= 1"
[[ "$WARMUP_MAX_PASSES" =~ ^[1-9][0-9]*$ ]] && [ "$WARMUP_MAX_PASSES" -ge "$WARMUP_PASSES" ] \
    || die "WARMUP_MAX_PASSES=$WARMUP_MAX_PASSES: a count >= WARMUP_PASSES ($WARMUP_PASSES)"
[[ "$WARMUP_JIT_QUIET" =~ ^0?\.[0-9]+$ ]] || die "WARMUP_JIT_QUIET=$WARMUP_JIT_QUIET: a fraction such as 0.05"
need=(python3 curl "$JAVA" gnuplot fusermount)
[[ " $WORKLOADS " == *" fio "* ]] && need+=(fio)
{ has curl-nginx || has fuse-engine-nginx || has rclone || has httpfs2; } && need+=(nginx)
has bindfs && need+=(bindfs)
has rclone && need+=(rclone)
has httpfs2 && need+=(httpfs2)
missing=()
for c in "${need[@]}"; do command -v "$c" >/dev/null || missing+=("$c"); done
[ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} (apt-get install nginx-light rclone httpfs2 bindfs fio gnuplot-nox)"
[ -f "$BENCH_JAR" ] || die "no $BENCH_JAR: mvn -B -Dfe.target=target-mb -pl app,benchmarks -am package -DskipTests"
{ has fuse-engine-sim || has fuse-engine-128k-sim || has fuse-engine-nginx; } && { [ -f "$FE_JAR" ] || die "no $FE_JAR"; }
for p in "$SIM_PORT" "$SIM_STATS_PORT" "$NGINX_PORT"; do
    ss -ltnH "sport = :$p" 2>/dev/null | grep -q . && die "port $p is in use (set SIM_PORT/SIM_STATS_PORT/NGINX_PORT)"
done
for m in "$MNT_BASE"/*; do [ -d "$m" ] && unmount_dir "$m"; done   # stale mounts of an earlier killed run

machine_facts() {
    echo "- date (UTC): $(date -u +%FT%TZ)"
    echo "- nproc: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "- memory: $(free -m | awk '/^Mem:/ {print $2 " MiB total, " $7 " MiB available"}')"
    echo "- kernel: $(uname -srvm)"
    echo "- java: $("$JAVA" -version 2>&1 | tr '\n' ' ')"
    [ "$FE_JAVA" != "$JAVA" ] && echo "- fuse-engine runs on: $("$FE_JAVA" -version 2>&1 | tr '\n' ' ')"
    echo "- tools: $(nginx -v 2>&1 | tr '\n' ' '); $(rclone version 2>/dev/null | head -1); bindfs $(bindfs --version 2>/dev/null | head -1 | awk '{print $NF}'); httpfs2 $(dpkg-query -W -f='${Version}' httpfs2 2>/dev/null); $(fio --version 2>/dev/null); $(gnuplot --version 2>/dev/null); curl $(curl --version | head -1 | awk '{print $2}'); python $(python3 -c 'import sys;print(sys.version.split()[0])')"
    echo "- sha256 (python hashlib, in memory): $(python3 -c 'import hashlib,time;b=bytes(1<<20);h=hashlib.sha256();t=time.perf_counter();[h.update(b) for _ in range(256)];print(f"{256*1048576/(time.perf_counter()-t)/1e6:.0f} MB/s")')"
}
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
log "output: $OUT; spec $SPEC; systems: $SYSTEMS; workloads: $WORKLOADS; runs: $RUNS; load: $LOAD_START"
FACTS_START="$(machine_facts)"

# ---------------------------------------------------------------------------------------------- data
mkdir -p "$DATA"
log "generating/checking data under $DATA"
"$JAVA" -cp "$BENCH_JAR" io.fuseengine.bench.mount.DataSet generate "$DATA" "$SPEC" "$SUMS" 2>>"$LOGS/dataset.log" \
    || die "data generation failed (see $LOGS/dataset.log)"
mapfile -t ALL_FILES < <(awk '{print substr($0, 67)}' "$SUMS")
PAR_FILES=(); MEDIA_FILES=()
for f in "${ALL_FILES[@]}"; do
    case "$f" in par/*) PAR_FILES+=("$f") ;; media/*) MEDIA_FILES+=("$f") ;; esac
done
HAVE_BIG=0; [[ " ${ALL_FILES[*]} " == *" big.bin "* ]] && HAVE_BIG=1
TTFB_LIST=("${MEDIA_FILES[@]:0:$TTFB_FILES}")
HIT_BYTES=0; HIT_SHA=""
if [[ " $WORKLOADS " == *" hit "* ]] && [ $HAVE_BIG = 1 ]; then
    HIT_BYTES="$(numfmt --from=iec "${HIT_SIZE^^}" 2>/dev/null)" && [ "$HIT_BYTES" -gt 0 ] 2>/dev/null \
        || die "HIT_SIZE=$HIT_SIZE is not a size (like 256M)"
    big_bytes="$(stat -c %s "$DATA/big.bin")"
    if [ "$HIT_BYTES" -gt "$big_bytes" ]; then
        log "HIT_SIZE=$HIT_SIZE is larger than big.bin: clamped to BIG_SIZE=$BIG_SIZE"
        HIT_SIZE="$BIG_SIZE"; HIT_BYTES="$big_bytes"
    fi
    # hit's expected bytes: sha256 of big.bin's first HIT_BYTES on disk, computed again only when big.bin changed
    hit_sum="$WORK_BASE/big-head-$HIT_BYTES.sha256"
    if ! [ -s "$hit_sum" ] || ! [ "$hit_sum" -nt "$DATA/big.bin" ]; then
        python3 "$TOOL" hashprefix "$DATA/big.bin" "$HIT_BYTES" > "$hit_sum.tmp" && mv "$hit_sum.tmp" "$hit_sum" \
            || die "hashing the first $HIT_SIZE of $DATA/big.bin failed"
    fi
    HIT_SHA="$(cat "$hit_sum")"
fi
# expected first byte / head / tail of every file, from the generator (not from the files on disk)
"$JAVA" -cp "$BENCH_JAR" io.fuseengine.bench.mount.DataSet expect "$SPEC" "$SCAN_CHUNK" > "$WORK_BASE/expect.tsv" || die "expect failed"

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
need_sim=0; need_nginx=0
{ has curl-sim || has fuse-engine-sim || has fuse-engine-128k-sim; } && need_sim=1
{ has curl-nginx || has fuse-engine-nginx || has rclone || has httpfs2; } && need_nginx=1
[ $need_nginx = 1 ] && need_sim=1   # nginx mirrors the sim's JSON

if [ $need_sim = 1 ]; then
    log "starting rqbit-sim (BenchSim) on 127.0.0.1:$SIM_PORT (stats :$SIM_STATS_PORT) serving $DATA"
    # shellcheck disable=SC2086
    "$JAVA" -XX:+UseZGC $JVM_FLAGS -cp "$BENCH_JAR" io.fuseengine.bench.mount.BenchSim "$SIM_PORT" "$SIM_STATS_PORT" "$DATA" \
        >"$LOGS/sim.log" 2>&1 &
    SIM_PID=$!
    wait_http "http://127.0.0.1:$SIM_PORT/torrents" 60 "$SIM_PID" || die "rqbit-sim did not answer (see $LOGS/sim.log)"
    wait_http "http://127.0.0.1:$SIM_STATS_PORT/" 10 || die "rqbit-sim stats endpoint did not answer"
fi
rm -rf "$WWW"; mkdir -p "$WWW"
python3 "$TOOL" mirror "http://127.0.0.1:$SIM_PORT" "$DATA" "$WWW" > "$WORK_BASE/streams.tsv" 2>"$LOGS/mirror.log" \
    || die "mirroring the sim's JSON failed (see $LOGS/mirror.log)"
BIG_URL_PATH="/torrents/$(awk -F'\t' '$3 == "big.bin" {print $1 "/stream/" $2}' "$WORK_BASE/streams.tsv")"

NGINX_LOG="$WORK_BASE/nginx/access.log"
if [ $need_nginx = 1 ]; then
    mkdir -p "$WORK_BASE/nginx/tmp"; : > "$NGINX_LOG"
    cat > "$WORK_BASE/nginx/nginx.conf" <<EOF
user root root;
worker_processes 2;
daemon off;
pid $WORK_BASE/nginx/nginx.pid;
error_log $WORK_BASE/nginx/error.log warn;
events { worker_connections 1024; }
http {
    log_format bench '\$request_uri \$status \$body_bytes_sent';
    access_log $NGINX_LOG bench;
    client_body_temp_path $WORK_BASE/nginx/tmp/body;
    proxy_temp_path $WORK_BASE/nginx/tmp/proxy;
    fastcgi_temp_path $WORK_BASE/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK_BASE/nginx/tmp/uwsgi;
    scgi_temp_path $WORK_BASE/nginx/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    types { }
    default_type application/octet-stream;
    # nginx sends Accept-Ranges only with a full 200; rqbit sends it with 206 too, and httpfs2 refuses a 206 without
    # it (\$status is still 200 when add_header runs, so key on the request's Range header)
    map \$http_range \$accept_ranges_206 { "" ""; default bytes; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WWW;
        # rqbit's API, as static copies of the sim's answers (fuse-engine needs /torrents and /torrents/{id})
        location = / { default_type application/json; try_files /json/root.json =404; }
        location = /torrents { default_type application/json; try_files /json/list.json =404; }
        location ~ ^/torrents/([^/]+)\$ { default_type application/json; try_files /json/details-\$1.json =404; }
        location ~ ^/torrents/([^/]+)/stats/v1\$ { default_type application/json; try_files /json/stats-\$1.json =404; }
        # rqbit's stream paths: symlinks www/stream/<info_hash>/<file_idx> -> the data file (Range by nginx)
        location ~ "^/torrents/([0-9a-f]{40})/stream/([0-9]+)(/.*)?\$" { try_files /stream/\$1/\$2 =404; add_header Accept-Ranges \$accept_ranges_206; }
        # the data tree with directory listings, for rclone's :http: remote and httpfs2
        location /files/ { alias $DATA/; autoindex on; autoindex_exact_size on; add_header Accept-Ranges \$accept_ranges_206; }
    }
}
EOF
    log "starting nginx on 127.0.0.1:$NGINX_PORT"
    nginx -c "$WORK_BASE/nginx/nginx.conf" -p "$WORK_BASE/nginx" >"$LOGS/nginx.log" 2>&1 &
    NGINX_PID=$!
    wait_http "http://127.0.0.1:$NGINX_PORT/torrents" 20 "$NGINX_PID" || die "nginx did not answer (see $LOGS/nginx.log, $WORK_BASE/nginx/error.log)"
    # the mirror must answer what the sim answers
    for p in /torrents "$BIG_URL_PATH"; do
        a="$(curl -s -r 0-65535 "http://127.0.0.1:$SIM_PORT$p" | sha256sum)"; b="$(curl -s -r 0-65535 "http://127.0.0.1:$NGINX_PORT$p" | sha256sum)"
        [ "$a" = "$b" ] || die "nginx and rqbit-sim answer $p differently"
    done
fi

# ---------------------------------------------------------------------------------------------- measurement helpers
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }
warm_backend() { # sys [--head BYTES] files...: read the backend's data files (or their first BYTES) into the page
    local sys="$1" limit=""; shift        # cache (BACKEND_CACHE=warm)
    [ "${1:-}" = --head ] && { limit="$2"; shift 2; }
    [ "$BACKEND_CACHE" = warm ] || return 0
    case "$sys" in memoryfs*) return 0 ;; esac
    if [ -n "$limit" ]; then (cd "$DATA" && head -q -c "$limit" -- "$@" > /dev/null)
    else (cd "$DATA" && cat -- "$@" > /dev/null); fi
}
backend_bytes() {
    case "$1" in
        fuse-engine-sim|fuse-engine-128k-sim|curl-sim) curl -s --max-time 5 "http://127.0.0.1:$SIM_STATS_PORT/" | awk '{print $1}' ;;
        fuse-engine-nginx|rclone|httpfs2|curl-nginx)
            awk '$1 ~ /\/stream\// || ($1 ~ /^\/files\// && $1 !~ /\/$/) {s += $3} END {printf "%.0f\n", s}' "$NGINX_LOG" ;;
        *) echo "-" ;;
    esac
}
backend_pids() { # sys -> the backend's pids, comma-separated (nginx: its workers, read now); empty if none
    case "$1" in
        fuse-engine-sim|fuse-engine-128k-sim|curl-sim) echo "$SIM_PID" ;;
        fuse-engine-nginx|rclone|httpfs2|curl-nginx) [ -n "$NGINX_PID" ] && pgrep -P "$NGINX_PID" | paste -sd, ;;
    esac
}
cpu_pids() { echo "fs=$FS_PID backend=$(backend_pids "$1")"; }   # sys -> MB_CPU_PIDS for mbtool.py (seq, hit, cpu-run)
delta() { if [ "$1" = - ] || [ "$2" = - ] || [ -z "$1" ] || [ -z "$2" ]; then echo -; else echo $(($2 - $1)); fi; }

ROOT=""; RA_NOTE=""
mount_sys() { # sys workload -> sets ROOT, FS_PID, FS_MNT; returns non-zero on failure
    local sys="$1" wl="$2" m="$MNT_BASE/$1" probe i
    unmount_dir "$m"; mkdir -p "$m"
    ROOT="$m"; FS_MNT="$m"
    case "$wl" in seq|hit|fio) probe=big.bin ;; par) probe="${PAR_FILES[0]}" ;; *) probe="${MEDIA_FILES[0]}" ;; esac
    local mlog="$LOGS/$sys.log"
    echo "=== $(date -u +%T) mount for $wl" >> "$mlog"
    case "$sys" in
        memoryfs)
            # shellcheck disable=SC2086
            "$JAVA" -XX:+UseZGC $JVM_FLAGS -cp "$BENCH_JAR" io.fuseengine.bench.mount.MemoryFs "$m" "$SPEC" >>"$mlog" 2>&1 & ;;
        memoryfs-lean)
            # shellcheck disable=SC2086
            "$JAVA" -XX:+UseZGC $JVM_FLAGS ${ENGINE_READ_AHEAD_KB:+-Dmemoryfs.readAheadKb=$ENGINE_READ_AHEAD_KB} \
                -cp "$BENCH_JAR" io.fuseengine.bench.mount.MemoryFs "$m" "$SPEC" lean >>"$mlog" 2>&1 & ;;
        bindfs)
            bindfs -f -o ro "$DATA" "$m" >>"$mlog" 2>&1 & ;;
        fuse-engine-sim|fuse-engine-128k-sim|fuse-engine-nginx)
            local port="$SIM_PORT" reads="${ENGINE_READ_AHEAD_KB:+--raise-read-ahead-kb $ENGINE_READ_AHEAD_KB}"
            [ "$sys" = fuse-engine-nginx ] && port="$NGINX_PORT"
            # the rival: libfuse 2's own INIT reply (128 KiB reads) and the kernel's read-ahead, as before max_pages
            [ "$sys" = fuse-engine-128k-sim ] && reads="--raise-read-ahead-kb 0 -o max_read=131072"
            # shellcheck disable=SC2086
            XDG_CONFIG_HOME="$WORK_BASE/xdg/config" XDG_STATE_HOME="$WORK_BASE/xdg/state" \
                "$FE_JAVA" -XX:+UseZGC $FE_JVM_OPTS -jar "$FE_JAR" mount "$m" --rqbit-url "http://127.0.0.1:$port" \
                $reads $FE_OPTS >>"$mlog" 2>&1 & ;;
        rclone)
            # shellcheck disable=SC2086
            rclone mount :http: "$m" --http-url "http://127.0.0.1:$NGINX_PORT/files/" $RCLONE_OPTS \
                --config /dev/null --log-level NOTICE >>"$mlog" 2>&1 & ;;
        httpfs2)
            # one URL per mount: the mountpoint shows one file named after the URL's last element
            httpfs2 -f -c /dev/null "http://127.0.0.1:$NGINX_PORT/files/big.bin" "$m" >>"$mlog" 2>&1 & ;;
        *) log "unknown system $sys"; return 1 ;;
    esac
    FS_PID=$!
    for ((i = 0; i < MOUNT_TIMEOUT * 10; i++)); do
        if ! kill -0 "$FS_PID" 2>/dev/null; then log "$sys exited while mounting (see $mlog)"; FS_PID=""; return 1; fi
        if grep -qs " $m " /proc/self/mountinfo && [ -f "$m/$probe" ]; then break; fi
        sleep 0.1
    done
    [ -f "$m/$probe" ] || { log "$sys: $m/$probe did not appear within ${MOUNT_TIMEOUT}s"; return 1; }
    RA_NOTE=""
    local bdi; bdi="$(mountpoint -d "$m" 2>/dev/null)"
    if [ -n "$bdi" ] && [ -w "/sys/class/bdi/$bdi/read_ahead_kb" ]; then
        [ -n "$READ_AHEAD_KB" ] && echo "$READ_AHEAD_KB" > "/sys/class/bdi/$bdi/read_ahead_kb"
        RA_NOTE="ra=$(cat "/sys/class/bdi/$bdi/read_ahead_kb")KiB"
    fi
    return 0
}
umount_sys() {
    [ -n "$FS_PID" ] && stop_pid "$FS_PID" 15
    FS_PID=""
    [ -n "$FS_MNT" ] && unmount_dir "$FS_MNT"
    FS_MNT=""
}
bounded() { timeout --foreground --kill-after=10 "$STEP_TIMEOUT" "$@"; }

csv_header() {
    case "$1" in
        seq|hit) echo "run,system,bytes,seconds,MBps,fs_cpu_s,backend_cpu_s,fs_jit_cpu_s,backend_jit_cpu_s,status,backend_bytes,note" ;;
        fio)  echo "run,system,iops,p50_us,p99_us,mean_us,reads,status,backend_bytes,note" ;;
        par)  echo "run,system,files,bytes,seconds,MBps,ok_files,status,backend_bytes,note" ;;
        ttfb) echo "run,system,files,median_ms,p90_ms,max_ms,ok_files,status,backend_bytes,note" ;;
        scan) echo "run,system,files,seconds,files_per_s,ok_files,status,backend_bytes,note" ;;
    esac
}
blank_fields() { case "$1" in seq|hit) echo ",,,,,," ;; fio) echo ",,,," ;; par|ttfb) echo ",,,," ;; scan) echo ",,," ;; esac; }
row() { # workload run system "fields(comma)" status backend note
    echo "$2,$3,$4,$5,$6,$7" >> "$OUT/$1.csv"
    log "$1 run $2 $3: $4 $5 backend=$6 $7"
}

applies() { # workload system
    case "$2" in
        curl-*) [ "$1" = seq ] ;;
        httpfs2) [ "$1" = seq ] || [ "$1" = hit ] || [ "$1" = fio ] ;;
        *) return 0 ;;
    esac
}

run_cell() { # workload run system
    local wl="$1" run="$2" sys="$3" res b0 b1 st note="" url
    local code n secs mbps ok nf okf med p90 mx fps iops p50 p99 mean reads got fcpu bcpu fjit bjit
    if ! applies "$wl" "$sys"; then
        [[ "$sys" == curl-* ]] && return 0
        row "$wl" "$run" "$sys" "$(blank_fields "$wl")" n/a - "httpfs2 mounts a single URL"
        return 0
    fi
    case "$wl" in seq|hit|fio) [ $HAVE_BIG = 1 ] || return 0 ;; par) [ ${#PAR_FILES[@]} -gt 0 ] || return 0 ;;
        *) [ ${#MEDIA_FILES[@]} -gt 0 ] || return 0 ;; esac
    local wfiles
    case "$wl" in seq|hit|fio) wfiles=(big.bin) ;; par) wfiles=("${PAR_FILES[@]}") ;; ttfb) wfiles=("${TTFB_LIST[@]}") ;; *) wfiles=("${MEDIA_FILES[@]}") ;; esac

    if [[ "$sys" == curl-* ]]; then
        local port="$SIM_PORT"; [ "$sys" = curl-nginx ] && port="$NGINX_PORT"
        url="http://127.0.0.1:$port$BIG_URL_PATH"
        drop_caches; warm_backend "$sys" big.bin
        b0="$(backend_bytes "$sys")"
        res="$(bounded env MB_CPU_PIDS="backend=$(backend_pids "$sys")" python3 "$TOOL" cpu-run \
            curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}' "$url")"
        b1="$(backend_bytes "$sys")"
        ok="$(bounded curl -s "$url" | python3 "$TOOL" stdin-sha "$SUMS" big.bin)"
        read -r code n secs fcpu bcpu fjit bjit <<< "$res"
        if [[ "$code" != 2* ]] || [ -z "${secs:-}" ]; then row seq "$run" "$sys" "$(blank_fields seq)" ERROR - "curl: $res"; return 0; fi
        st=ok; [ "$ok" = 1 ] || st=WRONG
        row seq "$run" "$sys" "$n,$secs,$(awk -v n="$n" -v s="$secs" 'BEGIN {printf "%.1f", n / s / 1e6}'),-,$bcpu,-,$bjit" "$st" "$(delta "$b0" "$b1")" "curl -o /dev/null; sha256 by a second GET"
        return 0
    fi

    if ! mount_sys "$sys" "$wl"; then
        umount_sys; row "$wl" "$run" "$sys" "$(blank_fields "$wl")" ERROR - "mount failed"; return 0
    fi
    if [ -f "$ROOT/warm.bin" ]; then
        # the process's warm-up (JIT, jffi's per-thread attach phase, connections): a file no workload reads
        # (WARMUP_PASSES times; drop_caches before each pass after the first, else the page cache serves the re-read)
        # (beyond WARMUP_PASSES, up to WARMUP_MAX_PASSES until two passes in a row were JIT-quiet)
        local w pass done_passes=0 quiet=0 wb ws wf wbk wfj wbj q
        for ((pass = 1; pass <= WARMUP_MAX_PASSES; pass++)); do
            [ $pass -gt 1 ] && { drop_caches; warm_backend "$sys" warm.bin; }
            w="$(bounded env MB_CPU_PIDS="$(cpu_pids "$sys")" python3 "$TOOL" warm "$ROOT/warm.bin" "$WARMUP_READERS" 2>>"$LOGS/errors.log")"
            read -r wb ws wf wbk wfj wbj <<< "$w"
            q="$(python3 "$TOOL" jit-quiet "$WARMUP_JIT_QUIET" "${wf:--}" "${wbk:--}" "${wfj:--}" "${wbj:--}" 2>/dev/null || echo 0)"
            [ "$q" = 1 ] && quiet=$((quiet + 1)) || quiet=0
            done_passes=$pass
            log "$wl run $run $sys: warm-up pass $pass/$WARMUP_PASSES..$WARMUP_MAX_PASSES read $(echo "$w" | awk '{printf "%.0f MiB in %s s, %.0f MiB/s", $1 / 1048576, $2, ($2 > 0 ? $1 / 1048576 / $2 : 0)}'); CPU s fs/backend ${wf:--}/${wbk:--}, of which JIT ${wfj:--}/${wbj:--}$( [ "$q" = 1 ] && echo " (quiet)")"
            [ $pass -ge "$WARMUP_PASSES" ] && [ $quiet -ge 2 ] && break
        done
        note="warm-up ${done_passes}x$WARMUP_SIZE"
        [ "$WARMUP_MAX_PASSES" -gt "$WARMUP_PASSES" ] && { [ $quiet -ge 2 ] && note="$note (JIT quiet)" || note="$note (JIT not quiet)"; }
    fi
    drop_caches
    if [ "$wl" = hit ]; then warm_backend "$sys" --head "$HIT_BYTES" big.bin; else warm_backend "$sys" "${wfiles[@]}"; fi
    b0="$(backend_bytes "$sys")"
    local out rc fields=""
    case "$wl" in
        seq)
            out="$(bounded env MB_CPU_PIDS="$(cpu_pids "$sys")" python3 "$TOOL" seq "$SUMS" "$ROOT" big.bin "$SEQ_VERIFY" 2>>"$LOGS/errors.log")"; rc=$?
            read -r n secs mbps ok fcpu bcpu fjit bjit <<< "$out"
            [ $rc = 0 ] && fields="$n,$secs,$mbps,$fcpu,$bcpu,$fjit,$bjit" && st=ok && [ "$ok" = 1 ] || st=WRONG
            if [ "$SEQ_VERIFY" = after ]; then note="${note:+$note; }sha256 after the timed read (2nd pass through the same open file)"
            else note="${note:+$note; }sha256 inline (2nd thread while timed)"; fi ;;
        hit)
            # (a) untimed read of the first HIT_BYTES: fills the file system's own cache; (b) drop the page cache (and
            # re-warm the backend); (c) the timed re-read, backend bytes over (c) only; (d) untimed check: a new read
            # of the first HIT_BYTES through the mount against big.bin on disk
            b1=-
            out="$(bounded python3 "$TOOL" hit "$ROOT" big.bin "$HIT_BYTES" 2>>"$LOGS/errors.log")"; rc=$?
            if [ $rc = 0 ]; then
                log "hit run $run $sys: fill read $(echo "$out" | awk '{printf "%.0f MiB in %s s", $1 / 1048576, $2}')"
                local pass passes="" short=0
                for ((pass = 1; pass <= HIT_PASSES && rc == 0; pass++)); do
                    drop_caches; warm_backend "$sys" --head "$HIT_BYTES" big.bin; sleep 0.3
                    [ $pass = 1 ] && b0="$(backend_bytes "$sys")"
                    out="$(bounded env MB_CPU_PIDS="$(cpu_pids "$sys")" python3 "$TOOL" hit "$ROOT" big.bin "$HIT_BYTES" 2>>"$LOGS/errors.log")"; rc=$?
                    read -r n secs mbps fcpu bcpu fjit bjit <<< "$out"
                    passes="${passes:+$passes/}$mbps"
                    [ "$n" = "$HIT_BYTES" ] || short=1   # every pass must read all of it
                done
                sleep 0.3
                b1="$(backend_bytes "$sys")"
                note="${note:+$note; }timed passes MB/s $passes (row: the last)"
            fi
            if [ $rc = 0 ]; then   # n secs mbps fcpu bcpu fjit bjit: the last pass
                got="$(bounded python3 "$TOOL" hashprefix "$ROOT/big.bin" "$HIT_BYTES" 2>>"$LOGS/errors.log")"; rc=$?
                [ $rc = 0 ] && fields="$n,$secs,$mbps,$fcpu,$bcpu,$fjit,$bjit" && { [ "$n" = "$HIT_BYTES" ] && [ "$short" = 0 ] && [ "$got" = "$HIT_SHA" ] && st=ok || st=WRONG; }
            fi
            note="${note:+$note; }sha256 of a re-read after the timed reads vs big.bin on disk; backend bytes: timed reads only" ;;
        fio)
            local size; size="$(stat -c %s "$DATA/big.bin")"
            bounded fio --name=randread --filename="$ROOT/big.bin" --readonly --rw=randread --bs=4k --direct=0 \
                --ioengine=psync --size="$size" --runtime="$FIO_RUNTIME" --randrepeat=1 --invalidate=1 \
                --output-format=json --output="$LOGS/fio-$sys-r$run.json" >>"$LOGS/errors.log" 2>&1; rc=$?
            out="$(python3 "$TOOL" fio "$LOGS/fio-$sys-r$run.json" 2>>"$LOGS/errors.log")" || rc=1
            read -r iops p50 p99 mean reads <<< "$out"
            [ $rc = 0 ] && fields="$iops,$p50,$p99,$mean,$reads" && st=ok
            note="${note:+$note; }bytes not verified (fio)" ;;
        par)
            out="$(bounded python3 "$TOOL" par "$SUMS" "$ROOT" "${PAR_FILES[@]}" 2>>"$LOGS/errors.log")"; rc=$?
            read -r nf n secs mbps okf <<< "$out"
            [ $rc = 0 ] && fields="$nf,$n,$secs,$mbps,$okf" && { [ "$okf" = "$nf" ] && st=ok || st=WRONG; } ;;
        ttfb)
            out="$(bounded python3 "$TOOL" ttfb "$WORK_BASE/expect.tsv" "$ROOT" "${TTFB_LIST[@]}" 2>>"$LOGS/errors.log")"; rc=$?
            read -r nf med p90 mx okf <<< "$out"
            [ $rc = 0 ] && fields="$nf,$med,$p90,$mx,$okf" && { [ "$okf" = "$nf" ] && st=ok || st=WRONG; } ;;
        scan)
            out="$(bounded python3 "$TOOL" scan "$WORK_BASE/expect.tsv" "$ROOT" "$SCAN_CHUNK" "${MEDIA_FILES[@]}" 2>>"$LOGS/errors.log")"; rc=$?
            read -r nf secs fps okf <<< "$out"
            [ $rc = 0 ] && fields="$nf,$secs,$fps,$okf" && { [ "$okf" = "$nf" ] && st=ok || st=WRONG; } ;;
    esac
    umount_sys
    sleep 0.3
    [ "$wl" = hit ] || b1="$(backend_bytes "$sys")"   # hit: taken around its timed read
    note="${note:+$note; }$RA_NOTE"
    if [ -z "$fields" ]; then
        row "$wl" "$run" "$sys" "$(blank_fields "$wl")" ERROR "-" "${note:+$note; }exit $rc (see logs/errors.log)"
    else
        row "$wl" "$run" "$sys" "$fields" "$st" "$(delta "$b0" "$b1")" "$note"
    fi
}

# ---------------------------------------------------------------------------------------------- the run
read -r -a SYS_ARR <<< "$SYSTEMS"
for wl in $WORKLOADS; do
    csv_header "$wl" > "$OUT/$wl.csv"
    for ((r = 1; r <= RUNS; r++)); do
        nsys=${#SYS_ARR[@]}
        for ((k = 0; k < nsys; k++)); do
            run_cell "$wl" "$r" "${SYS_ARR[$(((k + r - 1) % nsys))]}"
        done
    done
done
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------------------------- report
CMDLINE="RUNS=$RUNS SYSTEMS=\"$SYSTEMS\" WORKLOADS=\"$WORKLOADS\" BIG_SIZE=$BIG_SIZE SEQ_VERIFY=$SEQ_VERIFY HIT_SIZE=$HIT_SIZE HIT_PASSES=$HIT_PASSES WARMUP_SIZE=$WARMUP_SIZE WARMUP_PASSES=$WARMUP_PASSES${WARMUP_MAX_PASSES:+ WARMUP_MAX_PASSES=$WARMUP_MAX_PASSES WARMUP_JIT_QUIET=$WARMUP_JIT_QUIET} WARMUP_READERS=$WARMUP_READERS PAR_COUNT=$PAR_COUNT PAR_SIZE=$PAR_SIZE MEDIA_COUNT=$MEDIA_COUNT MEDIA_SIZE=$MEDIA_SIZE FIO_RUNTIME=$FIO_RUNTIME TTFB_FILES=$TTFB_FILES SCAN_CHUNK=$SCAN_CHUNK BACKEND_CACHE=$BACKEND_CACHE${READ_AHEAD_KB:+ READ_AHEAD_KB=$READ_AHEAD_KB}${ENGINE_READ_AHEAD_KB:+ ENGINE_READ_AHEAD_KB=$ENGINE_READ_AHEAD_KB}${FE_OPTS:+ FE_OPTS=\"$FE_OPTS\"}${FE_JVM_OPTS:+ FE_JVM_OPTS=\"$FE_JVM_OPTS\"}$( [ "$FE_JAVA" != "$JAVA" ] && echo " FE_JAVA=$FE_JAVA") benchmarks/mount-bench.sh"
{
    echo "# Through-the-mount benchmark ($STAMP)"
    echo
    [ "$RUNS" -lt 3 ] && echo "**Smoke run ($RUNS run(s)): not results.**" && echo
    echo "Command: \`$CMDLINE\`"
    echo
    echo "Data: \`$SPEC\` ($(du -sh "$DATA" | cut -f1) on disk under $DATA). Runs are interleaved: each repetition runs every"
    echo "system once per workload (order rotated per repetition). Every FUSE system is mounted afresh for each measurement;"
    echo "then \`sync; echo 3 > /proc/sys/vm/drop_caches\`; then (BACKEND_CACHE=$BACKEND_CACHE) $( [ "$BACKEND_CACHE" = warm ] && echo "the backend's data files are read back into the page cache, so the file system under test is cold but nginx/rqbit-sim/bindfs's source serve from memory, not from the disk" || echo "nothing is pre-read: the backend reads from disk too")."
    if [ "$WARMUP_SIZE" != 0 ]; then
        echo "Before each measurement (after mounting, before dropping caches) every file system except httpfs2 read warm.bin"
        echo "($WARMUP_SIZE, $WARMUP_READERS parallel readers, never measured) $WARMUP_PASSES time(s) (WARMUP_PASSES; before each pass after the"
        echo "first \`drop_caches\`$( [ "$BACKEND_CACHE" = warm ] && echo " and the backend's warm.bin read back into the page cache"), so each pass goes through the file system)$( [ "$WARMUP_MAX_PASSES" -gt "$WARMUP_PASSES" ] && echo ", then more"
            echo "passes, up to $WARMUP_MAX_PASSES in all (WARMUP_MAX_PASSES), until two passes in a row were JIT-quiet: the JIT compiler threads (C1/C2) of the file"
            echo "system and of the backend used at most $WARMUP_JIT_QUIET of their CPU (WARMUP_JIT_QUIET). Each row's note gives the passes it took and"
            echo "whether it got there. fuse-engine's JIT settles only after ~25-30 GiB of reads: its per-response code (HTTP, fetch"
            echo "bookkeeping) runs 256 times per GiB, and HotSpot compiles a method with C2 after ~5000 calls")."
        echo "The process is warm (JIT; jffi's attach/detach of each FUSE thread during its first 1000 callbacks), its"
        echo "caches are not. WARMUP_SIZE=0 measures freshly started processes. The seq and hit tables show what the JIT"
        echo "threads still used during the timed read (\"of which JIT\")."
    else
        echo "No warm-up (WARMUP_SIZE=0): every measurement starts in a freshly started process (JIT and jffi's first 1000 callbacks per thread included)."
    fi
    if [[ " $WORKLOADS " == *" seq "* ]] && [ "$SEQ_VERIFY" = after ]; then
        echo "seq (SEQ_VERIFY=after): the timed part is a plain loop of 1 MiB \`readinto\` calls into one reused buffer (no hashing,"
        echo "no allocation per read); after the clock stops the same open file is read again from offset 0 and hashed (untimed)."
        echo "The kernel drops a FUSE file's pages only at an open without keep_cache (or never caches them: direct_io), so the"
        echo "second pass is served from the page cache the timed pass filled, i.e. it checks the very bytes the timed pass received."
    elif [[ " $WORKLOADS " == *" seq "* ]]; then
        echo "seq (SEQ_VERIFY=inline): 1 MiB reads, hashed by sha256 on a second thread while timed (on a small machine the hash"
        echo "competes with the file system under test for the CPU)."
    fi
    if [[ " $WORKLOADS " == *" hit "* ]]; then
        echo "hit: cache-hit read: first $HIT_SIZE of big.bin re-read after drop_caches (the filesystem's own cache, not the page"
        echo "cache). After the mount and warm-up above: the first $HIT_SIZE of big.bin read once (untimed; fills the file system's"
        echo "own cache, if it has one), \`sync; echo 3 > /proc/sys/vm/drop_caches\`$( [ "$BACKEND_CACHE" = warm ] && echo " (and the backend's first $HIT_SIZE read back into the page cache)"), then the"
        echo "timed re-read (1 MiB \`readinto\` as in seq; $HIT_PASSES of them, each after drop_caches, the row shows the last: the"
        echo "first re-read after the fill still includes the hit path's JIT warm-up; the note lists every pass), then (untimed) a new read of the first $HIT_SIZE through the mount, its"
        echo "sha256 compared with that of big.bin's first $HIT_SIZE on disk. Its backend bytes cover the timed re-reads only"
        echo "(~0: every byte came from the file system's own cache; read-ahead past the first $HIT_SIZE started by the re-read counts too)."
    fi
    if [[ " $WORKLOADS " == *" seq "* ]] || [[ " $WORKLOADS " == *" hit "* ]]; then
        echo "fs_cpu_s, backend_cpu_s (seq, hit): CPU of the file-system process and of the backend during the timed read (utime+stime"
        echo "from /proc/PID/stat, sampled by mbtool.py right before and after the timed loop; hit: its last pass; on a $(nproc)-core machine"
        echo "the backend shares the cores with the file system). The backend is rqbit-sim's JVM or the sum over nginx's workers;"
        echo "\`-\` where there is none (curl-*: no file system; memoryfs, bindfs: no backend process, bindfs's reads of the local"
        echo "files are in its own CPU). The tables show their median CPU seconds per GiB read. fs_jit_cpu_s, backend_jit_cpu_s: the part"
        echo "of each that the JVM's JIT compiler threads (C1/C2) used during the timed read: a process still compiling is not warm yet."
    fi
    echo "Statistics only over verified runs (sha256 of whole files or of hit's $HIT_SIZE; first byte / head+tail chunks for ttfb"
    echo "and scan); a run that returned wrong bytes is reported as FAIL and never counted."
    echo
    echo "Systems: \`curl-nginx\`, \`curl-sim\`: HTTP ceiling, \`curl -o /dev/null\` of big.bin's stream path. \`memoryfs\`: Java FUSE"
    echo "ceiling (\`io.fuseengine.bench.mount.MemoryFs\`, jnr-fuse, generated bytes, fuse-engine's mount options; \`memoryfs-lean\`: the same with"
    echo "fuse-engine's raw read entry and Java-thread session loop and, like fuse-engine, 1 MiB reads (max_pages in its INIT reply, read-ahead"
    echo "raised as root): the per-call machinery fuse-engine uses). \`fuse-engine-128k-sim\`: fuse-engine with \`-o max_read=131072\` and the"
    echo "kernel's read-ahead (libfuse 2's 128 KiB reads, as before 2026-12-07). \`bindfs\`: C FUSE"
    echo "passthrough (\`bindfs -f -o ro\`) of the data directory. \`fuse-engine-sim\` / \`fuse-engine-nginx\`: \`java -XX:+UseZGC -jar fuse-engine.jar mount"
    echo "--rqbit-url\` rqbit-sim / nginx${FE_OPTS:+ (extra options: \`$FE_OPTS\`)}${FE_JVM_OPTS:+ (extra JVM flags: \`$FE_JVM_OPTS\`)}. \`rclone\`: \`rclone mount :http: --http-url http://127.0.0.1:$NGINX_PORT/files/ $RCLONE_OPTS\`."
    echo "\`httpfs2\`: \`httpfs2 -f\` of big.bin's URL (one file per mount: seq, hit and fio only)."
    echo "rqbit-sim is \`io.fuseengine.bench.mount.BenchSim\` (the code of \`fuse-engine.jar sim --dir DATA\` plus a counter endpoint);"
    echo "nginx serves the files at rqbit's stream paths (symlinks), static copies of the sim's JSON, and /files/ with autoindex."
    echo "Backend bytes: body bytes nginx logged (stream and /files/ requests) or rqbit-sim's stream counter, from after the"
    echo "mount was ready to after the unmount (hit: over its timed re-read only)."
    echo
    echo "Jars: \`$FE_JAR\`, \`$BENCH_JAR\`; java: \`$JAVA\`."
    echo
    echo "## Machine"
    echo
    echo "$FACTS_START"
    echo "- load average at start: $LOAD_START; at end: $LOAD_END"
    [ -n "$READ_AHEAD_KB" ] && echo "- read_ahead_kb of every FUSE mount set to $READ_AHEAD_KB"
} > "$OUT/header.md"
SEQ_VERIFY="$SEQ_VERIFY" HIT_SIZE="$HIT_SIZE" python3 "$TOOL" report "$OUT" || log "report failed"
sed -E "s#\]\(([a-z]+\.png)\)#]($STAMP/\1)#" "$OUT/results.md" > "$OUT_BASE/LATEST.md"
cp "$WORK_BASE/nginx/nginx.conf" "$OUT/nginx.conf" 2>/dev/null
log "done: $OUT/results.md (load at end $LOAD_END)"
