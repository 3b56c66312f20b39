# Sourced by the ad hoc A/B scripts in this directory (diag.sh, par.sh): rqbit-sim on :3931 over mount-bench's data
# set, and a fresh fuse-engine mount over it.

# start_sim BENCH_JAR LOG: starts BenchSim (ports 3931/3932) unless one answers already; waits until it does.
start_sim() {
  if ! curl -s -o /dev/null http://127.0.0.1:3931/torrents; then
    java -XX:+UseZGC -cp "$1" io.fuseengine.bench.mount.BenchSim 3931 3932 /var/tmp/fe-mount-bench/data > "$2" 2>&1 &
    for i in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:3931/torrents && break; sleep 0.2; done
  fi
}

# mount_engine JAR MNT METRICS_PORT LOG [engine flags...]: mounts JAR at MNT in the background ($FE_JVM: extra JVM
# flags) and sets EP to its pid.
mount_engine() {
  local jar=$1 mnt=$2 port=$3 log=$4; shift 4
  java -XX:+UseZGC $FE_JVM -jar "$jar" mount "$mnt" --rqbit-url http://127.0.0.1:3931 --metrics-addr 127.0.0.1:$port "$@" > "$log" 2>&1 &
  EP=$!
}

# await_found MNT FIND_ARGS...: prints the first path under MNT that find matches, waiting up to 20 s for the mount.
await_found() {
  local mnt=$1 found=; shift
  for i in $(seq 100); do found=$(find "$mnt" "$@" 2>/dev/null | head -1); [ -n "$found" ] && break; sleep 0.2; done
  echo "$found"
}
