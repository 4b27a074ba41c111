//! Rights follow the current state on every request: a running Login As ends on its next
//! request when any of its grounds goes (the relationship ended by the customer, the partner
//! or staff, management mode turned off, the partner suspended, the partner user deactivated,
//! the members' permission withdrawn), and nothing that request asked is done; invitations a
//! partner sent into the account end with the relationship; only the account's own admins end
//! it.
use partner_portal::{
    domain::{AccountId, RegistrationId},
    entities::{audit_events, email_tokens, partners, users},
    services::{
        audit::Actor,
        registrations::{self as regs, Ender},
    },
};
use reqwest::StatusCode;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::{
    helpers::*,
    login_as::{management_mode, member_of},
    orders::{customer_users, shop, Shop},
};

#[derive(Debug, Clone, Copy)]
enum Cause {
    CustomerEnds,
    PartnerEnds,
    StaffEnds,
    ManagementOff,
    PartnerSuspended,
    UserDeactivated,
    MembersNoLongerAllowed,
}

async fn happen(s: &Shop, cause: Cause) {
    let app = &s.app;
    let reg = RegistrationId(s.customer.parse().unwrap());
    let actor = Actor::system("test");
    let end = |by| regs::end(&app.core, &actor, by, reg, "we part");
    match cause {
        Cause::CustomerEnds => drop(end(Ender::Customer(AccountId(s.account))).await.unwrap()),
        Cause::PartnerEnds => drop(end(Ender::Partner(s.org.id)).await.unwrap()),
        Cause::StaffEnds => drop(end(Ender::Staff).await.unwrap()),
        Cause::ManagementOff => management_mode(s, false).await,
        Cause::PartnerSuspended => {
            partners::Entity::update_many()
                .set(partners::ActiveModel {
                    active: Set(false),
                    ..Default::default()
                })
                .exec(&app.core.db.write)
                .await
                .unwrap();
        }
        Cause::UserDeactivated => {
            users::Entity::update_many()
                .set(users::ActiveModel {
                    active: Set(false),
                    ..Default::default()
                })
                .filter(users::Column::Email.is_in(["p@example.com", "m@example.com"]))
                .exec(&app.core.db.write)
                .await
                .unwrap();
        }
        Cause::MembersNoLongerAllowed => {
            // The admin turns the permission off in the company's settings.
            s.partner
                .post_form("/company", "/company/login-as", &[])
                .await
                .expect_redirect("/company");
        }
    }
}

async fn invitations(s: &Shop) -> u64 {
    email_tokens::Entity::find()
        .filter(email_tokens::Column::Purpose.eq("account_invitation"))
        .count(&s.app.core.db.read)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_running_login_as_ends_on_its_next_request_when_any_of_its_grounds_goes() {
    for cause in [
        Cause::CustomerEnds,
        Cause::PartnerEnds,
        Cause::StaffEnds,
        Cause::ManagementOff,
        Cause::PartnerSuspended,
        Cause::UserDeactivated,
        Cause::MembersNoLongerAllowed,
    ] {
        let s = shop().await;
        let app = &s.app;
        management_mode(&s, true).await;
        let ids = customer_users(app, s.account, &["Ann"]).await;
        let ann = format!("/customers/{}/users/{}", s.customer, ids[0]);
        // Who acts: the admin, or (for the permission) a member the admins allowed.
        let member;
        let who = if matches!(cause, Cause::MembersNoLongerAllowed) {
            s.partner
                .post_form("/company", "/company/login-as", &[("members", "on")])
                .await
                .expect_redirect("/company");
            member = member_of(app, "p@example.com", "m@example.com").await;
            member.set_up_two_factor("m@example.com").await;
            &member
        } else {
            &s.partner
        };
        who.post_form(&ann, &format!("{ann}/login-as"), &[])
            .await
            .expect_redirect("/my/partner");
        // The form is open when the ground goes; its POST arrives after.
        let token = who.get("/my/users").await.csrf();
        happen(&s, cause).await;
        let before = invitations(&s).await;
        let answer = who
            .post_raw(
                "/my/users/invite",
                &[
                    ("csrf_token", token.as_str()),
                    ("email", "mallory@former.example"),
                    ("role", "admin"),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{cause:?}");
        assert_eq!(invitations(&s).await, before, "{cause:?}: nothing was done");
        let signs_out = matches!(cause, Cause::PartnerSuspended | Cause::UserDeactivated);
        if signs_out {
            answer.expect_redirect("/login");
        } else {
            answer.expect_redirect(&format!("/customers/{}", s.customer));
            // Back as the partner user, told why; the customer's pages are closed to it.
            let page = who.get(&format!("/customers/{}", s.customer)).await;
            page.expect_text("Your Login As session as Ann ended");
            assert!(!page.body.contains("You are signed in as"), "{cause:?}");
            assert_ne!(
                who.get("/my/users").await.status,
                StatusCode::OK,
                "{cause:?}: /my/users after the end"
            );
        }
        let ended = audit_events::Entity::find()
            .filter(audit_events::Column::Action.eq("login_as.ended"))
            .all(&app.core.db.read)
            .await
            .unwrap();
        assert!(
            ended.iter().any(|e| e.detail.contains("(ended: ")),
            "{cause:?}: the end is audited with why"
        );
    }
}

#[tokio::test]
async fn an_invitation_the_partner_sent_dies_with_the_relationship() {
    let s = shop().await;
    let app = &s.app;
    management_mode(&s, true).await;
    // The partner invites an admin into the account from the customer's page.
    let users_page = format!("/customers/{}/users", s.customer);
    let invite = format!("{users_page}/invite");
    s.partner
        .post_form(
            &format!("/customers/{}", s.customer),
            &invite,
            &[("email", "mallory@former.example"), ("role", "admin")],
        )
        .await;
    let mail = app
        .smtp
        .wait_for("mallory@former.example", "invited you")
        .await;
    let path = link(&mail.text, "/join/").replace(&app.base, "");
    let c = app.client();
    let page = c.get(&path).await;
    page.expect_status(StatusCode::OK);
    let token = page.csrf();
    // The customer ends the relationship: the invitation no longer works.
    regs::end(
        &app.core,
        &Actor::system("test"),
        Ender::Customer(AccountId(s.account)),
        RegistrationId(s.customer.parse().unwrap()),
        "we part",
    )
    .await
    .unwrap();
    c.get(&path)
        .await
        .expect_status(StatusCode::GONE)
        .expect_text("no longer manages the account");
    let accept = c
        .post_raw(
            &path,
            &[
                ("csrf_token", token.as_str()),
                ("name", "Mallory"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_ne!(accept.status, StatusCode::SEE_OTHER, "not accepted");
    assert_eq!(
        users::Entity::find()
            .filter(users::Column::Email.eq("mallory@former.example"))
            .count(&app.core.db.read)
            .await
            .unwrap(),
        0
    );
    let revoked = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("account_user.invitations_revoked"))
        .count(&app.core.db.read)
        .await
        .unwrap();
    assert_eq!(revoked, 1);
    // Each refused use of it is recorded as an attempt.
    let attempts = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("account_user.invitation_refused"))
        .count(&app.core.db.read)
        .await
        .unwrap();
    assert_eq!(attempts, 2, "the page opened and the form sent");
}

/// A member and an admin of the account, who can sign in.
async fn own_users(s: &Shop) {
    let app = &s.app;
    let hash = app.core.hasher.hash(PASSWORD).await.unwrap();
    for (email, role) in [
        ("member@acme.example", partner_portal::domain::Role::Member),
        ("admin@acme.example", partner_portal::domain::Role::Admin),
    ] {
        users::Entity::insert(users::ActiveModel {
            id: Set(uuid::Uuid::new_v4()),
            email: Set(email.into()),
            name: Set(email.into()),
            password_hash: Set(hash.clone()),
            kind: Set(partner_portal::domain::UserKind::Customer),
            partner_id: Set(None),
            account_id: Set(Some(s.account)),
            role: Set(role),
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
    }
}

#[tokio::test]
async fn only_the_accounts_own_admins_end_the_relationship() {
    let s = shop().await;
    let app = &s.app;
    own_users(&s).await;
    let member = app.client();
    member.sign_in("member@acme.example", PASSWORD).await;
    let page = member.get("/my/partner").await;
    page.expect_text("Only an admin of your account can end the relationship");
    assert!(!page.body.contains(r#"action="/my/partner/end""#));
    member
        .post_raw(
            "/my/partner/end",
            &[("csrf_token", page.csrf().as_str()), ("confirmed", "yes")],
        )
        .await
        .expect_status(StatusCode::FORBIDDEN);
    // The attempt is recorded.
    let attempts = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("registration.end_refused"))
        .count(&app.core.db.read)
        .await
        .unwrap();
    assert_eq!(attempts, 1);
    let admin = app.client();
    admin.sign_in("admin@acme.example", PASSWORD).await;
    admin
        .post_form("/my/partner", "/my/partner/end", &[("confirmed", "yes")])
        .await
        .expect_redirect("/my/partner");
    admin.get("/my/partner").await.expect_text("no partner");
}

#[tokio::test]
async fn ending_lists_the_users_the_partner_added_and_removes_the_ticked_ones() {
    let s = shop().await;
    let app = &s.app;
    own_users(&s).await;
    management_mode(&s, true).await;
    s.partner
        .post_form(
            &format!("/customers/{}", s.customer),
            &format!("/customers/{}/users/invite", s.customer),
            &[("email", "bob@partner-pick.example"), ("role", "admin")],
        )
        .await;
    let mail = app
        .smtp
        .wait_for("bob@partner-pick.example", "invited you")
        .await;
    let path = link(&mail.text, "/join/").replace(&app.base, "");
    let bob = app.client();
    bob.post_form(
        &path,
        &path,
        &[
            ("name", "Bob Pick"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    )
    .await
    .expect_status(StatusCode::SEE_OTHER);
    let bob_id = users::Entity::find()
        .filter(users::Column::Email.eq("bob@partner-pick.example"))
        .one(&app.core.db.read)
        .await
        .unwrap()
        .unwrap()
        .id;
    let admin = app.client();
    admin.sign_in("admin@acme.example", PASSWORD).await;
    // The confirmation lists Bob (ticked), not the account's own users.
    let ask = admin
        .post_form("/my/partner", "/my/partner/end", &[("reason", "moving on")])
        .await;
    ask.expect_status(StatusCode::OK)
        .expect_text("Users Reseller Co added to your account")
        .expect_text("Bob Pick &#60;bob@partner-pick.example&#62; (Admin)");
    assert!(!ask.body.contains("member@acme.example"));
    let token = ask.csrf();
    let bob_value = bob_id.to_string();
    admin
        .post_raw(
            "/my/partner/end",
            &[
                ("csrf_token", token.as_str()),
                ("confirmed", "yes"),
                ("reason", "moving on"),
                ("remove", bob_value.as_str()),
            ],
        )
        .await
        .expect_redirect("/my/partner");
    admin
        .get("/my/partner")
        .await
        .expect_text("The user it added was removed");
    let bob_row = users::Entity::find_by_id(bob_id)
        .one(&app.core.db.read)
        .await
        .unwrap()
        .unwrap();
    assert!(!bob_row.active, "Bob was removed with the relationship");
}
