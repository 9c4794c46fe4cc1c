// The query both the page and the Node script run: the package as an app imports it, by name.
import { connect } from "webdbc";

export async function query(url, relay) {
  const conn = await connect(url, { relay });
  try {
    const cur = conn.cursor();
    await cur.execute("SELECT 9007199254740993::int8 + ? AS big, version() AS server", [1]);
    const [big, server] = await cur.fetchone();
    return { big: String(big), bigint: typeof big === "bigint", server, columns: cur.description.map((d) => d.name) };
  } finally {
    await conn.close();
  }
}
