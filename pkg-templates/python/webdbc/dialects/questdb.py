"""`questdb://admin:quest@host:8812/qdb` (QuestDB's Postgres wire, through the relay) or
`questdb://admin:quest@host:9000` (its REST API): webdbc picks by the port, as it does for
`webdbc.connect`. QuestDB has no transactions to speak of: connections are in autocommit mode.
Reflection reads `SHOW TABLES` and `SHOW COLUMNS FROM`."""

from ._common import WebdbcDialect


class QuestDialect(WebdbcDialect):
    name = "questdb"
    webdbc_scheme = "questdb"
    webdbc_defaults = {"autocommit": True}

    def _table_names_sql(self, schema):
        return "SHOW TABLES", ()

    def _columns_sql(self, table_name, schema):
        quoted = self.identifier_preparer.quote_identifier(table_name)
        return f"SHOW COLUMNS FROM {quoted}", (), lambda row: (row[0], row[1], True)


dialect = QuestDialect
