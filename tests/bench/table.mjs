// What both benchmarks share: the table they read, and how a figure is printed.

/** Creates `bench`: `rows` rows of int8, text(20), float8 and timestamptz. */
export async function createBenchTable(cur, rows) {
  await cur.execute("DROP TABLE IF EXISTS bench");
  await cur.execute(`CREATE TABLE bench AS
  SELECT g::int8 AS id, substr(md5(g::text), 1, 20) AS label, g * 1.25::float8 AS amount,
         timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' AS at
  FROM generate_series(1, ${rows}) g`);
  await cur.execute("ANALYZE bench");
}

/** Prints rows per second for `n` rows in `ms`; refuses a count other than `expected`. */
export function report(name, n, ms, expected, width = 36) {
  if (n !== expected) throw new Error(`${name}: expected ${expected} rows, got ${n}`);
  console.log(`${name.padEnd(width)} ${String(Math.round(n / (ms / 1000))).padStart(9)} rows/s  (${(ms / 1000).toFixed(2)} s)`);
}
