//! Two-factor sign-in: staff and partner admins must set it up before anything else; the code
//! comes after the password and works once; recovery codes work once; wrong codes are
//! throttled and audited; sensitive actions (Login As, API secrets, payout details, staff's
//! reset) need a code from the last fifteen minutes; staff reset a lost factor with a reason;
//! a partner can require it of every user; users see and end their sessions, hear of a new
//! browser, and a reset signs them out everywhere.
use partner_portal::entities::audit_events;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    helpers::*,
    login_as::{management_mode, member_of},
    orders::{customer_users, shop},
    registrations::quick_partner,
};

async fn audited(app: &TestApp, action: &str) -> Vec<String> {
    audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq(action))
        .order_by_asc(audit_events::Column::At)
        .all(&app.core.db.read)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.detail)
        .collect()
}

/// Signs in with the password only: the answer asks for the code.
async fn password_only(c: &Client, email: &str) {
    c.post_form(
        "/login",
        "/login",
        &[("email", email), ("password", PASSWORD)],
    )
    .await
    .expect_redirect("/login/code");
}

/// Enters the app's code on the confirmation page a sensitive action sent `c` to; back to
/// `next`.
async fn fresh_code(app: &TestApp, c: &Client, email: &str, next: &str) {
    let code = app.auth.code(email);
    c.post_form(
        &format!("/account/verify?next={next}"),
        "/account/verify",
        &[("code", &code), ("next", next)],
    )
    .await
    .expect_redirect(next);
}

async fn enter_code(c: &Client, code: &str) -> Page {
    c.post_form("/login/code", "/login/code", &[("code", code)])
        .await
}

#[tokio::test]
async fn staff_set_it_up_before_anything_else_then_sign_in_with_a_code_that_works_once() {
    let app = spawn_app().await;
    app.staff("staff@example.com").await;
    let c = app.client();
    // The password is right: every page but the set-up asks for the second factor first.
    c.post_form(
        "/login",
        "/login",
        &[("email", "staff@example.com"), ("password", PASSWORD)],
    )
    .await
    .expect_redirect("/staff/approvals");
    for page in ["/staff/approvals", "/staff/partners", "/account/security"] {
        c.get(page).await.expect_redirect("/account/two-factor");
    }
    // A wrong code on the set-up page: the field says so, nothing is turned on.
    let setup = c.get("/account/two-factor").await;
    setup
        .expect_status(StatusCode::OK)
        .expect_text("Set up two-factor sign-in");
    assert!(
        setup.body.contains("<svg"),
        "the QR code is drawn on the server"
    );
    c.post_form(
        "/account/two-factor",
        "/account/two-factor",
        &[("code", "000000")],
    )
    .await
    .expect_status(StatusCode::UNPROCESSABLE_ENTITY)
    .expect_text("That code is not valid");
    c.get("/staff/approvals")
        .await
        .expect_redirect("/account/two-factor");
    // The right code: ten recovery codes, shown once; the user is emailed.
    let codes = c.set_up_two_factor("staff@example.com").await;
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| c.len() == 11 && c.contains('-')));
    c.get("/staff/approvals")
        .await
        .expect_status(StatusCode::OK);
    app.smtp
        .wait_for("staff@example.com", "Security notice")
        .await;
    assert_eq!(audited(&app, "user.two_factor_enabled").await.len(), 1);

    // Next sign-in: the password alone signs nobody in.
    let d = app.client();
    password_only(&d, "staff@example.com").await;
    d.get("/staff/approvals").await.expect_redirect("/login");
    // A wrong code, and the code already used (replayed): refused and audited.
    enter_code(&d, "123456")
        .await
        .expect_status(StatusCode::UNAUTHORIZED)
        .expect_text("That code is not valid");
    let used = app.auth.last_code("staff@example.com");
    enter_code(&d, &used)
        .await
        .expect_status(StatusCode::UNAUTHORIZED);
    let refusals = audited(&app, "user.two_factor_refused").await;
    assert!(
        refusals.iter().any(|r| r.contains("wrong code")),
        "{refusals:?}"
    );
    assert!(
        refusals.iter().any(|r| r.contains("code already used")),
        "{refusals:?}"
    );
    // The app's next code signs in; the same code again is refused on another sign-in.
    let code = app.auth.code("staff@example.com");
    enter_code(&d, &code)
        .await
        .expect_redirect("/staff/approvals");
    d.get("/staff/approvals")
        .await
        .expect_status(StatusCode::OK);
    let e = app.client();
    password_only(&e, "staff@example.com").await;
    enter_code(&e, &code)
        .await
        .expect_status(StatusCode::UNAUTHORIZED);
    // Another user's code is not this user's.
    app.staff("other-staff@example.com").await;
    let o = app.client();
    o.sign_in("other-staff@example.com", PASSWORD).await;
    let f = app.client();
    password_only(&f, "staff@example.com").await;
    enter_code(&f, &app.auth.code("other-staff@example.com"))
        .await
        .expect_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn recovery_codes_work_once_and_wrong_codes_are_throttled() {
    let app = spawn_app().await;
    quick_partner(&app, "p@example.com", "Reseller Co").await;
    let c = app.client();
    c.post_form(
        "/login",
        "/login",
        &[("email", "p@example.com"), ("password", PASSWORD)],
    )
    .await;
    let codes = c.set_up_two_factor("p@example.com").await;

    // A lost phone: a recovery code signs in once, and the user hears of it.
    let d = app.client();
    password_only(&d, "p@example.com").await;
    enter_code(&d, &codes[0].to_uppercase())
        .await
        .expect_redirect("/");
    app.smtp.wait_for("p@example.com", "Security notice").await;
    assert_eq!(audited(&app, "user.recovery_code_used").await.len(), 1);
    let e = app.client();
    password_only(&e, "p@example.com").await;
    enter_code(&e, &codes[0])
        .await
        .expect_status(StatusCode::UNAUTHORIZED)
        .expect_text("already been used");
    d.get("/account/security")
        .await
        .expect_text("9 of 10 recovery codes left");

    // Wrong codes count like wrong passwords: at the limit even the right code waits.
    let limit = app.core.rules.throttle_account_limit;
    let t = app.client();
    password_only(&t, "p@example.com").await;
    for _ in 1..limit {
        enter_code(&t, "000000")
            .await
            .expect_status(StatusCode::UNAUTHORIZED);
    }
    enter_code(&t, "000000").await;
    enter_code(&t, &app.auth.code("p@example.com"))
        .await
        .expect_status(StatusCode::TOO_MANY_REQUESTS)
        .expect_text("Too many wrong codes");
    // Once the window passes, the app's code works again.
    app.clock
        .advance(app.core.rules.throttle_window + chrono::Duration::seconds(1));
    password_only(&t, "p@example.com").await;
    enter_code(&t, &app.auth.code("p@example.com"))
        .await
        .expect_redirect("/");
}

#[tokio::test]
async fn login_as_api_secrets_and_payout_details_need_a_code_from_the_last_fifteen_minutes() {
    let s = shop().await;
    let app = &s.app;
    management_mode(&s, true).await;
    let ids = customer_users(app, s.account, &["Ann"]).await;
    let ann = format!("/customers/{}/users/{}", s.customer, ids[0]);
    let start = format!("{ann}/login-as");
    // Sixteen minutes after the sign-in's code: asked for a fresh one, nothing started.
    app.clock.advance(chrono::Duration::minutes(16));
    let asked = s.partner.post_form(&ann, &start, &[]).await;
    asked.expect_redirect("/account/verify?next=");
    assert!(s.partner.get("/my/partner").await.status != StatusCode::OK);
    let verify = asked.location();
    s.partner
        .get(&verify)
        .await
        .expect_text("Confirm it is you");
    s.partner
        .post_form(
            &verify,
            "/account/verify",
            &[("code", "000000"), ("next", &ann)],
        )
        .await
        .expect_status(StatusCode::UNAUTHORIZED);
    fresh_code(app, &s.partner, "p@example.com", &ann).await;
    s.partner
        .post_form(&ann, &start, &[])
        .await
        .expect_redirect("/my/partner");
    s.partner
        .post_form("/my/partner", "/login-as/end", &[])
        .await;

    // An API app's secret, after the code went stale: the form waits for a code.
    app.clock.advance(chrono::Duration::minutes(16));
    let apps = s.partner.get("/apps").await;
    apps.expect_text("needs a fresh code");
    assert!(!apps.body.contains("name=\"name\""));
    s.partner
        .post_form(
            "/apps",
            "/apps",
            &[
                ("name", "Billing sync"),
                ("access", "read"),
                ("commission", "10"),
            ],
        )
        .await
        .expect_redirect("/account/verify?next=%2Fapps");
    fresh_code(app, &s.partner, "p@example.com", "/apps").await;
    s.partner
        .post_form(
            "/apps",
            "/apps",
            &[
                ("name", "Billing sync"),
                ("access", "read"),
                ("commission", "10"),
            ],
        )
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Billing sync");

    // Payout details: the form opens only with a fresh code; a bad IBAN is named; the
    // admins hear of the change; a member cannot change them.
    app.clock.advance(chrono::Duration::minutes(16));
    let page = s.partner.get("/company/security").await;
    page.expect_text("Change payout details");
    assert!(!page.body.contains("name=\"iban\""));
    s.partner
        .post_form(
            "/company/security",
            "/company/security/payout",
            &[
                ("holder", "Reseller Co"),
                ("iban", "DE89370400440532013000"),
                ("bic", ""),
            ],
        )
        .await
        .expect_redirect("/account/verify");
    fresh_code(app, &s.partner, "p@example.com", "/company/security").await;
    s.partner
        .post_form(
            "/company/security",
            "/company/security/payout",
            &[
                ("holder", "Reseller Co"),
                ("iban", "DE89 3704 0044 0532 0130 01"),
                ("bic", ""),
            ],
        )
        .await
        .expect_status(StatusCode::UNPROCESSABLE_ENTITY)
        .expect_text("not a valid IBAN")
        .expect_text("DE89 3704 0044 0532 0130 01");
    s.partner
        .post_form(
            "/company/security",
            "/company/security/payout",
            &[
                ("holder", "Reseller Co"),
                ("iban", "de89 3704 0044 0532 0130 00"),
                ("bic", "deutdeff"),
            ],
        )
        .await
        .expect_redirect("/company/security");
    s.partner
        .get("/company/security")
        .await
        .expect_text("DE89•••• 3000");
    app.smtp.wait_for("p@example.com", "Security notice").await;
    s.staff
        .get(&format!("/staff/partners/{}", s.org.id))
        .await
        .expect_text("DE89370400440532013000");
    let member = member_of(app, "p@example.com", "m@example.com").await;
    let token = member.get("/company/security").await.csrf();
    member
        .post_raw(
            "/company/security/payout",
            &[
                ("csrf_token", token.as_str()),
                ("holder", "Mallory"),
                ("iban", "GB82WEST12345698765432"),
            ],
        )
        .await
        .expect_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn staff_reset_a_lost_factor_with_a_reason_and_the_user_is_signed_out_everywhere() {
    let s = shop().await;
    let app = &s.app;
    let user =
        partner_portal::services::auth::find_user_by_email(&app.core.db.read, "p@example.com")
            .await
            .unwrap()
            .unwrap();
    let page = format!("/staff/partners/{}", s.org.id);
    let reset = format!("/staff/users/{}/two-factor/reset", user.id);
    // No reason: refused, nothing changes.
    s.staff
        .post_form(&page, &reset, &[("reason", " "), ("back", &page)])
        .await
        .expect_redirect(&page);
    s.staff.get(&page).await.expect_text("Say why");
    s.partner.get("/").await.expect_status(StatusCode::OK);
    s.staff
        .post_form(
            &page,
            &reset,
            &[
                ("reason", "Lost phone, confirmed by a call"),
                ("back", &page),
            ],
        )
        .await
        .expect_redirect(&page);
    // Signed out everywhere; emailed with the reason; audited with it.
    s.partner.get("/").await.expect_redirect("/login");
    wait_until(
        || {
            app.smtp
                .to("p@example.com")
                .iter()
                .any(|m| m.text.contains("Lost phone, confirmed by a call"))
        },
        "the reset's email with its reason",
    )
    .await;
    assert!(audited(app, "user.two_factor_reset").await[0].contains("Lost phone"));
    // At the next sign-in the password is enough to reach the set-up page, and no further.
    let c = app.client();
    c.post_form(
        "/login",
        "/login",
        &[("email", "p@example.com"), ("password", PASSWORD)],
    )
    .await
    .expect_redirect("/");
    c.get("/customers")
        .await
        .expect_redirect("/account/two-factor");
    // Staff's own reset needs a fresh code of their own.
    app.clock.advance(chrono::Duration::minutes(16));
    s.staff
        .post_form(&page, &reset, &[("reason", "again"), ("back", &page)])
        .await
        .expect_redirect("/account/verify");
    // A staff member who lost their phone: the operator's command resets it, with a reason.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_partner-portal"))
        .args([
            "reset-two-factor",
            "--email",
            "staff@example.com",
            "--reason",
            "Phone stolen, ticket 4411",
        ])
        .env("DATABASE_URL", &app.config.database_url)
        .env("DATA_DIR", &app.config.data_dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.staff.get(&page).await.expect_redirect("/login");
    let resets = audited(app, "user.two_factor_reset").await;
    assert!(resets[1].contains("ticket 4411"), "{resets:?}");
}

#[tokio::test]
async fn a_partner_can_require_it_of_every_user_and_customers_may_choose() {
    let s = shop().await;
    let app = &s.app;
    let member = member_of(app, "p@example.com", "m@example.com").await;
    member.get("/customers").await.expect_status(StatusCode::OK);
    s.partner
        .post_form(
            "/company/security",
            "/company/security/two-factor",
            &[("all", "on")],
        )
        .await
        .expect_redirect("/company/security");
    s.partner
        .get("/company/security")
        .await
        .expect_text("Required, not set up yet");
    // The member's very next request: set it up first.
    member
        .get("/customers")
        .await
        .expect_redirect("/account/two-factor");
    member.set_up_two_factor("m@example.com").await;
    member.get("/customers").await.expect_status(StatusCode::OK);
    // Required: it cannot be turned off.
    member
        .get("/account/security")
        .await
        .expect_text("Required for your user");

    // A customer user may turn it on, and off again (with a fresh code); off signs out.
    let ids = customer_users(app, s.account, &["Cora"]).await;
    assert_eq!(ids.len(), 1);
    partner_portal::entities::users::Entity::update_many()
        .col_expr(
            partner_portal::entities::users::Column::PasswordHash,
            sea_orm::sea_query::Expr::value(app.core.hasher.hash(PASSWORD).await.unwrap()),
        )
        .filter(partner_portal::entities::users::Column::Email.eq("cora@customer.example"))
        .exec(&app.core.db.write)
        .await
        .unwrap();
    let cora = app.client();
    cora.sign_in("cora@customer.example", PASSWORD)
        .await
        .expect_redirect("/my/partner");
    cora.get("/account/security")
        .await
        .expect_text("Set up two-factor sign-in");
    cora.set_up_two_factor("cora@customer.example").await;
    cora.post_form("/account/security", "/account/two-factor/off", &[])
        .await
        .expect_redirect("/login");
    cora.get("/my/partner").await.expect_redirect("/login");
    let again = app.client();
    again
        .sign_in("cora@customer.example", PASSWORD)
        .await
        .expect_redirect("/my/partner");
}

#[tokio::test]
async fn users_see_their_sessions_end_the_others_and_hear_of_a_new_browser() {
    let s = shop().await;
    let app = &s.app;
    // The shop signed p@example.com in once; a second browser signs in: news by email.
    let laptop = &s.partner;
    let phone = app.client();
    phone.sign_in("p@example.com", PASSWORD).await;
    let mail = app
        .smtp
        .wait_for(
            "p@example.com",
            "New sign-in to your Partner Portal account",
        )
        .await;
    assert!(mail.text.contains("Address: 127.0.0.1"), "{}", mail.text);
    let page = laptop.get("/account/security").await;
    page.expect_status(StatusCode::OK)
        .expect_text("This browser")
        .expect_text("127.0.0.1");
    assert_eq!(
        page.body.matches("/end\"").count(),
        1,
        "one other session to end"
    );
    // Another user's session id ends nothing of theirs.
    let other_id = page
        .body
        .split("/account/security/sessions/")
        .skip(1)
        .filter_map(|r| r.split('/').next())
        .find(|id| id.parse::<uuid::Uuid>().is_ok())
        .unwrap()
        .to_string();
    s.staff
        .post_form(
            "/account/security",
            &format!("/account/security/sessions/{other_id}/end"),
            &[],
        )
        .await
        .expect_status(StatusCode::NOT_FOUND);
    phone.get("/customers").await.expect_status(StatusCode::OK);
    // The laptop signs the phone out.
    laptop
        .post_form(
            "/account/security",
            &format!("/account/security/sessions/{other_id}/end"),
            &[],
        )
        .await
        .expect_redirect("/account/security");
    phone.get("/customers").await.expect_redirect("/login");
    laptop.get("/customers").await.expect_status(StatusCode::OK);
    // Sign out all others.
    let tablet = app.client();
    tablet.sign_in("p@example.com", PASSWORD).await;
    laptop
        .post_form(
            "/account/security",
            "/account/security/sessions/end-others",
            &[],
        )
        .await
        .expect_redirect("/account/security");
    tablet.get("/customers").await.expect_redirect("/login");
    laptop.get("/customers").await.expect_status(StatusCode::OK);
    assert_eq!(audited(app, "user.sessions_ended").await.len(), 1);
    // A Login As never reaches the security page.
    management_mode(&s, true).await;
    let ids = customer_users(app, s.account, &["Ann"]).await;
    let ann = format!("/customers/{}/users/{}", s.customer, ids[0]);
    laptop
        .post_form(&ann, &format!("{ann}/login-as"), &[])
        .await
        .expect_redirect("/my/partner");
    laptop
        .get("/account/security")
        .await
        .expect_status(StatusCode::FORBIDDEN);
}
