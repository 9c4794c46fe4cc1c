// Issue 16's figures side by side with the peers, in one run: each client measured in a process
// of its own (client.mjs), three interleaved rounds, medians, the ratio to the peer and the goal.
// Run by scripts/bench under webdbc-testenv (release build).
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as webdbc from "../../pkg/node.js";
import { createBenchTable } from "./table.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const CRATE_ROWS = Number(process.env.BENCH_CRATE_ROWS ?? 100_000);

// The data: PostgreSQL's `bench` (int8, text, float8, timestamptz), CrateDB's `bench7` (7 columns).
const conn = await webdbc.connect(process.env.WEBDBC_TEST_PG, { relay: process.env.WEBDBC_TEST_RELAY, autocommit: true });
await createBenchTable(conn.cursor(), ROWS);
await conn.close();
const crate = await webdbc.connect(process.env.WEBDBC_TEST_CRATE);
const cc = crate.cursor();
await cc.execute("DROP TABLE IF EXISTS bench7");
await cc.execute("CREATE TABLE bench7 (id BIGINT, name TEXT, price DOUBLE, qty INTEGER, at TIMESTAMP, flag BOOLEAN, note TEXT)");
for (let start = 0; start < CRATE_ROWS; start += 10_000) {
  const sets = [];
  for (let i = start; i < Math.min(start + 10_000, CRATE_ROWS); i++) {
    sets.push([i, `name ${i}`, i * 0.25, i % 1000, new Date(1_700_000_000_000 + i * 1000), i % 2 === 0, `a note about ${i}`]);
  }
  await cc.executemany("INSERT INTO bench7 VALUES (?, ?, ?, ?, ?, ?, ?)", sets);
}
await crate.close();
// Databend's and Databricks' `bench6` (their test servers keep it in SQLite), made in one statement.
for (const [dsn, text] of [[process.env.WEBDBC_TEST_DATABEND, "TEXT"], [process.env.WEBDBC_TEST_DATABRICKS, "STRING"]]) {
  const c = await webdbc.connect(dsn);
  const cur = c.cursor();
  await cur.execute("DROP TABLE IF EXISTS bench6");
  await cur.execute(`CREATE TABLE bench6 (id BIGINT, name ${text}, price DOUBLE, qty INT, flag BOOLEAN, note ${text})`);
  await cur.execute(`INSERT INTO bench6 WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < ${CRATE_ROWS - 1})
    SELECT i, 'name ' || i, i * 0.25, i % 1000, i % 2 = 0, 'a note about ' || i FROM g`);
  await c.close();
}

const FIGURES = [
  { name: "5,000 × SELECT $1::int", figure: "small", unit: "µs/query", clients: ["webdbc", "pg", "neon"], lower: true,
    goal: ["pg", 1.3, "≤ 1.3× pg direct"] },
  { name: "5,000 × bare Sync round trip, the floor under a query", figure: "floor", unit: "µs", clients: ["relay", "direct"], lower: true,
    subject: "relay", about: "what the relay hop costs" },
  { name: "200 × connect + SELECT 1 + close", figure: "connect", unit: "µs each", clients: ["webdbc", "pg", "neon"], lower: true,
    goal: ["pg", 1.3, "≤ 1.3× pg direct"] },
  { name: `${ROWS.toLocaleString("en")} rows fetchall`, figure: "bulk", unit: "rows/s", clients: ["webdbc", "webdbc-stream", "pg", "neon"],
    goal: ["pg", 1.2, "≥ 1.2× pg direct and ≥ 2× neon"] },
  { name: `${CRATE_ROWS.toLocaleString("en")} CrateDB rows × 7 columns`, figure: "crate", unit: "ms", clients: ["webdbc", "fetch+JSON.parse"], lower: true,
    goal: ["fetch+JSON.parse", 1.3, "≤ 1.3× fetch + JSON.parse"] },
  { name: `${CRATE_ROWS.toLocaleString("en")} Databend rows × 6 columns, every page`, figure: "databend", unit: "ms", clients: ["webdbc", "fetch+JSON.parse"], lower: true,
    goal: ["fetch+JSON.parse", 1.3, "≤ 1.3× fetch + JSON.parse"] },
  { name: `${CRATE_ROWS.toLocaleString("en")} Databricks rows × 6 columns, every chunk`, figure: "databricks", unit: "ms", clients: ["webdbc", "fetch+JSON.parse"], lower: true,
    goal: ["fetch+JSON.parse", 1.3, "≤ 1.3× fetch + JSON.parse"] },
  { name: "100,000 rows fetchall, Python in Pyodide vs JS", figure: "python", unit: "rows/s", clients: ["python", "js"],
    goal: ["js", 0.8, "Python ≥ 0.8× JS"], subject: "python" },
];

const results = new Map();
for (let round = 1; round <= ROUNDS; round++) {
  for (const f of FIGURES) {
    for (const client of f.clients) {
      const out = execFileSync(process.execPath, ["--experimental-websocket", join(here, "client.mjs"), f.figure, client], {
        env: process.env, stdio: ["ignore", "pipe", "inherit"],
      }).toString().trim().split("\n").pop();
      const key = `${f.figure}/${client}`;
      results.set(key, [...(results.get(key) ?? []), JSON.parse(out).value]);
    }
  }
  console.error(`round ${round} of ${ROUNDS} done`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (v) => (v >= 100 ? Math.round(v).toLocaleString("en") : v.toFixed(2));
console.log(`medians of ${ROUNDS} rounds, each client in its own process, interleaved`);
for (const f of FIGURES) {
  console.log(`\n${f.name} (${f.unit}${f.lower ? ", lower is better" : ", higher is better"})`);
  for (const client of f.clients) console.log(`  ${client.padEnd(18)} ${fmt(median(results.get(`${f.figure}/${client}`))).padStart(12)}`);
  const subject = median(results.get(`${f.figure}/${f.subject ?? "webdbc"}`));
  if (!f.goal) {
    const [a, b] = f.clients;
    console.log(`  → ${a} ${(subject / median(results.get(`${f.figure}/${b}`))).toFixed(2)}× ${b} (no goal: ${f.about})`);
    continue;
  }
  const [peer, bound, goal] = f.goal;
  const ratio = subject / median(results.get(`${f.figure}/${peer}`));
  // Bulk rows have a second bound: 2× neon.
  const neonRatio = f.figure === "bulk" ? subject / median(results.get("bulk/neon")) : undefined;
  const met = (f.lower ? ratio <= bound : ratio >= bound) && (neonRatio === undefined || neonRatio >= 2);
  const extra = neonRatio === undefined ? "" : `, ${neonRatio.toFixed(2)}× neon`;
  console.log(`  → ${f.subject ?? "webdbc"} ${ratio.toFixed(2)}× ${peer}${extra} (goal ${goal}: ${met ? "met" : "not met"})`);
}

// The package: what a page downloads, gzipped file by file.
const gz = (files) => files.reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0);
const walk = (dir, keep) => readdirSync(dir).flatMap((n) => {
  const p = join(dir, n);
  return statSync(p).isDirectory() ? walk(p, keep) : keep(p) ? [p] : [];
});
const ours = gz(walk(join(root, "pkg"), (p) => /\.(wasm|js|mjs)$/.test(p) && !p.endsWith(".d.ts")));
const nm = join(here, "node_modules");
const neon = gz([join(nm, "@neondatabase/serverless/index.mjs")]);
const pgSize = gz([...walk(join(nm, "pg/lib"), (p) => p.endsWith(".js")), ...walk(join(nm, "pg-protocol/dist"), (p) => p.endsWith(".js"))]);
console.log(`\npackage, gzipped (wasm + JS): webdbc ${Math.round(ours / 1024)} KiB, neon ${Math.round(neon / 1024)} KiB, pg ${Math.round(pgSize / 1024)} KiB (lib + pg-protocol)`);
console.log(`  → webdbc ${(ours / 1024).toFixed(0)} KiB (goal ≤ 250 KB: ${ours <= 250_000 ? "met" : "not met"})`);
