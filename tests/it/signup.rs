//! Partner self-registration, email first, through a real SMTP server.
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_partner_signs_up_by_email_signs_in_and_sees_its_company_active() {
    let app = spawn_app().await;
    let c = app.client();

    // Step 1: the email.
    c.post_form(
        "/partners/register",
        "/partners/register",
        &[("email", "Ann@Example.com")],
    )
    .await
    .expect_status(StatusCode::OK)
    .expect_text("Check your inbox");

    // Step 2: the link in the email opens the form.
    let mail = app
        .smtp
        .wait_for("ann@example.com", "Finish your partner registration")
        .await;
    assert!(
        mail.html.contains("href=\"http"),
        "the HTML body has a clickable link"
    );
    let path = link(&mail.text, "/partners/register/").replace(&app.base, "");
    c.get(&path)
        .await
        .expect_status(StatusCode::OK)
        .expect_text("ann@example.com");

    // Step 3: the form creates the org and sends the confirmation.
    c.post_form(
        &path,
        &path,
        &[
            ("company_name", "Acme Resellers"),
            ("contact_name", "Ann Example"),
            ("country", "FR"),
            ("phone", "+33 1 23 45 67 89"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    )
    .await
    .expect_redirect("/login");
    let welcome = app
        .smtp
        .wait_for("ann@example.com", "your partner account is ready")
        .await;
    assert!(welcome.text.contains("Acme Resellers"));

    // Step 4: sign in and see the company, Active, with its org id.
    c.sign_in("ann@example.com", PASSWORD)
        .await
        .expect_redirect("/");
    let home = c.get("/").await;
    home.expect_status(StatusCode::OK)
        .expect_text("Acme Resellers")
        .expect_text("Ann Example")
        .expect_text("Active");
    let org_id = welcome
        .text
        .split_whitespace()
        .find(|w| w.len() >= 36 && w.contains('-'))
        .unwrap()
        .trim_end_matches('.')
        .to_string();
    home.expect_text(&org_id);

    // Clicking the company opens its details.
    c.get("/company")
        .await
        .expect_status(StatusCode::OK)
        .expect_text("France")
        .expect_text("+33 1 23 45 67 89");
}

#[tokio::test]
async fn a_second_sign_up_with_a_registered_email_looks_the_same_but_the_email_says_so() {
    let app = spawn_app().await;
    app.partner("taken@example.com", "Taken Ltd").await;

    let fresh = app
        .client()
        .post_form(
            "/partners/register",
            "/partners/register",
            &[("email", "new@example.com")],
        )
        .await;
    let again = app
        .client()
        .post_form(
            "/partners/register",
            "/partners/register",
            &[("email", "taken@example.com")],
        )
        .await;
    assert_eq!(fresh.status, again.status);
    let strip = |p: &Page, e: &str| p.without_csrf().replace(e, "EMAIL");
    assert_eq!(
        strip(&fresh, "new@example.com"),
        strip(&again, "taken@example.com")
    );

    let mail = app
        .smtp
        .wait_for("taken@example.com", "You already have a partner account")
        .await;
    assert!(mail.text.contains("/login"));
    assert!(
        !mail.text.contains("/partners/register/"),
        "no registration link is sent"
    );
}

#[tokio::test]
async fn a_used_sign_up_link_answers_a_clear_page_and_creates_nothing_more() {
    let app = spawn_app().await;
    app.partner("once@example.com", "Once Ltd").await;
    let mail = app
        .smtp
        .wait_for("once@example.com", "Finish your partner registration")
        .await;
    let path = link(&mail.text, "/partners/register/").replace(&app.base, "");

    let page = app.client().get(&path).await;
    page.expect_status(StatusCode::GONE)
        .expect_text("already been used");
    assert_eq!(app.count("partners").await, 1);
}

#[tokio::test]
async fn an_expired_sign_up_link_answers_a_clear_page() {
    let app = spawn_app().await;
    let c = app.client();
    c.post_form(
        "/partners/register",
        "/partners/register",
        &[("email", "late@example.com")],
    )
    .await;
    let mail = app
        .smtp
        .wait_for("late@example.com", "Finish your partner registration")
        .await;
    let path = link(&mail.text, "/partners/register/").replace(&app.base, "");
    c.get(&path).await.expect_status(StatusCode::OK);
    // A sign-up link lives 24 hours by default.
    app.clock
        .advance(chrono::Duration::hours(24) + chrono::Duration::minutes(1));

    c.get(&path)
        .await
        .expect_status(StatusCode::GONE)
        .expect_text("This link has expired")
        .expect_text("Start the registration again");
    let submit = c
        .post_form("/partners/register", &path, &[("company_name", "Late Ltd")])
        .await;
    submit.expect_status(StatusCode::GONE);
    assert_eq!(app.count("partners").await, 0);
}

#[tokio::test]
async fn a_guessed_sign_up_link_is_refused() {
    let app = spawn_app().await;
    app.client()
        .get("/partners/register/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await
        .expect_status(StatusCode::NOT_FOUND)
        .expect_text("This link is not valid");
}

#[tokio::test]
async fn a_newer_sign_up_link_makes_the_older_one_unusable() {
    let app = spawn_app().await;
    let c = app.client();
    for _ in 0..2 {
        c.post_form(
            "/partners/register",
            "/partners/register",
            &[("email", "twice@example.com")],
        )
        .await;
    }
    for _ in 0..300 {
        if app.smtp.to("twice@example.com").len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mails = app.smtp.to("twice@example.com");
    assert_eq!(mails.len(), 2);
    let paths: Vec<String> = mails
        .iter()
        .map(|m| link(&m.text, "/partners/register/").replace(&app.base, ""))
        .collect();
    let statuses = [c.get(&paths[0]).await.status, c.get(&paths[1]).await.status];
    assert!(
        statuses.contains(&StatusCode::GONE) && statuses.contains(&StatusCode::OK),
        "{statuses:?}"
    );
}
