//! A customer account's own users: the partner that manages the account invites
//! from the customer's page; the invited admin joins by a single-use link and manages the
//! account's users at `/my/users` (invite, make admin, remove with the seats taken back,
//! restore); a member only reads; the account always keeps an admin; another partner, or a
//! partner that does not manage the account, is refused. The partner's part shows in the
//! account's activity.
use reqwest::StatusCode;

use crate::{
    helpers::*,
    login_as::management_mode,
    orders::{order, shop},
};

async fn user_id(app: &TestApp, email: &str) -> String {
    use partner_portal::entities::users;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(&app.core.db.read)
        .await
        .unwrap()
        .expect("the user joined")
        .id
        .to_string()
}

/// Opens the invitation sent to `email`, joins as `name`, and signs in.
async fn join(app: &TestApp, email: &str, name: &str) -> Client {
    let mail = app.smtp.wait_for(email, "invited you to Acme").await;
    let path = link(&mail.text, "/join/").replace(&app.base, "");
    let c = app.client();
    c.get(&path).await.expect_text("Join Acme");
    // A weak password keeps the name typed and says why.
    let p = c
        .post_form(
            &path,
            &path,
            &[
                ("name", name),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    p.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.field_error("password").is_some());
    assert_eq!(p.input_value("name").as_deref(), Some(name));
    c.post_form(
        &path,
        &path,
        &[
            ("name", name),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    )
    .await
    .expect_redirect("/login");
    // The link works once.
    c.get(&path).await.expect_status(StatusCode::GONE);
    c.sign_in(email, PASSWORD).await;
    c
}

#[tokio::test]
async fn the_partner_and_the_customers_admins_manage_the_accounts_users() {
    let s = shop().await;
    let (app, partner) = (&s.app, &s.partner);
    let page = format!("/customers/{}", s.customer);
    let invite = format!("{page}/users/invite");

    // Not in management mode: no button, and the invitation page is refused.
    assert!(!partner.get(&page).await.body.contains("Invite a user"));
    partner
        .get(&invite)
        .await
        .expect_status(StatusCode::FORBIDDEN);

    management_mode(&s, true).await;
    partner.get(&page).await.expect_text("Invite a user");
    // A bad address: the form again, with the value and the message.
    let p = partner
        .post_form(
            &invite,
            &invite,
            &[("email", "not-an-email"), ("role", "admin")],
        )
        .await;
    p.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.field_error("email").is_some());
    assert_eq!(p.input_value("email").as_deref(), Some("not-an-email"));
    // The partner's own user's address is taken.
    let p = partner
        .post_form(
            &invite,
            &invite,
            &[("email", "p@example.com"), ("role", "member")],
        )
        .await;
    p.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    p.expect_text("already has an account");
    partner
        .post_form(
            &invite,
            &invite,
            &[("email", "ann@acme.example"), ("role", "admin")],
        )
        .await
        .expect_redirect(&page);
    partner
        .get(&page)
        .await
        .expect_text("Invitation sent to ann@acme.example")
        .expect_text("Pending invitations");

    // Ann joins as the account's admin and invites Bob, a member.
    let ann = join(app, "ann@acme.example", "Ann Admin").await;
    ann.get("/my/users")
        .await
        .expect_text("Ann Admin")
        .expect_text("Invite a user");
    ann.post_form(
        "/my/users",
        "/my/users/invite",
        &[("email", "bob@acme.example"), ("role", "member")],
    )
    .await
    .expect_redirect("/my/users");
    let bob = join(app, "bob@acme.example", "Bob Member").await;
    let (ann_id, bob_id) = (
        user_id(app, "ann@acme.example").await,
        user_id(app, "bob@acme.example").await,
    );
    // Bob reads the list but manages nothing.
    let users = bob.get("/my/users").await;
    users.expect_text("Ann Admin");
    assert!(!users.body.contains("Invite a user"));
    let token = users.csrf();
    bob.post_raw(
        "/my/users/invite",
        &[
            ("csrf_token", token.as_str()),
            ("email", "eve@acme.example"),
            ("role", "admin"),
        ],
    )
    .await
    .expect_status(StatusCode::FORBIDDEN);

    // The account keeps an admin: Ann can neither step down nor remove herself.
    ann.post_form(
        "/my/users",
        &format!("/my/users/{ann_id}/role"),
        &[("role", "member")],
    )
    .await
    .expect_redirect("/my/users");
    ann.get("/my/users")
        .await
        .expect_text("at least one active admin");
    ann.post_form(
        "/my/users",
        &format!("/my/users/{ann_id}/remove"),
        &[("confirmed", "yes")],
    )
    .await
    .expect_redirect("/my/users");
    ann.get("/my/users")
        .await
        .expect_text("You cannot remove yourself");

    // Bob gets a seat; removing him signs him out and takes the seat back.
    order(
        partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "2")],
    )
    .await;
    let licenses = ann.get("/my/licenses").await;
    let license = licenses
        .id_after("/my/licenses/")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    ann.post_form(
        "/my/licenses",
        &format!("/my/licenses/{license}/assign"),
        &[("user", &bob_id)],
    )
    .await
    .expect_redirect("/my/licenses");
    ann.get("/my/licenses").await.expect_text("1 of 2");
    // First the question, then the removal.
    ann.post_form("/my/users", &format!("/my/users/{bob_id}/remove"), &[])
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Remove Bob Member?");
    ann.post_form(
        "/my/users",
        &format!("/my/users/{bob_id}/remove"),
        &[("confirmed", "yes")],
    )
    .await
    .expect_redirect("/my/users");
    ann.get("/my/users")
        .await
        .expect_text("Bob Member has been removed")
        .expect_text("Removed");
    ann.get("/my/licenses").await.expect_text("0 of 2");
    bob.get("/my").await.expect_redirect("/login");
    let p = bob
        .post_form(
            "/login",
            "/login",
            &[("email", "bob@acme.example"), ("password", PASSWORD)],
        )
        .await;
    assert_ne!(p.location(), "/my", "a removed user cannot sign in");

    // The partner restores Bob from his page and makes him admin.
    let bob_page = format!("{page}/users/{bob_id}");
    partner
        .post_form(&bob_page, &format!("{bob_page}/restore"), &[])
        .await
        .expect_redirect(&bob_page);
    partner
        .post_form(&bob_page, &format!("{bob_page}/role"), &[("role", "admin")])
        .await
        .expect_redirect(&bob_page);
    partner
        .get(&bob_page)
        .await
        .expect_text("Bob Member is now admin")
        .expect_text("Make member");
    // Now Ann may step down.
    ann.post_form(
        "/my/users",
        &format!("/my/users/{ann_id}/role"),
        &[("role", "member")],
    )
    .await
    .expect_redirect("/my/users");
    ann.get("/my/users")
        .await
        .expect_text("Ann Admin is now member");

    // The account's activity shows what the partner did, with its name.
    bob.sign_in("bob@acme.example", PASSWORD).await;
    bob.get("/my/activity")
        .await
        .expect_text("Invited")
        .expect_text("Restored")
        .expect_text("Role changed");
}

#[tokio::test]
async fn another_partner_and_a_partner_that_no_longer_manages_are_refused() {
    let s = shop().await;
    let app = &s.app;
    management_mode(&s, true).await;
    let page = format!("/customers/{}", s.customer);
    let invite = format!("{page}/users/invite");
    crate::registrations::quick_partner(app, "other@example.com", "Other Co").await;
    let other = app.client();
    other.sign_in("other@example.com", PASSWORD).await;
    other
        .get(&invite)
        .await
        .expect_status(StatusCode::NOT_FOUND);
    let token = other.get("/customers").await.csrf();
    other
        .post_raw(
            &invite,
            &[
                ("csrf_token", token.as_str()),
                ("email", "x@acme.example"),
                ("role", "admin"),
            ],
        )
        .await
        .expect_status(StatusCode::NOT_FOUND);
    // Without the CSRF token: refused, nothing sent.
    s.partner
        .post_raw(&invite, &[("email", "x@acme.example"), ("role", "admin")])
        .await
        .expect_status(StatusCode::FORBIDDEN);
    // Management mode off: the form the partner had open no longer works.
    let token = s.partner.get(&invite).await.csrf();
    management_mode(&s, false).await;
    s.partner
        .post_raw(
            &invite,
            &[
                ("csrf_token", token.as_str()),
                ("email", "x@acme.example"),
                ("role", "admin"),
            ],
        )
        .await
        .expect_status(StatusCode::FORBIDDEN);
    assert!(app.queued_to("x@acme.example").await.is_empty());
    // A guessed invitation link: the page says it is not valid.
    app.client()
        .get("/join/not-a-real-token")
        .await
        .expect_status(StatusCode::NOT_FOUND)
        .expect_text("not valid");
}
