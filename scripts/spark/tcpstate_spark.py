"""tcpstate as the map step of a Spark job, and Spark SQL as the reduce.

Takes directories of captures (found recursively, by their content as
tcpstate finds them, symbolic links followed), runs `tcpstate summary --format parquet --hive`
on each capture as one Spark task (one task per capture: a pcap cannot be
split), all writing into one Hive-partitioned dataset
(OUT/capture=NAME/connections.parquet), then reads the dataset back as one
table and aggregates it with Spark SQL:

  * outcomes per capture,
  * anomalies by id (occurrences, and connections that raised them),
  * final-state pairs ("CLIENT SERVER", a state marked ? when uncertain).

The numbers are those of `tcpstate report --format json` over the same
captures (`.ci/run` checks it), and `tcpstate report OUT` renders the whole
report from the dataset.

Every task must see the captures and OUT at the same paths (a shared file
system, or local mode). The tcpstate binary must be built with the
`parquet` feature. Local mode:

    python3 scripts/spark/tcpstate_spark.py --tcpstate target/release/tcpstate \\
        --out results --json spark.json testdata

On a cluster: spark-submit --master yarn scripts/spark/tcpstate_spark.py ...
"""

import argparse
import gzip
import json
import os
import subprocess
import sys
import time

from pyspark.sql import SparkSession

# What tcpstate takes for a capture in a directory: its content, not its
# name (pcap in either byte order, micro- or nanosecond or the modified
# format; pcapng; either inside gzip, zstd or lz4).
PCAP_MAGICS = {0xA1B2C3D4, 0xA1B23C4D, 0xA1B2CD34}
ZSTD, LZ4 = b"\x28\xb5\x2f\xfd", b"\x04\x22\x4d\x18"


def starts_like_capture(head):
    if len(head) < 4:
        return False
    if head[:4] == b"\x0a\x0d\x0d\x0a":
        return True
    return (int.from_bytes(head[:4], "big") in PCAP_MAGICS
            or int.from_bytes(head[:4], "little") in PCAP_MAGICS)


def is_capture(path):
    with open(path, "rb") as f:
        head = f.read(8)
    if starts_like_capture(head):
        return True
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path) as g:
                return starts_like_capture(g.read(8))
        except (OSError, EOFError):
            return False
    # Python's library reads neither zstd nor lz4: tcpstate will tell.
    return head[:4] in (ZSTD, LZ4)


# Spark SQL over the `connections` view (one row per connection).
OUTCOMES = """
    SELECT file, outcome, COUNT(*) AS connections
    FROM connections
    GROUP BY file, outcome
"""

ANOMALIES = """
    SELECT a.id AS id, MIN(a.severity) AS severity, COUNT(*) AS occurrences,
           COUNT(DISTINCT file, stream) AS connections
    FROM connections LATERAL VIEW explode(anomalies) x AS a
    GROUP BY a.id
"""

FINAL_STATES = """
    SELECT concat(final_state.client,
                  IF(final_state_uncertain.client IS NULL, '', '?'), ' ',
                  final_state.server,
                  IF(final_state_uncertain.server IS NULL, '', '?')) AS pair,
           COUNT(*) AS connections
    FROM connections
    GROUP BY 1
"""


def find_captures(dirs):
    """The captures tcpstate would read in the directories given (files
    given are kept): recursively, links followed, each directory once."""
    found = []
    for d in dirs:
        if not os.path.isdir(d):
            found.append(d)
            continue
        seen = set()
        for root, subdirs, files in os.walk(d, followlinks=True):
            real = os.path.realpath(root)
            if real in seen:
                subdirs[:] = []
                continue
            seen.add(real)
            for f in sorted(files):
                p = os.path.join(root, f)
                if os.path.isfile(p) and is_capture(p):
                    found.append(p)
    return found


def map_captures(tcpstate, out, threads):
    """The map task: tcpstate on each capture of the partition."""

    def run(paths):
        for path in paths:
            cmd = [tcpstate, "summary", "--format", "parquet", "--hive",
                   "-j", str(threads), "-o", out, path]
            p = subprocess.run(cmd, capture_output=True, text=True)
            yield (path, p.returncode, p.stderr.strip())

    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tcpstate", required=True, help="the tcpstate binary (built with --features parquet)")
    ap.add_argument("--out", required=True, help="the dataset's directory")
    ap.add_argument("--json", help="also write the aggregates here, as JSON")
    ap.add_argument("--threads", type=int, default=1, help="tcpstate's -j in each task (default 1: Spark runs the tasks in parallel)")
    ap.add_argument("captures", nargs="+", help="directories of captures (or captures)")
    args = ap.parse_args()

    started = time.monotonic()
    tcpstate = os.path.abspath(args.tcpstate)
    captures = find_captures(args.captures)
    if not captures:
        sys.exit("tcpstate_spark: no capture found in " + " ".join(args.captures))

    spark = (SparkSession.builder.appName("tcpstate")
             # Parquet's nanosecond timestamps (start_ns, ts_ns) are read as
             # longs: Spark's own timestamps stop at microseconds.
             .config("spark.sql.legacy.parquet.nanosAsLong", "true")
             # capture=NAME stays a string, whatever NAME looks like.
             .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
             .config("spark.ui.enabled", "false")
             .getOrCreate())
    sc = spark.sparkContext

    # Map: one task per capture.
    tasks = (sc.parallelize(captures, len(captures))
             .mapPartitions(map_captures(tcpstate, os.path.abspath(args.out), args.threads))
             .collect())
    failed = [t for t in tasks if t[1] not in (0, 2)]
    for path, code, err in tasks:
        if code == 2:
            print(f"tcpstate_spark: {path}: exit 2 (an input problem, its results say so): {err}",
                  file=sys.stderr)
    if failed:
        for path, code, err in failed:
            print(f"tcpstate_spark: {path}: tcpstate failed with status {code}: {err}", file=sys.stderr)
        sys.exit(1)
    mapped = time.monotonic()

    # Reduce: the dataset as one table.
    # The capture=NAME partitions become a `capture` column; only the
    # connections files are read (a timeline's segments.parquet may sit
    # beside them).
    df = (spark.read.option("pathGlobFilter", "connections.parquet")
          .parquet(args.out))
    df.createOrReplaceTempView("connections")

    outcomes = {}
    for r in spark.sql(OUTCOMES).collect():
        outcomes.setdefault(r["file"], {})[r["outcome"]] = r["connections"]
    anomalies = {r["id"]: {"severity": r["severity"], "occurrences": r["occurrences"],
                           "connections": r["connections"]}
                 for r in spark.sql(ANOMALIES).collect()}
    final_states = {r["pair"]: r["connections"] for r in spark.sql(FINAL_STATES).collect()}
    spark.stop()
    done = time.monotonic()

    result = {
        "captures": len(captures),
        "input_problems": sum(1 for t in tasks if t[1] == 2),
        "connections": sum(sum(v.values()) for v in outcomes.values()),
        "outcomes_per_capture": outcomes,
        "anomalies": anomalies,
        "final_states": final_states,
        "seconds": {"map": round(mapped - started, 3), "total": round(done - started, 3)},
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2, sort_keys=True)
    print(f"tcpstate_spark: {len(captures)} captures, {result['connections']} connections, "
          f"{len(anomalies)} anomaly ids, {len(final_states)} final-state pairs; "
          f"map {result['seconds']['map']} s, total {result['seconds']['total']} s")


if __name__ == "__main__":
    main()
