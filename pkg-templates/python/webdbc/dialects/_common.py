"""What every webdbc dialect shares: the DB-API module, the URL turned into webdbc's connection
URL and options, transactions mapped onto what the backend has, and reflection from a catalog
query's rows."""

import re
from urllib.parse import quote, unquote

from sqlalchemy import types as sqltypes
from sqlalchemy.engine import default

# Options read from the SQLAlchemy URL's query rather than handed to the database's URL.
_OPTIONS = {
    "relay", "relay_token", "connect_timeout", "statement_timeout", "fetch_size", "autocommit",
    "cancel_grace", "max_message_size", "page_size", "timeout",
}


def connect_args(url, scheme, defaults=None):
    """(args, kwargs) for `webdbc.connect`: the URL with `scheme` and the query's webdbc options
    (`relay`, timeouts, …) as keyword arguments; the rest of the query stays in the URL."""
    query = dict(url.query)
    options = dict(defaults or {})
    for name in list(query):
        if name in _OPTIONS:
            options[name] = query.pop(name)
    for name in ("connect_timeout", "statement_timeout", "fetch_size", "page_size", "timeout",
                 "cancel_grace", "max_message_size"):
        if isinstance(options.get(name), str):
            options[name] = int(options[name])
    if isinstance(options.get("autocommit"), str):
        options["autocommit"] = options["autocommit"].lower() in ("1", "true", "yes", "on")
    if not url.host:
        if query:
            raise ValueError(
                f"URL parameters {sorted(query)} need a host in the URL: put them in connect_args"
            )
        return [], options  # Ignite's address=[…] in connect_args
    auth = ""
    if url.username is not None:
        auth = quote(url.username, safe="")
        if url.password is not None:
            auth += ":" + quote(str(url.password), safe="")
        auth += "@"
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = f":{url.port}" if url.port else ""
    # SQLAlchemy 2.0 keeps the database name as the URL wrote it, 2.1 decodes it: decode, then
    # encode once.
    path = f"/{quote(unquote(url.database), safe='')}" if url.database else ""
    pairs = [
        (k, v) for k, vs in query.items() for v in (vs if isinstance(vs, tuple) else (vs,))
    ]
    qs = "&".join(f"{quote(k, safe='')}={quote(str(v), safe='/')}" for k, v in pairs)
    return [f"{scheme}://{auth}{host}{port}{path}" + (f"?{qs}" if qs else "")], options


def type_from_name(name):
    """The SQLAlchemy type for a column type as a catalog names it (`BIGINT`, `INT32`,
    `Nullable(Int64)`, `DECIMAL(10,2)`, `timestamp with time zone`, `VARCHAR`, `BYTE_ARRAY`, …);
    NullType when unknown. `INT8` is an 8-bit integer here (Databend, Ignite): PostgreSQL's
    int8 never comes this way (its dialect reflects by itself)."""
    n = str(name or "").strip().lower()
    m = re.fullmatch(r"nullable\((.*)\)", n)
    if m:
        n = m.group(1).strip()
    if n.endswith("[]") or n.startswith(("array", "map", "struct", "tuple", "geo", "point")):
        return sqltypes.NullType()
    words = re.split(r"[\s(]+", n)
    base = words[0]
    args = [int(a) for a in re.findall(r"\d+", n[len(base):])]
    if "bool" in base:
        return sqltypes.Boolean()
    if base in ("decimal", "numeric", "number"):
        return sqltypes.Numeric(*args[:2])
    if base in ("double", "float", "real", "float4", "float8", "float32", "float64"):
        return sqltypes.Float()
    if "unsigned" in words or base in ("uint64", "ulong"):
        return sqltypes.Numeric(20, 0)  # beyond int64: exact
    if base in ("bigint", "long", "int64", "uint32", "bigserial"):
        return sqltypes.BigInteger()
    if base in ("smallint", "short", "int16", "tinyint", "byte", "int8", "uint8", "uint16"):
        return sqltypes.SmallInteger()
    if base in ("int", "integer", "int32", "serial", "mediumint"):
        return sqltypes.Integer()
    if base == "interval" or base in ("period", "duration"):
        return sqltypes.Interval()
    if base in ("timestamp", "datetime", "timestamptz", "timestamp_ltz", "timestamp_ntz", "datetime64"):
        aware = base in ("timestamptz", "timestamp_ltz") or "time zone" in n and "without" not in n
        return sqltypes.DateTime(timezone=aware)
    if base == "date":
        return sqltypes.Date()
    if base in ("time", "timetz"):
        return sqltypes.Time()
    if base in ("binary", "varbinary", "blob", "bytea", "byte_array", "bytes"):
        return sqltypes.LargeBinary()
    if base == "uuid":
        return sqltypes.Uuid()
    if base in ("json", "jsonb", "object", "variant"):
        return sqltypes.JSON()
    if base in ("char", "varchar", "string", "text", "symbol", "character", "nvarchar", "ipv4"):
        return sqltypes.String(*args[:1])
    return sqltypes.NullType()


def nullable(value):
    """A catalog's nullability: a boolean (CrateDB, Ignite) or 'YES'/'NO' (the SQL standard)."""
    if isinstance(value, str):
        return value.strip().upper() in ("YES", "TRUE", "1")
    return bool(value)


def ping(dbapi_connection):
    """SELECT 1 on the connection: SQLAlchemy's pre-ping."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT 1")
        cursor.fetchall()
    finally:
        cursor.close()
    return True


def is_disconnect(dbapi, e):
    """A broken connection (the network or the relay), or one already closed; not a server's
    error that happens to say "closed"."""
    if getattr(e, "origin", None) in ("network", "relay"):
        return True
    return isinstance(e, dbapi.InterfaceError) and str(e).startswith("connection is closed")


class WebdbcDialect(default.DefaultDialect):
    """The base of the dialects written for webdbc (all but PostgreSQL's, which is SQLAlchemy's
    own): qmark parameters, Python values as webdbc returns them, and reflection from the
    backend's catalog through `_table_names_sql` and `_columns_sql`."""

    driver = "webdbc"
    supports_statement_cache = True
    default_paramstyle = "qmark"
    supports_native_decimal = True
    supports_native_boolean = True
    supports_sane_rowcount = True
    supports_sane_multi_rowcount = True
    supports_multivalues_insert = True
    postfetch_lastrowid = False
    # The URL scheme webdbc's engine knows this backend by, and options every connection gets.
    webdbc_scheme = None
    webdbc_defaults = {}

    @classmethod
    def import_dbapi(cls):
        import webdbc

        return webdbc

    def create_connect_args(self, url):
        return connect_args(url, self.webdbc_scheme, self.webdbc_defaults)

    def _get_server_version_info(self, connection):
        return None

    def _get_default_schema_name(self, connection):
        return None

    def get_isolation_level_values(self, dbapi_connection):
        return ("AUTOCOMMIT",)

    def get_isolation_level(self, dbapi_connection):
        return "AUTOCOMMIT" if dbapi_connection.autocommit else "SERIALIZABLE"

    def set_isolation_level(self, dbapi_connection, level):
        dbapi_connection.autocommit = level == "AUTOCOMMIT"

    def do_rollback(self, dbapi_connection):
        # With autocommit on there is nothing to roll back: SQLAlchemy's rollback when a
        # connection goes back to the pool must not fail on a database without transactions.
        if not dbapi_connection.autocommit:
            dbapi_connection.rollback()

    def do_commit(self, dbapi_connection):
        if not dbapi_connection.autocommit:
            dbapi_connection.commit()

    def do_ping(self, dbapi_connection):
        return ping(dbapi_connection)

    def is_disconnect(self, e, connection, cursor):
        return is_disconnect(self.loaded_dbapi, e)

    # -- reflection ------------------------------------------------------------------------------

    def _rows(self, connection, sql, params=()):
        return list(connection.exec_driver_sql(sql, tuple(params)))

    def _table_names_sql(self, schema):
        raise NotImplementedError(f"{self.name}: this database has no catalog webdbc can read")

    def _columns_sql(self, table_name, schema):
        """(sql, params, row -> (name, type name, nullable))."""
        raise NotImplementedError(f"{self.name}: this database has no catalog webdbc can read")

    def get_table_names(self, connection, schema=None, **kw):
        sql, params = self._table_names_sql(schema)
        return [row[0] for row in self._rows(connection, sql, params)]

    def has_table(self, connection, table_name, schema=None, **kw):
        return table_name in self.get_table_names(connection, schema)

    def get_view_names(self, connection, schema=None, **kw):
        return []

    def get_columns(self, connection, table_name, schema=None, **kw):
        sql, params, read = self._columns_sql(table_name, schema)
        out = []
        for row in self._rows(connection, sql, params):
            name, type_name, nullable = read(row)
            out.append({
                "name": name,
                "type": type_from_name(type_name),
                "nullable": nullable,
                "default": None,
                "autoincrement": False,
            })
        if not out:
            from sqlalchemy import exc

            raise exc.NoSuchTableError(table_name)
        return out

    def get_pk_constraint(self, connection, table_name, schema=None, **kw):
        return {"constrained_columns": [], "name": None}

    def get_foreign_keys(self, connection, table_name, schema=None, **kw):
        return []

    def get_indexes(self, connection, table_name, schema=None, **kw):
        return []


class InformationSchemaDialect(WebdbcDialect):
    """Reflection from the SQL standard's information_schema (CrateDB, Databend, Databricks), in
    the dialect's default schema (`_get_default_schema_name`) unless a schema is named."""

    # Extra condition on information_schema.tables (CrateDB lists its views and system tables).
    _tables_filter = ""

    def _table_names_sql(self, schema):
        return (
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?"
            f"{self._tables_filter} ORDER BY table_name",
            (schema or self.default_schema_name,),
        )

    def _columns_sql(self, table_name, schema):
        return (
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            (schema or self.default_schema_name, table_name),
            lambda row: (row[0], row[1], nullable(row[2])),
        )
