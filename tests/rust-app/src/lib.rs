//! The app: a booklist kept in PostgreSQL (or any database webdbc reaches), as a Rust browser
//! app would keep it. Its tests (tests/app.rs) drive it, and webdbc's API around it, in Chromium.

use futures::StreamExt;
use webdbc::{params, Connection, Result};

/// A book of the list.
#[derive(Debug, PartialEq)]
pub struct Book {
    pub title: String,
    pub author: String,
    pub year: Option<i32>,
}

/// Creates the table if needed.
pub async fn create(conn: &Connection) -> Result<()> {
    let cur = conn.cursor()?;
    cur.execute(
        "CREATE TABLE IF NOT EXISTS booklist (title text NOT NULL, author text NOT NULL, year int)",
        params![],
    )
    .await?;
    conn.commit().await
}

/// Adds books in one round trip.
pub async fn add(conn: &Connection, books: &[Book]) -> Result<()> {
    let cur = conn.cursor()?;
    let sets = books
        .iter()
        .map(|b| params![b.title.as_str(), b.author.as_str(), b.year])
        .collect();
    cur.execute_many("INSERT INTO booklist VALUES (?, ?, ?)", sets)
        .await?;
    conn.commit().await
}

/// The books of an author, streamed row by row.
pub async fn by_author(conn: &Connection, author: &str) -> Result<Vec<Book>> {
    let cur = conn.cursor()?;
    cur.execute(
        "SELECT title, author, year FROM booklist WHERE author = ? ORDER BY title",
        params![author],
    )
    .await?;
    let mut books = Vec::new();
    let mut rows = cur.rows();
    while let Some(row) = rows.next().await {
        let row = row?;
        books.push(Book {
            title: row.try_get("title")?,
            author: row.try_get("author")?,
            year: row.try_get("year")?,
        });
    }
    Ok(books)
}
