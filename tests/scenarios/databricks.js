import { eq, fail, ok, rejects, show, within } from "./assert.js";
import { inBrowser, open, openNoCors, readsSlowly, scalar } from "./support.js";

// ---- Databricks (testkit's Statement Execution test server, proven by databricks-sdk) ----

const openDatabricks = (api, env, options = {}, extra = "") => openNoCors(api, env, env.databricks + extra, options);

// The seed: the SQLAlchemy dialect's URL, then statements through the cursor API.
export async function databricksSeedFlow(api, env) {
  const conn = await openDatabricks(api, env);
  eq(conn.autocommit, true, "no transactions");
  const cur = conn.cursor();
  await cur.execute("DROP TABLE IF EXISTS booklist");
  await cur.execute("CREATE TABLE booklist (title STRING, author STRING, year INT)");
  eq([cur.description, cur.rowcount], [null, -1], "DDL");
  await cur.executemany("INSERT INTO booklist VALUES (:title, :author, :year)", [
    { title: "Readings in Database Systems", author: "Michael Stonebraker", year: 2004 },
    { title: "Transaction Processing", author: "Jim Gray", year: 1992 },
  ]);
  eq(cur.rowcount, 2, "rows inserted (num_affected_rows)");
  await cur.execute("SELECT title, year FROM booklist WHERE author = ? AND year > ?", ["Michael Stonebraker", 2000]);
  eq(cur.description.map((d) => [d.name, d.typeCode]), [["title", "STRING"], ["year", "INT"]], "description");
  eq([await cur.fetchall(), cur.rowcount], [[["Readings in Database Systems", 2004]], 1], "? rewritten to named markers");
  await cur.execute("UPDATE booklist SET year = :y WHERE author = :a", { y: 1993, a: "Jim Gray" });
  eq(cur.rowcount, 1, "UPDATE count");
  await rejects(() => conn.rollback(), api.NotSupportedError, "rollback");
  await cur.execute("DROP TABLE booklist");
  await conn.close();
}

export async function databricksTypes(api, env) {
  const conn = await openDatabricks(api, env);
  const cur = conn.cursor();
  await cur.execute("DROP TABLE IF EXISTS dbx_types");
  await cur.execute("CREATE TABLE dbx_types (id BIGINT, s STRING, d DECIMAL(38,18), b BOOLEAN, dt DATE, ts TIMESTAMP, f DOUBLE)");
  const when = new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 123));
  const big = "12345678901234567890.123456789012345678";
  await cur.execute("INSERT INTO dbx_types VALUES (:id, :s, :d, :b, :dt, :ts, :f)",
    { id: 9223372036854775807n, s: "Zoë ☃ 𝄞 'q' :notaparam ?", d: big, b: true, dt: "2024-02-29", ts: when, f: 0.1 });
  await cur.execute("INSERT INTO dbx_types (id, s) VALUES (?, ?)", [null, ""]);
  await cur.execute("SELECT * FROM dbx_types ORDER BY s DESC");
  eq(cur.description.map((d) => d.typeCode).join(","), "BIGINT,STRING,DECIMAL(38,18),BOOLEAN,DATE,TIMESTAMP,DOUBLE", "type codes");
  eq([cur.description[2].precision, cur.description[2].scale], [38, 18], "decimal precision and scale");
  const [r1, r2] = await cur.fetchall();
  eq(r1, [9223372036854775807n, "Zoë ☃ 𝄞 'q' :notaparam ?", big, true, "2024-02-29", "2024-02-29T12:30:15.123Z", 0.1], "row 1 exact");
  eq(r2, [null, "", null, null, null, null, null], "'' is not NULL");
  await cur.execute("DROP TABLE dbx_types");
  await conn.close();
}

export async function databricksChunks(api, env) {
  const q = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2500) SELECT x FROM c";
  for (const extra of ["", "&disposition=EXTERNAL_LINKS"]) {
    const conn = await openDatabricks(api, env, {}, extra);
    const cur = conn.cursor();
    await cur.execute(q);
    eq(cur.rowcount, 2500, `total_row_count up front ${extra}`);
    const sizes = [];
    let last = 0;
    for (;;) {
      const rows = await cur.fetchmany(1000);
      if (rows.length === 0) break;
      sizes.push(rows.length);
      last = rows[rows.length - 1][0];
    }
    eq([sizes, last], [[1000, 1000, 500], 2500], `three chunks in order ${extra}`);
    await cur.execute(q);
    let n = 0;
    for await (const _ of cur) n++;
    eq(n, 2500, `async iteration ${extra}`);
    await conn.close();
  }
}

export async function databricksErrors(api, env) {
  const conn = await openDatabricks(api, env);
  const cur = conn.cursor();
  let e = await rejects(() => cur.execute("SELEC 1"), api.ProgrammingError, "syntax error");
  ok(e.code === "42601" && e.message.startsWith("[PARSE_SYNTAX_ERROR]") && e.detail === "error_code BAD_REQUEST", `${e.code} ${e.message} ${e.detail}`);
  e = await rejects(() => cur.execute("SELECT * FROM nowhere"), api.ProgrammingError, "unknown table");
  eq(e.code, "42P01", "sql_state");
  await rejects(() => cur.execute("SELECT ?", [new Uint8Array([1])]), api.NotSupportedError, "binary parameter");
  // The result expires after its first chunk: its rows, then the error.
  await cur.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2500) SELECT x FROM c /* fault:expire */");
  eq((await cur.fetchmany(1000)).length, 1000, "the first chunk");
  e = await rejects(() => cur.fetchmany(1000), api.OperationalError, "expired mid-result");
  ok(/HTTP 404/.test(e.message) && /expired/.test(e.message), e.message);
  const started = Date.now();
  eq(await scalar(conn, "SELECT 7 /* fault:rate_limit */"), 7, "429 retried after Retry-After");
  ok(Date.now() - started >= 900, "waited for Retry-After");
  await conn.close();
  const wrong = env.databricks.replace(/token:[^@]+@/, "token:dapi-not-the-token@");
  e = await rejects(() => openNoCors(api, env, wrong), api.OperationalError, "bad token");
  ok(/authentication failed \(HTTP 401\)/.test(e.message) && !e.message.includes("dapi-"), e.message);
  e = await rejects(() => openNoCors(api, env, env.databricks.replace(/warehouses\/[^&]+/, "warehouses/nope")), api.OperationalError, "unknown warehouse");
  ok(/HTTP 404/.test(e.message), e.message);
  e = await rejects(() => api.connect(env.databricks.replace(/http_path=[^&]+/, "http_path=sql/protocolv1/o/1/0123-abc")), api.NotSupportedError, "a cluster path");
}

export async function databricksAsync(api, env) {
  // Submitted without waiting (wait_timeout=0s): polled until it ends.
  const conn = await openDatabricks(api, env, {}, "&wait_timeout=0s");
  const cur = conn.cursor();
  eq(await scalar(conn, "SELECT sleep(700) AS slept"), 1, "polled to the end");
  const started = Date.now();
  const running = cur.execute("SELECT sleep(1500)");
  setTimeout(() => cur.cancel(), 300);
  let e = await within(5000, rejects(() => running, api.OperationalError, "cancel()"), "cancel()");
  eq(e.code, "57014", "cancelled");
  eq(await scalar(conn, "SELECT 'usable'"), "usable", "usable after cancel");
  // As for Databend: the next statement did not wait for the sleep, so /cancel stopped it.
  ok(Date.now() - started < 1400, "the server stopped the statement");
  await conn.close();
  // The next chunk (1,000 rows each) is asked for ahead; its bound is the server's answer, not
  // how long the caller takes over the chunk before it.
  const slow = await openDatabricks(api, env, { statementTimeout: 300 });
  await readsSlowly(slow, 2500, 1000, 700);
  await slow.close();
  const timed = await openDatabricks(api, env, { statementTimeout: 300 });
  e = await within(5000, rejects(() => timed.cursor().execute("SELECT sleep(1500)"), api.OperationalError, "timeout"), "timeout");
  ok(/timed out/.test(e.message), e.message);
  await timed.close();
}
