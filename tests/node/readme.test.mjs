// The READMEs' examples, run as written: only the database URL, the relay URL and the package
// path are swapped for the test servers'. The npm package's README has one example per backend;
// the project's README repeats its first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as webdbc from "../../pkg/node.js";

const PACKAGE_README = new URL("../../pkg-templates/README.md", import.meta.url);

for (const file of ["../../README.md", "../../pkg-templates/README.md"]) test(`the first example of ${file.slice(6)} runs as written`, async () => {
  const readme = await readFile(new URL(file, import.meta.url), "utf8");
  const example = readme.match(/```js\n([\s\S]*?)```/)[1];
  const lines = example.trim().split("\n").filter((l) => l.trim() && !l.startsWith("import "));
  assert.ok(lines.length <= 10, `the example has ${lines.length} lines of code`);
  const code = example
    .replace('"postgres://app:secret@db.internal:5432/shop"', JSON.stringify(process.env.WEBDBC_TEST_PG))
    .replace('"wss://relay.example/v1/connect"', JSON.stringify(process.env.WEBDBC_TEST_RELAY))
    .replace('from "webdbc"', `from ${JSON.stringify(new URL("../../pkg/node.js", import.meta.url).href)}`)
    .replaceAll("console.log(", "globalThis.__log(");
  assert.ok(code.includes(JSON.stringify(process.env.WEBDBC_TEST_PG)) && code.includes(JSON.stringify(process.env.WEBDBC_TEST_RELAY)), "the example's URLs were found");

  const setup = await webdbc.connect(process.env.WEBDBC_TEST_PG, { relay: process.env.WEBDBC_TEST_RELAY, autocommit: true });
  await setup.cursor().execute("CREATE TABLE booklist (title text, author text)");
  const logged = [];
  globalThis.__log = (...args) => logged.push(args);
  try {
    const file = join(await mkdtemp(join(tmpdir(), "webdbc-readme-")), "example.mjs");
    await writeFile(file, code);
    await import(file);
    assert.deepEqual(logged, [[["title", "author"]], ["Readings in Database Systems", "Michael Stonebraker"]]);
  } finally {
    await setup.cursor().execute("DROP TABLE booklist");
    await setup.close();
  }
});

/** Runs the package README's example marked `<!-- example: name -->`, with its URL swapped for `url` and the
 * relay URL `relay.example` for `relay` (default: the test relay). */
async function runMarkedExample(name, urlInReadme, url, relay = RELAY) {
  const readme = await readFile(PACKAGE_README, "utf8");
  const example = readme.match(new RegExp(`<!-- example: ${name} -->\n\`\`\`js\n([\\s\\S]*?)\`\`\``))[1];
  const code = example
    .replace(JSON.stringify(urlInReadme), JSON.stringify(url))
    .replace(/"wss:\/\/relay\.example\/v1\/connect[^"]*"/, JSON.stringify(relay))
    .replace('from "webdbc"', `from ${JSON.stringify(new URL("../../pkg/node.js", import.meta.url).href)}`)
    .replaceAll("console.log(", "globalThis.__log(");
  assert.ok(code.includes(url), `the ${name} example's URL was found`);
  const logged = [];
  globalThis.__log = (...args) => logged.push(args);
  const file = join(await mkdtemp(join(tmpdir(), "webdbc-readme-")), `${name}-example.mjs`);
  await writeFile(file, code);
  await import(file);
  return logged;
}

const RELAY = process.env.WEBDBC_TEST_RELAY;

/** Runs `sql` as the owner of the test database (the dialect proxies' user may not create tables). */
async function asOwner(...sql) {
  const conn = await webdbc.connect(process.env.WEBDBC_TEST_PG, { relay: RELAY, autocommit: true });
  for (const s of sql) await conn.cursor().execute(s);
  await conn.close();
}

async function dropTable(url, table) {
  const conn = await webdbc.connect(url);
  await conn.cursor().execute(`DROP TABLE IF EXISTS ${table}`);
  await conn.close();
}

test("the README's CrateDB example runs as written", async () => {
  const logged = await runMarkedExample("cratedb", "crate://admin:secret@db.example:4200?schema=doc", `${process.env.WEBDBC_TEST_CRATE}?schema=doc`);
  assert.deepEqual(logged, [[3], ["Mont Blanc", 4808], ["Monte Rosa", 4634], ["Dom", 4545]]);
});

test("the README's Databend example runs as written", async () => {
  try {
    const logged = await runMarkedExample("databend", "databend://user1:abc123@127.0.0.1:8000/default?sslmode=disable", process.env.WEBDBC_TEST_DATABEND);
    assert.deepEqual(logged, [["Readings in Database Systems", "Michael Stonebraker", "2004"]]);
  } finally {
    await dropTable(process.env.WEBDBC_TEST_DATABEND, "booklist");
  }
});

test("the README's QuestDB example runs as written", async () => {
  try {
    const logged = await runMarkedExample("questdb", "questdb://admin:quest@localhost:9000", process.env.WEBDBC_TEST_QUESTDB);
    assert.deepEqual(logged, [[[[11, 12], [13, 14]]]]);
  } finally {
    await dropTable(process.env.WEBDBC_TEST_QUESTDB, "some_table");
  }
});

test("the README's Databricks example runs as written", async () => {
  try {
    const readme = "databricks://token:dapi0123456789@adb-1234.5.azuredatabricks.net?http_path=/sql/1.0/warehouses/abcdef1234567890&catalog=main&schema=default";
    const logged = await runMarkedExample("databricks", readme, process.env.WEBDBC_TEST_DATABRICKS);
    assert.deepEqual(logged, [[[[2n, "7.25"]]]]);
  } finally {
    await dropTable(process.env.WEBDBC_TEST_DATABRICKS, "trips");
  }
});

test("the README's Ignite example runs as written", async () => {
  try {
    const logged = await runMarkedExample("ignite", "ignite://127.0.0.1:10800", process.env.WEBDBC_TEST_IGNITE);
    assert.deepEqual(logged, [[[["John", 30], ["Jane", 32]]]]);
  } finally {
    const conn = await webdbc.connect(process.env.WEBDBC_TEST_IGNITE, { relay: RELAY });
    await conn.cursor().execute("DROP TABLE IF EXISTS Employee");
    await conn.close();
  }
});

test("the README's CrateDB Postgres-wire example runs as written", async () => {
  await asOwner("CREATE TABLE sensors (id int PRIMARY KEY, reading float8)", "GRANT ALL ON sensors TO clear_user");
  try {
    const logged = await runMarkedExample("cratedb-pg", "crate+pg://crate:secret@db.example:5432/doc", process.env.WEBDBC_TEST_PG_CRATE);
    assert.deepEqual(logged, [[true], [[[1, 21.5]]]]);
  } finally {
    await asOwner("DROP TABLE sensors");
  }
});

test("the README's QuestDB Postgres-wire example runs as written", async () => {
  await asOwner(
    "CREATE TABLE trades (symbol text, price float8, day date)",
    "INSERT INTO trades VALUES ('BTC-USD', 64000.5, '2024-05-01'), ('ETH-USD', 3100, '2024-05-01')",
    "GRANT ALL ON trades TO clear_user",
  );
  try {
    const path = new URL(process.env.WEBDBC_TEST_PG_QUEST.replace(/^postgres:/, "http:")).pathname;
    const url = process.env.WEBDBC_TEST_PG_QUEST.replace(/^postgres:/, "questdb:").replace(/:\d+\//, ":8812/");
    assert.ok(url.endsWith(":8812" + path), url);
    const logged = await runMarkedExample("questdb-pg", "questdb://admin:quest@qdb.internal:8812/qdb", url, `${RELAY}?target=pgquest`);
    assert.deepEqual(logged, [[[["BTC-USD", 64000.5, "2024-05-01T00:00:00"]]]]);
  } finally {
    await asOwner("DROP TABLE trades");
  }
});
