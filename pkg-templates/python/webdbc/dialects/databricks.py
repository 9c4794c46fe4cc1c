"""`databricks://token:…@host?http_path=…&catalog=…&schema=…`: the SQL Statement Execution API.
Identifiers are quoted with backticks, parameters may be `:name`. Every statement commits.
Reflection reads information_schema (the URL's schema unless another is named)."""

from sqlalchemy.sql import compiler

from ._common import WebdbcDialect, nullable


class _Preparer(compiler.IdentifierPreparer):
    def __init__(self, dialect):
        super().__init__(dialect, initial_quote="`", escape_quote="`")


class DatabricksDialect(WebdbcDialect):
    name = "databricks"
    webdbc_scheme = "databricks"
    preparer = _Preparer

    def create_connect_args(self, url):
        self._schema = url.query.get("schema") or "default"
        return super().create_connect_args(url)

    def _get_default_schema_name(self, connection):
        return self._schema

    def _table_names_sql(self, schema):
        return (
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?"
            " ORDER BY table_name",
            (schema or self._schema,),
        )

    def _columns_sql(self, table_name, schema):
        return (
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            (schema or self._schema, table_name),
            lambda row: (row[0], row[1], nullable(row[2])),
        )


dialect = DatabricksDialect
