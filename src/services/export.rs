//! CSV exports, streamed: the header, then each page of rows as it is read ("the rows after
//! this cursor", keyset pagination), so an export of any size holds one page in memory. Cells
//! that people typed are neutralised against spreadsheet formulas here, in one place.
use std::{future::Future, sync::Arc};

use bytes::Bytes;
use futures_util::{stream, Stream};
use sea_orm::{ColumnTrait, Condition, Order, Value};

use super::Core;

/// How many rows an export reads at a time.
pub const PAGE_ROWS: u64 = 500;

/// One page of rows as an export reads it, and the cursor after its last row (`None`: there
/// is no next page).
pub struct Batch<R, C> {
    pub rows: Vec<R>,
    pub next: Option<C>,
}

impl<R, C> Batch<R, C> {
    /// A page from rows read with a limit of `limit + 1`: the extra row only says that there
    /// is a next page, which starts after the last row kept.
    pub fn of(mut rows: Vec<R>, limit: u64, cursor: impl Fn(&R) -> C) -> Self {
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next = if more { rows.last().map(cursor) } else { None };
        Self { rows, next }
    }

    /// Rows already read in full, as the one and last page.
    pub fn all(rows: Vec<R>) -> Self {
        Self { rows, next: None }
    }
}

/// What an export reads page by page: rows in an order with a unique last key, each page the
/// rows after the cursor the previous one ended at (so no row is skipped or repeated).
pub trait Paged: Clone + 'static {
    type Row;
    type Cursor;
    type Error;

    /// Up to `limit` rows after `after` (from the first row when `None`).
    fn page(
        &self,
        core: &Core,
        after: Option<Self::Cursor>,
        limit: u64,
    ) -> impl Future<Output = Result<Batch<Self::Row, Self::Cursor>, Self::Error>>;
}

/// The rows after a cursor, for a key whose columns are all in `order`: for a key (a, b, c)
/// ascending, a > x, or a = x and b > y, or a = x and b = y and c > z (descending: <).
pub fn after_key<C: ColumnTrait>(key: &[(C, Value)], order: Order) -> Condition {
    let mut after = Condition::any();
    for (i, (column, value)) in key.iter().enumerate() {
        let tie = key[..i]
            .iter()
            .fold(Condition::all(), |c, (col, v)| c.add(col.eq(v.clone())));
        after = after.add(tie.add(match order {
            Order::Desc => column.lt(value.clone()),
            _ => column.gt(value.clone()),
        }));
    }
    after
}

/// A cell of an exported row.
pub enum Cell {
    /// Text that people typed (names, emails, references, descriptions): one starting with
    /// `=`, `+`, `-`, `@` or a tab or carriage return is prefixed with a quote, so a
    /// spreadsheet shows it instead of running it (OWASP CSV injection).
    Text(String),
    /// A value the portal formats itself (amounts, dates, codes), written as it is: a negative
    /// amount stays a number.
    Value(String),
}

impl Cell {
    fn into_safe(self) -> String {
        match self {
            Cell::Text(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
            Cell::Text(s) | Cell::Value(s) => s,
        }
    }
}

/// The CSV text of an export: `header` first, then the rows of each page `fetch` reads (it is
/// given the cursor after the previous page, `None` for the first) as `record` writes them,
/// one chunk a page. A failed read ends the stream with its error.
pub fn csv<R, C, E, Fetch, Read, Record, Cells>(
    header: &'static [&'static str],
    fetch: Fetch,
    record: Record,
) -> impl Stream<Item = Result<Bytes, E>>
where
    Fetch: FnMut(Option<C>) -> Read,
    Read: Future<Output = Result<Batch<R, C>, E>>,
    Record: Fn(R) -> Cells,
    Cells: IntoIterator<Item = Cell>,
{
    enum Next<C> {
        First,
        After(C),
        Done,
    }
    stream::unfold(
        (Next::First, fetch, record),
        move |(next, mut fetch, record)| async move {
            let (after, header) = match next {
                Next::Done => return None,
                Next::First => (None, Some(header)),
                Next::After(c) => (Some(c), None),
            };
            match fetch(after).await {
                Ok(page) => {
                    let chunk = encode(header, page.rows.into_iter().map(&record));
                    let next = page.next.map_or(Next::Done, Next::After);
                    Some((Ok(chunk), (next, fetch, record)))
                }
                Err(e) => Some((Err(e), (Next::Done, fetch, record))),
            }
        },
    )
}

/// The CSV text of the rows `source` selects, read [`PAGE_ROWS`] at a time (see [`csv`]).
pub fn csv_paged<S: Paged, Cells: IntoIterator<Item = Cell>>(
    core: Arc<Core>,
    source: S,
    header: &'static [&'static str],
    record: impl Fn(S::Row) -> Cells,
) -> impl Stream<Item = Result<Bytes, S::Error>> {
    csv(
        header,
        move |after| {
            let (core, source) = (core.clone(), source.clone());
            async move { source.page(&core, after, PAGE_ROWS).await }
        },
        record,
    )
}

/// One page's CSV text (after the header, for the first).
fn encode<Cells: IntoIterator<Item = Cell>>(
    header: Option<&[&str]>,
    records: impl Iterator<Item = Cells>,
) -> Bytes {
    // Writing to memory cannot fail.
    let mut w = csv::Writer::from_writer(Vec::new());
    if let Some(h) = header {
        let _ = w.write_record(h);
    }
    for cells in records {
        let _ = w.write_record(cells.into_iter().map(Cell::into_safe));
    }
    Bytes::from(w.into_inner().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn text(s: &str) -> String {
        Cell::Text(s.into()).into_safe()
    }

    #[test]
    fn formulas_are_neutralised_in_text_cells() {
        assert_eq!(text("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(text("+1"), "'+1");
        assert_eq!(text("-2"), "'-2");
        assert_eq!(text("@SUM(1)"), "'@SUM(1)");
        assert_eq!(text("\tx"), "'\tx");
        assert_eq!(text("Acme"), "Acme");
        assert_eq!(Cell::Value("-12.50".into()).into_safe(), "-12.50");
    }

    #[test]
    fn a_page_read_with_one_extra_row_knows_its_next_cursor() {
        let p = Batch::of(vec![1, 2, 3], 2, |r| *r * 10);
        assert_eq!((p.rows, p.next), (vec![1, 2], Some(20)));
        let p = Batch::of(vec![1, 2], 2, |r| *r * 10);
        assert_eq!((p.rows, p.next), (vec![1, 2], None));
    }

    async fn collect<E: std::fmt::Debug>(
        s: impl Stream<Item = Result<Bytes, E>>,
    ) -> Vec<Result<String, E>> {
        s.map(|c| c.map(|b| String::from_utf8(b.to_vec()).unwrap()))
            .collect()
            .await
    }

    #[tokio::test]
    async fn the_header_comes_once_then_each_page_after_the_previous_cursor() {
        let mut asked = Vec::new();
        let chunks = collect(csv(
            &["n", "name"],
            |after: Option<u32>| {
                asked.push(after);
                let from = after.map_or(1, |a| a + 1);
                let rows: Vec<u32> = (from..=5).take(3).collect();
                std::future::ready(Ok::<_, ()>(Batch::of(rows, 2, |r| *r)))
            },
            |n| [Cell::Value(n.to_string()), Cell::Text(format!("={n}"))],
        ))
        .await;
        let chunks: Vec<String> = chunks.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            chunks,
            ["n,name\n1,'=1\n2,'=2\n", "3,'=3\n4,'=4\n", "5,'=5\n"]
        );
        assert_eq!(asked, [None, Some(2), Some(4)]);
    }

    #[tokio::test]
    async fn a_failed_read_ends_the_stream_with_its_error() {
        let chunks = collect(csv(
            &["n"],
            |after: Option<u32>| {
                std::future::ready(match after {
                    None => Ok(Batch {
                        rows: vec![1],
                        next: Some(1),
                    }),
                    Some(_) => Err("gone"),
                })
            },
            |n: u32| [Cell::Value(n.to_string())],
        ))
        .await;
        assert_eq!(chunks, [Ok("n\n1\n".to_string()), Err("gone")]);
    }
}
