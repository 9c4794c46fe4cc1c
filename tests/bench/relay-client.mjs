// One transfer of the relay benchmark, in a process of its own: `node relay-client.mjs URL D|U BYTES`
// where URL is tcp://HOST:PORT (direct) or a ws:// URL of a relay. Prints the seconds it took.
import net from "node:net";
import WebSocket from "ws";

const [url, dir, size] = process.argv.slice(2);
const bytes = Number(size);
const head = Buffer.alloc(9);
head[0] = dir.charCodeAt(0);
head.writeBigUInt64BE(BigInt(bytes), 1);
const payload = Buffer.alloc(64 * 1024, 0x61);

function direct(done) {
  const [host, port] = url.slice("tcp://".length).split(":");
  const s = net.connect({ host, port: Number(port) }, () => {
    s.setNoDelay(true);
    s.write(head);
    if (dir === "U") {
      let left = bytes;
      const write = () => {
        while (left > 0) {
          const n = Math.min(left, payload.length);
          left -= n;
          if (!s.write(n === payload.length ? payload : payload.subarray(0, n))) return s.once("drain", write);
        }
      };
      write();
    }
  });
  let got = 0;
  s.on("data", (d) => {
    got += d.length;
    if ((dir === "D" && got >= bytes) || (dir === "U" && got >= 1)) done(got);
  });
}

function relayed(done) {
  // A zero mask: ws then skips masking in JavaScript (browsers mask in native code), so the
  // client does not bound what is measured of the proxies. The proxies unmask as always.
  const ws = new WebSocket(url, ["binary"], {
    perMessageDeflate: false,
    maxPayload: 1 << 30,
    generateMask: (mask) => mask.fill(0),
  });
  ws.binaryType = "nodebuffer";
  let got = 0;
  ws.on("open", () => {
    ws.send(head);
    if (dir === "U") {
      // Backpressure as a browser sees it: a bounded number of frames in flight, the next one
      // sent as each is written out.
      let left = bytes;
      let inflight = 0;
      const pump = () => {
        while (left > 0 && inflight < 16) {
          const n = Math.min(left, payload.length);
          left -= n;
          inflight++;
          ws.send(n === payload.length ? payload : payload.subarray(0, n), () => {
            inflight--;
            pump();
          });
        }
      };
      pump();
    }
  });
  ws.on("message", (d) => {
    got += d.length;
    if ((dir === "D" && got >= bytes) || (dir === "U" && got >= 1)) done(got, () => ws.close());
  });
  ws.on("error", (e) => {
    console.error(e.message);
    process.exit(1);
  });
}

const started = performance.now();
(url.startsWith("tcp://") ? direct : relayed)((got, close) => {
  if (dir === "D" && got !== bytes) throw new Error(`expected ${bytes} bytes, got ${got}`);
  console.log(((performance.now() - started) / 1000).toFixed(4));
  close?.();
  process.exit(0);
});
