"""Auger against DuckDB and DataFusion on the same files, each engine in its own processes.

Called by bench/run (which builds Auger with the dist profile and installs the peers):
    python3 bench/runner.py [--suite NAME[,NAME]] [--scale S] [--runs N] [--out FILE]

For every query and engine: one process sets up, runs the query once to warm up, then N
timed runs. Reported: median and min-max wall time of the query (inside the engine, result
fetched), the process's peak resident memory, and Auger's time over each peer's. Answers
are normalised (numbers to 6 significant digits, rows sorted) and compared with Auger's.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import datagen
import suites

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
AUGER = os.environ.get("AUGER_BIN", os.path.join(ROOT, "target", "dist", "auger"))
ENGINES = ["auger", "duckdb", "datafusion"]


def peak_rss_of(argv, env=None):
    """Runs argv under GNU time; returns (stdout, stderr, wall, returncode, peak RSS bytes).

    GNU time reports the child's own peak (a Python parent's memory would otherwise count
    towards a forked child's ru_maxrss)."""
    marker = "BENCH_MAXRSS_KB"
    started = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", f"{marker} %M", *argv],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
        errors="replace",
    )
    wall = time.perf_counter() - started
    rss = 0
    kept = []
    for line in proc.stderr.splitlines():
        if line.startswith(marker):
            rss = int(line.split()[1]) * 1024
        else:
            kept.append(line)
    return proc.stdout, "\n".join(kept), wall, proc.returncode, rss


def _number(v):
    try:
        return float(v)
    except ValueError:
        return None


def normalise(rows):
    """Rows as sortable tuples: NULLs alike, numbers to 4 significant digits (for ordering)."""

    def value(v):
        v = str(v)
        if v in ("None", "NULL", ""):
            return "NULL"
        n = _number(v)
        return "%.4g" % n if n is not None else v

    return sorted((tuple(value(v) for v in row), row) for row in rows)


def same_answer(a, b):
    """Equal rows in any order; numbers equal within a relative 1e-4 (decimal and double
    averages, summation order)."""
    import math

    a, b = normalise(a), normalise(b)
    if len(a) != len(b):
        return False
    for (_, ra), (_, rb) in zip(a, b):
        if len(ra) != len(rb):
            return False
        for x, y in zip(ra, rb):
            nx, ny = _number(str(x)), _number(str(y))
            if nx is not None and ny is not None:
                if not math.isclose(nx, ny, rel_tol=1e-4, abs_tol=1e-9):
                    return False
            elif normalise([[x]])[0][0] != normalise([[y]])[0][0]:
                return False
    return True


def auger_home(cache, suite_dirs):
    """An AUGER_HOME with a `bench` storage plugin: one workspace per suite's data."""
    home = os.path.join(cache, "auger-home")
    os.makedirs(os.path.join(home, "storage"), exist_ok=True)
    path = os.path.join(home, "storage", "bench.json")
    workspaces = {}
    # Keep the workspaces of suites run before, so the home serves every dataset generated.
    if os.path.exists(path):
        with open(path) as f:
            workspaces = json.load(f).get("workspaces", {})
    workspaces = {n: w for n, w in workspaces.items() if os.path.isdir(w.get("location", ""))}
    for name, location in suite_dirs.items():
        workspaces[name] = {"location": location, "writable": False, "defaultInputFormat": None}
    config = {"type": "file", "connection": "file:///", "workspaces": workspaces}
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
    return home


SELECTED = re.compile(r"^(\d+) rows? selected \((\d+\.\d+) seconds\)")


def run_auger(home, sql, warmup, runs, setup=()):
    statements = [s.rstrip().rstrip(";") + ";" for s in setup]
    script = "\n".join(statements + [sql.rstrip().rstrip(";") + ";"] * (warmup + runs))
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
        path = f.name
    env = dict(os.environ, AUGER_HOME=home)
    out, err, _, code, rss = peak_rss_of([AUGER, "-f", path, "--format", "csv"], env)
    os.unlink(path)
    if code != 0:
        return {"error": err.strip().splitlines()[-1] if err.strip() else f"exit {code}", "rss": rss}
    times = [float(m.group(2)) for m in map(SELECTED.match, err.splitlines()) if m][len(setup) :]
    counts = [int(m.group(1)) for m in map(SELECTED.match, err.splitlines()) if m][len(setup) :]
    lines = out.splitlines()
    # The last run's rows: the output of each run is a header and its rows.
    last = lines[len(lines) - counts[-1] :] if counts[-1] else []
    import csv as csvmod

    rows = list(csvmod.reader(last))
    return {"times": times[warmup:], "rows": rows, "rss": rss}


def run_peer(engine, setup, sql, warmup, runs):
    spec = {"engine": engine, "setup": setup, "sql": sql, "warmup": warmup, "runs": runs}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
        path = f.name
    out, err, _, code, rss = peak_rss_of([sys.executable, os.path.join(HERE, "peer.py"), path])
    os.unlink(path)
    try:
        result = json.loads(out.strip().splitlines()[-1])
    except (IndexError, ValueError):
        result = {"error": (err.strip().splitlines() or [f"exit {code}"])[-1]}
    result["rss"] = rss
    return result


def summarise(result):
    if "error" in result:
        return None
    t = result["times"]
    return {"median": statistics.median(t), "min": min(t), "max": max(t), "rss": result["rss"]}


def read_through(directory):
    """Reads every file under `directory`, so that a run without a warm-up finds the data in
    the page cache whichever engine goes first: this machine's kernel reclaims cached pages
    in the background, and the first engine would otherwise pay the disk for the others."""
    for top, _, files in os.walk(directory):
        for name in files:
            with open(os.path.join(top, name), "rb") as f:
                while f.read(1 << 24):
                    pass


def run_suite(suite, directory, runs, home, out, engines=ENGINES, only=None):
    print(f"\n== {suite.name}", flush=True)
    rows = []
    for query in suite.queries:
        if only and not any(o == query.name or o in query.name.split() for o in only):
            continue
        results = {}
        for engine in engines:
            sql = query.sql.get(engine)
            if sql is None:
                continue
            if query.cold and engine == "auger":
                shutil.rmtree(os.path.join(home, "cache"), ignore_errors=True)
            if query.cold:
                read_through(directory)
            warmup, n = (0, 1) if query.cold else (1, max(runs, suite.min_runs))
            if engine == "auger":
                r = run_auger(home, sql, warmup, n, suite.auger_setup)
            else:
                r = run_peer(engine, suite.setup[engine], sql, warmup, n)
            results[engine] = r
            s = summarise(r)
            shown = f"{s['median']:.3f}s" if s else f"ERROR {r['error'][:120]}"
            print(f"  {query.name:28} {engine:10} {shown}", flush=True)
        reference = results.get("auger")
        answers = {}
        for engine, r in results.items():
            if "error" in r:
                answers[engine] = "error"
            elif reference is None or "error" in reference:
                answers[engine] = "?"
            else:
                same = same_answer(r["rows"], reference["rows"])
                answers[engine] = "same" if same else "DIFFERENT"
        rows.append((query, results, answers))
    out.append((suite, rows))


def fmt_time(s):
    if s is None:
        return "error"
    return f"{s['median']:.3f} ({s['min']:.3f}–{s['max']:.3f})"


def fmt_ratio(a, b):
    if a is None or b is None or b["median"] == 0:
        return "–"
    return f"{a['median'] / b['median']:.2f}"


def write_results(path, sections, extra, scale, runs):
    import duckdb
    import datafusion
    import pyarrow

    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    sha = subprocess.run(
        ["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", ROOT, "status", "--porcelain", "--", "*.rs", "*Cargo.toml", "Cargo.lock"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if dirty:
        sha += " with uncommitted changes"
    auger_version = subprocess.run([AUGER, "--version"], capture_output=True, text=True).stdout
    lines = [
        "# Benchmark results",
        "",
        "Written by `bench/run`; do not edit by hand (the notes at the end are kept).",
        "",
        f"- Machine: {os.cpu_count()} cores, {mem_kb / 1024 / 1024:.1f} GiB, "
        f"{platform.platform()}",
        f"- Auger: {auger_version.strip()} (commit {sha}, dist build: fat LTO, one codegen unit)",
        f"- DuckDB {duckdb.__version__}, DataFusion (Python) {datafusion.__version__}, "
        f"pyarrow {pyarrow.__version__}",
        f"- Scale {scale}; each query: 1 warm-up run, then {runs} timed runs in one process "
        "per engine. Times are seconds, median (min–max); memory is the process's peak RSS.",
        "- Ratio: Auger's median over the peer's (below 1.00 means Auger is faster).",
        "",
    ]
    for suite, rows in sections:
        lines += [f"## {suite.name}", "", suite.description, ""]
        if suite.min_runs > runs:
            lines += [f"Each query: 1 warm-up run, then {suite.min_runs} timed runs (this "
                      "suite's minimum: its queries are short).", ""]
        lines += [
            "| query | Auger | DuckDB | DataFusion | Auger MB | DuckDB MB | DataFusion MB "
            "| Auger/DuckDB | Auger/DataFusion | answers |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for query, results, answers in rows:
            s = {e: summarise(r) for e, r in results.items()}
            mb = {e: f"{r['rss'] / 1e6:.0f}" for e, r in results.items()}
            ans = ", ".join(f"{e}: {a}" for e, a in answers.items() if e != "auger")
            def shown(engine):
                return fmt_time(s.get(engine)) if engine in results else "–"

            lines.append(
                f"| {query.name} | {shown('auger')} | {shown('duckdb')} "
                f"| {shown('datafusion')} | {mb.get('auger', '–')} "
                f"| {mb.get('duckdb', '–')} | {mb.get('datafusion', '–')} "
                f"| {fmt_ratio(s.get('auger'), s.get('duckdb'))} "
                f"| {fmt_ratio(s.get('auger'), s.get('datafusion'))} | {ans} |"
            )
        errors = [
            f"- {q.name}, {e}: {r['error']}"
            for q, results, _ in rows
            for e, r in results.items()
            if "error" in r
        ]
        if errors:
            lines += ["", "Errors:", ""] + errors
        lines.append("")
    for title, body in extra:
        lines += [f"## {title}", "", *body, ""]
    notes = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        if "\n## Notes\n" in old:
            notes = old[old.index("\n## Notes\n") + 1 :]
    text = "\n".join(lines)
    if notes:
        text += "\n" + notes
    with open(path, "w") as f:
        f.write(text if text.endswith("\n") else text + "\n")


def newer_sources(binary):
    """The first Rust source or manifest changed after `binary` was built, if any."""
    if not os.path.exists(binary):
        return binary
    built = os.path.getmtime(binary)
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in ("target", ".git", "bench", "sample-data")]
        for name in files:
            if name.endswith(".rs") or name in ("Cargo.toml", "Cargo.lock"):
                path = os.path.join(top, name)
                if os.path.getmtime(path) > built:
                    return os.path.relpath(path, ROOT)
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", default=",".join(suites.NAMES))
    parser.add_argument("--scale", type=float, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache", default=os.path.join(HERE, ".cache"))
    parser.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    parser.add_argument(
        "--engines", default=",".join(ENGINES), help="a subset, e.g. auger,datafusion"
    )
    parser.add_argument("--queries", default="", help="query names, e.g. q11,q18 or count")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if "auger" not in engines or any(e not in ENGINES for e in engines):
        sys.exit(f"--engines must include auger and name only {', '.join(ENGINES)}")
    only = [q.strip() for q in args.queries.split(",") if q.strip()]
    stale = newer_sources(AUGER)
    if stale:
        sys.exit(
            f"{AUGER} is older than {stale}: rebuild it (cargo build --profile dist -p auger) "
            "or results would be credited to changes the binary does not have"
        )
    scale = int(args.scale) if args.scale == int(args.scale) else args.scale
    wanted = [s.strip() for s in args.suite.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in suites.NAMES]
    if unknown:
        sys.exit(f"unknown suite {unknown}; the suites are {', '.join(suites.NAMES)}")
    os.makedirs(args.cache, exist_ok=True)
    started = time.time()

    dirs = {}
    print("== data", flush=True)
    if "json" in wanted:
        dirs["json"] = datagen.json_data(args.cache, scale)
    if "csv" in wanted:
        dirs["csv"] = datagen.csv_data(args.cache, scale)
    if "flight" in wanted:
        dirs["flight"] = datagen.flight_data(args.cache)
    if "tpch" in wanted:
        dirs["tpch"] = datagen.tpch_data(args.cache, scale)
    home = auger_home(args.cache, dirs)

    sections, extra = [], []
    for name in wanted:
        if name == "startup":
            extra.append(("startup", suites.startup(AUGER, home, args.runs)))
        elif name == "flight":
            extra.append(("flight", suites.flight(AUGER, home, dirs["flight"], args.runs)))
        else:
            suite = suites.build(name, dirs[name])
            run_suite(suite, dirs[name], args.runs, home, sections, engines, only)
    write_results(args.out, sections, extra, scale, args.runs)
    print(f"\nwrote {args.out} in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
