//! Text search through the index the `search` migration keeps (`search_docs`): FTS5 with the
//! trigram tokenizer on SQLite, a pg_trgm GIN index on PostgreSQL. Both answer "the record's
//! text contains these characters, in any case", so a search gives the same rows on either
//! database. Fewer than three characters cannot use a trigram index: callers fall back to a
//! scan for those (`SearchText::Short`).
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Func, IntoColumnRef, LikeExpr, Order, Query, SimpleExpr},
    Condition, ConnectionTrait, DbBackend, DbErr, Statement,
};
use uuid::Uuid;

use crate::db::Db;

/// What a search box holds, trimmed.
pub enum SearchText {
    /// Nothing to search for.
    Empty,
    /// One or two characters: matched by scanning (no trigram index can answer).
    Short(String),
    /// Three characters or more: answered by the index (when it matches few enough records,
    /// see `selective`).
    Indexed(String),
}

impl SearchText {
    /// Control characters (a NUL, a tab…) are dropped: no record's text holds them, and
    /// PostgreSQL refuses a NUL in a parameter.
    pub fn parse(raw: &str) -> Self {
        let printable: String = raw.chars().filter(|c| !c.is_control()).collect();
        let s = printable.trim();
        match s.chars().count() {
            0 => Self::Empty,
            1 | 2 => Self::Short(s.to_string()),
            _ => Self::Indexed(s.to_string()),
        }
    }
}

/// The kinds of record the index holds (the `kind` column).
#[derive(Debug, Clone, Copy)]
pub enum Doc {
    /// A registration, scoped by its partner: its account's company and email, its friendly name.
    Registration,
    /// An account: company, primary email, tags.
    Account,
    /// A partner: company and contact name.
    Partner,
    /// An audit event, scoped by its partner: the actor's label.
    Audit,
}

impl Doc {
    fn kind(self) -> &'static str {
        match self {
            Self::Registration => "registration",
            Self::Account => "account",
            Self::Partner => "partner",
            Self::Audit => "audit",
        }
    }

    /// The SQLite FTS table that indexes this kind.
    fn fts_table(self) -> &'static str {
        match self {
            Self::Registration => "registration_fts",
            Self::Account => "account_fts",
            Self::Partner => "partner_fts",
            Self::Audit => "audit_fts",
        }
    }
}

/// Above this many matching documents a search is answered by scanning the list in its order
/// instead (SQLite): matches that dense fill a page within the first rows, while reading
/// every match and sorting them would not stay fast.
const DENSE: usize = 1000;

/// How a list answers a search of three characters or more.
pub enum Plan {
    /// `id IN (matching records)`: few enough matches to read them all through the index.
    Index(SimpleExpr),
    /// So many matches that scanning the list in its order fills a page sooner.
    Scan,
}

/// The plan for a search of `needle` among `doc`s in `scope`, the condition on `id_column`.
///
/// On SQLite the FTS index is read once, for at most `DENSE + 1` rowids: more is a `Scan`;
/// otherwise those documents are read by rowid (`+` keeps SQLite off the kind and scope
/// indexes) and the outer rows by id (callers filter them on the scope with `unindexed_eq`).
/// On PostgreSQL a subquery on the trigram index; its planner weighs the rest itself.
///
/// `newest`: the list shows registrations newest first with no other filter, and needs this
/// many of them. On PostgreSQL the subquery then picks them itself by the documents'
/// `sort_at` (the registration's creation time), so only those rows are read by key.
pub async fn plan(
    db: &Db,
    id_column: impl IntoColumnRef,
    doc: Doc,
    scope: Option<Uuid>,
    needle: &str,
    newest: Option<u64>,
) -> Result<Plan, DbErr> {
    let d = Alias::new("d");
    let mut sub = Query::select();
    sub.column((d.clone(), Alias::new("subject_id")))
        .from_as(Alias::new("search_docs"), d.clone());
    if db.is_postgres() {
        // The kind as a literal, not a bound value: each kind has its own partial index
        // (`WHERE kind = '…'`), which a plan made for any value of a parameter could not use.
        sub.and_where(Expr::cust(format!("d.kind = '{}'", doc.kind())));
        if let Some(scope) = scope {
            sub.and_where(Expr::col((d.clone(), Alias::new("scope_id"))).eq(scope));
        }
        // The trigram index answers for the rarest-looking word (its trigrams are a subset of
        // the whole text's, and common words' lists are long: "Customer 0421" at a million
        // registrations takes 0.8 s as a whole, milliseconds by "0421"); `strpos`, which no
        // index serves, checks the whole text on those rows only.
        match probe_order(needle).first() {
            Some(word) => {
                sub.and_where(Expr::cust_with_values(
                    r"lower(d.body) LIKE $1 ESCAPE '\'",
                    [like_pattern(word)],
                ));
                sub.and_where(Expr::cust_with_values(
                    "strpos(lower(d.body), $1) > 0",
                    [needle.trim().to_lowercase()],
                ));
            }
            None => {
                sub.and_where(Expr::cust_with_values(
                    r"lower(d.body) LIKE $1 ESCAPE '\'",
                    [like_pattern(needle)],
                ));
            }
        }
        if let (Doc::Registration, Some(n)) = (doc, newest) {
            sub.order_by((d.clone(), Alias::new("sort_at")), Order::Desc)
                .order_by((d.clone(), Alias::new("subject_id")), Order::Desc)
                .limit(n);
        }
        return Ok(Plan::Index(
            Expr::col(id_column).in_subquery(sub.to_owned()),
        ));
    }
    let table = doc.fts_table();
    // A search of several words ("Customer 0421") is read through its rarest-looking word and
    // the candidates checked against the whole text: a phrase makes FTS5 read the documents
    // of every trigram, and the common words' trigrams ("cus", "sto"…) are in most documents.
    let mut candidates = None;
    for word in probe_order(needle) {
        let ids = probe(db, table, word, FEW).await?;
        if ids.len() <= FEW {
            candidates = Some(ids);
            break;
        }
    }
    let ids = match candidates {
        Some(ids) => {
            sub.and_where(Expr::cust_with_values(
                r"lower(d.body) LIKE ? ESCAPE '\'",
                [like_pattern(needle)],
            ));
            ids
        }
        None => {
            let ids = probe(db, table, needle, DENSE).await?;
            if ids.len() > DENSE {
                return Ok(Plan::Scan);
            }
            ids
        }
    };
    sub.and_where(Expr::col((d.clone(), Alias::new("id"))).is_in(ids))
        .and_where(Expr::cust_with_values("+d.kind = ?", [doc.kind()]));
    if let Some(scope) = scope {
        sub.and_where(Expr::cust_with_values("+d.scope_id = ?", [scope]));
    }
    Ok(Plan::Index(
        Expr::col(id_column).in_subquery(sub.to_owned()),
    ))
}

/// The condition "the record of `id_column` contains the search box's `text`" for a list:
/// through the index when it answers (`plan`), else `scan` given the LIKE pattern (a short
/// text, or one that matches so many records that reading the list in its order is quicker).
/// None when the box is empty.
pub async fn matching(
    db: &Db,
    id_column: impl IntoColumnRef,
    doc: Doc,
    text: &str,
    scan: impl FnOnce(&str) -> Condition,
) -> Result<Option<Condition>, DbErr> {
    let needle = match SearchText::parse(text) {
        SearchText::Empty => return Ok(None),
        SearchText::Short(needle) => needle,
        SearchText::Indexed(needle) => match plan(db, id_column, doc, None, &needle, None).await? {
            Plan::Index(condition) => return Ok(Some(Condition::all().add(condition))),
            Plan::Scan => needle,
        },
    };
    Ok(Some(scan(&like_pattern(&needle))))
}

/// A word of a longer search is used alone when it matches at most this many documents.
const FEW: usize = 200;

/// The rowids of at most `limit + 1` documents of the FTS `table` that contain `text`.
async fn probe(db: &Db, table: &str, text: &str, limit: usize) -> Result<Vec<i64>, DbErr> {
    let probe = Statement::from_sql_and_values(
        DbBackend::Sqlite,
        format!("SELECT rowid AS id FROM {table} WHERE {table} MATCH ? LIMIT ?"),
        [phrase(text).into(), (limit as i64 + 1).into()],
    );
    db.read
        .query_all_raw(probe)
        .await?
        .iter()
        .map(|r| r.try_get::<i64>("", "id"))
        .collect()
}

/// The words of a search of several words worth reading alone (three characters or more),
/// likeliest to be rare first: words with digits or `@`, then longer words. At most three, so
/// that a search of common words costs little before it falls back to the whole phrase.
/// None for text beyond ASCII: SQLite's `lower` folds ASCII only, and the check of the
/// candidates must fold case as the index does.
fn probe_order(needle: &str) -> Vec<&str> {
    if !needle.is_ascii() {
        return Vec::new();
    }
    let mut words: Vec<&str> = needle
        .split_whitespace()
        .filter(|w| w.chars().count() >= 3)
        .collect();
    if words.len() < 2 {
        return Vec::new();
    }
    let marked = |w: &str| w.chars().any(|c| c.is_ascii_digit() || c == '@');
    words.sort_by_key(|w| (!marked(w), std::cmp::Reverse(w.chars().count())));
    words.truncate(3);
    words
}

/// `table.column = value` that SQLite answers without an index (`+`): the scope filter of a
/// query that `containing` drives.
pub fn unindexed_eq(backend: DbBackend, table: &str, column: &str, value: Uuid) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::col((Alias::new(table), Alias::new(column))).eq(value),
        _ => Expr::cust_with_values(format!("+\"{table}\".\"{column}\" = ?"), [value]),
    }
}

/// An FTS5 phrase: the text in double quotes, its own quotes doubled.
fn phrase(needle: &str) -> String {
    format!("\"{}\"", needle.replace('"', "\"\""))
}

/// `%needle%` in lower case with LIKE's wildcards escaped (control characters dropped).
pub fn like_pattern(needle: &str) -> String {
    let printable: String = needle.chars().filter(|c| !c.is_control()).collect();
    format!(
        "%{}%",
        printable
            .trim()
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// Case-insensitive LIKE on a column named with its table (queries here join tables that
/// share column names).
pub fn ilike<C: sea_orm::ColumnTrait>(col: C, pattern: &str) -> sea_orm::sea_query::SimpleExpr {
    Expr::expr(Func::lower(Expr::col((col.entity_name(), col))))
        .like(LikeExpr::new(pattern.to_string()).escape('\\'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_three_characters_or_more_use_the_index() {
        assert!(matches!(SearchText::parse("  "), SearchText::Empty));
        assert!(matches!(SearchText::parse(" ab "), SearchText::Short(s) if s == "ab"));
        assert!(matches!(SearchText::parse("abc"), SearchText::Indexed(s) if s == "abc"));
        assert!(matches!(SearchText::parse("äöü"), SearchText::Indexed(_)));
        assert!(matches!(SearchText::parse("a\0b\tc"), SearchText::Indexed(s) if s == "abc"));
        assert_eq!(like_pattern("a\0b"), "%ab%");
    }

    #[test]
    fn a_search_of_several_words_probes_the_rarest_looking_first() {
        assert_eq!(probe_order("Customer 0421"), ["0421", "Customer"]);
        assert_eq!(probe_order("acme x northwind"), ["northwind", "acme"]);
        assert!(probe_order("northwind").is_empty());
        assert!(probe_order("ab cd").is_empty());
        assert!(probe_order("Müller 0421").is_empty());
    }

    #[test]
    fn quotes_and_wildcards_are_taken_literally() {
        assert_eq!(phrase(r#"a"b"#), r#""a""b""#);
        assert_eq!(like_pattern("50%_x"), r"%50\%\_x%");
    }
}
