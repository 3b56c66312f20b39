#!/usr/bin/env bash
# Installs what is missing (fuse3, libfuse2, JDK, Maven) and runs every test: unit tests and tests that mount a
# real FUSE filesystem against the rqbit-compatible test double over loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --no-build
mvn -B -ntp verify "$@"
