// Small queries through a relay, in a process of its own: `node relay-queries.mjs webdbc|neon RELAY N`
// runs N × `SELECT $1::int` on WEBDBC_TEST_PG and prints the microseconds per query.
import * as webdbc from "../../pkg/node.js";
import { neonThroughRelay } from "./neon.mjs";

const [client, relay, count] = process.argv.slice(2);
const n = Number(count);
const pg = process.env.WEBDBC_TEST_PG;

async function timed(run) {
  await run(0); // warm: connection and statement paths
  const t = performance.now();
  for (let i = 1; i <= n; i++) await run(i);
  return ((performance.now() - t) * 1000) / n;
}

let us;
if (client === "webdbc") {
  const conn = await webdbc.connect(pg, { relay, autocommit: true });
  const cur = conn.cursor();
  us = await timed(async (i) => {
    await cur.execute("SELECT $1::int", [i]);
    if ((await cur.fetchone())[0] !== i) throw new Error("wrong answer");
  });
  await conn.close();
} else {
  const c = await neonThroughRelay(pg, relay);
  us = await timed(async (i) => {
    const res = await c.query("SELECT $1::int AS v", [i]);
    if (res.rows[0].v !== i) throw new Error("wrong answer");
  });
  await c.end();
}
console.log(us.toFixed(1));
