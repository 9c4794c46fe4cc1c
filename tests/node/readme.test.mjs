// The README's example, run as written: only the database URL, the relay URL and the package
// path are swapped for the test server's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as webdbc from "../../pkg/index.js";

test("the README example runs as written", async () => {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const example = readme.match(/```js\n([\s\S]*?)```/)[1];
  const lines = example.trim().split("\n").filter((l) => l.trim() && !l.startsWith("import "));
  assert.ok(lines.length <= 10, `the example has ${lines.length} lines of code`);
  const code = example
    .replace('"postgres://app:secret@db.internal:5432/shop"', JSON.stringify(process.env.WEBDBC_TEST_PG))
    .replace('"wss://relay.example/v1/connect"', JSON.stringify(process.env.WEBDBC_TEST_RELAY))
    .replace('from "webdbc"', `from ${JSON.stringify(new URL("../../pkg/index.js", import.meta.url).href)}`)
    .replaceAll("console.log(", "globalThis.__log(");
  assert.notEqual(code, example, "the example's URLs were found");

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

test("the README's CrateDB example runs as written", async () => {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const example = readme.match(/<!-- example: cratedb -->\n```js\n([\s\S]*?)```/)[1];
  const code = example
    .replace('"crate://admin:secret@db.example:4200?schema=doc"', JSON.stringify(`${process.env.WEBDBC_TEST_CRATE}?schema=doc`))
    .replace('from "webdbc"', `from ${JSON.stringify(new URL("../../pkg/index.js", import.meta.url).href)}`)
    .replaceAll("console.log(", "globalThis.__log(");
  assert.ok(code.includes(process.env.WEBDBC_TEST_CRATE), "the example's URL was found");
  const logged = [];
  globalThis.__log = (...args) => logged.push(args);
  const file = join(await mkdtemp(join(tmpdir(), "webdbc-readme-")), "crate-example.mjs");
  await writeFile(file, code);
  await import(file);
  assert.deepEqual(logged, [[3], ["Mont Blanc", 4808], ["Monte Rosa", 4634], ["Dom", 4545]]);
});

test("the README's Databend example runs as written", async () => {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const example = readme.match(/<!-- example: databend -->\n```js\n([\s\S]*?)```/)[1];
  const code = example
    .replace('"databend://user1:abc123@127.0.0.1:8000/default?sslmode=disable"', JSON.stringify(process.env.WEBDBC_TEST_DATABEND))
    .replace('from "webdbc"', `from ${JSON.stringify(new URL("../../pkg/index.js", import.meta.url).href)}`)
    .replaceAll("console.log(", "globalThis.__log(");
  assert.ok(code.includes(process.env.WEBDBC_TEST_DATABEND), "the example's URL was found");
  const logged = [];
  globalThis.__log = (...args) => logged.push(args);
  const file = join(await mkdtemp(join(tmpdir(), "webdbc-readme-")), "databend-example.mjs");
  await writeFile(file, code);
  try {
    await import(file);
    assert.deepEqual(logged, [["Readings in Database Systems", "Michael Stonebraker", "2004"]]);
  } finally {
    const conn = await webdbc.connect(process.env.WEBDBC_TEST_DATABEND);
    await conn.cursor().execute("DROP TABLE IF EXISTS booklist");
    await conn.close();
  }
});
