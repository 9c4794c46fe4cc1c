"""`crate://[user:pw@]host:4200` (CrateDB's HTTP endpoint) or `crate+pg://user:pw@host:5432/doc`
(its Postgres wire, through the relay). CrateDB has no transactions: every statement commits, and
SQLAlchemy's rollbacks do nothing. Reflection reads information_schema."""

from ._common import WebdbcDialect, nullable, connect_args


class CrateDialect(WebdbcDialect):
    name = "crate"

    def create_connect_args(self, url):
        scheme = "crate+pg" if url.get_driver_name() == "pg" else "crate"
        return connect_args(url, scheme)

    def _get_default_schema_name(self, connection):
        return "doc"

    def _table_names_sql(self, schema):
        return (
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name",
            (schema or "doc",),
        )

    def _columns_sql(self, table_name, schema):
        return (
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            (schema or "doc", table_name),
            lambda row: (row[0], row[1], nullable(row[2])),
        )


dialect = CrateDialect
