// Runs tests/pyodide/test_webdbc.py inside Pyodide, with the wheel installed from its file the
// way a user would (pyodide.loadPackage of dist/webdbc-*.whl, offline):
//   node --experimental-websocket tests/pyodide/run.mjs node      Pyodide in Node (async API)
//   node tests/pyodide/run.mjs chromium                           Pyodide in headless Chromium
//                                                                 (playwright-core; sync and async)
//   node tests/pyodide/run.mjs sqlalchemy                         test_sqlalchemy.py in Chromium, once
//                                                                 per SQLAlchemy wheel in target/wheels/
// Run under webdbc-testenv (WEBDBC_TEST_* variables). Exits non-zero when a test fails.
import { readFile, readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { launchChromium, serveFiles } from "../chromium.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const mode = process.argv[2] ?? "node";
const wheel = (await readdir(join(root, "dist"))).find((f) => /^webdbc-.*\.whl$/.test(f));
if (!wheel) throw new Error("dist/webdbc-*.whl is missing: run scripts/build-pkg.sh");
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("WEBDBC_TEST_")));
if (!env.WEBDBC_TEST_RELAY) throw new Error("WEBDBC_TEST_* not set: run under webdbc-testenv");
env.EXPECT_SYNC = mode === "chromium" ? "1" : "0";
const tests = await readFile(join(here, "test_webdbc.py"), "utf8");

// The README's Python examples (<!-- example: python-… --> blocks) and what they print; the sync
// one runs only where the runtime can block (Chromium).
const readme = await readFile(join(root, "README.md"), "utf8");
const example = (name) => readme.match(new RegExp(`<!-- example: ${name} -->\n\`\`\`python\n([\\s\\S]*?)\`\`\``))[1];
const examples = [
  ["README python-async", example("python-async"), "1 c4ca4238\n2 c81e728d"],
  ...(mode === "chromium"
    ? [["README python-sync", example("python-sync"),
      "[(1, Decimal('0.25'), datetime.date(2024, 2, 29)), (2, Decimal('0.50'), datetime.date(2024, 3, 1))]"]]
    : []),
];

/** What both runtimes do: install the wheel, run the tests and the README's examples, return
 * [name, error] pairs. */
async function runInPyodide(pyodide, wheelUrl, tests, env, examples) {
  await pyodide.loadPackage(wheelUrl);
  pyodide.FS.writeFile("/home/pyodide/test_webdbc.py", tests);
  pyodide.globals.set("env_json", JSON.stringify(env));
  pyodide.globals.set("examples_json", JSON.stringify(examples));
  const out = await pyodide.runPythonAsync(`
import json, sys
sys.path.insert(0, "/home/pyodide")
import test_webdbc
results = await test_webdbc.run(json.loads(env_json))
results += await test_webdbc.run_examples(json.loads(examples_json))
json.dumps(results)
`);
  return JSON.parse(out);
}

let results;
if (mode === "sqlalchemy") {
  env.README_SQLALCHEMY = example("python-sqlalchemy");
  results = await sqlalchemyInChromium();
} else if (mode === "node") {
  const { loadPyodide } = await import("pyodide");
  const pyodide = await loadPyodide();
  results = await runInPyodide(pyodide, join(root, "dist", wheel), tests, env, examples);
  results.push(await handedOver());
} else {
  results = await inChromium();
}

let failed = 0;
for (const [name, error] of results) {
  if (error) failed++;
  console.log(`${error ? "FAIL" : "ok  "} ${mode} ${name}${error ? "\n" + error : ""}`);
}
console.log(`${mode}: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed || results.length === 0 ? 1 : 0);

/** A program that already loaded the npm package hands it to Python: no second engine. */
async function handedOver() {
  const name = "npm package handed over as webdbc_js";
  try {
    const { loadPyodide } = await import("pyodide");
    const pyodide = await loadPyodide();
    pyodide.registerJsModule("webdbc_js", await import("../../pkg/node.js"));
    await pyodide.loadPackage(join(root, "dist", wheel));
    pyodide.globals.set("pg", env.WEBDBC_TEST_PG);
    pyodide.globals.set("relay", env.WEBDBC_TEST_RELAY);
    const out = await pyodide.runPythonAsync(`
import webdbc
conn = await webdbc.connect_async(pg, relay=relay)
cur = conn.cursor()
await cur.execute("SELECT ?::int8 + 1", [41])
row = await cur.fetchone()
await conn.close()
# The npm package's entry point (it exports load), not the wheel's copy of the glue.
[row[0], hasattr(webdbc._engine, "load")]
`);
    const [answer, npm] = out.toJs();
    if (answer !== 42 || npm !== true) throw new Error(`got ${answer}, engine from npm: ${npm}`);
    return [name, null];
  } catch (e) {
    return [name, e.stack];
  }
}

async function inChromium() {
  const page = `<!doctype html><script type="module">
    import { loadPyodide } from "/pyodide/pyodide.mjs";
    const run = ${runInPyodide.toString()};
    window.run = async (tests, env, examples) => run(await loadPyodide({ indexURL: "/pyodide/" }), "/dist/${wheel}", tests, env, examples);
    // The same wheel in a Web Worker: loads itself there too (async API).
    window.inWorker = (env) => new Promise((resolve) => {
      const worker = new Worker("/worker.mjs", { type: "module" });
      worker.onmessage = (e) => { resolve(e.data); worker.terminate(); };
      worker.onerror = (e) => resolve(String(e.message));
      worker.postMessage(env);
    });
    window.ready = true;
  </script>`;
  const worker = `import { loadPyodide } from "/pyodide/pyodide.mjs";
    onmessage = async (e) => {
      try {
        const pyodide = await loadPyodide({ indexURL: "/pyodide/" });
        await pyodide.loadPackage("/dist/${wheel}");
        pyodide.globals.set("pg", e.data.WEBDBC_TEST_PG);
        pyodide.globals.set("relay", e.data.WEBDBC_TEST_RELAY);
        postMessage(await pyodide.runPythonAsync(\`
import webdbc
conn = await webdbc.connect_async(pg, relay=relay)
cur = conn.cursor()
await cur.execute("SELECT 'from a worker', ?::int8 * 2", [21])
row = await cur.fetchone()
await conn.close()
# Synchronous too, as JupyterLite's kernel (a worker) runs cells.
with webdbc.connect(pg, relay=relay) as sync:
    sync_row = sync.cursor().execute("SELECT 'sync'").fetchone()
repr((row, sync_row))
\`));
      } catch (err) {
        postMessage(String(err));
      }
    };`;
  const server = await serveFiles({
    pages: { "/": ["text/html", page], "/worker.mjs": ["text/javascript", worker] },
    dirs: { "/pyodide/": join(here, "../node_modules/pyodide/"), "/dist/": join(root, "dist/") },
  });
  const browser = await launchChromium();
  try {
    const tab = await browser.newPage();
    tab.on("pageerror", (e) => console.error("page error:", e.message));
    await tab.goto(`${server.url}/`);
    await tab.waitForFunction(() => window.ready === true);
    const results = await tab.evaluate(([t, e, x]) => window.run(t, e, x), [tests, env, examples]);
    const fromWorker = await tab.evaluate((e) => window.inWorker(e), env);
    const expected = "(('from a worker', 42), ('sync',))";
    results.push(["the wheel in a Web Worker", fromWorker === expected ? null : `got ${fromWorker}`]);
    return results;
  } finally {
    await browser.close();
    server.close();
  }
}

/** test_sqlalchemy.py in Chromium, in a fresh Pyodide for each SQLAlchemy wheel that .ci/run
 * downloaded from PyPI (2.0 and 2.1), loaded from files as a notebook would: no CDN. */
async function sqlalchemyInChromium() {
  const wheels = join(root, "target/wheels");
  const files = await readdir(wheels).catch(() => []);
  const sqlalchemy = files.filter((f) => /^sqlalchemy-.*\.whl$/i.test(f)).sort();
  const typing = files.find((f) => /^typing_extensions-.*\.whl$/.test(f));
  if (sqlalchemy.length < 2 || !typing) throw new Error("target/wheels lacks SQLAlchemy 2.0 and 2.1 or typing_extensions: run .ci/run");
  const page = `<!doctype html><script type="module">
    import { loadPyodide } from "/pyodide/pyodide.mjs";
    window.run = async (sqlalchemyWheel, tests, helpers, env) => {
      const pyodide = await loadPyodide({ indexURL: "/pyodide/" });
      await pyodide.loadPackage(["/wheels/${typing}", "/wheels/" + sqlalchemyWheel, "/dist/${wheel}"]);
      pyodide.FS.writeFile("/home/pyodide/test_sqlalchemy.py", tests);
      pyodide.FS.writeFile("/home/pyodide/test_webdbc.py", helpers);
      pyodide.globals.set("env_json", JSON.stringify(env));
      return JSON.parse(await pyodide.runPythonAsync(\`
import json, sys
sys.path.insert(0, "/home/pyodide")
import test_sqlalchemy
json.dumps(test_sqlalchemy.run(json.loads(env_json)))
\`));
    };
    window.ready = true;
  </script>`;
  const saTests = await readFile(join(here, "test_sqlalchemy.py"), "utf8");
  const server = await serveFiles({
    pages: { "/": ["text/html", page] },
    dirs: { "/pyodide/": join(here, "../node_modules/pyodide/"), "/dist/": join(root, "dist/"), "/wheels/": wheels + "/" },
  });
  const browser = await launchChromium();
  try {
    const out = [];
    for (const wheel of sqlalchemy) {
      const tab = await browser.newPage();
      tab.on("pageerror", (e) => console.error("page error:", e.message));
      await tab.goto(`${server.url}/`);
      await tab.waitForFunction(() => window.ready === true);
      out.push(...(await tab.evaluate(([w, t, h, e]) => window.run(w, t, h, e), [wheel, saTests, tests, env])));
      await tab.close();
    }
    return out;
  } finally {
    await browser.close();
    server.close();
  }
}
