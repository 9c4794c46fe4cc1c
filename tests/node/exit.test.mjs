// A Node script that connects and closes must end: no timer or socket of webdbc keeps it alive.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";

test("a script exits once its connection is closed", async () => {
  const pkg = new URL("../../pkg/node.js", import.meta.url).href;
  const script = `
    import { connect } from ${JSON.stringify(pkg)};
    const conn = await connect(process.env.WEBDBC_TEST_PG, { relay: process.env.WEBDBC_TEST_RELAY, connectTimeout: 60000 });
    const cur = conn.cursor();
    await cur.execute("SELECT 1");
    await conn.close();`;
  const child = spawn(process.execPath, ["--experimental-websocket", "--input-type=module", "-e", script], { stdio: "inherit" });
  // The connect timeout is a minute: if its timer kept the process alive, this would fail.
  const code = await new Promise((resolve, reject) => {
    const guard = setTimeout(() => { child.kill(); reject(new Error("the script was still running after 20 s")); }, 20000);
    child.on("exit", (c) => { clearTimeout(guard); resolve(c); });
  });
  assert.equal(code, 0);
});
