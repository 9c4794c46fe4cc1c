"""SQLAlchemy dialects over webdbc, one module per database, registered as the wheel's
`sqlalchemy.dialects` entry points:

    postgresql+webdbc://user:pw@host:5432/db          PostgreSQL (SQLAlchemy's own dialect on top)
    questdb://admin:quest@host:8812/qdb                QuestDB, Postgres wire (port 8812) or REST
    crate://host:4200, crate+pg://host:5432/doc        CrateDB over HTTP, or its Postgres wire
    databend://user:pw@host:8000/default?secure=False  Databend
    databricks://token:…@host?http_path=…&catalog=…    Databricks
    ignite://host:10800                                Apache Ignite 3

Each is also `NAME+webdbc://…`, so it can live beside a vendor's package. The relay goes in
`connect_args={"relay": "wss://…"}` or in the URL's query (`?relay=wss://…`). Importing this
package needs SQLAlchemy; `import webdbc` alone does not.
"""
