"""The benchmark's data, generated once into the cache directory (deterministic).

- json: newline-delimited race telemetry (the sample-data shape, scaled up); fields evolve
  across files: the first half of the files have Speed as an integer and no Throttle/Gear,
  the second half float Speed and two more sensors.
- csv: headerless comma-separated sales rows, read by position (`columns[n]`).
- flight: one Parquet file of 10 million rows for `SELECT *` through `auger serve`.
- tpch: TPC-H tables as Parquet from `tpchgen-cli` (crates.io).
"""

import json
import os
import random
import shutil
import subprocess

FILES = 8
CITIES = ["Austin", "Houston", "Dallas", "Denver", "Boston", "Seattle", "Chicago", "Miami"]
CATEGORIES = [f"cat{i:02d}" for i in range(20)]
COUNTRIES = ["IT", "DE", "FR", "GB", "US", "JP", "BR", "ES"]


def _done(directory):
    return os.path.exists(os.path.join(directory, ".complete"))


def _finish(directory):
    with open(os.path.join(directory, ".complete"), "w") as f:
        f.write("ok\n")


def _fresh(directory):
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)


def json_data(cache, scale):
    """About 1 GB per unit of scale."""
    directory = os.path.join(cache, f"json-{scale}")
    if _done(directory):
        return directory
    _fresh(directory)
    rng = random.Random(1953)
    docs_per_file = int(92_000 * scale)
    doc = 0
    for k in range(FILES):
        evolved = k >= FILES // 2
        with open(os.path.join(directory, f"race{k:02d}.json"), "w") as f:
            for _ in range(docs_per_file):
                doc += 1
                records = []
                distance = 0.0
                for _ in range(20):
                    distance += rng.randint(10, 40) / 2
                    sensors = {
                        "Speed": round(rng.uniform(20, 90), 2) if evolved else rng.randint(20, 90),
                        "Distance": distance,
                        "RPM": rng.randint(2000, 9000),
                    }
                    if evolved:
                        sensors["Throttle"] = round(rng.random(), 2)
                        sensors["Gear"] = rng.randint(1, 6)
                    records.append({"sensors": sensors})
                f.write(
                    json.dumps(
                        {
                            "_id": f"doc{doc}",
                            "race_id": doc % 500,
                            "car": f"car{doc % 40}",
                            "team": {"name": f"team{doc % 40 // 2}", "country": COUNTRIES[doc % 8]},
                            "records": records,
                        },
                        separators=(",", ":"),
                    )
                )
                f.write("\n")
    _finish(directory)
    return directory


def csv_data(cache, scale):
    """About 1 GB per unit of scale: id, date, category, city, amount, quantity, flag."""
    directory = os.path.join(cache, f"csv-{scale}")
    if _done(directory):
        return directory
    _fresh(directory)
    rng = random.Random(1966)
    rows_per_file = int(2_950_000 * scale)
    n = 0
    for k in range(FILES):
        with open(os.path.join(directory, f"sales{k:02d}.csv"), "w") as f:
            lines = []
            for _ in range(rows_per_file):
                n += 1
                lines.append(
                    "%d,2024-%02d-%02d,%s,%s,%.2f,%d,%s\n"
                    % (
                        n,
                        rng.randint(1, 12),
                        rng.randint(1, 28),
                        CATEGORIES[rng.randrange(20)],
                        CITIES[rng.randrange(8)],
                        rng.uniform(1, 500),
                        rng.randint(1, 100),
                        "Y" if rng.random() < 0.3 else "N",
                    )
                )
                if len(lines) == 100_000:
                    f.writelines(lines)
                    lines = []
            f.writelines(lines)
    _finish(directory)
    return directory


def flight_data(cache, rows=10_000_000):
    directory = os.path.join(cache, f"flight-{rows}")
    if _done(directory):
        return directory
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    _fresh(directory)
    ids = pa.array(range(rows), type=pa.int64())
    table = pa.table(
        {
            "id": ids,
            "amount": pc.divide(pc.cast(pc.multiply(ids, 7), pa.float64()), 3.0),
            "quantity": pc.cast(pc.bit_wise_and(ids, 127), pa.int32()),
            "city": pc.take(pa.array(CITIES), pc.bit_wise_and(ids, 7)),
        }
    )
    pq.write_table(table, os.path.join(directory, "rows.parquet"), row_group_size=1_000_000)
    _finish(directory)
    return directory


def tpch_data(cache, scale):
    directory = os.path.join(cache, f"tpch-sf{scale}")
    if _done(directory):
        return directory
    _fresh(directory)
    tool = shutil.which("tpchgen-cli") or os.path.expanduser("~/.cargo/bin/tpchgen-cli")
    # `--parts` writes one directory per table (`lineitem/lineitem.1.parquet`, ...), so every
    # engine names a table by its directory.
    subprocess.run(
        [tool, "parquet", "--scale-factor", str(scale), "--parts", "2", "--output-dir", directory],
        check=True,
    )
    _finish(directory)
    return directory
