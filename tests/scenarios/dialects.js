// The Postgres wire of CrateDB and QuestDB: PostgreSQL behind their quirks.
import { eq, fail, ok, rejects, show, within } from "./assert.js";
import { inBrowser, open, openNoCors, scalar } from "./support.js";

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
