//! The database layer: writes that share a transaction (the group commit on SQLite) still succeed
//! or fail alone, and a read abandoned half-way does not spoil its connection.
use chrono::Utc;
use futures_util::future::join_all;
use partner_portal::entities::job_runs;
use std::time::Duration;

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QueryTrait, Statement};

use crate::helpers::*;

#[tokio::test]
async fn a_failing_write_among_concurrent_ones_is_refused_alone_and_whole() {
    let app = spawn_app().await;
    let db = &app.state.db;
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

#[tokio::test]
async fn a_read_abandoned_half_way_leaves_its_connection_ready_for_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir).await;
    // One read connection, so every read below goes through the same one.
    let db = partner_portal::db::Db::connect(&url, 1).await.unwrap();
    let backend = db.backend();
    let numbers = |n: u32, select: &str| {
        Statement::from_string(
            backend,
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
                 SELECT {select} FROM n"
            ),
        )
    };
    for round in 0..2 {
        // A caller that gives up while the database is still counting millions of rows (a
        // request cancelled by its client).
        let abandoned = tokio::time::timeout(
            Duration::from_millis(20),
            db.read.query_all_raw(numbers(3_000_000, "count(*) AS i")),
        )
        .await;
        assert!(
            abandoned.is_err(),
            "round {round}: the long read should not finish in 20 ms: {:?}",
            abandoned.map(|r| r.map(|rows| rows.len()))
        );

        let rows = tokio::time::timeout(
            Duration::from_secs(10),
            db.read.query_all_raw(numbers(3, "CAST(i AS BIGINT) AS i")),
        )
        .await
        .expect("the next read is not stuck behind the abandoned one")
        .unwrap();
        let got: Vec<i64> = rows.iter().map(|r| r.try_get("", "i").unwrap()).collect();
        assert_eq!(
            got,
            vec![1, 2, 3],
            "round {round}: the next read gets its own rows"
        );
    }
}
