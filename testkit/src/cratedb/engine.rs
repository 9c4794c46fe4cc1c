//! What runs the statements: schemas as attached SQLite databases, a catalog of CrateDB types.

use std::collections::HashMap;
use std::net::SocketAddr;

use serde_json::{json, Value as Json};

use super::types::*;
use super::Failure;
use crate::sqlite::{self, Binds};

#[derive(Clone)]
pub(super) struct Session {
    pub(super) schema: String,
}

pub(super) enum Outcome {
    Count(i64),
    Rows {
        cols: Vec<String>,
        col_types: Vec<Ty>,
        rows: Vec<Vec<Json>>,
    },
}

/// The node: its tables and the sessions of its TCP connections.
pub(super) struct Engine {
    pub(super) sql: sqlite::Engine<Ty>,
    pub(super) sessions: HashMap<SocketAddr, Session>,
}

impl Engine {
    pub(super) fn new() -> Engine {
        let mut e = Engine {
            sql: sqlite::Engine::new(sqlite::unique_prefix("crate")),
            sessions: HashMap::new(),
        };
        e.seed_summits();
        e
    }

    /// The session of a TCP connection: created by its first request, then kept (a later
    /// `Default-Schema` on the same connection is ignored, as CrateDB does).
    pub(super) fn session(&mut self, peer: SocketAddr, _user: &str, schema: &str) -> Session {
        self.sessions
            .entry(peer)
            .or_insert_with(|| Session {
                schema: schema.to_string(),
            })
            .clone()
    }

    pub(super) fn seed_summits(&mut self) {
        self.run(
            &Session { schema: "sys".into() },
            "CREATE TABLE sys.summits (mountain TEXT PRIMARY KEY, height INTEGER, prominence INTEGER, \
             coordinates GEO_POINT, range TEXT, classification TEXT, region TEXT, country TEXT, first_ascent INTEGER)",
            &[],
        )
        .ok()
        .unwrap();
        let famous = [
            (
                "Mont Blanc",
                4808,
                4695,
                [6.86444, 45.8325],
                "U-01",
                "1.1",
                "Mont Blanc massif",
                "FR/IT",
                Some(1786),
            ),
            (
                "Monte Rosa",
                4634,
                2165,
                [7.86694, 45.93694],
                "I/B-09.III-A",
                "2.1",
                "Monte Rosa Alps",
                "CH",
                Some(1855),
            ),
            (
                "Dom",
                4545,
                1046,
                [7.85889, 46.09389],
                "I/B-09.V-A",
                "2.2",
                "Mischabel",
                "CH",
                Some(1858),
            ),
            (
                "Liskamm",
                4527,
                376,
                [7.83556, 45.92222],
                "I/B-09.III-A",
                "2.1",
                "Monte Rosa Alps",
                "CH/IT",
                Some(1861),
            ),
            (
                "Weisshorn",
                4506,
                1235,
                [7.71611, 46.10111],
                "I/B-09.II-D",
                "2.2",
                "Weisshorn-Matterhorn",
                "CH",
                Some(1861),
            ),
        ];
        let insert = "INSERT INTO sys.summits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
        let session = Session {
            schema: "sys".into(),
        };
        for (m, h, p, c, r, cl, reg, co, fa) in famous {
            let row = [
                json!(m),
                json!(h),
                json!(p),
                json!(c),
                json!(r),
                json!(cl),
                json!(reg),
                json!(co),
                json!(fa),
            ];
            self.run(&session, insert, &row).ok().unwrap();
        }
        // Deterministic filler: about 1,600 summits as the real table has, some without a
        // first ascent.
        for i in 0..1600i64 {
            let row = [
                json!(format!("Summit {i:04}")),
                json!(4500 - (i * 17) % 2000),
                json!((i * 31) % 1500),
                json!([6.0 + (i % 100) as f64 / 10.0, 45.0 + (i % 30) as f64 / 10.0]),
                json!(format!("I/B-{:02}", i % 20)),
                json!(format!("{}.{}", 1 + i % 3, i % 4)),
                json!(format!("Region {}", i % 40)),
                json!(["CH", "FR", "IT", "AT", "DE"][(i % 5) as usize]),
                json!((i % 7 != 0).then_some(1800 + i % 200)),
            ];
            self.run(&session, insert, &row).ok().unwrap();
        }
    }

    pub(super) fn run(
        &mut self,
        session: &Session,
        stmt: &str,
        args: &[Json],
    ) -> Result<Outcome, Failure> {
        let words = sqlite::keywords(stmt, 2);
        let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        let schema = &session.schema;
        let ddl = |done: sqlite::Result<bool>| {
            done.map(|changed| Outcome::Count(changed as i64))
                .map_err(Failure::from_engine)
        };
        match w(0) {
            "BEGIN" | "COMMIT" | "ROLLBACK" | "END" | "KILL" | "SET" => {
                return Ok(Outcome::Count(0))
            }
            "START" if w(1) == "TRANSACTION" => return Ok(Outcome::Count(0)),
            "REFRESH" | "OPTIMIZE" => return Ok(Outcome::Count(1)),
            "CREATE" if w(1) == "TABLE" => {
                return ddl(self
                    .sql
                    .create_table(schema, stmt, |t, _| Ty::parse(t), Ty::affinity))
            }
            "DROP" if w(1) == "TABLE" => return ddl(self.sql.drop_table(schema, stmt)),
            _ => {}
        }
        let binds = Binds::Positional(args.iter().map(sqlite::bind_json).collect());
        let sql = sqlite::numbered_placeholders(stmt);
        let (cols, types, raw) = match self.sql.run(None, schema, &sql, &binds) {
            Err(f) => return Err(Failure::from_engine(f)),
            Ok(sqlite::Outcome::Count(n)) => return Ok(Outcome::Count(n)),
            // CrateDB sends only the error when a result fails part-way.
            Ok(sqlite::Outcome::Rows {
                failed: Some(f), ..
            }) => return Err(Failure::from_engine(f)),
            Ok(sqlite::Outcome::Rows {
                cols, types, rows, ..
            }) => (cols, types, rows),
        };
        let raw: Vec<Vec<Json>> = raw
            .into_iter()
            .map(|r| r.into_iter().map(to_json).collect())
            .collect();
        // Computed columns: typed from their values, as CrateDB types literals.
        let col_types: Vec<Ty> =
            sqlite::column_types(types, &raw, |values| guess_type(values.iter().copied()));
        let rows = raw
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .zip(&col_types)
                    .map(|(v, t)| t.encode(v))
                    .collect()
            })
            .collect();
        Ok(Outcome::Rows {
            cols,
            col_types,
            rows,
        })
    }
}
