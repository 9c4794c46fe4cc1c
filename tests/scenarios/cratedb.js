import { eq, fail, ok, rejects, show, within } from "./assert.js";
import { inBrowser, open, openNoCors, scalar } from "./support.js";

// ---- CrateDB over HTTP (testkit's CrateDB test server, proven by crate-python) ----

// The seed's flow: crate-python's `connect(url, username=…, password=…)`, then sys.summits.
export async function crateSeedFlow(api, env) {
  const conn = await api.connect(env.crate);
  eq(conn.autocommit, true, "CrateDB always autocommits");
  const cursor = conn.cursor();
  await cursor.execute("SELECT * FROM sys.summits");
  eq(cursor.rowcount, 1605, "rowcount of the whole result");
  eq(await cursor.fetchone(), ["Mont Blanc", 4808, 4695, [6.86444, 45.8325], "U-01", "1.1", "Mont Blanc massif", "FR/IT", 1786], "first summit");
  eq(cursor.description.map((d) => [d.name, d.typeCode]).slice(0, 4),
    [["mountain", "text"], ["height", "integer"], ["prominence", "integer"], ["coordinates", "geo_point"]], "description");
  eq((await cursor.fetchall()).length, 1604, "the rest");
  await conn.commit(); // a no-op: every statement is committed as it runs
  const e = await rejects(() => conn.rollback(), api.NotSupportedError, "rollback");
  ok(/no transactions/.test(e.message), e.message);
  await conn.close();
  // The node URL forms: http:// as crate-python takes it, and no credentials (the default user).
  const anon = await api.connect(env.crateHttp);
  eq(await scalar(anon, "SELECT mountain FROM sys.summits WHERE height > ? ORDER BY height DESC LIMIT 1", [4700]), "Mont Blanc", "http:// URL");
  await anon.close();
}

export async function crateBooklist(api, env) {
  const conn = await api.connect(env.crate);
  const cur = conn.cursor();
  await cur.execute("DROP TABLE IF EXISTS booklist");
  await cur.execute("CREATE TABLE booklist (title TEXT, author TEXT, date TEXT)");
  eq([cur.description, cur.rowcount], [null, 1], "DDL: no description, rowcount 1");
  await cur.execute("INSERT INTO booklist (title, author, date) VALUES (?, ?, ?)", ["Readings in Database Systems", "Michael Stonebraker", "2004"]);
  eq(cur.rowcount, 1, "rowcount of INSERT");
  await cur.executemany("INSERT INTO booklist (title, author, date) VALUES (:title, :author, :date)", [
    { title: "Transaction Processing", author: "Jim Gray", date: "1992" },
    { title: "Architecture of a Database System", author: "Michael Stonebraker", date: "2007" },
  ]);
  eq(cur.rowcount, 2, "rowcount of executemany (bulk_args)");
  await cur.execute("REFRESH TABLE booklist");
  await cur.execute("SELECT title, date FROM booklist WHERE author = ? ORDER BY date", ["Michael Stonebraker"]);
  eq(cur.description.map((d) => [d.name, d.typeCode]), [["title", "text"], ["date", "text"]], "description");
  eq(await cur.fetchall(), [["Readings in Database Systems", "2004"], ["Architecture of a Database System", "2007"]], "rows");
  await cur.execute("UPDATE booklist SET date = ? WHERE author = ?", ["1993", "Nobody"]);
  eq(cur.rowcount, 0, "UPDATE matching nothing");
  await cur.execute("SELECT * FROM booklist WHERE author = ?", ["Nobody"]);
  eq([await cur.fetchall(), cur.rowcount, cur.description.length], [[], 0, 3], "empty result keeps its columns");
  await cur.execute("DROP TABLE booklist");
  await conn.close();
}

export async function crateTypes(api, env) {
  const conn = await api.connect(env.crate);
  const cur = conn.cursor();
  await cur.execute("DROP TABLE IF EXISTS crate_types");
  await cur.execute(`CREATE TABLE crate_types (id INTEGER PRIMARY KEY, b BOOLEAN, i2 SMALLINT, i8 BIGINT, d DOUBLE PRECISION,
    n NUMERIC(70, 30), t TEXT, ts TIMESTAMP WITH TIME ZONE, tsn TIMESTAMP WITHOUT TIME ZONE, o OBJECT(DYNAMIC),
    tags ARRAY(TEXT), nums BIGINT[], p GEO_POINT, u UUID)`);
  const big = "123456789012345678901234567890.123456789012345678901234567891";
  const when = new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 123));
  await cur.executemany("INSERT INTO crate_types (id, b, i2, i8, d, n, t, ts, tsn, o, tags, nums, p, u) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
    [1, true, -32768, 9223372036854775807n, 0.1, big, "Zoë ☃ 𝄞 \"q\" \\", when, when, { k: [1, null, "x"], deep: { big: 1 } },
      ["a,b", null, ""], [-9223372036854775808n, null], [9.5, 47.25], "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
    [2, false, 32767, -9223372036854775808n, -1e308, "-0.000000000000000000000000000001", "", null, null, {}, [], [], null, null],
    [3, null, null, null, null, null, null, null, null, null, null, null, null, null],
  ]);
  eq(cur.rowcount, 3, "inserted");
  await cur.execute("SELECT id, b, i2, i8, d, n, t, ts, tsn, o, tags, nums, p, u FROM crate_types ORDER BY id");
  eq(cur.description.map((d) => d.typeCode).join(", "),
    "integer, boolean, smallint, bigint, double precision, numeric, text, timestamp with time zone, timestamp without time zone, object, array(text), array(bigint), geo_point, uuid",
    "type codes");
  const [r1, r2, r3] = await cur.fetchall();
  eq(r1, [1, true, -32768, 9223372036854775807n, 0.1, big, "Zoë ☃ 𝄞 \"q\" \\", "2024-02-29T12:30:15.123Z", "2024-02-29T12:30:15.123",
    { k: [1, null, "x"], deep: { big: 1 } }, ["a,b", null, ""], [-9223372036854775808n, null], [9.5, 47.25],
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"], "row 1");
  eq(r2, [2, false, 32767, -9223372036854775808n, -1e308, "-0.000000000000000000000000000001", "", null, null, {}, [], [], null, null], "row 2: '' is not NULL");
  ok(r3.slice(1).every((v) => v === null), "row 3 all NULL");
  await conn.close();

  // The value options apply to every backend.
  const opt = await api.connect(env.crate, { int64: "string", dates: "date", rowMode: "object", json: "string" });
  const oc = opt.cursor();
  await oc.execute("SELECT id, i8, ts, o FROM crate_types WHERE id = ?", [1]);
  const row = await oc.fetchone();
  eq([row.id, row.i8, row.o], [1, "9223372036854775807", '{"k":[1,null,"x"],"deep":{"big":1}}'], "int64 string, object as JSON text");
  ok(row.ts instanceof Date && row.ts.getTime() === when.getTime(), "timestamp as Date");
  await oc.execute("DROP TABLE crate_types");
  await opt.close();
}

export async function crateStreaming(api, env) {
  const conn = await api.connect(env.crate, { fetchSize: 100 });
  const cur = conn.cursor();
  await cur.execute("SELECT mountain, height FROM sys.summits ORDER BY mountain");
  const sizes = [];
  for (;;) {
    const rows = await cur.fetchmany(500);
    if (rows.length === 0) break;
    sizes.push(rows.length);
  }
  eq(sizes, [500, 500, 500, 105], "fetchmany pages");
  await cur.execute("SELECT height FROM sys.summits");
  let n = 0;
  let sum = 0;
  for await (const [h] of cur) {
    n++;
    sum += h;
  }
  eq(n, 1605, "async iteration sees every row");
  eq(sum, await scalar(conn, "SELECT sum(height) FROM sys.summits"), "every height, as the server sums them");
  // Two cursors on one connection keep their own results.
  const a = conn.cursor();
  const b = conn.cursor();
  await a.execute("SELECT mountain FROM sys.summits WHERE height > ? ORDER BY height DESC", [4600]);
  await b.execute("SELECT count(*) FROM sys.summits");
  eq(Number((await b.fetchone())[0]), 1605, "count(*)");
  eq(await a.fetchall(), [["Mont Blanc"], ["Monte Rosa"]], "first cursor's rows survive the second");
  await conn.close();
}

export async function crateErrors(api, env) {
  const conn = await api.connect(env.crate);
  const cur = conn.cursor();
  let e = await rejects(() => cur.execute("SELEC 1"), api.ProgrammingError, "syntax error");
  eq(e.code, "4000", "CrateDB's code");
  ok(/SQLParseException/.test(e.message), e.message);
  e = await rejects(() => cur.execute("SELECT * FROM no_such_table"), api.ProgrammingError, "unknown table");
  eq([e.code, e.message], ["4041", "RelationUnknown[Relation 'doc.no_such_table' unknown]"], "4041");
  await cur.execute("CREATE TABLE IF NOT EXISTS crate_u (id INTEGER PRIMARY KEY, v TEXT)");
  await cur.execute("DELETE FROM crate_u");
  await cur.execute("INSERT INTO crate_u (id, v) VALUES (?, ?)", [1, "a"]);
  e = await rejects(() => cur.execute("INSERT INTO crate_u (id, v) VALUES (?, ?)", [1, "b"]), api.IntegrityError, "duplicate key");
  eq(e.code, "4091", "4091");
  e = await rejects(() => cur.executemany("INSERT INTO crate_u (id, v) VALUES (?, ?)", [[2, "x"], [3, "y"], [1, "dup"]]), api.IntegrityError, "bulk with a duplicate");
  ok(/parameter set 3 of 3 failed, 1 failed in all, 2 row\(s\) written/.test(e.message), e.message);
  eq(e.detail, "rowcount per parameter set (-2: failed): 1, 1, -2", "every row's outcome");
  eq(e.code, "4091", "bulk error code");
  // CrateDB sends nothing but the error when a statement fails after producing rows.
  e = await rejects(() => cur.execute("SELECT mountain, fail_at(1000, rowid) FROM sys.summits"), api.OperationalError, "failure mid-result");
  eq(e.code, "5001", "task failed");
  e = await rejects(() => cur.execute("SELECT 1 /* fault:malformed */"), api.OperationalError, "malformed reply");
  ok(/malformed reply from server/.test(e.message), e.message);
  eq(e.origin, "malformed", "a malformed reply says so");
  e = await rejects(() => cur.execute("SELECT 1 /* fault:drop */"), api.OperationalError, "dropped mid-body");
  ok(/connection lost: http:\/\/127\.0\.0\.1:\d+ broke off its reply/.test(e.message), e.message);
  eq(e.origin, "network", "a reply broken off is the network");
  // Checked before anything is sent.
  e = await rejects(() => cur.execute("SELECT ?, ?", [1]), api.ProgrammingError, "param count");
  e = await rejects(() => cur.execute("SELECT ?", [new Uint8Array([1])]), api.NotSupportedError, "bytes");
  ok(/no binary type/.test(e.message), e.message);
  await rejects(() => cur.fetchone(), api.ProgrammingError, "fetch after a failed statement");
  eq(await scalar(conn, "SELECT v FROM crate_u WHERE id = ?", [3]), "y", "usable after every error");
  await cur.execute("DROP TABLE crate_u");
  await conn.close();
}

export async function crateConnectFailures(api, env) {
  const wrong = env.crate.replace("webdbc-secret", "not-the-password");
  let e = await rejects(() => api.connect(wrong), api.OperationalError, "wrong password");
  ok(e.message.startsWith('authentication failed for user "webdbc" (HTTP 401)'), e.message);
  ok(!e.message.includes("not-the-password"), "no password in the message");
  e = await rejects(() => api.connect(env.crateDead), api.OperationalError, "nothing listening");
  ok(/could not reach http:\/\/127\.0\.0\.1:\d+/.test(e.message) && /CORS/.test(e.message), e.message);
  e = await rejects(() => api.connect(env.crate + "?nope=1"), api.InterfaceError, "unknown URL parameter");
  ok(/unknown CrateDB URL parameter "nope"/.test(e.message) && !e.message.includes("webdbc-secret"), e.message);
  e = await rejects(() => api.connect(env.crate, { autocommit: false }), api.NotSupportedError, "autocommit off");
  await rejects(() => api.connect("crate://h:99999"), api.InterfaceError, "bad port");
}

export async function crateCancel(api, env) {
  const conn = await api.connect(env.crate);
  const cur = conn.cursor();
  let started = Date.now();
  const running = cur.execute("SELECT sleep(1500)");
  setTimeout(() => cur.cancel(), 200);
  let e = await within(5000, rejects(() => running, api.OperationalError, "cancel()"), "cancel()");
  eq([e.code, e.origin], ["57014", "cancelled"], "cancelled");
  ok(Date.now() - started < 1400, "cancel() returned before the statement would have ended");

  const controller = new AbortController();
  started = Date.now();
  const aborted = cur.execute("SELECT sleep(1500)", null, { signal: controller.signal });
  setTimeout(() => controller.abort(), 200);
  e = await within(5000, rejects(() => aborted, api.OperationalError, "AbortSignal"), "AbortSignal");
  eq(e.code, "57014", "aborted by signal");
  ok(Date.now() - started < 1400, "aborted early");
  eq(await scalar(conn, "SELECT 'usable after cancel'"), "usable after cancel", "usable after cancel");
  await conn.close();

  const timed = await api.connect(env.crate, { statementTimeout: 200 });
  e = await within(5000, rejects(() => timed.cursor().execute("SELECT sleep(1500)"), api.OperationalError, "statement timeout"), "statement timeout");
  ok(/timed out after 200 ms/.test(e.message), e.message);
  eq(e.origin, "timeout", "the client's own deadline");
  await timed.close();

  const closing = await api.connect(env.crate);
  const during = closing.cursor().execute("SELECT sleep(1500)");
  await new Promise((resolve) => setTimeout(resolve, 200));
  await within(1000, closing.close(), "close() during a running statement");
  e = await within(1000, rejects(() => during, api.OperationalError, "the running statement"), "the running statement");
  ok(/connection lost/.test(e.message), e.message);
}

// A node that sends no CORS headers (CrateDB's default), reached through the relay's HTTP forwarding.
export async function crateThroughRelay(api, env) {
  if (typeof document !== "undefined") {
    const e = await rejects(() => api.connect(env.crateNoCors), api.OperationalError, "CORS block");
    ok(/CORS/.test(e.message) && /relay/.test(e.message), e.message);
  }
  const conn = await api.connect(env.crateNoCors, { relay: env.relay });
  const cur = conn.cursor();
  await cur.execute("SELECT * FROM sys.summits");
  eq((await cur.fetchone()).slice(0, 2), ["Mont Blanc", 4808], "seed flow through the relay");
  await cur.execute("CREATE TABLE IF NOT EXISTS relayed (id INTEGER PRIMARY KEY, v TEXT)");
  await cur.execute("DELETE FROM relayed");
  await cur.executemany("INSERT INTO relayed (id, v) VALUES (?, ?)", [[1, "a"], [2, "b"]]);
  eq(cur.rowcount, 2, "executemany through the relay");
  const e = await rejects(() => cur.execute("SELECT * FROM nowhere"), api.ProgrammingError, "server error through the relay");
  eq(e.code, "4041", "the server's code");
  await conn.close();
  const wrong = env.crateNoCors.replace("webdbc-secret", "not-the-password");
  const denied = await rejects(() => api.connect(wrong, { relay: env.relay }), api.OperationalError, "401 through the relay");
  ok(/authentication failed/.test(denied.message) && !denied.message.includes("not-the-password"), denied.message);
  const refused = await rejects(() => api.connect(env.crate, { relay: env.relay }), api.OperationalError, "not an HTTP target");
  ok(/relay refused HTTP target/.test(refused.message), refused.message);
}
