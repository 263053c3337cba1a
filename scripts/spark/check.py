"""Checks the Spark job's numbers and the README's DuckDB query against
`tcpstate report --format json` over the same captures.

    python3 scripts/spark/check.py --report report.json --spark spark.json \\
        --readme README.md --cwd WORK

The DuckDB query is the README's own (the ```sql block between the
duckdb-query markers), run as written in the directory --cwd, where the
dataset is `results/`. Exits 1 on any difference, naming it.
"""

import argparse
import json
import os
import re
import sys

import duckdb


def expected(report):
    """Outcomes per capture, anomalies by id, final-state pairs."""
    outcomes = {c["file"]: c["aggregate"]["outcomes"] for c in report["captures"]
                if c["aggregate"]["connections"] > 0}
    return outcomes, report["overall"]["anomalies"], report["overall"]["final_states"]


def readme_queries(path):
    text = open(path).read()
    m = re.search(r"<!-- duckdb-query:start -->\s*```sql\n(.*?)```\s*<!-- duckdb-query:end -->",
                  text, re.S)
    if not m:
        sys.exit("check: the README has no duckdb-query block")
    queries = [q.strip() for q in m.group(1).split(";") if q.strip()]
    if len(queries) != 3:
        sys.exit(f"check: the README's DuckDB block has {len(queries)} queries, not 3")
    return queries


class Checks:
    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def eq(self, what, got, want):
        if got == want:
            self.passed += 1
        else:
            self.failed += 1
            print(f"{self.name}: {what} differs:\n  got  {json.dumps(got, sort_keys=True)[:2000]}\n"
                  f"  want {json.dumps(want, sort_keys=True)[:2000]}")

    def close(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        return self.failed == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--report", required=True)
    ap.add_argument("--spark", required=True)
    ap.add_argument("--readme", required=True)
    ap.add_argument("--cwd", required=True, help="where the README's query finds results/")
    args = ap.parse_args()

    report = json.load(open(args.report))
    outcomes, anomalies, final_states = expected(report)
    if not outcomes or not anomalies or not final_states:
        sys.exit("check: the report is empty: nothing would be checked")

    spark = json.load(open(args.spark))
    s = Checks("spark")
    s.eq("outcomes per capture", spark["outcomes_per_capture"], outcomes)
    s.eq("anomalies by id", spark["anomalies"], anomalies)
    s.eq("final-state pairs", spark["final_states"], final_states)
    s.eq("connections", spark["connections"], report["overall"]["connections"])

    os.chdir(args.cwd)
    q = readme_queries(args.readme)
    con = duckdb.connect()
    d = Checks("duckdb")
    got = {}
    for file, outcome, n in con.execute(q[0]).fetchall():
        got.setdefault(file, {})[outcome] = n
    d.eq("outcomes per capture", got, outcomes)
    got = {i: {"severity": sev, "occurrences": o, "connections": c}
           for i, sev, o, c in con.execute(q[1]).fetchall()}
    d.eq("anomalies by id", got, anomalies)
    got = {pair: n for pair, n in con.execute(q[2]).fetchall()}
    d.eq("final-state pairs", got, final_states)
    # Hive partitioning gives the capture column; the exact name is `file`.
    rows = con.execute("SELECT count(*), count(DISTINCT capture), count(DISTINCT file) "
                       "FROM read_parquet('results/*/connections.parquet', hive_partitioning = true)"
                       ).fetchone()
    d.eq("rows, partitions and files", list(rows),
         [report["overall"]["connections"], len(outcomes), len(outcomes)])

    ok = s.close() & d.close()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
