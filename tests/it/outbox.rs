//! The email outbox: messages survive restarts, failures are retried, and several instances
//! never send one message twice.
use partner_portal::email::{outbox, EmailMessage};

use crate::helpers::*;

#[tokio::test]
async fn a_queued_email_survives_a_restart_before_it_is_sent() {
    // The first instance cannot reach its SMTP server.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let app = spawn_app_with(
        Options::default()
            .var("SMTP_URL", format!("smtp://127.0.0.1:{dead_port}"))
            .var("MAIL_RETRY_BASE_MS", 60_000),
    )
    .await;
    let c = app.client();
    c.post_form(
        "/partners/register",
        "/partners/register",
        &[("email", "restart@example.com")],
    )
    .await;
    assert_eq!(app.count("outbox").await, 1);
    // The worker has tried (and failed to reach its server) before the restart.
    app.mail_rounds_pass(2).await;
    let smtp = app.smtp.clone();
    assert!(smtp.all().is_empty());
    let (smtp, db, dir) = app.stop().await;

    // A restart that reaches a working server delivers it. The retry was scheduled a minute
    // out; make it due now, as time passing would.
    let app = spawn_app_with(Options {
        smtp: Some(smtp),
        database_url: Some(db),
        dir: Some(dir),
        ..Options::default()
    })
    .await;
    use sea_orm::ConnectionTrait;
    app.core
        .db
        .write
        .execute_unprepared("UPDATE outbox SET next_attempt_at = created_at")
        .await
        .unwrap();
    app.core.wake_mailer();
    let mail = app
        .smtp
        .wait_for("restart@example.com", "Finish your partner registration")
        .await;
    assert!(mail.text.contains("/partners/register/"));
}

#[tokio::test]
async fn a_failing_smtp_server_is_retried_until_it_answers() {
    let smtp = SmtpServer::start();
    smtp.fail_next(3);
    let app = spawn_app_with(Options {
        smtp: Some(smtp),
        ..Options::default()
    })
    .await;
    app.client()
        .post_form(
            "/partners/register",
            "/partners/register",
            &[("email", "retry@example.com")],
        )
        .await;
    let mail = app
        .smtp
        .wait_for("retry@example.com", "Finish your partner registration")
        .await;
    assert_eq!(app.smtp.to("retry@example.com").len(), 1);
    assert!(mail.text.contains("/partners/register/"));
}

#[tokio::test]
async fn two_instances_on_one_database_send_each_message_exactly_once() {
    let a = spawn_app().await;
    let b = spawn_app_with(Options {
        smtp: Some(a.smtp.clone()),
        database_url: Some(a.config.database_url.clone()),
        ..Options::default()
    })
    .await;
    for i in 0..40 {
        outbox::enqueue(
            &a.core.db.write,
            EmailMessage {
                to: format!("n{i}@example.com"),
                subject: format!("Message {i}"),
                text: "hello".into(),
                html: "<p>hello</p>".into(),
            },
        )
        .await
        .unwrap();
    }
    a.core.wake_mailer();
    b.core.wake_mailer();
    wait_until(|| a.smtp.all().len() >= 40, "40 messages").await;
    // A message taken by both instances would be sent by the second within its round.
    a.mail_rounds_pass(2).await;
    b.mail_rounds_pass(2).await;
    let mut subjects: Vec<String> = a.smtp.all().into_iter().map(|m| m.subject).collect();
    subjects.sort();
    let before = subjects.len();
    subjects.dedup();
    assert_eq!(before, 40, "every message sent");
    assert_eq!(subjects.len(), 40, "no message sent twice");
}
