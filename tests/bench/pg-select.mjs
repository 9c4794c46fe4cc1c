// Rows per second for `SELECT *` of 1,000,000 rows through webdbc-relay in Node: webdbc fetchall,
// webdbc streamed, and @neondatabase/serverless on the same relay. One run each; prints the figures.
// Run by scripts/bench-pg.sh under webdbc-testenv.
import * as webdbc from "../../pkg/node.js";
import { Client, neonConfig } from "@neondatabase/serverless";
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

const relayHost = new URL(relay).host;
neonConfig.webSocketConstructor = WebSocket;
neonConfig.useSecureWebSocket = false;
neonConfig.forceDisablePgSSL = true;
neonConfig.pipelineConnect = false; // the server asks for SCRAM, not cleartext
neonConfig.wsProxy = (host, port) => `${relayHost}/v1?address=${host}:${port}`;
const client = new Client(pg);
await client.connect();
t = performance.now();
const res = await client.query("SELECT * FROM bench");
report("@neondatabase/serverless query", res.rows.length, performance.now() - t);
await client.end();
