// What the browser tests share: headless Chromium through playwright-core, and a static file
// server for the pages they open.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { join, extname } from "node:path";

const TYPES = {
  ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
  ".wasm": "application/wasm", ".json": "application/json",
};

/** Debian's Chromium, headless, with the flags this machine needs (shared/toolchain.md). */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** Serves on a free loopback port: `pages` maps exact paths to [content type, body], `dirs` maps
 * path prefixes ending in "/" to directories ("/" + index.html). Resolves to { url, close }. */
export async function serveFiles({ pages = {}, dirs = {} }) {
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
      if (pages[path]) return res.writeHead(200, { "content-type": pages[path][0] }).end(pages[path][1]);
      const prefix = Object.keys(dirs).filter((p) => path.startsWith(p)).sort((a, b) => b.length - a.length)[0];
      if (!prefix || path.includes("..")) throw new Error("not found");
      const file = path.endsWith("/") ? `${path}index.html` : path;
      const body = await readFile(join(dirs[prefix], file.slice(prefix.length)));
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}
