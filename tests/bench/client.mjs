// One measurement of issue 16's figures, by one client, in a process of its own (in one process
// the last client would pay for the heap the first one grew): `node client.mjs FIGURE CLIENT`
// prints {"value": …}. Run by tests/bench/figures.mjs under webdbc-testenv.
import * as webdbc from "../../pkg/node.js";
import pg from "pg";
import { neonThroughRelay } from "./neon.mjs";

const [figure, client] = process.argv.slice(2);
const env = process.env;
const relay = env.WEBDBC_TEST_RELAY;
const SMALL = Number(env.BENCH_SMALL ?? 5000);
const CONNECTS = Number(env.BENCH_CONNECTS ?? 200);
const ROWS = Number(env.BENCH_ROWS ?? 1_000_000);
const HTTP_ROWS = Number(env.BENCH_CRATE_ROWS ?? 100_000);

/** ms for webdbc to read all of `sql` at `dsn` (an HTTP database), after a first 1,000 rows. */
async function webdbcFetchall(dsn, sql) {
  const conn = await webdbc.connect(dsn);
  const cur = conn.cursor();
  await cur.execute(`${sql} LIMIT 1000`); // warm, as every figure here is
  await cur.fetchall();
  const t = performance.now();
  await cur.execute(sql);
  const rows = await cur.fetchall();
  const ms = performance.now() - t;
  if (rows.length !== HTTP_ROWS) throw new Error(`${rows.length} rows`);
  await conn.close();
  return ms;
}

/** A client with one interface: query(sql, params) → rows, end(). */
async function open(name) {
  if (name.startsWith("webdbc")) {
    const conn = await webdbc.connect(env.WEBDBC_TEST_PG, { relay, autocommit: true });
    const cur = conn.cursor();
    return {
      async query(sql, params) {
        await cur.execute(sql, params);
        if (name === "webdbc-stream") {
          const rows = [];
          for await (const row of cur) rows.push(row);
          return rows;
        }
        return cur.description ? cur.fetchall() : [];
      },
      end: () => conn.close(),
    };
  }
  const c = name === "pg" ? new pg.Client(env.WEBDBC_TEST_PG) : await neonThroughRelay(env.WEBDBC_TEST_PG, relay);
  if (name === "pg") await c.connect();
  return { query: async (sql, params) => (await c.query(sql, params)).rows, end: () => c.end() };
}

async function measure() {
  switch (figure) {
    case "small": {
      const c = await open(client);
      for (let i = 0; i < 200; i++) await c.query("SELECT $1::int", [i]);
      const t = performance.now();
      for (let i = 0; i < SMALL; i++) {
        const rows = await c.query("SELECT $1::int", [i]);
        if (rows.length !== 1) throw new Error("one row expected");
      }
      const us = ((performance.now() - t) * 1000) / SMALL;
      await c.end();
      return us;
    }
    case "connect": {
      const t = performance.now();
      for (let i = 0; i < CONNECTS; i++) {
        const c = await open(client);
        await c.query("SELECT 1", []);
        await c.end();
      }
      return ((performance.now() - t) * 1000) / CONNECTS;
    }
    case "bulk": {
      const c = await open(client);
      await c.query("SELECT * FROM bench LIMIT 1000", []);
      const t = performance.now();
      const rows = await c.query("SELECT * FROM bench", []);
      const s = (performance.now() - t) / 1000;
      if (rows.length !== ROWS) throw new Error(`${rows.length} rows, expected ${ROWS}`);
      await c.end();
      return ROWS / s;
    }
    case "crate": {
      const url = new URL(env.WEBDBC_TEST_CRATE.replace(/^crate:/, "http:"));
      const sql = "SELECT * FROM bench7";
      if (client === "webdbc") return webdbcFetchall(env.WEBDBC_TEST_CRATE, sql);
      const auth = "Basic " + Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64");
      const query = async (stmt) => {
        const res = await fetch(`http://${url.host}/_sql?types=true`, { // the request webdbc sends
          method: "POST",
          headers: { "content-type": "application/json", authorization: auth },
          body: JSON.stringify({ stmt }),
        });
        return JSON.parse(await res.text());
      };
      await query(`${sql} LIMIT 1000`);
      const t = performance.now();
      const body = await query(sql);
      const ms = performance.now() - t;
      if (body.rows.length !== HTTP_ROWS) throw new Error(`${body.rows.length} rows`);
      return ms;
    }
    case "databend":
    case "databricks": {
      // The same 100,000 × 6 table, its pages followed: webdbc against fetch + JSON.parse of the
      // requests webdbc sends (the peer keeps the int64 column's precision only by luck).
      const sql = "SELECT * FROM bench6";
      const dsn = env[figure === "databend" ? "WEBDBC_TEST_DATABEND" : "WEBDBC_TEST_DATABRICKS"];
      if (client === "webdbc") return webdbcFetchall(dsn, sql);
      const url = new URL(dsn.replace(/^[a-z]+:/, "http:"));
      const base = `http://${url.host}`;
      const get = async (path, init = {}) => {
        const res = await fetch(base + path, { ...init, headers: { ...init.headers, authorization, "content-type": "application/json" } });
        if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
        return JSON.parse(await res.text());
      };
      let authorization, body, path, rowsOf, nextOf;
      if (figure === "databend") {
        authorization = "Basic " + Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64");
        [path, body] = ["/v1/query", { sql }];
        rowsOf = (r) => r.data ?? [];
        nextOf = (r) => r.next_uri;
      } else {
        authorization = `Bearer ${decodeURIComponent(url.password)}`;
        const warehouse = url.searchParams.get("http_path").split("/").pop();
        path = "/api/2.0/sql/statements";
        body = { warehouse_id: warehouse, statement: sql, wait_timeout: "10s", on_wait_timeout: "CONTINUE", disposition: "INLINE", format: "JSON_ARRAY" };
        rowsOf = (r) => (r.result ?? r).data_array ?? [];
        nextOf = (r) => (r.result ?? r).next_chunk_internal_link;
      }
      const all = async (statement) => {
        const key = figure === "databend" ? "sql" : "statement";
        let reply = await get(path, { method: "POST", body: JSON.stringify({ ...body, [key]: statement }) });
        let n = rowsOf(reply).length;
        while (nextOf(reply)) {
          reply = await get(nextOf(reply));
          n += rowsOf(reply).length;
        }
        return n;
      };
      await all(`${sql} LIMIT 1000`);
      const t = performance.now();
      const n = await all(sql);
      const ms = performance.now() - t;
      if (n !== HTTP_ROWS) throw new Error(`${n} rows`);
      return ms;
    }
    case "floor": {
      // A bare Sync → ReadyForQuery, the least a round trip to PostgreSQL costs: directly over
      // TCP ("direct") or through webdbc-relay's WebSocket ("relay"), as the cleartext user.
      const url = new URL(env.WEBDBC_TEST_PG_CLEARTEXT);
      const frame = (tag, body) => {
        const b = Buffer.alloc(5 + body.length);
        b[0] = tag.charCodeAt(0);
        b.writeInt32BE(4 + body.length, 1);
        body.copy(b, 5);
        return b;
      };
      const params = Buffer.from(`user\0${decodeURIComponent(url.username)}\0database\0${url.pathname.slice(1)}\0\0`);
      const startup = Buffer.alloc(8 + params.length);
      startup.writeInt32BE(8 + params.length, 0);
      startup.writeInt32BE(196608, 4);
      params.copy(startup, 8);
      let send, close, buf = Buffer.alloc(0);
      const waiting = [];
      const messages = [];
      const take = (data) => {
        buf = Buffer.concat([buf, data]);
        while (buf.length >= 5 && buf.length >= 1 + buf.readInt32BE(1)) {
          const m = buf.subarray(0, 1 + buf.readInt32BE(1));
          buf = buf.subarray(m.length);
          (waiting.shift() ?? ((x) => messages.push(x)))(m);
        }
      };
      const next = () => (messages.length ? Promise.resolve(messages.shift()) : new Promise((r) => waiting.push(r)));
      if (client === "direct") {
        const net = await import("node:net");
        const socket = await new Promise((r) => { const s = net.connect(Number(url.port), url.hostname, () => r(s)); });
        socket.setNoDelay(true);
        socket.on("data", take);
        [send, close] = [(b) => socket.write(b), () => socket.destroy()];
      } else {
        const ws = new WebSocket(`${relay}?address=${url.hostname}:${url.port}`);
        ws.binaryType = "arraybuffer";
        await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
        ws.onmessage = (e) => take(Buffer.from(e.data));
        [send, close] = [(b) => ws.send(b), () => ws.close()];
      }
      send(startup);
      for (let m = await next(); m[0] !== 90; m = await next()) { // up to ReadyForQuery
        if (m[0] === 82 && m.readInt32BE(5) === 3) send(frame("p", Buffer.from(`${decodeURIComponent(url.password)}\0`)));
        if (m[0] === 69) throw new Error("the login failed");
      }
      const sync = frame("S", Buffer.alloc(0));
      for (let i = 0; i < 200; i++) { send(sync); await next(); }
      const t = performance.now();
      for (let i = 0; i < SMALL; i++) {
        send(sync);
        if ((await next())[0] !== 90) throw new Error("ReadyForQuery expected");
      }
      const us = ((performance.now() - t) * 1000) / SMALL;
      close();
      return us;
    }
    case "python": {
      // 100,000 rows into JS arrays (client "js") or Python tuples in Pyodide (client "python").
      const sql = "SELECT * FROM bench LIMIT 100000";
      if (client === "js") {
        const c = await open("webdbc");
        await c.query("SELECT * FROM bench LIMIT 1000", []);
        const t = performance.now();
        const rows = await c.query(sql, []);
        const s = (performance.now() - t) / 1000;
        await c.end();
        return rows.length / s;
      }
      const { loadPyodide } = await import("pyodide");
      const { readdir } = await import("node:fs/promises");
      const dist = new URL("../../dist/", import.meta.url).pathname;
      const pyodide = await loadPyodide();
      await pyodide.loadPackage(dist + (await readdir(dist)).find((f) => /^webdbc-.*\.whl$/.test(f)));
      pyodide.globals.set("pg", env.WEBDBC_TEST_PG);
      pyodide.globals.set("relay", relay);
      pyodide.globals.set("sql", sql);
      return pyodide.runPythonAsync(`
import time, webdbc
conn = await webdbc.connect_async(pg, relay=relay, autocommit=True)
cur = conn.cursor()
await cur.execute("SELECT * FROM bench LIMIT 1000")
await cur.fetchall()
t = time.perf_counter()
await cur.execute(sql)
rows = await cur.fetchall()
rate = len(rows) / (time.perf_counter() - t)
await conn.close()
rate
`);
    }
    default:
      throw new Error(`unknown figure ${figure}`);
  }
}

console.log(JSON.stringify({ value: await measure() }));
