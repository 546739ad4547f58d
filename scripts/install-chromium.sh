#!/usr/bin/env bash
# Installs Debian's chromium for the HTML report's browser test (test/views/report-html.chromium.test.ts).
# Idempotent: does nothing when /usr/bin/chromium exists. Runs apt-get update only when the package lists do
# not know chromium yet (a fresh container has empty lists). Needs root, or sudo when it is there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium: already installed ($(/usr/bin/chromium --version 2>/dev/null || echo unknown version))"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else echo "install-chromium: need root or sudo to apt-get install chromium" >&2; exit 1; fi
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show chromium >/dev/null 2>&1; then
  $sudo apt-get update
fi
$sudo apt-get install -y --no-install-recommends chromium
/usr/bin/chromium --version
