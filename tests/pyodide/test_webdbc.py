"""The webdbc Python module inside Pyodide, against the servers of webdbc-testenv. Run by
tests/pyodide/run.mjs in Node (async API; the sync API must refuse) and in headless Chromium
(sync and async API). `run(env)` runs every test and returns [name, error or None] pairs.
"""

import datetime as dt
import decimal
import traceback
import uuid

import webdbc
from pyodide.ffi import can_run_sync

ENV = {}


def relay():
    return {"relay": ENV["WEBDBC_TEST_RELAY"]}


def no_cors():
    """A page reaches servers that send no CORS headers through the relay; Node goes direct."""
    import js

    return relay() if hasattr(js, "document") else {}


def raises(cls, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except cls as e:
        return e
    except Exception as e:  # noqa: BLE001
        raise AssertionError(f"expected {cls.__name__}, got {type(e).__name__}: {e}") from None
    raise AssertionError(f"expected {cls.__name__}, but it succeeded")


async def araises(cls, awaitable):
    try:
        await awaitable
    except cls as e:
        return e
    except Exception as e:  # noqa: BLE001
        raise AssertionError(f"expected {cls.__name__}, got {type(e).__name__}: {e}") from None
    raise AssertionError(f"expected {cls.__name__}, but it succeeded")


def eq(actual, expected, what):
    assert actual == expected, f"{what}: expected {expected!r}, got {actual!r}"


# -- async API, everywhere ------------------------------------------------------------------------


async def test_module_globals():
    eq((webdbc.apilevel, webdbc.threadsafety, webdbc.paramstyle), ("2.0", 1, "qmark"), "globals")
    for name in ["Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
                 "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError"]:
        assert issubclass(getattr(webdbc, name), Exception), name
    assert issubclass(webdbc.IntegrityError, webdbc.DatabaseError)
    assert issubclass(webdbc.DatabaseError, webdbc.Error)
    assert issubclass(webdbc.InterfaceError, webdbc.Error)
    eq(webdbc.Binary(b"\x00"), b"\x00", "Binary")
    eq(webdbc.Date(2024, 2, 29), dt.date(2024, 2, 29), "Date")
    ticks = 1709210096.75
    eq(webdbc.TimestampFromTicks(ticks), dt.datetime.fromtimestamp(ticks).replace(microsecond=0), "TimestampFromTicks")
    eq(webdbc.DateFromTicks(ticks), dt.date.fromtimestamp(ticks), "DateFromTicks")
    eq(webdbc.TimeFromTicks(ticks), dt.datetime.fromtimestamp(ticks).time().replace(microsecond=0), "TimeFromTicks")
    for code, obj in [("int8", webdbc.NUMBER), ("DECIMAL(38,18)", webdbc.NUMBER), ("Nullable(Int64)", webdbc.NUMBER),
                      ("text", webdbc.STRING), ("VARCHAR", webdbc.STRING), ("bytea", webdbc.BINARY),
                      ("VARBINARY", webdbc.BINARY), ("timestamptz", webdbc.DATETIME), ("DATE", webdbc.DATETIME),
                      ("oid", webdbc.ROWID)]:
        assert code == obj and obj == code, f"{code} == {obj}"
    for code in ["text", "int4[]", "point", "geo_point", "bool", "Array(Int32)", None]:
        assert code != webdbc.NUMBER, code
    assert None != webdbc.STRING and "interval" != webdbc.STRING


async def test_booklist_async():
    conn = await webdbc.connect_async(ENV["WEBDBC_TEST_PG"], **relay())
    eq(conn.autocommit, False, "PEP 249 default")
    cur = conn.cursor()
    await cur.execute("CREATE TEMP TABLE booklist (title VARCHAR(100), author VARCHAR(100), date VARCHAR(100))")
    eq(cur.description, None, "DDL has no description")
    await cur.execute("INSERT INTO booklist VALUES (?, ?, ?)", ["Readings in Database Systems", "Michael Stonebraker", "2004"])
    eq(cur.rowcount, 1, "rowcount")
    await cur.executemany("INSERT INTO booklist VALUES (:title, :author, :date)", [
        {"title": "Transaction Processing", "author": "Jim Gray", "date": "1992"},
        {"title": "Architecture of a Database System", "author": "Michael Stonebraker", "date": "2007"},
    ])
    eq(cur.rowcount, 2, "executemany rowcount")
    await cur.execute("SELECT title, date FROM booklist WHERE author = ? ORDER BY date", ["Michael Stonebraker"])
    eq(cur.description[0][:2], ("title", "varchar"), "description")
    eq(len(cur.description[0]), 7, "seven fields")
    assert cur.description[0][1] == webdbc.STRING
    eq(await cur.fetchall(), [("Readings in Database Systems", "2004"), ("Architecture of a Database System", "2007")], "rows")
    await cur.execute("SELECT title FROM booklist ORDER BY title")
    seen = [row async for row in cur]
    eq(len(seen), 3, "async for")
    await conn.rollback()
    await conn.close()
    eq(conn.closed, True, "closed")


async def test_types_round_trip():
    async with await webdbc.connect_async(ENV["WEBDBC_TEST_PG"], **relay()) as conn:
        cur = conn.cursor()
        values = [
            True, -9223372036854775808, 9223372036854775807, 1.5, 1.0, float("inf"),
            decimal.Decimal("123456789012345678901234567890.000000000000000000000000000001"),
            decimal.Decimal("-0.5"), "Zoë ☃ 𝄞 'q' \\", "", b"\x00\x01\x00\xff", b"",
            dt.date(2024, 2, 29), dt.time(23, 59, 59, 999999),
            dt.datetime(2024, 2, 29, 12, 34, 56, 789012),
            dt.datetime(2024, 2, 29, 12, 34, 56, 789012, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            dt.timedelta(days=-1, microseconds=5), uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            {"a": [1, "x", None], "n": 12345678901234567890}, [1, None, 3], ["a,b", None, "q\"\\"],
            123456789012345678901234567890, float("nan"), float("-inf"), [[1.5, None], [2.0, -0.0]],
            dt.date(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999), dt.datetime(1969, 12, 31, 23, 59, 59, 1),
            dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc), webdbc.Json([1, "two"]), webdbc.Json("s"),
            None, None, None, None, None, None, None, None,
        ]
        casts = ["bool", "int8", "int8", "float8", "float8", "float8", "numeric", "numeric", "text", "text", "bytea",
                 "bytea", "date", "time", "timestamp", "timestamptz", "interval", "uuid", "jsonb", "int4[]", "text[]",
                 "numeric", "float8", "float8", "float8[]", "date", "timestamp", "timestamp", "timestamptz", "json",
                 "json", "date", "time", "timestamptz", "uuid", "jsonb", "interval", "int4[]", "bytea"]
        sql = "SELECT " + ", ".join(f"?::{c}" for c in casts)
        await cur.execute(sql, values)
        row = await cur.fetchone()
        expected = list(values)
        expected[15] = values[15].astimezone(dt.timezone.utc)
        expected[21] = decimal.Decimal(values[21])
        expected[29], expected[30] = [1, "two"], "s"
        eq(len(row), len(casts), "columns")
        for i, (got, want) in enumerate(zip(row, expected)):
            if i == 22:
                assert got != got, f"NaN: {got!r}"
                continue
            eq((type(got), got), (type(want), want), f"column {i} ({casts[i]})")
        eq(row[15].tzinfo, dt.timezone.utc, "timestamptz is aware")
        await cur.execute("SELECT NULL::int8, NULL::text, NULL::bytea, NULL::timestamptz, 'NaN'::float8, 'NaN'::numeric")
        row = await cur.fetchone()
        eq(row[:4], (None, None, None, None), "NULLs")
        assert row[4] != row[4] and row[5].is_nan(), row
        await cur.execute("SELECT '1 year 2 months 3 days'::interval, '-1 days 00:00:01'::interval, 'allballs'::timetz")
        eq(await cur.fetchone(), ("P1Y2M3D", dt.timedelta(days=-1, seconds=1), "00:00:00+00"),
           "intervals with months as ISO text; timetz as text")
        # A value Python cannot hold fails its own row, after the rows before it.
        await cur.execute("SELECT d FROM (VALUES (1, DATE '2024-01-01'), (2, 'infinity'), (3, DATE '2024-01-03')) v(i, d) ORDER BY i")
        cur.arraysize = 5
        eq(await cur.fetchmany(), [(dt.date(2024, 1, 1),)], "the good row first")
        e = await araises(webdbc.DataError, cur.fetchmany())
        assert "date" in str(e) and "2147483647" in str(e), e
        eq(await cur.fetchall(), [(dt.date(2024, 1, 3),)], "and the rest after it")
        # Integer, float, text, date and timestamp columns come over packed (one C-level call
        # a column, src/bindings/columns.rs): NULLs in place, an empty text apart from NULL.
        await cur.execute("SELECT * FROM (VALUES (1::int8, 0.25::float8, 'a'::text, DATE '0001-01-01', "
                          "timestamp '2024-01-01 00:00:00', 'p'::text), (NULL, 'Infinity', '', NULL, NULL, NULL), "
                          "(-9223372036854775808, 2, NULL, DATE '9999-12-31', timestamp '1969-12-31 23:59:59.999999', ''), "
                          "(9223372036854775807, '-Infinity', 'Zoë ☃ 𝄞', DATE '1970-01-01', NULL, 'q\t')) v")
        rows = await cur.fetchall()
        eq(rows, [
            (1, 0.25, "a", dt.date(1, 1, 1), dt.datetime(2024, 1, 1), "p"),
            (None, float("inf"), "", None, None, None),
            (-9223372036854775808, 2.0, None, dt.date(9999, 12, 31), dt.datetime(1969, 12, 31, 23, 59, 59, 999999), ""),
            (9223372036854775807, float("-inf"), "Zoë ☃ 𝄞", dt.date(1970, 1, 1), None, "q\t"),
        ], "packed columns with NULLs")
        eq([type(v) for v in rows[2]], [int, float, type(None), dt.date, dt.datetime, str], "their types")
        # Timestamps at both ends of Python's range; one beyond its years sends its column value
        # by value, and fails its own row.
        utc = dt.timezone.utc
        await cur.execute("SELECT t, t::timestamp FROM (VALUES (1, timestamptz '0001-01-01 00:00:00+00'), (2, NULL), "
                          "(3, '9999-12-31 23:59:59.999999+00'), (4, '2024-02-29 01:02:03.000004+00')) v(i, t) ORDER BY i")
        eq(await cur.fetchall(), [
            (dt.datetime(1, 1, 1, tzinfo=utc), dt.datetime(1, 1, 1)), (None, None),
            (dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=utc), dt.datetime(9999, 12, 31, 23, 59, 59, 999999)),
            (dt.datetime(2024, 2, 29, 1, 2, 3, 4, tzinfo=utc), dt.datetime(2024, 2, 29, 1, 2, 3, 4)),
        ], "timestamps at both ends of Python's range, NULLs in place")
        await cur.execute("SELECT t FROM (VALUES (1, timestamptz '2024-01-01 00:00:00+00'), (2, NULL), (3, 'infinity'), "
                          "(4, '2024-01-03 00:00:00+00')) v(i, t) ORDER BY i")
        eq(await cur.fetchmany(5), [(dt.datetime(2024, 1, 1, tzinfo=utc),), (None,)], "the rows before it")
        e = await araises(webdbc.DataError, cur.fetchmany(5))
        assert "timestamp" in str(e), e
        eq(await cur.fetchall(), [(dt.datetime(2024, 1, 3, tzinfo=utc),)], "and the row after it")
        await araises(webdbc.ProgrammingError, cur.execute("SELECT ?::jsonb", [{"d": decimal.Decimal(1)}]))
        await araises(webdbc.DataError, cur.execute("SELECT ?::numeric", [decimal.Decimal("1E+999999")]))


async def test_transactions_and_errors():
    conn = await webdbc.connect_async(ENV["WEBDBC_TEST_PG"], **relay())
    cur = conn.cursor()
    await cur.execute("CREATE TEMP TABLE u (id int PRIMARY KEY, v text NOT NULL)")
    await conn.commit()
    await cur.execute("INSERT INTO u VALUES (?, ?)", [1, "a"])
    await conn.rollback()
    await cur.execute("SELECT count(*) FROM u")
    eq(await cur.fetchone(), (0,), "rolled back")
    await cur.execute("INSERT INTO u VALUES (?, ?)", [1, "a"])
    await conn.commit()
    e = await araises(webdbc.IntegrityError, cur.execute("INSERT INTO u VALUES (?, ?)", [1, "b"]))
    eq((e.code, e.sqlstate, e.constraint, e.table), ("23505", "23505", "u_pkey", "u"), "server fields")
    eq(e.origin, "server", "where the error came from")
    assert "Key (id)=(1) already exists" in e.detail, e.detail
    await conn.rollback()
    bad = "SELECT ?, ? FROM u WHER id = 1"
    e = await araises(webdbc.ProgrammingError, cur.execute(bad, [1, 2]))
    eq((e.code, e.position), ("42601", bad.index("id =") + 1), "syntax error position in my SQL")
    await conn.rollback()
    e = await araises(webdbc.DataError, cur.execute("SELECT 1/0"))
    eq(e.code, "22012", "division by zero")
    await conn.rollback()
    await araises(webdbc.ProgrammingError, cur.execute("SELECT ?, ?", [1]))
    await araises(webdbc.ProgrammingError, cur.execute("SELECT ?", object()))
    await araises(webdbc.ProgrammingError, cur.execute("SELECT ?", [object()]))
    # Text UTF-8 cannot hold is refused, naming the parameter; -0.0 keeps its sign.
    e = await araises(webdbc.DataError, cur.execute("SELECT ?, ?", ["fine", "a\ud800b"]))
    assert "parameter $2: the text holds a lone UTF-16 surrogate" in str(e), e
    e = await araises(webdbc.DataError, cur.execute("SELECT :a", {"a": ["x", "\udc00"]}))
    assert "parameter :a: " in str(e), e
    await cur.execute("SELECT ?::float8::text", [-0.0])
    eq(await cur.fetchone(), ("-0",), "-0.0 keeps its sign")
    await conn.rollback()
    # A transaction an error aborted: its COMMIT rolls back (InternalError, 25P02).
    await araises(webdbc.DataError, cur.execute("SELECT 1/0"))
    e = await araises(webdbc.InternalError, conn.commit())
    eq(e.code, "25P02", "COMMIT of an aborted transaction")
    conn.autocommit = True
    eq(conn.autocommit, True, "autocommit on")
    await conn.close()
    await araises(webdbc.InterfaceError, cur.execute("SELECT 1"))
    wrong = ENV["WEBDBC_TEST_PG_WRONG_PASSWORD"]
    e = await araises(webdbc.OperationalError, webdbc.connect_async(wrong, **relay()))
    eq(e.code, "28P01", "wrong password")
    assert "not-the-password" not in str(e)
    await araises(webdbc.InterfaceError, webdbc.connect_async("not a url", **relay()))
    await araises(webdbc.InterfaceError, webdbc.connect_async(ENV["WEBDBC_TEST_PG"], int64="number", **relay()))
    e = await araises(webdbc.OperationalError, webdbc.connect_async(ENV["WEBDBC_TEST_PG_DENIED"], **relay()))
    assert "refused" in str(e), e


async def test_relay_tokens():
    relay = ENV["WEBDBC_TEST_TOKEN_RELAY"]
    conn = await webdbc.connect_async(ENV["WEBDBC_TEST_PG"], relay=relay, relay_token=ENV["WEBDBC_TEST_TOKEN"])
    cur = conn.cursor()
    await cur.execute("SELECT 1")
    eq(await cur.fetchone(), (1,), "a token string")
    await conn.close()
    calls = []

    async def fresh():
        calls.append(1)
        return ENV["WEBDBC_TEST_TOKEN"]

    conn = await webdbc.connect_async(ENV["WEBDBC_TEST_PG"], relay=relay, relay_token=fresh)
    cur = conn.cursor()
    await cur.execute("SELECT 2")
    eq((await cur.fetchone(), len(calls)), ((2,), 1), "an async function, called for the connection")
    await conn.close()
    e = await araises(webdbc.OperationalError, webdbc.connect_async(ENV["WEBDBC_TEST_PG"], relay=relay, relay_token=ENV["WEBDBC_TEST_TOKEN_EXPIRED"]))
    assert "the relay refused the token: expired" in str(e), str(e)
    eq(e.origin, "relay", "a refused token is the relay's error")


async def test_streaming_100k_rows_with_fetchmany():
    conn = await webdbc.connect_async(ENV["WEBDBC_TEST_PG"], connect_timeout=10, **relay())
    cur = conn.cursor()
    await cur.execute("SELECT i, 'row ' || i, i * 0.5 FROM generate_series(1, 100000) i")
    eq(cur.rowcount, -1, "unknown while streaming")
    n, total, text, half = 0, 0, 0, decimal.Decimal(0)
    while True:
        rows = await cur.fetchmany(7000)
        if not rows:
            break
        n += len(rows)
        total += sum(r[0] for r in rows)
        text += sum(r[1] == f"row {r[0]}" for r in rows)
        half += sum(r[2] for r in rows)
    eq((n, total, text, half, cur.rowcount), (100000, 100000 * 100001 // 2, 100000, decimal.Decimal("2500025000.0"), 100000),
       "every row once, every column exact")
    await conn.close()


async def test_http_backends():
    # CrateDB's seed flow.
    conn = await webdbc.connect_async(ENV["WEBDBC_TEST_CRATE"])
    cur = conn.cursor()
    await cur.execute("SELECT * FROM sys.summits ORDER BY height DESC LIMIT ?", [2])
    eq([r[0] for r in await cur.fetchall()], ["Mont Blanc", "Monte Rosa"], "crate summits")
    # Text with a NUL inside cannot be cut at NULs: its column comes tagged, the other packed.
    await cur.execute("SELECT ? AS t, 'x' AS u", ["a\x00b"])
    eq(await cur.fetchall(), [("a\x00b", "x")], "a NUL inside text")
    await araises(webdbc.NotSupportedError, conn.rollback())
    await conn.close()
    # crate-python's form: the node URL, then username and password.
    user, password = ENV["WEBDBC_TEST_CRATE"].split("//")[1].split("@")[0].split(":")
    conn = await webdbc.connect_async(ENV["WEBDBC_TEST_CRATE_HTTP"], username=user, password=password)
    cur = conn.cursor()
    await cur.execute("SELECT count(*) FROM sys.summits")
    eq(cur.rowcount, 1, "crate-python's connect form")
    await conn.close()
    e = await araises(webdbc.OperationalError, webdbc.connect_async(ENV["WEBDBC_TEST_CRATE_HTTP"], username=user, password="wrong-S3CRET"))
    assert "S3CRET" not in str(e), e
    # Databend's booklist tutorial.
    conn = await webdbc.connect_async(ENV["WEBDBC_TEST_DATABEND"], **no_cors())
    cur = conn.cursor()
    await cur.execute("CREATE TABLE IF NOT EXISTS py_books (title VARCHAR, price DECIMAL(20, 4), at TIMESTAMP)")
    await cur.execute("INSERT INTO py_books VALUES (?, ?, ?)", ["Readings", decimal.Decimal("12.5000"), dt.datetime(2024, 1, 2, 3, 4, 5)])
    await cur.execute("SELECT title, price, at FROM py_books")
    # Databend's TIMESTAMP is an instant: it comes back aware, in UTC.
    eq(await cur.fetchall(), [("Readings", decimal.Decimal("12.5000"), dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc))], "databend")
    await cur.execute("DROP TABLE py_books")
    e = await araises(webdbc.ProgrammingError, cur.execute("SELEC 1"))
    eq(e.code, "1005", "Databend's syntax error code")
    await conn.close()
    # QuestDB over REST.
    conn = await webdbc.connect_async(ENV["WEBDBC_TEST_QUESTDB"], **no_cors())
    cur = conn.cursor()
    await cur.execute("CREATE TABLE IF NOT EXISTS py_q (x LONG, d DOUBLE)")
    await cur.executemany("INSERT INTO py_q VALUES (?, ?)", [[9007199254740993, 0.5], [2, 1.0]])
    await cur.execute("SELECT x, d FROM py_q ORDER BY x")
    eq(await cur.fetchall(), [(2, 1.0), (9007199254740993, 0.5)], "questdb keeps int64 exact")
    await cur.execute("DROP TABLE py_q")
    await conn.close()
    # Databricks.
    conn = await webdbc.connect_async(ENV["WEBDBC_TEST_DATABRICKS"], **no_cors())
    cur = conn.cursor()
    await cur.execute("SELECT :n + 1 AS n, :s AS s", {"n": 41, "s": "x"})
    eq(await cur.fetchone(), (42, "x"), "databricks named parameters")
    await conn.close()


async def test_postgres_wire_dialects():
    # CrateDB's wire: no transactions.
    conn = await webdbc.connect_async(ENV["WEBDBC_TEST_PG_CRATE"], **relay())
    eq(conn.autocommit, True, "CrateDB: autocommit always on")
    await araises(webdbc.NotSupportedError, conn.rollback())
    await conn.close()
    # QuestDB's wire: SQLSTATE 00000 errors, bytea in binary, DATE as timestamp.
    user, rest = ENV["WEBDBC_TEST_PG_QUEST"].split("//", 1)[1].split("@", 1)
    url = f"questdb://{user}@127.0.0.1:8812/{rest.split('/', 1)[1]}"
    conn = await webdbc.connect_async(url, relay=ENV["WEBDBC_TEST_RELAY"] + "?target=pgquest", autocommit=True)
    cur = conn.cursor()
    e = await araises(webdbc.DatabaseError, cur.execute("SELECT * FROM no_such_table"))
    eq((type(e), e.code), (webdbc.DatabaseError, "00000"), "QuestDB's code")
    await cur.execute("SELECT ?::bytea, DATE '2024-02-29'", [b"\x00\\x"])
    eq(await cur.fetchone(), (b"\x00\\x", dt.datetime(2024, 2, 29)), "bytea and DATE")
    await conn.close()


async def test_ignite():
    # pyignite_dbapi's form: no URL, the node's address.
    address = ENV["WEBDBC_TEST_IGNITE"].split("//")[1]
    conn = await webdbc.connect_async(address=[address], page_size=3, timeout=10, **relay())
    eq(conn.autocommit, True, "as pyignite_dbapi")
    cur = conn.cursor()
    await cur.execute("DROP TABLE IF EXISTS PyPerson")
    await cur.execute("CREATE TABLE PyPerson(id INT PRIMARY KEY, name VARCHAR, age INT)")
    await cur.executemany("INSERT INTO PyPerson VALUES(?, ?, ?)", [[1, "John", 30], [2, "Jane", 32], [3, "Bob", 28], [4, "Ann", 1]])
    eq(cur.rowcount, 4, "batch")
    await cur.execute("SELECT * FROM PyPerson ORDER BY id")
    eq([len(await cur.fetchmany(2)), len(await cur.fetchmany(5))], [2, 2], "pages of 3")
    conn.autocommit = False
    await cur.execute("INSERT INTO PyPerson VALUES(?, ?, ?)", [5, "Dan", 40])
    e = await araises(webdbc.IntegrityError, cur.execute("INSERT INTO PyPerson VALUES(?, ?, ?)", [1, "Dup", 1]))
    assert e.code.startswith("IGN-"), e.code
    await conn.rollback()
    conn.autocommit = True
    await cur.execute("SELECT count(*) FROM PyPerson")
    eq((await cur.fetchone())[0], 4, "rolled back")
    await cur.execute("DROP TABLE PyPerson")
    await conn.close()
    # Basic authentication, as pyignite_dbapi takes it.
    secret_url = ENV["WEBDBC_TEST_IGNITE_SECURE"].split("//")[1]
    identity, secret = secret_url.split("@")[0].split(":")
    node = secret_url.split("@")[1]
    conn = await webdbc.connect_async(address=node, identity=identity, secret=secret, **relay())
    cur = conn.cursor()
    await cur.execute("SELECT 1")
    eq(await cur.fetchone(), (1,), "authenticated")
    await conn.close()
    e = await araises(webdbc.OperationalError, webdbc.connect_async(address=node, identity=identity, secret="wrong-S3CRET", **relay()))
    assert "S3CRET" not in f"{e} {e.detail}", e


async def test_nextset_and_extensions():
    conn = await webdbc.connect_async(ENV["WEBDBC_TEST_PG"], autocommit=True, **relay())
    assert conn.ProgrammingError is webdbc.ProgrammingError, "exceptions on the connection"
    cur = conn.cursor()
    assert cur.connection is conn
    await cur.execute("SELECT 1 AS a, 2 AS b; SELECT generate_series(1, 3) AS n; CREATE TEMP TABLE ns (x int)")
    eq(([d[0] for d in cur.description], await cur.fetchone()), (["a", "b"], (1, 2)), "the first result")
    eq(await cur.nextset(), True, "a second result")
    eq((await cur.fetchmany(2), [d[0] for d in cur.description]), ([(1,), (2,)], ["n"]), "its rows")
    eq(await cur.nextset(), True, "the third, leaving a row unread")
    eq((cur.description, cur.lastrowid), (None, None), "CREATE has no rows and no row id")
    eq(await cur.nextset(), None, "no more: None, as PEP 249 says")
    e = await araises(webdbc.ProgrammingError, cur.execute("SELECT 1; SELECT nope"))
    eq(e.code, "42703", "an error in a later statement")
    await conn.close()
    await conn.close()  # a second close does nothing
    await araises(webdbc.InterfaceError, cur.execute("SELECT 1"))


async def test_sync_api():
    # Chromium has JS Promise Integration; Node 20 has not.
    eq(can_run_sync(), ENV["EXPECT_SYNC"] == "1", "can_run_sync()")
    if not can_run_sync():
        e = raises(webdbc.NotSupportedError, webdbc.connect, ENV["WEBDBC_TEST_PG"], **relay())
        assert "connect_async" in str(e), e
        return
    # The notebook way: no await anywhere.
    with webdbc.connect(ENV["WEBDBC_TEST_PG"], **relay()) as conn:
        with conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE s (id int8, v numeric, t timestamptz)")
            cur.executemany("INSERT INTO s VALUES (?, ?, ?)", [
                (i, decimal.Decimal(f"{i}.10"), dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=i))
                for i in range(5)
            ])
            cur.execute("SELECT id, v, t FROM s WHERE id >= ? ORDER BY id", [3])
            eq(cur.fetchall(), [(3, decimal.Decimal("3.10"), dt.datetime(2024, 1, 1, 0, 0, 3, tzinfo=dt.timezone.utc)),
                                (4, decimal.Decimal("4.10"), dt.datetime(2024, 1, 1, 0, 0, 4, tzinfo=dt.timezone.utc))], "rows")
            cur.execute("SELECT id FROM s ORDER BY id")
            eq([r[0] for r in cur], [0, 1, 2, 3, 4], "for row in cursor")
            e = raises(webdbc.ProgrammingError, cur.execute, "SELECT nope FROM s")
            eq(e.code, "42703", "sync errors too")
            conn.rollback()
    eq(conn.closed, True, "with closes")


async def run_examples(examples):
    """Runs the README's Python examples as written, with the test server's URL and relay swapped
    in, and `print` captured; returns [name, error or None] pairs."""
    from pyodide.code import eval_code_async

    results = []
    for name, code, expected in examples:
        logged = []
        code = (code.replace('"postgres://app:secret@db.internal:5432/shop"', repr(ENV["WEBDBC_TEST_PG"]))
                .replace('"wss://relay.example/v1/connect"', repr(ENV["WEBDBC_TEST_RELAY"])))
        try:
            await eval_code_async(code, {"print": lambda *a: logged.append(" ".join(map(str, a)))})
            eq("\n".join(logged), expected, f"what {name} prints")
            results.append([name, None])
        except Exception:  # noqa: BLE001
            results.append([name, traceback.format_exc(limit=4)])
    return results


async def run(env):
    ENV.update(env)
    results = []
    for name, fn in list(globals().items()):
        if name.startswith("test_") and callable(fn):
            try:
                await fn()
                results.append([name, None])
            except Exception:  # noqa: BLE001
                results.append([name, traceback.format_exc(limit=4)])
    return results
