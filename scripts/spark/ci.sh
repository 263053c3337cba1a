#!/usr/bin/env bash
# CI (called by .ci/run): the Spark job in local mode over testdata/ and the
# corpus, its numbers and the README's DuckDB query checked against
# `tcpstate report --format json`, and the report over the dataset compared
# with the report over the captures, byte for byte.
#
#   scripts/spark/ci.sh TCPSTATE_BINARY   (built with --features parquet)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
corpus="$(cd "$repo/../shared/corpus" && pwd)"

command -v java >/dev/null || { echo "error: java is missing: Spark needs Java 17" >&2; exit 1; }
java -version 2>&1 | head -n 1
venv="${CARGO_TARGET_DIR:-$repo/target}/spark-venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$repo/scripts/spark/requirements.txt"
"$venv/bin/python" -c 'import pyspark, duckdb; print("pyspark", pyspark.__version__, "duckdb", duckdb.__version__)'

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/captures"
ln -s "$repo/testdata" "$work/captures/testdata"
ln -s "$corpus" "$work/captures/corpus"
cd "$work"

# The report over the captures (damaged ones in the corpus: status 2).
status=0
"$bin" report -f json captures > report.json 2> report.err || status=$?
[ "$status" -le 2 ] || { cat report.err; exit 1; }

PYSPARK_PYTHON="$venv/bin/python" "$venv/bin/python" "$repo/scripts/spark/tcpstate_spark.py" \
  --tcpstate "$bin" --out results --json spark.json captures 2> spark.err || {
  tail -n 40 spark.err
  exit 1
}
echo "Spark job's wall time (local mode, map and SQL): $("$venv/bin/python" -c 'import json; print(json.load(open("spark.json"))["seconds"]["total"])') s"
"$venv/bin/python" "$repo/scripts/spark/check.py" --report report.json --spark spark.json \
  --readme "$repo/README.md" --cwd "$work"

# The reduce step over the dataset Spark wrote: the same report.
rstatus=0
"$bin" report -f json results > from-results.json 2> from-results.err || rstatus=$?
if ! cmp report.json from-results.json || [ "$rstatus" != "$status" ]; then
  echo "error: the report over the results differs from the report over the captures" >&2
  diff report.json from-results.json | head -n 20 >&2 || true
  exit 1
fi
echo "report over the dataset = report over the captures ($(wc -c < report.json) bytes, status $status)"
