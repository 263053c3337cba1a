#!/usr/bin/env bash
# Golden outputs: records what the tool prints for every capture we have, so
# that a change meant to keep behaviour (a refactor) can be checked byte for
# byte against the outputs from before it.
#
#   scripts/golden.sh record DIR    build (release) and record the outputs in DIR
#   scripts/golden.sh compare DIR   build, run the same commands, compare with DIR
#
# DIR should be outside the repository (e.g. /tmp/golden or target/golden).
# Inputs: every capture under testdata/, ../shared/corpus, ../shared/corpus-encap
# and a 1M-packet generated workload (generated once, at record, into DIR).
# Commands per capture: summary in text, json, jsonl and zeek; timeline in
# text, json and jsonl; report --format json; netstat --every 1s -f jsonl;
# check (default policy). Each output keeps stdout, stderr and the exit status.
# Outputs of the small captures are kept whole (a mismatch shows a diff); the
# workload's are kept as SHA-256 sums only (they are hundreds of megabytes).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: $0 record|compare DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
mode="$1"
dir="$2"
case "$mode" in record | compare) ;; *) usage ;; esac

cargo build -q --release --workspace --bins
bin="${CARGO_TARGET_DIR:-target}/release"
bin="$(cd "$bin" && pwd)"

if [ "$mode" = record ]; then
  rm -rf "$dir/out"
  mkdir -p "$dir/out"
  out="$dir/out"
else
  [ -d "$dir/out" ] || {
    echo "error: $dir/out missing: record first" >&2
    exit 2
  }
  out="$dir/new"
  rm -rf "$out"
  mkdir -p "$out"
fi

wl="$dir/w1m.pcap"
if [ ! -f "$wl" ]; then
  [ "$mode" = record ] || {
    echo "error: $wl missing: record first" >&2
    exit 2
  }
  "$bin/tcpstate-workload" gen -q -o "$wl" --packets 1000000
fi

captures() {
  for d in testdata ../shared/corpus ../shared/corpus-encap; do
    [ -d "$d" ] || continue
    find "$d" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | LC_ALL=C sort
  done
}

# run NAME CMD...: stdout to NAME.out, stderr to NAME.err, status to NAME.rc.
run() {
  local name="$1"
  shift
  local rc=0
  "$@" >"$name.out" 2>"$name.err" || rc=$?
  echo "$rc" >"$name.rc"
}

# one KEY FILE: every command on one capture; files named KEY.<command>.
one() {
  local key="$1" f="$2" t="$bin/tcpstate"
  local p="$out/$key"
  for fmt in text json jsonl zeek; do
    run "$p.summary-$fmt" "$t" summary --color never --progress never -f "$fmt" "$f"
  done
  for fmt in text json jsonl; do
    run "$p.timeline-$fmt" "$t" timeline --color never --progress never -f "$fmt" "$f"
  done
  run "$p.report-json" "$t" report --progress never --format json "$f"
  run "$p.netstat-every" "$t" netstat --color never --progress never --every 1s -f jsonl "$f"
  run "$p.check" "$t" check --color never --progress never "$f"
}

n=0
while IFS= read -r f; do
  key="$(echo "$f" | sed 's#^\.\./shared/##; s#/#__#g')"
  one "$key" "$f"
  n=$((n + 1))
done < <(captures)
one workload "$wl"
# The workload's outputs: sums only.
(cd "$out" && sha256sum workload.* >workload.sha256 && rm -f workload.*.out)

if [ "$mode" = record ]; then
  echo "recorded $n captures and the 1M workload into $dir/out"
  exit 0
fi

# Compare: the workload's sums, then every other file.
status=0
if ! cmp -s "$dir/out/workload.sha256" "$out/workload.sha256"; then
  echo "DIFFERENT: workload outputs:" >&2
  diff "$dir/out/workload.sha256" "$out/workload.sha256" >&2 || true
  status=1
fi
if ! diff -rq "$dir/out" "$out" >"$dir/diff.txt"; then
  head -n 40 "$dir/diff.txt" >&2
  first="$(grep -m1 '^Files' "$dir/diff.txt" | awk '{print $2, $4}')"
  [ -n "$first" ] && diff $first | head -n 40 >&2
  status=1
fi
if [ $status -eq 0 ]; then
  echo "identical: $n captures and the 1M workload, $(ls "$out" | wc -l) outputs"
else
  echo "golden outputs DIFFER (list: $dir/diff.txt)" >&2
fi
exit $status
