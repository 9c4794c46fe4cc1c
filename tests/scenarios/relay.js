import { eq, ok, rejects, within } from "./assert.js";
import { scalar } from "./support.js";

// ---- A relay that requires tokens (webdbc-testenv's second relay, HMAC key) ----

export async function relayTokens(api, env) {
  const relay = env.tokenRelay;
  // A fixed token; a cancel opens a second relay connection and takes it too.
  let conn = await api.connect(env.pg, { relay, relayToken: env.token });
  eq(await scalar(conn, "SELECT 1"), 1, "a query through the token relay");
  const cur = conn.cursor();
  const running = cur.execute("SELECT pg_sleep(30)");
  setTimeout(() => cur.cancel(), 300);
  let e = await within(10000, rejects(() => running, api.OperationalError, "cancel through the token relay"), "cancel");
  eq(e.code, "57014", "cancelled by the server");
  await conn.close();
  // A function, asked for every new relay connection.
  let calls = 0;
  const fresh = async () => {
    calls++;
    return env.token;
  };
  conn = await api.connect(env.pg, { relay, relayToken: fresh });
  eq([await scalar(conn, "SELECT 2"), calls], [2, 1], "asked once for the connection");
  await conn.close();
  // Refusals say why, as the relay's errors, and never repeat the token.
  e = await rejects(() => api.connect(env.pg, { relay }), api.OperationalError, "no token");
  ok(/the relay requires a token/.test(e.message), e.message);
  eq(e.origin, "relay", "a relay refusal says so");
  e = await rejects(() => api.connect(env.pg, { relay, relayToken: env.tokenExpired }), api.OperationalError, "expired");
  ok(/the relay refused the token: expired \d+ s ago/.test(e.message), e.message);
  ok(!e.message.includes(env.tokenExpired), "no token in the message");
  e = await rejects(() => api.connect(env.pg, { relay, relayToken: env.tokenOther }), api.OperationalError, "another target's");
  ok(/it does not allow target "pg"/.test(e.message), e.message);
  await rejects(() => api.connect(env.pg, { relay, relayToken: () => { throw new Error("no token today"); } }), api.InterfaceError, "a function that throws");
  await rejects(() => api.connect(env.pg, { relay, relayToken: 42 }), api.InterfaceError, "not a token");
  // HTTP forwarding takes the token as a header.
  conn = await api.connect(env.crateNoCors, { relay, relayToken: () => env.token });
  eq(await scalar(conn, "SELECT 3"), 3, "CrateDB through the token relay");
  await conn.close();
  e = await rejects(() => api.connect(env.crateNoCors, { relay }), api.OperationalError, "HTTP without a token");
  ok(/the relay requires a token/.test(e.message), e.message);
  eq(e.origin, "relay", "the relay's answer, not CrateDB's");
}
