import { eq, fail, ok, rejects, show, within } from "./assert.js";
import { inBrowser, open, openNoCors, scalar } from "./support.js";

// ---- QuestDB over REST (testkit's QuestDB test server, proven by questdb-rest) ----

const openQuest = (api, env, options = {}, url = env.questdb) => openNoCors(api, env, url, options);

// The seed's SQLAlchemy flow (questdb-connect), through the cursor API.
export async function questdbSeedFlow(api, env) {
  const conn = await openQuest(api, env);
  eq(conn.autocommit, true, "no transactions over REST");
  const cur = conn.cursor();
  await cur.execute("CREATE TABLE IF NOT EXISTS some_table (x int, y int)");
  await cur.execute("SHOW TABLES");
  ok((await cur.fetchall()).some(([t]) => t === "some_table"), "SHOW TABLES lists it");
  await cur.executemany("INSERT INTO some_table (x, y) VALUES (:x, :y)", [{ x: 11, y: 12 }, { x: 13, y: 14 }]);
  await cur.execute("select * from some_table");
  eq(await cur.fetchall(), [[11, 12], [13, 14]], "rows");
  await cur.execute("SELECT x, y FROM some_table WHERE y > :y", { y: 12 });
  eq([await cur.fetchall(), cur.description.map((d) => [d.name, d.typeCode])], [[[13, 14]], [["x", "INT"], ["y", "INT"]]], "with a parameter");
  await cur.execute("UPDATE some_table SET y = ? WHERE x = ?", [0, 11]);
  eq(cur.rowcount, 1, "UPDATE reports its count");
  await cur.execute("DROP TABLE some_table");
  await rejects(() => conn.rollback(), api.NotSupportedError, "no transactions");
  await conn.close();
  // The seed's other URL, port 8812, is QuestDB's Postgres wire (pgQuestDialect): through the relay.
  const e = await rejects(() => api.connect(env.questdb.replace(/:\d+$/, ":8812") + "/qdb"), api.InterfaceError, "the seed's Postgres-wire port");
  ok(/relay/.test(e.message) && !e.message.includes("quest@"), e.message);
}

export async function questdbTypes(api, env) {
  const conn = await openQuest(api, env);
  const cur = conn.cursor();
  await cur.execute("DROP TABLE IF EXISTS q_types");
  await cur.execute(`CREATE TABLE q_types (id INT, b BOOLEAN, s SHORT, c CHAR, l LONG, d DOUBLE, ts TIMESTAMP, v VARCHAR,
    sym SYMBOL, u UUID, dec DECIMAL(40, 10), arr DOUBLE[][]) timestamp(ts) PARTITION BY DAY`);
  const when = new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 123));
  const text = "Zoë ☃ 𝄞 'q' \\ \"dq\" $1 ? -- /*";
  await cur.execute("INSERT INTO q_types VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [1, true, 7, "a", 9223372036854775807n, 0.1, when, text, "sym", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "123456789012345678901234567890.0123456789", [[1.5, 2], [3, 4]]]);
  await cur.execute("INSERT INTO q_types (id, v) VALUES (?, ?)", [2, ""]);
  await cur.execute("SELECT * FROM q_types ORDER BY id");
  eq(cur.description.map((d) => d.typeCode).join(","), "INT,BOOLEAN,SHORT,CHAR,LONG,DOUBLE,TIMESTAMP,VARCHAR,SYMBOL,UUID,DECIMAL,DOUBLE[][]", "type codes");
  const [r1, r2] = await cur.fetchall();
  eq(r1, [1, true, 7, "a", 9223372036854775807n, 0.1, "2024-02-29T12:30:15.123Z", text, "sym", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    "123456789012345678901234567890.0123456789", [[1.5, 2], [3, 4]]], "row 1: every value exact");
  // QuestDB's own nulls: BOOLEAN false, SHORT 0, CHAR '' — and '' stays '' in a VARCHAR.
  eq(r2, [2, false, 0, "", null, null, null, "", null, null, null, null], "row 2");
  await cur.execute("DROP TABLE q_types");
  await conn.close();
}

// Parameters are rendered into SQL (QuestDB has no bind parameters): they must stay values.
export async function questdbInjection(api, env) {
  const conn = await openQuest(api, env);
  const cur = conn.cursor();
  await cur.execute("CREATE TABLE IF NOT EXISTS q_inj (id INT, v VARCHAR)");
  await cur.execute("TRUNCATE TABLE q_inj");
  const attacks = ["' OR '1'='1", "'); DROP TABLE q_inj; --", "\\'; DROP TABLE q_inj; --", "''", "'", "\\", "?", ":v", "$1", "*/ DROP TABLE q_inj /*", "\n'\r\t", "ü'🎉"];
  await cur.executemany("INSERT INTO q_inj (id, v) VALUES (?, ?)", attacks.map((a, i) => [i, a]));
  await cur.execute("SELECT v FROM q_inj ORDER BY id");
  eq((await cur.fetchall()).map(([v]) => v), attacks, "every attack stored as the value it is");
  for (const a of attacks) {
    await cur.execute("SELECT count(*) FROM q_inj WHERE v = :v", { v: a });
    eq(Number((await cur.fetchone())[0]), 1, `exactly one match for ${JSON.stringify(a)}`);
  }
  for (const [v, cls] of [["nul\u0000byte", api.DataError], [-9223372036854775808n, api.DataError], [NaN, api.DataError], [new Uint8Array([1]), api.NotSupportedError]]) {
    await rejects(() => cur.execute("SELECT ?", [v]), cls, `refused: ${String(v)}`);
  }
  await cur.execute("DROP TABLE q_inj");
  await conn.close();
}

export async function questdbPaging(api, env) {
  const conn = await openQuest(api, env, { fetchSize: 1000 });
  const cur = conn.cursor();
  await cur.execute("SELECT x FROM long_sequence(2500)");
  eq(cur.rowcount, 2500, "the count comes with the first window");
  const sizes = [];
  let last = 0n;
  for (;;) {
    const rows = await cur.fetchmany(1000);
    if (rows.length === 0) break;
    sizes.push(rows.length);
    last = rows[rows.length - 1][0];
  }
  eq([sizes, last], [[1000, 1000, 500], 2500], "three windows, in order");
  await cur.execute("SELECT x FROM long_sequence(3000)");
  let n = 0;
  for await (const _ of cur) n++;
  eq(n, 3000, "async iteration");
  await cur.execute("SELECT x FROM long_sequence(0)");
  eq([await cur.fetchall(), cur.rowcount, cur.description.length], [[], 0, 1], "an empty result keeps its columns");
  await conn.close();
}

export async function questdbErrors(api, env) {
  const conn = await openQuest(api, env, { fetchSize: 1000 });
  const cur = conn.cursor();
  const sql = "SELECT ? AS a, x FROM nope WHERE x = ?";
  let e = await rejects(() => cur.execute(sql, ["a long value rendered into the SQL", 1]), api.ProgrammingError, "unknown table");
  eq([e.message, e.position], ["table does not exist [table=nope]", sql.indexOf("nope") + 1], "message, and position in the caller's SQL");
  e = await rejects(() => cur.execute("SELECT x FRM long_sequence(1)"), api.ProgrammingError, "syntax error");
  // A failure after rows: the rows come first, then the error.
  await cur.execute("SELECT fail_at(1500, x) FROM long_sequence(3000)");
  const got = (await cur.fetchmany(1000)).length;
  e = await rejects(() => cur.fetchmany(1000), api.OperationalError, "error after rows");
  eq([got, e.message], [1000, "fail_at: failed at row 1500"], "rows, then the server's error");
  await rejects(() => cur.execute("SELECT ?, ?", [1]), api.ProgrammingError, "param count");
  eq(await scalar(conn, "SELECT 'still usable'"), "still usable", "usable after errors");
  await conn.close();
  const wrong = env.questdb.replace(":quest@", ":not-the-password@");
  e = await rejects(() => openQuest(api, env, {}, wrong), api.OperationalError, "wrong password");
  ok(/authentication failed for user "admin" \(HTTP 401\)/.test(e.message) && !e.message.includes("not-the-password"), e.message);
  const timed = await openQuest(api, env, { statementTimeout: 200 });
  e = await within(5000, rejects(() => timed.cursor().execute("SELECT sleep(3000)"), api.OperationalError, "statement timeout"), "statement timeout");
  // The server's own message: it got Statement-Timeout and stopped the statement (the request
  // would only have been given up 1 s later).
  ok(/timeout, query aborted/.test(e.message), e.message);
  await timed.close();
}

export async function questdbImport(api, env) {
  const conn = await openQuest(api, env);
  const csv = "name,value,ts\nalpha,1,2024-01-01T00:00:00.000000Z\nbeta,2.5,2024-01-02T00:00:00.000000Z\ngamma,,2024-01-03T00:00:00.000000Z\n";
  const report = await conn.importCsv("q_imp", csv, { overwrite: true, timestamp: "ts", partitionBy: "DAY" });
  eq([report.status, report.rowsImported, report.rowsRejected, report.header], ["OK", 3, 0, true], "report");
  eq(report.columns.map((c) => c.type), ["STRING", "DOUBLE", "TIMESTAMP"], "inferred types");
  const again = await conn.importCsv("q_imp", new TextEncoder().encode("delta,4,2024-01-04T00:00:00.000000Z\n"));
  eq(again.rowsImported, 1, "bytes append to the table");
  eq(await scalar(conn, "SELECT sum(value) FROM q_imp"), 7.5, "imported values are queryable");
  await rejects(() => conn.importCsv("q_imp", csv, { atomicity: "sometimes" }), api.InterfaceError, "bad option");
  await rejects(() => conn.importCsv("q_imp", 42), api.ProgrammingError, "bad data");
  const crate = await api.connect(env.crate);
  await rejects(() => crate.importCsv("t", csv), api.NotSupportedError, "QuestDB only");
  await crate.close();
  await conn.cursor().execute("DROP TABLE q_imp");
  await conn.close();
}

export async function questdbCancel(api, env) {
  const conn = await openQuest(api, env);
  const cur = conn.cursor();
  const started = Date.now();
  const controller = new AbortController();
  const running = cur.execute("SELECT sleep(1500)", null, { signal: controller.signal });
  setTimeout(() => controller.abort(), 200);
  const e = await within(5000, rejects(() => running, api.OperationalError, "abort"), "abort");
  eq(e.code, "57014", "cancelled");
  ok(Date.now() - started < 1400, "returned early");
  eq(await scalar(conn, "SELECT 'usable'"), "usable", "usable after cancel");
  await conn.close();
}
