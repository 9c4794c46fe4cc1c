//! An Apache Ignite 3 node for the thin-client SQL protocol, over SQLite, written from
//! shared/protocols/ignite3-client.md and proven by the official `pyignite_dbapi` 3.1.0
//! (tests/python/test_ignite_server.py). It shares no code with the client.
//!
//! - Magic, handshake 3.0.0 (anything else: an error handshake), basic authentication when the
//!   node is secure ([`IGNITE_USER`]), an idle timeout that closes silent connections.
//! - HEARTBEAT, TX_BEGIN/COMMIT/ROLLBACK (a transaction of its own per id), SQL_EXEC (cursors
//!   paged by the request's page size), SQL_CURSOR_NEXT_PAGE/CLOSE, SQL_EXEC_BATCH (with
//!   `sql-update-counters` on failure), SQL_EXEC_SCRIPT, OPERATION_CANCEL (interrupts `sleep()`).
//! - Column metadata with origins (schema and table as back-references after the first), rows as
//!   BinaryTuples with shrunk integers, 4-byte doubles where exact, decimals with trailing zeros
//!   stripped (negative scales), TIME in 4/5/6 bytes, empty strings as 0x80.
//! - Ignite's SQL as the tests use it: unquoted identifiers upper-cased, CREATE TABLE with
//!   Ignite types, errors in the SQL group (parse, validation, constraint, runtime, cancelled).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmp::{decode, encode};
use rusqlite::types::Value as Sql;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;

use crate::civil;
use crate::sqlite::{self, Binds, Db, Fail};

/// The user of a secure node.
pub const IGNITE_USER: (&str, &str) = ("ignite", "ignite-secret");
const SCHEMA: &str = "public";

/// Starts a node on a free loopback port. `secure`: basic authentication required;
/// `idle_timeout_ms`: silent connections are closed after it (0: never).
pub fn start_ignite_server(secure: bool, idle_timeout_ms: u64) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let engine = Arc::new(Mutex::new(sqlite::Engine::new(sqlite::unique_prefix(
        "ignite",
    ))));
    let interrupt = engine.lock().unwrap().interrupter();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                let node = Node {
                    engine: engine.clone(),
                    interrupt: interrupt.clone(),
                    secure,
                    idle: Duration::from_millis(idle_timeout_ms),
                };
                tokio::spawn(async move {
                    let _ = node.serve(stream).await;
                });
            }
        });
    });
    port
}

#[derive(Clone)]
struct Node {
    engine: Arc<Mutex<sqlite::Engine<Col>>>,
    interrupt: Arc<AtomicBool>,
    secure: bool,
    idle: Duration,
}

// ---- MessagePack, written and read here (the client's codec is not shared) ----

fn w_int(b: &mut Vec<u8>, v: i64) {
    let _ = encode::write_sint(b, v);
}
fn w_nil(b: &mut Vec<u8>) {
    let _ = encode::write_nil(b);
}
fn w_bool(b: &mut Vec<u8>, v: bool) {
    let _ = encode::write_bool(b, v);
}
fn w_str(b: &mut Vec<u8>, v: &str) {
    let _ = encode::write_str(b, v);
}
fn w_bin(b: &mut Vec<u8>, v: &[u8]) {
    let _ = encode::write_bin(b, v);
}
fn w_uuid(b: &mut Vec<u8>, v: [u8; 16]) {
    b.extend([0xd8, 3]);
    b.extend(v);
}

struct Rd<'a>(&'a [u8]);

type R<T> = Result<T, String>;

impl<'a> Rd<'a> {
    fn nil(&mut self) -> bool {
        if self.0.first() == Some(&0xc0) {
            self.0 = &self.0[1..];
            true
        } else {
            false
        }
    }
    /// Ints as the node's `unpackInt` takes them: never in a 64-bit form.
    fn int(&mut self) -> R<i64> {
        if matches!(self.0.first(), Some(0xcf | 0xd3)) {
            return Err("Unexpected 64-bit value where an int belongs".into());
        }
        decode::read_int(&mut self.0).map_err(|e| format!("int expected: {e}"))
    }
    fn long(&mut self) -> R<i64> {
        decode::read_int(&mut self.0).map_err(|e| format!("long expected: {e}"))
    }
    fn opt_long(&mut self) -> R<Option<i64>> {
        Ok(if self.nil() { None } else { Some(self.long()?) })
    }
    fn bool(&mut self) -> R<bool> {
        decode::read_bool(&mut self.0).map_err(|e| format!("bool expected: {e}"))
    }
    fn str(&mut self) -> R<String> {
        let n =
            decode::read_str_len(&mut self.0).map_err(|e| format!("str expected: {e}"))? as usize;
        let s = self.0.get(..n).ok_or("short str")?;
        self.0 = &self.0[n..];
        String::from_utf8(s.to_vec()).map_err(|_| "bad utf8".into())
    }
    fn opt_str(&mut self) -> R<Option<String>> {
        Ok(if self.nil() { None } else { Some(self.str()?) })
    }
    fn bin(&mut self) -> R<&'a [u8]> {
        let n =
            decode::read_bin_len(&mut self.0).map_err(|e| format!("bin expected: {e}"))? as usize;
        let s = self.0.get(..n).ok_or("short bin")?;
        self.0 = &self.0[n..];
        Ok(s)
    }
}

// ---- BinaryTuple ----

fn tuple(elements: &[Option<Vec<u8>>]) -> Vec<u8> {
    let total: usize = elements.iter().flatten().map(Vec::len).sum();
    let width = if total <= 0xFF {
        1
    } else if total <= 0xFFFF {
        2
    } else {
        4
    };
    let mut out = vec![match width {
        1 => 0,
        2 => 1,
        _ => 2,
    }];
    let mut end = 0u32;
    for e in elements {
        end += e.as_ref().map_or(0, |v| v.len() as u32);
        out.extend(&end.to_le_bytes()[..width]);
    }
    for e in elements.iter().flatten() {
        out.extend(e);
    }
    out
}

fn untuple(b: &[u8], n: usize) -> R<Vec<Option<Vec<u8>>>> {
    let width = 1usize << (b.first().ok_or("empty tuple")? & 3);
    let base = 1 + n * width;
    if b.len() < base {
        return Err("tuple shorter than its offsets".into());
    }
    let mut prev = 0usize;
    let mut out = Vec::new();
    for i in 0..n {
        let mut le = [0u8; 8];
        le[..width].copy_from_slice(&b[1 + i * width..1 + (i + 1) * width]);
        let end = u64::from_le_bytes(le) as usize;
        if end < prev || base + end > b.len() {
            return Err("bad tuple offsets".into());
        }
        out.push((end > prev).then(|| b[base + prev..base + end].to_vec()));
        prev = end;
    }
    Ok(out)
}

fn le_int(b: &[u8]) -> i64 {
    let mut le = [0u8; 8];
    le[..b.len()].copy_from_slice(b);
    let v = i64::from_le_bytes(le);
    let shift = 64 - 8 * b.len() as u32;
    (v << shift) >> shift
}

fn shrink(v: i64) -> Vec<u8> {
    let n = [1usize, 2, 4, 8]
        .into_iter()
        .find(|&n| n == 8 || (v << (64 - 8 * n)) >> (64 - 8 * n) == v)
        .unwrap();
    v.to_le_bytes()[..n].to_vec()
}

/// Ignite column types, as the node declares them.
#[derive(Clone, Debug, PartialEq)]
struct Col {
    id: i32,
    precision: i32,
    scale: i32,
    nullable: bool,
}

impl Col {
    fn of(id: i32) -> Col {
        Col {
            id,
            precision: -1,
            scale: i32::MIN,
            nullable: true,
        }
    }

    fn parse(s: &str, not_null: bool) -> Option<Col> {
        let u = s.trim().to_ascii_uppercase();
        let args: Vec<i32> = u
            .split_once('(')
            .map(|(_, a)| {
                a.trim_end_matches(')')
                    .split(',')
                    .filter_map(|x| x.trim().parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let mut c = Col::of(match u.split(['(', ' ']).next()? {
            "BOOLEAN" => 1,
            "TINYINT" => 2,
            "SMALLINT" => 3,
            "INT" | "INTEGER" => 4,
            "BIGINT" => 5,
            "REAL" | "FLOAT" => 6,
            "DOUBLE" => 7,
            "DECIMAL" | "NUMERIC" => 8,
            "DATE" => 9,
            "TIME" => 10,
            "TIMESTAMP" if u.contains("LOCAL TIME ZONE") => 12,
            "TIMESTAMP" => 11,
            "UUID" => 13,
            "VARCHAR" | "CHAR" | "STRING" => 15,
            "VARBINARY" | "BINARY" => 16,
            _ => return None,
        });
        c.nullable = !not_null;
        match c.id {
            8 => {
                c.precision = *args.first().unwrap_or(&32767);
                c.scale = *args.get(1).unwrap_or(&0);
            }
            10..=12 => {
                c.precision = *args.first().unwrap_or(&6);
                c.scale = 0;
            }
            15 | 16 => c.precision = *args.first().unwrap_or(&65536),
            _ => c.scale = 0,
        }
        Some(c)
    }

    fn affinity(&self) -> &'static str {
        match self.id {
            1..=5 => "INTEGER",
            6 | 7 => "REAL",
            16 => "BLOB",
            _ => "TEXT",
        }
    }

    /// A stored value as this column's tuple element.
    fn encode(&self, v: &Sql) -> R<Option<Vec<u8>>> {
        Ok(Some(match (self.id, v) {
            (_, Sql::Null) => return Ok(None),
            (1, Sql::Integer(i)) => vec![u8::from(*i != 0)],
            (2..=5, Sql::Integer(i)) => shrink(*i),
            (6, Sql::Real(f)) => (*f as f32).to_le_bytes().to_vec(),
            (7, Sql::Real(f)) => {
                if f64::from(*f as f32) == *f {
                    (*f as f32).to_le_bytes().to_vec()
                } else {
                    f.to_le_bytes().to_vec()
                }
            }
            (6 | 7, Sql::Integer(i)) => return Col::of(self.id).encode(&Sql::Real(*i as f64)),
            (8, v) => decimal_bytes(&sqlite::text(v), self.scale)?,
            (9, v) => date_bytes(&sqlite::text(v))?,
            (10, v) => time_bytes(&sqlite::text(v))?,
            (11, v) => {
                let t = sqlite::text(v);
                let (d, c) = t.split_once(['T', ' ']).unwrap_or((&t, "00:00:00"));
                let mut b = date_bytes(d)?;
                b.extend(time_bytes(c)?);
                b
            }
            (12, v) => {
                let t = sqlite::text(v);
                let (whole, nanos) = split_nanos(&t);
                let secs =
                    civil::parse_micros(&format!("{whole}Z")).ok_or("bad timestamp")? / 1_000_000;
                let mut b = secs.to_le_bytes().to_vec();
                if nanos != 0 {
                    b.extend((nanos as i32).to_le_bytes());
                }
                b
            }
            (13, v) => {
                let h: String = sqlite::text(v).chars().filter(|c| *c != '-').collect();
                let raw: Vec<u8> = (0..16)
                    .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap_or(0))
                    .collect();
                raw[..8]
                    .iter()
                    .rev()
                    .chain(raw[8..].iter().rev())
                    .copied()
                    .collect()
            }
            (15, v) => {
                let t = sqlite::text(v);
                if t.is_empty() {
                    vec![0x80]
                } else {
                    t.into_bytes()
                }
            }
            (16, Sql::Blob(b)) => {
                if b.first().is_none_or(|&x| x == 0x80) {
                    std::iter::once(0x80).chain(b.iter().copied()).collect()
                } else {
                    b.clone()
                }
            }
            (0, _) => return Ok(None),
            (id, v) => return Err(format!("cannot encode {v:?} as type {id}")),
        }))
    }
}

/// `…HH:MM:SS.fffffffff` as the text before the fraction and the nanoseconds.
fn split_nanos(t: &str) -> (&str, i64) {
    match t.split_once('.') {
        Some((w, f)) => (
            w,
            format!("{:0<9}", &f[..f.len().min(9)]).parse().unwrap_or(0),
        ),
        None => (t, 0),
    }
}

fn date_bytes(d: &str) -> R<Vec<u8>> {
    let p: Vec<i32> = d
        .trim()
        .splitn(3, '-')
        .map(|x| x.parse().map_err(|_| "bad date".to_string()))
        .collect::<R<_>>()?;
    let [y, m, day] = p[..] else {
        return Err("bad date".into());
    };
    let packed = (y << 9) | (m << 5) | day;
    Ok(packed.to_le_bytes()[..3].to_vec())
}

/// TIME in the shortest of 4 (ms), 5 (µs) or 6 (ns) bytes that holds it exactly.
fn time_bytes(t: &str) -> R<Vec<u8>> {
    let (whole, nanos) = split_nanos(t.trim());
    let p: Vec<i64> = whole
        .split(':')
        .map(|x| x.parse().map_err(|_| "bad time".to_string()))
        .collect::<R<_>>()?;
    let [h, m, s] = p[..] else {
        return Err("bad time".into());
    };
    Ok(if nanos % 1_000_000 == 0 {
        (((h << 22) | (m << 16) | (s << 10) | (nanos / 1_000_000)) as u32)
            .to_le_bytes()
            .to_vec()
    } else if nanos % 1000 == 0 {
        (((h << 32) | (m << 26) | (s << 20) | (nanos / 1000)) as u64).to_le_bytes()[..5].to_vec()
    } else {
        (((h << 42) | (m << 36) | (s << 30) | nanos) as u64).to_le_bytes()[..6].to_vec()
    })
}

/// DECIMAL: rounded half-up to the column's scale, trailing zeros stripped (a scale may become
/// negative), then i16 scale and the unscaled value, big-endian two's complement.
fn decimal_bytes(s: &str, col_scale: i32) -> R<Vec<u8>> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut frac = frac.to_string();
    let keep = col_scale.max(0) as usize;
    let mut all: Vec<u8> = int
        .bytes()
        .chain(frac.bytes().take(keep))
        .map(|b| b - b'0')
        .collect();
    if frac.len() > keep && frac.as_bytes()[keep] >= b'5' {
        // Half up.
        let mut i = all.len();
        loop {
            if i == 0 {
                all.insert(0, 1);
                break;
            }
            i -= 1;
            if all[i] == 9 {
                all[i] = 0;
            } else {
                all[i] += 1;
                break;
            }
        }
    }
    frac.truncate(keep);
    let mut scale = frac.len().min(keep) as i32;
    while all.len() > 1 && all.last() == Some(&0) {
        all.pop();
        scale -= 1;
    }
    if all.iter().all(|&d| d == 0) {
        scale = 0;
        all = vec![0];
    }
    // Decimal digits to a big-endian magnitude.
    let mut mag: Vec<u8> = vec![0];
    for d in all {
        let mut carry = u32::from(d);
        for b in mag.iter_mut().rev() {
            let v = u32::from(*b) * 10 + carry;
            *b = v as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            mag.insert(0, carry as u8);
            carry >>= 8;
        }
    }
    while mag.len() > 1 && mag[0] == 0 && mag[1] & 0x80 == 0 {
        mag.remove(0);
    }
    if mag[0] & 0x80 != 0 {
        mag.insert(0, 0);
    }
    if neg && mag.iter().any(|&b| b != 0) {
        for b in mag.iter_mut() {
            *b = !*b;
        }
        for b in mag.iter_mut().rev() {
            let (v, o) = b.overflowing_add(1);
            *b = v;
            if !o {
                break;
            }
        }
        while mag.len() > 1 && mag[0] == 0xFF && mag[1] & 0x80 != 0 {
            mag.remove(0);
        }
    }
    let mut out = (scale as i16).to_le_bytes().to_vec();
    out.extend(mag);
    Ok(out)
}

/// Arguments as BinaryTuple triples (type, scale, value) as values SQLite binds; a DECIMAL
/// carries its own scale, so the triple's is not read.
fn arguments(els: Vec<Option<Vec<u8>>>) -> R<Vec<Sql>> {
    els.chunks(3)
        .map(|c| argument(c[0].clone(), c[2].clone()))
        .collect()
}

/// An argument's type and value as a value SQLite binds.
fn argument(t: Option<Vec<u8>>, v: Option<Vec<u8>>) -> R<Sql> {
    let (Some(t), Some(v)) = (t, v) else {
        return Ok(Sql::Null);
    };
    Ok(match le_int(&t) {
        1 => Sql::Integer(i64::from(v[0] != 0)),
        2..=5 => Sql::Integer(le_int(&v)),
        6 => Sql::Real(f64::from(f32::from_le_bytes(
            v[..4].try_into().map_err(|_| "bad float")?,
        ))),
        7 if v.len() == 4 => Sql::Real(f64::from(f32::from_le_bytes(v[..4].try_into().unwrap()))),
        7 => Sql::Real(f64::from_le_bytes(
            v[..8].try_into().map_err(|_| "bad double")?,
        )),
        8 => {
            let own = le_int(&v[..2]);
            Sql::Text(decimal_text(&v[2..], own))
        }
        9 => Sql::Text(date_text(&v)),
        10 => Sql::Text(time_text(&v)),
        11 => Sql::Text(format!("{}T{}", date_text(&v[..3]), time_text(&v[3..]))),
        12 => {
            let secs = le_int(&v[..8]);
            let nanos = if v.len() == 12 { le_int(&v[8..]) } else { 0 };
            Sql::Text(format!(
                "{}.{nanos:09}",
                civil::format_micros(secs * 1_000_000, 'T', 0, false)
            ))
        }
        13 => {
            let raw: Vec<u8> = v[..8]
                .iter()
                .rev()
                .chain(v[8..16].iter().rev())
                .copied()
                .collect();
            let h: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            Sql::Text(format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            ))
        }
        15 => Sql::Text(if v == [0x80] {
            String::new()
        } else {
            String::from_utf8(v).map_err(|_| "bad utf8")?
        }),
        16 => Sql::Blob(v.strip_prefix(&[0x80]).map_or(v.clone(), <[u8]>::to_vec)),
        17 | 18 => Sql::Text(format!("{v:?}")),
        other => return Err(format!("Unsupported argument type {other}")),
    })
}

fn decimal_text(be: &[u8], scale: i64) -> String {
    let neg = be.first().is_some_and(|b| b & 0x80 != 0);
    let mut mag: Vec<u8> = be.to_vec();
    if neg {
        for b in mag.iter_mut() {
            *b = !*b;
        }
        for b in mag.iter_mut().rev() {
            let (v, o) = b.overflowing_add(1);
            *b = v;
            if !o {
                break;
            }
        }
    }
    let mut digits = vec![0u8];
    for byte in mag {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut().rev() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.insert(0, (carry % 10) as u8);
            carry /= 10;
        }
    }
    let mut s: String = digits
        .iter()
        .map(|d| char::from(b'0' + d))
        .collect::<String>()
        .trim_start_matches('0')
        .to_string();
    if s.is_empty() {
        s.push('0');
    }
    if scale < 0 {
        s.push_str(&"0".repeat((-scale) as usize));
    } else if scale > 0 {
        let sc = scale as usize;
        if s.len() <= sc {
            s = format!("{}{s}", "0".repeat(sc + 1 - s.len()));
        }
        s.insert(s.len() - sc, '.');
    }
    if neg {
        s.insert(0, '-');
    }
    s
}

fn date_text(b: &[u8]) -> String {
    let packed = le_int(&b[..3]) as i32;
    format!(
        "{:04}-{:02}-{:02}",
        packed >> 9,
        (packed >> 5) & 0xF,
        packed & 0x1F
    )
}

fn time_text(b: &[u8]) -> String {
    let v = le_int(b) as u64 & ((1u64 << (8 * b.len())) - 1);
    let (h, m, s, nanos) = match b.len() {
        4 => (
            v >> 22,
            (v >> 16) & 0x3F,
            (v >> 10) & 0x3F,
            (v & 0x3FF) * 1_000_000,
        ),
        5 => (
            v >> 32,
            (v >> 26) & 0x3F,
            (v >> 20) & 0x3F,
            (v & 0xFFFFF) * 1000,
        ),
        _ => (v >> 42, (v >> 36) & 0x3F, (v >> 30) & 0x3F, v & 0x3FFF_FFFF),
    };
    format!("{h:02}:{m:02}:{s:02}.{nanos:09}")
}

// ---- Errors ----

const SQL_PARSE: i64 = (4 << 16) | 3;
const SQL_VALIDATION: i64 = (4 << 16) | 4;
const SQL_CONSTRAINT: i64 = (4 << 16) | 5;
const SQL_CANCELLED: i64 = (4 << 16) | 6;
const SQL_RUNTIME: i64 = (4 << 16) | 7;
const SQL_TX_CONTROL: i64 = (4 << 16) | 9;
const TX_FINISHED: i64 = (7 << 16) | 13;
const CMN_INTERNAL: i64 = (1 << 16) | 0xFFFF;
const CLIENT_PROTOCOL: i64 = (3 << 16) | 2;
const AUTH_INVALID: i64 = (15 << 16) | 2;

struct IgErr {
    code: i64,
    message: String,
    counters: Option<Vec<i64>>,
}

fn err(code: i64, message: impl Into<String>) -> IgErr {
    IgErr {
        code,
        message: message.into(),
        counters: None,
    }
}

impl From<Fail> for IgErr {
    fn from(f: Fail) -> IgErr {
        match f {
            Fail::Syntax(m) => err(SQL_PARSE, format!("Failed to parse query: {m}")),
            Fail::NoSuchTable(t) => err(
                SQL_VALIDATION,
                format!("Object '{}' not found", t.to_ascii_uppercase()),
            ),
            Fail::NoSuchColumn(c) => err(
                SQL_VALIDATION,
                format!("Column '{}' not found in any table", c.to_ascii_uppercase()),
            ),
            Fail::TableExists(t) => err(
                SQL_VALIDATION,
                format!(
                    "Table with name '{}' already exists",
                    t.to_ascii_uppercase()
                ),
            ),
            Fail::UniqueViolation(_) => err(SQL_CONSTRAINT, "PK unique constraint is violated"),
            Fail::NotNullViolation(m) => {
                err(SQL_CONSTRAINT, format!("Column does not allow NULLs: {m}"))
            }
            Fail::UnknownType(t) => err(SQL_PARSE, format!("Unknown type {t}")),
            Fail::MissingParameter(m) => err(
                SQL_VALIDATION,
                format!("Unexpected number of query parameters: {m}"),
            ),
            Fail::Injected(m) => err(SQL_RUNTIME, m),
            Fail::Interrupted => err(SQL_CANCELLED, "The query was cancelled while executing."),
            Fail::Timeout => err(SQL_CANCELLED, "Query timeout"),
            Fail::BadSchema(s) => err((4 << 16) | 2, format!("Schema not found: {s}")),
            Fail::Other(m) => err(SQL_RUNTIME, m),
        }
    }
}

fn error_body(b: &mut Vec<u8>, e: &IgErr) {
    w_uuid(b, [0x5e; 16]);
    w_int(b, e.code);
    w_str(b, "org.apache.ignite.sql.SqlException");
    w_str(b, &e.message);
    w_nil(b);
    match &e.counters {
        None => w_nil(b),
        Some(c) => {
            w_int(b, 1);
            w_str(b, "sql-update-counters");
            w_int(b, c.len() as i64);
            for n in c {
                w_int(b, *n);
            }
        }
    }
}

// ---- A connection ----

/// A cursor's rows still to send.
struct Pending {
    rows: Vec<Vec<u8>>,
    page: usize,
}

#[derive(Default)]
struct Conn {
    txs: HashMap<i64, Db>,
    cursors: HashMap<i64, Pending>,
    next_resource: i64,
}

fn observable() -> i64 {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    ms << 16
}

impl Node {
    async fn serve(self, stream: TcpStream) -> std::io::Result<()> {
        let (mut rd, wr) = stream.into_split();
        let wr = Arc::new(tokio::sync::Mutex::new(wr));
        let mut magic = [0u8; 4];
        rd.read_exact(&mut magic).await?;
        if &magic != b"IGNI" {
            return Ok(()); // close, no answer
        }
        let hello = read_frame(&mut rd).await?;
        let mut answer = b"IGNI".to_vec();
        let (payload, ok) = self.handshake(&hello);
        answer.extend((payload.len() as u32).to_be_bytes());
        answer.extend(payload);
        wr.lock().await.write_all(&answer).await?;
        if !ok {
            // Any further frame closes the connection.
            let _ = read_frame(&mut rd).await;
            return Ok(());
        }
        let conn = Arc::new(Mutex::new(Conn {
            next_resource: 1,
            ..Conn::default()
        }));
        let running: Arc<Mutex<Option<i64>>> = Arc::default();
        loop {
            let frame = if self.idle.is_zero() {
                read_frame(&mut rd).await?
            } else {
                match tokio::time::timeout(self.idle, read_frame(&mut rd)).await {
                    Ok(f) => f?,
                    Err(_) if running.lock().unwrap().is_none() => return Ok(()), // idle: closed
                    Err(_) => continue,
                }
            };
            let mut r = Rd(&frame);
            let (op, id) = match (r.int(), r.long()) {
                (Ok(op), Ok(id)) => (op, id),
                _ => return Ok(()),
            };
            let payload = r.0.to_vec();
            if op == 70 {
                // OPERATION_CANCEL: interrupt the target if it runs; answer at once.
                let target = Rd(&payload).long().unwrap_or(-1);
                if *running.lock().unwrap() == Some(target) {
                    self.interrupt.store(true, Ordering::SeqCst);
                }
                respond(&wr, id, Ok(Vec::new())).await;
                continue;
            }
            let (node, conn, wr2, running2) =
                (self.clone(), conn.clone(), wr.clone(), running.clone());
            *running.lock().unwrap() = Some(id);
            // Ops run off the reader, so that a cancel can arrive while one runs.
            tokio::spawn(async move {
                let result = tokio::task::spawn_blocking(move || node.op(&conn, op, &payload))
                    .await
                    .unwrap_or_else(|_| Err(err(CMN_INTERNAL, "panic")));
                *running2.lock().unwrap() = None;
                respond(&wr2, id, result).await;
            });
        }
    }

    fn handshake(&self, hello: &[u8]) -> (Vec<u8>, bool) {
        let mut r = Rd(hello);
        let version = (r.int(), r.int(), r.int());
        let mut out = Vec::new();
        w_int(&mut out, 3);
        w_int(&mut out, 0);
        w_int(&mut out, 0);
        let fail = |out: &mut Vec<u8>, e: IgErr| {
            error_body(out, &e);
            (std::mem::take(out), false)
        };
        if version != (Ok(3), Ok(0), Ok(0)) {
            return fail(&mut out, err((3 << 16) | 3, "Unsupported version"));
        }
        let _client_type = r.int();
        let _features = r.bin();
        let mut ext = HashMap::new();
        for _ in 0..r.int().unwrap_or(0) {
            if let (Ok(k), Ok(v)) = (r.str(), r.str()) {
                ext.insert(k.to_ascii_lowercase(), v);
            }
        }
        if self.secure {
            let basic = ext
                .get("authn-type")
                .is_some_and(|t| t.eq_ignore_ascii_case("basic"));
            if let Some(t) = ext.get("authn-type").filter(|_| !basic) {
                return fail(
                    &mut out,
                    err(
                        (15 << 16) | 1,
                        format!("Unsupported authentication type: {t}"),
                    ),
                );
            }
            let ok = basic
                && ext.get("authn-identity").map(String::as_str) == Some(IGNITE_USER.0)
                && ext.get("authn-secret").map(String::as_str) == Some(IGNITE_USER.1);
            if !ok {
                return fail(&mut out, err(AUTH_INVALID, "Authentication failed"));
            }
        }
        w_nil(&mut out);
        w_int(&mut out, self.idle.as_millis() as i64);
        w_uuid(&mut out, [1; 16]);
        w_str(&mut out, "webdbc-test-node");
        w_int(&mut out, 2); // two cluster ids: a history
        w_uuid(&mut out, [2; 16]);
        w_uuid(&mut out, [3; 16]);
        w_str(&mut out, "webdbc-test-cluster");
        w_int(&mut out, observable());
        w_int(&mut out, 3);
        w_int(&mut out, 1);
        w_int(&mut out, 0);
        w_nil(&mut out);
        w_nil(&mut out);
        w_bin(&mut out, &[0x2a, 0x0a]); // features this client does not know
        w_int(&mut out, 0);
        (out, true)
    }

    fn op(&self, conn: &Mutex<Conn>, op: i64, payload: &[u8]) -> Result<Vec<u8>, IgErr> {
        let mut r = Rd(payload);
        let proto = |e: String| err(CLIENT_PROTOCOL, e);
        let mut out = Vec::new();
        match op {
            1 => {}
            43 => {
                let _read_only = r.bool().map_err(proto)?;
                let _timeout = r.long().map_err(proto)?;
                let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
                let mut db = engine.open(SCHEMA).map_err(IgErr::from)?;
                engine
                    .run(Some(&mut db), SCHEMA, "BEGIN", &Binds::Positional(vec![]))
                    .map_err(IgErr::from)?;
                drop(engine);
                let mut c = conn.lock().unwrap();
                let id = c.next_resource;
                c.next_resource += 1;
                c.txs.insert(id, db);
                w_int(&mut out, id);
            }
            44 | 45 => {
                let id = r.long().map_err(proto)?;
                let db = conn.lock().unwrap().txs.remove(&id);
                let Some(mut db) = db else {
                    return Err(err(
                        TX_FINISHED,
                        format!("Transaction is already finished [id={id}]"),
                    ));
                };
                let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
                let end = if op == 44 { "COMMIT" } else { "ROLLBACK" };
                engine
                    .run(Some(&mut db), SCHEMA, end, &Binds::Positional(vec![]))
                    .map_err(IgErr::from)?;
            }
            50 => {
                let tx = r.opt_long().map_err(proto)?;
                r.opt_str().map_err(proto)?; // schema: one schema here
                let page = r
                    .opt_long()
                    .map_err(proto)?
                    .filter(|p| *p > 0)
                    .unwrap_or(1024) as usize;
                let timeout = r.opt_long().map_err(proto)?.filter(|t| *t > 0);
                r.opt_long().map_err(proto)?;
                r.opt_str().map_err(proto)?;
                r.int().map_err(proto)?;
                r.bin().map_err(proto)?;
                let stmt = r.str().map_err(proto)?;
                let args = read_args(&mut r).map_err(proto)?;
                r.long().map_err(proto)?;
                // The query timeout bounds the statement (and sleep() honours it).
                sqlite::set_deadline(
                    timeout.map(|ms| std::time::Instant::now() + Duration::from_millis(ms as u64)),
                );
                let words = sqlite::keywords(&stmt, 2);
                let w0 = words.first().map(String::as_str).unwrap_or("");
                if matches!(w0, "START" | "BEGIN" | "COMMIT" | "ROLLBACK") {
                    return Err(err(SQL_TX_CONTROL, "Transaction control statement can not be executed as an independent statement"));
                }
                if statements(&stmt).len() > 1 {
                    return Err(err(SQL_PARSE, "Multiple statements are not allowed"));
                }
                let result = self.exec(conn, tx, &stmt, args);
                sqlite::set_deadline(None);
                self.write_result(conn, &mut out, result?, page);
            }
            51 => {
                let id = r.long().map_err(proto)?;
                let mut c = conn.lock().unwrap();
                let Some(p) = c.cursors.get_mut(&id) else {
                    return Err(err(
                        (1 << 16) | 6,
                        format!("Failed to find resource with id: {id}"),
                    ));
                };
                let take = p.page.min(p.rows.len());
                let rows: Vec<Vec<u8>> = p.rows.drain(..take).collect();
                let more = !p.rows.is_empty();
                if !more {
                    c.cursors.remove(&id);
                }
                w_int(&mut out, rows.len() as i64);
                for row in rows {
                    w_bin(&mut out, &row);
                }
                w_bool(&mut out, more);
            }
            52 => {
                let id = r.long().map_err(proto)?;
                if conn.lock().unwrap().cursors.remove(&id).is_none() {
                    return Err(err(
                        CMN_INTERNAL,
                        format!("Failed to find resource with id: {id}"),
                    ));
                }
            }
            56 => {
                // Schema, page size, query and session timeouts, time zone (no transaction).
                r.opt_str().map_err(proto)?;
                for _ in 0..3 {
                    r.opt_long().map_err(proto)?;
                }
                r.opt_str().map_err(proto)?;
                r.int().map_err(proto)?;
                r.bin().map_err(proto)?;
                let script = r.str().map_err(proto)?;
                let args = read_args(&mut r).map_err(proto)?;
                let mut tx: Option<i64> = None;
                for s in statements(&script) {
                    let w0 = sqlite::keywords(&s, 1).first().cloned().unwrap_or_default();
                    match w0.as_str() {
                        "START" | "BEGIN" => {
                            let b = self.op(conn, 43, &[0xc2, 0x00])?;
                            tx = Some(Rd(&b).long().unwrap_or(0));
                        }
                        "COMMIT" | "ROLLBACK" => {
                            if let Some(id) = tx.take() {
                                let mut p = Vec::new();
                                w_int(&mut p, id);
                                self.op(conn, if w0 == "COMMIT" { 44 } else { 45 }, &p)?;
                            }
                        }
                        _ => {
                            self.exec(conn, tx, &s, args.clone())?;
                        }
                    }
                }
            }
            63 => {
                let tx = r.opt_long().map_err(proto)?;
                r.opt_str().map_err(proto)?;
                r.opt_long().map_err(proto)?;
                r.opt_long().map_err(proto)?;
                r.opt_long().map_err(proto)?;
                r.opt_str().map_err(proto)?;
                r.int().map_err(proto)?;
                r.bin().map_err(proto)?;
                let stmt = r.str().map_err(proto)?;
                let (width, rows) = if r.nil() {
                    (0, 0)
                } else {
                    let w = r.int().map_err(proto)? as usize;
                    let n = r.int().map_err(proto)? as usize;
                    r.bool().map_err(proto)?;
                    (w, n)
                };
                let mut counts = Vec::new();
                for _ in 0..rows {
                    let bin = r.bin().map_err(proto)?;
                    let els = untuple(bin, width * 3).map_err(proto)?;
                    let args = arguments(els).map_err(proto)?;
                    match self.exec(conn, tx, &stmt, args) {
                        Ok(Done::Count(n)) => counts.push(n),
                        Ok(_) => counts.push(-1),
                        Err(mut e) => {
                            e.counters = Some(counts);
                            return Err(e);
                        }
                    }
                }
                w_nil(&mut out);
                w_bool(&mut out, false);
                w_bool(&mut out, false);
                w_bool(&mut out, false);
                w_int(&mut out, counts.len() as i64);
                for c in counts {
                    w_int(&mut out, c);
                }
            }
            57 => {
                // SQL_QUERY_META: the parameters (typed from an INSERT's target columns where
                // it has them) and no column metadata.
                r.opt_long().map_err(proto)?;
                r.str().map_err(proto)?;
                let query = r.str().map_err(proto)?;
                let types = self.parameter_types(&query);
                w_int(&mut out, types.len() as i64);
                for t in types {
                    w_bool(&mut out, t.nullable);
                    w_int(&mut out, i64::from(t.id));
                    w_int(&mut out, i64::from(t.scale.max(0)));
                    w_int(&mut out, i64::from(t.precision));
                }
                w_int(&mut out, 0);
            }
            other => {
                return Err(err(
                    CLIENT_PROTOCOL,
                    format!("Unexpected operation code: {other}"),
                ))
            }
        }
        Ok(out)
    }

    /// The types of a statement's `?` markers: an INSERT's target columns, else unknown (NULL).
    fn parameter_types(&self, query: &str) -> Vec<Col> {
        let mut quote = None;
        let markers = query
            .chars()
            .filter(|&c| match (quote, c) {
                (Some(q), c) if c == q => {
                    quote = None;
                    false
                }
                (None, '\'' | '"') => {
                    quote = Some(c);
                    false
                }
                (None, '?') => true,
                _ => false,
            })
            .count();
        let unknown = vec![Col::of(0); markers];
        let words = sqlite::keywords(query, 3);
        if words.first().map(String::as_str) != Some("INSERT") {
            return unknown;
        }
        let table = words
            .get(2)
            .map(|t| sqlite::unquote(t.split('(').next().unwrap_or(t)));
        let engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        match table.and_then(|t| engine.columns(SCHEMA, &t)) {
            Some(cols) if cols.len() == markers => cols.into_iter().map(|(_, c)| c).collect(),
            _ => unknown,
        }
    }

    fn exec(
        &self,
        conn: &Mutex<Conn>,
        tx: Option<i64>,
        stmt: &str,
        args: Vec<Sql>,
    ) -> Result<Done, IgErr> {
        let words = sqlite::keywords(stmt, 2);
        let (w0, w1) = (
            words.first().map(String::as_str).unwrap_or(""),
            words.get(1).map(String::as_str).unwrap_or(""),
        );
        let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        if tx.is_some() && matches!(w0, "CREATE" | "DROP" | "ALTER") {
            return Err(err(SQL_VALIDATION, "DDL doesn't support transactions."));
        }
        match (w0, w1) {
            ("CREATE", "TABLE") => {
                let created = engine
                    .create_table(SCHEMA, stmt, Col::parse, Col::affinity)
                    .map_err(IgErr::from)?;
                return Ok(Done::Applied(created));
            }
            ("DROP", "TABLE") => {
                return Ok(Done::Applied(
                    engine.drop_table(SCHEMA, stmt).map_err(IgErr::from)?,
                ));
            }
            _ => {}
        }
        let mut db = match tx {
            Some(id) => Some(conn.lock().unwrap().txs.remove(&id).ok_or_else(|| {
                err(
                    TX_FINISHED,
                    format!("Transaction is already finished [id={id}]"),
                )
            })?),
            None => None,
        };
        let outcome = engine.run(db.as_mut(), SCHEMA, stmt, &Binds::Positional(args));
        if let (Some(id), Some(db)) = (tx, db) {
            conn.lock().unwrap().txs.insert(id, db);
        }
        let (cols, types, rows) = match outcome.map_err(IgErr::from)? {
            sqlite::Outcome::Count(n) => return Ok(Done::Count(n)),
            sqlite::Outcome::Rows {
                failed: Some(f), ..
            } => return Err(f.into()),
            sqlite::Outcome::Rows {
                cols, types, rows, ..
            } => (cols, types, rows),
        };
        // Columns of a table have an origin in the metadata; expressions have none.
        let origins: Vec<bool> = types.iter().map(Option::is_some).collect();
        let types: Vec<Col> = types
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                t.unwrap_or_else(|| {
                    let mut c = match rows.iter().map(|r| &r[i]).find(|v| !matches!(v, Sql::Null)) {
                        Some(Sql::Integer(n)) if i32::try_from(*n).is_ok() => Col::of(4),
                        Some(Sql::Integer(_)) => Col::of(5),
                        Some(Sql::Real(_)) => Col::of(7),
                        Some(Sql::Blob(_)) => Col::of(16),
                        Some(_) => Col::of(15),
                        None => Col::of(0),
                    };
                    c.scale = 0;
                    c
                })
            })
            .collect();
        let encoded = rows
            .iter()
            .map(|r| {
                let els = r
                    .iter()
                    .zip(&types)
                    .map(|(v, t)| t.encode(v))
                    .collect::<R<Vec<_>>>()?;
                Ok(tuple(&els))
            })
            .collect::<R<Vec<_>>>()
            .map_err(|e| err(SQL_RUNTIME, e))?;
        Ok(Done::Rows {
            cols: cols.iter().map(|c| c.to_ascii_uppercase()).collect(),
            types,
            origins,
            rows: encoded,
        })
    }

    fn write_result(&self, conn: &Mutex<Conn>, out: &mut Vec<u8>, done: Done, page: usize) {
        let column = |out: &mut Vec<u8>, name: &str, c: &Col, origin: Option<(usize, bool)>| {
            w_int(out, if origin.is_some() { 9 } else { 6 });
            w_str(out, name);
            w_bool(out, c.nullable);
            w_int(out, i64::from(c.id));
            w_int(out, i64::from(c.scale));
            w_int(out, i64::from(c.precision));
            w_bool(out, origin.is_some());
            if let Some((first, is_first)) = origin {
                w_nil(out); // origin name: the same
                            // Schema and table: written once, then as back-references to that column.
                if is_first {
                    w_str(out, "PUBLIC");
                    w_str(out, "T");
                } else {
                    w_int(out, first as i64);
                    w_int(out, first as i64);
                }
            }
        };
        match done {
            Done::Count(n) => {
                w_nil(out);
                w_bool(out, false);
                w_bool(out, false);
                w_bool(out, false);
                w_int(out, n);
                w_int(out, 1);
                column(
                    out,
                    "ROWCOUNT",
                    &Col {
                        nullable: false,
                        ..Col::of(5)
                    },
                    None,
                );
            }
            Done::Applied(applied) => {
                w_nil(out);
                w_bool(out, false);
                w_bool(out, false);
                w_bool(out, applied);
                w_int(out, -1);
                w_int(out, 1);
                column(
                    out,
                    "APPLIED",
                    &Col {
                        nullable: false,
                        ..Col::of(1)
                    },
                    None,
                );
            }
            Done::Rows {
                cols,
                types,
                origins,
                mut rows,
            } => {
                let first_page: Vec<Vec<u8>> = rows.drain(..page.min(rows.len())).collect();
                let more = !rows.is_empty();
                if more {
                    let mut c = conn.lock().unwrap();
                    let id = c.next_resource;
                    c.next_resource += 1;
                    c.cursors.insert(id, Pending { rows, page });
                    w_int(out, id);
                } else {
                    w_nil(out);
                }
                w_bool(out, true);
                w_bool(out, more);
                w_bool(out, false);
                w_int(out, -1);
                w_int(out, cols.len() as i64);
                let first_origin = origins.iter().position(|o| *o);
                for (i, (name, c)) in cols.iter().zip(&types).enumerate() {
                    let origin =
                        origins[i].then(|| (first_origin.unwrap_or(i), Some(i) == first_origin));
                    column(out, name, c, origin);
                }
                w_int(out, first_page.len() as i64);
                for row in first_page {
                    w_bin(out, &row);
                }
            }
        }
    }
}

enum Done {
    Count(i64),
    Applied(bool),
    Rows {
        cols: Vec<String>,
        types: Vec<Col>,
        origins: Vec<bool>,
        rows: Vec<Vec<u8>>,
    },
}

fn read_args(r: &mut Rd<'_>) -> R<Vec<Sql>> {
    if r.nil() {
        return Ok(Vec::new());
    }
    let n = r.int()? as usize;
    if n == 0 {
        return Ok(Vec::new());
    }
    arguments(untuple(r.bin()?, n * 3)?)
}

/// Statements of a script, split at `;` outside quotes.
fn statements(script: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quote = None;
    for c in script.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, ';') => {
                out.push(String::new());
                continue;
            }
            _ => {}
        }
        out.last_mut().unwrap().push(c);
    }
    out.retain(|s| !s.trim().is_empty());
    out
}

async fn read_frame(rd: &mut tokio::net::tcp::OwnedReadHalf) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    rd.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > 64 << 20 {
        return Err(std::io::Error::other("frame too large"));
    }
    let mut buf = vec![0u8; len];
    rd.read_exact(&mut buf).await?;
    Ok(buf)
}

async fn respond(wr: &tokio::sync::Mutex<OwnedWriteHalf>, id: i64, result: Result<Vec<u8>, IgErr>) {
    let mut b = Vec::new();
    w_int(&mut b, id);
    let ok = result.is_ok();
    w_int(&mut b, if ok { 0 } else { 4 });
    // The observable timestamp of a success is always 8 bytes (d3), as the node writes it.
    let _ = encode::write_i64(&mut b, observable());
    match result {
        Ok(payload) => b.extend(payload),
        Err(e) => error_body(&mut b, &e),
    }
    let mut frame = (b.len() as u32).to_be_bytes().to_vec();
    frame.extend(b);
    let _ = wr.lock().await.write_all(&frame).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_as_the_node_writes_them() {
        assert_eq!(
            decimal_bytes("12.340", 3).unwrap(),
            [0x02, 0x00, 0x04, 0xd2]
        );
        assert_eq!(decimal_bytes("100", 0).unwrap(), [0xfe, 0xff, 0x01]);
        assert_eq!(decimal_bytes("-1.5", 2).unwrap(), [0x01, 0x00, 0xf1]);
        assert_eq!(decimal_bytes("0.125", 2).unwrap(), [0x02, 0x00, 0x0d]);
        assert_eq!(decimal_text(&[0x04, 0xd2], 2), "12.34");
        assert_eq!(decimal_text(&[0xf1], 1), "-1.5");
        assert_eq!(decimal_text(&[0x01], -2), "100");
    }

    #[test]
    fn times_in_their_shortest_form() {
        assert_eq!(time_bytes("13:45:30").unwrap(), [0x00, 0x78, 0x6d, 0x03]);
        assert_eq!(
            time_bytes("13:45:30.123456").unwrap(),
            [0x40, 0xe2, 0xe1, 0xb5, 0x0d]
        );
        assert_eq!(
            time_bytes("13:45:30.123456789").unwrap(),
            [0x15, 0xcd, 0x5b, 0x87, 0xd7, 0x36]
        );
        assert_eq!(date_bytes("2024-03-15").unwrap(), [0x6f, 0xd0, 0x0f]);
    }
}
