//! Bad input on every form: a message next to the field, the values kept, nothing written.
use reqwest::StatusCode;

use crate::helpers::*;

async fn signup_path(app: &TestApp, email: &str) -> String {
    app.client()
        .post_form(
            "/partners/register",
            "/partners/register",
            &[("email", email)],
        )
        .await;
    let mail = app
        .smtp
        .wait_for(email, "Finish your partner registration")
        .await;
    link(&mail.text, "/partners/register/").replace(&app.base, "")
}

#[tokio::test]
async fn the_sign_up_email_form_explains_a_bad_address_and_keeps_it() {
    let app = spawn_app().await;
    for bad in ["", "not-an-email", "a@b"] {
        let page = app
            .client()
            .post_form(
                "/partners/register",
                "/partners/register",
                &[("email", bad)],
            )
            .await;
        page.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.field_error("email").is_some(),
            "no message for {bad:?}"
        );
        assert_eq!(page.input_value("email").unwrap(), bad);
    }
    assert_eq!(app.count("email_tokens").await, 0);
    assert_eq!(app.count("outbox").await, 0);
}

#[tokio::test]
async fn the_registration_form_names_each_bad_field_keeps_the_values_and_writes_nothing() {
    let app = spawn_app().await;
    let path = signup_path(&app, "form@example.com").await;
    let c = app.client();
    let cases: &[(&str, &str, &str)] = &[
        ("company_name", "   ", "Enter the company name."),
        ("contact_name", "", "Enter the contact name."),
        ("country", "XX", "Choose a country"),
        ("phone", "call me maybe", "6 to 15 digits"),
        ("password", "short", "at least 10 characters"),
        ("password", "password123", "too easy to guess"),
        (
            "password_confirm",
            "something-else-entirely",
            "do not match",
        ),
    ];
    for (field, value, message) in cases {
        let mut fields = vec![
            ("company_name", "Form Co <b>"),
            ("contact_name", "Fay Form"),
            ("country", "DE"),
            ("phone", "+49 30 1234567"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ];
        for f in fields.iter_mut() {
            if f.0 == *field {
                f.1 = value;
            }
        }
        let page = c.post_form(&path, &path, &fields).await;
        page.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
        let msg = page
            .field_error(field)
            .unwrap_or_else(|| panic!("no message for {field}"));
        assert!(
            msg.to_lowercase().contains(&message.to_lowercase()),
            "{field}: {msg}"
        );
        // Everything typed is still there (passwords excepted, by design), escaped.
        if *field != "company_name" {
            assert_eq!(
                page.input_value("company_name").unwrap(),
                "Form Co &#60;b&#62;"
            );
        }
        if *field != "phone" {
            assert_eq!(page.input_value("phone").unwrap(), "+49 30 1234567");
        }
        assert!(page.body.contains("value=\"DE\" selected") || *field == "country");
    }
    assert_eq!(app.count("partners").await, 0);
    assert_eq!(app.count("users").await, 0);
    // The link is still usable after the mistakes.
    c.get(&path).await.expect_status(StatusCode::OK);
}

#[tokio::test]
async fn the_password_forms_explain_what_is_wrong() {
    let app = spawn_app().await;
    app.partner("pw@example.com", "Pw Ltd").await;
    let c = app.client();
    c.post_form("/password/forgot", "/password/forgot", &[("email", "nope")])
        .await
        .expect_status(StatusCode::UNPROCESSABLE_ENTITY);

    c.sign_in("pw@example.com", PASSWORD).await;
    let page = c
        .post_form(
            "/account/password",
            "/account/password",
            &[
                ("current_password", "wrong-one-here"),
                ("password", "new-passphrase-77"),
                ("password_confirm", "new-passphrase-77"),
            ],
        )
        .await;
    page.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page.field_error("current_password"),
        None,
        "message shown without id is fine"
    );
    page.expect_text("The current password is not correct.");
    let page = c
        .post_form(
            "/account/password",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("password", "pw@example.com"),
                ("password_confirm", "pw@example.com"),
            ],
        )
        .await;
    page.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("password").unwrap().contains("email"));
    // Still the old password.
    app.client()
        .sign_in("pw@example.com", PASSWORD)
        .await
        .expect_redirect("/");
}

#[tokio::test]
async fn changing_the_password_keeps_this_session_and_ends_the_others() {
    let app = spawn_app().await;
    app.partner("chg@example.com", "Chg Ltd").await;
    let other = app.client();
    other.sign_in("chg@example.com", PASSWORD).await;
    let c = app.client();
    c.sign_in("chg@example.com", PASSWORD).await;
    let new = "changed-passphrase-31";
    c.post_form(
        "/account/password",
        "/account/password",
        &[
            ("current_password", PASSWORD),
            ("password", new),
            ("password_confirm", new),
        ],
    )
    .await
    .expect_redirect("/account/password");
    c.get("/account/password")
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Other devices have been signed out");
    other.get("/company").await.expect_redirect("/login");
}

#[tokio::test]
async fn the_company_form_names_bad_fields_and_changes_nothing() {
    let app = spawn_app().await;
    app.partner("co@example.com", "Original Co").await;
    let c = app.client();
    c.sign_in("co@example.com", PASSWORD).await;
    let page = c
        .post_form(
            "/company",
            "/company",
            &[
                ("company_name", ""),
                ("contact_name", "New Name"),
                ("country", "GB"),
                ("phone", "x"),
            ],
        )
        .await;
    page.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.field_error("company_name").is_some());
    assert!(page.field_error("phone").is_some());
    assert_eq!(page.input_value("contact_name").unwrap(), "New Name");
    c.get("/company")
        .await
        .expect_text("Original Co")
        .expect_text("Pat Partner");
}

#[tokio::test]
async fn a_login_with_nothing_filled_in_is_answered_not_crashed() {
    let app = spawn_app().await;
    app.client()
        .post_form("/login", "/login", &[])
        .await
        .expect_status(StatusCode::UNAUTHORIZED)
        .expect_text("Email or password is incorrect.");
}
