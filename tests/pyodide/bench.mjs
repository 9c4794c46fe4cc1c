// Rows per second into Python tuples for SELECT * of 100,000 rows (the table of the JS benchmark,
// tests/bench/pg-select.mjs) through webdbc-relay: the Python module in Pyodide (Node, async
// fetchall and fetchmany(10000)), next to the JS API's fetchall in the same process and run.
// Run by scripts/bench-pyodide.sh under webdbc-testenv.
import { readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import * as webdbc from "../../pkg/node.js";
import { loadPyodide } from "pyodide";
import { createBenchTable, report as print } from "../bench/table.mjs";

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const relay = process.env.WEBDBC_TEST_RELAY;
const pg = process.env.WEBDBC_TEST_PG;
const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

const conn = await webdbc.connect(pg, { relay, autocommit: true });
const cur = conn.cursor();
await createBenchTable(cur, ROWS);

const report = (name, n, ms) => print(name, n, ms, ROWS, 44);

// Warm both sides once, then measure.
await cur.execute("SELECT * FROM bench LIMIT 1000");
await cur.fetchall();
let t = performance.now();
await cur.execute("SELECT * FROM bench");
report("JS webdbc fetchall (arrays of JS values)", (await cur.fetchall()).length, performance.now() - t);
await conn.close();

const pyodide = await loadPyodide();
const wheel = (await readdir(join(root, "dist"))).find((f) => /^webdbc-.*\.whl$/.test(f));
await pyodide.loadPackage(join(root, "dist", wheel));
pyodide.globals.set("pg", pg);
pyodide.globals.set("relay", relay);
const out = await pyodide.runPythonAsync(`
import json, time, webdbc
conn = await webdbc.connect_async(pg, relay=relay)
cur = conn.cursor()
await cur.execute("SELECT * FROM bench LIMIT 1000")
await cur.fetchall()
t = time.perf_counter()
await cur.execute("SELECT * FROM bench")
rows = await cur.fetchall()
fetchall = (len(rows), time.perf_counter() - t, type(rows[0]).__name__, [type(v).__name__ for v in rows[0]])
t = time.perf_counter()
await cur.execute("SELECT * FROM bench")
n = 0
while batch := await cur.fetchmany(10000):
    n += len(batch)
fetchmany = (n, time.perf_counter() - t)
await conn.rollback()
await conn.close()
json.dumps([fetchall, fetchmany])
`);
const [[n1, s1, rowType, types], [n2, s2]] = JSON.parse(out);
if (rowType !== "tuple" || types.join() !== "int,str,float,datetime") throw new Error(`rows are ${rowType} of ${types}`);
report("Python webdbc fetchall (tuples, in Pyodide)", n1, s1 * 1000);
report("Python webdbc fetchmany(10000) (in Pyodide)", n2, s2 * 1000);
