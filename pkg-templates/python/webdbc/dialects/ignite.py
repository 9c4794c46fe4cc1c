"""`ignite://host:10800` (through the relay), or no host and pyignite_dbapi's address list:
`create_engine("ignite://", connect_args={"address": ["host:10800"], "relay": …})`. Ignite 3 has
transactions: connections start with autocommit off, so `engine.begin()` and `commit()` are real.
Ignite runs DDL outside transactions only, so DDL (`metadata.create_all`, `CREATE TABLE` in
text()) runs in autocommit when no transaction is open; inside one, Ignite's own error says why.
Reflection reads the SYSTEM views, as Ignite 3.1 names their columns."""

import re

_DDL = re.compile(r"\s*(CREATE|DROP|ALTER)\b", re.IGNORECASE)

from ._common import WebdbcDialect, nullable


class IgniteDialect(WebdbcDialect):
    name = "ignite"
    webdbc_scheme = "ignite"
    webdbc_defaults = {"autocommit": False}


    def _get_default_schema_name(self, connection):
        return "PUBLIC"

    def get_isolation_level_values(self, dbapi_connection):
        return ("AUTOCOMMIT", "SERIALIZABLE")

    def do_execute(self, cursor, statement, parameters, context=None):
        if _DDL.match(statement):
            _outside_transaction(cursor.connection, lambda: cursor.execute(statement, parameters))
        else:
            cursor.execute(statement, parameters)

    def do_execute_no_params(self, cursor, statement, context=None):
        self.do_execute(cursor, statement, (), context)

    def _rows(self, connection, sql, params=()):
        # Catalog reads open no transaction, so that DDL may follow them (create_all).
        dbapi = connection.connection.dbapi_connection
        return _outside_transaction(dbapi, lambda: super(IgniteDialect, self)._rows(connection, sql, params))

    def get_table_names(self, connection, schema=None, **kw):
        # Ignite keeps unquoted names in upper case; SQLAlchemy's convention is lower case.
        return [name.lower() for name in super().get_table_names(connection, schema)]

    def _table_names_sql(self, schema):
        return (
            "SELECT TABLE_NAME FROM SYSTEM.TABLES WHERE SCHEMA_NAME = ? ORDER BY TABLE_NAME",
            ((schema or "PUBLIC").upper(),),
        )

    def _columns_sql(self, table_name, schema):
        return (
            "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE_COLUMN FROM SYSTEM.TABLE_COLUMNS"
            " WHERE SCHEMA_NAME = ? AND TABLE_NAME = ? ORDER BY COLUMN_ORDINAL",
            ((schema or "PUBLIC").upper(), table_name.upper()),
            lambda row: (row[0].lower(), row[1], nullable(row[2])),
        )


def _outside_transaction(conn, run):
    """Runs `run` in autocommit when no transaction is open; inside one, as it is (for DDL,
    Ignite then refuses and says why)."""
    if conn.autocommit:
        return run()
    try:
        conn.autocommit = True
    except conn.ProgrammingError:
        return run()
    try:
        return run()
    finally:
        conn.autocommit = False


dialect = IgniteDialect
