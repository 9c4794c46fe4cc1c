//! One pager for every result that arrives in pages (a Databend `next_uri`, a Databricks
//! chunk link, a QuestDB window, an Ignite cursor, a CrateDB body read a batch at a time): it
//! counts the rows handed out and decides, page by page, whether more follow and what the
//! row count is. Each protocol keeps only how to read its next page.

use std::rc::Rc;

use super::backend::{Batch, Column, Outcome, Row};
use super::error::{Error, Result};
use super::value::Value;

/// A result with pages still to read. `shape` is what decoding its pages needs (the column
/// types); `next` where the next page is.
pub struct Pages<S, N> {
    pub shape: S,
    pub next: N,
    delivered: i64,
}

impl<S, N> Pages<S, N> {
    /// The outcome of a result's first page, and its pages while more follow (`next` is where
    /// the second page is; `None` when this page is the last). `total`: the row count, when the
    /// server says it up front; once the last page is read, the row count is the rows read.
    pub fn first(
        columns: Rc<[Column]>,
        rows: Vec<Row>,
        shape: S,
        next: Option<N>,
        total: Option<i64>,
    ) -> (Outcome, Option<Pages<S, N>>) {
        let delivered = rows.len() as i64;
        let more = next.is_some();
        let rowcount = match (total, more) {
            (Some(t), _) => t,
            (None, true) => -1,
            (None, false) => delivered,
        };
        let outcome = Outcome {
            columns: Some(columns),
            rows,
            more,
            rowcount,
            later: Vec::new(),
        };
        let pages = next.map(|next| Pages {
            shape,
            next,
            delivered,
        });
        (outcome, pages)
    }

    /// A later page as the batch to hand out: the pages end (`open` becomes `None`) with the
    /// last one, `next` being `None`.
    pub fn page(open: &mut Option<Pages<S, N>>, rows: Vec<Row>, next: Option<N>) -> Batch {
        let Some(pages) = open.as_mut() else {
            return Batch::end(-1);
        };
        pages.delivered = pages.delivered.saturating_add(rows.len() as i64);
        let rowcount = pages.delivered;
        match next {
            Some(next) => {
                pages.next = next;
                Batch {
                    rows,
                    done: false,
                    rowcount: -1,
                }
            }
            None => {
                *open = None;
                Batch {
                    rows,
                    done: true,
                    rowcount,
                }
            }
        }
    }
}

/// Rows of cells, each decoded by its column's type; a row of another width is malformed.
/// The cells are moved into `decode`: no copy of a reply's values.
pub fn decode_rows<T, C>(
    rows: Vec<Vec<C>>,
    types: &[T],
    decode: impl Fn(&T, C) -> Result<Value>,
) -> Result<Vec<Row>> {
    rows.into_iter()
        .map(|cells| decode_row(cells, types, &decode))
        .collect()
}

/// One row of [`decode_rows`].
pub fn decode_row<T, C>(
    cells: Vec<C>,
    types: &[T],
    decode: impl Fn(&T, C) -> Result<Value>,
) -> Result<Row> {
    if cells.len() != types.len() {
        return Err(Error::malformed(format!(
            "a row of {} values in a result of {} columns",
            cells.len(),
            types.len()
        )));
    }
    types.iter().zip(cells).map(|(t, c)| decode(t, c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: i64) -> Vec<Row> {
        (0..n).map(|i| vec![Value::Int(i)]).collect()
    }

    #[test]
    fn counts_rows_until_the_last_page() {
        let cols: Rc<[Column]> = Rc::from(vec![Column::new(
            "n",
            "int8",
            crate::core::LogicalType::Int64,
        )]);
        let (first, mut open) = Pages::first(cols.clone(), rows(2), (), Some("p2"), None);
        assert_eq!(
            (first.more, first.rowcount, first.rows.len()),
            (true, -1, 2)
        );
        let b = Pages::page(&mut open, rows(3), Some("p3"));
        assert_eq!((b.done, b.rowcount), (false, -1));
        assert_eq!(open.as_ref().map(|p| p.next), Some("p3"));
        let b = Pages::page(&mut open, rows(1), None);
        assert_eq!((b.done, b.rowcount), (true, 6));
        assert!(open.is_none());
        assert_eq!(Pages::page(&mut open, rows(1), None).rows.len(), 0);
        // One page only, and a total the server announced.
        let (first, open) = Pages::<(), ()>::first(cols.clone(), rows(4), (), None, None);
        assert_eq!(
            (first.more, first.rowcount, open.is_none()),
            (false, 4, true)
        );
        let (first, mut open) = Pages::first(cols, rows(1), (), Some(()), Some(10));
        assert_eq!((first.more, first.rowcount), (true, 10));
        assert_eq!(Pages::page(&mut open, rows(2), None).rowcount, 3);
    }

    #[test]
    fn rows_must_match_the_columns() {
        let ok = decode_rows(vec![vec![1, 2]], &["a", "b"], |_, c| Ok(Value::Int(c))).unwrap();
        assert_eq!(ok, vec![vec![Value::Int(1), Value::Int(2)]]);
        let e = decode_rows(vec![vec![1]], &["a", "b"], |_, c| Ok(Value::Int(c))).unwrap_err();
        assert!(e
            .message
            .contains("a row of 1 values in a result of 2 columns"));
    }
}
