"""The benchmark suites: each query in each engine's own SQL, over the same files."""

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

NAMES = ["startup", "csv", "json", "flight", "tpch"]


@dataclass
class Query:
    name: str
    sql: dict
    # Run once, in a new process, with Auger's inference cache emptied first.
    cold: bool = False


@dataclass
class Suite:
    name: str
    description: str
    setup: dict
    queries: list = field(default_factory=list)
    # Statements Auger runs first in the same process (USE).
    auger_setup: list = field(default_factory=list)
    # Timed runs per query at least, whatever --runs says: queries of tens of milliseconds
    # need more runs than the machine's noise to give a stable median.
    min_runs: int = 0


def q(name, auger, duckdb, datafusion, cold=False):
    return Query(name, {"auger": auger, "duckdb": duckdb, "datafusion": datafusion}, cold)


def build(name, directory):
    if name == "json":
        return json_suite(directory)
    if name == "csv":
        return csv_suite(directory)
    if name == "tpch":
        return tpch_suite(directory)
    raise ValueError(name)


def tpch_suite(d):
    import tpch

    setup = {
        "duckdb": [
            f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{d}/{t}/*.parquet')"
            for t in tpch.TABLES
        ],
        "datafusion": [["parquet", t, f"{d}/{t}", {}] for t in tpch.TABLES],
    }
    queries = [q(name, sql, sql, sql) for name, sql in tpch.QUERIES.items()]
    return Suite(
        "tpch",
        "TPC-H on Parquet from tpchgen-cli (one directory per table), the 22 queries with the "
        "specification's validation parameters, the same SQL text in every engine (Q15's view "
        "as a WITH clause).",
        setup,
        queries,
        auger_setup=["USE bench.tpch"],
        min_runs=10,
    )


def json_suite(d):
    races = "bench.json.`race*.json`"
    setup = {
        "duckdb": [
            f"CREATE VIEW races AS SELECT * FROM read_json('{d}/race*.json', "
            "format = 'newline_delimited', union_by_name = true)"
        ],
        # DataFusion infers from the first records only unless told to read them all; the
        # fields change half-way through the files.
        "datafusion": [["json", "races", d, {"infer": 100_000_000}]],
    }
    return Suite(
        "json",
        "About 1 GB of newline-delimited telemetry documents in 8 files (20 records each); "
        "the second half of the files adds two sensors and turns Speed from integer to float. "
        "The cold row is one run in a new process with Auger's inference cache empty (the "
        "files read into the page cache just before, for every engine); the peers infer on "
        "every query anyway.",
        setup,
        [
            q(
                "count (first, cold inference)",
                f"SELECT COUNT(*) FROM {races}",
                "SELECT COUNT(*) FROM races",
                "SELECT COUNT(*) FROM races",
                cold=True,
            ),
            q(
                "count",
                f"SELECT COUNT(*) FROM {races}",
                "SELECT COUNT(*) FROM races",
                "SELECT COUNT(*) FROM races",
            ),
            q(
                "group by nested field",
                f"SELECT t.team.country, COUNT(*) FROM {races} t GROUP BY t.team.country",
                "SELECT team.country, COUNT(*) FROM races GROUP BY team.country",
                "SELECT team['country'], COUNT(*) FROM races GROUP BY team['country']",
            ),
            q(
                "FLATTEN + aggregate",
                "SELECT race_id, ROUND(AVG(t.r.sensors.Speed), 4), COUNT(*) FROM "
                f"(SELECT race_id, FLATTEN(records) AS r FROM {races}) t GROUP BY race_id",
                "SELECT race_id, ROUND(AVG(r.sensors.Speed), 4), COUNT(*) FROM "
                "(SELECT race_id, UNNEST(records) AS r FROM races) GROUP BY race_id",
                "SELECT race_id, ROUND(AVG(r['sensors']['Speed']), 4), COUNT(*) FROM "
                "(SELECT race_id, UNNEST(records) AS r FROM races) GROUP BY race_id",
            ),
            q(
                "filter on nested field",
                f"SELECT COUNT(*) FROM {races} t WHERE t.team.country = 'IT' "
                "AND t.records[0].sensors.RPM > 5000",
                "SELECT COUNT(*) FROM races WHERE team.country = 'IT' "
                "AND records[1].sensors.RPM > 5000",
                "SELECT COUNT(*) FROM races WHERE team['country'] = 'IT' "
                "AND records[1]['sensors']['RPM'] > 5000",
            ),
        ],
    )


def csv_suite(d):
    sales = "bench.csv.`sales*.csv`"
    columns = [f"c{i}" for i in range(7)]
    setup = {
        "duckdb": [
            f"CREATE VIEW sales AS SELECT * FROM read_csv('{d}/sales*.csv', header = false, "
            "all_varchar = true)"
        ],
        "datafusion": [["csv", "sales", d, {"columns": columns}]],
    }
    return Suite(
        "csv",
        "About 1 GB of headerless CSV in 8 files (23.6 million rows), read by position: "
        "`columns[n]` in Auger, `columnN` in DuckDB (all VARCHAR), `cN` in DataFusion "
        "(a schema of seven Utf8 columns), with CASTs where numbers are needed.",
        setup,
        [
            q(
                "count",
                f"SELECT COUNT(*) FROM {sales}",
                "SELECT COUNT(*) FROM sales",
                "SELECT COUNT(*) FROM sales",
            ),
            q(
                "group by category, sum",
                f"SELECT columns[2], ROUND(SUM(CAST(columns[4] AS DOUBLE)), 2), COUNT(*) "
                f"FROM {sales} GROUP BY columns[2]",
                "SELECT column2, ROUND(SUM(CAST(column4 AS DOUBLE)), 2), COUNT(*) "
                "FROM sales GROUP BY column2",
                "SELECT c2, ROUND(SUM(CAST(c4 AS DOUBLE)), 2), COUNT(*) FROM sales GROUP BY c2",
            ),
            q(
                "filter, count",
                f"SELECT COUNT(*) FROM {sales} WHERE columns[3] = 'Austin' "
                "AND CAST(columns[5] AS INT) > 90",
                "SELECT COUNT(*) FROM sales WHERE column3 = 'Austin' "
                "AND CAST(column5 AS INT) > 90",
                "SELECT COUNT(*) FROM sales WHERE c3 = 'Austin' AND CAST(c5 AS INT) > 90",
            ),
            q(
                "monthly average",
                f"SELECT SUBSTR(columns[1], 1, 7), AVG(CAST(columns[5] AS INT)) FROM {sales} "
                "GROUP BY SUBSTR(columns[1], 1, 7)",
                "SELECT SUBSTR(column1, 1, 7), AVG(CAST(column5 AS INT)) FROM sales "
                "GROUP BY SUBSTR(column1, 1, 7)",
                "SELECT SUBSTR(c1, 1, 7), AVG(CAST(c5 AS INT)) FROM sales "
                "GROUP BY SUBSTR(c1, 1, 7)",
            ),
        ],
    )


def _wall(argv, env=None, runs=5):
    times = []
    for i in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        if i > 0:
            times.append(time.perf_counter() - started)
    return times


def startup(auger, home, runs):
    env = dict(os.environ, AUGER_HOME=home)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    csv = os.path.join(root, "sample-data", "customers.all.csv")
    cases = [
        ("`auger -e \"SELECT 1\"`", [auger, "-q", "-e", "SELECT 1"]),
        (
            "`auger -e` COUNT(*) of customers.all.csv",
            [auger, "-q", "-e", "SELECT COUNT(*) FROM dfs.samples.`customers.all.csv`"],
        ),
        (
            "python: `import duckdb` + SELECT 1",
            [sys.executable, "-c", "import duckdb; duckdb.sql('SELECT 1').fetchall()"],
        ),
        (
            "python: duckdb COUNT(*) of customers.all.csv",
            [
                sys.executable,
                "-c",
                f"import duckdb; duckdb.sql(\"SELECT COUNT(*) FROM read_csv('{csv}', "
                "header=false)\").fetchall()",
            ],
        ),
        (
            "python: `import datafusion` + SELECT 1",
            [
                sys.executable,
                "-c",
                "import datafusion; datafusion.SessionContext().sql('SELECT 1').collect()",
            ],
        ),
    ]
    lines = [
        f"Wall time of the whole process, median (min–max) of {runs} runs after one warm-up.",
        "",
        "| command | seconds |",
        "|---|---|",
    ]
    for label, argv in cases:
        t = _wall(argv, env, runs)
        lines.append(f"| {label} | {statistics.median(t):.3f} ({min(t):.3f}–{max(t):.3f}) |")
        print(f"  {label:50} {statistics.median(t):.3f}s", flush=True)
    return lines


# The flight suite's fewest timed runs: a run takes about a second, and with three the
# machine's drift alone moved the ratio by 0.05.
FLIGHT_MIN_RUNS = 10


def flight(auger, home, directory, runs):
    """`SELECT *` of 10 million rows through `auger serve` into ADBC, beside pyarrow reading the
    same Parquet file locally."""
    runs = max(runs, FLIGHT_MIN_RUNS)
    import adbc_driver_flightsql.dbapi as flight_sql
    import pyarrow.parquet as pq

    path = os.path.join(directory, "rows.parquet")
    env = dict(os.environ, AUGER_HOME=home)
    server = subprocess.Popen(
        [auger, "serve", "--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = None
        for line in server.stderr:
            if "serving Arrow Flight SQL on " in line:
                url = line.split("serving Arrow Flight SQL on ")[1].split()[0]
                break
        if url is None:
            raise RuntimeError("auger serve did not start")
        served, local, rows = [], [], 0
        peak = 0
        # The fetch and the local read alternate, so a drift in the machine's speed (30 % and
        # more between minutes on this shared machine) weighs on both alike.
        for i in range(runs + 1):
            started = time.perf_counter()
            with flight_sql.connect(url) as conn, conn.cursor() as cur:
                cur.execute("SELECT * FROM bench.flight.`rows.parquet`")
                rows = 0
                for batch in cur.fetch_record_batch():
                    rows += batch.num_rows
            if i > 0:
                served.append(time.perf_counter() - started)
            with open(f"/proc/{server.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) * 1024)
            started = time.perf_counter()
            table = pq.read_table(path)
            if i > 0:
                local.append(time.perf_counter() - started)
            del table
    finally:
        server.terminate()
        server.wait()
    s, l = statistics.median(served), statistics.median(local)
    print(f"  flight {rows / s / 1e6:.2f} M rows/s, local {rows / l / 1e6:.2f} M rows/s", flush=True)
    return [
        f"`SELECT *` of {rows:,} rows (id BIGINT, amount DOUBLE, quantity INT, city VARCHAR) "
        f"from one Parquet file; median (min–max) of {runs} runs after one warm-up, the fetch "
        "and the local read taking turns.",
        "",
        "| path | seconds | M rows/s |",
        "|---|---|---|",
        f"| `auger serve` → ADBC Flight SQL (Python) | {s:.3f} ({min(served):.3f}–"
        f"{max(served):.3f}) | {rows / s / 1e6:.2f} |",
        f"| pyarrow.parquet.read_table, local (the ceiling) | {l:.3f} ({min(local):.3f}–"
        f"{max(local):.3f}) | {rows / l / 1e6:.2f} |",
        "",
        f"Flight rate / local rate: {l / s:.2f} (target ≥ 0.50). Server peak RSS: "
        f"{peak / 1e6:.0f} MB.",
    ]
