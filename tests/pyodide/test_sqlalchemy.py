"""SQLAlchemy over webdbc inside Pyodide in headless Chromium, with the synchronous engine (JSPI):
the seeds' SQLAlchemy flows against the real PostgreSQL and the protocol test servers, Core, the
ORM, reflection and transactions. Run by tests/pyodide/run.mjs (`sqlalchemy` mode) once per
SQLAlchemy wheel; `run(env)` returns [name, error or None] pairs.
"""

import datetime as dt
import decimal
import traceback

import sqlalchemy as sa
from sqlalchemy import orm

import webdbc
from test_webdbc import eq, raises  # the module's own tests' helpers (run.mjs writes both)

ENV = {}


def relay():
    return {"relay": ENV["WEBDBC_TEST_RELAY"]}


def after_scheme(url):
    return url.split("://", 1)[1]


def test_dbapi_module_for_sqlalchemy():
    eq(webdbc.__version__.count("."), 2, "__version__ is the crate's version")
    assert webdbc.__version__ != "0.0.0", "build-wheel.py writes the version in"
    with webdbc.connect(ENV["WEBDBC_TEST_PG"], **relay()) as conn:
        assert conn.Error is webdbc.Error and conn.IntegrityError is webdbc.IntegrityError
        cur = conn.cursor()
        assert cur.connection is conn
        cur.execute("SELECT 1")
        eq(cur.lastrowid, None, "lastrowid: PostgreSQL has no row ids to give")
        cur.close()
    conn.close()  # a second close is allowed and does nothing
    eq(conn.closed, True, "closed")


# -- PostgreSQL: SQLAlchemy's own dialect over webdbc ---------------------------------------------


def pg_engine(**kw):
    return sa.create_engine("postgresql+webdbc://" + after_scheme(ENV["WEBDBC_TEST_PG"]),
                            connect_args=relay(), **kw)


def test_postgresql_core_reflection_transactions():
    engine = pg_engine()
    with engine.begin() as c:
        c.execute(sa.text("DROP TABLE IF EXISTS sa_books"))
        c.execute(sa.text(
            "CREATE TABLE sa_books (id bigserial PRIMARY KEY, title text NOT NULL, "
            "price numeric(12, 2), at timestamptz, tags text[], meta jsonb, n int8)"))
    # Reflection through pg_catalog: its queries' parameters need the casts the dialect renders.
    insp = sa.inspect(engine)
    assert "sa_books" in insp.get_table_names(), insp.get_table_names()
    books = sa.Table("sa_books", sa.MetaData(), autoload_with=engine)
    eq([c.name for c in books.columns], ["id", "title", "price", "at", "tags", "meta", "n"], "columns")
    eq((type(books.c.price.type).__name__, books.c.price.type.scale), ("NUMERIC", 2), "numeric(12, 2)")
    eq(books.c.title.nullable, False, "NOT NULL reflected")
    eq([c.name for c in books.primary_key], ["id"], "primary key reflected")
    at = dt.datetime(2024, 2, 29, 12, 30, tzinfo=dt.timezone.utc)
    big = 2**63 - 1
    with engine.begin() as c:
        new_id = c.execute(sa.insert(books).values(
            title="Readings", price=decimal.Decimal("12.50"), at=at, tags=["db", "classic"],
            meta={"k": [1, 2]}, n=big).returning(books.c.id)).scalar_one()
        c.execute(sa.insert(books), [
            {"title": "Red Book", "price": decimal.Decimal("0.10"), "n": -big - 1},
            {"title": "Dragon Book", "price": None, "n": 9007199254740993},
        ])
    with engine.connect() as c:
        row = c.execute(sa.select(books).where(books.c.id == new_id)).one()
        eq((row.title, row.price, row.at, row.tags, row.meta, row.n),
           ("Readings", decimal.Decimal("12.50"), at, ["db", "classic"], {"k": [1, 2]}, big), "a row both ways")
        cheap = c.execute(sa.select(books.c.title, books.c.n).where(books.c.price < decimal.Decimal("1"))).all()
        eq([tuple(r) for r in cheap], [("Red Book", -big - 1)], "where, int64 exact")
        eq(c.execute(sa.select(sa.func.count()).select_from(books)).scalar(), 3, "count")
        # A transaction rolled back leaves nothing behind.
        c.execute(sa.insert(books).values(title="gone"))
        c.rollback()
        eq(c.execute(sa.select(sa.func.count()).select_from(books)).scalar(), 3, "rolled back")
    # The server's error, through SQLAlchemy's exception with webdbc's as .orig.
    with engine.connect() as c:
        e = raises(sa.exc.IntegrityError, c.execute, sa.insert(books).values(id=new_id, title="dup"))
        eq((type(e.orig), e.orig.code), (webdbc.IntegrityError, "23505"), "unique violation")
    # AUTOCOMMIT as SQLAlchemy sets it.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("DROP TABLE sa_books"))
    assert "sa_books" not in sa.inspect(engine).get_table_names()
    engine.dispose()


class Base(orm.DeclarativeBase):
    pass


class Book(Base):
    __tablename__ = "sa_orm_books"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    title: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    price: orm.Mapped[decimal.Decimal] = orm.mapped_column(sa.Numeric(10, 2))
    published: orm.Mapped[dt.date | None]


def test_postgresql_orm_session():
    engine = pg_engine()
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with orm.Session(engine) as session:
        session.add_all([
            Book(title="Readings in Database Systems", price=decimal.Decimal("55.00"), published=dt.date(2005, 2, 1)),
            Book(title="Transaction Processing", price=decimal.Decimal("99.95")),
        ])
        session.commit()
        found = session.scalars(sa.select(Book).where(Book.price > 60)).one()
        eq((found.title, found.price, found.published), ("Transaction Processing", decimal.Decimal("99.95"), None), "query")
        found.price = decimal.Decimal("89.95")
        session.commit()
        session.add(Book(title="never", price=decimal.Decimal("1")))
        session.rollback()
        eq(session.scalar(sa.select(sa.func.count(Book.id))), 2, "rolled back")
        eq(session.get(Book, found.id).price, decimal.Decimal("89.95"), "updated")
    Base.metadata.drop_all(engine)
    engine.dispose()


# -- The other databases --------------------------------------------------------------------------


def test_questdb_seed_flow_rest():
    # The seed's program whole, against QuestDB's REST API (the page goes through the relay's
    # HTTP forwarding, since QuestDB sends no CORS headers).
    engine = sa.create_engine(ENV["WEBDBC_TEST_QUESTDB"], connect_args=relay())
    with engine.connect() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS some_table (x int, y int)"))
        result = conn.execute(sa.text("SHOW TABLES"))
        assert ("some_table",) in result.all()
        conn.execute(sa.text("INSERT INTO some_table (x, y) VALUES (:x, :y)"),
                     [{"x": 11, "y": 12}, {"x": 13, "y": 14}])
        result = conn.execute(sa.text("select * from some_table"))
        eq(sorted(result.all()), [(11, 12), (13, 14)], "select *")
        result = conn.execute(sa.text("SELECT x, y FROM some_table WHERE y > :y"), {"y": 12})
        eq(result.all(), [(13, 14)], "select with :y")
        some_table = sa.Table("some_table", sa.MetaData(), autoload_with=engine)
        eq([(c.name, type(c.type).__name__) for c in some_table.columns], [("x", "Integer"), ("y", "Integer")], "autoload")
        eq(conn.execute(sa.select(some_table.c.x).where(some_table.c.y == 14)).scalar(), 13, "Core on the reflected table")
        conn.execute(sa.text("DROP TABLE some_table"))
    engine.dispose()


def test_questdb_seed_flow_postgres_wire():
    # The seed's URL: port 8812 is QuestDB's Postgres wire (here the relay's target `pgquest`,
    # PostgreSQL behind QuestDB's wire quirks: it runs PostgreSQL's SQL, so no SHOW TABLES).
    user, database = after_scheme(ENV["WEBDBC_TEST_PG_QUEST"]).split("@")[0], ENV["WEBDBC_TEST_PG_QUEST"].rsplit("/", 1)[1]
    engine = sa.create_engine(f"questdb://{user}@127.0.0.1:8812/{database}",
                              connect_args={"relay": ENV["WEBDBC_TEST_RELAY"] + "?target=pgquest"})
    with engine.connect() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS some_table (x int, y int)"))
        conn.execute(sa.text("INSERT INTO some_table (x, y) VALUES (:x, :y)"),
                     [{"x": 11, "y": 12}, {"x": 13, "y": 14}])
        eq(conn.execute(sa.text("SELECT x, y FROM some_table WHERE y > :y"), {"y": 2}).all(),
           [(11, 12), (13, 14)], "select with :y")
        conn.execute(sa.text("DROP TABLE some_table"))
    engine.dispose()


def test_cratedb():
    engine = sa.create_engine(ENV["WEBDBC_TEST_CRATE"], echo=False)
    with engine.connect() as connection:
        result = connection.execute(sa.text("SELECT * FROM sys.summits;"))
        rows = result.all()
        assert len(rows) > 3 and "mountain" in result.keys(), result.keys()
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE sa_crate (id INTEGER NOT NULL, name TEXT, price DOUBLE)"))
    t = sa.Table("sa_crate", sa.MetaData(), autoload_with=engine)
    eq([(c.name, type(c.type).__name__, c.nullable) for c in t.columns],
       [("id", "Integer", False), ("name", "String", True), ("price", "Float", True)], "reflected from information_schema")
    assert "sa_crate" in sa.inspect(engine).get_table_names()
    with engine.connect() as c:
        c.execute(sa.insert(t), [{"id": 1, "name": "a", "price": 0.5}, {"id": 2, "name": "b", "price": 2.5}])
        eq(c.execute(sa.select(t.c.name).where(t.c.price > 1)).all(), [("b",)], "Core")
        c.rollback()  # no transactions in CrateDB: nothing to undo, and no error
        c.execute(sa.text("DROP TABLE sa_crate"))
    engine.dispose()
    # CrateDB's Postgres wire.
    wire = sa.create_engine("crate+pg://" + after_scheme(ENV["WEBDBC_TEST_PG_CRATE"]), connect_args=relay())
    with wire.begin() as c:
        eq(c.execute(sa.text("SELECT :a + 1"), {"a": 41}).scalar(), 42, "crate+pg")
    wire.dispose()


def test_databend_seed_flow():
    url = ENV["WEBDBC_TEST_DATABEND"].replace("sslmode=disable", "secure=False")
    engine = sa.create_engine(url, connect_args=relay())
    connection1 = engine.connect()
    connection2 = engine.connect()
    with connection1.begin():
        connection1.execute(sa.text("CREATE TABLE IF NOT EXISTS booklist(title VARCHAR, author VARCHAR, date VARCHAR)"))
        connection1.execute(sa.text("INSERT INTO booklist VALUES('Readings in Database Systems', 'Michael Stonebraker', '2004')"))
    results = connection2.execute(sa.text("SELECT * FROM booklist")).fetchall()
    eq([tuple(r) for r in results], [("Readings in Database Systems", "Michael Stonebraker", "2004")], "seen by the other connection")
    booklist = sa.Table("booklist", sa.MetaData(), autoload_with=engine)
    eq([c.name for c in booklist.columns], ["title", "author", "date"], "reflected")
    eq(connection2.execute(sa.select(booklist.c.author).where(booklist.c.date == "2004")).scalar(), "Michael Stonebraker", "Core")
    connection1.execute(sa.text("DROP TABLE booklist"))
    connection1.commit()
    connection1.close()
    connection2.close()
    engine.dispose()


def test_databricks_engine():
    engine = sa.create_engine(ENV["WEBDBC_TEST_DATABRICKS"], connect_args=relay())
    with engine.connect() as conn:
        eq(conn.execute(sa.text("SELECT :n + 1 AS n, :s AS s"), {"n": 41, "s": "x"}).one(), (42, "x"), ":name parameters")
        conn.execute(sa.text("CREATE TABLE sa_trips (id BIGINT, fare DECIMAL(10,2), city STRING)"))
        trips = sa.Table("sa_trips", sa.MetaData(), autoload_with=engine)
        eq([(c.name, type(c.type).__name__) for c in trips.columns],
           [("id", "BigInteger"), ("fare", "Numeric"), ("city", "String")], "reflected")
        conn.execute(sa.insert(trips).values(id=2**53 + 1, fare=decimal.Decimal("12.30"), city="Oslo"))
        eq(conn.execute(sa.select(trips.c.id, trips.c.fare).where(trips.c.city == "Oslo")).one(),
           (2**53 + 1, decimal.Decimal("12.30")), "exact values")
        conn.execute(sa.text("DROP TABLE sa_trips"))
    engine.dispose()


def test_ignite():
    address = after_scheme(ENV["WEBDBC_TEST_IGNITE"])
    # pyignite_dbapi's address list, through connect_args.
    engine = sa.create_engine("ignite://", connect_args={"address": [address], **relay()})
    md = sa.MetaData()
    person = sa.Table("sa_person", md, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("name", sa.String(50)), sa.Column("age", sa.Integer))
    md.drop_all(engine)
    md.create_all(engine)
    with engine.begin() as c:
        c.execute(sa.insert(person), [{"id": 1, "name": "John", "age": 30}, {"id": 2, "name": "Jane", "age": 32}])
    with engine.connect() as c:
        c.execute(sa.insert(person).values(id=3, name="Bob", age=28))
        eq(c.execute(sa.select(sa.func.count()).select_from(person)).scalar(), 3, "seen inside its transaction")
        c.rollback()  # Ignite's transactions are real
        eq(c.execute(sa.select(person.c.name).order_by(person.c.id)).all(),
           [("John",), ("Jane",)], "committed rows only")
        eq(c.execute(sa.select(person.c.name).where(person.c.age > 31)).all(), [("Jane",)], "where")
    reflected = sa.Table("sa_person", sa.MetaData(), autoload_with=engine)
    eq([(c.name, type(c.type).__name__, c.nullable) for c in reflected.columns],
       [("id", "Integer", False), ("name", "String", True), ("age", "Integer", True)], "reflected from SYSTEM.TABLE_COLUMNS")
    assert "sa_person" in sa.inspect(engine).get_table_names()
    md.drop_all(engine)
    engine.dispose()
    # And the URL form, NAME+webdbc.
    engine = sa.create_engine(f"ignite+webdbc://{address}", connect_args=relay())
    with engine.connect() as c:
        eq(c.execute(sa.text("SELECT :n"), {"n": 7}).scalar(), 7, "ignite+webdbc://")
    engine.dispose()


def test_urls_and_errors():
    # Every seed scheme has a dialect, and NAME+webdbc too.
    for name in ["postgresql+webdbc", "questdb", "questdb+webdbc", "crate", "crate+webdbc", "crate+pg",
                 "databend", "databend+webdbc", "databricks", "databricks+webdbc", "ignite", "ignite+webdbc"]:
        dialect = sa.engine.make_url(f"{name}://h").get_dialect()
        assert dialect.__module__.startswith("webdbc.dialects."), (name, dialect)
    # The relay as a URL parameter; a wrong password is webdbc's OperationalError, without it.
    bad = ENV["WEBDBC_TEST_PG_WRONG_PASSWORD"]
    engine = sa.create_engine("postgresql+webdbc://" + after_scheme(bad) + "?relay=" + ENV["WEBDBC_TEST_RELAY"])
    e = raises(sa.exc.OperationalError, engine.connect)
    eq((type(e.orig), e.orig.code), (webdbc.OperationalError, "28P01"), "wrong password")
    assert "not-the-password" not in str(e), e


def test_type_names_urls_and_disconnects():
    from webdbc.dialects import _common

    names = {"INT8": "SmallInteger", "Nullable(Int64)": "BigInteger", "BIGINT UNSIGNED": "Numeric",
             "INT32": "Integer", "interval": "Interval", "geo_point": "NullType", "BYTE_ARRAY": "LargeBinary",
             "DECIMAL(10, 2)": "Numeric", "VARCHAR(50)": "String", "timestamp with time zone": "DateTime"}
    eq({n: type(_common.type_from_name(n)).__name__ for n in names}, names, "type names")
    eq(_common.type_from_name("timestamp_ntz").timezone, False, "timestamp_ntz is naive")
    eq(_common.type_from_name("TIMESTAMP WITH TIME ZONE").timezone, True, "with time zone")
    eq([_common.nullable(v) for v in (True, False, "YES", "NO")], [True, False, True, False], "nullability")
    url = sa.engine.make_url("databend://u%40x:p%3Fw@h:8000/we%25ird?secure=False&relay=ws://r/v1/connect&fetch_size=5")
    eq(_common.connect_args(url, "databend"),
       (["databend://u%40x:p%3Fw@h:8000/we%25ird?secure=False"], {"relay": "ws://r/v1/connect", "fetch_size": 5}), "URL")
    e = raises(ValueError, _common.connect_args, sa.engine.make_url("ignite://?schema=X"), "ignite")
    assert "connect_args" in str(e), e
    # A server's error that mentions "closed" is not a broken connection.
    server = webdbc.ProgrammingError('column "closed" does not exist', origin="server")
    network = webdbc.OperationalError("the relay dropped the connection", origin="network")
    eq([_common.is_disconnect(webdbc, e) for e in (server, network, webdbc.InterfaceError("connection is closed"))],
       [False, True, True], "is_disconnect")


def test_readme_example():
    # The README's SQLAlchemy example as written, with the test server's URL and relay swapped in.
    code = (ENV["README_SQLALCHEMY"]
            .replace("postgresql+webdbc://app:secret@db.internal:5432/shop", "postgresql+webdbc://" + after_scheme(ENV["WEBDBC_TEST_PG"]))
            .replace("wss://relay.example/v1/connect", ENV["WEBDBC_TEST_RELAY"]))
    printed = []
    exec(code, {"print": lambda *a: printed.append(" ".join(map(str, a)))})
    eq(printed, ["[('Readings in Database Systems',)]"], "what the README's example prints")


def run(env):
    ENV.update(env)
    results = []
    for name, fn in list(globals().items()):
        if name.startswith("test_") and callable(fn):
            try:
                fn()
                results.append([f"SQLAlchemy {sa.__version__}: {name}", None])
            except Exception:  # noqa: BLE001
                results.append([f"SQLAlchemy {sa.__version__}: {name}", traceback.format_exc(limit=6)])
    return results
