#!/usr/bin/env bash
# Makes the README's pictures with the tool itself, from testdata/ captures:
#   docs/images/state-diagram.svg        the report's state diagram over testdata/real
#   docs/images/ladder-09-lost-final-ack.svg   the ladder of 09-lost-final-ack, stream 0
#   docs/images/report-first-screen.png  the report's first screen (headless Chromium)
# Needs Debian's chromium for the PNG. Run from anywhere: scripts/readme-images.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --bin tcpstate
bin="${CARGO_TARGET_DIR:-target}/debug/tcpstate"
out=docs/images
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Relative paths, so that the pictures name testdata/real/..., not this machine.
"$bin" report testdata/real -o "$work/report.html" --diagram "$out/state-diagram.svg"
"$bin" ladder testdata/real/09-lost-final-ack.pcap -s 0 -o "$out/ladder-09-lost-final-ack.svg"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$work/profile" --window-size=1280,900 \
  --screenshot="$PWD/$out/report-first-screen.png" "file://$work/report.html" 2>"$work/chromium.log" || {
  cat "$work/chromium.log" >&2
  exit 1
}
ls -l "$out"
