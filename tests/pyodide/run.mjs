// Runs tests/pyodide/test_webdbc.py inside Pyodide, with the wheel installed from its file the
// way a user would (pyodide.loadPackage of dist/webdbc-*.whl, offline):
//   node --experimental-websocket tests/pyodide/run.mjs node      Pyodide in Node (async API)
//   node tests/pyodide/run.mjs chromium                           Pyodide in headless Chromium
//                                                                 (playwright-core; sync and async)
// Run under webdbc-testenv (WEBDBC_TEST_* variables). Exits non-zero when a test fails.
import { createServer } from "node:http";
import { readFile, readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join, extname } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const mode = process.argv[2] ?? "node";
const wheel = (await readdir(join(root, "dist"))).find((f) => /^webdbc-.*\.whl$/.test(f));
if (!wheel) throw new Error("dist/webdbc-*.whl is missing: run scripts/build-pkg.sh");
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("WEBDBC_TEST_")));
if (!env.WEBDBC_TEST_RELAY) throw new Error("WEBDBC_TEST_* not set: run under webdbc-testenv");
env.EXPECT_SYNC = mode === "chromium" ? "1" : "0";
const tests = await readFile(join(here, "test_webdbc.py"), "utf8");

/** What both runtimes do: install the wheel, run the tests, return [name, error] pairs. */
async function runInPyodide(pyodide, wheelUrl, tests, env) {
  await pyodide.loadPackage(wheelUrl);
  pyodide.FS.writeFile("/home/pyodide/test_webdbc.py", tests);
  pyodide.globals.set("env_json", JSON.stringify(env));
  const out = await pyodide.runPythonAsync(`
import json, sys
sys.path.insert(0, "/home/pyodide")
import test_webdbc
json.dumps(await test_webdbc.run(json.loads(env_json)))
`);
  return JSON.parse(out);
}

let results;
if (mode === "node") {
  const { loadPyodide } = await import("pyodide");
  const pyodide = await loadPyodide();
  results = await runInPyodide(pyodide, join(root, "dist", wheel), tests, env);
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

async function inChromium() {
  const { chromium } = await import("playwright-core");
  const files = {
    "/pyodide/": join(here, "node_modules/pyodide/"),
    "/dist/": join(root, "dist/"),
  };
  const types = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".html": "text/html" };
  const page = `<!doctype html><script type="module">
    import { loadPyodide } from "/pyodide/pyodide.mjs";
    const run = ${runInPyodide.toString()};
    window.run = async (tests, env) => run(await loadPyodide({ indexURL: "/pyodide/" }), "/dist/${wheel}", tests, env);
    window.ready = true;
  </script>`;
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (path === "/") return res.writeHead(200, { "content-type": "text/html" }).end(page);
    const prefix = Object.keys(files).find((p) => path.startsWith(p));
    try {
      if (!prefix || path.includes("..")) throw new Error("not found");
      const body = await readFile(join(files[prefix], path.slice(prefix.length)));
      res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const tab = await browser.newPage();
    tab.on("pageerror", (e) => console.error("page error:", e.message));
    await tab.goto(`http://127.0.0.1:${server.address().port}/`);
    await tab.waitForFunction(() => window.ready === true);
    return await tab.evaluate(([t, e]) => window.run(t, e), [tests, env]);
  } finally {
    await browser.close();
    server.close();
  }
}
