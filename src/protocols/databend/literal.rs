//! Nested values as Databend prints them (`[1,NULL]`, `(1,'a')`, `{"k":1}`), read into values.

use serde_json::{json, Map, Value as Json};

use super::params::text_param;
use super::types::{decode_text, DbType};
use crate::core::error::{Error, Result};
use crate::core::value::Value;

/// Nested values as Databend prints them: `[1,NULL]`, `(1,'a')`, `{"k":1}`.
#[derive(Debug, PartialEq)]
pub(super) enum Literal {
    List(Vec<Literal>),
    Tuple(Vec<Literal>),
    Map(Vec<(Literal, Literal)>),
    Quoted(String),
    Bare(String),
}

impl Literal {
    pub(super) fn parse(s: &str) -> Option<Literal> {
        let chars: Vec<char> = s.chars().collect();
        let mut pos = 0;
        let lit = Literal::read(&chars, &mut pos, 0)?;
        while chars.get(pos).is_some_and(|c| c.is_whitespace()) {
            pos += 1;
        }
        (pos == chars.len()).then_some(lit)
    }

    fn read(c: &[char], pos: &mut usize, depth: usize) -> Option<Literal> {
        if depth > 64 {
            return None;
        }
        while c.get(*pos)?.is_whitespace() {
            *pos += 1;
        }
        let open = *c.get(*pos)?;
        match open {
            '[' | '(' | '{' => {
                let close = match open {
                    '[' => ']',
                    '(' => ')',
                    _ => '}',
                };
                *pos += 1;
                let mut items = Vec::new();
                let mut pairs = Vec::new();
                loop {
                    while c.get(*pos)?.is_whitespace() {
                        *pos += 1;
                    }
                    if c[*pos] == close {
                        *pos += 1;
                        break;
                    }
                    let item = Literal::read(c, pos, depth + 1)?;
                    while c.get(*pos)?.is_whitespace() {
                        *pos += 1;
                    }
                    if open == '{' {
                        if c[*pos] != ':' {
                            return None;
                        }
                        *pos += 1;
                        let v = Literal::read(c, pos, depth + 1)?;
                        pairs.push((item, v));
                    } else {
                        items.push(item);
                    }
                    while c.get(*pos)?.is_whitespace() {
                        *pos += 1;
                    }
                    match c.get(*pos)? {
                        ',' => *pos += 1,
                        x if *x == close => {}
                        _ => return None,
                    }
                }
                Some(match open {
                    '[' => Literal::List(items),
                    '(' => Literal::Tuple(items),
                    _ => Literal::Map(pairs),
                })
            }
            '"' | '\'' => {
                *pos += 1;
                let mut s = String::new();
                loop {
                    let ch = *c.get(*pos)?;
                    *pos += 1;
                    match ch {
                        '\\' => {
                            let esc = *c.get(*pos)?;
                            *pos += 1;
                            s.push(match esc {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                '0' => '\0',
                                other => other,
                            });
                        }
                        q if q == open => {
                            // A doubled quote is a quote.
                            if c.get(*pos) == Some(&open) {
                                s.push(open);
                                *pos += 1;
                            } else {
                                return Some(Literal::Quoted(s));
                            }
                        }
                        other => s.push(other),
                    }
                }
            }
            _ => {
                let start = *pos;
                while c
                    .get(*pos)
                    .is_some_and(|ch| !matches!(ch, ',' | ']' | ')' | '}' | ':'))
                {
                    *pos += 1;
                }
                let text: String = c[start..*pos].iter().collect();
                Some(Literal::Bare(text.trim().to_string()))
            }
        }
    }
}

pub(super) fn from_literal(ty: &DbType, lit: &Literal, utc: bool) -> Result<Value> {
    let bad = || Error::malformed(format!("{ty:?} value {lit:?}"));
    match (ty, lit) {
        (_, Literal::Bare(b)) if b == "NULL" => Ok(Value::Null),
        (DbType::Array(e), Literal::List(items)) => Ok(Value::Array(
            items
                .iter()
                .map(|x| from_literal(e, x, utc))
                .collect::<Result<_>>()?,
        )),
        (DbType::Tuple(types), Literal::Tuple(items)) if types.len() == items.len() => {
            Ok(Value::Array(
                types
                    .iter()
                    .zip(items)
                    .map(|(t, x)| from_literal(t, x, utc))
                    .collect::<Result<_>>()?,
            ))
        }
        (DbType::Map(k, v), Literal::Map(pairs)) => {
            let mut obj = Map::new();
            for (key, val) in pairs {
                let key = match from_literal(k, key, utc)? {
                    Value::Text(s) => s,
                    other => json_of(&other).to_string(),
                };
                obj.insert(key, json_of(&from_literal(v, val, utc)?));
            }
            Ok(Value::Json(Json::Object(obj).to_string()))
        }
        (DbType::Array(_) | DbType::Tuple(_) | DbType::Map(..), _) => Err(bad()),
        (_, Literal::Quoted(s) | Literal::Bare(s)) => decode_text(ty, s, utc),
        _ => Err(bad()),
    }
}

/// A decoded value as JSON (for map values): numbers stay exact.
pub(super) fn json_of(v: &Value) -> Json {
    let number = |s: &str| serde_json::from_str::<Json>(s).unwrap_or_else(|_| json!(s));
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Decimal(s) => number(s),
        Value::Json(s) => serde_json::from_str(s).unwrap_or_else(|_| json!(s)),
        Value::Array(items) => Json::Array(items.iter().map(json_of).collect()),
        other => json!(text_param(other)),
    }
}
