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

// ---- TLS from the relay to the databases (targets pgtls*, ignite_tls, garbage_tls) ----

export async function relayTlsToDatabases(api, env) {
  const via = (target) => `${env.relay}?target=${target}`;
  // The server admits this user over TLS only: through pgtls the relay asks for TLS
  // (SSLRequest), checks the certificate against the test CA, and carries the client's bytes.
  let conn = await api.connect(env.pgTls, { relay: via("pgtls") });
  eq(await scalar(conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"), true, "the server sees TLS");
  // More than a socket buffer holds, up and down: TLS must not keep the end of it buffered.
  const big = "x".repeat(4 << 20);
  eq(await scalar(conn, "SELECT length($1::text)", [big]), 4 << 20, "a 4 MiB parameter over TLS");
  eq((await scalar(conn, "SELECT $1::text", [big])).length, 4 << 20, "a 4 MiB value back over TLS");
  // A cancel opens a second connection through the same target: TLS too.
  const cur = conn.cursor();
  const running = cur.execute("SELECT pg_sleep(30)");
  setTimeout(() => cur.cancel(), 300);
  let e = await within(10000, rejects(() => running, api.OperationalError, "cancel over TLS"), "cancel");
  eq(e.code, "57014", "cancelled by the server");
  await conn.close();
  // tls=require: encrypted, the certificate unchecked.
  conn = await api.connect(env.pgTls, { relay: via("pgtls_require") });
  eq(await scalar(conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"), true, "require encrypts");
  await conn.close();
  // Without TLS the server itself refuses this user: the test proves the targets above encrypt.
  e = await rejects(() => api.connect(env.pgTls, { relay: env.relay }), api.OperationalError, "plain to a TLS-only user");
  eq(e.code, "28000", `the server's refusal: ${e.message}`);
  ok(/no encryption/.test(e.message), e.message);
  // A certificate that the target's CA did not sign: refused, naming the target, as the relay's.
  e = await rejects(() => api.connect(env.pgTls, { relay: via("pgtls_wrong_ca") }), api.OperationalError, "wrong CA");
  ok(/target pgtls_wrong_ca: TLS: the server.s certificate is not signed by a trusted CA/.test(e.message), e.message);
  eq(e.origin, "relay", "the relay's refusal");
  // A server that answers the SSLRequest with garbage.
  e = await rejects(() => api.connect(env.pgTls, { relay: via("garbage_tls") }), api.OperationalError, "no PostgreSQL");
  ok(/target garbage_tls: not a PostgreSQL server/.test(e.message), e.message);
  // Ignite 3 speaks TLS from the first byte.
  conn = await api.connect(env.igniteTls, { relay: via("ignite_tls") });
  eq(await scalar(conn, "SELECT 40 + 2"), 42, "Ignite over TLS");
  await conn.close();
}
