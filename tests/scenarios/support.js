// Connecting for the scenarios: PostgreSQL and Ignite through the relay; the HTTP databases that
// send no CORS headers directly from Node and through the relay's HTTP forwarding from pages.

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
