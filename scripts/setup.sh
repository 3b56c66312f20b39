#!/usr/bin/env bash
# Installs what fuse-engine needs on a fresh Debian machine (fuse3, libfuse2, a JDK 17+ and Maven if missing)
# and builds the shaded jar at app/target/fuse-engine.jar. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -e /dev/fuse ] || echo "warning: /dev/fuse is missing: mounting will fail on this machine" >&2
command -v fusermount >/dev/null 2>&1 || need+=(fuse3)
{ ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q 'libfuse.so.2' || need+=(libfuse2)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ "${1:-}" != "--no-build" ]; then
  mvn -B -ntp -q -DskipTests package
  echo "built $(pwd)/app/target/fuse-engine.jar"
fi
