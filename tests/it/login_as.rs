//! Login As: a partner admin signs in as a customer user of an active registration
//! in management mode; every page shows the banner; partner, staff, API app and password pages
//! and Login As itself answer 403; the customer's admins are emailed; Return and the end time
//! bring the partner user back under a new session id, and a replayed cookie revives nothing.
//! Every refusal is audited.
use partner_portal::entities::{audit_events, registrations, users};
use reqwest::StatusCode;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    helpers::*,
    orders::{customer_users, shop, Shop},
};

async fn audit_actions(s: &Shop) -> Vec<(String, String)> {
    audit_events::Entity::find()
        .filter(audit_events::Column::Action.starts_with("login_as."))
        .order_by_asc(audit_events::Column::At)
        .all(&s.app.core.db.read)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect()
}

pub async fn management_mode(s: &Shop, on: bool) {
    registrations::Entity::update_many()
        .set(registrations::ActiveModel {
            management_mode: Set(on),
            ..Default::default()
        })
        .filter(registrations::Column::Id.eq(s.customer.parse::<uuid::Uuid>().unwrap()))
        .exec(&s.app.core.db.write)
        .await
        .unwrap();
}

/// A plain client sending exactly this session cookie.
async fn with_cookie(app: &TestApp, cookie: &str, path: &str) -> StatusCode {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(path))
        .header("Cookie", format!("pp_session={cookie}"))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_partner_admin_acts_as_a_customer_user_within_bounds_and_comes_back() {
    let s = shop().await;
    let (app, c) = (&s.app, &s.partner);
    let ids = customer_users(app, s.account, &["Ann", "Cora"]).await;
    // Cora is the account's admin: she hears of every Login As.
    users::Entity::update_many()
        .set(users::ActiveModel {
            role: Set(partner_portal::domain::Role::Admin),
            ..Default::default()
        })
        .filter(users::Column::Email.eq("cora@customer.example"))
        .exec(&app.core.db.write)
        .await
        .unwrap();
    let customer_page = format!("/customers/{}", s.customer);
    let ann = format!("{customer_page}/users/{}", ids[0]);
    let start = format!("{ann}/login-as");
    // An order, so the account has an invoice and a license to show.
    crate::orders::order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "2")],
    )
    .await;

    // Not in management mode: no button, and the POST is refused and audited.
    assert!(!c.get(&customer_page).await.body.contains("Login As"));
    c.post_form(&customer_page, &start, &[])
        .await
        .expect_redirect(&customer_page);
    c.get(&customer_page)
        .await
        .expect_text("not in management mode");
    assert_eq!(audit_actions(&s).await[0].0, "login_as.refused");

    management_mode(&s, true).await;
    c.get(&ann).await.expect_text("Login As Ann");
    // Without the CSRF token: refused.
    c.post_raw(&start, &[])
        .await
        .expect_status(StatusCode::FORBIDDEN);
    let before = c.session_cookie().unwrap();
    c.post_form(&ann, &start, &[])
        .await
        .expect_redirect("/my/partner");
    let acting = c.session_cookie().unwrap();
    assert_ne!(before, acting, "a new session id");

    // The banner on every customer page, the invoice and its payment page included; partner,
    // staff and security pages refused.
    c.get("/my/partner")
        .await
        .expect_text("You are signed in as")
        .expect_text("Ann (Acme)")
        .expect_text("on behalf of Reseller Co")
        .expect_text("60 minutes left")
        .expect_text("Return to Reseller Co");
    let invoices = c.get("/my/invoices").await;
    let invoice = format!("/invoices/{}", invoices.id_after("/invoices/"));
    let pay = format!("/pay/{}", invoices.id_after("/pay/"));
    for path in [
        "/my",
        "/my/orders",
        "/my/licenses",
        "/my/invoices",
        "/my/credits",
        "/my/users",
        "/my/activity",
        invoice.as_str(),
        pay.as_str(),
    ] {
        c.get(path)
            .await
            .expect_status(StatusCode::OK)
            .expect_text("You are signed in as")
            .expect_text("Return to Reseller Co");
    }
    // The overview: licenses, open invoices, credit.
    c.get("/my")
        .await
        .expect_text("Credit balance")
        .expect_text("BK-100");
    // The account's activity shows the session with both names.
    c.get("/my/activity").await.expect_text("signed in as Ann");
    for path in [
        "/customers",
        "/apps",
        "/company",
        "/staff/approvals",
        "/account/password",
    ] {
        let page = c.get(path).await;
        page.expect_status(StatusCode::FORBIDDEN);
        page.expect_text("Not while you act as a customer");
        page.expect_text("Return to Reseller Co");
    }
    // Login As again, from inside: refused.
    let token = c.get("/my/partner").await.csrf();
    c.post_raw(&start, &[("csrf_token", token.as_str())])
        .await
        .expect_status(StatusCode::FORBIDDEN);
    // Cora was told.
    let mail = app
        .smtp
        .wait_for("cora@customer.example", "signed in as Ann")
        .await;
    assert!(mail.text.contains("Reseller Co"), "{}", mail.text);

    // Return: the customer's page, as the partner user, under a new id.
    c.post_form("/my/partner", "/login-as/end", &[])
        .await
        .expect_redirect(&customer_page);
    let back = c.session_cookie().unwrap();
    assert_ne!(back, acting);
    c.get(&customer_page)
        .await
        .expect_status(StatusCode::OK)
        .expect_text("You are back as yourself");
    assert!(!c
        .get("/customers")
        .await
        .body
        .contains("You are signed in as"));
    // The Login As session's cookie, replayed, revives nothing.
    assert_eq!(
        with_cookie(app, &acting, "/my/licenses").await,
        StatusCode::SEE_OTHER
    );
    let actions = audit_actions(&s).await;
    let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        names,
        ["login_as.refused", "login_as.started", "login_as.ended"]
    );
    assert!(actions[1].1.contains("as Ann"), "{actions:?}");

    // Its time runs out: the next request is back in the partner's session, with a message.
    c.post_form(&ann, &start, &[])
        .await
        .expect_redirect("/my/partner");
    app.clock.advance(chrono::Duration::minutes(61));
    c.get("/my/licenses").await.expect_redirect(&customer_page);
    c.get(&customer_page)
        .await
        .expect_status(StatusCode::OK)
        .expect_text("ended at");
    let actions = audit_actions(&s).await;
    assert!(actions
        .last()
        .is_some_and(|(a, d)| a == "login_as.ended" && d.contains("time ran out")));
}

/// A member of the partner of `admin` (same password), signed in.
pub async fn member_of(app: &TestApp, admin: &str, email: &str) -> Client {
    let a = users::Entity::find()
        .filter(users::Column::Email.eq(admin))
        .one(&app.core.db.read)
        .await
        .unwrap()
        .unwrap();
    users::Entity::insert(users::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        email: Set(email.into()),
        name: Set("Max Member".into()),
        password_hash: Set(a.password_hash),
        kind: Set(a.kind),
        partner_id: Set(a.partner_id),
        account_id: Set(None),
        role: Set(partner_portal::domain::Role::Member),
        active: Set(true),
        created_at: Set(app.core.now()),
        last_sign_in_at: Set(None),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
    })
    .exec_without_returning(&app.core.db.write)
    .await
    .unwrap();
    let c = app.client();
    c.sign_in(email, PASSWORD).await;
    c
}

#[tokio::test]
async fn login_as_is_refused_to_members_other_partners_and_inactive_customers() {
    let s = shop().await;
    let app = &s.app;
    management_mode(&s, true).await;
    let ids = customer_users(app, s.account, &["Ann"]).await;
    let ann = format!("/customers/{}/users/{}", s.customer, ids[0]);
    let start = format!("{ann}/login-as");
    // A member of the partner, while admins have not allowed members.
    // Refused on its grounds before any second factor is asked for.
    let member = member_of(app, "p@example.com", "m@example.com").await;
    member.get(&ann).await.expect_status(StatusCode::OK);
    assert!(!member.get(&ann).await.body.contains("Login As Ann"));
    member
        .post_form(&ann, &start, &[])
        .await
        .expect_redirect(&format!("/customers/{}", s.customer));
    assert!(member.get("/").await.body.contains("Welcome"));
    // Another partner: not found.
    crate::registrations::quick_partner(app, "other@example.com", "Other Co").await;
    let other = app.client();
    other.sign_in("other@example.com", PASSWORD).await;
    let token = other.get("/customers").await.csrf();
    other
        .post_raw(&start, &[("csrf_token", token.as_str())])
        .await
        .expect_status(StatusCode::NOT_FOUND);
    // An ended registration: refused.
    registrations::Entity::update_many()
        .set(registrations::ActiveModel {
            status: Set(partner_portal::domain::Status::Ended),
            ..Default::default()
        })
        .filter(registrations::Column::Id.eq(s.customer.parse::<uuid::Uuid>().unwrap()))
        .exec(&app.core.db.write)
        .await
        .unwrap();
    s.partner
        .post_form(&ann, &start, &[])
        .await
        .expect_redirect(&format!("/customers/{}", s.customer));
    let refused = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("login_as.refused"))
        .all(&app.core.db.read)
        .await
        .unwrap();
    assert_eq!(
        refused.len(),
        2,
        "the member's and the ended registration's"
    );
}

#[tokio::test]
async fn an_admin_lets_members_use_login_as() {
    let s = shop().await;
    let app = &s.app;
    management_mode(&s, true).await;
    let ids = customer_users(app, s.account, &["Ann"]).await;
    let ann = format!("/customers/{}/users/{}", s.customer, ids[0]);
    let member = member_of(app, "p@example.com", "m@example.com").await;
    // A member cannot change the setting.
    let token = member.get("/company").await.csrf();
    member
        .post_raw(
            "/company/login-as",
            &[("csrf_token", token.as_str()), ("members", "on")],
        )
        .await
        .expect_status(StatusCode::FORBIDDEN);
    s.partner
        .post_form("/company", "/company/login-as", &[("members", "on")])
        .await
        .expect_redirect("/company");
    // The member's next request reads the setting: the button, then the session, once the
    // member has a second factor (Login As asks for a fresh code, members included).
    member.get(&ann).await.expect_text("Login As Ann");
    member
        .post_form(&ann, &format!("{ann}/login-as"), &[])
        .await
        .expect_redirect("/account/two-factor");
    member.set_up_two_factor("m@example.com").await;
    member
        .post_form(&ann, &format!("{ann}/login-as"), &[])
        .await
        .expect_redirect("/my/partner");
    member
        .get("/my/partner")
        .await
        .expect_text("on behalf of Reseller Co");
}

#[tokio::test]
async fn a_login_as_started_on_one_instance_holds_and_ends_on_another() {
    let s = shop().await;
    let app = &s.app;
    management_mode(&s, true).await;
    let ids = customer_users(app, s.account, &["Ann"]).await;
    // An invoice of the account, to open while acting.
    crate::orders::order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "2")],
    )
    .await;
    let other = spawn_app_with(Options {
        smtp: Some(app.smtp.clone()),
        database_url: Some(app.config.database_url.clone()),
        dir: None,
        vars: [("SESSION_SECRET", app_secret(app))].into_iter().collect(),
    })
    .await;
    let ann = format!("/customers/{}/users/{}", s.customer, ids[0]);
    s.partner
        .post_form(&ann, &format!("{ann}/login-as"), &[])
        .await
        .expect_redirect("/my/partner");
    let cookie = s.partner.session_cookie().unwrap();
    // The same browser's next requests reach the other instance: still acting there.
    let b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: String| {
        b.get(other.url(&path))
            .header("Cookie", format!("pp_session={cookie}"))
            .send()
    };
    let page = get("/my/invoices".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("You are signed in as"), "{page}");
    let invoice = page
        .split("href=\"/invoices/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("an invoice link")
        .to_string();
    let page = get(format!("/invoices/{invoice}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("You are signed in as"), "the invoice page");
    let denied = get("/customers".into()).await.unwrap();
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    // Returned on the first instance: the other no longer honours the cookie.
    s.partner
        .post_form("/my/partner", "/login-as/end", &[])
        .await
        .expect_redirect(&format!("/customers/{}", s.customer));
    assert_eq!(
        get("/my/partner".into()).await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    other.stop().await;
}

/// The first instance's session secret, so a second instance reads its cookies.
fn app_secret(app: &TestApp) -> String {
    String::from_utf8(app.config.session_secret.clone()).unwrap()
}
