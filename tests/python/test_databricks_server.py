"""Proves testkit's Databricks Statement Execution test server with the official `databricks-sdk`
(`WorkspaceClient().statement_execution`). If the SDK cannot use it, the server is wrong. Run
under webdbc-testenv, which exports WEBDBC_TEST_DATABRICKS (a databricks:// URL as the
SQLAlchemy dialect takes it).
"""

import os
import time
import unittest
from urllib.parse import parse_qs, urlparse

import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError, InvalidParameterValue, NotFound
from databricks.sdk.service.sql import (
    Disposition,
    ExecuteStatementRequestOnWaitTimeout,
    StatementParameterListItem,
    StatementState,
)

URL = urlparse(os.environ["WEBDBC_TEST_DATABRICKS"])
HOST = f"http://{URL.hostname}:{URL.port}"
WAREHOUSE = parse_qs(URL.query)["http_path"][0].rsplit("/", 1)[1]


def api(token=URL.password):
    return WorkspaceClient(host=HOST, token=token).statement_execution


def run(sql, **kw):
    return api().execute_statement(sql, WAREHOUSE, wait_timeout=kw.pop("wait_timeout", "10s"), **kw)


class DatabricksSdkProof(unittest.TestCase):
    def test_ddl_dml_params_and_types(self):
        run("DROP TABLE IF EXISTS proof_types")
        r = run("CREATE TABLE proof_types (id BIGINT, s STRING, d DECIMAL(38,18), b BOOLEAN, dt DATE, ts TIMESTAMP, f DOUBLE)")
        self.assertEqual(r.status.state, StatementState.SUCCEEDED)
        r = run(
            "INSERT INTO proof_types VALUES (:id, :s, :d, :b, :dt, :ts, :f)",
            parameters=[
                StatementParameterListItem(name="id", value="9223372036854775807", type="BIGINT"),
                StatementParameterListItem(name="s", value="ünï 🎉"),
                StatementParameterListItem(name="d", value="12345678901234567890.123456789012345678", type="DECIMAL(38,18)"),
                StatementParameterListItem(name="b", value="true", type="BOOLEAN"),
                StatementParameterListItem(name="dt", value="2024-02-29", type="DATE"),
                StatementParameterListItem(name="ts", value="2024-02-29T12:30:15.123Z", type="TIMESTAMP"),
                StatementParameterListItem(name="f", value="1.5", type="DOUBLE"),
            ],
        )
        self.assertEqual([c.name for c in r.manifest.schema.columns], ["num_affected_rows", "num_inserted_rows"])
        self.assertEqual(r.result.data_array, [["1", "1"]])
        run("INSERT INTO proof_types (id, s) VALUES (:id, :s)",
            parameters=[StatementParameterListItem(name="id", value=None), StatementParameterListItem(name="s", value="")])
        r = run("SELECT * FROM proof_types ORDER BY s DESC")
        cols = r.manifest.schema.columns
        self.assertEqual([c.type_text for c in cols], ["BIGINT", "STRING", "DECIMAL(38,18)", "BOOLEAN", "DATE", "TIMESTAMP", "DOUBLE"])
        self.assertEqual((cols[2].type_precision, cols[2].type_scale), (38, 18))
        self.assertEqual(r.result.data_array, [
            ["9223372036854775807", "ünï 🎉", "12345678901234567890.123456789012345678", "true", "2024-02-29", "2024-02-29T12:30:15.123Z", "1.5"],
            [None, "", None, None, None, None, None],
        ])

    def test_chunks_in_any_order(self):
        r = run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2500) SELECT x FROM c")
        self.assertEqual((r.manifest.total_chunk_count, r.manifest.total_row_count), (3, 2500))
        self.assertEqual(r.result.next_chunk_index, 1)
        last = api().get_statement_result_chunk_n(r.statement_id, 2)
        middle = api().get_statement_result_chunk_n(r.statement_id, 1)
        self.assertEqual((len(last.data_array), last.next_chunk_index), (500, None))
        self.assertEqual((middle.data_array[0], middle.next_chunk_index), (["1001"], 2))
        self.assertEqual([c.row_count for c in r.manifest.chunks], [1000, 1000, 500])  # sent as strings

    def test_async_polling_and_cancel(self):
        r = run("SELECT sleep(700) AS slept", wait_timeout="0s")
        self.assertEqual(r.status.state, StatementState.PENDING)
        while r.status.state in (StatementState.PENDING, StatementState.RUNNING):
            time.sleep(0.2)
            r = api().get_statement(r.statement_id)
        self.assertEqual((r.status.state, r.result.data_array), (StatementState.SUCCEEDED, [["1"]]))
        r = run("SELECT sleep(1500)", wait_timeout="0s")
        api().cancel_execution(r.statement_id)
        self.assertEqual(api().get_statement(r.statement_id).status.state, StatementState.CANCELED)
        r = run("SELECT sleep(5300)", wait_timeout="5s", on_wait_timeout=ExecuteStatementRequestOnWaitTimeout.CANCEL)
        self.assertEqual(r.status.state, StatementState.CANCELED)

    def test_errors(self):
        r = run("SELEC 1")
        self.assertEqual((r.status.state, r.status.error.error_code.value), (StatementState.FAILED, "BAD_REQUEST"))
        self.assertTrue(r.status.error.message.startswith("[PARSE_SYNTAX_ERROR]"))
        r = run("SELECT * FROM nowhere")
        self.assertIn("[TABLE_OR_VIEW_NOT_FOUND]", r.status.error.message)
        with self.assertRaises(InvalidParameterValue):
            run("SELECT 1", wait_timeout="60s")
        with self.assertRaises(InvalidParameterValue):
            run("SELECT ?")
        with self.assertRaises(NotFound):
            api().get_statement("01efdoesnotexist")
        with self.assertRaises(DatabricksError) as e:
            api(token="dapi-wrong").execute_statement("SELECT 1", WAREHOUSE)
        self.assertIn("Invalid access token", str(e.exception))

    def test_rate_limit_is_retried_by_the_sdk(self):
        started = time.time()
        r = run("SELECT 7 /* fault:rate_limit */")
        self.assertEqual(r.result.data_array, [["7"]])
        self.assertGreaterEqual(time.time() - started, 0.9)  # it honoured Retry-After: 1

    def test_external_links(self):
        r = run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500) SELECT x FROM c",
                disposition=Disposition.EXTERNAL_LINKS)
        link = r.result.external_links[0]
        self.assertEqual(link.next_chunk_index, 1)
        rows = requests.get(link.external_link, headers=link.http_headers).json()
        self.assertEqual((len(rows), rows[0]), (1000, ["1"]))
        with_auth = requests.get(link.external_link, headers={**link.http_headers, "Authorization": f"Bearer {URL.password}"})
        self.assertEqual(with_auth.status_code, 400)
        self.assertEqual(requests.get(link.external_link).status_code, 403)
        second = api().get_statement_result_chunk_n(r.statement_id, 1).external_links[0]
        self.assertEqual(len(requests.get(second.external_link, headers=second.http_headers).json()), 500)


if __name__ == "__main__":
    unittest.main()
