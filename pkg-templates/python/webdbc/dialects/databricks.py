"""`databricks://token:…@host?http_path=…&catalog=…&schema=…`: the SQL Statement Execution API.
Identifiers are quoted with backticks, parameters may be `:name`. Every statement commits.
Reflection reads information_schema (the URL's schema unless another is named)."""

from sqlalchemy.sql import compiler

from ._common import InformationSchemaDialect


class _Preparer(compiler.IdentifierPreparer):
    def __init__(self, dialect):
        super().__init__(dialect, initial_quote="`", escape_quote="`")


class DatabricksDialect(InformationSchemaDialect):
    name = "databricks"
    webdbc_scheme = "databricks"
    preparer = _Preparer

    def _get_default_schema_name(self, connection):
        return connection.engine.url.query.get("schema") or "default"


dialect = DatabricksDialect
