// The SQL console: choose a backend or paste a URL, run SQL with parameters, watch the rows
// stream into a paged table. It uses only the public API of the npm package.
import { connect } from "webdbc";

const $ = (id) => document.getElementById(id);
const PAGE_ROWS = 100;
const FETCH_ROWS = 500;
/** Rows kept for paging; beyond this a result is counted, not kept (the tab's memory). */
const KEEP_ROWS = 100_000;
const HISTORY_KEY = "webdbc.console.history";
const HISTORY_SIZE = 30;

let backends = [];
let conn = null;
let connects = 0; // the latest connect() wins; an earlier one that ends later is closed
let running = null; // the cursor of the statement that is running
let result = { columns: [], rows: [], total: 0 };
let page = 0;

const defaultRelay = () => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/connect`;
/** The URL without its password or tokens, for the status line: the user part ends at the
 * last "@" before the query (as webdbc reads it), and secret query values are masked too. */
function redacted(url) {
  const query = url.indexOf("?") === -1 ? url.length : url.indexOf("?");
  const at = url.lastIndexOf("@", query);
  const scheme = url.indexOf("://") + 3;
  let shown = url;
  if (scheme > 2 && at > scheme) {
    const colon = url.indexOf(":", scheme);
    if (colon !== -1 && colon < at) shown = `${url.slice(0, colon)}:•••${url.slice(at)}`;
  }
  return shown.replace(/([?&](?:password|token|access_token|secret)=)[^&]*/gi, "$1•••");
}

// ---- backends and connecting

async function loadBackends() {
  try {
    backends = (await (await fetch("demo.json")).json()).backends ?? [];
  } catch {
    backends = []; // served without the demo: paste a URL
  }
  const options = backends.map((b, i) => new Option(b.name, String(i)));
  $("backend").replaceChildren(...options, new Option("Your database (paste its URL)", "custom"));
}

function chooseBackend() {
  const b = backends[Number($("backend").value)];
  if (!b) {
    $("url").value = "";
    $("url").focus();
    setStatus("paste a URL: the relay must allow its host (scripts/demo --target NAME=HOST:PORT)");
    return false;
  }
  $("url").value = b.url;
  $("relay").value = b.relay ? defaultRelay() : "";
  // Replace the editor only when it still holds another backend's sample.
  if (!$("sql").value.trim() || backends.some((o) => o.sql === $("sql").value)) {
    $("sql").value = b.sql;
    $("params").value = b.params ?? "";
  }
  return true;
}

function setStatus(text, bad = false) {
  $("status").textContent = text;
  $("status").classList.toggle("bad", bad);
}

/** Buttons that fit the state: Run when connected and idle, Commit and Rollback only with
 * autocommit off. */
function updateButtons() {
  $("run").disabled = !conn || !!running;
  $("commit").disabled = $("rollback").disabled = !conn || !!running || $("autocommit").checked;
  $("cancel").disabled = !running;
}

async function doConnect() {
  const url = $("url").value.trim();
  if (!url) return;
  const attempt = ++connects;
  setStatus("connecting…");
  hideError();
  const old = conn;
  conn = null;
  updateButtons();
  await old?.close().catch(() => {});
  try {
    const relay = $("relay").value.trim();
    const opened = await connect(url, { relay: relay || undefined, autocommit: $("autocommit").checked });
    if (attempt !== connects) return void opened.close().catch(() => {});
    conn = opened;
    setStatus(`connected: ${redacted(url)}`);
  } catch (e) {
    if (attempt !== connects) return;
    setStatus("not connected", true);
    showError(e, null);
  }
  updateButtons();
}

// ---- running statements

/** The parameters field as JSON; integers beyond 2^53 become BigInt from their source text
 * rather than a rounded number. */
function parseParams() {
  const text = $("params").value.trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text, (_, v, context) => {
      if (typeof v !== "number" || Number.isSafeInteger(v) || !/^-?\d+$/.test(context?.source ?? "")) return v;
      return BigInt(context.source);
    });
  } catch (e) {
    throw new SyntaxError(`the parameters are not JSON: ${e.message}`);
  }
}

async function run() {
  if (!conn || running) return;
  const sql = $("sql").value;
  hideError();
  result = { columns: [], rows: [], total: 0 };
  page = 0;
  render();
  $("summary").textContent = "running…";
  const started = performance.now();
  const elapsed = () => `${(performance.now() - started).toFixed(1)} ms`;
  const cur = conn.cursor();
  running = cur;
  updateButtons();
  let outcome = "ok";
  let failed = false;
  try {
    await cur.execute(sql, parseParams());
    // A script of several statements shows its last result, as a SQL console does.
    while (await cur.nextset());
    if (cur.description) {
      result.columns = cur.description;
      render();
      for (;;) {
        const rows = await cur.fetchmany(FETCH_ROWS);
        if (rows.length === 0) break;
        const room = KEEP_ROWS - result.rows.length;
        if (room > 0) result.rows.push(...rows.slice(0, room));
        result.total += rows.length;
        $("summary").textContent = `${result.total.toLocaleString()} rows so far… ${elapsed()}`;
        render();
      }
      const kept = result.total > result.rows.length ? ` (the first ${result.rows.length.toLocaleString()} kept)` : "";
      outcome = `${result.total.toLocaleString()} row${result.total === 1 ? "" : "s"}`;
      $("summary").textContent = `${outcome}${kept} in ${elapsed()}`;
    } else {
      const n = cur.rowcount;
      outcome = n >= 0 ? `${n.toLocaleString()} row${n === 1 ? "" : "s"} affected` : "done";
      $("summary").textContent = `${outcome} in ${elapsed()}`;
    }
  } catch (e) {
    failed = true;
    outcome = e.code ? `${e.name} [${e.code}]` : e.name;
    const before = result.total ? `${result.total.toLocaleString()} rows, then ` : "";
    $("summary").textContent = `${before}failed after ${elapsed()}`;
    showError(e, sql);
  } finally {
    running = null;
    updateButtons();
    render();
    await cur.close().catch(() => {});
  }
  remember(sql, $("params").value.trim(), outcome, failed);
}

async function endTransaction(how) {
  if (!conn || running) return;
  hideError();
  try {
    await conn[how]();
    $("summary").textContent = how === "commit" ? "committed" : "rolled back";
  } catch (e) {
    showError(e, null);
  }
}

// ---- the result grid

/** Decimal columns arrive as exact text; they align as numbers. */
const DECIMAL_TYPE = /^(numeric|decimal)/i;

function cell(value, decimal) {
  if (value === null || value === undefined) return ["NULL", "null"];
  if (value === "") return ["", "empty"];
  if (typeof value === "bigint" || typeof value === "number" || decimal) return [String(value), "num"];
  if (typeof value === "boolean") return [String(value), "bool"];
  if (value instanceof Uint8Array) return [`\\x${[...value].map((b) => b.toString(16).padStart(2, "0")).join("")}`, ""];
  if (value instanceof Date) return [value.toISOString(), ""];
  if (typeof value === "object") return [JSON.stringify(value, (_, v) => (typeof v === "bigint" ? String(v) : v)), ""];
  return [String(value), ""];
}

function render() {
  const { columns, rows, total } = result;
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
  page = Math.min(page, pages - 1);
  $("pager").hidden = rows.length <= PAGE_ROWS;
  const from = page * PAGE_ROWS;
  const to = Math.min(rows.length, from + PAGE_ROWS);
  $("page").textContent = `rows ${(from + 1).toLocaleString()}–${to.toLocaleString()} of ${total.toLocaleString()}${running ? "…" : ""}`;
  $("first").disabled = $("prev").disabled = page === 0;
  $("next").disabled = $("last").disabled = page >= pages - 1;
  if (!columns.length) return $("grid").replaceChildren();
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  head.append(document.createElement("th"));
  for (const d of columns) {
    const th = document.createElement("th");
    th.append(d.name, Object.assign(document.createElement("small"), { textContent: d.typeCode }));
    head.append(th);
  }
  const body = table.createTBody();
  for (let i = from; i < to; i++) {
    const tr = body.insertRow();
    Object.assign(tr.insertCell(), { textContent: String(i + 1), className: "rownum" });
    const row = rows[i];
    for (const [c, value] of (Array.isArray(row) ? row : Object.values(row)).entries()) {
      const [text, className] = cell(value, DECIMAL_TYPE.test(columns[c]?.typeCode ?? ""));
      Object.assign(tr.insertCell(), { textContent: text, className, title: text.length > 40 ? text : "" });
    }
  }
  $("grid").replaceChildren(table);
}

function turnPage(to) {
  page = to;
  render();
}

// ---- errors

function hideError() {
  $("error").hidden = true;
  $("error").replaceChildren();
}

/** The error's class, code and message, the server's detail and hint, and where in `sql` it
 * points (position: 1-based characters), marked there and selected in the editor. */
function showError(e, sql) {
  const box = $("error");
  const span = (className, textContent) => Object.assign(document.createElement("span"), { className, textContent });
  box.replaceChildren(span("class", e.name ?? "Error"), e.code ? span("code", ` [${e.code}]`) : "", `: ${e.message}`);
  for (const k of ["detail", "hint"]) if (e[k]) box.append(`\n${k}: ${e[k]}`);
  if (sql && Number.isInteger(e.position) && e.position > 0) {
    const chars = [...sql];
    const at = chars.slice(0, e.position - 1).join("").length; // UTF-16 offset of the character
    const token = /^[\p{L}\p{N}_$]+|^[^\s]/u.exec(sql.slice(at))?.[0] ?? "";
    const lineStart = sql.lastIndexOf("\n", at - 1) + 1;
    const lineEnd = sql.indexOf("\n", at) === -1 ? sql.length : sql.indexOf("\n", at);
    const lineNo = sql.slice(0, at).split("\n").length;
    const where = Object.assign(document.createElement("div"), { className: "where" });
    where.append(
      `line ${lineNo}, column ${[...sql.slice(lineStart, at)].length + 1}:\n`,
      sql.slice(lineStart, at),
      Object.assign(document.createElement("mark"), { textContent: token || " " }),
      sql.slice(at + token.length, lineEnd),
    );
    box.append(where);
    $("sql").setSelectionRange(at, at + token.length);
  }
  box.hidden = false;
}

// ---- history (statements only: URLs hold passwords and are never stored)

function history() {
  try {
    return JSON.parse(localStorage.getItem(HISTORY_KEY)) ?? [];
  } catch {
    return [];
  }
}

function remember(sql, params, outcome, failed) {
  const entries = [{ sql, params, outcome, failed, at: new Date().toLocaleTimeString() },
    ...history().filter((h) => h.sql !== sql || h.params !== params)].slice(0, HISTORY_SIZE);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(entries));
  showHistory();
}

function showHistory() {
  $("history").replaceChildren(...history().map((h) => {
    const li = Object.assign(document.createElement("li"), { title: h.sql, className: h.failed ? "failed" : "" });
    li.append(h.sql.replace(/\s+/g, " ").trim(), Object.assign(document.createElement("small"), {
      textContent: `${h.at} · ${h.outcome}${h.params ? ` · ${h.params}` : ""}`,
    }));
    li.onclick = () => {
      $("sql").value = h.sql;
      $("params").value = h.params;
      $("sql").focus();
    };
    return li;
  }));
}

// ---- wiring

$("backend").onchange = () => chooseBackend() && doConnect();
$("connect").onclick = doConnect;
$("url").addEventListener("keydown", (e) => e.key === "Enter" && doConnect());
$("run").onclick = run;
const cancel = () => running?.cancel().catch((e) => showError(e, null));
$("cancel").onclick = cancel;
$("commit").onclick = () => endTransaction("commit");
$("rollback").onclick = () => endTransaction("rollback");
$("first").onclick = () => turnPage(0);
$("prev").onclick = () => turnPage(page - 1);
$("next").onclick = () => turnPage(page + 1);
$("last").onclick = () => turnPage(Infinity);
$("clear-history").onclick = () => {
  localStorage.removeItem(HISTORY_KEY);
  showHistory();
};
$("autocommit").onchange = () => {
  try {
    if (conn) conn.autocommit = $("autocommit").checked;
  } catch (e) {
    $("autocommit").checked = !$("autocommit").checked;
    showError(e, null);
  }
  updateButtons();
};
for (const id of ["sql", "params"]) {
  $(id).addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });
}
document.addEventListener("keydown", (e) => e.key === "Escape" && cancel());

showHistory();
await loadBackends();
if (chooseBackend()) await doConnect();
