"""Proves testkit's Databend test server with the official clients from PyPI: `databend-driver`
(bendsql's core) and `databend-py`. If they cannot use it, the test server is wrong. Run under
webdbc-testenv, which exports WEBDBC_TEST_DATABEND (a databend:// DSN).
"""

import datetime as dt
import decimal
import os
import time
import unittest
from urllib.parse import urlparse

from databend_driver import BlockingDatabendClient
from databend_py import Client

DSN = os.environ["WEBDBC_TEST_DATABEND"]
URL = urlparse(DSN)


def driver_conn():
    return BlockingDatabendClient(DSN).get_conn()


class DatabendDriverProof(unittest.TestCase):
    """databend-driver: login, /v1/query, paging through next_uri, server-side params."""

    def test_seed_tutorial(self):
        conn = driver_conn()
        conn.exec("CREATE DATABASE IF NOT EXISTS bookstore")
        conn.exec("USE bookstore")
        conn.exec("CREATE TABLE IF NOT EXISTS booklist(title VARCHAR, author VARCHAR, date VARCHAR)")
        n = conn.exec("INSERT INTO booklist VALUES('Readings in Database Systems', 'Michael Stonebraker', '2004')")
        self.assertEqual(n, 1)
        rows = [r.values() for r in conn.query_iter("SELECT * FROM booklist")]
        self.assertEqual(rows, [("Readings in Database Systems", "Michael Stonebraker", "2004")])
        # The session (USE) travelled back and forth: the table is found unqualified.
        self.assertEqual(conn.query_row("SELECT count(*) FROM booklist").values(), (1,))
        conn.exec("drop table booklist")
        conn.exec("drop database bookstore")
        conn.close()

    def test_types_decode(self):
        conn = driver_conn()
        conn.exec("DROP TABLE IF EXISTS proof_types")
        conn.exec(
            "CREATE TABLE proof_types (i BIGINT, u UINT64, b BOOLEAN, d DECIMAL(40, 10), f DOUBLE, s VARCHAR, "
            "dt DATE, ts TIMESTAMP, v VARIANT, a ARRAY(INT), m MAP(STRING, INT), t TUPLE(INT, STRING), bin BINARY)"
        )
        conn.exec(
            # The driver sends Python ints beyond int64 as floats, so UInt64's maximum goes as text.
            "INSERT INTO proof_types VALUES (?, '18446744073709551615', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (9223372036854775807, True, "123456789012345678901234567890.0123456789", 1.5,
             "ünï 🎉", "2024-02-29", "2024-02-29 12:30:15.123456", '{"k":[1,null]}', "[1,null,3]", '{"a":1}', '[7,"x"]',
             "00FF10"),
        )
        conn.exec("INSERT INTO proof_types (s) VALUES ('')")
        rows = [r.values() for r in conn.query_iter("SELECT * FROM proof_types ORDER BY s DESC")]
        first = rows[0]
        self.assertEqual(first[0], 9223372036854775807)
        self.assertEqual(first[1], 18446744073709551615)
        self.assertIs(first[2], True)
        self.assertEqual(first[3], decimal.Decimal("123456789012345678901234567890.0123456789"))
        self.assertEqual(first[4:6], (1.5, "ünï 🎉"))
        self.assertEqual(first[6], dt.date(2024, 2, 29))
        self.assertEqual(first[7].replace(tzinfo=None), dt.datetime(2024, 2, 29, 12, 30, 15, 123456))
        self.assertEqual(first[8], '{"k":[1,null]}')
        self.assertEqual(first[9], [1, None, 3])
        self.assertEqual(first[10], {"a": 1})
        self.assertEqual(first[11], (7, "x"))
        self.assertEqual(first[12], b"\x00\xff\x10")
        self.assertEqual(rows[1][5], "")
        self.assertEqual(rows[1][0], None)

    def test_many_pages_and_params(self):
        conn = driver_conn()
        conn.exec("DROP TABLE IF EXISTS proof_pages")
        conn.exec("CREATE TABLE proof_pages (n BIGINT)")
        conn.exec("INSERT INTO proof_pages WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 25000) SELECT x FROM c")
        total = sum(1 for _ in conn.query_iter("SELECT n FROM proof_pages"))
        self.assertEqual(total, 25000)  # three pages of 10,000 rows
        self.assertEqual(conn.query_row("SELECT n FROM proof_pages WHERE n = ?", (24999,)).values(), (24999,))

    def test_errors_and_auth(self):
        conn = driver_conn()
        with self.assertRaises(Exception) as e:
            conn.exec("SELEC 1")
        self.assertIn("1005", str(e.exception))
        with self.assertRaises(Exception) as e:
            conn.query_row("SELECT * FROM no_such_table")
        self.assertIn("1025", str(e.exception))
        # The failure after rows surfaces while paging.
        with self.assertRaises(Exception) as e:
            list(conn.query_iter("SELECT fail_at(3, number) FROM (SELECT 1 AS number UNION ALL SELECT 2 UNION ALL SELECT 3)"))
        self.assertIn("1043", str(e.exception))
        bad = DSN.replace("abc123", "wrong")
        with self.assertRaises(Exception) as e:
            BlockingDatabendClient(bad).get_conn()
        self.assertIn("5100", str(e.exception))

    def test_transactions_ride_in_the_session(self):
        conn = driver_conn()
        conn.exec("CREATE TABLE IF NOT EXISTS proof_tx (n INT)")
        conn.exec("DELETE FROM proof_tx")
        conn.exec("BEGIN")
        conn.exec("INSERT INTO proof_tx VALUES (1)")
        self.assertEqual(conn.query_row("SELECT count(*) FROM proof_tx").values(), (1,))
        conn.exec("ROLLBACK")
        self.assertEqual(conn.query_row("SELECT count(*) FROM proof_tx").values(), (0,))
        conn.exec("BEGIN")
        conn.exec("INSERT INTO proof_tx VALUES (2)")
        with self.assertRaises(Exception):
            conn.exec("INSERT INTO no_such_table VALUES (3)")
        with self.assertRaises(Exception) as e:
            conn.exec("INSERT INTO proof_tx VALUES (4)")
        self.assertIn("4002", str(e.exception))
        conn.exec("ROLLBACK")
        conn.exec("BEGIN")
        conn.exec("INSERT INTO proof_tx VALUES (5)")
        conn.exec("COMMIT")
        self.assertEqual([r.values() for r in conn.query_iter("SELECT n FROM proof_tx")], [(5,)])

    def test_slow_start_keeps_polling_for_the_schema(self):
        conn = driver_conn()
        self.assertEqual(conn.query_row("SELECT 42 /* fault:slow_start */").values(), (42,))


class DatabendPyProof(unittest.TestCase):
    """databend-py, as the seed's tutorial uses it."""

    def test_seed_tutorial(self):
        client = Client(f"{URL.username}:{URL.password}@{URL.hostname}", port=URL.port, secure=False)
        client.execute("CREATE DATABASE IF NOT EXISTS bookstore_py")
        client.execute("USE bookstore_py")
        client.execute("CREATE TABLE IF NOT EXISTS booklist(title VARCHAR, author VARCHAR, date VARCHAR)")
        client.execute("INSERT INTO booklist VALUES('Readings in Database Systems', 'Michael Stonebraker', '2004')")
        _, results = client.execute("SELECT * FROM booklist")
        self.assertEqual([tuple(r) for r in results], [("Readings in Database Systems", "Michael Stonebraker", "2004")])
        client.execute("drop table booklist")
        client.execute("drop database bookstore_py")
        client.disconnect()

    def test_from_url_and_many_pages(self):
        client = Client.from_url(f"http://{URL.username}:{URL.password}@{URL.hostname}:{URL.port}/default?secure=False")
        _, rows = client.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 12345) SELECT x FROM c"
        )
        self.assertEqual(len(rows), 12345)
        self.assertEqual(rows[-1][0], 12345)


if __name__ == "__main__":
    unittest.main()
