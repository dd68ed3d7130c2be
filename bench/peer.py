"""Runs one benchmark query in DuckDB or DataFusion (Python packages), the way a user would:
one process, the tables set up, a warm-up run, then timed runs.

    python3 bench/peer.py SPEC.json

SPEC: {"engine": "duckdb"|"datafusion", "setup": [...], "sql": "...", "warmup": 1, "runs": 5}
For duckdb, setup holds SQL statements; for datafusion, [kind, name, path, options] entries.
Prints one JSON line: {"times": [...], "rows": [[...], ...]} or {"error": "..."}.
"""

import json
import sys
import time


def duckdb_runner(setup):
    import duckdb

    con = duckdb.connect()
    for statement in setup:
        con.execute(statement)
    return lambda sql: con.execute(sql).fetchall()


def datafusion_runner(setup):
    import pyarrow as pa
    from datafusion import SessionConfig, SessionContext

    config = SessionConfig()
    ctx = SessionContext(config)
    for kind, name, path, options in setup:
        if kind == "parquet":
            ctx.register_parquet(name, path)
        elif kind == "csv":
            schema = pa.schema([(c, pa.string()) for c in options["columns"]])
            ctx.register_csv(name, path, schema=schema, has_header=False, file_extension=".csv")
        elif kind == "json":
            ctx.register_json(
                name,
                path,
                schema_infer_max_records=options.get("infer", 1000),
                file_extension=".json",
            )
        elif kind == "sql":
            ctx.sql(path).collect()

    def run(sql):
        batches = ctx.sql(sql).collect()
        rows = []
        for b in batches:
            rows.extend(tuple(r.values()) for r in b.to_pylist())
        return rows

    return run


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    try:
        if spec["engine"] == "duckdb":
            run = duckdb_runner(spec["setup"])
        else:
            run = datafusion_runner(spec["setup"])
        times = []
        rows = None
        for i in range(spec["warmup"] + spec["runs"]):
            started = time.perf_counter()
            rows = run(spec["sql"])
            elapsed = time.perf_counter() - started
            if i >= spec["warmup"]:
                times.append(elapsed)
        print(json.dumps({"times": times, "rows": [list(map(str_value, r)) for r in rows]}))
    except Exception as e:  # the runner reports it as this engine's answer
        print(json.dumps({"error": f"{type(e).__name__}: {e}"[:500]}))


def str_value(v):
    if v is None:
        return "NULL"
    return str(v)


if __name__ == "__main__":
    main()
