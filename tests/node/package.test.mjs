// The npm tarball as a web app gets it: dist/webdbc-<version>.tgz installed into a fresh copy of
// tests/npm-app (a Vite 7 page and a Node script), type-checked against the package's types, the
// page bundled offline by Vite, and both querying the real PostgreSQL through the relay.
// Run under webdbc-testenv after build-pkg.sh.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { createServer } from "node:net";
import { gzipSync } from "node:zlib";
import { promisify } from "node:util";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, serveFiles } from "../chromium.mjs";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const template = join(root, "tests/npm-app");
const { WEBDBC_TEST_PG: url, WEBDBC_TEST_RELAY: relay } = process.env;
let app;

/** What the app's query must give: int8 arithmetic beyond 2^53 exact, from the real server. */
function assertQueried(result) {
  assert.equal(result.big, "9007199254740994");
  assert.equal(result.bigint, true);
  assert.match(result.server, /^PostgreSQL \d+/);
  assert.deepEqual(result.columns, ["big", "server"]);
}

before(async () => {
  const { version } = JSON.parse(await readFile(join(root, "pkg/package.json"), "utf8"));
  const tarball = `webdbc-${version}.tgz`;
  assert.ok((await readdir(join(root, "dist"))).includes(tarball), `dist/${tarball} is missing: run scripts/build-pkg.sh`);
  app = await mkdtemp(join(tmpdir(), "webdbc-app-"));
  await cp(template, app, { recursive: true, filter: (src) => !src.includes("node_modules") && !src.endsWith("/dist") });
  // Vite and TypeScript come from the npm cache that .ci/run filled (npm install in tests/npm-app).
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", join(root, "dist", tarball)], { cwd: app });
  await run("npx", ["--offline", "vite", "build"], { cwd: app });
});

after(() => app && rm(app, { recursive: true, force: true }));

test("the app type-checks against the package's types (tsc, strict)", async () => {
  const { stdout } = await run("npx", ["--offline", "tsc", "-p", ".", "--listFiles"], { cwd: app });
  assert.match(stdout, /node_modules\/webdbc\/index\.d\.ts$/m, "the types come from the package's exports");
});

test("the installed package, resolved by name in Node, queries PostgreSQL through the relay", async () => {
  const manifest = JSON.parse(await readFile(join(app, "node_modules/webdbc/package.json"), "utf8"));
  assert.equal(manifest.exports["."].node, "./node.js");
  const { stdout } = await run(process.execPath, ["--experimental-websocket", "node-app.mjs"], {
    cwd: app,
    env: { ...process.env, DATABASE_URL: url, RELAY_URL: relay },
  });
  assertQueried(JSON.parse(stdout));
});

/** Opens `pageUrl` with the test's database and relay in its query; resolves to what it shows. */
async function pageResult(browser, pageUrl, setup = async () => {}) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await setup(page);
  await page.goto(`${pageUrl}?${new URLSearchParams({ url, relay })}`);
  await page.waitForFunction(() => document.getElementById("out").textContent !== "running…");
  assert.deepEqual(errors, []);
  return page.textContent("#out");
}

test("the Vite bundle of the installed package queries PostgreSQL through the relay in Chromium", async (t) => {
  const assets = await readdir(join(app, "dist/assets"));
  for (const asset of assets) {
    const bytes = await readFile(join(app, "dist/assets", asset));
    t.diagnostic(`${asset}: ${(bytes.length / 1000).toFixed(1)} kB, ${(gzipSync(bytes).length / 1000).toFixed(1)} kB gzipped`);
  }
  assert.equal(assets.filter((f) => f.endsWith(".wasm")).length, 1, `one wasm asset: ${assets}`);
  const bundle = await readFile(join(app, "dist/assets", assets.find((f) => f.endsWith(".js"))), "utf8");
  assert.ok(!bundle.includes("node:fs"), "the browser bundle holds none of the Node entry");
  const server = await serveFiles({ dirs: { "/": join(app, "dist") } });
  const browser = await launchChromium();
  try {
    assertQueried(JSON.parse(await pageResult(browser, `${server.url}/`)));
    // A page whose wasm is not where the module says gets a clear error, not a compile error.
    const missing = await pageResult(browser, `${server.url}/`, (page) => page.route("**/*.wasm", (r) => r.fulfill({ status: 404 })));
    assert.match(missing, /^InterfaceError: could not load the webdbc engine from http:\/\/127\.0\.0\.1:\d+\/assets\/webdbc_wasm_bg-[\w-]+\.wasm: HTTP 404/);
  } finally {
    await browser.close();
    server.close();
  }
});

test("Vite's dev server serves the installed package (with the README's optimizeDeps setting)", async () => {
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  const dev = spawn("npx", ["--offline", "vite", "--port", String(port), "--strictPort", "--host", "127.0.0.1"], { cwd: app, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const browser = await launchChromium();
  try {
    await new Promise((resolve, reject) => {
      dev.stdout.on("data", (d) => String(d).includes("ready in") && resolve());
      dev.on("exit", (code) => reject(new Error(`vite exited with ${code}`)));
    });
    assertQueried(JSON.parse(await pageResult(browser, `http://127.0.0.1:${port}/`)));
  } finally {
    await browser.close();
    process.kill(-dev.pid, "SIGTERM");
  }
});
