// PostgreSQL through webdbc-relay: the API's every feature against a real server.
import { eq, fail, ok, rejects, show, within } from "./assert.js";
import { inBrowser, open, openNoCors, scalar } from "./support.js";

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
  // saslprep_user's password changes under SASLprep (NFKC, a character mapped to nothing).
  for (const [url, user] of [[env.pg, "webdbc"], [env.pgMd5, "md5_user"], [env.pgCleartext, "clear_user"], [env.pgSaslprep, "saslprep_user"]]) {
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

// Several statements in one string: each result in order through nextset(), as PEP 249 has it.
export async function resultSets(api, env) {
  const conn = await open(api, env, env.pg, { autocommit: true });
  const cur = conn.cursor();
  await cur.execute("CREATE TEMP TABLE sets (x int); INSERT INTO sets VALUES (1), (2); SELECT x FROM sets ORDER BY x; SELECT 'done' AS s");
  eq([cur.description, cur.rowcount], [null, -1], "first: CREATE, no rows");
  eq(await cur.nextset(), true, "to the INSERT");
  eq([cur.description, cur.rowcount], [null, 2], "INSERT's row count");
  eq(await cur.nextset(), true, "to the first SELECT");
  eq(cur.description.map((d) => d.name), ["x"], "its columns");
  eq(await cur.fetchone(), [1], "its first row");
  eq(await cur.nextset(), true, "to the second SELECT, leaving a row unread");
  eq(await cur.fetchall(), [["done"]], "the last result");
  eq(await cur.nextset(), false, "no more results");
  eq(await cur.fetchall(), [], "the last result stays, read to its end");
  await cur.execute("SELECT 1");
  eq(await cur.nextset(), false, "one statement, one result");
  // An error in a later statement fails the execute, with the server's code; the results before
  // it are not handed out as if the string had run.
  const e = await rejects(() => cur.execute("SELECT 1; SELECT nope; SELECT 3"), api.ProgrammingError, "error in the second statement");
  eq(e.code, "42703", "the server's code");
  await conn.close();
}

export async function serverErrors(api, env) {
  const conn = await open(api, env, env.pg, { autocommit: true });
  const cur = conn.cursor();
  await cur.execute("CREATE TEMP TABLE u (id int PRIMARY KEY, v text NOT NULL)");
  await cur.execute("INSERT INTO u VALUES (?, ?)", [1, "a"]);
  let e = await rejects(() => cur.execute("INSERT INTO u VALUES (?, ?)", [1, "b"]), api.IntegrityError, "duplicate key");
  eq([e.code, e.sqlstate, e.constraint, e.table, e.severity], ["23505", "23505", "u_pkey", "u", "ERROR"], "integrity fields");
  eq(e.origin, "server", "a server error says so");
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
  eq(e.origin, "client", "the call's own error");
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
  eq(e.origin, "relay", "a relay refusal says so");
  ok(!e.message.includes("webdbc-secret"), "no password in the message");
  e = await rejects(() => open(api, env, env.pgDead), api.OperationalError, "target down");
  ok(/could not reach the database/.test(e.message), e.message);
  eq(e.origin, "relay", "the relay could not reach the database");
  e = await within(10000, rejects(() => open(api, env, env.pgGarbage), api.OperationalError, "garbage server"), "garbage server");
  ok(/does not speak the PostgreSQL protocol/.test(e.message), e.message);
  eq(e.origin, "malformed", "garbage is a malformed reply");
  e = await rejects(() => api.connect("postgres://u:pw@h:notaport/db", { relay: env.relay }), api.InterfaceError, "bad port");
  ok(/invalid port/.test(e.message), e.message);
  await rejects(() => api.connect("not a url", { relay: env.relay }), api.InterfaceError, "not a URL");
  e = await rejects(() => api.connect(env.pg), api.InterfaceError, "no relay");
  ok(/relay/.test(e.message), e.message);
  e = await rejects(() => open(api, env, env.pg + "?sslmode=verify-full"), api.NotSupportedError, "TLS in the stream");
  e = await rejects(() => open(api, env, "postgres://webdbc:webdbc-secret@127.0.0.1:1/webdbc", { relay: "ws://127.0.0.1:1/v1/connect" }), api.OperationalError, "relay down");
  ok(/cannot reach the relay/.test(e.message), e.message);
  eq(e.origin, "network", "an unreachable relay is the network");
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
  eq(e.origin, "server", "PostgreSQL itself reported the cancel");
  await conn.rollback();
  await rejects(() => cur.execute("SELECT 1", null, { signal: controller.signal }), api.OperationalError, "already aborted");
  // An AbortSignal of a statement waiting behind another one cancels its own statement once it
  // runs, never the one ahead of it.
  await conn.rollback();
  const ahead = conn.cursor().execute("SELECT pg_sleep(1)");
  const queued = conn.cursor().execute("SELECT pg_sleep(30)", null, { signal: AbortSignal.timeout(200) });
  await within(10000, ahead, "the statement ahead finishes");
  e = await within(10000, rejects(() => queued, api.OperationalError, "queued and aborted"), "queued and aborted");
  eq(e.code, "57014", "its own statement was cancelled");
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

// A hostile server (testkit/src/hostile_pg.rs, misbehaving as the database name says): every
// promise settles, malformed replies are errors, never values.
export async function hostileServer(api, env) {
  const url = (db) => env.pgHostile.replace(/\/stall$/, `/${db}`);
  const opts = { relay: env.relay, autocommit: true, connectTimeout: 3000, cancelGrace: 500 };
  const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // A login that never completes ends at connectTimeout.
  let e = await within(10000, rejects(() => api.connect(url("stall_login"), opts), api.OperationalError, "stalled login"), "stalled login");
  ok(/timed out after 3000 ms/.test(e.message), e.message);
  eq(e.origin, "timeout", "a deadline of the client");
  // Five bytes declaring a 1 GiB message before authentication: an error at once, and nothing
  // allocated for it.
  const before = await api.wasmMemoryBytes();
  e = await within(5000, rejects(() => api.connect(url("huge_login"), opts), api.OperationalError, "1 GiB header"), "1 GiB header");
  ok(/'R' message of 1073741808 bytes, over the limit of 67108864 bytes/.test(e.message), e.message);
  eq(e.origin, "malformed", "garbage is a malformed reply");
  const grown = (await api.wasmMemoryBytes()) - before;
  ok(grown < 32 << 20, `wasm memory grew by ${grown} bytes`);
  // A stalled statement ends at statementTimeout plus the grace: the server ignores the cancel.
  let conn = await api.connect(url("stall"), { ...opts, statementTimeout: 1000 });
  e = await within(10000, rejects(() => conn.cursor().execute("SELECT 1"), api.OperationalError, "stalled statement"), "statement timeout");
  ok(/past the statement timeout \(1000 ms\) and the server did not confirm the cancel within 500 ms, so the connection was closed/.test(e.message), e.message);
  eq(e.origin, "timeout", "the client's deadline");
  ok(conn.closed, "the connection is closed");
  e = await rejects(() => conn.cursor().execute("SELECT 1"), api.OperationalError, "after the deadline");
  ok(/statement timeout/.test(e.message), `later calls say why: ${e.message}`);
  // An AbortSignal on a truncated message: the cancel goes unanswered, the promise settles.
  conn = await api.connect(url("truncated"), opts);
  e = await within(10000, rejects(() => conn.cursor().execute("SELECT 1", [], { signal: AbortSignal.timeout(500) }), api.OperationalError, "aborted"), "abort");
  ok(/did not confirm the cancel within 500 ms/.test(e.message), e.message);
  eq(e.origin, "cancelled", "an abort is a cancel");
  // cursor.cancel() settles, and so does the statement.
  conn = await api.connect(url("stall"), opts);
  let cur = conn.cursor();
  let running = cur.execute("SELECT 1");
  await pause(200);
  await within(5000, cur.cancel(), "cursor.cancel() settles");
  e = await within(5000, rejects(() => running, api.OperationalError, "cancelled"), "the cancelled statement");
  ok(/did not confirm the cancel/.test(e.message), e.message);
  // close() during a stalled statement settles, and so does the statement.
  conn = await api.connect(url("stall"), opts);
  running = conn.cursor().execute("SELECT 1");
  await pause(200);
  await within(5000, conn.close(), "close() settles");
  e = await within(5000, rejects(() => running, api.OperationalError, "closed under it"), "the statement");
  ok(/closed while an operation ran/.test(e.message), e.message);
  // A 1 GiB DataRow header mid-result: an error at once, not a wait for a gigabyte.
  conn = await api.connect(url("huge"), opts);
  e = await within(5000, rejects(() => conn.cursor().execute("SELECT 1"), api.OperationalError, "1 GiB row"), "1 GiB row");
  ok(/'D' message of 1073741808 bytes/.test(e.message), e.message);
  // The database resetting mid-message: the connection broke, the relay had reached it.
  conn = await api.connect(url("close_mid"), opts);
  e = await within(5000, rejects(() => conn.cursor().execute("SELECT 1"), api.OperationalError, "closed mid-message"), "closed mid-message");
  ok(/connection lost: the database connection broke at the relay: backend read failed/.test(e.message), e.message);
  eq(e.origin, "network", "a broken connection");
  // A DataRow length of -2 or -2147483648 is an error, never a NULL.
  for (const [db, len] of [["negative_length", -2], ["min_length", -2147483648]]) {
    conn = await api.connect(url(db), opts);
    cur = conn.cursor();
    e = await rejects(async () => {
      await cur.execute("SELECT 1");
      await cur.fetchall();
    }, api.OperationalError, db);
    ok(e.message.includes(`gives column 1 the length ${len}`), e.message);
    eq(e.origin, "malformed", "a malformed reply");
    await conn.close();
  }
  // An ErrorResponse without fields: an error that says so, not an empty message.
  conn = await api.connect(url("empty_error"), opts);
  e = await rejects(() => conn.cursor().execute("SELECT 1"), api.OperationalError, "empty ErrorResponse");
  ok(/the server sent an error without a message/.test(e.message), e.message);
  eq(e.origin, "malformed", "a malformed reply");
  // The session is in step again after it: the next statement gets its row.
  eq(await scalar(conn, "SELECT 1"), "ok", "the next statement's row");
  await conn.close();
  // And a well-behaved answer from the same server, for contrast.
  conn = await api.connect(url("fine"), opts);
  eq(await scalar(conn, "SELECT 1"), "ok", "the server's one row");
  await conn.close();
}

// Parameters arrive as given or not at all: -0 keeps its sign; text UTF-8 cannot hold (a lone
// UTF-16 surrogate) is a DataError naming the parameter, before anything is sent.
export async function parameterFidelity(api, env) {
  const conn = await open(api, env, env.pg, { autocommit: true });
  eq(await scalar(conn, "SELECT $1::float8::text", [-0]), "-0", "-0 is a float, with its sign");
  eq(await scalar(conn, "SELECT $1::float8::text", [0]), "0", "0 is 0");
  let e = await rejects(() => conn.cursor().execute("SELECT $1::text, $2::text", ["fine", "a\ud800b"]), api.DataError, "lone surrogate");
  ok(/^parameter \$2: the text holds a lone UTF-16 surrogate/.test(e.message), e.message);
  eq(e.origin, "client", "refused before sending");
  e = await rejects(() => conn.cursor().execute("SELECT :a::text", { a: ["x", "\udc00"] }), api.DataError, "in an array");
  ok(/^parameter :a: /.test(e.message), e.message);
  eq(await scalar(conn, "SELECT $1::text", ["Zoë ☃ 𝄞"]), "Zoë ☃ 𝄞", "pairs of surrogates are characters");
  eq(await scalar(conn, "SELECT 1"), 1, "the connection is untouched");
  await conn.close();
}
