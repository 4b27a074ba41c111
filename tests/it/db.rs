//! The database layer: writes that share a transaction (the group commit on SQLite) still succeed
//! or fail alone, and a read abandoned half-way does not spoil its connection.
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::future::join_all;
use partner_portal::{db::Db, entities::job_runs};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, QueryTrait, Statement};

use crate::helpers::*;

#[tokio::test]
async fn a_failing_write_among_concurrent_ones_is_refused_alone_and_whole() {
    let app = spawn_app().await;
    let db = &app.core.db;
    let row = |name: String| {
        job_runs::Entity::insert(job_runs::ActiveModel {
            name: Set(name),
            last_run_at: Set(Utc::now()),
        })
        .build(db.backend())
    };
    // Twenty writers of two rows each, sent together so they queue for the same commit.
    // Writer 7's second row repeats writer 3's first row, so the primary key refuses whichever
    // of the two comes second (on SQLite always writer 7, queued after writer 3; PostgreSQL
    // runs them concurrently).
    let results = join_all((0..20).map(|i| {
        let second = if i == 7 {
            "w3-a".to_string()
        } else {
            format!("w{i}-b")
        };
        db.commit_all(vec![row(format!("w{i}-a")), row(second)])
    }))
    .await;

    let refused: Vec<usize> = (0..20).filter(|&i| results[i].is_err()).collect();
    assert_eq!(refused.len(), 1, "exactly one writer refused: {results:?}");
    let loser = refused[0];
    assert!(
        loser == 3 || loser == 7,
        "writer {loser} refused: {results:?}"
    );
    if !on_postgres() {
        assert_eq!(loser, 7, "the group commit keeps the order jobs came in");
    }
    let names: Vec<String> = job_runs::Entity::find()
        .all(&db.read)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .filter(|n| n.starts_with('w'))
        .collect();
    assert_eq!(names.len(), 38, "every other writer's two rows: {names:?}");
    let lost_row = if loser == 7 { "w7-a" } else { "w3-b" };
    assert!(
        !names.contains(&lost_row.to_string()),
        "the refused writer's other row was rolled back with it"
    );
}

/// `WITH RECURSIVE` numbers 1..=n, as `select` over them.
fn numbers(backend: DbBackend, n: u32, select: &str) -> Statement {
    Statement::from_string(
        backend,
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             SELECT {select} FROM n"
        ),
    )
}

async fn first_three(db: &Db) -> Vec<i64> {
    let rows = db
        .read
        .query_all_raw(numbers(db.backend(), 3, "CAST(i AS BIGINT) AS i"))
        .await
        .unwrap();
    rows.iter().map(|r| r.try_get("", "i").unwrap()).collect()
}

#[tokio::test]
async fn a_read_abandoned_half_way_leaves_its_connection_ready_for_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir).await;
    // One read connection on SQLite, so the next read goes through the abandoned one's.
    let db = Db::connect(&url, 1, 0).await.unwrap();
    for round in 0..3 {
        // A caller that gives up after a few of five million rows (a request cancelled by
        // its client). Only on SQLite: PostgreSQL's client reads its socket without yielding
        // while rows keep arriving, so the timeout would never fire.
        if !on_postgres() {
            let abandoned = tokio::time::timeout(
                Duration::from_millis(20),
                db.read.query_all_raw(numbers(db.backend(), 5_000_000, "i")),
            )
            .await;
            assert!(
                abandoned.is_err(),
                "round {round}: five million rows should take more than 20 ms"
            );
        }
        let next = tokio::time::timeout(Duration::from_secs(10), first_three(&db))
            .await
            .expect("the next read is not stuck behind the abandoned one");
        assert_eq!(
            next,
            vec![1, 2, 3],
            "round {round}: the next read gets its own rows"
        );
    }
}

#[tokio::test]
async fn a_read_abandoned_while_the_database_works_does_not_hold_up_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir).await;
    let db = Db::connect(&url, 2, 0).await.unwrap();
    assert_eq!(first_three(&db).await, vec![1, 2, 3]);
    // Counting twelve million numbers takes seconds, and SQLite cannot be interrupted: its
    // connection stays busy after the caller gives up.
    let abandoned = tokio::time::timeout(
        Duration::from_millis(50),
        db.read
            .query_all_raw(numbers(db.backend(), 12_000_000, "count(*) AS i")),
    )
    .await;
    assert!(abandoned.is_err(), "the count should take more than 50 ms");
    // Two reads at once: each must get a free connection, not the busy one.
    let started = Instant::now();
    let (a, b) = tokio::join!(first_three(&db), first_three(&db));
    assert_eq!((a, b), (vec![1, 2, 3], vec![1, 2, 3]));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the reads waited {:?}, behind the abandoned count",
        started.elapsed()
    );
}
