// Connecting for the scenarios (PostgreSQL and Ignite through the relay; the HTTP databases that
// send no CORS headers directly from Node and through the relay's HTTP forwarding from pages), and
// steps several scenarios share.

import { eq } from "./assert.js";

export const open = (api, env, url = env.pg, options = {}) => api.connect(url, { relay: env.relay, ...options });

export async function scalar(conn, sql, params) {
  const cur = conn.cursor();
  await cur.execute(sql, params);
  const row = await cur.fetchone();
  await cur.close();
  return row[0];
}

export const inBrowser = typeof document !== "undefined";
export const openNoCors = (api, env, url, options = {}) => api.connect(url, inBrowser ? { relay: env.relay, ...options } : options);

/**
 * A paged result read slowly, on a connection with a short `statementTimeout`: `first` rows, then
 * a `cancel()` that finds nothing running, a pause longer than the timeout, and the rest. The page
 * asked for ahead is bounded by the server's answer, not by how long the caller takes.
 */
export async function readsSlowly(conn, rows, first, pauseMs) {
  const cur = conn.cursor();
  await cur.execute(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) SELECT x FROM c`);
  eq((await cur.fetchmany(first)).length, first, "the first page");
  await conn.cancel(); // between fetches: nothing runs, nothing is cancelled
  await new Promise((resolve) => setTimeout(resolve, pauseMs));
  eq((await cur.fetchall()).length, rows - first, "the pages after it, read after the timeout's span passed");
}
