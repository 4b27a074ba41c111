//! The partner's company profile and its users: invitations, roles, deactivation.
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn an_admin_edits_the_company_and_a_member_cannot() {
    let app = spawn_app().await;
    app.partner("admin@example.com", "Before Ltd").await;
    let admin = app.client();
    admin.sign_in("admin@example.com", PASSWORD).await;
    admin
        .post_form(
            "/company",
            "/company",
            &[
                ("company_name", "After Ltd"),
                ("contact_name", "Ada Admin"),
                ("country", "JP"),
                ("phone", "+81 3 1234 5678"),
            ],
        )
        .await
        .expect_redirect("/company");
    admin
        .get("/company")
        .await
        .expect_text("Company details saved.")
        .expect_text("After Ltd")
        .expect_text("Japan");
    admin.get("/").await.expect_text("After Ltd");

    // Invite a member, who joins through the emailed link.
    admin
        .post_form(
            "/company/users",
            "/company/users/invite",
            &[("email", "mem@example.com"), ("role", "member")],
        )
        .await
        .expect_redirect("/company/users");
    let mail = app
        .smtp
        .wait_for("mem@example.com", "invited you to After Ltd")
        .await;
    let path = link(&mail.text, "/invitations/").replace(&app.base, "");
    let member = app.client();
    member
        .get(&path)
        .await
        .expect_status(StatusCode::OK)
        .expect_text("member");
    member
        .post_form(
            &path,
            &path,
            &[
                ("name", "Mo Member"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await
        .expect_redirect("/login");
    member.get(&path).await.expect_status(StatusCode::GONE);
    member
        .sign_in("mem@example.com", PASSWORD)
        .await
        .expect_redirect("/");
    member
        .get("/company")
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Only an admin");
    member
        .post_form(
            "/company",
            "/company",
            &[
                ("company_name", "Member Was Here"),
                ("contact_name", "x"),
                ("country", "GB"),
                ("phone", "+44 20 7946 0958"),
            ],
        )
        .await
        .expect_status(StatusCode::FORBIDDEN);
    member
        .post_form(
            "/company/users",
            "/company/users/invite",
            &[("email", "x@example.com"), ("role", "admin")],
        )
        .await
        .expect_status(StatusCode::FORBIDDEN);
    admin.get("/company").await.expect_text("After Ltd");
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_and_cannot_sign_in() {
    let app = spawn_app().await;
    app.partner("boss@example.com", "Boss Ltd").await;
    let admin = app.client();
    admin.sign_in("boss@example.com", PASSWORD).await;
    admin
        .post_form(
            "/company/users",
            "/company/users/invite",
            &[("email", "leaver@example.com"), ("role", "member")],
        )
        .await;
    let mail = app.smtp.wait_for("leaver@example.com", "invited you").await;
    let path = link(&mail.text, "/invitations/").replace(&app.base, "");
    let leaver = app.client();
    leaver
        .post_form(
            &path,
            &path,
            &[
                ("name", "Lee Leaver"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    leaver
        .sign_in("leaver@example.com", PASSWORD)
        .await
        .expect_redirect("/");

    let users = admin.get("/company/users").await;
    let id = users
        .body
        .split("/company/users/")
        .filter_map(|s| s.split_once("/deactivate"))
        .map(|(id, _)| id.to_string())
        .next()
        .expect("a deactivate button for the other user");
    admin
        .post_form(
            "/company/users",
            &format!("/company/users/{id}/deactivate"),
            &[("confirmed", "yes")],
        )
        .await
        .expect_redirect("/company/users");
    leaver.get("/").await.expect_redirect("/login");
    app.client()
        .sign_in("leaver@example.com", PASSWORD)
        .await
        .expect_status(StatusCode::UNAUTHORIZED)
        .expect_text("deactivated");
}

#[tokio::test]
async fn an_admin_cannot_touch_another_partners_users() {
    let app = spawn_app().await;
    app.partner("a@example.com", "A Ltd").await;
    app.partner("b@example.com", "B Ltd").await;
    let b_user =
        partner_portal::services::auth::find_user_by_email(&app.core.db.read, "b@example.com")
            .await
            .unwrap()
            .unwrap();
    let a = app.client();
    a.sign_in("a@example.com", PASSWORD).await;
    a.post_form(
        "/company/users",
        &format!("/company/users/{}/deactivate", b_user.id),
        &[("confirmed", "yes")],
    )
    .await
    .expect_status(StatusCode::NOT_FOUND);
    a.get("/company/users").await.expect_text("a@example.com");
    assert!(!a.get("/company/users").await.body.contains("b@example.com"));
    app.client()
        .sign_in("b@example.com", PASSWORD)
        .await
        .expect_redirect("/");
}

#[tokio::test]
async fn inviting_an_address_that_has_an_account_is_explained() {
    let app = spawn_app().await;
    app.partner("one@example.com", "One Ltd").await;
    app.partner("two@example.com", "Two Ltd").await;
    let c = app.client();
    c.sign_in("one@example.com", PASSWORD).await;
    let page = c
        .post_form(
            "/company/users",
            "/company/users/invite",
            &[("email", "two@example.com"), ("role", "member")],
        )
        .await;
    page.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.field_error("email").unwrap(),
        "This email address already has an account."
    );
    assert_eq!(page.input_value("email").unwrap(), "two@example.com");
    let bad_role = c
        .post_form(
            "/company/users",
            "/company/users/invite",
            &[("email", "new@example.com"), ("role", "owner")],
        )
        .await;
    bad_role
        .expect_status(StatusCode::UNPROCESSABLE_ENTITY)
        .expect_text("Choose admin or member.");
}

#[tokio::test]
async fn pending_invitations_are_listed_and_can_be_resent_or_revoked_by_their_own_org_only() {
    let app = spawn_app().await;
    app.partner("admin@example.com", "Inviting Ltd").await;
    app.partner("other@example.com", "Other Ltd").await;
    let admin = app.client();
    admin.sign_in("admin@example.com", PASSWORD).await;
    admin
        .post_form(
            "/company/users",
            "/company/users/invite",
            &[("email", "new@example.com"), ("role", "admin")],
        )
        .await
        .expect_redirect("/company/users");
    let first = app.smtp.wait_for("new@example.com", "invited you").await;
    let first = link(&first.text, "/invitations/").replace(&app.base, "");

    let page = admin.get("/company/users").await;
    page.expect_text("Pending invitations")
        .expect_text("new@example.com");
    let action = |kind: &str| {
        page.body
            .split("action=\"")
            .filter_map(|s| s.split('"').next())
            .find(|a| a.starts_with("/company/invitations/") && a.ends_with(kind))
            .expect("an invitation action")
            .to_string()
    };
    let (resend, revoke) = (action("/resend"), action("/revoke"));

    // Another org's admin cannot touch it.
    let other = app.client();
    other.sign_in("other@example.com", PASSWORD).await;
    for a in [&resend, &revoke] {
        other
            .post_form("/company/users", a, &[])
            .await
            .expect_status(StatusCode::NOT_FOUND);
    }

    // Resend: a new link, the first one dies.
    admin
        .post_form("/company/users", &resend, &[])
        .await
        .expect_redirect("/company/users");
    wait_until(
        || app.smtp.to("new@example.com").len() == 2,
        "a second invitation",
    )
    .await;
    let second =
        link(&app.smtp.to("new@example.com")[1].text, "/invitations/").replace(&app.base, "");
    app.client()
        .get(&first)
        .await
        .expect_status(StatusCode::GONE);
    app.client()
        .get(&second)
        .await
        .expect_status(StatusCode::OK)
        .expect_text("admin");

    // Revoke the live one: its link dies and it leaves the list.
    let page = admin.get("/company/users").await;
    let revoke = page
        .body
        .split("action=\"")
        .filter_map(|s| s.split('"').next())
        .find(|a| a.starts_with("/company/invitations/") && a.ends_with("/revoke"))
        .expect("the new invitation's revoke action")
        .to_string();
    admin
        .post_form("/company/users", &revoke, &[])
        .await
        .expect_redirect("/company/users");
    app.client()
        .get(&second)
        .await
        .expect_status(StatusCode::GONE);
    let after = admin.get("/company/users").await;
    assert!(!after.body.contains("Pending invitations"));
}
