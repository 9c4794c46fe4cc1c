import { eq, fail, ok, rejects, show, within } from "./assert.js";
import { inBrowser, open, openNoCors, readsSlowly, scalar } from "./support.js";

// ---- Databend over HTTP (testkit's Databend test server, proven by databend-driver and databend-py) ----

const openDatabend = (api, env, options = {}, url = env.databend) => openNoCors(api, env, url, options);

// The seed's tutorial (databend-py and databend-sqlalchemy flows), through the cursor API.
export async function databendSeedFlow(api, env) {
  const conn = await openDatabend(api, env);
  eq(conn.autocommit, true, "Databend's drivers autocommit");
  const cur = conn.cursor();
  await cur.execute("CREATE DATABASE IF NOT EXISTS bookstore");
  await cur.execute("USE bookstore");
  await cur.execute("CREATE TABLE IF NOT EXISTS booklist(title VARCHAR, author VARCHAR, date VARCHAR)");
  await cur.execute("INSERT INTO booklist VALUES('Readings in Database Systems', 'Michael Stonebraker', '2004')");
  eq(cur.rowcount, 1, "rows written");
  await cur.executemany("INSERT INTO booklist VALUES(?, ?, ?)", [
    ["Transaction Processing", "Jim Gray", "1992"],
    ["Architecture of a Database System", "Michael Stonebraker", "2007"],
  ]);
  eq(cur.rowcount, 2, "executemany rowcount");
  await cur.execute("SELECT * FROM booklist WHERE author = :author ORDER BY date", { author: "Michael Stonebraker" });
  eq(cur.description.map((d) => [d.name, d.typeCode]), [["title", "Nullable(String)"], ["author", "Nullable(String)"], ["date", "Nullable(String)"]], "description");
  eq(await cur.fetchall(), [["Readings in Database Systems", "Michael Stonebraker", "2004"], ["Architecture of a Database System", "Michael Stonebraker", "2007"]], "rows (USE lasted: the session travels)");
  await cur.execute("drop table booklist");
  await cur.execute("drop database bookstore");
  await conn.close();
}

export async function databendTypes(api, env) {
  const conn = await openDatabend(api, env);
  const cur = conn.cursor();
  await cur.execute("DROP TABLE IF EXISTS db_types");
  await cur.execute(`CREATE TABLE db_types (id INT NOT NULL, b BOOLEAN, i8 BIGINT, u8 UINT64, d DECIMAL(76, 20), f DOUBLE, s VARCHAR,
    dt DATE, ts TIMESTAMP, v VARIANT, a ARRAY(INT), m MAP(STRING, BIGINT), t TUPLE(INT, STRING), bin BINARY)`);
  const big = "12345678901234567890123456789012345678901234567890.12345678901234567890";
  const when = new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 123));
  await cur.execute("INSERT INTO db_types VALUES (?, ?, ?, '18446744073709551615', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [1, true, -9223372036854775808n, big, -0.1, "Zoë ☃ 𝄞 'q' \"dq\"", "2024-02-29", when, { k: [1, null] }, [1, null, 3], { x: 123 }, [7, "x"], new Uint8Array([0, 255, 16])]);
  await cur.execute("INSERT INTO db_types (id, s, f) VALUES (?, ?, ?)", [2, "", NaN]);
  await cur.execute("INSERT INTO db_types (id) VALUES (3)");
  await cur.execute("SELECT * FROM db_types ORDER BY id");
  eq(cur.description.map((d) => d.typeCode).slice(0, 5), ["Int32", "Nullable(Boolean)", "Nullable(Int64)", "Nullable(UInt64)", "Nullable(Decimal(76, 20))"], "type codes");
  const [r1, r2, r3] = await cur.fetchall();
  eq(r1, [1, true, -9223372036854775808n, 18446744073709551615n, big, -0.1, "Zoë ☃ 𝄞 'q' \"dq\"", "2024-02-29", "2024-02-29T12:30:15.123Z",
    { k: [1, null] }, [1, null, 3], { x: 123 }, [7, "x"], new Uint8Array([0, 255, 16])], "row 1");
  ok(r2[6] === "" && Number.isNaN(r2[5]) && r2[1] === null, "'' is not NULL; NaN kept");
  ok(r3.slice(1).every((v) => v === null), "row 3 all NULL");
  await conn.close();
  const opt = await openDatabend(api, env, { int64: "string", dates: "date", json: "string" });
  const oc = opt.cursor();
  await oc.execute("SELECT i8, u8, ts, v FROM db_types WHERE id = ?", [1]);
  const row = await oc.fetchone();
  eq([row[0], row[1], row[3]], ["-9223372036854775808", "18446744073709551615", '{"k":[1,null]}'], "int64 as strings, Variant as text");
  ok(row[2] instanceof Date && row[2].getTime() === when.getTime(), "timestamp as Date");
  await oc.execute("DROP TABLE db_types");
  await opt.close();
}

export async function databendPaging(api, env) {
  const conn = await openDatabend(api, env, { fetchSize: 1000 });
  const cur = conn.cursor();
  const q = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 25000) SELECT x FROM c";
  await cur.execute(q);
  eq(cur.rowcount, -1, "rowcount unknown while pages remain");
  let n = 0;
  let sum = 0n;
  for (;;) {
    const rows = await cur.fetchmany(700);
    if (rows.length === 0) break;
    n += rows.length;
    for (const [x] of rows) sum += BigInt(x);
  }
  eq([n, sum, cur.rowcount], [25000, 312512500n, 25000], "every page, in order");
  await cur.execute(q);
  let seen = 0;
  for await (const _ of cur) seen++;
  eq(seen, 25000, "async iteration");
  // A second cursor's statement while the first's result is open: the first keeps its rows.
  const a = conn.cursor();
  await a.execute(q);
  eq((await a.fetchmany(10)).length, 10, "first page");
  const b = conn.cursor();
  await b.execute("SELECT 42");
  eq(await b.fetchall(), [[42n]], "second cursor");
  eq((await a.fetchall()).length, 24990, "the first cursor's rest");
  // Closing a cursor mid-result closes it on the server (final_uri); the connection goes on.
  await a.execute(q);
  await a.fetchmany(5);
  await a.close();
  eq(await scalar(conn, "SELECT 'after close'"), "after close", "usable after closing mid-result");
  await conn.close();
}

export async function databendTransactions(api, env) {
  const conn = await openDatabend(api, env, { autocommit: false });
  const cur = conn.cursor();
  await cur.execute("CREATE TABLE IF NOT EXISTS db_tx (n INT)");
  await conn.commit();
  await cur.execute("DELETE FROM db_tx");
  await conn.commit();
  await cur.execute("INSERT INTO db_tx VALUES (?)", [1]);
  await conn.rollback();
  eq(await scalar(conn, "SELECT count(*) FROM db_tx"), 0n, "rolled back");
  await cur.execute("INSERT INTO db_tx VALUES (?)", [2]);
  await rejects(() => cur.execute("INSERT INTO nowhere VALUES (1)"), api.ProgrammingError, "failure inside the transaction");
  const e = await rejects(() => cur.execute("INSERT INTO db_tx VALUES (3)"), api.InternalError, "aborted transaction");
  eq(e.code, "4002", "TxnAborted");
  await conn.rollback();
  await cur.executemany("INSERT INTO db_tx VALUES (?)", [[4], [5]]);
  await conn.commit();
  eq(await scalar(conn, "SELECT sum(n) FROM db_tx"), 9n, "committed");
  await conn.commit();
  conn.autocommit = true;
  await cur.execute("DROP TABLE db_tx");
  await conn.close();
}

export async function databendErrors(api, env) {
  const conn = await openDatabend(api, env, { fetchSize: 100 });
  const cur = conn.cursor();
  let e = await rejects(() => cur.execute("SELEC 1"), api.ProgrammingError, "syntax error");
  eq(e.code, "1005", "1005");
  e = await rejects(() => cur.execute("SELECT * FROM no_such_table"), api.ProgrammingError, "unknown table");
  eq(e.code, "1025", "1025");
  e = await rejects(() => cur.execute("USE nowhere"), api.ProgrammingError, "unknown database");
  eq(e.code, "1003", "1003");
  // An error after rows: the rows come first, then the error, on the page after them.
  await cur.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT fail_at(250, x) FROM c");
  const got = [];
  e = await rejects(async () => {
    for (;;) {
      const rows = await cur.fetchmany(100);
      if (rows.length === 0) fail("the result cannot end normally");
      got.push(...rows);
    }
  }, api.OperationalError, "error mid-result");
  eq([got.length, e.code], [249, "1043"], "rows before the error, then its code");
  eq(await scalar(conn, "SELECT 1 /* fault:slow_start */"), 1n, "a query that starts slowly");
  await rejects(() => cur.execute("SELECT ?, ?", [1]), api.ProgrammingError, "param count");
  await conn.close();
  const wrong = env.databend.replace("abc123", "not-the-password");
  e = await rejects(() => openDatabend(api, env, {}, wrong), api.OperationalError, "wrong password");
  ok(/authentication failed for user "user1"/.test(e.message) && !e.message.includes("not-the-password"), e.message);
  eq(e.code, "5100", "AuthFailure");
  const dead = env.databend.replace(/:\d+\//, `:${env.crateDead.split(":").pop()}/`);
  e = await rejects(() => openDatabend(api, env, {}, dead), api.OperationalError, "nothing listening");
  ok(/could not reach|relay/.test(e.message), e.message);
}

export async function databendCancel(api, env) {
  const conn = await openDatabend(api, env);
  const cur = conn.cursor();
  const started = Date.now();
  const running = cur.execute("SELECT sleep(1500)");
  setTimeout(() => cur.cancel(), 200);
  const e = await within(5000, rejects(() => running, api.OperationalError, "cancel()"), "cancel()");
  eq(e.code, "57014", "cancelled");
  eq(await scalar(conn, "SELECT 'usable'"), "usable", "usable after cancel");
  // The server's statements run one at a time: the next one ran before the sleep would have
  // ended only because kill_uri stopped it there, not just the request here.
  ok(Date.now() - started < 1400, "the server stopped the statement");
  // The next page is asked for ahead; its bound is the server's answer, not how long the caller
  // takes over the page before it.
  const slow = await openDatabend(api, env, { statementTimeout: 300, fetchSize: 100 });
  await readsSlowly(slow, 250, 100, 700);
  await slow.close();
  const timed = await openDatabend(api, env, { statementTimeout: 200 });
  const t = await within(5000, rejects(() => timed.cursor().execute("SELECT sleep(1500)"), api.OperationalError, "timeout"), "timeout");
  ok(/timed out after 200 ms/.test(t.message), t.message);
  await timed.close();
  // A result left unread longer than the server keeps one (2 s here) survives: heartbeats.
  const idle = conn.cursor();
  await idle.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) SELECT x FROM c /* fault:short_timeout */");
  await new Promise((resolve) => setTimeout(resolve, 3500));
  eq((await idle.fetchall()).length, 3000, "the idle result was kept alive");
  await conn.close();
}
