// End-to-end scenarios against a real PostgreSQL through webdbc-relay, written once and run in
// Node (tests/node/scenarios.test.mjs) and in headless Chromium (tests/browser.rs, wasm-bindgen-test).
// Each takes `api` (connect, the error classes, wasmMemoryBytes) and `env` (URLs from
// webdbc-testenv) and throws on failure. This file imports nothing: it is loaded as a snippet.

class AssertionError extends Error {}

function fail(msg) {
  throw new AssertionError(msg);
}

function show(v) {
  return JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? `bytes[${[...x]}]` : x));
}

function eq(actual, expected, what) {
  if (show(actual) !== show(expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

function ok(cond, what) {
  if (!cond) fail(what);
}

/** Runs `fn`, expects it to reject with an instance of `cls`; returns the error. */
async function rejects(fn, cls, what) {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof cls)) fail(`${what}: expected ${cls.name}, got ${e?.name}: ${e?.message}`);
    return e;
  }
  fail(`${what}: expected ${cls.name}, but it succeeded`);
}

async function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new AssertionError(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const open = (api, env, url = env.pg, options = {}) => api.connect(url, { relay: env.relay, ...options });

async function scalar(conn, sql, params) {
  const cur = conn.cursor();
  await cur.execute(sql, params);
  const row = await cur.fetchone();
  await cur.close();
  return row[0];
}

// The booklist tutorial of the Databend seed, through PostgreSQL.
export async function booklist(api, env) {
  const conn = await open(api, env);
  eq(conn.autocommit, false, "PEP 249 default autocommit");
  const cur = conn.cursor();
  await cur.execute("CREATE TABLE booklist (title VARCHAR(100), author VARCHAR(100), date VARCHAR(100))");
  eq(cur.description, null, "DDL has no description");
  await cur.execute("INSERT INTO booklist VALUES (?, ?, ?)", ["Readings in Database Systems", "Michael Stonebraker", "2004"]);
  eq(cur.rowcount, 1, "rowcount of INSERT");
  await cur.executemany("INSERT INTO booklist VALUES (:title, :author, :date)", [
    { title: "Transaction Processing", author: "Jim Gray", date: "1992" },
    { title: "Architecture of a Database System", author: "Michael Stonebraker", date: "2007" },
  ]);
  eq(cur.rowcount, 2, "rowcount of executemany");
  await conn.commit();
  await cur.execute("SELECT title, date FROM booklist WHERE author = ? ORDER BY date", ["Michael Stonebraker"]);
  eq(cur.description.map((d) => [d.name, d.typeCode, d.displaySize]), [["title", "varchar", 100], ["date", "varchar", 100]], "description");
  eq(Object.keys(cur.description[0]), ["name", "typeCode", "displaySize", "internalSize", "precision", "scale", "nullOk"], "PEP 249 fields");
  eq(await cur.fetchall(), [["Readings in Database Systems", "2004"], ["Architecture of a Database System", "2007"]], "rows");
  eq(cur.rowcount, 2, "rowcount of SELECT");
  await cur.execute("SELECT count(*) FROM booklist");
  eq(await cur.fetchone(), [3n], "count(*) is int8, a BigInt by default");
  await cur.execute("DROP TABLE booklist");
  await conn.commit();
  await conn.close();
  ok(conn.closed, "closed after close()");
  await conn.close(); // closing twice is fine
}

export async function authMethods(api, env) {
  for (const [url, user] of [[env.pg, "webdbc"], [env.pgMd5, "md5_user"], [env.pgCleartext, "clear_user"]]) {
    const conn = await open(api, env, url);
    eq(await scalar(conn, "SELECT current_user"), user, "current_user");
    await conn.close();
  }
}

export async function typesRoundTrip(api, env) {
  const conn = await open(api, env, env.pg, { autocommit: true });
  const cur = conn.cursor();
  await cur.execute(`CREATE TEMP TABLE t (
    b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric, tx text, vc varchar(10), ch char(3),
    by bytea, d date, tm time, ts timestamp, tz timestamptz, iv interval, u uuid, j json, jb jsonb,
    ai int4[], at text[], an numeric[], ab bool[])`);
  const bigNumeric = "123456789012345678901234567890.000000000000000000000000000001";
  const rowsIn = [
    [true, -32768, 2147483647, -9223372036854775808n, 1.5, 0.1, bigNumeric, "Zoë ☃ 𝄞", "", "ab",
      new Uint8Array([0, 1, 0, 255]), "2024-02-29", "23:59:59.999999", "2024-02-29 12:34:56.789012",
      "2024-02-29T12:34:56.789012+02:00", "P1Y2M3DT4H5M6.5S", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      { a: [1, "x"] }, { k: null }, [1, null, 3], ["a,b", null, "q\"\\", ""], ["1.10", null], [true, null]],
    [false, 32767, -2147483648, 9223372036854775807n, Infinity, NaN, "-0.5", "", null, null,
      new Uint8Array([]), "infinity", "00:00:00", "-infinity", "infinity", "PT0S", null, "[]", "\"s\"", [], [], [], []],
    [null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null],
  ];
  await cur.executemany(`INSERT INTO t VALUES (${rowsIn[0].map(() => "?").join(", ")})`, rowsIn);
  eq(cur.rowcount, 3, "inserted");
  await cur.execute("SELECT * FROM t ORDER BY b DESC NULLS LAST");
  eq(cur.description.map((d) => d.typeCode).join(" "),
    "bool int2 int4 int8 float4 float8 numeric text varchar bpchar bytea date time timestamp timestamptz interval uuid json jsonb int4[] text[] numeric[] bool[]",
    "type codes");
  const [r1, r2, r3] = [await cur.fetchone(), await cur.fetchone(), await cur.fetchone()];
  eq(await cur.fetchone(), null, "end of rows");
  eq(r1, [true, -32768, 2147483647, -9223372036854775808n, 1.5, 0.1, bigNumeric, "Zoë ☃ 𝄞", "", "ab ",
    new Uint8Array([0, 1, 0, 255]), "2024-02-29", "23:59:59.999999", "2024-02-29T12:34:56.789012",
    "2024-02-29T10:34:56.789012Z", "P1Y2M3DT4H5M6.5S", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    { a: [1, "x"] }, { k: null }, [1, null, 3], ["a,b", null, "q\"\\", ""], ["1.10", null], [true, null]], "row 1");
  ok(r2[0] === false && r2[4] === Infinity && Number.isNaN(r2[5]), "bool false, float Infinity and NaN");
  eq(r2.slice(6, 13), ["-0.5", "", null, null, new Uint8Array([]), "infinity", "00:00:00"], "row 2 middle");
  eq(r2.slice(13), ["-infinity", "infinity", "PT0S", null, [], "s", [], [], [], []], "row 2 end");
  eq(r2[3], 9223372036854775807n, "int8 max");
  ok(r3.every((v) => v === null), "row 3 all NULL");
  // Parameters go both ways through SELECT too, with NULL.
  await cur.execute("SELECT ?::int8, ?::text, ?::bytea, ?::numeric", [9223372036854775806n, null, new Uint8Array([0]), "0.000000000000000000001"]);
  eq(await cur.fetchone(), [9223372036854775806n, null, new Uint8Array([0]), "0.000000000000000000001"], "select params");
  await cur.execute("SELECT ?::timestamptz, ?::bytea", [new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), new Uint8Array([7, 0, 9]).buffer]);
  eq(await cur.fetchone(), ["2024-01-02T03:04:05.678Z", new Uint8Array([7, 0, 9])], "Date and ArrayBuffer params");
  await conn.close();
}

export async function valueOptions(api, env) {
  const big = "SELECT 9007199254740993::int8 AS big, 42::int8 AS small, 0.5::numeric AS half, 0.1::numeric AS tenth, 1.10::numeric(5,2) AS dec2, "
    + "'2024-01-02 03:04:05.678999+00'::timestamptz AS tz, '2024-01-02'::date AS d, '[1]'::jsonb AS j";
  let conn = await open(api, env, env.pg, { int64: "string", json: "string", rowMode: "object" });
  let cur = conn.cursor();
  await cur.execute(big);
  eq(await cur.fetchone(), { big: "9007199254740993", small: "42", half: "0.5", tenth: "0.1", dec2: "1.10",
    tz: "2024-01-02T03:04:05.678999Z", d: "2024-01-02", j: "[1]" }, "string modes, object rows");
  await conn.close();
  conn = await open(api, env, env.pg, { int64: "number", numeric: "number", dates: "date" });
  cur = conn.cursor();
  const e = await rejects(() => cur.execute(big).then(() => cur.fetchall()), api.DataError, "int8 beyond 2^53 as number");
  ok(/does not fit a JS number/.test(e.message), e.message);
  await cur.execute("SELECT 42::int8, 0.5::numeric, 1.10::numeric(5,2), '2024-01-02 03:04:05.678999+00'::timestamptz, '2024-01-02'::date");
  const row = await cur.fetchone();
  eq(row.slice(0, 3), [42, 0.5, 1.1], "numbers");
  ok(row[3] instanceof Date && row[3].toISOString() === "2024-01-02T03:04:05.678Z", `timestamptz as Date: ${row[3]}`);
  ok(row[4] instanceof Date && row[4].toISOString() === "2024-01-02T00:00:00.000Z", "date as Date");
  await cur.execute("SELECT 0.1::numeric * 3");
  eq(await cur.fetchone(), [0.3], "0.3 is exact enough: the decimal is the shortest form of the double");
  await cur.execute("SELECT 12345678901234567890.5::numeric");
  await rejects(() => cur.fetchone(), api.DataError, "inexact numeric as number");
  await conn.close();
  await rejects(() => open(api, env, env.pg, { int64: "float" }), api.InterfaceError, "bad option value");
  const unknown = await rejects(() => open(api, env, env.pg, { relya: "x" }), api.InterfaceError, "unknown option");
  ok(unknown.message.includes('"relya"'), unknown.message);
}

export async function streaming(api, env) {
  const conn = await open(api, env);
  const cur = conn.cursor();
  await cur.execute("SELECT g::int8, md5(g::text) FROM generate_series(1, 100000) g");
  eq(cur.rowcount, -1, "rowcount unknown while streaming");
  let n = 0, sum = 0n;
  const first = await cur.fetchmany(10);
  eq(first.length, 10, "fetchmany(10)");
  for (const r of first) { n++; sum += r[0]; }
  for await (const r of cur) {
    n++;
    sum += r[0];
  }
  eq([n, sum], [100000, 5000050000n], "every row once, in order-independent sum");
  eq(cur.rowcount, 100000, "rowcount once complete");
  await conn.close();
}

export async function boundedMemory(api, env) {
  const conn = await open(api, env, env.pg, { fetchSize: 2000 });
  const cur = conn.cursor();
  const before = await api.wasmMemoryBytes();
  await cur.execute("SELECT g::int8, 'row number ' || lpad(g::text, 9, '0') FROM generate_series(1, 1000000) g");
  let n = 0;
  for (;;) {
    const rows = await cur.fetchmany(5000);
    if (rows.length === 0) break;
    n += rows.length;
  }
  const grown = (await api.wasmMemoryBytes()) - before;
  eq(n, 1000000, "rows streamed");
  // Held whole, a million rows need well over 100 MB of wasm heap; streamed, under 1 MB.
  ok(grown < 8 * 1024 * 1024, `wasm heap grew by ${grown} bytes while streaming a million rows`);
  await conn.close();
}

export async function transactions(api, env) {
  const conn = await open(api, env);
  const peek = await open(api, env, env.pg, { autocommit: true });
  const cur = conn.cursor();
  await cur.execute("CREATE TABLE IF NOT EXISTS tx_demo (x int)");
  await cur.execute("TRUNCATE tx_demo");
  await conn.commit();
  await cur.execute("INSERT INTO tx_demo VALUES (1), (2)");
  eq(await scalar(peek, "SELECT count(*) FROM tx_demo"), 0n, "uncommitted rows are invisible elsewhere");
  await conn.rollback();
  eq(await scalar(conn, "SELECT count(*) FROM tx_demo"), 0n, "rolled back");
  await cur.execute("INSERT INTO tx_demo VALUES (3)");
  await conn.commit();
  eq(await scalar(peek, "SELECT sum(x) FROM tx_demo"), 3n, "committed");
  // autocommit: every statement commits on its own.
  await conn.commit();
  conn.autocommit = true;
  await cur.execute("INSERT INTO tx_demo VALUES (4)");
  eq(await scalar(peek, "SELECT sum(x) FROM tx_demo"), 7n, "autocommit");
  await cur.execute("BEGIN");
  await cur.execute("INSERT INTO tx_demo VALUES (5)");
  const e = await rejects(async () => { conn.autocommit = false; }, api.ProgrammingError, "autocommit switch inside a transaction");
  ok(/commit\(\) or rollback\(\)/.test(e.message), e.message);
  await conn.rollback();
  eq(await scalar(peek, "SELECT sum(x) FROM tx_demo"), 7n, "explicit BEGIN rolled back");
  await cur.execute("DROP TABLE tx_demo");
  await conn.close();
  await peek.close();
}

export async function serverErrors(api, env) {
  const conn = await open(api, env, env.pg, { autocommit: true });
  const cur = conn.cursor();
  await cur.execute("CREATE TEMP TABLE u (id int PRIMARY KEY, v text NOT NULL)");
  await cur.execute("INSERT INTO u VALUES (?, ?)", [1, "a"]);
  let e = await rejects(() => cur.execute("INSERT INTO u VALUES (?, ?)", [1, "b"]), api.IntegrityError, "duplicate key");
  eq([e.code, e.sqlstate, e.constraint, e.table, e.severity], ["23505", "23505", "u_pkey", "u", "ERROR"], "integrity fields");
  ok(e.detail.includes("Key (id)=(1) already exists"), e.detail);
  ok(e instanceof api.DatabaseError && e instanceof api.WebdbcError && e instanceof Error, "class hierarchy");
  const bad = "SELECT ?, ? FROM u WHER id = 1";
  e = await rejects(() => cur.execute(bad, [1, 2]), api.ProgrammingError, "syntax error");
  eq([e.code, e.position], ["42601", bad.indexOf("id =") + 1], "syntax error code and position in the caller's SQL");
  e = await rejects(() => cur.execute("SELECT 1/0"), api.DataError, "division by zero");
  eq(e.code, "22012", "22012");
  e = await rejects(() => cur.execute("SELECT nope FROM u"), api.ProgrammingError, "undefined column");
  eq(e.code, "42703", "42703");
  e = await rejects(() => cur.execute("SELECT length(1, 2, 3)"), api.ProgrammingError, "no such function");
  eq([e.code, e.hint], ["42883", "No function matches the given name and argument types. You might need to add explicit type casts."], "the server's hint");
  // Mismatched parameters never reach the server.
  e = await rejects(() => cur.execute("SELECT ?, ?", [1]), api.ProgrammingError, "param count");
  ok(/2 parameter placeholder\(s\) but 1/.test(e.message), e.message);
  await rejects(() => cur.execute("SELECT :a", { b: 1 }), api.ProgrammingError, "missing named param");
  eq(await scalar(conn, "SELECT '?' || ?", ["!"]), "?!", "? inside a literal is left alone");
  eq(await scalar(conn, "SELECT :a::int + :a", { a: 20 }), 40, ":name with casts, used twice");
  await rejects(() => cur.fetchall(), api.ProgrammingError, "fetch after a failed statement");
  await conn.close();
  await rejects(() => cur.execute("SELECT 1"), api.InterfaceError, "cursor of a closed connection");
  await rejects(async () => conn.cursor(), api.InterfaceError, "cursor() on a closed connection");
  const c2 = await open(api, env);
  const cur2 = c2.cursor();
  await cur2.close();
  const closed = await rejects(() => cur2.execute("SELECT 1"), api.InterfaceError, "closed cursor");
  ok(/cursor is closed/.test(closed.message), closed.message);
  await c2.close();
}

export async function connectFailures(api, env) {
  let e = await rejects(() => open(api, env, env.pgWrongPassword), api.OperationalError, "wrong password");
  eq(e.code, "28P01", "SQLSTATE of a wrong password");
  ok(e.message.includes('password authentication failed for user "webdbc"'), e.message);
  ok(!e.message.includes("not-the-password"), "no password in the message");
  e = await rejects(() => open(api, env, env.pgDenied), api.OperationalError, "relay-refused target");
  ok(/relay .*refused/.test(e.message) && /allow-list/.test(e.message), e.message);
  ok(!e.message.includes("webdbc-secret"), "no password in the message");
  e = await rejects(() => open(api, env, env.pgDead), api.OperationalError, "target down");
  ok(/could not reach the database/.test(e.message), e.message);
  e = await within(10000, rejects(() => open(api, env, env.pgGarbage), api.OperationalError, "garbage server"), "garbage server");
  ok(/does not speak the PostgreSQL protocol/.test(e.message), e.message);
  e = await rejects(() => api.connect("postgres://u:pw@h:notaport/db", { relay: env.relay }), api.InterfaceError, "bad port");
  ok(/invalid port/.test(e.message), e.message);
  await rejects(() => api.connect("not a url", { relay: env.relay }), api.InterfaceError, "not a URL");
  e = await rejects(() => api.connect(env.pg), api.InterfaceError, "no relay");
  ok(/relay/.test(e.message), e.message);
  e = await rejects(() => open(api, env, env.pg + "?sslmode=verify-full"), api.NotSupportedError, "TLS in the stream");
  e = await rejects(() => open(api, env, "postgres://webdbc:webdbc-secret@127.0.0.1:1/webdbc", { relay: "ws://127.0.0.1:1/v1/connect" }), api.OperationalError, "relay down");
  ok(/cannot reach the relay/.test(e.message), e.message);
  // A relay URL's token or user info never reaches an error message.
  for (const relay of ["relay.example/v1/connect?token=S3CRET", "ws://user:S3CRET@127.0.0.1:1/v1/connect?token=S3CRET"]) {
    e = await rejects(() => api.connect(env.pg, { relay }), api.WebdbcError, `bad relay ${relay}`);
    ok(!e.message.includes("S3CRET"), e.message);
  }
}

export async function killedMidResult(api, env) {
  // The proxy in front of the server cuts the connection after 256 KiB of result.
  const conn = await open(api, env, env.pgCut);
  const cur = conn.cursor();
  const e = await within(20000, rejects(async () => {
    await cur.execute("SELECT g, repeat('x', 50) FROM generate_series(1, 1000000) g");
    for (;;) if ((await cur.fetchmany(10000)).length === 0) fail("the result cannot end normally");
  }, api.OperationalError, "cut mid-result"), "cut mid-result");
  ok(/connection lost/.test(e.message), e.message);
  await rejects(() => cur.execute("SELECT 1"), api.OperationalError, "the connection stays failed");
  await conn.close();

  // The server itself ends the backend mid-result.
  const victim = await open(api, env);
  const killer = await open(api, env, env.pg, { autocommit: true });
  const vcur = victim.cursor();
  await vcur.execute("SELECT pg_backend_pid()");
  const [pid] = await vcur.fetchone();
  await vcur.execute("SELECT g FROM generate_series(1, 10000000) g");
  await vcur.fetchmany(10);
  await scalar(killer, "SELECT pg_terminate_backend(?)", [pid]);
  const killed = await within(20000, rejects(async () => {
    for (;;) if ((await vcur.fetchmany(100000)).length === 0) fail("the result cannot end normally");
  }, api.OperationalError, "terminated backend"), "terminated backend");
  ok(killed.code === "57P01" || /connection lost/.test(killed.message), `${killed.code} ${killed.message}`);
  await victim.close();
  await killer.close();
}

export async function cancel(api, env) {
  const conn = await open(api, env);
  const cur = conn.cursor();
  const running = cur.execute("SELECT pg_sleep(30)");
  setTimeout(() => cur.cancel(), 300);
  let e = await within(10000, rejects(() => running, api.OperationalError, "cancel()"), "cancel()");
  eq(e.code, "57014", "query_canceled");
  await conn.rollback();
  eq(await scalar(conn, "SELECT 'usable after cancel'"), "usable after cancel", "usable after cancel");

  const controller = new AbortController();
  const aborted = cur.execute("SELECT pg_sleep(30)", null, { signal: controller.signal });
  setTimeout(() => controller.abort(), 300);
  e = await within(10000, rejects(() => aborted, api.OperationalError, "AbortSignal"), "AbortSignal");
  eq(e.code, "57014", "query_canceled by signal");
  await conn.rollback();
  await rejects(() => cur.execute("SELECT 1", null, { signal: controller.signal }), api.OperationalError, "already aborted");
  await conn.close();

  const timed = await open(api, env, env.pg, { statementTimeout: 200 });
  e = await within(10000, rejects(() => timed.cursor().execute("SELECT pg_sleep(5)"), api.OperationalError, "statement timeout"), "statement timeout");
  eq(e.code, "57014", "statement timeout code");
  ok(/statement timeout/.test(e.message), e.message);
  await timed.close();
}

export async function closeWhileRunning(api, env) {
  const conn = await open(api, env);
  const running = conn.cursor().execute("SELECT pg_sleep(30)");
  await new Promise((resolve) => setTimeout(resolve, 200));
  await within(5000, conn.close(), "close() during a running statement");
  ok(conn.closed, "closed");
  const e = await within(5000, rejects(() => running, api.OperationalError, "the running statement"), "the running statement");
  ok(/connection lost/.test(e.message), e.message);
}

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
  e = await rejects(() => cur.execute("SELECT 1 /* fault:drop */"), api.OperationalError, "dropped mid-body");
  ok(/connection lost: http:\/\/127\.0\.0\.1:\d+ broke off its reply/.test(e.message), e.message);
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
  eq(e.code, "57014", "cancelled");
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

// ---- Databend over HTTP (testkit's Databend test server, proven by databend-driver and databend-py) ----

// Databend and QuestDB send no CORS headers: pages go through the relay's HTTP forwarding, Node
// goes direct.
const inBrowser = typeof document !== "undefined";
const openNoCors = (api, env, url, options = {}) => api.connect(url, inBrowser ? { relay: env.relay, ...options } : options);
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
  const timed = await openDatabricks(api, env, { statementTimeout: 300 });
  e = await within(5000, rejects(() => timed.cursor().execute("SELECT sleep(1500)"), api.OperationalError, "timeout"), "timeout");
  ok(/timed out/.test(e.message), e.message);
  await timed.close();
}

// ---- Apache Ignite 3 through the relay (testkit's Ignite node, proven by pyignite_dbapi) ----

const openIgnite = (api, env, options = {}, url = env.ignite) => api.connect(url, { relay: env.relay, ...options });

// The seed's Person examples, through the cursor API.
export async function igniteSeedFlow(api, env) {
  const conn = await openIgnite(api, env, { timeout: 10 });
  eq(conn.autocommit, true, "autocommit on by default, as the seed's driver");
  const cursor = conn.cursor();
  await cursor.execute("DROP TABLE IF EXISTS Person");
  await cursor.execute(`
          CREATE TABLE Person(
              id INT PRIMARY KEY,
              name VARCHAR,
              age INT
          )
      `);
  eq(cursor.description, null, "DDL");
  await cursor.executemany("INSERT INTO Person VALUES(?, ?, ?)", [[1, "John", 30], [2, "Jane", 32], [3, "Bob", 28]]);
  eq(cursor.rowcount, 3, "SQL_EXEC_BATCH counts");
  await cursor.execute("SELECT * FROM Person ORDER BY id");
  eq(cursor.description.map((d) => [d.name, d.typeCode, d.nullOk]), [["ID", "INTEGER", false], ["NAME", "VARCHAR", true], ["AGE", "INTEGER", true]], "description");
  eq(await cursor.fetchall(), [[1, "John", 30], [2, "Jane", 32], [3, "Bob", 28]], "rows");
  conn.autocommit = false;
  await cursor.execute("INSERT INTO Person VALUES(?, ?, ?)", [4, "Alice", 29]);
  await cursor.execute("INSERT INTO Person VALUES(?, ?, ?)", [5, "Charlie", 31]);
  await conn.commit();
  await cursor.execute("INSERT INTO Person VALUES(?, ?, ?)", [6, "Dan", 40]);
  const e = await rejects(() => cursor.execute("INSERT INTO Person VALUES(?, ?, ?)", [1, "Duplicate", 1]), api.IntegrityError, "duplicate key");
  eq(e.code, "IGN-SQL-5", "CONSTRAINT_VIOLATION");
  await conn.rollback();
  conn.autocommit = true;
  await cursor.execute("SELECT id FROM Person ORDER BY id");
  eq((await cursor.fetchall()).map(([id]) => id), [1, 2, 3, 4, 5], "committed rows stay, rolled-back ones are gone");
  await conn.close();
}

export async function igniteTypes(api, env) {
  const conn = await openIgnite(api, env);
  const cur = conn.cursor();
  await cur.execute("DROP TABLE IF EXISTS AllTypes");
  await cur.execute(`CREATE TABLE AllTypes (id INT PRIMARY KEY, b BOOLEAN, i8 BIGINT, d DECIMAL(30, 10), big DECIMAL(20, 0),
    f DOUBLE, s VARCHAR, dt DATE, tm TIME(9), ts TIMESTAMP(9), tz TIMESTAMP WITH LOCAL TIME ZONE, u UUID, bin VARBINARY)`);
  const when = new Date(Date.UTC(2024, 2, 15, 13, 45, 30, 123));
  await cur.execute("INSERT INTO AllTypes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [1, true, -9223372036854775808n, "12345678901234567890.1234567890", "100", 0.1, "Zoë ☃ 𝄞", "2024-03-15", "13:45:30.123456", "2024-03-15 13:45:30.123456", when,
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", new Uint8Array([0x80, 1])]);
  await cur.execute("INSERT INTO AllTypes (id, i8, s, bin, tm, ts) VALUES (?, ?, ?, ?, '13:45:30.123456789', '2024-03-15 13:45:30.123456789')", [2, 9223372036854775807n, "", new Uint8Array([])]);
  await cur.execute("INSERT INTO AllTypes (id) VALUES (3)");
  await cur.execute("SELECT * FROM AllTypes ORDER BY id");
  eq(cur.description.map((d) => d.typeCode).slice(0, 5), ["INTEGER", "BOOLEAN", "BIGINT", "DECIMAL(30,10)", "DECIMAL(20,0)"], "type codes");
  const [r1, r2, r3] = await cur.fetchall();
  eq(r1, [1, true, -9223372036854775808n, "12345678901234567890.1234567890", "100", 0.1, "Zoë ☃ 𝄞", "2024-03-15", "13:45:30.123456",
    "2024-03-15T13:45:30.123456", "2024-03-15T13:45:30.123Z", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", new Uint8Array([0x80, 1])], "row 1: decimal 100 arrives with scale -2, read back exactly");
  eq([r2[2], r2[6], r2[12], r2[8], r2[9]], [9223372036854775807n, "", new Uint8Array([]), "13:45:30.123456789", "2024-03-15T13:45:30.123456789"], "int64 max, '' and empty bytes, nanoseconds kept");
  ok(r3.slice(1).every((v) => v === null), "row 3 all NULL");
  await cur.execute("DROP TABLE AllTypes");
  await conn.close();
}

export async function ignitePaging(api, env) {
  const conn = await openIgnite(api, env, { pageSize: 3 });
  const cur = conn.cursor();
  await cur.execute("DROP TABLE IF EXISTS Paged");
  await cur.execute("CREATE TABLE Paged (id INT PRIMARY KEY, v VARCHAR)");
  await cur.executemany("INSERT INTO Paged VALUES (:id, :v)", Array.from({ length: 10 }, (_, i) => ({ id: i, v: `v${i}` })));
  await cur.execute("SELECT id FROM Paged ORDER BY id");
  eq(cur.rowcount, -1, "unknown while pages remain");
  eq([(await cur.fetchmany(4)).length, (await cur.fetchmany(4)).length, (await cur.fetchmany(4)).length, cur.rowcount], [4, 4, 2, 10], "pages of 3 read as 4, 4, 2");
  await cur.execute("SELECT id FROM Paged ORDER BY id");
  let n = 0;
  for await (const _ of cur) n++;
  eq(n, 10, "async iteration");
  // A cursor left with pages is closed on the node when the next statement runs.
  await cur.execute("SELECT id FROM Paged ORDER BY id");
  await cur.fetchone();
  eq(await scalar(conn, "SELECT count(*) FROM Paged"), 10, "usable after abandoning a cursor");
  // $n and :name used twice become positional markers in order.
  eq(await scalar(conn, "SELECT :a + :a + :b", { a: 1, b: 10 }), 12, ":name used twice");
  await cur.execute("DROP TABLE Paged");
  await conn.close();
}

export async function igniteErrors(api, env) {
  const conn = await openIgnite(api, env);
  const cur = conn.cursor();
  let e = await rejects(() => cur.execute("SELEC 1"), api.ProgrammingError, "syntax error");
  ok(e.code === "IGN-SQL-3" && /Failed to parse query/.test(e.message) && /SqlException/.test(e.detail), `${e.code} ${e.message} ${e.detail}`);
  e = await rejects(() => cur.execute("SELECT * FROM Nowhere"), api.ProgrammingError, "unknown table");
  eq(e.code, "IGN-SQL-4", "STMT_VALIDATION");
  e = await rejects(() => cur.execute("START TRANSACTION"), api.ProgrammingError, "transaction control");
  await cur.execute("DROP TABLE IF EXISTS Batch");
  await cur.execute("CREATE TABLE Batch (id INT PRIMARY KEY)");
  e = await rejects(() => cur.executemany("INSERT INTO Batch VALUES (?)", [[1], [2], [1], [3]]), api.IntegrityError, "batch failing mid-way");
  ok(/2 of 4 parameter sets were applied/.test(e.message), e.message);
  await cur.execute("DROP TABLE Batch");
  // Several statements: a script.
  await cur.execute("CREATE TABLE S (id INT PRIMARY KEY); INSERT INTO S VALUES (1); INSERT INTO S VALUES (2)");
  eq(await scalar(conn, "SELECT count(*) FROM S"), 2, "script ran");
  conn.autocommit = false;
  e = await rejects(() => cur.execute("INSERT INTO S VALUES (3); INSERT INTO S VALUES (4)"), api.NotSupportedError, "a script cannot join a transaction");
  ok(/outside any transaction/.test(e.message), e.message);
  await conn.rollback();
  conn.autocommit = true;
  eq(await scalar(conn, "SELECT count(*) FROM S"), 2, "nothing ran");
  await cur.execute("DROP TABLE S");
  await conn.close();
  // Secure node: wrong secret, no credentials.
  const wrong = env.igniteSecure.replace("ignite-secret", "not-the-secret");
  e = await rejects(() => api.connect(wrong, { relay: env.relay }), api.OperationalError, "wrong secret");
  ok(e.code === "IGN-AUTHENTICATION-2" && !e.message.includes("not-the-secret"), `${e.code} ${e.message}`);
  await rejects(() => openIgnite(api, env, {}, env.igniteSecure.replace(/\/\/[^@]+@/, "//")), api.OperationalError, "no credentials");
  // Addresses are tried in turn.
  const good = env.ignite.split("//")[1];
  const ok2 = await api.connect("ignite://placeholder", { relay: env.relay, address: ["127.0.0.1:1", good] });
  eq(await scalar(ok2, "SELECT 'second address'"), "second address", "the next address after a dead one");
  await ok2.close();
  // A connection dropped mid-result (a proxy cuts it after 64 KiB).
  const cut = await openIgnite(api, env, { pageSize: 100 }, env.igniteCut);
  const c2 = cut.cursor();
  e = await within(20000, rejects(async () => {
    await c2.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000) SELECT x, 'padding padding padding' FROM c");
    for (;;) if ((await c2.fetchmany(1000)).length === 0) fail("the result cannot end normally");
  }, api.OperationalError, "dropped mid-result"), "dropped mid-result");
  ok(/connection lost/.test(e.message), e.message);
  await cut.close();
}

export async function igniteCancel(api, env) {
  const conn = await openIgnite(api, env);
  const cur = conn.cursor();
  const started = Date.now();
  const running = cur.execute("SELECT sleep(3000)");
  setTimeout(() => cur.cancel(), 300);
  let e = await within(5000, rejects(() => running, api.OperationalError, "cancel()"), "cancel()");
  eq(e.code, "IGN-SQL-6", "EXECUTION_CANCELLED");
  ok(Date.now() - started < 2500, "cancelled early");
  eq(await scalar(conn, "SELECT 'usable'"), "usable", "usable after cancel");
  const controller = new AbortController();
  const aborted = cur.execute("SELECT sleep(3000)", null, { signal: controller.signal });
  setTimeout(() => controller.abort(), 300);
  e = await within(5000, rejects(() => aborted, api.OperationalError, "AbortSignal"), "AbortSignal");
  eq(e.code, "IGN-SQL-6", "cancelled by signal");
  await conn.close();
  const timed = await openIgnite(api, env, { statementTimeout: 300 });
  e = await within(5000, rejects(() => timed.cursor().execute("SELECT sleep(3000)"), api.OperationalError, "query timeout"), "query timeout");
  eq(e.code, "IGN-SQL-6", "timed out on the node");
  await timed.close();
  // A node that closes connections idle for 3 s: heartbeats keep ours.
  const idle = await openIgnite(api, env, {}, env.igniteSecure);
  eq(await scalar(idle, "SELECT 1"), 1, "secure node");
  await new Promise((resolve) => setTimeout(resolve, 4000));
  eq(await scalar(idle, "SELECT 2"), 2, "still connected after 4 s idle");
  await idle.close();
}

/** `[user, password, path]` of a database URL (URL() reads user info of unknown schemes unevenly). */
function urlParts(url) {
  const [, user, password, path] = /^[\w+.-]+:\/\/([^:@]*):([^@]*)@[^/]*(\/[^?]*)?/.exec(url);
  return [user, password, path ?? ""];
}

// CrateDB's Postgres wire (testkit pgquirks.rs: PostgreSQL behind CrateDB's quirks).
export async function pgCrateDialect(api, env) {
  const conn = await open(api, env, env.pgCrate, { fetchSize: 1 });
  eq(conn.autocommit, true, "CrateDB has no transactions: autocommit is on");
  const other = await open(api, env, env.pgCrate);
  const cur = conn.cursor();
  await cur.execute("CREATE SCHEMA IF NOT EXISTS doc");
  await cur.execute("DROP TABLE IF EXISTS doc.crate_pg");
  await cur.execute("CREATE TABLE doc.crate_pg (id int PRIMARY KEY, name text)");
  await cur.executemany("INSERT INTO doc.crate_pg VALUES (?, ?)", [[1, "a"], [2, "b"]]);
  eq(cur.rowcount, 2, "executemany rowcount");
  eq(await scalar(other, "SELECT count(*) FROM doc.crate_pg"), 2n, "written at once");
  // CrateDB answers an error in the extended protocol with ReadyForQuery E, though nothing is open.
  let e = await rejects(() => cur.execute("SELECT 1 / ?", [0]), api.DataError, "division by zero");
  eq(e.code, "22012", "the server's SQLSTATE");
  e = await rejects(() => cur.execute("INSERT INTO doc.crate_pg VALUES (?, ?)", [1, "dup"]), api.IntegrityError, "duplicate key");
  // Still autocommit: a write returning rows is committed when execute() returns, rows unread.
  await cur.execute("INSERT INTO doc.crate_pg VALUES (?, ?), (?, ?) RETURNING id", [3, "c", 4, "d"]);
  eq(await scalar(other, "SELECT count(*) FROM doc.crate_pg"), 4n, "committed before its rows are read");
  eq(await cur.fetchall(), [[3], [4]], "its rows");
  await conn.commit(); // nothing to do
  e = await rejects(() => conn.rollback(), api.NotSupportedError, "rollback");
  ok(/CrateDB has no transactions/.test(e.message), e.message);
  e = await rejects(async () => { conn.autocommit = false; }, api.NotSupportedError, "autocommit off");
  eq(conn.autocommit, true, "still on");
  eq(await scalar(conn, "SELECT count(*) FROM doc.crate_pg"), 4n, "every write kept");
  await cur.execute("DROP TABLE doc.crate_pg");
  await conn.close();
  await other.close();
  // Found by what the server announces, whatever the URL says.
  const plain = await open(api, env, env.pgCrate.replace(/^crate\+pg:/, "postgres:"));
  eq(plain.autocommit, true, "postgres:// to CrateDB");
  await plain.close();
  await rejects(() => open(api, env, env.pgCrate.replace(/^crate\+pg:/, "postgres:"), { autocommit: false }), api.NotSupportedError, "autocommit: false option");
  e = await rejects(() => open(api, env, env.pgCrate.replace(/^crate\+pg:/, "postgres:") + "?autocommit=false"), api.NotSupportedError, "autocommit=false in the URL");
  ok(/CrateDB has no transactions/.test(e.message), e.message);
  // Cleartext only: a user the server would ask for SCRAM is refused, as CrateDB refuses it.
  const [scramUser, scramPassword] = urlParts(env.pg);
  e = await rejects(() => open(api, env, env.pgCrate.replace(/\/\/[^@]*@/, `//${scramUser}:${scramPassword}@`)), api.OperationalError, "no auth entry");
  ok(/No valid auth.host_based entry/.test(e.message) && !e.message.includes(scramPassword), e.message);
}

// QuestDB's Postgres wire (testkit pgquirks.rs: PostgreSQL behind QuestDB's quirks), reached with
// the seed's URL form, questdb://…:8812, through a relay target named in the relay URL.
export async function pgQuestDialect(api, env) {
  const [user, password, path] = urlParts(env.pgQuest);
  const url = (user, password) => `questdb://${user}:${password}@127.0.0.1:8812${path}`;
  const relay = `${env.relay}?target=pgquest`;
  const conn = await api.connect(url(user, password), { relay });
  eq(conn.autocommit, false, "QuestDB has transactions: PEP 249's default");
  const cur = conn.cursor();
  // Errors carry SQLSTATE 00000, which is still an error.
  let e = await rejects(() => cur.execute("SELECT * FROM no_such_table"), api.DatabaseError, "unknown table");
  eq([e.name, e.code], ["DatabaseError", "00000"], "class and code");
  ok(/no_such_table/.test(e.message), e.message);
  await conn.rollback();
  // bytea arrives in binary format though text was asked.
  const bytes = new Uint8Array([0, 1, 92, 120, 255]);
  await cur.execute("SELECT ?::bytea, ''::bytea, NULL::bytea, 'x'", [bytes]);
  eq(await cur.fetchone(), [bytes, new Uint8Array([]), null, "x"], "bytea in binary, text beside it");
  // DATE is described and sent as a timestamp.
  await cur.execute("SELECT DATE '2024-02-29', ?::date", ["1999-12-31"]);
  eq(cur.description.map((d) => d.typeCode), ["timestamp", "timestamp"], "DATE reported as timestamp");
  eq(await cur.fetchone(), ["2024-02-29T00:00:00", "1999-12-31T00:00:00"], "dates as timestamps");
  // Its transactions are real: a rollback discards.
  await cur.execute("CREATE TEMP TABLE quest_pg (x int)");
  await conn.commit();
  await cur.execute("INSERT INTO quest_pg VALUES (?)", [1]);
  await conn.rollback();
  eq(await scalar(conn, "SELECT count(*) FROM quest_pg"), 0n, "rolled back");
  await conn.close();
  e = await rejects(() => api.connect(url(user, "wrong-S3CRET"), { relay }), api.OperationalError, "wrong password");
  eq(e.code, "00000", "QuestDB's code for a refused login");
  ok(!e.message.includes("S3CRET"), e.message);
  const [scramUser, scramPassword] = urlParts(env.pg);
  e = await rejects(() => api.connect(url(scramUser, scramPassword), { relay }), api.OperationalError, "cleartext only");
  ok(/invalid username\/password/.test(e.message), e.message);
  e = await rejects(() => api.connect(url(user, password)), api.InterfaceError, "no relay");
  ok(/relay/.test(e.message) && !e.message.includes(password), e.message);
}

export const all = {
  booklist, authMethods, typesRoundTrip, valueOptions, streaming, boundedMemory, transactions, serverErrors,
  connectFailures, killedMidResult, cancel, closeWhileRunning,
  crateSeedFlow, crateBooklist, crateTypes, crateStreaming, crateErrors, crateConnectFailures, crateCancel,
  crateThroughRelay,
  databendSeedFlow, databendTypes, databendPaging, databendTransactions, databendErrors, databendCancel,
  questdbSeedFlow, questdbTypes, questdbInjection, questdbPaging, questdbErrors, questdbImport, questdbCancel,
  databricksSeedFlow, databricksTypes, databricksChunks, databricksErrors, databricksAsync,
  igniteSeedFlow, igniteTypes, ignitePaging, igniteErrors, igniteCancel,
  pgCrateDialect, pgQuestDialect,
};
