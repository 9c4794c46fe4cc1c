// The README's first command as a user meets it: scripts/demo starts, prints the URL, the SQL
// console there connects to the default database, runs the booklist flow, pages a long result,
// shows an error where it is, cancels a long query, keeps a history and reaches every backend;
// then Ctrl-C (SIGINT to the process group, as a terminal sends it) stops everything.
// Screenshots go to target/test-output/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { connect as tcpConnect } from "node:net";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../chromium.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const output = `${root}target/test-output`;

/** Starts the demo in its own process group; resolves once it prints its URL. */
function startDemo() {
  const child = spawn("scripts/demo", ["--port", "0"], { cwd: root, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const url = new Promise((resolve, reject) => {
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      const m = /^ +(http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(stderr);
      if (m) resolve(m[1]);
    });
    exited.then(({ code }) => reject(new Error(`scripts/demo exited with ${code}:\n${stderr}`)));
  });
  return { child, url, exited, stderr: () => stderr };
}

const refused = (port) =>
  new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("error", () => resolve(true));
  });

test("the demo command and its SQL console", { timeout: 600_000 }, async (t) => {
  await mkdir(output, { recursive: true });
  const started = Date.now();
  const demo = startDemo();
  const ports = [];
  let browser;
  try {
    const url = await demo.url;
    t.diagnostic(`the demo printed its URL after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const { backends } = await (await fetch(new URL("demo.json", url))).json();
    assert.ok(backends.length >= 8, `every backend is offered: ${backends.map((b) => b.name)}`);
    ports.push(new URL(url).port, ...backends.map((b) => /@?127\.0\.0\.1:(\d+)/.exec(b.url)[1]));

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => /^connected: /.test(document.getElementById("status").textContent));
    const status = await page.textContent("#status");
    assert.match(status, /^connected: postgres:\/\/webdbc:•••@127\.0\.0\.1:\d+\/webdbc$/, "the password is not shown");
    assert.match(await page.$eval("#backend", (s) => s.selectedOptions[0].text), /^PostgreSQL \d+/);

    /** Types a statement and its parameters, runs it with Ctrl-Enter, waits until it ends. */
    async function run(sql, params = "") {
      await page.fill("#sql", sql);
      await page.fill("#params", params);
      await page.focus("#sql");
      await page.keyboard.press("Control+Enter");
      await page.waitForFunction(() => / in \d|failed after/.test(document.getElementById("summary").textContent));
      return page.textContent("#summary");
    }
    const errorText = () => page.$eval("#error", (e) => (e.hidden ? "" : e.textContent));
    const grid = () => page.$$eval("#grid tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => [c.textContent, c.className])));

    await t.test("the booklist flow, with NULL apart from empty text", async () => {
      assert.match(await run("CREATE TABLE booklist(title VARCHAR, author VARCHAR, date VARCHAR)"), /^done in \d+\.\d ms$/);
      assert.match(await run("INSERT INTO booklist VALUES(?, ?, ?)", '["Readings in Database Systems", "Michael Stonebraker", "2004"]'), /^1 row affected in /);
      assert.match(await run("INSERT INTO booklist VALUES(?, ?, ?)", '["Anonymous notes", "", null]'), /^1 row affected in /);
      assert.match(await run("SELECT * FROM booklist ORDER BY title DESC"), /^2 rows in \d+\.\d ms$/);
      assert.equal(await errorText(), "");
      const rows = await grid();
      assert.deepEqual(rows[0].map(([text]) => text), ["", "titlevarchar", "authorvarchar", "datevarchar"]);
      assert.deepEqual(rows[1].map(([text]) => text), ["1", "Readings in Database Systems", "Michael Stonebraker", "2004"]);
      assert.deepEqual(rows[2], [["2", "rownum"], ["Anonymous notes", ""], ["", "empty"], ["NULL", "null"]]);
      await page.screenshot({ path: `${output}/console-grid.png` });
    });

    await t.test("a long result streams into pages", async () => {
      assert.match(await run("SELECT n, md5(n::text) AS hash FROM generate_series(1, ?) AS n", "[2345]"), /^2,345 rows in /);
      assert.equal(await page.textContent("#page"), "rows 1–100 of 2,345");
      await page.click("#next");
      assert.equal(await page.textContent("#page"), "rows 101–200 of 2,345");
      assert.deepEqual((await grid())[1].slice(0, 2), [["101", "rownum"], ["101", "num"]]);
      await page.click("#last");
      assert.equal(await page.textContent("#page"), "rows 2,301–2,345 of 2,345");
      assert.equal((await grid()).length, 1 + 45);
    });

    await t.test("rows show while more arrive; a huge result is counted, its first 100,000 kept", async () => {
      await page.fill("#sql", "SELECT n, repeat('x', 20) AS filler FROM generate_series(1, ?) AS n");
      await page.fill("#params", "[300000]");
      await page.click("#run");
      await page.waitForFunction(() => /rows so far/.test(document.getElementById("summary").textContent));
      const streaming = await page.textContent("#page");
      assert.match(streaming, /^rows 1–100 of [\d,]+…$/, "the first page is shown while the rest streams");
      await page.waitForFunction(() => / in \d/.test(document.getElementById("summary").textContent));
      assert.match(await page.textContent("#summary"), /^300,000 rows \(the first 100,000 kept\) in /);
      await page.click("#last");
      assert.equal(await page.textContent("#page"), "rows 99,901–100,000 of 300,000");
    });

    await t.test("an error shows its class, code, message and the spot in the SQL", async () => {
      assert.match(await run("SELECT title,\n       nosuchcolumn\nFROM booklist"), /^failed after /);
      const text = await errorText();
      assert.match(text, /^ProgrammingError \[42703\]: column "nosuchcolumn" does not exist/);
      assert.match(text, /line 2, column 8:/);
      assert.equal(await page.isVisible("#pager"), false, "no pager without rows");
      assert.equal(await page.textContent("#error mark"), "nosuchcolumn");
      const selected = await page.$eval("#sql", (s) => s.value.slice(s.selectionStart, s.selectionEnd));
      assert.equal(selected, "nosuchcolumn");
      await page.screenshot({ path: `${output}/console-error.png` });
    });

    await t.test("a long query is cancelled", async () => {
      await page.fill("#sql", "SELECT pg_sleep(60)");
      await page.fill("#params", "");
      await page.click("#run");
      await page.waitForFunction(() => !document.getElementById("cancel").disabled);
      assert.equal(await page.isDisabled("#run"), true, "no second run while one is running");
      await page.waitForTimeout(300);
      await page.click("#cancel");
      await page.waitForFunction(() => /failed after/.test(document.getElementById("summary").textContent));
      assert.match(await errorText(), /^OperationalError \[57014\]: canceling statement due to user request/);
      assert.match(await run("SELECT count(*) FROM booklist"), /^1 row in /, "the connection is usable after the cancel");
    });

    await t.test("the history holds recent statements, newest first, and loads them back", async () => {
      const entries = await page.$$eval("#history li", (lis) => lis.map((li) => [li.title, li.className, li.querySelector("small").textContent]));
      assert.deepEqual(entries[0].slice(0, 2), ["SELECT count(*) FROM booklist", ""]);
      assert.match(entries[0][2], / · 1 row$/);
      assert.deepEqual(entries[1].slice(0, 2), ["SELECT pg_sleep(60)", "failed"]);
      assert.match(entries[1][2], / · OperationalError \[57014\]$/);
      assert.ok(entries.some(([sql]) => sql.startsWith("CREATE TABLE booklist")));
      await page.click("#history li:nth-child(2)");
      assert.equal(await page.inputValue("#sql"), "SELECT pg_sleep(60)");
      const stored = await page.evaluate(() => JSON.stringify(localStorage));
      assert.ok(!stored.includes("webdbc-secret"), "no password in the stored history");
    });

    await t.test("autocommit off: Commit and Rollback end the transaction", async () => {
      assert.equal(await page.isDisabled("#commit"), true, "nothing to commit with autocommit on");
      await page.uncheck("#autocommit");
      assert.equal(await page.isDisabled("#commit"), false);
      assert.match(await run("INSERT INTO booklist VALUES(?, ?, ?)", '["Rolled back", "Nobody", "2025"]'), /^1 row affected in /);
      await page.click("#rollback");
      await page.waitForFunction(() => document.getElementById("summary").textContent === "rolled back");
      await run("SELECT count(*) FROM booklist");
      assert.equal((await grid())[1][1][0], "2", "the insert was rolled back");
      await page.click("#commit"); // autocommit can only be turned on between transactions
      await page.waitForFunction(() => document.getElementById("summary").textContent === "committed");
      await page.check("#autocommit");
      assert.equal(await page.isDisabled("#rollback"), true);
    });

    await t.test("a pasted URL connects, its password masked wherever it is", async () => {
      const pg = new URL(backends[0].url);
      await page.selectOption("#backend", "custom");
      await page.fill("#url", `postgres://${pg.username}@${pg.host}${pg.pathname}?password=${pg.password}&application_name=console`);
      await page.press("#url", "Enter");
      await page.waitForFunction(() => /^connected: /.test(document.getElementById("status").textContent));
      assert.equal(await page.textContent("#status"), `connected: postgres://${pg.username}@${pg.host}${pg.pathname}?password=•••&application_name=console`);
      assert.match(await run("SELECT current_setting('application_name')"), /^1 row in /);
      assert.equal((await grid())[1][1][0], "console");
    });

    await t.test("every backend of the demo connects and runs its sample", async () => {
      await page.fill("#sql", ""); // an empty editor takes the chosen backend's sample
      for (let i = 1; i < backends.length; i++) {
        await page.selectOption("#backend", String(i));
        await page.waitForFunction(() => !/connecting/.test(document.getElementById("status").textContent));
        assert.match(await page.textContent("#status"), /^connected: /, backends[i].name);
        assert.equal(await page.inputValue("#sql"), backends[i].sql, "the backend's sample is in the editor");
        await page.keyboard.press("Control+Enter");
        await page.waitForFunction(() => / in \d|failed after/.test(document.getElementById("summary").textContent));
        assert.equal(await errorText(), "", `${backends[i].name}: ${backends[i].sql}`);
        assert.ok((await grid()).length >= 2, `${backends[i].name} shows rows`);
      }
    });
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser?.close();
    if (demo.child.exitCode === null && demo.child.signalCode === null) process.kill(-demo.child.pid, "SIGINT");
  }
  assert.equal((await demo.exited).code, 0, demo.stderr());
  assert.doesNotMatch(demo.stderr(), /panicked|webdbc-secret/);
  for (const port of ports) assert.ok(await refused(Number(port)), `port ${port} is closed after Ctrl-C`);
});
