# Shell helpers shared by mount-bench.sh and scale-bench.sh (sourced; the caller defines log()).

stop_pid() { # pid, seconds: TERM, bounded wait, then KILL (only processes the calling script started)
    local pid="$1" secs="${2:-10}" i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < secs * 10; i++)); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }; sleep 0.1; done
    log "pid $pid ignored SIGTERM for ${secs}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    return 0
}

unmount_dir() { # lazy-unmount a mountpoint if mounted (also clears stale "transport endpoint not connected")
    local m="$1" i
    for ((i = 0; i < 50; i++)); do
        grep -qs " $m " /proc/self/mountinfo || return 0
        fusermount -u -z "$m" 2>/dev/null || fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
        sleep 0.1
    done
    log "WARNING: $m still mounted"
}
