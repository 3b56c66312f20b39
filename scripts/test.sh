#!/usr/bin/env bash
# Installs what is missing (fuse3, libfuse2, JDK, Maven) and runs every test: unit tests and tests that mount a
# real FUSE filesystem against the rqbit-compatible test double over loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
# FUSE paths are decoded with the JVM default charset (Java 17: from the locale): make it UTF-8.
export LANG="${LANG:-C.UTF-8}"
case "$LANG" in *UTF-8*|*utf8*) ;; *) export LANG=C.UTF-8 ;; esac
./scripts/setup.sh --no-build
mvn -B -ntp verify "$@"
