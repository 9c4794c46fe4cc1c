"""webdbc for Python in Pyodide: a PEP 249 (DB-API 2.0) module over the webdbc wasm engine.

    import webdbc
    conn = webdbc.connect("postgres://app:secret@db:5432/shop", relay="wss://relay.example/v1/connect")
    cur = conn.cursor()
    cur.execute("SELECT title FROM booklist WHERE author = ?", ["Michael Stonebraker"])
    print(cur.fetchall())

`connect()` blocks on the engine's promises, which needs JS Promise Integration (Chromium, with
the code run by `runPythonAsync`, as JupyterLite does); elsewhere it raises NotSupportedError.
`await connect_async(...)` works everywhere and has the same API with awaitable methods.

The engine is the wasm module of the npm package, carried in this wheel (`_js/`) and loaded on
first connect. A page that already loaded the npm package can hand it over instead:
`pyodide.registerJsModule("webdbc_js", webdbcModule)` before the first connect.
"""

import datetime as _dt
import decimal as _decimal
import itertools as _itertools
import json as _json
import math as _math
import operator as _operator
import os as _os
import re as _re
import struct as _struct
import time as _time
import uuid as _uuid

__all__ = [
    "apilevel", "threadsafety", "paramstyle", "connect", "connect_async", "Connection",
    "Cursor", "AsyncConnection", "AsyncCursor", "Warning", "Error", "InterfaceError",
    "DatabaseError", "DataError", "OperationalError", "IntegrityError", "InternalError",
    "ProgrammingError", "NotSupportedError", "Date", "Time", "Timestamp", "DateFromTicks",
    "TimeFromTicks", "TimestampFromTicks", "Binary", "Json", "STRING", "BINARY", "NUMBER", "DATETIME",
    "ROWID", "__version__",
]

__version__ = "0.0.0"  # the crate's version, written in by scripts/build-wheel.py
apilevel = "2.0"
threadsafety = 1
paramstyle = "qmark"  # and :name with a mapping


# -- Exceptions (PEP 249) ----------------------------------------------------------------------


class Warning(Exception):  # noqa: A001 (PEP 249's name)
    pass


class Error(Exception):
    """Every error says where it came from in `origin`: "server", "network", "relay",
    "malformed" (a reply that breaks the protocol), "timeout", "cancelled" or "client" (the call
    itself). Server errors carry the server's fields: `code` (and `sqlstate`, the same),
    `severity`, `detail`, `hint`, `position` (in the SQL you wrote), `where`, `schema`, `table`,
    `column`, `data_type`, `constraint`; fields the server did not send are None."""

    _FIELDS = {
        "origin": "origin",
        "code": "code", "sqlstate": "sqlstate", "severity": "severity", "detail": "detail",
        "hint": "hint", "position": "position", "where": "where", "schema": "schema",
        "table": "table", "column": "column", "data_type": "dataType", "constraint": "constraint",
    }

    def __init__(self, message="", **fields):
        super().__init__(message)
        for name in self._FIELDS:
            setattr(self, name, fields.get(name))


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


_CLASSES = {c.__name__: c for c in (
    Warning, InterfaceError, DatabaseError, DataError, OperationalError, IntegrityError,
    InternalError, ProgrammingError, NotSupportedError,
)}
_CLASSES["WebdbcError"] = Error


def _from_js(e):
    """The PEP 249 exception for a JavaScript error thrown by the engine."""
    js = getattr(e, "js_error", None)
    name = getattr(js, "name", None) or getattr(e, "name", "")
    message = getattr(js, "message", None) or str(e)
    cls = _CLASSES.get(name)
    if cls is None:
        return InterfaceError(f"unexpected JavaScript error: {name}: {message}")
    if cls is Warning:
        return Warning(message)
    fields = {py: _py(getattr(js, field, None)) for py, field in Error._FIELDS.items()}
    return cls(message, **fields)


def _py(v):
    """JS null, which Pyodide hands over as `jsnull`, as None."""
    return None if v is None or type(v).__name__ == "JsNull" else v


def _js_call(fn, *args):
    """Calls a JS function of the engine; a JS exception becomes the PEP 249 one."""
    from pyodide.ffi import JsException

    try:
        return fn(*args)
    except JsException as e:
        raise _from_js(e) from None


async def _js_await(fn, *args):
    from pyodide.ffi import JsException

    try:
        return await fn(*args)
    except JsException as e:
        raise _from_js(e) from None


# -- Type objects and constructors (PEP 249) -----------------------------------------------------


def _category(type_code):
    """STRING, BINARY, NUMBER, DATETIME or ROWID for a server's type name (`int8`, `BIGINT`,
    `Nullable(Int64)`, `DECIMAL(38,18)`, `timestamptz`, ...); None for arrays, maps, booleans."""
    if type_code is None:
        return None
    c = str(type_code).lower().strip()
    if c.startswith("nullable(") and c.endswith(")"):
        c = c[9:-1]
    if c.endswith("[]") or c.startswith(("array", "map", "tuple", "struct", "object", "_")):
        return None
    c = c.split("(")[0].strip()
    if c in ("oid", "rowid", "tid", "ctid"):
        return "ROWID"
    if any(w in c for w in ("bytea", "binary", "blob", "byte_array")):
        return "BINARY"
    if any(w in c for w in ("interval", "date", "time", "period", "duration")):
        return "DATETIME"
    if c in ("bool", "boolean"):
        return None
    if any(w in c for w in ("point", "geo", "shape")):
        return "STRING"
    if any(w in c for w in (
        "int", "dec", "numeric", "float", "double", "real", "number", "long", "short", "byte",
        "serial", "money",
    )):
        return "NUMBER"
    return "STRING"


class _TypeObject:
    def __init__(self, name):
        self.name = name

    def __eq__(self, other):
        if isinstance(other, _TypeObject):
            return other is self
        return _category(other) == self.name

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f"webdbc.{self.name}"


STRING = _TypeObject("STRING")
BINARY = _TypeObject("BINARY")
NUMBER = _TypeObject("NUMBER")
DATETIME = _TypeObject("DATETIME")
ROWID = _TypeObject("ROWID")

Date = _dt.date
Time = _dt.time
Timestamp = _dt.datetime
Binary = bytes


def DateFromTicks(ticks):
    return Date(*_time.localtime(ticks)[:3])


def TimeFromTicks(ticks):
    return Time(*_time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks):
    return Timestamp(*_time.localtime(ticks)[:6])


# -- Values: Python <-> the engine's tagged JSON (src/bindings/tagged.rs), batches (columns.rs) --

_EPOCH = _dt.datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=_dt.timezone.utc)
_EPOCH_DATE = _dt.date(1970, 1, 1)
_MICRO = _dt.timedelta(microseconds=1)
_td = _dt.timedelta
_DAY_MICROS = 86_400_000_000
_KINDS = {"D": "date", "t": "time", "T": "timestamp", "Z": "timestamp", "i": "interval"}


def _in(v):
    tag = v[0]
    try:
        if tag == "d":
            return _decimal.Decimal(v[1])
        if tag == "Z":
            return _EPOCH_UTC + _dt.timedelta(microseconds=v[1])
        if tag == "T":
            return _EPOCH + _dt.timedelta(microseconds=v[1])
        if tag == "D":
            return _EPOCH_DATE + _dt.timedelta(days=v[1])
        if tag == "b":
            return bytes.fromhex(v[1])
        if tag == "t":
            if not 0 <= v[1] < _DAY_MICROS:
                raise OverflowError
            return (_EPOCH + _dt.timedelta(microseconds=v[1])).time()
        if tag == "f":
            return float(v[1])
        if tag == "u":
            return _uuid.UUID(v[1])
        if tag == "j":
            return _json.loads(v[1])
        if tag == "i":
            # Months have no fixed length: an interval with months stays ISO 8601 text.
            return _dt.timedelta(days=v[2], microseconds=v[3]) if v[1] == 0 else v[4]
        if tag == "a":
            return [_in(x) if type(x) is list else x for x in v[1]]
    except OverflowError:
        raise DataError(
            f"a {_KINDS.get(tag, 'value')} Python cannot hold (its years are 1..9999, and it has "
            f"no infinity): {v[1]}"
        ) from None
    except (ValueError, TypeError, IndexError) as e:
        raise InterfaceError(f"malformed {tag!r} value from the engine: {e}") from None
    raise InterfaceError(f"unknown value tag {tag!r} from the engine")


def _column_in(kind, values):
    """A tagged column of a batch (src/bindings/columns.rs) as Python values."""
    if kind == "":
        return values
    if kind == "?":
        return [_in(x) if type(x) is list else x for x in values]
    return [None if x is None else _in([kind, x]) for x in values]


def _tagged_column_in(kind, values):
    """A tagged column, and {row: its DataError} for values Python cannot hold (those rows fail,
    the rows around them stay)."""
    try:
        return _column_in(kind, values), {}
    except DataError:
        pass  # found again, value by value
    column, errors = [], {}
    for r, v in enumerate(values):
        try:
            column.append(_column_in(kind, [v])[0])
        except DataError as e:
            errors[r] = e
            column.append(None)
    return column, errors


# A packed column's rows: (struct format, bytes a row). Text columns are cut from the text.
_PACKED = {"int": ("q", 8), "float": ("d", 8), "date": ("4s", 4), "datetime": ("10s", 10),
           "datetimetz": ("10s", 10)}
_first = _operator.itemgetter(0)


def _packed_column_in(kind, data, at, count):
    """A packed column's values, from its bytes at `at` in data, and where the next one starts."""
    fmt, size = _PACKED[kind]
    end = at + size * count
    part = data[at:end]
    if kind == "int" or kind == "float":
        return part.cast(fmt).tolist(), end
    # Each row is the date's or datetime's pickle state, which its constructor takes without
    # parsing arguments (src/bindings/columns.rs says why).
    states = map(_first, _struct.iter_unpack(fmt, part))
    if kind == "date":
        return list(map(_dt.date, states)), end
    if kind == "datetimetz":
        return list(map(_dt.datetime, states, _itertools.repeat(_dt.timezone.utc))), end
    return list(map(_dt.datetime, states)), end


def _rows_in(batch):
    """A batch from the engine, `[header, data, text]` (src/bindings/columns.rs), as (row
    tuples, rows that failed): each column with one C-level call, then one zip. A value Python
    cannot hold puts its DataError in its row's place, and the row in the second list."""
    header, data, text = batch[0], batch[1], batch[2]
    count, kinds = _json.loads(header)
    data = data.to_memoryview()
    texts = text.split("\0")
    columns, errors, at, t = [], {}, 0, 0
    for kind, payload in kinds:
        if kind == "text" or kind in _PACKED:
            if kind == "text":
                column = texts[t:t + count]
                t += count
            else:
                column, at = _packed_column_in(kind, data, at, count)
            for r in payload:  # its null rows
                column[r] = None
        else:
            column, failed = _tagged_column_in(kind, payload)
            for r, e in failed.items():
                errors.setdefault(r, e)
        columns.append(column)
    rows = list(zip(*columns)) if columns else [()] * count
    for r, e in errors.items():
        rows[r] = e
    return rows, sorted(errors)


class Json:
    """A parameter sent as a JSON document, whatever it holds (a plain list is an SQL array)."""

    def __init__(self, obj):
        self.obj = obj


def _json_text(obj):
    try:
        return _json.dumps(obj, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ProgrammingError(f"cannot send as JSON: {e}") from None


def _text(v):
    # UTF-8 cannot hold a lone surrogate ("\ud800"): sent, it would fail or be replaced.
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise DataError(
            "the text holds a lone UTF-16 surrogate, which UTF-8 (and so the database) cannot hold"
        ) from None
    return v


def _out(v):
    t = type(v)
    if t is str:
        return _text(v)
    if v is None or t is bool or t is int:
        return v
    if t is float:
        if _math.isfinite(v):
            return v
        return ["f", "nan" if v != v else ("inf" if v > 0 else "-inf")]
    if isinstance(v, _decimal.Decimal):
        # Plain notation: a huge exponent would be a huge string, and no database holds it.
        if v.is_finite() and not -20_000 <= v.adjusted() <= 140_000:
            raise DataError(f"decimal exponent out of range: {v:.3e}")
        return ["d", format(v, "f")]
    if isinstance(v, (bytes, bytearray, memoryview)):
        return ["b", bytes(v).hex()]
    if isinstance(v, _dt.datetime):
        if v.utcoffset() is None:
            return ["T", (v - _EPOCH) // _MICRO]
        return ["Z", (v - _EPOCH_UTC) // _MICRO]
    if isinstance(v, _dt.date):
        return ["D", (v - _EPOCH_DATE).days]
    if isinstance(v, _dt.time):
        if v.utcoffset() is not None:
            raise NotSupportedError("a time with a time zone cannot be a parameter")
        return ["t", ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond]
    if isinstance(v, _dt.timedelta):
        return ["i", 0, v.days, v.seconds * 1_000_000 + v.microseconds]
    if isinstance(v, _uuid.UUID):
        return ["u", v.hex]
    if isinstance(v, Json):
        return ["j", _json_text(v.obj)]
    if isinstance(v, dict):
        return ["j", _json_text(v)]
    if isinstance(v, (list, tuple)):
        return ["a", [_out(x) for x in v]]
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return _out(float(v))
    if isinstance(v, str):
        return _text(str(v))
    raise ProgrammingError(f"cannot send a {t.__name__} as a parameter")


def _param(name, v):
    """A parameter's value, its error saying which parameter."""
    try:
        return _out(v)
    except (DataError, NotSupportedError, ProgrammingError) as e:
        raise type(e)(f"parameter {name}: {e}") from None


def _params_json(params):
    if params is None:
        return "null"
    if isinstance(params, dict):
        payload = {str(k): _param(f":{k}", v) for k, v in params.items()}
    elif isinstance(params, (list, tuple)):
        payload = [_param(f"${i}", v) for i, v in enumerate(params, 1)]
    else:
        raise ProgrammingError(
            "parameters must be a sequence (for ? placeholders) or a mapping (for :name ones)"
        )
    return _json.dumps(payload, allow_nan=False)


# -- Loading the engine ------------------------------------------------------------------------

_engine = None


async def _load():
    """The engine: a page's npm package handed over as `webdbc_js`, or the wheel's copy."""
    global _engine
    if _engine is None:
        try:
            import webdbc_js  # noqa: F401 (registered by the page)

            engine = webdbc_js
        except ImportError:
            from pyodide.ffi import JsException

            try:
                engine = await _load_bundled()
            except (JsException, OSError) as e:
                raise InterfaceError(f"could not load the webdbc engine: {e}") from None
        _engine = _engine or engine
    return _engine


async def _load_bundled():
    import base64

    from js import Object
    from pyodide.code import run_js
    from pyodide.ffi import to_js

    here = _os.path.join(_os.path.dirname(__file__), "_js")

    def data_url(text):
        return "data:text/javascript;base64," + base64.b64encode(text.encode()).decode()

    glue = open(_os.path.join(here, "webdbc_wasm.js"), encoding="utf-8").read()
    # The glue imports its snippet by a relative path, which a data: URL module cannot resolve;
    # the same path also names the wasm's imports, and stays there.
    def inline(m):
        snippet = open(_os.path.join(here, m.group(2)), encoding="utf-8").read()
        return f"from {m.group(1)}{data_url(snippet)}{m.group(1)}"

    glue = _re.sub(r"""from\s+(['"])\./(snippets/[^'"]+\.js)\1""", inline, glue)
    module = await run_js("(url) => import(url)")(data_url(glue))
    with open(_os.path.join(here, "webdbc_wasm_bg.wasm"), "rb") as f:
        wasm = to_js(f.read())
    await module.default(to_js({"module_or_path": wasm}, dict_converter=Object.fromEntries))
    return module


# -- Connections and cursors (async) --------------------------------------------------------------

_JS_ONLY_OPTIONS = {"int64", "numeric", "dates", "json", "rowMode", "row_mode"}


def _js_options(options):
    from js import Object
    from pyodide.ffi import create_proxy, to_js

    out = {}
    for k, v in options.items():
        if k in _JS_ONLY_OPTIONS:
            raise InterfaceError(
                f"option {k} shapes JavaScript values; Python gets its own types (int, Decimal, datetime)"
            )
        if k == "page_size":
            out[k] = v
            continue
        if k == "connect_timeout":  # seconds, as libpq and psycopg have it
            out["connectTimeout"] = v * 1000
            continue
        if k == "relay_token" and callable(v):
            # Called (and awaited, if async) for every new relay connection: it lives as long
            # as the connection may, so the proxy is not destroyed.
            out["relayToken"] = create_proxy(v)
            continue
        out[_re.sub(r"_([a-z])", lambda m: m.group(1).upper(), k)] = v
    return to_js(out, dict_converter=Object.fromEntries)


def _dsn(dsn, options):
    """The URL, with the seed drivers' keyword forms folded in: `username`/`user` and `password`
    (crate's `connect(url, username=, password=)`), and Ignite's `address=` without a URL
    (pyignite_dbapi's `connect(address=[...])`)."""
    from urllib.parse import quote

    if dsn is None:
        address = options.get("address")
        if not address:
            raise InterfaceError("connect() needs a database URL (postgres://…, crate://…, …) or Ignite's address=")
        dsn = "ignite://" + (address if isinstance(address, str) else address[0])
    username, user = options.pop("username", None), options.pop("user", None)
    user = username if username is not None else user
    password = options.pop("password", None)
    scheme, sep, rest = dsn.partition("://")
    if sep and (user is not None or password is not None):
        if "@" in rest.split("/", 1)[0]:
            raise InterfaceError("user or password given twice: in the URL and as arguments")
        info = quote(user or "", safe="") + (":" + quote(password, safe="") if password is not None else "")
        dsn = f"{scheme}://{info}@{rest}"
    return dsn


async def connect_async(dsn=None, **options):
    """Opens a connection; works in every Pyodide. Options: as the JS API's (README), in either
    spelling (`fetch_size` or `fetchSize`); Ignite's `address`, `identity`, `secret`, `schema`,
    `page_size`, `timeout` as pyignite_dbapi has them; `username`/`user` and `password`."""
    dsn = _dsn(dsn, options)
    engine = await _load()
    js = await _js_await(engine.connect, dsn, _js_options(options))
    return AsyncConnection(js)


class AsyncConnection:
    def __init__(self, js):
        self._js = js

    def cursor(self):
        return AsyncCursor(self, _js_call(self._js.cursor))

    async def commit(self):
        await _js_await(self._js.commit)

    async def rollback(self):
        await _js_await(self._js.rollback)

    async def cancel(self):
        await _js_await(self._js.cancel)

    async def close(self):
        await _js_await(self._js.close)

    @property
    def closed(self):
        return bool(self._js.closed)

    @property
    def autocommit(self):
        return bool(self._js.autocommit)

    @autocommit.setter
    def autocommit(self, on):
        _js_call(setattr, self._js, "autocommit", bool(on))

    async def __aenter__(self):
        return self

    async def __aexit__(self, kind, exc, tb):
        try:
            if not self.closed and not self.autocommit:
                await (self.commit() if exc is None else self.rollback())
        finally:
            await self.close()


# PEP 249's optional extension: the exception classes as attributes of every connection, so that
# code holding only a connection can catch `conn.Error`.
for _cls in (AsyncConnection,):
    for _name in ("Warning", "Error", "InterfaceError", "DatabaseError", "DataError",
                  "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
                  "NotSupportedError"):
        setattr(_cls, _name, globals()[_name])


# Rows fetched per round trip by fetchall(): the engine's heap holds one chunk, not the result.
_CHUNK = 4096


class AsyncCursor:
    def __init__(self, connection, js):
        self.connection = connection
        self._js = js
        self.arraysize = 1
        self._clear()

    def _clear(self):
        # The engine's last batch, converted (_rows_in), and where the next row is; in place of
        # a row Python cannot hold, its DataError, raised after the rows before it.
        self._rows, self._failed, self._pos = [], [], 0

    @property
    def description(self):
        d = _py(self._js.description)
        if d is None:
            return None
        return [
            tuple(_py(getattr(c, f)) for f in (
                "name", "typeCode", "displaySize", "internalSize", "precision", "scale", "nullOk",
            ))
            for c in d
        ]

    @property
    def rowcount(self):
        return int(self._js.rowcount)

    # None, as PEP 249 has it when a row id is unknown: no backend hands one over (PostgreSQL,
    # CrateDB and the others return generated keys with RETURNING or not at all).
    lastrowid = None

    async def execute(self, operation, parameters=None):
        self._clear()
        await _js_await(self._js.executeJson, operation, _params_json(parameters))
        return self

    async def executemany(self, operation, seq_of_parameters):
        self._clear()
        sets = "[" + ",".join(_params_json(p) for p in seq_of_parameters) + "]"
        await _js_await(self._js.executemanyJson, operation, sets)
        return self

    async def _take(self, n):
        """Up to n rows, fewer only at the end (or before a row that cannot be converted)."""
        out = []
        while len(out) < n:
            rows, at = self._rows, self._pos
            if at == len(rows):
                # At least a chunk per round trip: iteration must not cost a call per row.
                batch = await _js_await(self._js.fetchColumns, max(n - len(out), _CHUNK))
                self._rows, self._failed = _rows_in(batch)
                self._pos = 0
                if not self._rows:
                    break
                continue
            failed = next((i for i in self._failed if i >= at), len(rows))
            if failed == at:
                if out:
                    break
                self._pos += 1
                raise rows[at]
            end = min(at + n - len(out), failed)
            out += rows[at:end]
            self._pos = end
        return out

    async def fetchone(self):
        rows = await self._take(1)
        return rows[0] if rows else None

    async def fetchmany(self, size=None):
        return await self._take(self.arraysize if size is None else size)

    async def fetchall(self):
        out = []
        while True:
            rows = await self._take(_CHUNK)
            out += rows
            if len(rows) < _CHUNK:
                if self._pos < len(self._rows):
                    await self._take(1)  # a row that could not be converted: raises its error
                return out

    async def nextset(self):
        """Moves to the next result of a string of several statements: True, or None when
        there is none (PEP 249)."""
        if not await _js_await(self._js.nextset):
            return None
        self._clear()
        return True

    def setinputsizes(self, sizes):
        pass

    def setoutputsize(self, size, column=None):
        pass

    async def close(self):
        self._clear()
        await _js_await(self._js.close)

    def __aiter__(self):
        return self

    async def __anext__(self):
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    async def __aenter__(self):
        return self

    async def __aexit__(self, kind, exc, tb):
        await self.close()


# -- Connections and cursors (sync, through JSPI) -------------------------------------------------


def _sync(awaitable):
    from pyodide.ffi import can_run_sync, run_sync

    if not can_run_sync():
        if hasattr(awaitable, "close"):
            awaitable.close()
        raise NotSupportedError(
            "this runtime cannot block on the database (no JavaScript Promise Integration here, "
            "or the code is not run by runPythonAsync): use `await webdbc.connect_async(...)` "
            "and await its methods"
        )
    return run_sync(awaitable)


def connect(dsn=None, **options):
    """Opens a synchronous connection (Chromium under runPythonAsync, e.g. JupyterLite);
    elsewhere NotSupportedError, and `await connect_async(...)` is the way."""
    return Connection(_sync(connect_async(dsn, **options)))


class Connection:
    def __init__(self, conn):
        self._async = conn

    Warning, Error, InterfaceError, DatabaseError, DataError = (
        Warning, Error, InterfaceError, DatabaseError, DataError)
    OperationalError, IntegrityError, InternalError, ProgrammingError, NotSupportedError = (
        OperationalError, IntegrityError, InternalError, ProgrammingError, NotSupportedError)

    def cursor(self):
        return Cursor(self, self._async.cursor())

    def commit(self):
        _sync(self._async.commit())

    def rollback(self):
        _sync(self._async.rollback())

    def cancel(self):
        _sync(self._async.cancel())

    def close(self):
        _sync(self._async.close())

    @property
    def closed(self):
        return self._async.closed

    @property
    def autocommit(self):
        return self._async.autocommit

    @autocommit.setter
    def autocommit(self, on):
        self._async.autocommit = on

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        _sync(self._async.__aexit__(kind, exc, tb))


class Cursor:
    def __init__(self, connection, cursor):
        self.connection = connection
        self._async = cursor

    description = property(lambda self: self._async.description)
    rowcount = property(lambda self: self._async.rowcount)
    lastrowid = property(lambda self: self._async.lastrowid)

    @property
    def arraysize(self):
        return self._async.arraysize

    @arraysize.setter
    def arraysize(self, n):
        self._async.arraysize = n

    def execute(self, operation, parameters=None):
        _sync(self._async.execute(operation, parameters))
        return self

    def executemany(self, operation, seq_of_parameters):
        _sync(self._async.executemany(operation, seq_of_parameters))
        return self

    def fetchone(self):
        return _sync(self._async.fetchone())

    def fetchmany(self, size=None):
        return _sync(self._async.fetchmany(size))

    def fetchall(self):
        return _sync(self._async.fetchall())

    def nextset(self):
        return _sync(self._async.nextset())

    def setinputsizes(self, sizes):
        pass

    def setoutputsize(self, size, column=None):
        pass

    def close(self):
        _sync(self._async.close())

    def __iter__(self):
        return self

    def __next__(self):
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        self.close()
