"""Writes the pg_session and pg_values seeds: a recorded-shape exchange (login, a paged
SELECT, an INSERT, an executemany, a COMMIT) and the boundary inputs of issue 13, in the
FuzzStream format (each chunk led by its length; 0: the rest). Run from fuzz/: python3 seeds/make_pg.py"""
import os
import struct


def msg(tag, body=b""):
    return tag + struct.pack(">i", len(body) + 4) + body


def cstr(s):
    return s.encode() + b"\0"


LOGIN = (
    msg(b"R", struct.pack(">i", 0))
    + msg(b"S", cstr("server_version") + cstr("15.4"))
    + msg(b"S", cstr("client_encoding") + cstr("UTF8"))
    + msg(b"S", cstr("integer_datetimes") + cstr("on"))
    + msg(b"K", struct.pack(">ii", 42, 4242))
    + msg(b"Z", b"I")
)
COLS = struct.pack(">h", 2) + b"".join(
    cstr(name) + struct.pack(">ihihih", 0, 0, oid, size, -1, 0)
    for name, oid, size in [("a", 23, 4), ("b", 25, -1)]
)


def row(*cells):
    body = struct.pack(">h", len(cells))
    for c in cells:
        body += struct.pack(">i", -1) if c is None else struct.pack(">i", len(c)) + c
    return msg(b"D", body)


def select(rows, tail=b""):
    out = msg(b"1") + msg(b"2") + msg(b"T", COLS)
    out += b"".join(rows[:2]) + msg(b"s") + b"".join(rows[2:]) + tail
    return out + msg(b"C", cstr(f"SELECT {len(rows)}")) + msg(b"Z", b"I")


def write(tag):
    return msg(b"1") + msg(b"2") + msg(b"n") + msg(b"C", cstr(tag)) + msg(b"Z", b"I")


ROWS = [row(b"1", b"one"), row(b"2", None), row(b"-2147483648", "é".encode())]
EXCHANGE = (
    LOGIN
    + select(ROWS)
    + write("INSERT 0 1")
    + msg(b"1") + msg(b"2") + msg(b"C", cstr("INSERT 0 9223372036854775807"))
    + msg(b"2") + msg(b"C", cstr("INSERT 0 9223372036854775807")) + msg(b"Z", b"I")
    + msg(b"C", cstr("COMMIT")) + msg(b"Z", b"I")
)
ERROR = msg(b"E", b"SERROR\0C42P01\0Mrelation \"t\" does not exist\0P15\0\0") + msg(b"Z", b"I")


def one_chunk(stream):
    return b"\0" + stream


def byte_chunks(stream):
    return b"".join(b"\x01" + bytes([b]) for b in stream)


seeds = {
    "exchange": one_chunk(EXCHANGE),
    "exchange-bytewise": byte_chunks(EXCHANGE),
    "error": one_chunk(LOGIN + ERROR),
    "empty-error": one_chunk(LOGIN + msg(b"E", b"\0") + msg(b"Z", b"I")),
    "datarow-minus-2": one_chunk(LOGIN + select([row(b"1", b"x")]).replace(struct.pack(">i", 1) + b"x", struct.pack(">i", -2))),
    "datarow-min": one_chunk(LOGIN + msg(b"1") + msg(b"2") + msg(b"T", COLS) + msg(b"D", struct.pack(">hi", 1, -(2**31)))),
    "huge-before-login": one_chunk(b"R\x3f\xff\xff\xf0"),
    "huge-row": one_chunk(LOGIN + msg(b"1") + msg(b"2") + msg(b"T", COLS) + b"D\x3f\xff\xff\xf0\x00\x02"),
    "length-3": one_chunk(LOGIN + b"D\x00\x00\x00\x03"),
    "sasl": one_chunk(msg(b"R", struct.pack(">i", 10) + cstr("SCRAM-SHA-256") + b"\0")
                      + msg(b"R", struct.pack(">i", 11) + b"r=abc,s=QSXCR+Q6sek8bf92,i=4096")),
    "md5": one_chunk(msg(b"R", struct.pack(">i", 5) + b"salt") + LOGIN),
    "truncated": one_chunk(LOGIN + b"T\x00\x00\x00\x64" + b"\0" * 5),
}
os.makedirs("seeds/pg_session", exist_ok=True)
for name, data in seeds.items():
    with open(f"seeds/pg_session/{name}", "wb") as f:
        f.write(data)

# pg_values: [type index, format, bytes...]; indexes into OIDS of fuzz_targets/pg_values.rs.
OIDS = [16, 17, 18, 19, 20, 21, 23, 25, 26, 114, 142, 700, 701, 790, 1042, 1043, 1082, 1083, 1114,
        1184, 1186, 1266, 1560, 1562, 1700, 2950, 3802, 1007, 1009, 1016, 1231, 1185, 3807, 1001, 2951]
values = {
    "int8-max-binary": (20, 1, struct.pack(">q", 2**63 - 1)),
    "int8-text": (20, 0, b"-9223372036854775808"),
    "numeric-binary": (1700, 1, struct.pack(">hhhh", 3, 1, 0, 2) + struct.pack(">hhh", 1, 2345, 6789)),
    "numeric-nan": (1700, 1, struct.pack(">hhhh", 0, 0, 0xC000 - 65536, 0)),
    "numeric-text": (1700, 0, b"-123456789012345678901234567890.000001"),
    "timestamptz-binary": (1184, 1, struct.pack(">q", -(2**63))),
    "timestamp-text": (1114, 0, b"294276-12-31 23:59:59.999999"),
    "date-infinity": (1082, 0, b"infinity"),
    "interval-binary": (1186, 1, struct.pack(">qii", 2**63 - 1, -(2**31), 2**31 - 1)),
    "array-int4": (1007, 1, struct.pack(">iiiii", 1, 0, 23, 2, 1) + struct.pack(">ii", 4, 7) + struct.pack(">i", -1)),
    "array-text": (1009, 0, b'{"a,b",NULL,"\\"q\\""}'),
    "jsonb": (3802, 1, b"\x01" + b'{"n": 12345678901234567890}'),
    "uuid": (2950, 1, bytes(range(16))),
    "bytea-hex": (17, 0, b"\\xdeadbeef"),
    "money": (790, 1, struct.pack(">q", -(2**63))),
    "timetz": (1266, 1, struct.pack(">qi", 86400000000, -2**31)),
}
os.makedirs("seeds/pg_values", exist_ok=True)
for name, (oid, fmt, raw) in values.items():
    with open(f"seeds/pg_values/{name}", "wb") as f:
        f.write(bytes([OIDS.index(oid), fmt]) + raw)
