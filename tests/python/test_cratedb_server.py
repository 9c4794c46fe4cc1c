"""Proves testkit's CrateDB test server with the official client, `crate` (crate-python) from PyPI.

If the official client cannot use the test server, the test server is wrong. Run under
webdbc-testenv, which exports WEBDBC_TEST_CRATE_HTTP (the server's base URL).
"""

import datetime as dt
import os
import unittest

from crate import client
from crate.client.converter import DefaultTypeConverter
from crate.client.exceptions import IntegrityError, ProgrammingError

URL = os.environ["WEBDBC_TEST_CRATE_HTTP"]
USER, PASSWORD = "webdbc", "webdbc-secret"


def connect(**kw):
    return client.connect(URL, username=USER, password=PASSWORD, **kw)


class CrateServerProof(unittest.TestCase):
    def test_seed_flow_sys_summits(self):
        # The seed's example, as written there (but for the URL).
        conn = connect()
        with conn:
            cursor = conn.cursor()
            cursor.execute("SELECT * FROM sys.summits")
            result = cursor.fetchone()
            self.assertEqual(result[:3], ["Mont Blanc", 4808, 4695])
            self.assertEqual(result[3], [6.86444, 45.8325])
            self.assertEqual(len(cursor.fetchall()), 1604)
            names = [d[0] for d in cursor.description]
            self.assertEqual(names[:4], ["mountain", "height", "prominence", "coordinates"])
            self.assertEqual(cursor.rowcount, 1605)
        self.assertEqual(str(conn.lowest_server_version), "5.10.3")

    def test_default_user_and_params(self):
        conn = client.connect(URL)  # no credentials: the trusted default user `crate`
        cur = conn.cursor()
        cur.execute("SELECT mountain, height FROM sys.summits WHERE height > ? ORDER BY height DESC LIMIT ?", (4600, 5))
        self.assertEqual(cur.fetchall(), [["Mont Blanc", 4808], ["Monte Rosa", 4634]])
        cur.execute("SELECT mountain FROM sys.summits WHERE country = $2 AND height > $1 ORDER BY 1 LIMIT 1", (4500, "CH/IT"))
        self.assertEqual(cur.fetchone(), ["Liskamm"])

    def test_types_ddl_dml_and_counts(self):
        conn = connect()
        cur = conn.cursor()
        cur.execute("DROP TABLE IF EXISTS proof_types")
        cur.execute(
            "CREATE TABLE proof_types (id BIGINT PRIMARY KEY, b BOOLEAN, t TEXT, n NUMERIC(40, 10), "
            "ts TIMESTAMP WITH TIME ZONE, d DOUBLE PRECISION, o OBJECT(DYNAMIC), tags ARRAY(TEXT), "
            "p GEO_POINT) CLUSTERED INTO 1 SHARDS"
        )
        self.assertEqual(cur.rowcount, 1)
        cur.execute(
            "INSERT INTO proof_types (id, b, t, n, ts, d, o, tags, p) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (9223372036854775807, True, "ünïcode 🎉", "12345678901234567890.1234567890",
             dt.datetime(2024, 2, 29, 12, 30, tzinfo=dt.timezone.utc), 1.5, {"k": [1, None]}, ["a", None], [9.5, 47.25]),
        )
        self.assertEqual(cur.rowcount, 1)
        cur.execute("INSERT INTO proof_types (id, t) VALUES (?, ?)", (-9223372036854775808, ""))
        cur.execute("REFRESH TABLE proof_types")
        cur.execute("SELECT id, b, t, n, ts, d, o, tags, p FROM proof_types ORDER BY id DESC")
        rows = cur.fetchall()
        self.assertEqual(rows[0][:3], [9223372036854775807, True, "ünïcode 🎉"])
        self.assertEqual(rows[0][4], 1709209800000)  # epoch ms, as CrateDB sends timestamps
        self.assertEqual(rows[0][5:], [1.5, {"k": [1, None]}, ["a", None], [9.5, 47.25]])
        self.assertEqual(rows[1], [-9223372036854775808, None, "", None, None, None, None, None, None])
        cur.execute("UPDATE proof_types SET t = 'x' WHERE id = 0")
        self.assertEqual(cur.rowcount, 0)
        cur.execute("SELECT * FROM proof_types WHERE id = 0")
        self.assertEqual((cur.fetchall(), cur.rowcount), ([], 0))
        self.assertEqual([d[0] for d in cur.description][:2], ["id", "b"])

    def test_converter_reads_col_types(self):
        conn = connect(converter=DefaultTypeConverter(), time_zone=dt.timezone.utc)
        cur = conn.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS proof_ts (ts TIMESTAMP WITH TIME ZONE, plain TIMESTAMP WITHOUT TIME ZONE)")
        cur.execute("DELETE FROM proof_ts")
        cur.execute("INSERT INTO proof_ts VALUES (?, ?)", ("2024-01-02T03:04:05.678Z", 0))
        cur.execute("SELECT ts, plain FROM proof_ts")
        self.assertEqual(
            cur.fetchone(),
            [dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc),
             dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)],
        )

    def test_executemany_bulk_args_with_a_duplicate(self):
        conn = connect()
        cur = conn.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS proof_bulk (id INTEGER PRIMARY KEY, s TEXT)")
        cur.execute("DELETE FROM proof_bulk")
        results = cur.executemany("INSERT INTO proof_bulk (id, s) VALUES (?, ?)", [(1, "a"), (2, "b"), (1, "dup")])
        self.assertEqual([r["rowcount"] for r in results], [1, 1, -2])
        self.assertEqual(cur.rowcount, 2)
        # A body over 8 KiB: crate-python gzips it, the server must read it.
        many = [(i, "x" * 20) for i in range(10, 2010)]
        cur.executemany("INSERT INTO proof_bulk (id, s) VALUES (?, ?)", many)
        self.assertEqual(cur.rowcount, 2000)
        with self.assertRaises(ProgrammingError) as e:
            cur.executemany("SELECT * FROM proof_bulk WHERE id = ?", [(1,)])
        self.assertIn("result sets is not supported", str(e.exception))

    def test_errors(self):
        cur = connect(error_trace=True).cursor()
        with self.assertRaises(ProgrammingError) as e:
            cur.execute("SELEC 1")
        self.assertIn("SQLParseException", str(e.exception))
        self.assertIsNotNone(e.exception.error_trace)
        with self.assertRaises(ProgrammingError) as e:
            cur.execute("SELECT * FROM no_such_table")
        self.assertIn("RelationUnknown[Relation 'doc.no_such_table' unknown]", str(e.exception))
        cur.execute("CREATE TABLE IF NOT EXISTS proof_dup (id INTEGER PRIMARY KEY)")
        cur.execute("INSERT INTO proof_dup (id) VALUES (?) ON CONFLICT DO NOTHING", (1,))
        with self.assertRaises(IntegrityError):
            cur.execute("INSERT INTO proof_dup (id) VALUES (?)", (1,))

    def test_wrong_password(self):
        # crate-python reads the node's version on connect: the 401 comes from there.
        with self.assertRaises(ProgrammingError) as e:
            client.connect(URL, username=USER, password="wrong")
        self.assertIn("401 Client Error: Unauthorized", str(e.exception))

    def test_default_schema(self):
        cur = connect(schema="proof_schema").cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS in_schema (x INTEGER)")
        cur.execute("INSERT INTO in_schema (x) VALUES (?)", (7,))
        cur.execute("SELECT x FROM proof_schema.in_schema")
        self.assertEqual(cur.fetchall(), [[7]])
        cur = connect().cursor()  # another client: default schema doc
        with self.assertRaises(ProgrammingError):
            cur.execute("SELECT x FROM in_schema")


if __name__ == "__main__":
    unittest.main()
