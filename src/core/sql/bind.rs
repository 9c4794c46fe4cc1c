//! Binding parameters: checked against the statement's placeholders and rewritten as the
//! server marks them, in one call per statement.

use super::scan::{scan_for, Scanned};
use crate::core::error::{Error, Result};
use crate::core::value::Value;
use crate::core::Params;

/// How a server marks the parameters of the statement it runs.
#[derive(Clone, Copy)]
pub enum Marker<'a> {
    /// `$1`, `$2`, … (PostgreSQL, CrateDB): values in number order.
    Dollar,
    /// `?` at each placeholder (Ignite): a value per placeholder, a `:name` used twice twice.
    Question,
    /// `:name`, the caller's names, or `:p1`, `:p2`, … for `?` and `$n` (Databricks); the
    /// names come with the values.
    Named,
    /// No markers: each value rendered in place by this function, as an SQL literal (QuestDB).
    Literal(&'a dyn Fn(&Value) -> Result<String>),
}

/// A statement with its parameters bound, as the server takes it.
#[derive(Debug)]
pub struct Bound {
    /// The statement as the server runs it, and what the scanner learnt of it; positions in it
    /// map back to the caller's SQL.
    pub scanned: Scanned,
    /// The values, in the order the markers take them (none with [`Marker::Literal`]).
    pub values: Vec<Value>,
    /// With [`Marker::Named`], the name of each value.
    pub names: Vec<String>,
}

impl Bound {
    /// The statement text to send.
    pub fn sql(&self) -> &str {
        &self.scanned.sql
    }
}

/// One statement run once per parameter set: scanned once, a row of values per set.
#[derive(Debug)]
pub struct BoundMany {
    pub scanned: Scanned,
    pub rows: Vec<Vec<Value>>,
}

impl BoundMany {
    pub fn sql(&self) -> &str {
        &self.scanned.sql
    }
}

/// Checks `params` against the placeholders of `sql` (`?`, `$n` or `:name`, as the parameters
/// are a sequence or a mapping) and rewrites them as `marker` says, before anything is sent.
pub fn bind(sql: &str, params: Params, marker: Marker<'_>) -> Result<Bound> {
    let scanned = scan_for(sql, &params)?;
    let named = matches!(params, Params::Named(_));
    let values = scanned.order(params)?;
    Ok(match marker {
        Marker::Dollar => Bound {
            scanned,
            values,
            names: Vec::new(),
        },
        Marker::Question => {
            let marks = vec!["?".to_string(); scanned.param_count];
            let values = scanned
                .occurrences()
                .iter()
                .map(|n| values[n - 1].clone())
                .collect();
            Bound {
                scanned: scanned.render(&marks),
                values,
                names: Vec::new(),
            }
        }
        Marker::Named => {
            let names: Vec<String> = if named {
                scanned.names.clone()
            } else {
                (1..=values.len()).map(|i| format!("p{i}")).collect()
            };
            let marks: Vec<String> = names.iter().map(|n| format!(":{n}")).collect();
            Bound {
                scanned: scanned.render(&marks),
                values,
                names,
            }
        }
        Marker::Literal(literal) => {
            let texts = values.iter().map(literal).collect::<Result<Vec<_>>>()?;
            Bound {
                scanned: scanned.render(&texts),
                values: Vec::new(),
                names: Vec::new(),
            }
        }
    })
}

/// [`bind`] for one statement and many parameter sets (`executemany`), scanned once for the
/// style of the first set. `Marker::Dollar` and `Marker::Question` only: the others rewrite
/// the statement per set.
pub fn bind_many(sql: &str, sets: Vec<Params>, marker: Marker<'_>) -> Result<BoundMany> {
    let Some(first) = sets.first() else {
        return Err(Error::programming(
            "executemany takes at least one parameter set",
        ));
    };
    let scanned = scan_for(sql, first)?;
    let rows = sets
        .into_iter()
        .map(|p| scanned.order(p))
        .collect::<Result<Vec<_>>>()?;
    Ok(match marker {
        Marker::Dollar => BoundMany { scanned, rows },
        Marker::Question => {
            let order = scanned.occurrences();
            let rows = rows
                .into_iter()
                .map(|values| order.iter().map(|n| values[n - 1].clone()).collect())
                .collect();
            let marks = vec!["?".to_string(); scanned.param_count];
            BoundMany {
                scanned: scanned.render(&marks),
                rows,
            }
        }
        Marker::Named | Marker::Literal(_) => {
            return Err(Error::interface(
                "bind_many takes $n or ? markers: named and literal ones differ per set",
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(pairs: &[(&str, i64)]) -> Params {
        Params::Named(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::Int(*v)))
                .collect(),
        )
    }

    fn positional(values: &[i64]) -> Params {
        Params::Positional(values.iter().map(|v| Value::Int(*v)).collect())
    }

    #[test]
    fn binds_for_each_kind_of_marker() {
        let b = bind(
            "SELECT :b, :a, :b",
            named(&[("a", 1), ("b", 2)]),
            Marker::Dollar,
        )
        .unwrap();
        assert_eq!(b.sql(), "SELECT $1, $2, $1");
        assert_eq!(b.values, vec![Value::Int(2), Value::Int(1)]);
        let b = bind(
            "SELECT :b, :a, :b",
            named(&[("a", 1), ("b", 2)]),
            Marker::Question,
        )
        .unwrap();
        assert_eq!(b.sql(), "SELECT ?, ?, ?");
        assert_eq!(b.values, vec![Value::Int(2), Value::Int(1), Value::Int(2)]);
        let b = bind("SELECT ?, ?", positional(&[7, 8]), Marker::Named).unwrap();
        assert_eq!(
            (b.sql(), b.names.as_slice()),
            ("SELECT :p1, :p2", &["p1".to_string(), "p2".to_string()][..])
        );
        let b = bind("SELECT :x", named(&[("x", 5)]), Marker::Named).unwrap();
        assert_eq!((b.sql(), b.names[0].as_str()), ("SELECT :x", "x"));
        let render = |v: &Value| Ok(format!("<{v:?}>"));
        let b = bind("SELECT ? FRM", positional(&[3]), Marker::Literal(&render)).unwrap();
        assert_eq!(b.sql(), "SELECT <Int(3)> FRM");
        assert!(b.values.is_empty());
        // Positions in what the server runs map back to the caller's SQL: FRM is at 10.
        assert_eq!(b.scanned.original_position(17), 10);
    }

    #[test]
    fn binding_checks_the_parameters_first() {
        let e = bind("SELECT ?, ?", positional(&[1]), Marker::Dollar).unwrap_err();
        assert_eq!(e.kind, crate::core::error::ErrorKind::Programming);
        let e = bind("SELECT :a", named(&[("b", 1)]), Marker::Named).unwrap_err();
        assert!(e.message.contains(":a"), "{}", e.message);
    }

    #[test]
    fn binds_many_sets_with_one_scan() {
        let b = bind_many(
            "SELECT :a, :a",
            vec![named(&[("a", 1)]), named(&[("a", 2)])],
            Marker::Question,
        )
        .unwrap();
        assert_eq!(b.sql(), "SELECT ?, ?");
        assert_eq!(
            b.rows,
            vec![
                vec![Value::Int(1), Value::Int(1)],
                vec![Value::Int(2), Value::Int(2)]
            ]
        );
        let b = bind_many(
            "INSERT INTO t VALUES (?)",
            vec![positional(&[1]), positional(&[2])],
            Marker::Dollar,
        )
        .unwrap();
        assert_eq!(b.sql(), "INSERT INTO t VALUES ($1)");
        assert!(bind_many(
            "SELECT ?",
            vec![positional(&[1]), positional(&[])],
            Marker::Dollar
        )
        .is_err());
        assert!(bind_many("SELECT ?", vec![], Marker::Dollar).is_err());
    }
}
