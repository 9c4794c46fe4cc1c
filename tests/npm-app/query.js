// The query both the page and the Node script run: the package as an app imports it, by name.
// Type-checked against the package's index.d.ts (tsconfig.json).
import { connect } from "webdbc";

/** @param {string} url @param {string} relay */
export async function query(url, relay) {
  const conn = await connect(url, { relay });
  try {
    const cur = conn.cursor();
    await cur.execute("SELECT 9007199254740993::int8 + ? AS big, version() AS server", [1]);
    const row = await cur.fetchone();
    if (!Array.isArray(row)) throw new Error(`expected a row as an array, got ${row}`);
    const [big, server] = row;
    const columns = (cur.description ?? []).map((d) => d.name);
    return { big: String(big), bigint: typeof big === "bigint", server, columns };
  } finally {
    await conn.close();
  }
}
