// Types of the webdbc npm package.

export interface ConnectOptions {
  /** webdbc-relay URL, e.g. "wss://relay.example/v1/connect". `?address=host:port` from the
   * database URL is appended unless the URL already names `target=` or `address=`. Required for
   * postgres://, crate+pg://, questdb://…:8812 and ignite:// URLs; for HTTP databases (crate://) optional: requests then go through the relay's
   * HTTP forwarding (for servers that send no CORS headers). */
  relay?: string;
  /** The token a relay started with --token-key or --token-public-key asks for (a JWT naming the
   * targets it allows): a string, or a function giving one (or a promise of one), called for every
   * new relay connection and forwarded request so that short-lived tokens refresh themselves.
   * Sent as the WebSocket subprotocol `webdbc.token.<jwt>` and, on forwarded HTTP requests, as the
   * `X-Webdbc-Relay-Token` header. */
  relayToken?: string | (() => string | Promise<string>);
  /** PEP 249 default: false (statements run in a transaction until commit()). Databend and Ignite:
   * true by default, as their drivers. CrateDB (HTTP or Postgres wire), QuestDB's REST API and
   * Databricks have no transactions: always true there, and false is a NotSupportedError. */
  autocommit?: boolean;
  /** How int8 values arrive. Default "bigint" (exact). "number" raises DataError beyond 2^53. */
  int64?: "bigint" | "number" | "string";
  /** How numeric values arrive. Default "string" (exact text). "number" raises DataError when no
   * JS number equals the value. */
  numeric?: "string" | "number";
  /** How date/timestamp/timestamptz arrive. Default "string" (ISO 8601, microseconds kept).
   * "date": JS Date (UTC; microseconds truncated to milliseconds; infinity as ±Infinity). */
  dates?: "string" | "date";
  /** How json/jsonb arrive. Default "parse" (JSON.parse). "string": the server's text. */
  json?: "parse" | "string";
  /** Rows as arrays (default) or as objects keyed by column name. */
  rowMode?: "array" | "object";
  /** Rows per round trip while streaming a result (default 5000): the memory bound. */
  fetchSize?: number;
  /** Statement timeout in milliseconds: PostgreSQL's statement_timeout; for HTTP databases the
   * request is aborted. The client enforces it too, on every backend: past it, the statement is
   * cancelled, and if the server does not confirm within cancelGrace the connection is closed
   * and the call rejects with an OperationalError. */
  statementTimeout?: number;
  /** Milliseconds a cancelled statement (cancel(), an AbortSignal, statementTimeout) may take to
   * end before the connection is closed under it (default 3000). */
  cancelGrace?: number;
  /** PostgreSQL and Ignite: the largest message (a row, a frame) accepted from the server, in
   * bytes (default 64 MiB); a larger declared length is an error before anything is allocated. */
  maxMessageSize?: number;
  /** Milliseconds to wait for the relay and the login (default 30000). */
  connectTimeout?: number;
  /** application_name sent to the server (default "webdbc"). */
  applicationName?: string;
  /** A WebSocket constructor to use instead of globalThis.WebSocket (e.g. the `ws` package). */
  WebSocket?: unknown;
  /** Ignite: nodes ("host:port"), tried in turn; replaces the URL's hosts. */
  address?: string | string[];
  /** Ignite: basic authentication (the URL's user and password otherwise). */
  identity?: string;
  secret?: string;
  /** Ignite: the default schema (default "PUBLIC"). */
  schema?: string;
  /** Ignite: rows per page (default 1024). */
  pageSize?: number;
  page_size?: number;
  /** Ignite: the node's query timeout, in seconds (as the seed's driver). */
  timeout?: number;
}

export interface ExecuteOptions {
  /** Aborting cancels the running statement (PostgreSQL: a CancelRequest through the relay; HTTP
   * databases: the request is aborted). */
  signal?: AbortSignal;
}

/** QuestDB /imp parameters. */
export interface ImportOptions {
  overwrite?: boolean;
  /** The designated timestamp column. */
  timestamp?: string;
  partitionBy?: "NONE" | "HOUR" | "DAY" | "WEEK" | "MONTH" | "YEAR";
  /** What a bad value does: null that cell (default), skip the row, or abort the import. */
  atomicity?: "skipCol" | "skipRow" | "abort";
  delimiter?: string;
  forceHeader?: boolean;
  /** Column types: [{ name, type, pattern? }]. */
  schema?: { name: string; type: string; pattern?: string }[];
}

/** QuestDB's import report. */
export interface ImportReport {
  status: "OK";
  location: string;
  rowsImported: number;
  rowsRejected: number;
  header: boolean;
  columns: { name: string; type: string; size: number; errors: number }[];
}

/** PEP 249's seven description fields. */
export interface ColumnDescription {
  name: string;
  /** The server's type name: "int8", "numeric", "text[]", ... */
  typeCode: string;
  displaySize: number | null;
  internalSize: number | null;
  precision: number | null;
  scale: number | null;
  nullOk: boolean | null;
}

export type Row = any[] | Record<string, any>;
export type Params = any[] | Record<string, any>;

export class Cursor {
  /** Runs one statement. Array params fill `?` (or `$1`) placeholders; an object fills `:name`. */
  execute(sql: string, params?: Params | null, options?: ExecuteOptions): Promise<void>;
  /** Runs one statement once per parameter set, in one round trip. */
  executemany(sql: string, seqOfParams: Params[]): Promise<void>;
  fetchone(): Promise<Row | null>;
  fetchmany(size?: number): Promise<Row[]>;
  fetchall(): Promise<Row[]>;
  /** Moves to the next result when one `execute` ran several `;`-separated statements:
   * true, or false when there is none. */
  nextset(): Promise<boolean>;
  readonly description: ColumnDescription[] | null;
  /** Rows affected or returned; -1 while a result is still streaming. */
  readonly rowcount: number;
  arraysize: number;
  cancel(): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncIterator](): AsyncIterator<Row>;
}

export class Connection {
  cursor(): Cursor;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Cancels the statement running on this connection. */
  cancel(): Promise<void>;
  close(): Promise<void>;
  readonly closed: boolean;
  /** QuestDB only: loads CSV into `table` through /imp (created when missing). */
  importCsv(table: string, data: string | Uint8Array | ArrayBuffer, options?: ImportOptions): Promise<ImportReport>;
  /** Setting it takes effect from the next statement; refused inside a transaction. */
  autocommit: boolean;
}

/** Opens a connection: `postgres://user:pass@host:5432/db` (through `relay`), CrateDB's and
 * QuestDB's Postgres wire `crate+pg://crate@host:5432/doc`, `questdb://admin:quest@host:8812/qdb`
 * and Ignite's `ignite://[identity:secret@]host:10800[,host2]` (through `relay`), or CrateDB's
 * `crate://user:pass@host:4200[?schema=]`, `http://host:4200`, `https://host:4200`, or
 * Databend's `databend://user:pass@host:8000/db?sslmode=disable`, or QuestDB's
 * `questdb://admin:quest@host:9000`, or Databricks'
 * `databricks://token:<PAT>@host?http_path=/sql/1.0/warehouses/<id>&catalog=&schema=`. */
export function connect(url: string, options?: ConnectOptions): Promise<Connection>;
export function load(): Promise<void>;
export function wasmMemoryBytes(): Promise<number>;

export const apilevel: "2.0";
export const threadsafety: 1;
export const paramstyle: "qmark";

/** Where an error came from: the server (with its own code), the network, webdbc-relay, a
 * reply that breaks the protocol, a deadline of the client, a cancel, or the call itself. */
export type ErrorOrigin =
  | "server"
  | "network"
  | "relay"
  | "malformed"
  | "timeout"
  | "cancelled"
  | "client";

/** PEP 249 `Error`. Server errors carry the server's fields. */
export class WebdbcError extends Error {
  /** Where the error came from; set on every error webdbc raises. */
  origin?: ErrorOrigin;
  /** The server's error code: SQLSTATE for PostgreSQL and its dialects, `IGN-<GROUP>-<n>` for
   * Ignite, the vendor's code for the HTTP databases. */
  code?: string;
  /** The same as `code` (psycopg's name for it). */
  sqlstate?: string;
  severity?: string;
  detail?: string;
  hint?: string;
  /** 1-based character position in the statement as you wrote it. */
  position?: number;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
}
export class Warning extends Error {}
export class InterfaceError extends WebdbcError {}
export class DatabaseError extends WebdbcError {}
export class DataError extends DatabaseError {}
export class OperationalError extends DatabaseError {}
export class IntegrityError extends DatabaseError {}
export class InternalError extends DatabaseError {}
export class ProgrammingError extends DatabaseError {}
export class NotSupportedError extends DatabaseError {}
