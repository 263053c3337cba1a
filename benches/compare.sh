#!/usr/bin/env bash
# End-to-end benchmark of tcpstate on a generated workload, against tshark
# and tcptrace, with the answers check against the planted ground truth.
#
#   benches/compare.sh                    # the 5M-packet reference (~494 MB)
#   benches/compare.sh --packets 500000   # a reduced size
#   benches/compare.sh --million          # 1 million connections open at once
#
# Options:
#   --packets N       packets in the workload (default 5000000)
#   --concurrency N   connections open at once (default 5600)
#   --rounds N        timed rounds, each tool once per round, alternating (3)
#   --seed N          workload seed (1)
#   --dir DIR         where captures and logs go (${TMPDIR:-/tmp}/tcpstate-compare)
#   --no-double       skip the run on a capture twice as long
#   --million         instead: state memory per open connection, from a
#                     capture with 1,000,000 connections open at once
#                     against one with the default concurrency
#   --million-packets N  packets of those two captures (6000000)
#
# Times are wall-clock seconds (median of the rounds, and the minimum); "max
# RSS" is /usr/bin/time's: it counts the pages of a memory-mapped capture that
# were touched, so tcpstate's real heap is its max RSS when reading standard
# input; "anon" is the peak of RssAnon summed over the processes, sampled
# every 0.1 s (the heap without the mapped file; coarse for short runs). On a shared
# machine, compare instruction counts instead (valgrind --tool=callgrind or
# perf stat -e instructions), or repeat.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKETS=5000000
CONCURRENCY=5600
ROUNDS=3
SEED=1
DIR="${TMPDIR:-/tmp}/tcpstate-compare"
DOUBLE=1
MILLION=0
MILLION_PACKETS=6000000
while [ $# -gt 0 ]; do
  case "$1" in
    --packets) PACKETS=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --no-double) DOUBLE=0; shift ;;
    --million) MILLION=1; shift ;;
    --million-packets) MILLION_PACKETS=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$DIR"

step() { printf '\n==> %s\n' "$*" >&2; }

# ---- tools --------------------------------------------------------------------
need=()
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v tcptrace >/dev/null 2>&1 || need+=(tcptrace)
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  step "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

step "building tcpstate and tcpstate-workload (release)"
cargo build --release --workspace --bins >&2
BIN="${CARGO_TARGET_DIR:-target}/release"
TS="$BIN/tcpstate"
WL="$BIN/tcpstate-workload"

# ---- measuring ----------------------------------------------------------------
declare -A TIMES RSS ANON NPK
PAGE_KB=$(($(getconf PAGESIZE) / 1024))
ORDER=()
PK=0 # packets of the capture the next measurements read

# The sampling below uses bash builtins only. It used to start pgrep, awk
# and sleep ten times a second: a quarter of a core (1.2 s of CPU in 5 s),
# taken from the run it measured. On this 2-core machine that made
# `summary -j 2` 25% slower and `-j 1` 9% (5 alternating runs each), which
# understated both tcpstate's speed and what its second thread gives. Now
# it takes under 2% of a core.

# descendants PID: the processes under PID, into the array KIDS (from each
# process's parent in /proc/N/stat; the name in parentheses may hold
# spaces, so the fields are read after its last ")").
descendants() {
  local -A under=()
  local f line rest ppid p c
  for f in /proc/[0-9]*/stat; do
    read -r line 2>/dev/null < "$f" || continue
    rest=${line##*) }
    ppid=${rest#* }
    ppid=${ppid%% *}
    under[$ppid]+="${line%% *} "
  done
  KIDS=()
  local todo=("$1")
  while [ ${#todo[@]} -gt 0 ]; do
    p=${todo[0]}
    todo=("${todo[@]:1}")
    for c in ${under[$p]:-}; do
      KIDS+=("$c")
      todo+=("$c")
    done
  done
}

# A pipe nobody writes to: `read -t` on it is a sleep without a process.
rm -f "$DIR/.tick"
mkfifo "$DIR/.tick"
exec {TICK}<>"$DIR/.tick"

# measure LABEL COMMAND: runs COMMAND (a bash command line) once, recording
# its wall time, max RSS and sampled peak anonymous RSS under LABEL.
measure() {
  local label=$1 cmd=$2 tf="$DIR/.time" peak=0 sum p
  /usr/bin/time -f "%e %M" -o "$tf" bash -c "$cmd" &
  local tp=$! n=0 res shared
  while kill -0 "$tp" 2>/dev/null; do
    # The processes are looked for again each second (a pipeline's are
    # all there within the first half second).
    if [ "$n" -lt 5 ] || [ $((n % 10)) -eq 0 ]; then descendants "$tp"; fi
    n=$((n + 1))
    sum=0
    # statm: resident minus shared (file and shmem) pages is RssAnon.
    for p in "${KIDS[@]}"; do
      read -r _ res shared _ 2>/dev/null < "/proc/$p/statm" || continue
      sum=$((sum + (res - shared) * PAGE_KB))
    done
    if [ "$sum" -gt "$peak" ]; then peak=$sum; fi
    read -r -t 0.1 -u "$TICK" _ || true
  done
  if ! wait "$tp"; then
    echo "compare.sh: failed: $cmd" >&2
    return 1
  fi
  local secs rss
  read -r secs rss < "$tf"
  [ -n "${TIMES[$label]+x}" ] || ORDER+=("$label")
  NPK[$label]=$PK
  TIMES[$label]+="$secs "
  RSS[$label]+="$rss "
  ANON[$label]+="$peak "
  printf '    %-34s %8.2f s  max RSS %6d MB  anon %6d MB\n' "$label" "$secs" $((rss / 1024)) $((peak / 1024)) >&2
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
minimum() { tr ' ' '\n' | grep -v '^$' | sort -g | head -n 1; }
maximum() { tr ' ' '\n' | grep -v '^$' | sort -g | tail -n 1; }
med() { echo "${TIMES[$1]}" | median; }

# generate PACKETS CONCURRENCY NAME [extra options]: a cached workload.
generate() {
  local packets=$1 conc=$2 name=$3
  shift 3
  local f="$DIR/$name.pcap"
  local stamp="$packets $conc $SEED $* $(sha256sum < "$WL" | cut -c1-16)"
  if [ -f "$f" ] && [ -f "$f.truth.tsv" ] && [ "$(cat "$f.params" 2>/dev/null)" = "$stamp" ]; then
    step "reusing $f"
  else
    step "generating $f ($packets packets, $conc open at once)"
    "$WL" gen -o "$f" --packets "$packets" --concurrency "$conc" --seed "$SEED" "$@" >&2
    echo "$stamp" > "$f.params"
  fi
  echo "$f"
}

pps() { awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "-" }'; }

table() {
  printf '\n%-34s %9s %9s %12s %11s %9s %s\n' "run" "median s" "min s" "packets/s" "max RSS MB" "anon MB" "runs"
  local l t
  for l in "${ORDER[@]}"; do
    t=$(med "$l")
    printf '%-34s %9.2f %9.2f %12s %11d %9d %s\n' "$l" "$t" "$(echo "${TIMES[$l]}" | minimum)" \
      "$(pps "${NPK[$l]}" "$t")" $(($(echo "${RSS[$l]}" | maximum) / 1024)) \
      $(($(echo "${ANON[$l]}" | maximum) / 1024)) "$(echo "${TIMES[$l]}" | wc -w)"
  done
}

ratio() { awk -v a="$(med "$1")" -v b="$(med "$2")" 'BEGIN { printf "%.2f", a / b }'; }

# ---- 1 million connections open at once ---------------------------------------
if [ "$MILLION" = 1 ]; then
  big=$(generate "$MILLION_PACKETS" 1000000 "million-$MILLION_PACKETS")
  base=$(generate "$MILLION_PACKETS" "$CONCURRENCY" "base-$MILLION_PACKETS-$CONCURRENCY")
  PK=$MILLION_PACKETS
  for r in $(seq 1 "$ROUNDS"); do
    step "round $r/$ROUNDS"
    measure "summary, 1M open (stdin)" "cat '$big' | '$TS' summary - > /dev/null"
    measure "summary, $CONCURRENCY open (stdin)" "cat '$base' | '$TS' summary - > /dev/null"
    measure "summary, 1M open" "'$TS' summary '$big' > /dev/null"
  done
  # Connections still open when the capture ends (tcpstate holds at least
  # these at its peak).
  open_big=$(awk -F'\t' 'NR > 1 && !($11 == "CLOSED" && ($12 == "CLOSED" || $12 == "LISTEN"))' "$big.truth.tsv" | wc -l)
  open_base=$(awk -F'\t' 'NR > 1 && !($11 == "CLOSED" && ($12 == "CLOSED" || $12 == "LISTEN"))' "$base.truth.tsv" | wc -l)
  conns_big=$(($(wc -l < "$big.truth.tsv") - 1))
  table
  a_big=$(echo "${RSS["summary, 1M open (stdin)"]}" | maximum)
  a_base=$(echo "${RSS["summary, $CONCURRENCY open (stdin)"]}" | maximum)
  echo
  echo "1M capture: $conns_big connections, $open_big not closed at its end; baseline: $open_base"
  awk -v a="$a_big" -v b="$a_base" -v n="$open_big" -v m="$open_base" 'BEGIN {
    printf "state memory per open connection: %.0f bytes ((%d - %d) KB max RSS from stdin / (%d - %d) connections)\n",
      (a - b) * 1024 / (n - m), a, b, n, m }'
  exit 0
fi

# ---- the workload and the answers ---------------------------------------------
F=$(generate "$PACKETS" "$CONCURRENCY" "workload-$PACKETS-$CONCURRENCY")
step "answers check: tcpstate summary --format jsonl against the planted truth"
"$TS" summary --format jsonl "$F" > "$DIR/summary.jsonl"
set +e
"$WL" check --truth "$F.truth.tsv" "$DIR/summary.jsonl" > "$DIR/answers.txt"
set -e
ANSWERS=$(tail -n 1 "$DIR/answers.txt")

# ---- timed rounds ---------------------------------------------------------------
PK=$PACKETS
for r in $(seq 1 "$ROUNDS"); do
  step "round $r/$ROUNDS"
  measure "tcpstate summary" "'$TS' summary '$F' > /dev/null"
  measure "tshark -q -z conv,tcp" "tshark -r '$F' -q -z conv,tcp > /dev/null 2>&1"
  measure "tcptrace -n" "tcptrace -n '$F' > /dev/null 2>&1"
  measure "tcpstate timeline --format jsonl" "'$TS' timeline --format jsonl '$F' > /dev/null"
  measure "tcpstate summary -j 1" "'$TS' summary -j 1 '$F' > /dev/null"
  measure "tcpstate summary -j 2" "'$TS' summary -j 2 '$F' > /dev/null"
  measure "tcpstate summary (stdin)" "cat '$F' | '$TS' summary - > /dev/null"
done

step "-j 1, -j 2 and stdin give byte-identical output"
# (the JSON names the input file: "-" for standard input)
IDENTICAL=yes
for cmd in "summary --format jsonl" "timeline --format jsonl"; do
  a=$("$TS" $cmd -j 1 "$F" | sed 's/"file":"[^"]*"/"file":"-"/' | sha256sum | cut -c1-16)
  b=$("$TS" $cmd -j 2 "$F" | sed 's/"file":"[^"]*"/"file":"-"/' | sha256sum | cut -c1-16)
  c=$(cat "$F" | "$TS" $cmd -j 2 - | sha256sum | cut -c1-16)
  echo "    $cmd: -j 1 $a, -j 2 $b, stdin $c" >&2
  if [ "$a" != "$b" ] || [ "$a" != "$c" ]; then IDENTICAL=NO; fi
done

GROWTH=""
if [ "$DOUBLE" = 1 ]; then
  F2=$(generate $((PACKETS * 2)) "$CONCURRENCY" "workload-$((PACKETS * 2))-$CONCURRENCY")
  PK=$((PACKETS * 2))
  for r in $(seq 1 "$ROUNDS"); do
    step "twice as long, round $r/$ROUNDS"
    measure "tcpstate summary, 2x long" "'$TS' summary '$F2' > /dev/null"
    measure "tcpstate summary, 2x long (stdin)" "cat '$F2' | '$TS' summary - > /dev/null"
  done
  # Read from standard input nothing is mapped: max RSS is the heap.
  a1=$(echo "${RSS["tcpstate summary (stdin)"]}" | maximum)
  a2=$(echo "${RSS["tcpstate summary, 2x long (stdin)"]}" | maximum)
  GROWTH=$(awk -v a="$a1" -v b="$a2" 'BEGIN {
    printf "max RSS from stdin %.1f MB -> %.1f MB (x%.2f): %s", a / 1024, b / 1024, b / a,
      (b <= a * 1.15 + 8192) ? "does not grow" : "GROWS with the capture" }')
fi

# ---- results ------------------------------------------------------------------
echo
echo "workload: $F ($PACKETS packets, $CONCURRENCY open at once, seed $SEED, $(($(stat -c %s "$F") / 1000000)) MB)"
table
echo
echo "tshark / tcpstate summary:   $(ratio "tshark -q -z conv,tcp" "tcpstate summary")"
echo "tcptrace / tcpstate summary: $(ratio "tcptrace -n" "tcpstate summary")"
echo "timeline segments/s:         $(pps "$PACKETS" "$(med "tcpstate timeline --format jsonl")")"
echo "-j 1 / -j 2:                 $(ratio "tcpstate summary -j 1" "tcpstate summary -j 2")"
echo "stdin / file:                $(ratio "tcpstate summary (stdin)" "tcpstate summary")"
echo "-j 1, -j 2, stdin identical: $IDENTICAL"
[ -z "$GROWTH" ] || echo "twice as long:               $GROWTH"
echo "answers:                     $ANSWERS (details: $DIR/answers.txt)"
awk '/ differ$/ && !/^answers/' "$DIR/answers.txt" | sed 's/^/    /'
