"""`crate://[user:pw@]host:4200` (CrateDB's HTTP endpoint) or `crate+pg://user:pw@host:5432/doc`
(its Postgres wire, through the relay). CrateDB has no transactions: every statement commits, and
SQLAlchemy's rollbacks do nothing. Reflection reads information_schema."""

from ._common import InformationSchemaDialect, connect_args


class CrateDialect(InformationSchemaDialect):
    name = "crate"
    _tables_filter = " AND table_type = 'BASE TABLE'"

    def create_connect_args(self, url):
        scheme = "crate+pg" if url.get_driver_name() == "pg" else "crate"
        return connect_args(url, scheme)

    def _get_default_schema_name(self, connection):
        return "doc"


dialect = CrateDialect
