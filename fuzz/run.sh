#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) from its seed corpus, with
# the dictionary; fails on any crash, timeout (10 s for one input) or
# out-of-memory (2 GiB). Seeds are made from testdata/ and the small
# captures of ../shared/corpus (when it is there), never copied into the
# repository. Needs the nightly toolchain and cargo-fuzz.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Findings are written to fuzz/artifacts/TARGET/; the corpora grow in
# fuzz/corpus/TARGET/ and are reused by the next run. Per target, the last
# lines of libFuzzer's report (executions, coverage) are printed.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
captures=(../testdata/real/*.pcap ../testdata/real/*.pcapng)
if [ -d ../../shared/corpus ]; then
  while IFS= read -r f; do captures+=("$f"); done < <(
    find ../../shared/corpus ../../shared/corpus-encap -maxdepth 1 -type f \
      \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -size -64k 2>/dev/null | sort)
fi
seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT
python3 seeds.py "$seeds" "${captures[@]}"
cargo +nightly fuzz build -O -a
status=0
for t in "${targets[@]}"; do
  # Leak checking is off for the capture targets: a compressed input is
  # decompressed on a thread of its own that ends after the input has been
  # analysed, which LeakSanitizer takes for a leak of that input.
  leaks=1
  case "$t" in
    decode) seed="$seeds/decode" ;;
    policy) seed="$seeds/policy" ;;
    select) seed="$seeds/select" ;;
    *) seed="$seeds/capture"; leaks=0 ;;
  esac
  mkdir -p "corpus/$t"
  log="$(mktemp)"
  echo "==> $t: ${seconds}s from $(ls "$seed" | wc -l) seeds"
  if ! cargo +nightly fuzz run -O -a "$t" "corpus/$t" "$seed" -- \
      -dict=captures.dict -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -detect_leaks="$leaks" -print_final_stats=1 > "$log" 2>&1; then
    status=1
    tail -n 60 "$log"
    echo "==> $t FAILED: the input is in fuzz/artifacts/$t/"
  else
    # e.g. "#2140452 DONE cov: 1834 ft: 9120 corp: 2453/190Kb exec/s: 101926"
    { grep -E '^#[0-9]+[[:space:]]+DONE' "$log" || tail -n 1 "$log"; } | sed "s/^/  $t: /"
    { grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true; } |
      sed "s/^stat::/  $t: /"
  fi
  rm -f "$log"
done
exit "$status"
