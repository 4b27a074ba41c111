//! Each security rule, attacked: session fixation, cookie replay after sign-out, CSRF,
//! throttling, reset links, role separation, suspended partners, account enumeration.
use partner_portal::{config::Config, startup::Application};
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn signing_in_gives_a_new_session_id() {
    let app = spawn_app().await;
    app.partner("fix@example.com", "Fixation Ltd").await;
    let c = app.client();
    c.sign_in("fix@example.com", PASSWORD).await;
    c.post_form("/", "/logout", &[])
        .await
        .expect_redirect("/login");
    let before = c
        .session_cookie()
        .expect("signing out leaves a session that holds the flash message");
    // Sign in while presenting that session (showing the sign-in page would end it, so the
    // form's token comes from another visit, with its cookie).
    let visit = app.client();
    let token = visit.get("/login").await.csrf();
    c.set_cookie(&format!("pp_csrf={}", visit.cookie("pp_csrf").unwrap()));
    c.post_raw(
        "/login",
        &[
            ("email", "fix@example.com"),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ],
    )
    .await
    .expect_redirect("/");
    let after = c.session_cookie().unwrap();
    assert_ne!(before, after);
    let home = c.get("/").await;
    assert!(
        !home.body.contains("You have been signed out."),
        "nothing of the earlier session carries over"
    );
    // The pre-sign-in cookie does not carry the signed-in user.
    Client::get_with_cookie(&app.base, "/company", &before)
        .await
        .expect_redirect("/login");
}

#[tokio::test]
async fn a_cookie_replayed_after_sign_out_is_not_signed_in() {
    let app = spawn_app().await;
    app.partner("out@example.com", "Out Ltd").await;
    let c = app.client();
    c.sign_in("out@example.com", PASSWORD).await;
    let cookie = c.session_cookie().unwrap();
    Client::get_with_cookie(&app.base, "/company", &cookie)
        .await
        .expect_status(StatusCode::OK);

    c.post_form("/", "/logout", &[])
        .await
        .expect_redirect("/login");
    let before = session_rows(&app).await.len();
    c.get("/login")
        .await
        .expect_text("You have been signed out.");
    // The session that only carried the message is gone once it is shown.
    assert_eq!(c.session_cookie(), None);
    assert_eq!(session_rows(&app).await.len(), before - 1);

    Client::get_with_cookie(&app.base, "/company", &cookie)
        .await
        .expect_redirect("/login");
}

#[tokio::test]
async fn a_form_without_or_with_a_wrong_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.partner("csrf@example.com", "Csrf Ltd").await;
    let c = app.client();
    c.sign_in("csrf@example.com", PASSWORD).await;
    let fields = [
        ("company_name", "Hijacked"),
        ("contact_name", "Mallory"),
        ("country", "GB"),
        ("phone", "+44 20 7946 0958"),
    ];
    c.post_raw("/company", &fields)
        .await
        .expect_status(StatusCode::FORBIDDEN);
    let mut wrong = fields.to_vec();
    wrong.push(("csrf_token", "not-the-token"));
    c.post_raw("/company", &wrong)
        .await
        .expect_status(StatusCode::FORBIDDEN)
        .expect_text("This form has expired");
    // A token from another session does not work either.
    let other = app.client();
    let foreign = other.get("/login").await.csrf();
    let mut foreign_fields = fields.to_vec();
    foreign_fields.push(("csrf_token", &foreign));
    c.post_raw("/company", &foreign_fields)
        .await
        .expect_status(StatusCode::FORBIDDEN);

    c.get("/company").await.expect_text("Csrf Ltd");
    // Sign-in itself needs the token (no login CSRF).
    app.client()
        .post_raw(
            "/login",
            &[("email", "csrf@example.com"), ("password", PASSWORD)],
        )
        .await
        .expect_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn signed_out_visitors_get_their_csrf_token_in_a_signed_cookie_not_a_session_row() {
    let app = spawn_app().await;
    app.partner("anon@example.com", "Anon Ltd").await;
    let before = session_rows(&app).await.len();
    let c = app.client();
    for path in [
        "/login",
        "/signup",
        "/partners/register",
        "/password/forgot",
    ] {
        let page = c.get(path).await;
        page.expect_status(StatusCode::OK);
        assert!(!page.csrf().is_empty(), "{path} has a CSRF token");
    }
    assert_eq!(
        session_rows(&app).await.len(),
        before,
        "showing forms to a visitor writes no session"
    );
    assert_eq!(c.session_cookie(), None);
    let cookie = c.cookie("pp_csrf").expect("the token's cookie");
    let token = c.get("/login").await.csrf();
    assert_eq!(
        c.cookie("pp_csrf"),
        Some(cookie.clone()),
        "one cookie per visitor"
    );
    assert_ne!(
        cookie, token,
        "the cookie carries a signature beside the token"
    );

    async fn sign_in_with(c: &Client, token: &str) -> Page {
        let fields = [
            ("email", "anon@example.com"),
            ("password", PASSWORD),
            ("csrf_token", token),
        ];
        c.post_raw("/login", &fields).await
    }
    // A cookie the server did not sign is ignored, even with the same value in the form.
    let forger = app.client();
    forger.set_cookie("pp_csrf=forged-token-forged-token-forged-token1");
    sign_in_with(&forger, "forged-token-forged-token-forged-token1")
        .await
        .expect_status(StatusCode::FORBIDDEN);
    // So is a signed cookie whose token was changed.
    let altered = app.client();
    altered.set_cookie(&format!("pp_csrf={}x", cookie));
    sign_in_with(&altered, &format!("{token}x"))
        .await
        .expect_status(StatusCode::FORBIDDEN);
    // Another visitor's token does not go with this visitor's cookie.
    let other = app.client();
    other.get("/login").await;
    sign_in_with(&other, &token)
        .await
        .expect_status(StatusCode::FORBIDDEN);
    // The visitor's own token and cookie sign in.
    sign_in_with(&c, &token).await.expect_redirect("/");
    assert!(c.session_cookie().is_some());
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    app.partner("known@example.com", "Known Ltd").await;
    let wrong = app
        .client()
        .sign_in("known@example.com", "wrong-password-123")
        .await;
    let unknown = app
        .client()
        .sign_in("nobody@example.com", "wrong-password-123")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, unknown.status);
    let normalise = |p: &Page, e: &str| p.without_csrf().replace(e, "EMAIL");
    assert_eq!(
        normalise(&wrong, "known@example.com"),
        normalise(&unknown, "nobody@example.com")
    );
    wrong.expect_text("Email or password is incorrect.");
}

#[tokio::test]
async fn repeated_failures_lock_the_account_even_for_the_right_password() {
    let app = spawn_app().await;
    app.partner("brute@example.com", "Brute Ltd").await;
    let c = app.client();
    for _ in 0..5 {
        c.sign_in("brute@example.com", "guess-password-1")
            .await
            .expect_status(StatusCode::UNAUTHORIZED);
    }
    c.sign_in("brute@example.com", PASSWORD)
        .await
        .expect_status(StatusCode::TOO_MANY_REQUESTS)
        .expect_text("Too many failed sign-in attempts");
    // Unknown accounts are throttled the same way (nothing to learn from the answer).
    for _ in 0..5 {
        c.sign_in("ghost@example.com", "guess-password-1").await;
    }
    c.sign_in("ghost@example.com", "guess-password-1")
        .await
        .expect_status(StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_throttled_across_accounts() {
    let app = spawn_app_with(Options::default().var("THROTTLE_IP_LIMIT", 4)).await;
    app.partner("victim@example.com", "Victim Ltd").await;
    let c = app.client();
    for i in 0..4 {
        c.sign_in(&format!("spray{i}@example.com"), "guess-password-1")
            .await;
    }
    c.sign_in("victim@example.com", PASSWORD)
        .await
        .expect_status(StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_reset_link_works_once_and_ends_every_session() {
    let app = spawn_app().await;
    app.partner("reset@example.com", "Reset Ltd").await;
    let elsewhere = app.client();
    elsewhere
        .sign_in("reset@example.com", PASSWORD)
        .await
        .expect_redirect("/");

    let c = app.client();
    c.post_form(
        "/password/forgot",
        "/password/forgot",
        &[("email", "reset@example.com")],
    )
    .await
    .expect_text("Check your inbox");
    let mail = app
        .smtp
        .wait_for("reset@example.com", "Reset your Partner Portal password")
        .await;
    let path = link(&mail.text, "/password/reset/").replace(&app.base, "");
    let new_password = "brand-new-passphrase-42";
    c.post_form(
        &path,
        &path,
        &[
            ("password", new_password),
            ("password_confirm", new_password),
        ],
    )
    .await
    .expect_redirect("/login");
    c.get("/login")
        .await
        .expect_text("Your password has been changed. Sign in with the new password.");

    // Used once: the link is dead, for viewing and for posting.
    c.get(&path)
        .await
        .expect_status(StatusCode::GONE)
        .expect_text("already been used");
    let again = c
        .post_form(
            "/password/forgot",
            &path,
            &[
                ("password", "another-passphrase-9"),
                ("password_confirm", "another-passphrase-9"),
            ],
        )
        .await;
    again.expect_status(StatusCode::GONE);

    // The other session is over; the old password no longer works; the new one does.
    elsewhere.get("/company").await.expect_redirect("/login");
    app.client()
        .sign_in("reset@example.com", PASSWORD)
        .await
        .expect_status(StatusCode::UNAUTHORIZED);
    app.client()
        .sign_in("reset@example.com", new_password)
        .await
        .expect_redirect("/");
    app.smtp
        .wait_for("reset@example.com", "password was changed")
        .await;
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let app = spawn_app().await;
    app.partner("slow@example.com", "Slow Ltd").await;
    let c = app.client();
    c.post_form(
        "/password/forgot",
        "/password/forgot",
        &[("email", "slow@example.com")],
    )
    .await;
    let mail = app.smtp.wait_for("slow@example.com", "Reset your").await;
    let path = link(&mail.text, "/password/reset/").replace(&app.base, "");
    c.get(&path).await.expect_status(StatusCode::OK);
    // A reset link lives an hour by default.
    app.clock.advance(chrono::Duration::minutes(61));
    c.get(&path)
        .await
        .expect_status(StatusCode::GONE)
        .expect_text("This link has expired");
    c.post_form(
        "/password/forgot",
        &path,
        &[
            ("password", "brand-new-passphrase-42"),
            ("password_confirm", "brand-new-passphrase-42"),
        ],
    )
    .await
    .expect_status(StatusCode::GONE);
    app.client()
        .sign_in("slow@example.com", PASSWORD)
        .await
        .expect_redirect("/");
}

#[tokio::test]
async fn a_reset_request_for_an_unknown_email_looks_the_same_and_sends_nothing() {
    let app = spawn_app().await;
    let page = app
        .client()
        .post_form(
            "/password/forgot",
            "/password/forgot",
            &[("email", "nobody@example.com")],
        )
        .await;
    page.expect_status(StatusCode::OK)
        .expect_text("Check your inbox");
    assert!(app.queued_to("nobody@example.com").await.is_empty());
}

#[tokio::test]
async fn partners_cannot_open_staff_pages_and_staff_cannot_open_partner_pages() {
    let app = spawn_app().await;
    app.partner("p@example.com", "P Ltd").await;
    app.staff("staff@example.com").await;
    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    // The refusal keeps the signed-in header: who is signed in, and a way out.
    let refused = partner.get("/staff/partners").await;
    refused
        .expect_status(StatusCode::FORBIDDEN)
        .expect_text("Not allowed")
        .expect_text("P Ltd")
        .expect_text("Sign out");
    assert!(!refused.body.contains(">Sign in<"), "{}", refused.body);
    partner
        .get("/no-such-page")
        .await
        .expect_status(StatusCode::NOT_FOUND)
        .expect_text("Sign out");
    partner
        .get("/staff")
        .await
        .expect_status(StatusCode::FORBIDDEN);
    let id = app.partner("q@example.com", "Q Ltd").await;
    partner
        .post_form("/company", &format!("/staff/partners/{id}/suspend"), &[])
        .await
        .expect_status(StatusCode::FORBIDDEN);

    let staff = app.client();
    staff
        .sign_in("staff@example.com", PASSWORD)
        .await
        .expect_redirect("/staff/approvals");
    staff
        .get("/company")
        .await
        .expect_status(StatusCode::FORBIDDEN);
    staff
        .get("/company/users")
        .await
        .expect_status(StatusCode::FORBIDDEN);

    // Not signed in at all: sent to sign in, and brought back afterwards.
    let anon = app.client();
    anon.get("/staff/partners")
        .await
        .expect_redirect("/login?next=%2Fstaff%2Fpartners");
    anon.post_form(
        "/login?next=/staff/partners",
        "/login",
        &[
            ("email", "staff@example.com"),
            ("password", PASSWORD),
            ("next", "/staff/partners"),
        ],
    )
    .await
    .expect_redirect("/login/code");
    // The page asked for survives the second factor's step.
    let code = app.auth.code("staff@example.com");
    anon.post_form("/login/code", "/login/code", &[("code", &code)])
        .await
        .expect_redirect("/staff/partners");
}

#[tokio::test]
async fn sign_in_never_redirects_off_site() {
    let app = spawn_app().await;
    app.partner("r@example.com", "R Ltd").await;
    for evil in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let page = app
            .client()
            .post_form(
                "/login",
                "/login",
                &[
                    ("email", "r@example.com"),
                    ("password", PASSWORD),
                    ("next", evil),
                ],
            )
            .await;
        assert_eq!(page.location(), "/", "next={evil}");
    }
}

#[tokio::test]
async fn a_suspended_partner_cannot_sign_in_and_is_signed_out() {
    let app = spawn_app().await;
    let id = app.partner("sus@example.com", "Sus Ltd").await;
    app.staff("staff@example.com").await;
    let partner = app.client();
    partner
        .sign_in("sus@example.com", PASSWORD)
        .await
        .expect_redirect("/");

    let staff = app.client();
    staff.sign_in("staff@example.com", PASSWORD).await;
    staff
        .post_form(
            "/staff/partners",
            &format!("/staff/partners/{id}/suspend"),
            &[("confirmed", "yes")],
        )
        .await
        .expect_redirect("/staff/partners");

    partner.get("/company").await.expect_redirect("/login");
    app.client()
        .sign_in("sus@example.com", PASSWORD)
        .await
        .expect_status(StatusCode::UNAUTHORIZED)
        .expect_text("suspended");

    staff
        .post_form(
            "/staff/partners",
            &format!("/staff/partners/{id}/reactivate"),
            &[],
        )
        .await
        .expect_redirect("/staff/partners");
    app.client()
        .sign_in("sus@example.com", PASSWORD)
        .await
        .expect_redirect("/");
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_cookies_are_http_only() {
    let app = spawn_app().await;
    let page = app.client().get("/login").await;
    let h = |n: &str| {
        page.headers
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert!(h("content-security-policy").contains("frame-ancestors 'none'"));
    assert!(!h("content-security-policy").contains("unsafe-inline"));
    assert_eq!(h("x-content-type-options"), "nosniff");
    let cookie = h("set-cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http in tests: no Secure flag"
    );
}

#[tokio::test]
async fn cookies_are_secure_when_the_public_url_is_https() {
    let app = spawn_app_with(
        Options::default()
            .var("PUBLIC_URL", "https://portal.example")
            .var("PAYMENTS", "test"),
    )
    .await;
    let page = app.client().get("/login").await;
    let cookie = page
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn unknown_pages_answer_a_404_page() {
    let app = spawn_app().await;
    app.client()
        .get("/no/such/page")
        .await
        .expect_status(StatusCode::NOT_FOUND)
        .expect_text("Page not found");
}

#[tokio::test]
async fn password_checks_beyond_capacity_get_429_not_a_stalled_server() {
    let app = spawn_app_with(
        Options::default()
            .var("HASH_CONCURRENCY", 1)
            .var("HASH_WAIT_MS", 0)
            .var("THROTTLE_IP_LIMIT", 1000)
            .var("THROTTLE_ACCOUNT_LIMIT", 1000),
    )
    .await;
    app.partner("busy@example.com", "Busy Ltd").await;
    let clients: Vec<Client> = (0..12).map(|_| app.client()).collect();
    let mut tokens = Vec::new();
    for c in &clients {
        tokens.push(c.get("/login").await.csrf());
    }
    let attempts = clients.iter().zip(&tokens).map(|(c, t)| async move {
        c.post_raw(
            "/login",
            &[
                ("email", "busy@example.com"),
                ("password", "wrong-password-1"),
                ("csrf_token", t.as_str()),
            ],
        )
        .await
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|p| p.status)
        .collect();
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::UNAUTHORIZED), "{statuses:?}");
    // The server still answers at once.
    app.client()
        .get("/healthz")
        .await
        .expect_status(StatusCode::OK);
}

#[tokio::test]
async fn an_unexpected_failure_shows_a_request_id_and_leaves_nothing_half_written() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    app.partner("fail@example.com", "Before Failure Ltd").await;
    let c = app.client();
    c.sign_in("fail@example.com", PASSWORD).await;
    let token = c.get("/company").await.csrf();
    // The audit write at the end of the action will fail.
    app.core
        .db
        .write
        .execute_unprepared("DROP TABLE audit_events")
        .await
        .unwrap();
    let page = c
        .post_raw(
            "/company",
            &[
                ("company_name", "After Failure Ltd"),
                ("contact_name", "X"),
                ("country", "GB"),
                ("phone", "+44 20 7946 0958"),
                ("csrf_token", &token),
            ],
        )
        .await;
    page.expect_status(StatusCode::INTERNAL_SERVER_ERROR)
        .expect_text("Something went wrong")
        .expect_text("Request id");
    assert!(
        !page.body.contains("audit_events"),
        "the cause is logged, not shown"
    );
    c.get("/company").await.expect_text("Before Failure Ltd");
}

#[tokio::test]
async fn without_smtp_emails_are_files_listed_at_dev_mail_with_clickable_links() {
    let app = spawn_app_with(Options::default().var("SMTP_URL", "")).await;
    let c = app.client();
    c.post_form(
        "/partners/register",
        "/partners/register",
        &[("email", "files@example.com")],
    )
    .await;
    let dir = app.config.mail_dir();
    let mut eml = None;
    for _ in 0..100 {
        eml = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| e.path().extension().is_some_and(|x| x == "eml"));
        if eml.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let raw = std::fs::read_to_string(eml.expect("an .eml file").path()).unwrap();
    assert!(raw.contains("files@example.com"));

    let list = c.get("/dev/mail").await;
    list.expect_status(StatusCode::OK)
        .expect_text("Finish your partner registration");
    let id = list
        .body
        .split("/dev/mail/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let mail = c.get(&format!("/dev/mail/{id}")).await;
    mail.expect_text("<a href=\"http://127.0.0.1");
    let href = mail
        .body
        .split("<a href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    c.get(&href.replace(&app.base, ""))
        .await
        .expect_status(StatusCode::OK)
        .expect_text("files@example.com");
}

#[tokio::test]
async fn a_public_https_portal_without_smtp_refuses_to_start_unless_files_are_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database(&dir).await;
    let vars = |files: &'static str| {
        let (dir, db) = (dir.path().display().to_string(), db.clone());
        move |k: &str| match k {
            "DATA_DIR" => Some(dir.clone()),
            "DATABASE_URL" => Some(db.clone()),
            "BIND" => Some("127.0.0.1:0".into()),
            "PUBLIC_URL" => Some("https://portal.example.com".into()),
            "MAIL_FILES" => Some(files.into()),
            // A public portal needs its gateway named; the mail rule is what is tested here.
            "PAYMENTS" => Some("test".into()),
            _ => None,
        }
    };
    let config = Config::from_vars(vars("")).unwrap();
    let refused = Application::build(config).await.err().expect("refused");
    assert!(refused.to_string().contains("SMTP_URL"), "{refused}");

    let config = Config::from_vars(vars("1")).unwrap();
    assert!(!config.dev_mail());
    Application::build(config)
        .await
        .expect("starts with MAIL_FILES=1");
}

#[tokio::test]
async fn the_file_mailbox_is_not_served_on_a_public_portal_even_to_a_new_visitor() {
    // What a new user of a public portal would try: the server writes emails to files
    // (asked for on purpose) but never serves them.
    let app = spawn_app_with(
        Options::default()
            .var("SMTP_URL", "")
            .var("MAIL_FILES", "1")
            .var("PAYMENTS", "test")
            .var("PUBLIC_URL", "https://portal.example.com"),
    )
    .await;
    let c = app.client();
    for path in [
        "/dev/mail",
        "/dev/mail/00000000-0000-0000-0000-000000000000",
    ] {
        c.get(path).await.expect_status(StatusCode::NOT_FOUND);
    }
}

#[test]
fn the_file_mailbox_is_for_loopback_development_servers_only() {
    let dir = tempfile::tempdir().unwrap();
    let config = |bind: &'static str, public: &'static str| {
        let dir = dir.path().display().to_string();
        Config::from_vars(move |k| match k {
            "DATA_DIR" => Some(dir.clone()),
            "BIND" => Some(bind.into()),
            "PUBLIC_URL" => Some(public.into()),
            "PAYMENTS" => Some("test".into()),
            _ => None,
        })
        .unwrap()
    };
    assert!(config("127.0.0.1:8080", "").dev_mail());
    assert!(config("[::1]:8080", "").dev_mail());
    assert!(config("localhost:8080", "").dev_mail());
    assert!(!config("0.0.0.0:8080", "").dev_mail());
    assert!(!config("192.0.2.10:8080", "").dev_mail());
    assert!(!config("127.0.0.1:8080", "https://portal.example.com").dev_mail());
}

#[tokio::test]
async fn dev_mail_is_not_served_when_smtp_is_configured() {
    let app = spawn_app().await;
    app.client()
        .get("/dev/mail")
        .await
        .expect_status(StatusCode::NOT_FOUND);
}

/// The session rows as stored: key hash, state and expiry.
async fn session_rows(app: &TestApp) -> Vec<partner_portal::entities::sessions::Model> {
    use sea_orm::{EntityTrait, QueryOrder};
    partner_portal::entities::sessions::Entity::find()
        .order_by_asc(partner_portal::entities::sessions::Column::KeyHash)
        .all(&app.core.db.read)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_flash_shows_once_and_page_views_do_not_rewrite_the_session() {
    let app = spawn_app().await;
    app.partner("views@example.com", "Views Ltd").await;
    let c = app.client();
    c.sign_in("views@example.com", PASSWORD).await;
    c.post_form(
        "/company",
        "/company",
        &[
            ("company_name", "Views Ltd"),
            ("contact_name", "Val Views"),
            ("country", "GB"),
            ("phone", "+44 20 7946 0958"),
        ],
    )
    .await
    .expect_redirect("/company");
    c.get("/company")
        .await
        .expect_text("Company details saved.");
    let page = c.get("/company").await;
    assert!(
        !page.body.contains("Company details saved."),
        "the flash is shown once"
    );

    // Reading pages changes nothing in the session, so it costs no write.
    let before = session_rows(&app).await;
    for path in ["/", "/customers", "/company", "/company/users"] {
        c.get(path).await.expect_status(StatusCode::OK);
    }
    assert_eq!(session_rows(&app).await, before);
}
