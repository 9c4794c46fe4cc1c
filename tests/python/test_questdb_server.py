"""Proves testkit's QuestDB REST test server with `questdb-rest` from PyPI, a client of QuestDB's
/exec, /imp and /chk (the official PyPI `questdb` package queries over another protocol; see
shared/toolchain.md). If it cannot use the server, the server is wrong. Run under webdbc-testenv,
which exports WEBDBC_TEST_QUESTDB (a questdb:// URL).
"""

import io
import json
import os
import unittest
from urllib.parse import urlparse

from questdb_rest import QuestDBAPIError, QuestDBClient

URL = urlparse(os.environ["WEBDBC_TEST_QUESTDB"])


def client(password=URL.password):
    return QuestDBClient(host=URL.hostname, port=URL.port, user=URL.username, password=password)


class QuestDbRestProof(unittest.TestCase):
    def test_seed_flow(self):
        # The seed's SQLAlchemy flow, statement by statement, with the values rendered in.
        q = client()
        self.assertEqual(q.exec("CREATE TABLE IF NOT EXISTS some_table (x int, y int)"), {"ddl": "OK"})
        self.assertIn(["some_table"], q.exec("SHOW TABLES")["dataset"])
        self.assertEqual(q.exec("INSERT INTO some_table (x, y) VALUES (11, 12)"), {"dml": "OK"})
        q.exec("INSERT INTO some_table (x, y) VALUES (13, 14)")
        r = q.exec("SELECT x, y FROM some_table WHERE y > 2")
        self.assertEqual(r["columns"], [{"name": "x", "type": "INT"}, {"name": "y", "type": "INT"}])
        self.assertEqual((r["dataset"], r["count"]), ([[11, 12], [13, 14]], 2))
        self.assertEqual(q.exec("UPDATE some_table SET y = 0 WHERE x = 11")["updated"], 1)
        self.assertEqual(q.exec("DROP TABLE some_table"), {"ddl": "OK"})

    def test_paging_with_limit_and_count(self):
        q = client()
        sql = "SELECT x FROM long_sequence(2500)"
        pages = [q.exec(sql, limit=f"{a},{a + 999}") for a in (1, 1001, 2001)]
        self.assertEqual([len(p["dataset"]) for p in pages], [1000, 1000, 500])
        self.assertEqual([p["count"] for p in pages], [1000, 2000, 2500])
        self.assertEqual(pages[2]["dataset"][-1], [2500])
        counted = q.exec(sql, limit="1,10", count=True)
        self.assertEqual((len(counted["dataset"]), counted["count"]), (10, 2500))
        self.assertEqual(q.exec(sql, limit="5")["dataset"], [[1], [2], [3], [4], [5]])

    def test_types_and_nulls(self):
        q = client()
        q.exec("DROP TABLE IF EXISTS proof_types")
        q.exec(
            "CREATE TABLE proof_types (b BOOLEAN, s SHORT, c CHAR, i INT, l LONG, d DOUBLE, ts TIMESTAMP, "
            "v VARCHAR, sym SYMBOL, u UUID, dec DECIMAL(38, 4), arr DOUBLE[][], bin BINARY) timestamp(ts) PARTITION BY DAY"
        )
        q.exec(
            "INSERT INTO proof_types VALUES (true, 7, 'a', 42, 9223372036854775807, 1.5, '2024-02-29T12:30:15.123456Z', "
            "'ünï \"q\" 🎉', 'sym', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '12345678901234567890.1234', "
            "ARRAY[[1.0, 2.0], [3.0, 4.0]], NULL)"
        )
        q.exec("INSERT INTO proof_types (v) VALUES ('')")
        r = q.exec("SELECT * FROM proof_types ORDER BY v DESC")
        self.assertEqual(r["dataset"][0], [True, 7, "a", 42, 9223372036854775807, 1.5, "2024-02-29T12:30:15.123456Z",
                                           'ünï "q" 🎉', "sym", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                                           "12345678901234567890.1234", [[1.0, 2.0], [3.0, 4.0]], []])
        self.assertEqual(r["dataset"][1], [False, 0, "", None, None, None, None, "", None, None, None, None, []])
        self.assertEqual(r["columns"][11], {"name": "arr", "type": "ARRAY", "dim": 2, "elemType": "DOUBLE"})
        self.assertEqual(q.exec("SELECT l FROM proof_types WHERE v <> ''", quote_large_num=True)["dataset"],
                         [["9223372036854775807"]]) if "quote_large_num" in QuestDBClient.exec.__code__.co_varnames else None

    def test_errors(self):
        q = client()
        with self.assertRaises(QuestDBAPIError) as e:
            q.exec("SELECT * FROM no_such_table")
        self.assertEqual(e.exception.status_code, 400)
        self.assertIn("table does not exist [table=no_such_table]", str(e.exception))
        # An error after rows: HTTP 200, the rows, then error and errorPos.
        r = q.exec("SELECT fail_at(3, x) FROM long_sequence(5)")
        self.assertEqual((r["dataset"], r["error"]), ([[1], [2]], "fail_at: failed at row 3"))
        self.assertIn("errorPos", r)
        with self.assertRaises(QuestDBAPIError) as e:
            q.exec("SELECT sleep(3000)", statement_timeout=200)
        self.assertIn("timeout", str(e.exception))
        with self.assertRaises(Exception):
            client(password="wrong").exec("SELECT 1")

    def test_import_and_check(self):
        q = client()
        csv = "name,value,ts\nalpha,1,2024-01-01T00:00:00.000000Z\nbeta,2.5,2024-01-02T00:00:00.000000Z\n"
        r = q.imp(data_file_obj=io.BytesIO(csv.encode()), table_name="proof_imp", fmt="json", overwrite=True)
        body = r.json()
        self.assertEqual((body["status"], body["rowsImported"], body["header"]), ("OK", 2, True))
        self.assertEqual([c["type"] for c in body["columns"]], ["STRING", "DOUBLE", "TIMESTAMP"])
        self.assertEqual(q.chk("proof_imp")["status"], "Exists")
        self.assertEqual(q.chk("nope")["status"], "Does not exist")
        self.assertEqual(q.exec("SELECT value FROM proof_imp ORDER BY value")["dataset"], [[1.0], [2.5]])


if __name__ == "__main__":
    unittest.main()
