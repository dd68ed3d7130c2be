"""One Auger option off and on, TPC-H query by query, in one process.

    python3 bench/option_ab.py OPTION [--runs N] [--queries q01,q17,...]

Needs the TPC-H data and the bench home that `bench/run --suite tpch` generated. For each
query: one warm-up with each setting, then N runs with the option off and N with it on,
alternating, so drift in the machine's speed falls on both alike. Prints the median of each
and their ratio (on / off), then the sums. Uses AUGER_BIN (default: the dist build).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

from runner import AUGER, HERE
from tpch import QUERIES

TIMING = re.compile(r"rows? selected \(([\d.]+) seconds\)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("option", help="a boolean option, e.g. exec.hashjoin.enable.runtime_filter")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--queries", default=",".join(QUERIES))
    args = parser.parse_args()
    names = args.queries.split(",")
    home = os.path.join(HERE, ".cache", "auger-home")
    if not os.path.isdir(home):
        sys.exit(f"{home} is missing: run `bench/run --suite tpch` first")

    statements, order = ["USE bench.tpch"], []
    for name in names:
        for run in range(args.runs + 1):
            for value in ("false", "true"):
                statements.append(f"SET `{args.option}` = {value}")
                statements.append(QUERIES[name].strip())
                order.append((name, value, run))
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(";\n".join(statements) + ";\n")
        script.flush()
        proc = subprocess.run(
            [AUGER, "--format", "csv", "-f", script.name],
            capture_output=True,
            text=True,
            env=dict(os.environ, AUGER_HOME=home),
        )
    if proc.returncode != 0:
        sys.exit(proc.stderr[-2000:])
    # The shell reports each statement's time on stderr: USE, then SET and query in turn.
    times = [float(t) for t in TIMING.findall(proc.stderr)][1:][1::2]
    if len(times) != len(order):
        sys.exit(f"expected {len(order)} query timings, found {len(times)}")

    runs = {}
    for (name, value, run), seconds in zip(order, times):
        if run > 0:
            runs.setdefault((name, value), []).append(seconds)
    total_off = total_on = 0.0
    print(f"| query | off | on | on / off |\n|---|---|---|---|")
    for name in names:
        off = statistics.median(runs[(name, "false")])
        on = statistics.median(runs[(name, "true")])
        total_off, total_on = total_off + off, total_on + on
        print(f"| {name} | {off:.3f} | {on:.3f} | {on / off:.2f} |")
    print(f"| sum | {total_off:.3f} | {total_on:.3f} | {total_on / total_off:.2f} |")


if __name__ == "__main__":
    main()
