"""Writes the seeds of the Ignite, HTTP, SQL and URL targets: replies in the shapes the servers
send (as recorded by the test servers and the protocol notes) and the boundary inputs of issue
13. Run from fuzz/: python3 seeds/make_others.py"""
import json
import os
import struct


def write(target, name, data):
    os.makedirs(f"seeds/{target}", exist_ok=True)
    with open(f"seeds/{target}/{name}", "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# --- MessagePack, as Ignite's client protocol uses it ---
def mp_int(v):
    if 0 <= v < 128:
        return bytes([v])
    if -32 <= v < 0:
        return struct.pack(">b", v)
    return b"\xd3" + struct.pack(">q", v)


def mp_str(s):
    b = s.encode()
    return (bytes([0xa0 | len(b)]) if len(b) < 32 else b"\xd9" + bytes([len(b)])) + b


def mp_bin(b):
    return b"\xc4" + bytes([len(b)]) + b if len(b) < 256 else b"\xc5" + struct.pack(">H", len(b)) + b


NIL, TRUE, FALSE = b"\xc0", b"\xc3", b"\xc2"
UUID = b"\xd8\x03" + bytes(range(16))


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def tuple_(elements):
    area = sum(len(e) for e in elements if e is not None)
    out, end = b"\x00", 0
    for e in elements:
        end += len(e) if e is not None else 0
        out += bytes([end])
    return out + b"".join(e for e in elements if e is not None)


HANDSHAKE = b"IGNI" + frame(
    mp_int(3) + mp_int(0) + mp_int(0) + NIL + mp_int(30000) + UUID + mp_str("node1")
    + mp_int(1) + UUID + mp_str("cluster") + mp_int(7) + mp_int(3) + mp_int(0) + mp_int(0)
)


def response(rid, body):
    return frame(mp_int(rid) + mp_int(0) + mp_int(8) + body)


def column(name, ty, scale=0, precision=-1):
    return mp_int(6) + mp_str(name) + TRUE + mp_int(ty) + mp_int(scale) + mp_int(precision) + FALSE


SELECT = response(0, mp_int(5) + TRUE + TRUE + FALSE + mp_int(-1) + mp_int(2)
                  + column("A", 4) + column("B", 15)
                  + mp_int(2) + mp_bin(tuple_([b"\x01", b"one"])) + mp_bin(tuple_([b"\x02", None])))
PAGE = response(1, mp_int(1) + mp_bin(tuple_([b"\x03", b"three"])) + FALSE)
DML = response(2, NIL + FALSE + FALSE + FALSE + mp_int(2**63 - 1) + mp_int(0))
BATCH = response(3, NIL + FALSE + FALSE + FALSE + mp_int(-1) + mp_int(0))
ERROR = frame(mp_int(0) + mp_int(4) + mp_int(0) + UUID + mp_int(0x30005) + mp_str("SQL error")
              + mp_str("IGN-SQL-5") + NIL + NIL)
write("ignite_session", "exchange", b"\0" + HANDSHAKE + SELECT + PAGE + DML + BATCH)
write("ignite_session", "exchange-bytewise", b"".join(b"\x01" + bytes([x]) for x in HANDSHAKE + SELECT))
write("ignite_session", "error", b"\0" + HANDSHAKE + ERROR)
write("ignite_session", "huge-frame", b"\0" + b"IGNI" + b"\x3f\xff\xff\xf0")
write("ignite_session", "ext32-max", b"\0" + HANDSHAKE + frame(mp_int(0) + mp_int(0) + b"\xc9\xff\xff\xff\xff\x01"))
decimal = response(0, mp_int(5) + TRUE + FALSE + FALSE + mp_int(-1) + mp_int(1) + column("D", 8, 2, 10)
                   + mp_int(1) + mp_bin(tuple_([b"\x02\x00" + b"\x04\xd2"])))
write("ignite_session", "decimal", b"\0" + HANDSHAKE + decimal)

# ignite_values: [count-1][type, scale]*count tuple — and a 64 KiB DECIMAL, the quadratic case.
def values_seed(cols, elements):
    head = bytes([len(cols) - 1]) + b"".join(bytes([t, s & 0xff]) for t, s in cols)
    return head + tuple_(elements)


write("ignite_values", "int-string", values_seed([(4, 0), (15, 0)], [b"\x2a", b"hello"]))
write("ignite_values", "decimal", values_seed([(8, 2)], [b"\x02\x00\x04\xd2"]))
write("ignite_values", "timestamp", values_seed([(12, 0), (11, 0), (9, 0), (10, 0)],
                                                 [struct.pack("<qi", -(2**63), 999999999), b"\xff" * 9, b"\xff\xff\x7f", b"\xff" * 6]))
wide = b"\x00\x00" + b"\x7f" * 65536
write("ignite_values", "decimal-64k", bytes([0, 8, 0]) + b"\x02" + struct.pack("<I", len(wide)) + wide)
write("ignite_values", "msgpack-maxima", b"\x00\x04\x00" + b"\xdf\xff\xff\xff\xff\xc9\xff\xff\xff\xff\x01")

# --- HTTP replies: [status index][body], joined by 0xff (status index 0: 200) ---
def replies(*bodies):
    return b"\xff".join(b"\x00" + (b if isinstance(b, bytes) else json.dumps(b).encode()) for b in bodies)


write("cratedb_session", "exchange", replies(
    {"version": {"number": "5.10.1"}},
    {"cols": ["a", "b"], "col_types": [9, 4], "rows": [[1, "one"], [9223372036854775807, None], [3, "x"]], "rowcount": 3},
    {"cols": [], "rows": [], "rowcount": 1},
    {"cols": [], "results": [{"rowcount": 9223372036854775807}, {"rowcount": 9223372036854775807}]},
))
write("cratedb_session", "error", replies({"version": {"number": "5.10.1"}},
                                          {"error": {"message": "SQLParseException[line 1:8: mismatched input]", "code": 4000}}))
write("cratedb_session", "types", replies({"version": {"number": "5.10.1"}},
                                          b'{"cols":["t","z","n"],"col_types":[11,20,[100,10]],"rows":[[-9223372036854775808,[0,-9223372036854775808],[1e309]]],"rowcount":1}'))
write("databend_session", "exchange", replies(
    {"session": {}, "state": "Succeeded", "schema": [], "data": []},
    {"id": "q1", "session": {}, "state": "Running", "schema": [{"name": "a", "type": "Int64"}, {"name": "b", "type": "Nullable(String)"}],
     "data": [["1", "one"], ["9223372036854775807", None]], "next_uri": "/v1/query/q1/page/1", "stats": {}},
    {"id": "q1", "state": "Succeeded", "schema": [{"name": "a", "type": "Int64"}, {"name": "b", "type": "Nullable(String)"}],
     "data": [["3", "x"]], "next_uri": None, "stats": {"write_progress": {"rows": 18446744073709551615}}},
    {"id": "q2", "state": "Succeeded", "schema": [], "data": [], "stats": {"write_progress": {"rows": 1}}},
))
write("databend_session", "error", replies({"session": {}, "state": "Succeeded", "schema": [], "data": []},
                                           {"id": "q1", "state": "Failed", "error": {"code": 1025, "message": "Unknown table"}}))
write("questdb_session", "exchange", replies(
    {"query": "SELECT 1", "columns": [{"name": "1", "type": "INT"}], "timestamp": -1, "dataset": [[1]], "count": 1},
    {"query": "SELECT a, b FROM t", "columns": [{"name": "a", "type": "LONG"}, {"name": "b", "type": "STRING"}],
     "dataset": [[9223372036854775807, "one"], [None, None]], "count": 2},
    {"dml": "OK", "updated": 9223372036854775807},
    {"dml": "OK", "updated": 9223372036854775807},
))
write("questdb_session", "error-position", replies({"query": "x", "error": "unexpected token", "position": 18446744073709551615}))
write("databricks_session", "exchange", replies(
    {"statement_id": "s1", "status": {"state": "SUCCEEDED"},
     "manifest": {"schema": {"column_count": 2, "columns": [{"name": "a", "type_name": "LONG", "position": 0}, {"name": "b", "type_name": "DECIMAL", "type_precision": 38, "type_scale": 10, "position": 1}]},
                  "total_chunk_count": 1, "total_row_count": 2},
     "result": {"chunk_index": 0, "row_offset": 0, "row_count": 2, "data_array": [["9223372036854775807", "1.0000000001"], [None, None]]}},
    {"statement_id": "s2", "status": {"state": "SUCCEEDED"},
     "manifest": {"schema": {"column_count": 1, "columns": [{"name": "num_affected_rows", "type_name": "LONG", "position": 0}]}},
     "result": {"data_array": [["9223372036854775807"]]}},
))
write("databricks_session", "failed", replies({"statement_id": "s1", "status": {"state": "FAILED", "error": {"error_code": "BAD_REQUEST", "message": "[PARSE_SYNTAX_ERROR]"}}}))

# --- SQL text and URLs ---
for name, text in {
    "qmarks": "SELECT * FROM t WHERE a = ? AND b = '?' -- ?\n AND c = $1",
    "named": "INSERT INTO t VALUES (:a, :b, ':c', $$:d$$, E'\\':e')",
    "multi": "BEGIN; UPDATE t SET a = 1 RETURNING *; COPY t FROM STDIN; /* ; */ COMMIT",
    "dollar-huge": "SELECT $99999999999999999999, $0, $-1",
}.items():
    write("sql", name, text)
for name, url in {
    "questdb": "questdb://admin:quest@localhost:8812/qdb",
    "crate": "crate://localhost:4200",
    "databend": "databend://user1:abc123@127.0.0.1:8000/default?secure=False",
    "databricks": "databricks://token:dapi123@adb-1.azuredatabricks.net?http_path=/sql/1.0/warehouses/abc&catalog=main&schema=default",
    "ignite": "ignite://ignite:secret@[::1]:10800,host2:10801/?schema=PUBLIC&page_size=1024",
    "postgres": "postgresql://u%40x:p%2Fw@h:5432/db?sslmode=disable&options=-c%20statement_timeout%3D5&fetch_size=18446744073709551616",
}.items():
    write("dsn", name, url)
