// The loopback TCP source of the relay benchmark: a client sends "D" or "U" and a size (8 bytes,
// big-endian); for D the source writes that many bytes and closes, for U it reads that many and
// answers one byte. Prints its port on stdout.
import net from "node:net";

const chunk = Buffer.alloc(256 * 1024, 0x5a);
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let head = Buffer.alloc(0);
  let left = -1;
  let upload = false;
  socket.on("data", (data) => {
    if (left < 0) {
      head = Buffer.concat([head, data]);
      if (head.length < 9) return;
      upload = head[0] === 0x55; // "U"
      left = Number(head.readBigUInt64BE(1));
      data = head.subarray(9);
      if (!upload) {
        const write = () => {
          while (left > 0) {
            const n = Math.min(left, chunk.length);
            left -= n;
            if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return socket.once("drain", write);
          }
          socket.end();
        };
        return write();
      }
    }
    left -= data.length;
    if (upload && left <= 0) socket.end(Buffer.from([1]));
  });
  socket.on("error", () => {});
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
