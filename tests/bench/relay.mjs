// The relay benchmark (scripts/bench-relay): bytes through direct TCP, webdbc-relay and websockify
// from one loopback source, both directions, each transfer in a client process of its own; the
// proxies' CPU seconds per GiB and peak RSS from /proc; then small queries of webdbc and
// @neondatabase/serverless through webdbc-relay (medians of rounds). Run under webdbc-testenv.
import { spawn, execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import net from "node:net";

const BYTES = Number(process.env.BENCH_BYTES ?? 1 << 30);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const relayBin = process.env.RELAY_BIN;
const websockify = process.env.WEBSOCKIFY_BIN;
const here = new URL(".", import.meta.url).pathname;
const children = [];
process.on("exit", () => children.forEach((c) => c.kill("SIGKILL")));

function start(cmd, args, opts = {}) {
  const c = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
  c.stderr.resume();
  children.push(c);
  return c;
}

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function listening(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => (s.end(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** CPU seconds (user + system, its reaped children's too: websockify forks one per connection)
 * of a process, from /proc. */
function cpu(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(stat[i]), 0) / 100;
}

/** Resident KiB of a process and its children now. */
function rss(pid) {
  const kib = (p) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0);
  let total = kib(pid);
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const ppid = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ")[1];
      if (Number(ppid) === pid) total += kib(p);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** One transfer in a client process: seconds, and the proxy's peak RSS (KiB, its children's
 * included) sampled meanwhile. */
function transfer(url, dir, bytes, pid) {
  return new Promise((resolve, reject) => {
    const c = spawn("node", [`${here}relay-client.mjs`, url, dir, String(bytes)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    let peak = pid ? rss(pid) : 0;
    const sampler = setInterval(() => pid && (peak = Math.max(peak, rss(pid))), 200);
    c.stdout.on("data", (d) => (out += d));
    c.on("exit", (code) => {
      clearInterval(sampler);
      if (code !== 0) return reject(new Error(`${url} ${dir}: client failed`));
      resolve({ secs: Number(out.trim()), peakKiB: peak });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The source, the two relays.
const source = start("node", [`${here}relay-source.mjs`]);
const sourcePort = Number(await new Promise((resolve) => source.stdout.once("data", resolve)));
const pgAddress = new URL(process.env.WEBDBC_TEST_PG).host;
const relayPort = await freePort();
const relay = start(relayBin, ["--listen", `127.0.0.1:${relayPort}`, "--target", `src=127.0.0.1:${sourcePort}`, "--target", `pg=${pgAddress}`]);
const wsPort = await freePort();
const wsfy = start(websockify, [`127.0.0.1:${wsPort}`, `127.0.0.1:${sourcePort}`]);
await Promise.all([listening(relayPort), listening(wsPort)]);

const paths = [
  ["direct TCP", `tcp://127.0.0.1:${sourcePort}`, null],
  ["webdbc-relay", `ws://127.0.0.1:${relayPort}/v1/connect?target=src`, relay.pid],
  ["websockify (Python)", `ws://127.0.0.1:${wsPort}/`, wsfy.pid],
];
const GiB = BYTES / 2 ** 30;
const results = {};
console.log(`${(BYTES / 2 ** 20).toFixed(0)} MiB each way through each path, one client process per transfer`);
console.log(`${"path".padEnd(22)} ${"down MB/s".padStart(10)} ${"CPU s/GiB".padStart(10)} ${"up MB/s".padStart(10)} ${"CPU s/GiB".padStart(10)} ${"peak RSS".padStart(9)}`);
for (const [name, url, pid] of paths) {
  const r = { peakKiB: pid ? 0 : null };
  for (const dir of ["D", "U"]) {
    const before = pid && cpu(pid);
    const { secs, peakKiB } = await transfer(url, dir, BYTES, pid);
    // A forked child's CPU counts once it is reaped.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = pid && cpu(pid);
    r[dir] = { mbps: BYTES / 1e6 / secs, cpu: pid ? (after - before) / GiB : null };
    if (pid) r.peakKiB = Math.max(r.peakKiB, peakKiB);
  }
  results[name] = r;
  const fmt = (x) => (x === null ? "–" : x.toFixed(2));
  console.log(
    `${name.padEnd(22)} ${r.D.mbps.toFixed(0).padStart(10)} ${fmt(r.D.cpu).padStart(10)} ${r.U.mbps.toFixed(0).padStart(10)} ${fmt(r.U.cpu).padStart(10)} ${(r.peakKiB === null ? "–" : `${(r.peakKiB / 1024).toFixed(0)} MiB`).padStart(9)}`,
  );
}
const relayR = results["webdbc-relay"];
const direct = results["direct TCP"];
const wsr = results["websockify (Python)"];
for (const [dir, word] of [["D", "database→browser"], ["U", "browser→database"]]) {
  console.log(
    `${word}: webdbc-relay ${(relayR[dir].mbps / direct[dir].mbps).toFixed(2)}× direct (goal ≥ 0.9), ` +
      `${(relayR[dir].mbps / wsr[dir].mbps).toFixed(2)}× websockify (goal ≥ 2), ` +
      `CPU per GiB ${(relayR[dir].cpu / wsr[dir].cpu).toFixed(2)}× websockify's (goal < 1)`,
  );
}

// Small queries: each client in its own process, rounds interleaved.
const relayUrl = `ws://127.0.0.1:${relayPort}/v1/connect`;
const per = { webdbc: [], neon: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const client of ["webdbc", "neon"]) {
    const out = execFileSync("node", ["--experimental-websocket", `${here}relay-queries.mjs`, client, relayUrl, String(QUERIES)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    per[client].push(Number(out.trim()));
  }
}
const w = median(per.webdbc);
const n = median(per.neon);
console.log(`${QUERIES} × SELECT $1::int through webdbc-relay, median of ${ROUNDS} rounds:`);
console.log(`  webdbc                         ${w.toFixed(0).padStart(7)} µs/query  (rounds: ${per.webdbc.map((x) => x.toFixed(0)).join(", ")})`);
console.log(`  @neondatabase/serverless       ${n.toFixed(0).padStart(7)} µs/query  (rounds: ${per.neon.map((x) => x.toFixed(0)).join(", ")})`);
console.log(`  neon / webdbc: ${(n / w).toFixed(2)}× (goal ≤ 1.5)`);
process.exit(0);
