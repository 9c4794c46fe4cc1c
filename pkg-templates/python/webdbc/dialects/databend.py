"""`databend://user:pw@host:8000/default?secure=False`: Databend over HTTP, bendsql's DSN.
Transactions are Databend's own (`engine.begin()` sends BEGIN and COMMIT). Reflection reads
information_schema (of the URL's database unless a schema is named)."""

from ._common import InformationSchemaDialect


class DatabendDialect(InformationSchemaDialect):
    name = "databend"
    webdbc_scheme = "databend"

    def _get_default_schema_name(self, connection):
        return connection.engine.url.database or "default"

    def get_isolation_level_values(self, dbapi_connection):
        return ("AUTOCOMMIT", "SERIALIZABLE")


dialect = DatabendDialect
