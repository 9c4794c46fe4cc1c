//! A one-pass scanner over SQL text: rewrites `?` and `:name` placeholders to `$n`, counts
//! statements, and notes whether a statement may return rows. Placeholders inside string literals,
//! quoted identifiers, comments and dollar-quoted strings are left alone, and so are `::type` casts.

use crate::core::error::{Error, Result};
use crate::core::value::Value;
use crate::core::Params;

/// How the caller passes parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamStyle {
    /// A sequence: `?` placeholders (qmark), or PostgreSQL's own `$1`.
    Positional,
    /// A mapping: `:name` placeholders.
    Named,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scanned {
    /// The statement with every placeholder as `$n`.
    pub sql: String,
    /// How many parameters the statement takes.
    pub param_count: usize,
    /// For named style: the name bound to `$1`, `$2`, ... in order.
    pub names: Vec<String>,
    /// Non-empty statements separated by top-level `;`.
    pub statement_count: usize,
    /// The first statement may produce rows (SELECT, WITH, VALUES, SHOW, RETURNING, ...).
    pub may_return_rows: bool,
    /// The first statement may write: DML (also inside WITH) or RETURNING.
    pub writes: bool,
    /// It has a RETURNING clause (outside strings and comments).
    pub returning: bool,
    /// The first statement is COPY FROM STDIN or COPY TO STDOUT (the copy sub-protocol).
    pub copy_stream: bool,
    /// The text has PostgreSQL-only quoting (`$$…$$`, `E'…'`), which other dialects read
    /// differently.
    pub pg_quoting: bool,
    /// Each rewritten placeholder: (character index in the original, original length, new length).
    replacements: Vec<(usize, usize, usize)>,
    /// Every placeholder of `sql`, in order, for [`Scanned::render`].
    placeholders: Vec<Placeholder>,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Placeholder {
    /// Byte offset and length of `$n` in `sql`.
    at: usize,
    len: usize,
    /// Its parameter number, from 1.
    n: usize,
    /// Character offset and length in the caller's SQL.
    orig_at: usize,
    orig_len: usize,
}

/// Scans `sql` for the placeholder style that `params` use.
pub(super) fn scan_for(sql: &str, params: &Params) -> Result<Scanned> {
    let style = match params {
        Params::Positional(_) => ParamStyle::Positional,
        Params::Named(_) => ParamStyle::Named,
    };
    scan(sql, style)
}

impl Scanned {
    /// The statement with each placeholder replaced by `texts[n - 1]` (SQL literals, for servers
    /// without bind parameters). Positions in the result still map back to the caller's SQL.
    pub(super) fn render(&self, texts: &[String]) -> Scanned {
        let mut sql =
            String::with_capacity(self.sql.len() + texts.iter().map(String::len).sum::<usize>());
        let mut copied = 0;
        let mut replacements = Vec::new();
        for p in &self.placeholders {
            let text = texts.get(p.n - 1).map_or("NULL", String::as_str);
            sql.push_str(&self.sql[copied..p.at]);
            sql.push_str(text);
            copied = p.at + p.len;
            replacements.push((p.orig_at, p.orig_len, text.chars().count()));
        }
        sql.push_str(&self.sql[copied..]);
        Scanned {
            sql,
            replacements,
            placeholders: Vec::new(),
            names: self.names.clone(),
            ..*self
        }
    }

    /// The parameter number of each placeholder, in order of appearance (for servers whose
    /// markers are positional: a `:name` used twice is two markers).
    pub(super) fn occurrences(&self) -> Vec<usize> {
        self.placeholders.iter().map(|p| p.n).collect()
    }

    /// The caller's parameters in `$1..$n` order, checked before anything is sent.
    pub(super) fn order(&self, params: Params) -> Result<Vec<Value>> {
        match params {
            Params::Positional(values) if values.len() == self.param_count => Ok(values),
            Params::Positional(values) => Err(Error::programming(format!(
                "the statement has {} parameter placeholder(s) but {} parameter(s) were given",
                self.param_count,
                values.len()
            ))),
            Params::Named(pairs) => self
                .names
                .iter()
                .map(|name| {
                    pairs
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                        .ok_or_else(|| {
                            Error::programming(format!("no value given for parameter :{name}"))
                        })
                })
                .collect(),
        }
    }

    /// Maps a 1-based character position in the rewritten SQL (as a server reports it) back to
    /// the caller's SQL.
    pub fn original_position(&self, pos: usize) -> usize {
        // A position past the statement (any number, from the wire) is its end.
        let at = pos.saturating_sub(1).min(self.sql.len()) as isize;
        let mut shift = 0isize;
        for &(orig, orig_len, new_len) in &self.replacements {
            let start = orig as isize + shift;
            if at < start {
                break;
            }
            if at < start + new_len as isize {
                return orig + 1;
            }
            shift += new_len as isize - orig_len as isize;
        }
        (at - shift + 1).max(1) as usize
    }
}

const ROW_KEYWORDS: [&str; 7] = [
    "SELECT", "WITH", "VALUES", "TABLE", "SHOW", "EXPLAIN", "FETCH",
];
const WRITE_KEYWORDS: [&str; 4] = ["INSERT", "UPDATE", "DELETE", "MERGE"];

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_char(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

/// Scans `sql` and rewrites its placeholders for the given style.
pub fn scan(sql: &str, style: ParamStyle) -> Result<Scanned> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut names: Vec<String> = Vec::new();
    let mut qmarks = 0usize;
    let mut max_dollar = 0usize;
    let mut statement_count = 0usize;
    let mut statement_has_content = false;
    let mut first_keyword: Option<String> = None;
    let mut returning = false;
    let mut dml = false;
    let mut stdio = false;
    let mut copied = 0usize; // bytes of `sql` already copied to `out`
    let mut replacements = Vec::new();
    let mut placeholders = Vec::new();
    let mut pg_quoting = false;
    let mut i = 0usize;

    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        match b {
            b'\'' => {
                let backslash_escapes = i > 0
                    && matches!(bytes[i - 1], b'E' | b'e')
                    && (i < 2 || !is_ident_char(bytes[i - 2]));
                pg_quoting |= backslash_escapes;
                i = skip_quoted(bytes, i, b'\'', backslash_escapes)?;
            }
            b'"' => i = skip_quoted(bytes, i, b'"', false)?,
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = bytes[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(bytes.len(), |p| i + p + 1);
                continue; // a comment is not statement content
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = skip_block_comment(bytes, i)?;
                continue;
            }
            b'$' if i == 0 || !is_ident_char(bytes[i - 1]) => {
                if let Some(end) = dollar_tag_end(bytes, i) {
                    pg_quoting = true;
                    let tag = &bytes[i..end];
                    let body = &bytes[end..];
                    let close = find(body, tag).ok_or_else(|| {
                        Error::programming("unterminated dollar-quoted string in SQL")
                    })?;
                    i = end + close + tag.len();
                } else {
                    let digits = bytes[i + 1..]
                        .iter()
                        .take_while(|c| c.is_ascii_digit())
                        .count();
                    if digits > 0 {
                        let n: usize = sql[i + 1..i + 1 + digits].parse().unwrap_or(usize::MAX);
                        if n == 0 || style == ParamStyle::Named {
                            return Err(Error::programming(if n == 0 {
                                "there is no parameter $0: parameters count from $1"
                            } else {
                                "SQL mixes :name placeholders with $n placeholders; use one style"
                            }));
                        }
                        max_dollar = max_dollar.max(n);
                        placeholders.push(Placeholder {
                            at: out.len() + (i - copied),
                            len: 1 + digits,
                            n,
                            orig_at: sql[..i].chars().count(),
                            orig_len: 1 + digits,
                        });
                    }
                    i += 1 + digits;
                }
            }
            b'?' if style == ParamStyle::Positional => {
                qmarks += 1;
                out.push_str(&sql[copied..i]);
                let placeholder = format!("${qmarks}");
                let orig_at = sql[..i].chars().count();
                replacements.push((orig_at, 1, placeholder.len()));
                placeholders.push(Placeholder {
                    at: out.len(),
                    len: placeholder.len(),
                    n: qmarks,
                    orig_at,
                    orig_len: 1,
                });
                out.push_str(&placeholder);
                i += 1;
                copied = i;
            }
            b':' if bytes.get(i + 1) == Some(&b':') => i += 2,
            b':' if style == ParamStyle::Named
                && bytes.get(i + 1).is_some_and(|&c| is_ident_start(c))
                && (i == 0 || bytes[i - 1] != b':') =>
            {
                let len = bytes[i + 1..]
                    .iter()
                    .take_while(|&&c| is_ident_char(c) && c != b'$')
                    .count();
                let name = &sql[i + 1..i + 1 + len];
                let n = match names.iter().position(|x| x == name) {
                    Some(p) => p + 1,
                    None => {
                        names.push(name.to_string());
                        names.len()
                    }
                };
                out.push_str(&sql[copied..i]);
                let placeholder = format!("${n}");
                let orig_at = sql[..i].chars().count();
                let orig_len = 1 + name.chars().count();
                replacements.push((orig_at, orig_len, placeholder.len()));
                placeholders.push(Placeholder {
                    at: out.len(),
                    len: placeholder.len(),
                    n,
                    orig_at,
                    orig_len,
                });
                out.push_str(&placeholder);
                i += 1 + len;
                copied = i;
            }
            b';' => {
                if statement_has_content {
                    statement_count += 1;
                }
                statement_has_content = false;
                i += 1;
                continue;
            }
            _ if is_ident_start(b) && (i == 0 || !is_ident_char(bytes[i - 1])) => {
                let len = bytes[i..].iter().take_while(|&&c| is_ident_char(c)).count();
                let word = sql[i..i + len].to_ascii_uppercase();
                if statement_count == 0 {
                    if first_keyword.is_none() {
                        first_keyword = Some(word.clone());
                    }
                    returning |= word == "RETURNING";
                    dml |= WRITE_KEYWORDS.contains(&word.as_str());
                    stdio |= word == "STDIN" || word == "STDOUT";
                }
                i += len;
            }
            _ => i += 1,
        }
        if !bytes[start].is_ascii_whitespace() {
            statement_has_content = true;
        }
    }
    if statement_has_content {
        statement_count += 1;
    }
    out.push_str(&sql[copied..]);

    let param_count = match style {
        ParamStyle::Named => names.len(),
        ParamStyle::Positional if qmarks > 0 && max_dollar > 0 => {
            return Err(Error::programming(
                "SQL mixes ? placeholders with $n placeholders; use one style",
            ))
        }
        ParamStyle::Positional => qmarks.max(max_dollar),
    };
    let may_return_rows = returning
        || first_keyword
            .as_deref()
            .is_some_and(|k| ROW_KEYWORDS.contains(&k));
    Ok(Scanned {
        sql: out,
        param_count,
        names,
        statement_count,
        may_return_rows,
        writes: returning || dml,
        returning,
        copy_stream: stdio && first_keyword.as_deref() == Some("COPY"),
        replacements,
        placeholders,
        pg_quoting,
    })
}

/// Index just past the closing quote; a doubled quote is an escaped quote.
fn skip_quoted(bytes: &[u8], open: usize, quote: u8, backslash_escapes: bool) -> Result<usize> {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if backslash_escapes => i += 2,
            c if c == quote => {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return Ok(i + 1);
                }
            }
            _ => i += 1,
        }
    }
    Err(Error::programming(if quote == b'"' {
        "unterminated quoted identifier in SQL"
    } else {
        "unterminated string literal in SQL"
    }))
}

/// Block comments nest in PostgreSQL.
fn skip_block_comment(bytes: &[u8], open: usize) -> Result<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => i += 1,
        }
    }
    Err(Error::programming("unterminated /* comment in SQL"))
}

/// If a dollar-quote tag (`$$` or `$tag$`) starts at `i`, the index just past it.
fn dollar_tag_end(bytes: &[u8], i: usize) -> Option<usize> {
    let rest = &bytes[i + 1..];
    if rest.first() == Some(&b'$') {
        return Some(i + 2);
    }
    if !rest.first().is_some_and(|&c| is_ident_start(c)) {
        return None;
    }
    let len = rest
        .iter()
        .take_while(|&&c| is_ident_char(c) && c != b'$')
        .count();
    (rest.get(len) == Some(&b'$')).then_some(i + 1 + len + 1)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qmark(sql: &str) -> Scanned {
        scan(sql, ParamStyle::Positional).unwrap()
    }

    #[test]
    fn positions_from_the_wire_past_the_statement_are_its_end() {
        let s = qmark("SELECT ?, ?");
        let end = s.original_position(s.sql.len() + 1);
        for pos in [usize::MAX, usize::MAX / 2, s.sql.len() + 100] {
            assert_eq!(s.original_position(pos), end, "{pos}");
        }
        assert_eq!(s.original_position(0), 1);
    }

    #[test]
    fn rewrites_qmarks_in_order() {
        let s = qmark("SELECT * FROM t WHERE a = ? AND b = ?");
        assert_eq!(s.sql, "SELECT * FROM t WHERE a = $1 AND b = $2");
        assert_eq!(s.param_count, 2);
        assert!(s.may_return_rows);
        assert_eq!(s.statement_count, 1);
    }

    #[test]
    fn leaves_qmarks_in_literals_identifiers_comments_and_dollar_quotes() {
        let sql = "SELECT '?', E'\\'?', \"a?\", $$?$$, $fn$ ? $fn$, ? -- ?\n /* ? /* ? */ ? */ , ?";
        let s = qmark(sql);
        assert_eq!(
            s.sql,
            "SELECT '?', E'\\'?', \"a?\", $$?$$, $fn$ ? $fn$, $1 -- ?\n /* ? /* ? */ ? */ , $2"
        );
        assert_eq!(s.param_count, 2);
    }

    #[test]
    fn doubled_quotes_stay_inside_the_literal() {
        assert_eq!(qmark("SELECT 'it''s ?', ?").sql, "SELECT 'it''s ?', $1");
        // Without E, a backslash does not escape the quote (standard_conforming_strings).
        assert_eq!(qmark("SELECT 'a\\', ?").sql, "SELECT 'a\\', $1");
    }

    #[test]
    fn native_dollar_params_count() {
        let s = qmark("SELECT $1::int + $2");
        assert_eq!(s.sql, "SELECT $1::int + $2");
        assert_eq!(s.param_count, 2);
        assert!(scan("SELECT ?, $1", ParamStyle::Positional).is_err());
    }

    #[test]
    fn named_params_keep_casts_and_reuse_numbers() {
        let s = scan(
            "SELECT :a::int, :b, ':c', :a, x::text FROM t",
            ParamStyle::Named,
        )
        .unwrap();
        assert_eq!(s.sql, "SELECT $1::int, $2, ':c', $1, x::text FROM t");
        assert_eq!(s.names, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(s.param_count, 2);
    }

    #[test]
    fn named_style_leaves_qmarks() {
        let s = scan("SELECT '{\"a\":1}'::jsonb ? 'a', :x", ParamStyle::Named).unwrap();
        assert_eq!(s.sql, "SELECT '{\"a\":1}'::jsonb ? 'a', $1");
    }

    #[test]
    fn counts_statements_and_ignores_empty_ones() {
        assert_eq!(
            qmark("CREATE TABLE a(x int); INSERT INTO a VALUES (1);").statement_count,
            2
        );
        assert_eq!(qmark(";;  ; -- nothing\n").statement_count, 0);
        assert_eq!(qmark("SELECT ';'").statement_count, 1);
    }

    #[test]
    fn row_hint_follows_first_keyword_and_returning() {
        assert!(!qmark("INSERT INTO t VALUES (1)").may_return_rows);
        assert!(qmark("insert into t values (1) returning id").may_return_rows);
        assert!(qmark("  with x as (select 1) delete from t").may_return_rows);
        assert!(qmark("/* c */ values (1)").may_return_rows);
        assert!(!qmark("UPDATE t SET a = 'RETURNING'").may_return_rows);
        assert!(!qmark("UPDATE t SET a = 'RETURNING' -- returning\n").returning);
        assert!(qmark("DELETE FROM t RETURNING id").returning);
        assert!(!qmark("CREATE TABLE select_me (a int)").may_return_rows);
    }

    #[test]
    fn notes_writes_and_copy_streams() {
        assert!(!qmark("SELECT * FROM t WHERE note = 'DELETE'").writes);
        assert!(qmark("WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d").writes);
        assert!(qmark("INSERT INTO t VALUES (1) RETURNING id").writes);
        assert!(qmark("copy t from stdin").copy_stream);
        assert!(qmark("COPY (SELECT 1) TO STDOUT WITH (FORMAT csv)").copy_stream);
        assert!(!qmark("COPY t FROM '/tmp/file.csv'").copy_stream);
        assert!(!qmark("SELECT 'COPY x FROM STDIN'").copy_stream);
    }

    #[test]
    fn identifiers_with_dollar_are_not_quotes() {
        let s = qmark("SELECT a$b$ FROM t WHERE x = ?");
        assert_eq!(s.sql, "SELECT a$b$ FROM t WHERE x = $1");
    }

    #[test]
    fn maps_server_positions_back_to_the_callers_sql() {
        // "SELECT ?, ?, ? FRM" -> "SELECT $1, $2, $3 FRM": FRM is at 16 in the original, 19 rewritten.
        let s = qmark("SELECT ?, ?, ? FRM");
        assert_eq!(s.original_position(19), 16);
        assert_eq!(s.original_position(8), 8); // inside $1
        assert_eq!(s.original_position(9), 8);
        assert_eq!(s.original_position(1), 1);
        let s = scan("SELECT :long_name, ☃ x", ParamStyle::Named).unwrap();
        assert_eq!(s.sql, "SELECT $1, ☃ x");
        assert_eq!(s.original_position(14), 22);
    }

    #[test]
    fn refuses_placeholders_that_name_no_parameter() {
        assert!(scan("SELECT ?, $0", ParamStyle::Positional).is_err());
        assert!(scan("SELECT :a, $2", ParamStyle::Named).is_err());
        assert!(scan("SELECT :a, '$2', $$x$$", ParamStyle::Named).is_ok());
    }

    #[test]
    fn renders_values_in_place_of_every_placeholder_style() {
        let s = qmark("SELECT '?', ? /* ? */, ☃, ?");
        let r = s.render(&["'it''s'".into(), "42".into()]);
        assert_eq!(r.sql, "SELECT '?', 'it''s' /* ? */, ☃, 42");
        // The ☃ is at 30 in the rendered SQL, at 24 in the caller's.
        assert_eq!(r.original_position(30), 24);
        let s = scan("SELECT :a + :b + :a, '$1'", ParamStyle::Named).unwrap();
        assert_eq!(
            s.render(&["1".into(), "2".into()]).sql,
            "SELECT 1 + 2 + 1, '$1'"
        );
        let s = qmark("SELECT $2, $1, '$1'");
        assert_eq!(
            s.render(&["'a'".into(), "'b'".into()]).sql,
            "SELECT 'b', 'a', '$1'"
        );
    }

    #[test]
    fn unicode_text_passes_through() {
        let s = qmark("SELECT 'Zoë ☃', ? /* ü */");
        assert_eq!(s.sql, "SELECT 'Zoë ☃', $1 /* ü */");
    }

    #[test]
    fn unterminated_things_are_programming_errors() {
        for sql in ["SELECT 'abc", "SELECT \"abc", "SELECT /* x", "SELECT $$ x"] {
            let e = scan(sql, ParamStyle::Positional).unwrap_err();
            assert_eq!(e.kind, crate::core::error::ErrorKind::Programming, "{sql}");
        }
    }
}
