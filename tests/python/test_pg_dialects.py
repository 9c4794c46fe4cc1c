"""Proves testkit's Postgres-wire dialect servers (PostgreSQL behind the CrateDB and QuestDB quirks
of shared/protocols/postgres-wire.md §10-11) with psycopg, the reference Python client. Run under
webdbc-testenv, which exports WEBDBC_TEST_PG_CRATE and WEBDBC_TEST_PG_QUEST (cleartext users) and
WEBDBC_TEST_PG (a SCRAM user of the same PostgreSQL).
"""

import datetime as dt
import os
import unittest
from urllib.parse import urlparse

import psycopg
from psycopg.pq import TransactionStatus

CRATE = urlparse(os.environ["WEBDBC_TEST_PG_CRATE"])
QUEST = urlparse(os.environ["WEBDBC_TEST_PG_QUEST"])
SCRAM = urlparse(os.environ["WEBDBC_TEST_PG"])


def connect(url, port=None, user=None, password=None, **kw):
    return psycopg.connect(
        host=url.hostname,
        port=port or url.port,
        user=user or url.username,
        password=password or url.password,
        dbname=url.path.lstrip("/"),
        sslmode="disable",
        connect_timeout=10,
        **kw,
    )


class CrateDialect(unittest.TestCase):
    def test_announces_crate_version(self):
        with connect(CRATE) as conn:
            self.assertEqual(conn.info.parameter_status("crate_version"), "5.10.3")

    def test_extended_protocol_error_reports_a_failed_transaction_once(self):
        with connect(CRATE, autocommit=True) as conn:
            with self.assertRaises(psycopg.errors.DivisionByZero):
                conn.execute("SELECT 1 / %s", [0])
            # CrateDB's quirk: Z E although no transaction block is open.
            self.assertEqual(conn.info.transaction_status, TransactionStatus.INERROR)
            # Nothing is really aborted: the next statement runs, and the status is idle again.
            self.assertEqual(conn.execute("SELECT 2").fetchone(), (2,))
            self.assertEqual(conn.info.transaction_status, TransactionStatus.IDLE)

    def test_simple_query_error_leaves_the_session_idle(self):
        with connect(CRATE, autocommit=True) as conn:
            cur = psycopg.ClientCursor(conn)  # the simple Query protocol
            with self.assertRaises(psycopg.errors.UndefinedTable):
                cur.execute("SELECT * FROM no_such_table")
            self.assertEqual(conn.info.transaction_status, TransactionStatus.IDLE)

    def test_other_auth_methods_are_refused(self):
        with self.assertRaises(psycopg.OperationalError) as e:
            connect(CRATE, user=SCRAM.username, password=SCRAM.password)
        self.assertIn("No valid auth.host_based entry", str(e.exception))


class QuestDialect(unittest.TestCase):
    def test_announces_questdb(self):
        with connect(QUEST) as conn:
            self.assertEqual(conn.info.parameter_status("application_name"), "QuestDB")

    def test_errors_carry_sqlstate_00000(self):
        with connect(QUEST, autocommit=True) as conn:
            with self.assertRaises(psycopg.Error) as e:
                conn.execute("SELECT * FROM no_such_table")
            self.assertEqual(e.exception.sqlstate, "00000")
            self.assertIn("no_such_table", e.exception.diag.message_primary)
            self.assertEqual(conn.execute("SELECT 1").fetchone(), (1,))

    def test_bytea_arrives_in_binary_format_though_text_was_asked(self):
        with connect(QUEST) as conn:
            cur = conn.execute("SELECT '\\x00015c78ff'::bytea, ''::bytea, NULL::bytea, 'x'::text")
            self.assertEqual(cur.pgresult.fformat(0), 1)
            self.assertEqual(cur.pgresult.fformat(3), 0)
            self.assertEqual(cur.fetchone(), (b"\x00\x01\\x\xff", b"", None, "x"))

    def test_date_is_reported_as_timestamp(self):
        with connect(QUEST) as conn:
            cur = conn.execute("SELECT DATE '2024-02-29', NULL::date")
            self.assertEqual([d.type_code for d in cur.description], [1114, 1114])
            self.assertEqual(cur.fetchone(), (dt.datetime(2024, 2, 29, 0, 0), None))

    def test_other_auth_methods_are_refused(self):
        with self.assertRaises(psycopg.OperationalError) as e:
            connect(QUEST, user=SCRAM.username, password=SCRAM.password)
        self.assertIn("invalid username/password", str(e.exception))


if __name__ == "__main__":
    unittest.main()
