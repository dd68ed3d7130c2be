"""Auger's Flight SQL server through real clients from PyPI: the ADBC Flight SQL driver (DBAPI)
and pyarrow.flight.

Run by `cargo test -p auger --test python`, which starts the servers and passes:
  AUGER_URL          grpc://... of a server without authentication
  AUGER_PID          that server's process id (its memory is read from /proc)
  AUGER_SECURE_URL   grpc+tls://... of a server with password logins and TLS
  AUGER_CA           the PEM of the certificate authority that signed its certificate
  AUGER_USER, AUGER_PASSWORD   a user of the secure server
"""

import os
import threading
import time
import unittest

import adbc_driver_flightsql
import adbc_driver_flightsql.dbapi as flight_sql
import pyarrow as pa
import pyarrow.flight as flight

URL = os.environ["AUGER_URL"]
PID = int(os.environ["AUGER_PID"])
SECURE_URL = os.environ["AUGER_SECURE_URL"]
CA = os.environ["AUGER_CA"]
USER = os.environ["AUGER_USER"]
PASSWORD = os.environ["AUGER_PASSWORD"]


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def statement_query(sql):
    """A Flight SQL CommandStatementQuery packed in a protobuf Any, by hand."""
    query = sql.encode()
    command = b"\x0a" + varint(len(query)) + query
    type_url = b"type.googleapis.com/arrow.flight.protocol.sql.CommandStatementQuery"
    return b"\x0a" + varint(len(type_url)) + type_url + b"\x12" + varint(len(command)) + command


def secure_connect(password=PASSWORD):
    with open(CA) as f:
        root = f.read()
    return flight_sql.connect(
        SECURE_URL,
        db_kwargs={
            "username": USER,
            "password": password,
            adbc_driver_flightsql.DatabaseOptions.TLS_ROOT_CERTS.value: root,
        },
    )


class DbApi(unittest.TestCase):
    def test_cursor_rows_arrow_tables_and_parameters(self):
        with flight_sql.connect(URL) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT columns[0] AS id, columns[1] AS name "
                "FROM dfs.samples.`customers.all.csv` ORDER BY id LIMIT 2"
            )
            self.assertEqual([d[0] for d in cur.description], ["id", "name"])
            rows = cur.fetchall()
            self.assertEqual(len(rows), 2)
            self.assertEqual(rows[0][0], "10001")

            cur.execute(
                "SELECT race_id, COUNT(*) AS n FROM (SELECT race_id, FLATTEN(records) AS r "
                "FROM dfs.samples.`telemetry/all_cars`) GROUP BY race_id ORDER BY race_id"
            )
            table = cur.fetch_arrow_table()
            self.assertEqual(table.column_names, ["race_id", "n"])
            self.assertGreater(table.num_rows, 0)
            self.assertEqual(table.schema.field("n").type, pa.int64())

            for name, kind in [("store.format", "VARCHAR"), ("exec.memory.max", "BIGINT")]:
                cur.execute("SELECT name, kind FROM sys.options WHERE name = ?", parameters=(name,))
                self.assertEqual(cur.fetchall(), [(name, kind)])

    def test_errors_carry_the_message_the_shell_prints(self):
        with flight_sql.connect(URL) as conn, conn.cursor() as cur:
            with self.assertRaises(Exception) as caught:
                cur.execute("SELECT * FROM dfs.samples.`no_such_file.json`")
            self.assertIn("no_such_file.json", str(caught.exception))
            cur.execute("SELECT 1 AS one")
            self.assertEqual(cur.fetchall(), [(1,)])

    def test_get_objects_lists_catalog_schemas_and_views(self):
        with flight_sql.connect(URL) as conn:
            with conn.cursor() as cur:
                cur.execute(
                    "CREATE OR REPLACE VIEW fixtures.scratch.py_view AS SELECT 1 AS a, 'b' AS b"
                )
                cur.fetchall()
            objects = conn.adbc_get_objects(depth="all").read_all().to_pylist()
            catalogs = [o["catalog_name"] for o in objects]
            self.assertEqual(catalogs, ["AUGER"])
            schemas = {s["db_schema_name"]: s for s in objects[0]["catalog_db_schemas"]}
            self.assertIn("dfs.tmp", schemas)
            self.assertIn("sys", schemas)
            tables = {
                t["table_name"]: t for t in schemas["fixtures.scratch"]["db_schema_tables"]
            }
            self.assertEqual(tables["py_view"]["table_type"], "VIEW")
            columns = [c["column_name"] for c in tables["py_view"]["table_columns"]]
            self.assertEqual(columns, ["a", "b"])
            self.assertIn("VIEW", conn.adbc_get_table_types())
            info = conn.adbc_get_info()
            self.assertEqual(info["vendor_name"], "Auger")

    def test_two_sessions_with_different_schemas_at_once(self):
        a = flight_sql.connect(URL)
        b = flight_sql.connect(URL)
        try:
            ca, cb = a.cursor(), b.cursor()
            ca.execute("USE sys")
            ca.fetchall()
            cb.execute("USE dfs.samples")
            cb.fetchall()
            results, errors = {}, []

            def run(name, cur, sql):
                try:
                    for _ in range(5):
                        cur.execute(sql)
                        results[name] = cur.fetchall()
                except Exception as e:  # reported below
                    errors.append(e)

            threads = [
                threading.Thread(target=run, args=("a", ca, "SELECT COUNT(*) FROM options")),
                threading.Thread(
                    target=run, args=("b", cb, "SELECT COUNT(*) FROM `customers.all.csv`")
                ),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            self.assertGreater(results["a"][0][0], 0)
            self.assertGreater(results["b"][0][0], 0)
            with self.assertRaises(Exception):
                cb.execute("SELECT COUNT(*) FROM options")
        finally:
            a.close()
            b.close()

    def test_ten_million_rows_stream_with_bounded_server_memory(self):
        before = rss(PID)
        peak = [before]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss(PID))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        rows = 0
        result_bytes = 0
        started = time.time()
        try:
            with flight_sql.connect(URL) as conn, conn.cursor() as cur:
                cur.execute(
                    "SELECT value, value * 2 AS twice, CAST(value AS VARCHAR) AS text "
                    "FROM range(10000000)"
                )
                reader = cur.fetch_record_batch()
                for batch in reader:
                    rows += batch.num_rows
                    result_bytes += batch.nbytes
        finally:
            done.set()
            sampler.join()
        elapsed = time.time() - started
        grew = peak[0] - before
        print(
            f"\n10M rows: {rows} rows, {result_bytes / 1e6:.0f} MB of Arrow data in "
            f"{elapsed:.1f} s ({rows / elapsed / 1e6:.2f} M rows/s); server RSS grew "
            f"{grew / 1e6:.0f} MB (from {before / 1e6:.0f} to peak {peak[0] / 1e6:.0f} MB)"
        )
        self.assertEqual(rows, 10_000_000)
        # Streamed, never held whole: the server grows by well under the result's size.
        self.assertLess(grew, result_bytes / 2)


class PyArrowFlight(unittest.TestCase):
    def test_statement_through_plain_flight(self):
        client = flight.FlightClient(URL)
        info = client.get_flight_info(
            flight.FlightDescriptor.for_command(statement_query("SELECT 6 * 7 AS answer"))
        )
        table = client.do_get(info.endpoints[0].ticket).read_all()
        self.assertEqual(table.to_pydict(), {"answer": [42]})

    def test_cancel_flight_info_stops_the_query(self):
        client = flight.FlightClient(URL)
        info = client.get_flight_info(
            flight.FlightDescriptor.for_command(
                statement_query("SELECT value FROM range(1000000000)")
            )
        )
        reader = client.do_get(info.endpoints[0].ticket)
        reader.read_chunk()
        body = info.serialize()
        request = b"\x0a" + varint(len(body)) + body
        results = list(client.do_action(flight.Action("CancelFlightInfo", request)))
        # CancelFlightInfoResult { status: CANCEL_STATUS_CANCELLED (1) }
        self.assertEqual(results[0].body.to_pybytes(), b"\x08\x01")
        with self.assertRaises(flight.FlightCancelledError) as caught:
            while True:
                reader.read_chunk()
        self.assertIn("cancelled", str(caught.exception))

    def test_adbc_cancel(self):
        with flight_sql.connect(URL) as conn, conn.cursor() as cur:
            cur.execute("SELECT value FROM range(1000000000)")
            reader = cur.fetch_record_batch()
            reader.read_next_batch()
            cur.adbc_cancel()
            with self.assertRaises(Exception):
                while True:
                    reader.read_next_batch()
            cur.execute("SELECT 1")
            self.assertEqual(cur.fetchall(), [(1,)])


class Secure(unittest.TestCase):
    def test_login_over_tls_with_adbc(self):
        with secure_connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT 'over tls' AS s")
            self.assertEqual(cur.fetchall(), [("over tls",)])

    def test_wrong_password_is_unauthenticated(self):
        with self.assertRaises(Exception) as caught:
            with secure_connect("not the password") as conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
        self.assertIn("UNAUTHENTICATED", str(caught.exception).upper())

    def test_pyarrow_basic_token_over_tls(self):
        with open(CA, "rb") as f:
            client = flight.FlightClient(SECURE_URL, tls_root_certs=f.read())
        header = client.authenticate_basic_token(USER.encode(), PASSWORD.encode())
        options = flight.FlightCallOptions(headers=[header])
        info = client.get_flight_info(
            flight.FlightDescriptor.for_command(statement_query("SELECT 'token' AS t")), options
        )
        table = client.do_get(info.endpoints[0].ticket, options).read_all()
        self.assertEqual(table.to_pydict(), {"t": ["token"]})
        with self.assertRaises(flight.FlightUnauthenticatedError):
            client.get_flight_info(
                flight.FlightDescriptor.for_command(statement_query("SELECT 1"))
            )
        with self.assertRaises(flight.FlightUnauthenticatedError):
            client.authenticate_basic_token(USER.encode(), b"wrong")


if __name__ == "__main__":
    unittest.main(verbosity=2)
