import { eq, fail, ok, rejects, show, within } from "./assert.js";
import { inBrowser, open, openNoCors, scalar } from "./support.js";

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
