#!/usr/bin/env bash
# Builds fuse-engine and mounts its embedded rqbit-compatible demo library at the given directory
# (default /tmp/fuse-engine-demo). Ctrl-C unmounts. With a real rqbit running, use
#   java -XX:+UseZGC -jar app/target/fuse-engine.jar mount <dir>   instead.
set -euo pipefail
cd "$(dirname "$0")/.."
# FUSE paths are decoded with the JVM default charset (Java 17: from the locale): make it UTF-8.
export LANG="${LANG:-C.UTF-8}"
case "$LANG" in *UTF-8*|*utf8*) ;; *) export LANG=C.UTF-8 ;; esac
mnt="${1:-/tmp/fuse-engine-demo}"
[ $# -gt 0 ] && shift
./scripts/setup.sh
mkdir -p "$mnt"
exec java -XX:+UseZGC -jar app/target/fuse-engine.jar demo "$mnt" "$@"
