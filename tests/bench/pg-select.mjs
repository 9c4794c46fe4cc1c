// Rows per second for `SELECT *` of 1,000,000 rows through webdbc-relay in Node: webdbc fetchall,
// webdbc streamed, and @neondatabase/serverless on the same relay. One run each; prints the figures.
// Run by scripts/bench-pg.sh under webdbc-testenv.
import * as webdbc from "../../pkg/node.js";
import { neonThroughRelay } from "./neon.mjs";
import { createBenchTable, report as print } from "./table.mjs";

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const relay = process.env.WEBDBC_TEST_RELAY;
const pg = process.env.WEBDBC_TEST_PG;

const conn = await webdbc.connect(pg, { relay, autocommit: true });
const cur = conn.cursor();
let t = performance.now();
await createBenchTable(cur, ROWS);
console.log(`loaded ${ROWS} rows (int8, text(20), float8, timestamptz) in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const report = (name, n, ms) => print(name, n, ms, ROWS);

t = performance.now();
await cur.execute("SELECT * FROM bench");
report("webdbc fetchall", (await cur.fetchall()).length, performance.now() - t);

t = performance.now();
await cur.execute("SELECT * FROM bench");
let n = 0;
for await (const row of cur) n += row.length === 4 ? 1 : 0;
report("webdbc streamed (for await)", n, performance.now() - t);
await conn.close();

const client = await neonThroughRelay(pg, relay);
t = performance.now();
const res = await client.query("SELECT * FROM bench");
report("@neondatabase/serverless query", res.rows.length, performance.now() - t);
await client.end();
