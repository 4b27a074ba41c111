//! Writes that share a transaction (the group commit on SQLite) still succeed or fail alone.
use chrono::Utc;
use futures_util::future::join_all;
use partner_portal::entities::job_runs;
use sea_orm::{ActiveValue::Set, EntityTrait, QueryTrait};

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
    // Writer 7's second row repeats writer 3's first row, which the primary key refuses.
    let results = join_all((0..20).map(|i| {
        let second = if i == 7 {
            "w3-a".to_string()
        } else {
            format!("w{i}-b")
        };
        db.commit_all(vec![row(format!("w{i}-a")), row(second)])
    }))
    .await;

    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.is_ok(), i != 7, "writer {i}: {r:?}");
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
    assert!(
        !names.contains(&"w7-a".to_string()),
        "the refused writer's first row was rolled back with it"
    );
}
