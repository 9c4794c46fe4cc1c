"""`postgresql+webdbc://user:pw@host:5432/db`: SQLAlchemy's own PostgreSQL dialect (its compiler,
types and pg_catalog reflection) driving webdbc. Parameters are sent untyped, so each one's type
is cast in the SQL (`?::VARCHAR`), as SQLAlchemy does for asyncpg and psycopg: PostgreSQL cannot
infer a type for `$1` everywhere (reflection's `relname = $1` among others)."""

import decimal

from sqlalchemy.dialects import postgresql as pg_types
from sqlalchemy.dialects.postgresql import base as pg
from sqlalchemy.engine import interfaces
from sqlalchemy.sql import sqltypes

from ._common import connect_args, is_disconnect, ping


class _Cast:
    render_bind_cast = True


class _String(_Cast, sqltypes.String):
    pass


class _Integer(_Cast, sqltypes.Integer):
    pass


class _SmallInteger(_Cast, sqltypes.SmallInteger):
    pass


class _BigInteger(_Cast, sqltypes.BigInteger):
    pass


class _Boolean(_Cast, sqltypes.Boolean):
    pass


class _DateTime(_Cast, sqltypes.DateTime):
    pass


class _Date(_Cast, sqltypes.Date):
    pass


class _Time(_Cast, sqltypes.Time):
    pass


class _Interval(_Cast, pg_types.INTERVAL):
    pass


class _ParsedJSON(_Cast):
    def result_processor(self, dialect, coltype):
        return None  # webdbc hands JSON over parsed


class _JSON(_ParsedJSON, pg_types.JSON):
    pass


class _JSONB(_ParsedJSON, pg_types.JSONB):
    pass


class _NumericResult:
    """webdbc returns numeric as Decimal and float8 as float: convert only what the column's
    type asks for differently."""

    render_bind_cast = True

    def bind_processor(self, dialect):
        return None

    def result_processor(self, dialect, coltype):
        if self.asdecimal:
            def to_decimal(v):
                return decimal.Decimal(repr(v)) if isinstance(v, float) else v

            return to_decimal

        def to_float(v):
            return float(v) if isinstance(v, decimal.Decimal) else v

        return to_float


class _Numeric(_NumericResult, sqltypes.Numeric):
    pass


class _Float(_NumericResult, sqltypes.Float):
    pass


class _ARRAY(_Cast, pg_types.ARRAY):
    pass


class PostgresDialect(pg.PGDialect):
    driver = "webdbc"
    supports_statement_cache = True
    default_paramstyle = "qmark"
    bind_typing = interfaces.BindTyping.RENDER_CASTS
    supports_native_decimal = True
    supports_sane_multi_rowcount = True
    supports_server_side_cursors = False
    supports_native_json_serialization = False
    supports_native_json_deserialization = True
    colspecs = {
        **pg.PGDialect.colspecs,
        sqltypes.String: _String,
        sqltypes.Integer: _Integer,
        sqltypes.SmallInteger: _SmallInteger,
        sqltypes.BigInteger: _BigInteger,
        sqltypes.Boolean: _Boolean,
        sqltypes.DateTime: _DateTime,
        sqltypes.Date: _Date,
        sqltypes.Time: _Time,
        sqltypes.Interval: _Interval,
        pg_types.INTERVAL: _Interval,
        sqltypes.JSON: _JSON,
        pg_types.JSON: _JSON,
        pg_types.JSONB: _JSONB,
        sqltypes.Numeric: _Numeric,
        sqltypes.Float: _Float,
        sqltypes.ARRAY: _ARRAY,
        pg_types.ARRAY: _ARRAY,
    }

    @classmethod
    def import_dbapi(cls):
        import webdbc

        return webdbc

    def create_connect_args(self, url):
        return connect_args(url, "postgres")

    def get_isolation_level_values(self, dbapi_connection):
        return (
            "AUTOCOMMIT", "READ COMMITTED", "READ UNCOMMITTED", "REPEATABLE READ", "SERIALIZABLE",
        )

    def set_isolation_level(self, dbapi_connection, level):
        level = level.replace("_", " ")
        if level == "AUTOCOMMIT":
            dbapi_connection.autocommit = True
            return
        dbapi_connection.autocommit = False
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL {level}")
        cursor.execute("COMMIT")
        cursor.close()

    def detect_autocommit_setting(self, dbapi_conn):
        return bool(dbapi_conn.autocommit)

    def is_disconnect(self, e, connection, cursor):
        return is_disconnect(self.loaded_dbapi, e)

    def do_ping(self, dbapi_connection):
        return ping(dbapi_connection)


dialect = PostgresDialect
