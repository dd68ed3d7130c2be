#!/usr/bin/env python3
"""Regenerates Auger's sample data sets (deterministic: the same files every run).

Needs pyarrow for the Parquet orders (`pip install pyarrow`). The generated files are checked
in; run this only to change them:  python3 sample-data/generate.py
"""

import datetime
import json
import os
import random

import pyarrow as pa
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20140310)


def path(*parts):
    p = os.path.join(HERE, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


# --- Pump sensors (the header names the fields) -------------------------------------------
PUMPS = ["COHUTTA", "NANTAHALLA", "LAGNAPPE", "CHER", "BBKING", "ANDOUILLE", "MOJO", "CARGO"]
VENDORS = {
    "COHUTTA": ("HYDROPUMP", "Reciprocating", "Austin", "TX"),
    "NANTAHALLA": ("PUMPCO", "Centrifugal", "Houston", "TX"),
    "LAGNAPPE": ("HYDROPUMP", "Reciprocating", "Austin", "TX"),
    "CHER": ("PUMPCO", "Centrifugal", "Houston", "TX"),
    "BBKING": ("WATERFLOW", "Rotary", "Dallas", "TX"),
    "ANDOUILLE": ("WATERFLOW", "Rotary", "Dallas", "TX"),
    "MOJO": ("PUMPCO", "Centrifugal", "Houston", "TX"),
    "CARGO": ("HYDROPUMP", "Reciprocating", "Austin", "TX"),
}

with open(path("pumps", "sensordata.csv"), "w") as f:
    f.write("ResourceID,Date,Time,HZ,Displace,Flow,SedimentPPM,PressureLbs,ChlorinePPM\n")
    for day in range(10, 15):
        for pump in PUMPS:
            for minute in range(0, 60, 10):
                alert = rng.random() < 0.04
                f.write(
                    "{},3/{}/14,0:{:02d},{:.4f},{},{},{:.4f},{},{:.4f}\n".format(
                        pump,
                        day,
                        minute,
                        rng.uniform(6.5, 10.0),
                        rng.randint(1, 4),
                        rng.randint(50, 100),
                        rng.uniform(0.5, 2.5),
                        0 if alert else rng.randint(70, 90),
                        rng.uniform(6.0, 10.0),
                    )
                )

with open(path("pumps", "vendor.csv"), "w") as f:
    f.write("ResourceID,VendorName,PumpType,Purchasedate,Dateinservice,Price,Powerhp,Impeller,City,State\n")
    for i, pump in enumerate(PUMPS):
        vendor, kind, city, state = VENDORS[pump]
        f.write(
            "{},{},{},8/{}/13,8/{}/13,{},{},{},{},{}\n".format(
                pump, vendor, kind, 1 + i, 10 + i, 10000 + 1000 * i, 110 + 10 * i, 2 + i % 3, city, state
            )
        )

with open(path("pumps", "maint.csv"), "w") as f:
    f.write("ResourceID,EventDate,Technician,EventType,Description,Cost\n")
    techs = ["Wayne Thomas", "Rosa Parks", "Dave Lee", "Ana Cruz"]
    kinds = [("Repair", "Pressure loss"), ("Maintenance", "Seal replacement"), ("Inspection", "Quarterly check")]
    for pump in PUMPS:
        for n in range(rng.randint(1, 3)):
            kind, description = rng.choice(kinds)
            f.write(
                "{},3/{}/14,{},{},\"{}, pump {}\",{}\n".format(
                    pump, rng.randint(1, 9), rng.choice(techs), kind, description, pump.lower(), rng.randint(100, 2000)
                )
            )

# --- Customers (no header): id, full name, state, gender, age, lifetime value, member level --
FIRST = ["Corrine", "Brittany", "Maria", "Tom", "Ravi", "Yuki", "Jamal", "Elena", "Noah", "Ines"]
LAST = ["Mitchell", "Park", "Garcia", "Smith", "Patel", "Tanaka", "Brown", "Rossi", "Jones", "Silva"]
STATES = ["CA", "TX", "NY", "WA", "FL", "MA", "OR", "IL"]
LEVELS = ["basic", "silver", "gold"]
customers = []
with open(path("customers.all.csv"), "w") as f:
    for cid in range(10001, 10101):
        name = "{} {}".format(rng.choice(FIRST), rng.choice(LAST))
        row = (cid, name, rng.choice(STATES), rng.choice(["male", "female"]), rng.randint(18, 80),
               rng.randint(100, 10000), rng.choices(LEVELS, weights=[6, 3, 1])[0])
        customers.append(row)
        f.write("{},\"{}\",{},{},{},{},{}\n".format(*row))

# --- Orders (Parquet, two files) -----------------------------------------------------------
PRODUCTS = ["ROTOR", "SEAL KIT", "IMPELLER", "GAUGE", "VALVE", "FILTER"]
for part in range(2):
    ids, cust, products, dates, totals = [], [], [], [], []
    for n in range(150):
        order_id = 1 + part * 150 + n
        ids.append(order_id)
        cust.append(rng.choice(customers)[0])
        products.append(rng.sample(PRODUCTS, rng.randint(1, 3)))
        dates.append(datetime.date(2014, 1, 1) + datetime.timedelta(days=rng.randint(0, 180)))
        totals.append(round(rng.uniform(10, 900), 2))
    table = pa.table({
        "order_id": pa.array(ids, pa.int64()),
        "cust_id": pa.array(cust, pa.int64()),
        "products": pa.array(products, pa.list_(pa.string())),
        "order_date": pa.array(dates, pa.date32()),
        "order_total": pa.array(totals, pa.float64()),
    })
    pq.write_table(table, path("orders", "orders-{}.parquet".format(part)))

# --- Race telemetry (JSON documents; later ones add Throttle and Gear) ----------------------
CARS = ["car1", "car2", "car3"]
doc_id = 0
for race in range(1, 4):
    with open(path("telemetry", "all_cars", "race{}.json".format(race)), "w") as f:
        for car in CARS:
            doc_id += 1
            records = []
            distance = 0.0
            for r in range(8):
                speed = rng.randint(20, 90)
                distance += speed * 0.5
                sensors = {"Speed": speed, "Distance": round(distance, 1), "RPM": rng.randint(2000, 9000)}
                if race == 3:
                    # the newer telemetry firmware: float speeds, throttle and gear
                    sensors["Speed"] = round(speed + rng.random(), 2)
                    sensors["Throttle"] = round(rng.random(), 2)
                    sensors["Gear"] = rng.randint(1, 6)
                records.append({"sensors": sensors})
            doc = {"_id": "doc{}".format(doc_id), "race_id": race, "car": car, "records": records}
            f.write(json.dumps(doc) + "\n")

# --- Uber trips (JSON lines) ------------------------------------------------------------------
with open(path("uber", "trips-2014-08.json"), "w") as f:
    base = datetime.datetime(2014, 8, 1)
    for n in range(200):
        dt = base + datetime.timedelta(minutes=rng.randint(0, 60 * 24 * 7))
        f.write(json.dumps({
            "dt": dt.strftime("%Y-%m-%d %H:%M:%S"),
            "lat": round(rng.uniform(40.60, 40.85), 4),
            "lon": round(rng.uniform(-74.05, -73.75), 4),
            "base": rng.choice(["B02512", "B02598", "B02617", "B02682", "B02764"]),
            "cluster": rng.randint(0, 9),
        }) + "\n")

# --- Race telemetry whose records disagree (schema evolution inside one directory) ----------
# race1: old firmware (integer Speed, no Throttle/Gear); race2: new firmware (float Speed,
# Throttle, numeric Gear); race3: mixed firmware: Speed an integer in some records and a float
# in others, and Gear "N" (neutral) while the car stands.
for race in range(1, 4):
    with open(path("telemetry", "mixed_cars", "race{}.json".format(race)), "w") as f:
        for car in CARS:
            doc_id += 1
            records = []
            distance = 0.0
            for r in range(6):
                speed = rng.randint(20, 90)
                distance += speed * 0.5
                sensors = {"Speed": speed, "Distance": round(distance, 1), "RPM": rng.randint(2000, 9000)}
                if race == 2 or (race == 3 and r % 2 == 1):
                    sensors["Speed"] = round(speed + rng.random(), 2)
                if race >= 2:
                    sensors["Throttle"] = round(rng.random(), 2)
                    sensors["Gear"] = rng.randint(1, 6)
                if race == 3 and r == 0:
                    sensors["Speed"] = 0
                    sensors["Gear"] = "N"
                records.append({"sensors": sensors})
            doc = {"_id": "doc{}".format(doc_id), "race_id": race, "car": car, "records": records}
            f.write(json.dumps(doc) + "\n")

print("sample data written under", HERE)
