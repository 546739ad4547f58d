#!/bin/sh
# Installs Debian's prometheus package into a cache folder for the tests, without installing it into the system:
# the package's postinst would start a daemon on 0.0.0.0:9090 (invoke-rc.d), so it is fetched with
# `apt-get download` and unpacked with `dpkg-deb -x` instead (../shared/reference/kubernetes-api-facts.md §0, §8).
# The version is pinned so every run scrapes with the same Prometheus. Prints the binary's path.
#
# Usage: scripts/install-prometheus.sh [CACHE_DIR]   (default node_modules/.cache/gpu-scale)
set -eu

VERSION='2.42.0+ds-5+deb12u1'
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${1:-"$ROOT/node_modules/.cache/gpu-scale"}
TARGET="$CACHE/prometheus-$VERSION"
BIN="$TARGET/usr/bin/prometheus"

if [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# Package lists may be missing on a fresh CI image: update them once and retry.
if ! apt-get download "prometheus=$VERSION" >/dev/null 2>&1; then
  apt-get update >/dev/null
  apt-get download "prometheus=$VERSION" >/dev/null
fi
mkdir -p "$TARGET.partial"
dpkg-deb -x prometheus_*.deb "$TARGET.partial"
rm -rf "$TARGET"
mv "$TARGET.partial" "$TARGET"
echo "$BIN"
