// A real JupyterLite site, offline, in headless Chromium: scripts/build-lite-site.py builds it
// (jupyterlite-core and jupyterlite-pyodide-kernel from PyPI, webdbc's wheel added with
// --piplite-wheels, Pyodide from npm, the kernel's wheels served by the site), with a notebook
// that does what a user would: `%pip install webdbc sqlalchemy`, `import webdbc`, the synchronous
// connect through the relay, a SELECT, and a SQLAlchemy engine query. The test opens the notebook
// in Jupyter Notebook's page, runs all cells, and reads the outputs from the page.
//   node tests/jupyterlite/run.mjs        (under webdbc-testenv)
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { launchChromium, serveFiles } from "../chromium.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const { WEBDBC_TEST_PG: pg, WEBDBC_TEST_RELAY: relay } = process.env;
if (!relay) throw new Error("WEBDBC_TEST_* not set: run under webdbc-testenv");

const cells = [
  "%pip install webdbc sqlalchemy",
  `import webdbc
conn = webdbc.connect(${JSON.stringify(pg)}, relay=${JSON.stringify(relay)})
cur = conn.cursor()
cur.execute("SELECT 'webdbc ' || ?, ?::int8 * 2", [webdbc.__version__, 21])
print("ROW", cur.fetchall())
conn.close()`,
  `import sqlalchemy as sa
engine = sa.create_engine(${JSON.stringify("postgresql+webdbc://" + pg.split("://")[1])}, connect_args={"relay": ${JSON.stringify(relay)}})
with engine.connect() as c:
    print("SQLALCHEMY", sa.__version__, c.execute(sa.text("SELECT :n + 1"), {"n": 41}).scalar())`,
];
const notebook = {
  nbformat: 4, nbformat_minor: 5,
  metadata: { kernelspec: { name: "python", display_name: "Python (Pyodide)", language: "python" } },
  cells: cells.map((source, i) => ({ cell_type: "code", id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
};
const contents = await mkdtemp(join(tmpdir(), "webdbc-lite-"));
await writeFile(join(contents, "webdbc.ipynb"), JSON.stringify(notebook));
const site = join(root, "target/lite");
execFileSync(join(root, "target/litenv/bin/python"), [join(root, "scripts/build-lite-site.py"), site, "--contents", contents], { stdio: ["ignore", "ignore", "inherit"] });

// The test drives the page through JupyterLab's application object, which the page exposes only
// when asked to.
const configPath = join(site, "jupyter-lite.json");
const config = JSON.parse(await readFile(configPath, "utf8"));
config["jupyter-config-data"].exposeAppInBrowser = true;
await writeFile(configPath, JSON.stringify(config));

const server = await serveFiles({ dirs: { "/": site + "/" } });
const browser = await launchChromium();
let failed = false;
try {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const requests = [];
  const logs = [];
  context.on("request", (r) => requests.push(r.url())); // the page's, its workers' and service worker's
  tab.on("console", (m) => logs.push(m.text()));
  tab.on("pageerror", (e) => logs.push("page error: " + e.message));
  await tab.goto(`${server.url}/notebooks/index.html?path=webdbc.ipynb`);
  try {
    await tab.waitForFunction(() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel, null, { timeout: 120_000 });
  } catch (e) {
    await mkdir(join(root, "target/test-output"), { recursive: true });
    await tab.screenshot({ path: join(root, "target/test-output/jupyterlite.png") }).catch(() => {});
    throw new Error(`the notebook's kernel did not start: ${e.message}\nthe page logged:\n${logs.join("\n")}\nrequests:\n${requests.slice(-20).join("\n")}`);
  }
  await tab.evaluate(() => window.jupyterapp.shell.currentWidget.sessionContext.ready);
  await tab.evaluate(() => window.jupyterapp.commands.execute("notebook:run-all-cells"));
  // The outputs as the page shows them, until the last cell printed or one failed.
  const outputs = async () => tab.evaluate(() => [...document.querySelectorAll(".jp-OutputArea-output")].map((e) => e.innerText));
  const deadline = Date.now() + 240_000;
  let shown = [];
  while (Date.now() < deadline) {
    shown = await outputs();
    const text = shown.join("\n");
    if (/SQLALCHEMY|Error|Traceback/.test(text)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const text = shown.join("\n");
  const checks = [
    ["the sync connect and a SELECT through the relay", /ROW \[\('webdbc \d+\.\d+\.\d+', 42\)\]/],
    ["a SQLAlchemy engine query", /SQLALCHEMY 2\.1\.9 42/],
  ];
  for (const [what, re] of checks) {
    const pass = re.test(text);
    failed ||= !pass;
    console.log(`${pass ? "ok  " : "FAIL"} jupyterlite ${what}`);
  }
  // The kernel's Pyodide and its wheels came from the site.
  for (const file of ["/pyodide/pyodide.asm.wasm", "/pyodide/ipython-", "/pypi/webdbc-"]) {
    const pass = requests.some((u) => u.startsWith(server.url + file));
    failed ||= !pass;
    console.log(`${pass ? "ok  " : "FAIL"} jupyterlite the site served ${file}`);
  }
  // Offline: nothing but the site was asked for (the relay's WebSocket is not an HTTP request).
  const elsewhere = requests.filter((u) => !u.startsWith(server.url) && !u.startsWith("data:") && !u.startsWith("blob:"));
  failed ||= elsewhere.length > 0;
  console.log(`${elsewhere.length ? "FAIL" : "ok  "} jupyterlite no request left the site${elsewhere.length ? ": " + elsewhere.join(", ") : ""}`);
  if (failed) console.log("the page's outputs:\n" + text);
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
