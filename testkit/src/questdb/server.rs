//! What runs the statements, QuestDB's SQL translated for the engine, and failures as QuestDB
//! reports them.

use axum::http::StatusCode;
use rusqlite::types::Value as Sql;

use super::types::*;
use super::SCHEMA;
use crate::sqlite::{self, Binds, Fail};

/// An `/exec` failure: HTTP status, message and 0-based position in the query.
pub(super) struct Failure(pub(super) StatusCode, pub(super) String, pub(super) usize);

pub(super) fn failure(f: Fail, query: &str) -> Failure {
    let find = |needle: &str| {
        let lower = query.to_ascii_lowercase();
        lower
            .find(&needle.to_ascii_lowercase())
            .map_or(0, |b| query[..b].chars().count())
    };
    let bad = StatusCode::BAD_REQUEST;
    match f {
        Fail::NoSuchTable(t) => {
            let t = t.rsplit('.').next().unwrap_or(&t).to_string();
            Failure(bad, format!("table does not exist [table={t}]"), find(&t))
        }
        Fail::NoSuchColumn(c) => Failure(bad, format!("Invalid column: {c}"), find(&c)),
        Fail::Syntax(m) => {
            let near = m
                .strip_prefix("near \"")
                .and_then(|r| r.split('"').next())
                .unwrap_or("");
            let pos = if near.is_empty() {
                query.chars().count()
            } else {
                find(near)
            };
            Failure(bad, format!("unexpected token [{near}]"), pos)
        }
        Fail::TableExists(t) => Failure(bad, format!("table already exists [table={t}]"), 0),
        Fail::UnknownType(t) => Failure(bad, format!("unsupported column type: {t}"), find(&t)),
        Fail::UniqueViolation(m) | Fail::NotNullViolation(m) => Failure(bad, m, 0),
        Fail::MissingParameter(m) => Failure(bad, format!("undefined bind variable: {m}"), 0),
        Fail::BadSchema(s) => Failure(bad, format!("bad schema {s}"), 0),
        Fail::Injected(m) => Failure(bad, m, find("fail_at")),
        Fail::Timeout | Fail::Interrupted => Failure(
            bad,
            "timeout, query aborted [fd=1, runtime=statement timeout]".into(),
            0,
        ),
        Fail::Other(m) => Failure(StatusCode::INTERNAL_SERVER_ERROR, m, 0),
    }
}

pub(super) struct Server {
    pub(super) engine: sqlite::Engine<Ty>,
}

/// What a statement produced.
pub(super) enum Done {
    Ddl,
    Dml(Option<i64>),
    Rows {
        cols: Vec<String>,
        types: Vec<Ty>,
        rows: Vec<Vec<Sql>>,
        failed: Option<Failure>,
    },
}

impl Server {
    pub(super) fn new() -> Server {
        let mut engine = sqlite::Engine::new(sqlite::unique_prefix("questdb"));
        engine.create_schema(SCHEMA).unwrap();
        Server { engine }
    }

    pub(super) fn run(&mut self, query: &str) -> Result<Done, Failure> {
        let words = sqlite::keywords(query, 3);
        let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        let ddl = |r: sqlite::Result<bool>| r.map(|_| Done::Ddl).map_err(|f| failure(f, query));
        match (w(0), w(1)) {
            ("BEGIN" | "COMMIT" | "ROLLBACK" | "SET", _) => return Ok(Done::Ddl),
            ("CREATE", "TABLE") => {
                // QuestDB's clauses after the column list (timestamp(ts), PARTITION BY, WAL)
                // mean nothing to SQLite.
                let cut = sqlite::matching_paren(query, query.find('(').unwrap_or(0))
                    .map_or(query.len(), |i| i + 1);
                return ddl(self.engine.create_table(
                    SCHEMA,
                    &query[..cut],
                    |t, _| Ty::parse(t),
                    Ty::affinity,
                ));
            }
            ("DROP", "TABLE") => return ddl(self.engine.drop_table(SCHEMA, query)),
            ("TRUNCATE", "TABLE") => {
                let t = sqlite::strip_comments(query);
                let table = t.split_whitespace().nth(2).unwrap_or("");
                let sql = format!("DELETE FROM {table}");
                return self.sql(&sql, query).map(|_| Done::Ddl);
            }
            ("SHOW", "TABLES") => {
                let rows = self
                    .engine
                    .tables(SCHEMA)
                    .into_iter()
                    .map(|t| vec![Sql::Text(t)])
                    .collect();
                return Ok(Done::Rows {
                    cols: vec!["table_name".into()],
                    types: vec![Ty::String],
                    rows,
                    failed: None,
                });
            }
            ("SHOW", "COLUMNS") => {
                // SHOW COLUMNS FROM name: QuestDB's first two columns, `column` and `type`.
                let t = sqlite::strip_comments(query);
                let table = sqlite::unquote(t.split_whitespace().nth(3).unwrap_or(""));
                let table = table.trim_end_matches(';');
                let columns = self
                    .engine
                    .columns(SCHEMA, table)
                    .ok_or_else(|| failure(sqlite::Fail::NoSuchTable(table.to_string()), query))?;
                let rows = columns
                    .iter()
                    .map(|(name, ty)| {
                        let t = ty.column(name)["type"].as_str().unwrap_or("").to_string();
                        vec![Sql::Text(name.clone()), Sql::Text(t)]
                    })
                    .collect();
                return Ok(Done::Rows {
                    cols: vec!["column".into(), "type".into()],
                    types: vec![Ty::String, Ty::String],
                    rows,
                    failed: None,
                });
            }
            _ => {}
        }
        let done = self.sql(&translate(query), query)?;
        Ok(match (w(0), done) {
            ("INSERT", _) => Done::Dml(None),
            ("UPDATE" | "DELETE", sqlite::Outcome::Count(n)) => Done::Dml(Some(n)),
            (_, sqlite::Outcome::Count(_)) => Done::Ddl,
            // Failing before its first row is failing before the body starts.
            (
                _,
                sqlite::Outcome::Rows {
                    rows,
                    failed: Some(f),
                    ..
                },
            ) if rows.is_empty() => return Err(failure(f, query)),
            (
                _,
                sqlite::Outcome::Rows {
                    cols,
                    types,
                    rows,
                    failed,
                },
            ) => {
                let types = sqlite::column_types(types, &rows, guess);
                Done::Rows {
                    cols,
                    types,
                    rows,
                    failed: failed.map(|f| failure(f, query)),
                }
            }
        })
    }

    pub(super) fn sql(&mut self, sql: &str, query: &str) -> Result<sqlite::Outcome<Ty>, Failure> {
        self.engine
            .run(None, SCHEMA, sql, &Binds::Positional(vec![]))
            .map_err(|f| failure(f, query))
    }
}

/// QuestDB SQL the engine lacks, in SQLite terms: `long_sequence(n)` and `ARRAY[…]` literals.
pub(super) fn translate(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    loop {
        let lower = rest.to_ascii_lowercase();
        let seq = lower.find("long_sequence(");
        let arr = lower.find("array[");
        match (seq, arr) {
            (Some(i), a) if a.is_none_or(|a| i < a) => {
                let open = i + "long_sequence".len();
                let close = sqlite::matching_paren(rest, open).unwrap_or(rest.len() - 1);
                let n = rest[open + 1..close].trim();
                out.push_str(&rest[..i]);
                out.push_str(&format!(
                    "(WITH RECURSIVE ls(x) AS (SELECT 1 WHERE {n} >= 1 UNION ALL SELECT x + 1 FROM ls WHERE x < {n}) SELECT x FROM ls)"
                ));
                rest = &rest[close + 1..];
            }
            (_, Some(i)) => {
                let open = i + "array".len();
                let mut depth = 0;
                let mut end = rest.len();
                for (j, c) in rest[open..].char_indices() {
                    match c {
                        '[' => depth += 1,
                        ']' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + j + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                out.push_str(&rest[..i]);
                out.push('\'');
                out.push_str(&rest[open..end].replace(' ', ""));
                out.push('\'');
                rest = &rest[end..];
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_questdb_sql() {
        assert_eq!(
            translate("SELECT x FROM long_sequence(3)"),
            "SELECT x FROM (WITH RECURSIVE ls(x) AS (SELECT 1 WHERE 3 >= 1 UNION ALL SELECT x + 1 FROM ls WHERE x < 3) SELECT x FROM ls)"
        );
        assert_eq!(
            translate("INSERT INTO t VALUES (ARRAY[[1.0, 2.0], [3.0]])"),
            "INSERT INTO t VALUES ('[[1.0,2.0],[3.0]]')"
        );
    }
}
