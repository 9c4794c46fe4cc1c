import { query } from "./query.js";

const params = new URLSearchParams(location.search);
const out = /** @type {HTMLElement} */ (document.getElementById("out"));
query(params.get("url") ?? "", params.get("relay") ?? "").then(
  (result) => (out.textContent = JSON.stringify(result)),
  (e) => (out.textContent = `${e.name}: ${e.message}`),
);
