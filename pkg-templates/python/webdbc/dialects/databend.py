"""`databend://user:pw@host:8000/default?secure=False`: Databend over HTTP, bendsql's DSN.
Transactions are Databend's own (`engine.begin()` sends BEGIN and COMMIT). Reflection reads
information_schema (of the URL's database unless a schema is named)."""

from ._common import WebdbcDialect, nullable


class DatabendDialect(WebdbcDialect):
    name = "databend"
    webdbc_scheme = "databend"

    def create_connect_args(self, url):
        self._database = url.database or "default"
        return super().create_connect_args(url)

    def _get_default_schema_name(self, connection):
        return self._database

    def get_isolation_level_values(self, dbapi_connection):
        return ("AUTOCOMMIT", "SERIALIZABLE")

    def _table_names_sql(self, schema):
        return (
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = ? ORDER BY table_name",
            (schema or self._database,),
        )

    def _columns_sql(self, table_name, schema):
        return (
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            (schema or self._database, table_name),
            lambda row: (row[0], row[1], nullable(row[2])),
        )


dialect = DatabendDialect
