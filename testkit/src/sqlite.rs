//! The SQL engine under the HTTP protocol test servers: SQLite, one in-memory database per schema
//! (a CrateDB schema, a Databend database), a catalog that keeps each column's declared vendor
//! type, and SQLite's errors sorted into the failures every vendor reports. Test servers share
//! this; the webdbc client never does.
//!
//! A connection serves one default schema: that schema is attached first, so unqualified names
//! resolve in it, and other schemas are attached when a statement names them (`other.table`),
//! so an unqualified name never finds a table of another schema.

use std::collections::HashMap;

use rusqlite::functions::FunctionFlags;
use rusqlite::types::{ToSqlOutput, Value as Sql};
use rusqlite::Connection;

/// SQLite attaches at most 10 databases per connection.
const MAX_SCHEMAS: usize = 9;

/// A prefix for an engine's databases that no other engine in this process has.
pub fn unique_prefix(kind: &str) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("webdbc_{kind}_{}_{n}", std::process::id())
}

/// What went wrong, in terms every vendor has a code for.
#[derive(Debug)]
pub enum Fail {
    Syntax(String),
    NoSuchTable(String),
    NoSuchColumn(String),
    TableExists(String),
    UniqueViolation(String),
    NotNullViolation(String),
    UnknownType(String),
    BadSchema(String),
    /// A placeholder without a value.
    MissingParameter(String),
    /// Raised by a test function (`fail_at`).
    Injected(String),
    /// The statement ran past the deadline set with [`set_deadline`].
    Timeout,
    /// The statement was interrupted (a cancel).
    Interrupted,
    Other(String),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Fail {
        let msg = match &e {
            rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
            other => other.to_string(),
        };
        if let Some(t) = msg.strip_prefix("no such table: ") {
            return Fail::NoSuchTable(t.to_string());
        }
        if let Some(c) = msg.strip_prefix("no such column: ") {
            return Fail::NoSuchColumn(c.to_string());
        }
        if let Some(t) = msg
            .strip_prefix("table ")
            .and_then(|m| m.strip_suffix(" already exists"))
        {
            return Fail::TableExists(t.trim_matches('"').to_string());
        }
        if msg.starts_with("UNIQUE constraint failed") {
            return Fail::UniqueViolation(msg);
        }
        if msg.starts_with("NOT NULL constraint failed") {
            return Fail::NotNullViolation(msg);
        }
        if msg.contains("syntax error")
            || msg.contains("incomplete input")
            || msg.contains("unrecognized token")
        {
            return Fail::Syntax(msg);
        }
        if msg.starts_with("fail_at") {
            return Fail::Injected(msg);
        }
        if msg.starts_with("deadline") {
            return Fail::Timeout;
        }
        if msg.starts_with("interrupted") {
            return Fail::Interrupted;
        }
        Fail::Other(msg)
    }
}

pub type Result<T> = std::result::Result<T, Fail>;

thread_local! {
    static DEADLINE: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
}

/// Statements run on this thread from now on fail with [`Fail::Timeout`] past `deadline` (the
/// test function `sleep` honours it).
pub fn set_deadline(deadline: Option<std::time::Instant>) {
    DEADLINE.set(deadline);
}

/// Parameters as SQLite binds them: `?` / `?n` by position, `:name` by name.
pub enum Binds {
    Positional(Vec<Sql>),
    Named(Vec<(String, Sql)>),
}

pub enum Outcome<T> {
    /// Rows changed (DML) or 1 (DDL).
    Count(i64),
    Rows {
        cols: Vec<String>,
        /// The declared type of each column that comes from a table; `None` for expressions.
        types: Vec<Option<T>>,
        rows: Vec<Vec<Sql>>,
        /// What ended the result early, after `rows` were produced.
        failed: Option<Fail>,
    },
}

/// A column of CREATE TABLE: its name, vendor type, and the constraints SQLite keeps.
struct ColumnDef<T> {
    name: String,
    ty: T,
    sqlite: String,
    /// The type as CREATE TABLE wrote it, and whether the column holds no NULL.
    declared: String,
    not_null: bool,
}

/// A column as the catalog views show it: name, type as declared, nullable.
type Declared = (String, String, bool);

/// One SQLite connection and the schemas it has attached, in order.
pub struct Db {
    conn: Connection,
    attached: Vec<String>,
}

pub struct Engine<T> {
    prefix: String,
    /// Set from another thread, it makes a running `sleep()` fail with [`Fail::Interrupted`].
    interrupt: std::sync::Arc<std::sync::atomic::AtomicBool>,
    schemas: Vec<String>,
    /// The autocommit connection of each default schema.
    conns: HashMap<String, Db>,
    /// (schema, table) → columns and their vendor types.
    catalog: HashMap<(String, String), Vec<(String, T)>>,
    /// (schema, table) → each column's name, declared type and nullability: what the catalog
    /// views (information_schema, Ignite's SYSTEM) show.
    declared: HashMap<(String, String), Vec<Declared>>,
}

impl<T: Clone> Engine<T> {
    /// `prefix` keeps the in-memory databases of two servers in one process apart.
    pub fn new(prefix: String) -> Engine<T> {
        Engine {
            prefix,
            interrupt: Default::default(),
            schemas: Vec::new(),
            conns: HashMap::new(),
            catalog: HashMap::new(),
            declared: HashMap::new(),
        }
    }

    /// The flag that interrupts the statement running now (a cancel).
    pub fn interrupter(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        self.interrupt.clone()
    }

    /// The tables of a schema, by name.
    pub fn tables(&self, schema: &str) -> Vec<String> {
        let mut t: Vec<String> = self
            .catalog
            .keys()
            .filter(|(s, _)| s == schema)
            .map(|(_, t)| t.clone())
            .collect();
        t.sort();
        t
    }

    /// A table's columns and their vendor types.
    pub fn columns(&self, schema: &str, table: &str) -> Option<Vec<(String, T)>> {
        self.catalog
            .get(&(schema.to_string(), table.to_string()))
            .cloned()
    }

    pub fn has_schema(&self, schema: &str) -> bool {
        self.schemas.iter().any(|s| s == schema)
    }

    pub fn create_schema(&mut self, schema: &str) -> Result<()> {
        if self.has_schema(schema) {
            return Ok(());
        }
        if self.schemas.len() >= MAX_SCHEMAS
            || schema.is_empty()
            || !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(Fail::BadSchema(schema.to_string()));
        }
        self.schemas.push(schema.to_string());
        let db = self.open(schema)?;
        self.conns.insert(schema.to_string(), db);
        Ok(())
    }

    /// Drops a schema and its tables.
    pub fn drop_schema(&mut self, schema: &str) -> Result<()> {
        let tables = self.tables(schema);
        let db = self
            .conns
            .get_mut(schema)
            .ok_or_else(|| Fail::BadSchema(schema.into()))?;
        for t in &tables {
            db.conn
                .execute(&format!("DROP TABLE \"{schema}\".\"{t}\""), [])?;
            self.catalog.remove(&(schema.to_string(), t.clone()));
            self.declared.remove(&(schema.to_string(), t.clone()));
        }
        self.conns.remove(schema);
        for db in self.conns.values_mut() {
            if let Some(i) = db.attached.iter().position(|s| s == schema) {
                db.conn
                    .execute(&format!("DETACH DATABASE \"{schema}\""), [])?;
                db.attached.remove(i);
            }
        }
        self.schemas.retain(|s| s != schema);
        Ok(())
    }

    /// A new connection whose default schema is `schema` (for a transaction of its own).
    pub fn open(&self, schema: &str) -> Result<Db> {
        let conn = Connection::open_in_memory()?;
        // Readers are not blocked by another connection's open transaction.
        conn.execute_batch("PRAGMA read_uncommitted = 1")?;
        let interrupt = self.interrupt.clone();
        conn.create_scalar_function("sleep", 1, FunctionFlags::SQLITE_UTF8, move |ctx| {
            let ms: i64 = ctx.get(0)?;
            let end = std::time::Instant::now()
                + std::time::Duration::from_millis(ms.clamp(0, 60_000) as u64);
            // In steps, so that a deadline or an interrupt ends it early.
            loop {
                let now = std::time::Instant::now();
                if interrupt.load(std::sync::atomic::Ordering::SeqCst) {
                    return Err(rusqlite::Error::UserFunctionError("interrupted".into()));
                }
                if DEADLINE.get().is_some_and(|d| now >= d) {
                    return Err(rusqlite::Error::UserFunctionError("deadline passed".into()));
                }
                if now >= end {
                    return Ok(true);
                }
                std::thread::sleep((end - now).min(std::time::Duration::from_millis(10)));
            }
        })?;
        conn.create_scalar_function("fail_at", 2, FunctionFlags::SQLITE_UTF8, |ctx| {
            let (n, i): (i64, i64) = (ctx.get(0)?, ctx.get(1)?);
            if i >= n {
                return Err(rusqlite::Error::UserFunctionError(
                    format!("fail_at: failed at row {i}").into(),
                ));
            }
            Ok(i)
        })?;
        let mut db = Db {
            conn,
            attached: Vec::new(),
        };
        attach(&mut db, &self.prefix, schema)?;
        Ok(db)
    }

    /// Runs one statement on `txn`, or on `schema`'s autocommit connection.
    pub fn run(
        &mut self,
        txn: Option<&mut Db>,
        schema: &str,
        sql: &str,
        binds: &Binds,
    ) -> Result<Outcome<T>> {
        self.create_schema(schema)?;
        self.interrupt
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let Engine {
            prefix,
            interrupt: _,
            schemas,
            conns,
            catalog,
            declared,
        } = self;
        let db = match txn {
            Some(db) => db,
            None => conns.get_mut(schema).expect("created above"),
        };
        let lower = sql.to_ascii_lowercase();
        catalog_views(db, declared, &lower)?;
        for s in schemas.iter() {
            if lower.contains(&format!("{s}.")) || lower.contains(&format!("\"{s}\".")) {
                attach(db, prefix, s)?;
            }
        }
        let mut st = db.conn.prepare(sql)?;
        match binds {
            Binds::Positional(values) => {
                if values.len() < st.parameter_count() {
                    return Err(Fail::MissingParameter(format!(
                        "{} placeholders, {} values",
                        st.parameter_count(),
                        values.len()
                    )));
                }
                for (i, v) in values.iter().take(st.parameter_count()).enumerate() {
                    st.raw_bind_parameter(i + 1, ToSqlOutput::Owned(v.clone()))?;
                }
            }
            Binds::Named(pairs) => {
                for i in 1..=st.parameter_count() {
                    let name = st.parameter_name(i).unwrap_or("").to_string();
                    let key = name.trim_start_matches([':', '$', '@']);
                    let v = pairs
                        .iter()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| v.clone())
                        .ok_or_else(|| Fail::MissingParameter(name.clone()))?;
                    st.raw_bind_parameter(i, ToSqlOutput::Owned(v))?;
                }
            }
        }
        if st.column_count() == 0 {
            st.raw_execute()?;
            let first = lower.split_whitespace().next().unwrap_or("");
            let dml = ["insert", "update", "delete", "replace"].contains(&first);
            return Ok(Outcome::Count(if dml {
                db.conn.changes() as i64
            } else {
                1
            }));
        }
        let cols: Vec<String> = st.column_names().map(str::to_string).collect();
        let default = db.attached.first().cloned().unwrap_or_default();
        let types: Vec<Option<T>> = st
            .columns_with_metadata()
            .map(|c| {
                let (s, table, col) = (c.database_name()?, c.table_name()?, c.origin_name()?);
                let s = if s == "main" { default.as_str() } else { s };
                catalog
                    .get(&(s.to_string(), table.to_string()))?
                    .iter()
                    .find(|(name, _)| name == col)
                    .map(|(_, t)| t.clone())
            })
            .collect();
        let mut rows = Vec::new();
        let mut cursor = st.raw_query();
        let failed = loop {
            match cursor.next() {
                Ok(Some(row)) => rows.push(
                    (0..cols.len())
                        .map(|i| row.get::<_, Sql>(i))
                        .collect::<rusqlite::Result<_>>()?,
                ),
                Ok(None) => break None,
                Err(e) => break Some(Fail::from(e)),
            }
        };
        Ok(Outcome::Rows {
            cols,
            types,
            rows,
            failed,
        })
    }

    /// Runs CREATE TABLE written in the vendor's dialect: `parse` reads a column's type (and
    /// whether it is NOT NULL),
    /// `affinity` says how SQLite stores it. Returns false when IF NOT EXISTS found the table.
    pub fn create_table(
        &mut self,
        schema: &str,
        stmt: &str,
        parse: impl Fn(&str, bool) -> Option<T>,
        affinity: impl Fn(&T) -> &'static str,
    ) -> Result<bool> {
        let syntax = |what: &str| Fail::Syntax(what.to_string());
        let open = stmt
            .find('(')
            .ok_or_else(|| syntax("CREATE TABLE needs a column list"))?;
        let close = matching_paren(stmt, open).ok_or_else(|| syntax("unbalanced parentheses"))?;
        let head: Vec<&str> = stmt[..open].split_whitespace().collect();
        let if_not_exists = head.iter().any(|w| w.eq_ignore_ascii_case("exists"));
        let name = head
            .last()
            .ok_or_else(|| syntax("CREATE TABLE needs a name"))?;
        let (schema, table) = qualified(name, schema);
        self.create_schema(&schema)?;
        let mut defs = Vec::new();
        let mut columns = Vec::new();
        let mut described = Vec::new();
        for part in split_top_level(&stmt[open + 1..close]) {
            let part = part.trim();
            let upper = part.to_ascii_uppercase();
            if upper.starts_with("PRIMARY KEY") || upper.starts_with("CONSTRAINT") {
                defs.push(part.to_string());
                continue;
            }
            let c = column_def(part, &parse)?;
            defs.push(format!("\"{}\" {}{}", c.name, affinity(&c.ty), c.sqlite));
            described.push((c.name.clone(), c.declared, !c.not_null));
            columns.push((c.name, c.ty));
        }
        let key = (schema.clone(), table.clone());
        if self.catalog.contains_key(&key) {
            if if_not_exists {
                return Ok(false);
            }
            return Err(Fail::TableExists(format!("{schema}.{table}")));
        }
        let db = self.conns.get_mut(&schema).expect("created above");
        db.conn.execute(
            &format!(
                "CREATE TABLE \"{schema}\".\"{table}\" ({})",
                defs.join(", ")
            ),
            [],
        )?;
        self.declared.insert(key.clone(), described);
        self.catalog.insert(key, columns);
        Ok(true)
    }

    /// DROP TABLE [IF EXISTS] name. Returns false when IF EXISTS found nothing.
    pub fn drop_table(&mut self, schema: &str, stmt: &str) -> Result<bool> {
        let text = strip_comments(stmt);
        let words: Vec<&str> = text.split_whitespace().collect();
        let if_exists = words.iter().any(|w| w.eq_ignore_ascii_case("exists"));
        let name = words.last().map(|w| w.trim_end_matches(';')).unwrap_or("");
        let (schema, table) = qualified(name, schema);
        self.declared.remove(&(schema.clone(), table.clone()));
        if self
            .catalog
            .remove(&(schema.clone(), table.clone()))
            .is_none()
        {
            if if_exists {
                return Ok(false);
            }
            return Err(Fail::NoSuchTable(format!("{schema}.{table}")));
        }
        let db = self
            .conns
            .get_mut(&schema)
            .expect("a table's schema exists");
        db.conn
            .execute(&format!("DROP TABLE \"{schema}\".\"{table}\""), [])?;
        Ok(true)
    }
}

/// The catalog views a statement names, filled from the catalog as it is now: the SQL
/// standard's `information_schema.tables` and `.columns` (CrateDB, Databend, Databricks), and
/// Ignite 3.1's `SYSTEM.TABLES` and `SYSTEM.TABLE_COLUMNS` (their current columns and the 3.0
/// names 3.1 keeps). Each connection has its own copy.
fn catalog_views(
    db: &mut Db,
    declared: &HashMap<(String, String), Vec<Declared>>,
    lower: &str,
) -> Result<()> {
    let mut entries: Vec<_> = declared.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    if lower.contains("information_schema.") {
        let tables = view(
            db,
            "information_schema",
            "tables (table_catalog TEXT, table_schema TEXT, table_name TEXT, table_type TEXT)",
            "columns (table_catalog TEXT, table_schema TEXT, table_name TEXT, column_name TEXT, \
             ordinal_position INTEGER, data_type TEXT, is_nullable TEXT)",
        )?;
        for ((schema, table), cols) in &entries {
            tables.execute(
                "INSERT INTO information_schema.tables VALUES ('default', ?, ?, 'BASE TABLE')",
                [schema, table],
            )?;
            for (i, (column, ty, nullable)) in cols.iter().enumerate() {
                tables.execute(
                    "INSERT INTO information_schema.columns VALUES ('default', ?, ?, ?, ?, ?, ?)",
                    rusqlite::params![
                        schema,
                        table,
                        column,
                        i as i64 + 1,
                        ty,
                        if *nullable { "YES" } else { "NO" }
                    ],
                )?;
            }
        }
    }
    if lower.contains("system.") {
        let tables = view(
            db,
            "system",
            "tables (SCHEMA_NAME TEXT, TABLE_NAME TEXT, SCHEMA TEXT, NAME TEXT)",
            "table_columns (SCHEMA_NAME TEXT, TABLE_NAME TEXT, COLUMN_NAME TEXT, COLUMN_TYPE TEXT, \
             IS_NULLABLE_COLUMN BOOLEAN, COLUMN_ORDINAL INTEGER, SCHEMA TEXT, TYPE TEXT, NULLABLE BOOLEAN)",
        )?;
        // Ignite keeps unquoted identifiers in upper case, and names types by its own type ids.
        let up = |n: &str| n.to_ascii_uppercase();
        for ((schema, table), cols) in &entries {
            let (schema, table) = (up(schema), up(table));
            tables.execute(
                "INSERT INTO system.tables VALUES (?1, ?2, ?1, ?2)",
                [&schema, &table],
            )?;
            for (i, (column, ty, nullable)) in cols.iter().enumerate() {
                tables.execute(
                    "INSERT INTO system.table_columns VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?1, ?4, ?5)",
                    rusqlite::params![
                        schema,
                        table,
                        up(column),
                        ignite_type_name(ty),
                        nullable,
                        i as i64
                    ],
                )?;
            }
        }
    }
    Ok(())
}

/// Attaches an empty copy of a catalog view's two tables (`name.first`, `name.second`).
fn view<'a>(db: &'a mut Db, name: &str, first: &str, second: &str) -> Result<&'a Connection> {
    if !db.attached.iter().any(|s| s == name) {
        db.conn
            .execute(&format!("ATTACH DATABASE ':memory:' AS {name}"), [])?;
        db.conn
            .execute(&format!("CREATE TABLE {name}.{first}"), [])?;
        db.conn
            .execute(&format!("CREATE TABLE {name}.{second}"), [])?;
        db.attached.push(name.to_string());
    }
    for table in [first, second] {
        let table = table.split_whitespace().next().unwrap_or_default();
        db.conn
            .execute(&format!("DELETE FROM {name}.{table}"), [])?;
    }
    Ok(&db.conn)
}

/// Ignite's name of a column type declared in SQL (`ColumnType`'s names: INT32, STRING, …).
fn ignite_type_name(declared: &str) -> &'static str {
    let base = declared.split(['(', ' ']).next().unwrap_or_default();
    match base {
        "BOOLEAN" => "BOOLEAN",
        "TINYINT" => "INT8",
        "SMALLINT" => "INT16",
        "INT" | "INTEGER" => "INT32",
        "BIGINT" => "INT64",
        "REAL" | "FLOAT" => "FLOAT",
        "DOUBLE" => "DOUBLE",
        "DECIMAL" | "NUMERIC" => "DECIMAL",
        "DATE" => "DATE",
        "TIME" => "TIME",
        "TIMESTAMP" if declared.contains("LOCAL TIME ZONE") => "TIMESTAMP",
        "TIMESTAMP" | "DATETIME" => "DATETIME",
        "UUID" => "UUID",
        "BINARY" | "VARBINARY" => "BYTE_ARRAY",
        _ => "STRING",
    }
}

fn attach(db: &mut Db, prefix: &str, schema: &str) -> Result<()> {
    if db.attached.iter().any(|s| s == schema) {
        return Ok(());
    }
    let uri = format!("file:{prefix}_{schema}?mode=memory&cache=shared");
    db.conn
        .execute(&format!("ATTACH DATABASE '{uri}' AS \"{schema}\""), [])?;
    db.attached.push(schema.to_string());
    Ok(())
}

/// `schema.table` or `table` (in `default`), unquoted and folded as SQL folds them.
fn qualified(name: &str, default: &str) -> (String, String) {
    match name.split_once('.') {
        Some((s, t)) => (unquote(s), unquote(t)),
        None => (default.to_string(), unquote(name)),
    }
}

fn column_def<T>(part: &str, parse: &impl Fn(&str, bool) -> Option<T>) -> Result<ColumnDef<T>> {
    let (name, rest) = split_identifier(part);
    // The type runs until the first constraint keyword outside parentheses.
    let upper = rest.to_ascii_uppercase();
    let mut cut = rest.len();
    for kw in [
        " PRIMARY KEY",
        " NOT NULL",
        " NULL",
        " DEFAULT ",
        " INDEX ",
        " STORAGE ",
        " AS (",
        " GENERATED ",
        " COMMENT ",
    ] {
        if let Some(i) = find_outside_parens(&upper, kw) {
            cut = cut.min(i);
        }
    }
    let ty_text = rest[..cut].trim();
    // A primary key holds no NULL either.
    let not_null =
        find_outside_parens(&upper, " NOT NULL").is_some() || upper.contains("PRIMARY KEY");
    let ty = parse(ty_text, not_null).ok_or_else(|| Fail::UnknownType(ty_text.to_string()))?;
    let mut sqlite = String::new();
    if upper.contains("PRIMARY KEY") {
        sqlite.push_str(" PRIMARY KEY");
    }
    if upper.contains("NOT NULL") {
        sqlite.push_str(" NOT NULL");
    }
    if let Some(i) = upper.find(" DEFAULT ") {
        let default = rest[i + 9..].split_whitespace().next().unwrap_or("NULL");
        sqlite.push_str(&format!(" DEFAULT {default}"));
    }
    Ok(ColumnDef {
        name,
        ty,
        sqlite,
        declared: ty_text.to_ascii_uppercase(),
        not_null,
    })
}

/// A value as text, as the servers print computed cells.
pub fn text(v: &Sql) -> String {
    match v {
        Sql::Null => String::new(),
        Sql::Integer(i) => i.to_string(),
        Sql::Real(f) => f.to_string(),
        Sql::Text(t) => t.clone(),
        Sql::Blob(b) => String::from_utf8_lossy(b).into_owned(),
    }
}

/// Column types: the declared ones, and for computed columns (None) a guess from their values.
pub fn column_types<T, V>(
    declared: Vec<Option<T>>,
    rows: &[Vec<V>],
    guess: impl Fn(&[&V]) -> T,
) -> Vec<T> {
    declared
        .into_iter()
        .enumerate()
        .map(|(i, t)| t.unwrap_or_else(|| guess(&rows.iter().map(|r| &r[i]).collect::<Vec<_>>())))
        .collect()
}

/// A JSON value as SQLite binds it: exact text for numbers beyond i64 and for fractions (the
/// column's affinity converts them), documents as JSON text.
pub fn bind_json(v: &serde_json::Value) -> Sql {
    use serde_json::Value as Json;
    match v {
        Json::Null => Sql::Null,
        Json::Bool(b) => Sql::Integer(*b as i64),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Sql::Integer(i),
            None => Sql::Text(n.to_string()),
        },
        Json::String(s) => Sql::Text(s.clone()),
        other => Sql::Text(other.to_string()),
    }
}

/// Decimal text with exactly `scale` fraction digits (cut, or padded with zeros).
pub fn decimal_text(s: &str, scale: u32) -> String {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if scale == 0 {
        return int.to_string();
    }
    let mut frac = frac.to_string();
    frac.truncate(scale as usize);
    while frac.len() < scale as usize {
        frac.push('0');
    }
    format!("{int}.{frac}")
}

/// The statement without leading comments.
pub fn strip_comments(s: &str) -> String {
    let mut rest = s;
    loop {
        let trimmed = rest.trim_start();
        if let Some(r) = trimmed.strip_prefix("--") {
            rest = r.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(r) = trimmed.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, r)| r);
        } else {
            return trimmed.to_string();
        }
    }
}

/// The first `n` words of a statement, upper-cased, without a trailing `;`.
pub fn keywords(stmt: &str, n: usize) -> Vec<String> {
    strip_comments(stmt)
        .split_whitespace()
        .take(n)
        .map(|w| w.trim_end_matches(';').to_ascii_uppercase())
        .collect()
}

/// `$n` placeholders as SQLite's `?n`, outside quotes.
pub fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                out.push('?');
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

pub fn matching_paren(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in s[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits at commas outside parentheses.
pub fn split_top_level(s: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        parts.last_mut().unwrap().push(c);
    }
    parts.retain(|p| !p.trim().is_empty());
    parts
}

fn find_outside_parens(s: &str, needle: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 && s[i..].starts_with(needle) => return Some(i),
            _ => {}
        }
    }
    None
}

/// A leading identifier (quoted or bare, folded to lower case) and the rest.
fn split_identifier(s: &str) -> (String, &str) {
    if let Some(r) = s.strip_prefix('"') {
        if let Some(end) = r.find('"') {
            return (r[..end].to_string(), &r[end + 1..]);
        }
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    (s[..end].to_ascii_lowercase(), &s[end..])
}

pub fn unquote(s: &str) -> String {
    let s = s.trim().trim_end_matches(';');
    match s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| s.strip_prefix('`').and_then(|r| r.strip_suffix('`')))
    {
        Some(q) => q.to_string(),
        None => s.to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_resolve_unqualified_names_in_their_own_schema_only() {
        let mut e: Engine<String> = Engine::new(format!("sqlite_test_{}", std::process::id()));
        let text = |t: &str, _| Some(t.to_ascii_lowercase());
        e.create_table("a", "CREATE TABLE t (x INT NOT NULL)", text, |_| "INTEGER")
            .unwrap();
        e.create_table("b", "CREATE TABLE IF NOT EXISTS t (y TEXT)", text, |_| {
            "TEXT"
        })
        .unwrap();
        e.run(
            None,
            "a",
            "INSERT INTO t VALUES (?)",
            &Binds::Positional(vec![Sql::Integer(1)]),
        )
        .unwrap();
        let Outcome::Rows {
            cols, types, rows, ..
        } = e
            .run(
                None,
                "b",
                "SELECT x, x + 1 AS y FROM a.t",
                &Binds::Positional(vec![]),
            )
            .unwrap()
        else {
            panic!("rows expected")
        };
        assert_eq!(cols, ["x", "y"]);
        assert_eq!(types, [Some("int".to_string()), None]);
        assert_eq!(rows, [[Sql::Integer(1), Sql::Integer(2)]]);
        assert!(matches!(
            e.run(None, "b", "SELECT x FROM t", &Binds::Positional(vec![])),
            Err(Fail::NoSuchColumn(_))
        ));
        assert!(matches!(
            e.run(
                None,
                "a",
                "INSERT INTO t VALUES (NULL)",
                &Binds::Positional(vec![])
            ),
            Err(Fail::NotNullViolation(_))
        ));
        e.drop_schema("a").unwrap();
        assert!(matches!(
            e.run(None, "b", "SELECT * FROM a.t", &Binds::Positional(vec![])),
            Err(Fail::NoSuchTable(_))
        ));
    }
}
