// The SQL console: connect, run SQL with parameters, stream rows into a table. Public API only.
import { connect } from "./pkg/index.js";

const $ = (id) => document.getElementById(id);
let conn = null;
let running = null;

async function defaults() {
  $("relay").value = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/connect`;
  try {
    const demo = await (await fetch("demo.json")).json();
    $("url").value = demo.url;
  } catch {
    /* no demo.json: type a URL */
  }
}

function show(value) {
  if (value === null) return ["NULL", "null"];
  if (typeof value === "bigint" || typeof value === "number") return [String(value), "num"];
  if (value instanceof Uint8Array) return [`\\x${[...value].map((b) => b.toString(16).padStart(2, "0")).join("")}`, ""];
  if (typeof value === "object") return [JSON.stringify(value, (_, v) => (typeof v === "bigint" ? String(v) : v)), ""];
  return [String(value), ""];
}

function showError(e, sql) {
  const box = $("error");
  box.hidden = false;
  box.textContent = `${e.name}${e.code ? ` [${e.code}]` : ""}: ${e.message}`;
  for (const k of ["detail", "hint"]) if (e[k]) box.textContent += `\n${k}: ${e[k]}`;
  if (e.position) {
    const at = [...sql].slice(0, e.position - 1).join("").length;
    const line = document.createElement("div");
    line.append(sql.slice(0, at), Object.assign(document.createElement("mark"), { textContent: sql.slice(at, at + 12) || " " }), sql.slice(at + 12));
    box.append("\n\n", line);
  }
}

async function doConnect() {
  $("status").textContent = "connecting…";
  try {
    await conn?.close();
    conn = await connect($("url").value.trim(), { relay: $("relay").value.trim(), autocommit: $("autocommit").checked });
    $("status").textContent = "connected";
    $("run").disabled = false;
  } catch (e) {
    conn = null;
    $("status").textContent = "not connected";
    $("error").hidden = false;
    $("error").textContent = `${e.name}${e.code ? ` [${e.code}]` : ""}: ${e.message}`;
  }
}

async function run() {
  if (!conn || running) return;
  const sql = $("sql").value;
  const text = $("params").value.trim();
  $("error").hidden = true;
  $("grid").replaceChildren();
  $("summary").textContent = "running…";
  const cur = conn.cursor();
  const started = performance.now();
  running = cur;
  $("cancel").disabled = false;
  try {
    const params = text ? JSON.parse(text) : undefined;
    await cur.execute(sql, params);
    let shown = 0;
    if (cur.description) {
      const table = document.createElement("table");
      const head = table.createTHead().insertRow();
      for (const d of cur.description) {
        const th = document.createElement("th");
        th.append(d.name, Object.assign(document.createElement("small"), { textContent: d.typeCode }));
        head.append(th);
      }
      const body = table.createTBody();
      $("grid").append(table);
      for (;;) {
        const rows = await cur.fetchmany(500);
        if (rows.length === 0) break;
        for (const row of rows) {
          if (shown >= 1000) continue; // keep counting, show the first thousand
          const tr = body.insertRow();
          for (const v of row) {
            const [t, cls] = show(v);
            Object.assign(tr.insertCell(), { textContent: t, className: cls });
          }
          shown++;
        }
        $("summary").textContent = `${shown} rows so far…`;
      }
    }
    const ms = (performance.now() - started).toFixed(1);
    const n = cur.rowcount;
    $("summary").textContent = `${n >= 0 ? n : shown} row${n === 1 ? "" : "s"}${shown < n ? ` (first ${shown} shown)` : ""} in ${ms} ms`;
  } catch (e) {
    $("summary").textContent = "";
    showError(e, sql);
  } finally {
    running = null;
    $("cancel").disabled = true;
    await cur.close();
  }
}

$("connect").onclick = doConnect;
$("run").onclick = run;
$("cancel").onclick = () => running?.cancel();
$("autocommit").onchange = () => {
  try {
    if (conn) conn.autocommit = $("autocommit").checked;
  } catch (e) {
    $("autocommit").checked = !$("autocommit").checked;
    showError(e, "");
  }
};
$("sql").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run();
});
await defaults();
if ($("url").value) await doConnect();
