//! What runs the statements: results paged out, sessions and their transactions.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value as Json};

use super::types::*;
use super::{DATABEND_VERSION, NODE_ID, RESULT_TIMEOUT_SECS};
use crate::sqlite::{self, Binds, Db, Fail};

/// A result being paged out.
pub(super) struct Query {
    pub(super) id: String,
    pub(super) schema: Json,
    pub(super) pages: Vec<Vec<Json>>,
    /// The failure that ended the result after its rows, reported on the page after them.
    pub(super) error: Option<(u32, String)>,
    pub(super) written: i64,
    pub(super) rows: usize,
    /// The page a client may ask for next (or this minus one again).
    pub(super) next_page: usize,
    pub(super) touched: Instant,
    pub(super) timeout: Duration,
    pub(super) session: Option<Json>,
}

impl Query {
    pub(super) fn stats(&self) -> Json {
        stats(self.rows, self.written)
    }

    pub(super) fn envelope(&self, state: &str) -> Json {
        let id = &self.id;
        json!({
            "id": id, "session_id": null, "node_id": NODE_ID, "state": state, "session": self.session,
            "error": null, "warnings": [], "has_result_set": !self.schema.as_array().is_some_and(Vec::is_empty),
            "schema": self.schema, "data": [], "affect": null, "result_timeout_secs": self.timeout.as_secs(),
            "settings": {"timezone": "UTC", "binary_output_format": "hex", "http_json_result_mode": "display"},
            "stats": self.stats(),
            "stats_uri": format!("/v1/query/{id}"), "final_uri": format!("/v1/query/{id}/final"),
            "kill_uri": format!("/v1/query/{id}/kill"), "next_uri": null
        })
    }

    pub(super) fn page(&self, n: usize) -> Json {
        let id = &self.id;
        let mut body = self.envelope("Succeeded");
        body["session"] = Json::Null; // only the first reply reports a session change
        if let Some(rows) = self.pages.get(n) {
            body["data"] = Json::Array(rows.clone());
        }
        let last = n + 1 >= self.pages.len();
        body["next_uri"] = match (&self.error, last) {
            (Some(_), _) if n < self.pages.len() => json!(format!("/v1/query/{id}/page/{}", n + 1)),
            (None, false) => json!(format!("/v1/query/{id}/page/{}", n + 1)),
            _ => json!(format!("/v1/query/{id}/final")),
        };
        if n >= self.pages.len() {
            if let Some((code, message)) = &self.error {
                body["state"] = json!("Failed");
                body["error"] = json!({"code": code, "message": message});
            }
        }
        body
    }
}

/// What runs statements.
pub(super) struct Server {
    pub(super) engine: sqlite::Engine<Col>,
    /// Open transactions, by the id carried in the session's `internal`.
    pub(super) txns: HashMap<String, Db>,
    pub(super) next_id: u64,
}

/// Why a statement failed: a Databend error code and message.
pub(super) struct Failure(u32, String);

impl From<Fail> for Failure {
    fn from(f: Fail) -> Failure {
        match f {
            Fail::Syntax(m) => Failure(1005, format!("SyntaxException. Code: 1005, Text = {m}.")),
            Fail::NoSuchTable(t) => Failure(1025, format!("Unknown table '{t}'")),
            Fail::NoSuchColumn(c) => Failure(1065, format!("error: column {c} doesn't exist")),
            Fail::TableExists(t) => Failure(2302, format!("Table '{t}' already exists")),
            Fail::UniqueViolation(m) | Fail::NotNullViolation(m) => {
                Failure(1006, format!("BadArguments: {m}"))
            }
            Fail::UnknownType(t) => Failure(1005, format!("SyntaxException: unknown type {t}")),
            Fail::BadSchema(s) => Failure(1003, format!("Unknown database '{s}'")),
            Fail::MissingParameter(m) => {
                Failure(1006, format!("BadArguments: missing parameter value ({m})"))
            }
            Fail::Injected(m) => Failure(1043, format!("AbortedQuery: {m}")),
            Fail::Timeout => Failure(1122, "Timeout: the query ran past its deadline".into()),
            Fail::Interrupted => Failure(1043, "AbortedQuery: killed".into()),
            Fail::Other(m) => Failure(1001, m),
        }
    }
}

impl Server {
    pub(super) fn new() -> Server {
        let mut engine = sqlite::Engine::new(sqlite::unique_prefix("databend"));
        engine.create_schema("default").unwrap();
        engine.create_schema("system").unwrap();
        engine
            .create_table(
                "system",
                "CREATE TABLE system.one (dummy UINT8 NOT NULL)",
                Col::parse_column,
                Col::affinity,
            )
            .unwrap();
        Server {
            engine,
            txns: HashMap::new(),
            next_id: 1,
        }
    }

    /// Runs a query: the first reply, and the result to page (an `Err` reply when it failed
    /// before any row).
    pub(super) fn start(
        &mut self,
        sql: &str,
        req: &Json,
        given_id: Option<String>,
    ) -> Result<(Json, Option<Query>), Json> {
        let mut session = match &req["session"] {
            Json::Object(m) => m.clone(),
            _ => Map::new(),
        };
        if !session.contains_key("database") {
            session.insert("database".into(), json!("default"));
        }
        let page_size = req["pagination"]["max_rows_per_page"]
            .as_u64()
            .filter(|n| *n > 0)
            .unwrap_or(10_000) as usize;
        let binds = match &req["params"] {
            Json::Array(a) => Binds::Positional(a.iter().map(sqlite::bind_json).collect()),
            Json::Object(m) => Binds::Named(
                m.iter()
                    .map(|(k, v)| (k.clone(), sqlite::bind_json(v)))
                    .collect(),
            ),
            _ => Binds::Positional(Vec::new()),
        };
        let id = given_id.unwrap_or_else(|| format!("{:032x}", self.next_id));
        self.next_id += 1;
        let before = Json::Object(session.clone());
        let result = self.execute(sql, &binds, &mut session);
        let changed = Json::Object(session.clone()) != before;
        let session_out = changed.then(|| Json::Object(session));
        let (schema, rows, written, error) = match result {
            Err(Failure(code, message)) => {
                // Failed before any row: no query to page, HTTP 200 with the error.
                let body = json!({
                    "id": "", "session_id": null, "node_id": null, "state": "Failed", "session": session_out,
                    "error": {"code": code, "message": message}, "warnings": [], "has_result_set": false,
                    "schema": [], "data": [], "affect": null, "stats": empty_stats(),
                    "stats_uri": null, "final_uri": null, "next_uri": null, "kill_uri": null
                });
                return Err(body);
            }
            Ok(r) => r,
        };
        let total = rows.len();
        let pages: Vec<Vec<Json>> = if rows.is_empty() {
            Vec::new()
        } else {
            rows.chunks(page_size).map(<[Json]>::to_vec).collect()
        };
        let timeout = if sql.contains("/* fault:short_timeout */") {
            Duration::from_secs(2)
        } else {
            Duration::from_secs(RESULT_TIMEOUT_SECS)
        };
        let q = Query {
            id: id.clone(),
            schema,
            pages,
            error,
            written,
            rows: total,
            next_page: 1,
            touched: Instant::now(),
            timeout,
            session: session_out,
        };
        let mut body = q.page(0);
        body["session"] = q.session.clone().unwrap_or(Json::Null);
        if sql.contains("/* fault:slow_start */") {
            body["state"] = json!("Starting");
            body["schema"] = json!([]);
            body["data"] = json!([]);
            body["next_uri"] = json!(format!("/v1/query/{id}/page/0"));
        }
        Ok((body, Some(q)))
    }

    /// Runs a statement: (schema, rows, rows written, an error after the rows).
    #[allow(clippy::type_complexity)]
    pub(super) fn execute(
        &mut self,
        sql: &str,
        binds: &Binds,
        session: &mut Map<String, Json>,
    ) -> Result<(Json, Vec<Json>, i64, Option<(u32, String)>), Failure> {
        let database = session["database"]
            .as_str()
            .unwrap_or("default")
            .to_string();
        let txn_id = session
            .get("internal")
            .and_then(Json::as_str)
            .and_then(|s| serde_json::from_str::<Json>(s).ok())
            .and_then(|j| j["txn"].as_str().map(str::to_string));
        let txn_state = session
            .get("txn_state")
            .and_then(Json::as_str)
            .unwrap_or("AutoCommit")
            .to_string();
        let words = sqlite::keywords(sql, 3);
        let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        let none = |written: i64| Ok((json!([]), Vec::new(), written, None));
        match (w(0), w(1)) {
            ("BEGIN", _) | ("START", "TRANSACTION") => {
                if txn_state != "AutoCommit" {
                    return none(0);
                }
                let mut db = self.engine.open(&database).map_err(Failure::from)?;
                self.engine
                    .run(
                        Some(&mut db),
                        &database,
                        "BEGIN",
                        &Binds::Positional(vec![]),
                    )
                    .map_err(Failure::from)?;
                let tid = format!("txn{}", self.next_id);
                self.next_id += 1;
                self.txns.insert(tid.clone(), db);
                session.insert("txn_state".into(), json!("Active"));
                session.insert("need_sticky".into(), json!(true));
                session.insert("internal".into(), json!(json!({"txn": tid}).to_string()));
                return none(0);
            }
            ("COMMIT" | "ROLLBACK" | "END" | "ABORT", _) => {
                let db = txn_id.as_ref().and_then(|t| self.txns.remove(t));
                session.insert("txn_state".into(), json!("AutoCommit"));
                session.insert("need_sticky".into(), json!(false));
                session.remove("internal");
                if let Some(mut db) = db {
                    let commit = w(0) != "ROLLBACK" && w(0) != "ABORT" && txn_state != "Fail";
                    let end = if commit { "COMMIT" } else { "ROLLBACK" };
                    self.engine
                        .run(Some(&mut db), &database, end, &Binds::Positional(vec![]))
                        .map_err(Failure::from)?;
                    if w(0) == "COMMIT" && txn_state == "Fail" {
                        return Err(Failure(
                            4002,
                            "TxnAborted: the transaction had failed and was rolled back".into(),
                        ));
                    }
                }
                return none(0);
            }
            _ => {}
        }
        if txn_state == "Fail" {
            return Err(Failure(
                4002,
                "TxnAborted: current transaction is aborted, commands ignored until end of transaction block".into(),
            ));
        }
        let result = self.execute_in(
            sql,
            binds,
            session,
            &database,
            txn_id.as_deref(),
            w(0),
            w(1),
        );
        if result.is_err() && txn_state == "Active" {
            session.insert("txn_state".into(), json!("Fail"));
        }
        result
    }

    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    pub(super) fn execute_in(
        &mut self,
        sql: &str,
        binds: &Binds,
        session: &mut Map<String, Json>,
        database: &str,
        txn_id: Option<&str>,
        w0: &str,
        w1: &str,
    ) -> Result<(Json, Vec<Json>, i64, Option<(u32, String)>), Failure> {
        let none = || Ok((json!([]), Vec::new(), 0, None));
        let words = sqlite::keywords(sql, 8);
        let name = words
            .iter()
            .rev()
            .find(|w| {
                !matches!(
                    w.as_str(),
                    "IF" | "NOT" | "EXISTS" | "DATABASE" | "CREATE" | "DROP" | "USE"
                )
            })
            .map(|w| sqlite::unquote(w))
            .unwrap_or_default();
        match (w0, w1) {
            ("USE", _) => {
                if !self.engine.has_schema(&name) {
                    return Err(Failure(1003, format!("Unknown database '{name}'")));
                }
                session.insert("database".into(), json!(name));
                return none();
            }
            ("CREATE", "DATABASE") => {
                if self.engine.has_schema(&name) && !words.iter().any(|w| w == "EXISTS") {
                    return Err(Failure(2301, format!("Database '{name}' already exists")));
                }
                self.engine.create_schema(&name).map_err(Failure::from)?;
                return none();
            }
            ("DROP", "DATABASE") => {
                if !self.engine.has_schema(&name) {
                    if words.iter().any(|w| w == "EXISTS") {
                        return none();
                    }
                    return Err(Failure(1003, format!("Unknown database '{name}'")));
                }
                self.engine.drop_schema(&name).map_err(Failure::from)?;
                return none();
            }
            ("SET", _) => {
                let assignment = sqlite::strip_comments(sql)[3..]
                    .trim()
                    .trim_end_matches(';')
                    .to_string();
                let (k, v) = assignment
                    .split_once('=')
                    .ok_or(Failure(1005, "SyntaxException: SET name = value".into()))?;
                let (k, v) = (
                    k.trim().to_ascii_lowercase(),
                    v.trim().trim_matches('\'').to_string(),
                );
                if k == "timezone" && v != "UTC" {
                    return Err(Failure(
                        1002,
                        "Unimplemented: this test server runs in UTC only".into(),
                    ));
                }
                let settings = session.entry("settings").or_insert_with(|| json!({}));
                settings[k] = json!(v);
                return none();
            }
            ("CREATE", "TABLE") => {
                self.engine
                    .create_table(database, sql, Col::parse_column, Col::affinity)
                    .map_err(Failure::from)?;
                return none();
            }
            ("DROP", "TABLE") => {
                self.engine
                    .drop_table(database, sql)
                    .map_err(Failure::from)?;
                return none();
            }
            _ => {}
        }
        let mut txn = txn_id.and_then(|t| self.txns.remove(t));
        let sql_text = sql.replace(
            "version()",
            &format!("'8.0.26-v{DATABEND_VERSION}-webdbc-test'"),
        );
        let outcome = self.engine.run(txn.as_mut(), database, &sql_text, binds);
        if let (Some(t), Some(db)) = (txn_id, txn) {
            self.txns.insert(t.to_string(), db);
        }
        let (cols, types, raw, failed) = match outcome {
            Ok(sqlite::Outcome::Count(n)) => return Ok((json!([]), Vec::new(), n, None)),
            Ok(sqlite::Outcome::Rows {
                cols,
                types,
                rows,
                failed,
            }) => (cols, types, rows, failed),
            Err(f) => return Err(f.into()),
        };
        let cols_t: Vec<Col> = sqlite::column_types(types, &raw, guess);
        let schema = Json::Array(
            cols.iter()
                .zip(&cols_t)
                .map(|(n, c)| json!({"name": n, "type": c.name(true)}))
                .collect(),
        );
        let rows = raw
            .iter()
            .map(|r| {
                Json::Array(
                    r.iter()
                        .zip(&cols_t)
                        .map(|(v, c)| c.display(&to_json(v)).map_or(Json::Null, Json::String))
                        .collect(),
                )
            })
            .collect();
        // Rows, then the failure that ended them: reported on the page after the rows.
        let failed = failed.map(|f| {
            let Failure(code, message) = f.into();
            (code, message)
        });
        Ok((schema, rows, 0, failed))
    }
}
