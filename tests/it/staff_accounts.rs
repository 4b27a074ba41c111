//! Staff account pages: create with per-field messages, CSV import with a per-row report,
//! services and credits that change eligibility, the audit log, and who may open them.
use reqwest::StatusCode;

use crate::helpers::*;

async fn staff(app: &TestApp) -> Client {
    app.staff("staff@example.com").await;
    let c = app.client();
    c.sign_in("staff@example.com", PASSWORD)
        .await
        .expect_redirect("/staff/approvals");
    c
}

fn account_fields<'a>(email: &'a str, company: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("company_name", company),
        ("primary_email", email),
        ("country", "FR"),
        ("phone", ""),
        ("data_center", "eu-west"),
        ("tags", "gold, 2026"),
        ("billing_mode", "prepaid"),
        ("active", "on"),
    ]
}

#[tokio::test]
async fn staff_create_an_account_and_bad_input_is_named_per_field_with_nothing_written() {
    let app = spawn_app().await;
    let c = staff(&app).await;
    let mut bad = account_fields("not-an-email", "");
    bad[2] = ("country", "XX");
    let page = c
        .post_form("/staff/accounts/new", "/staff/accounts/new", &bad)
        .await;
    page.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["company_name", "primary_email", "country"] {
        assert!(page.field_error(field).is_some(), "no message for {field}");
    }
    assert_eq!(page.input_value("primary_email").unwrap(), "not-an-email");
    assert_eq!(app.count("accounts").await, 0);

    let made = c
        .post_form(
            "/staff/accounts/new",
            "/staff/accounts/new",
            &account_fields("ops@acme.example", "Acme Ops"),
        )
        .await;
    made.expect_redirect("/staff/accounts/");
    let page = c.get(&made.location()).await;
    page.expect_status(StatusCode::OK)
        .expect_text("Acme Ops")
        .expect_text("ops@acme.example");
    // The same email again is refused next to the field.
    let again = c
        .post_form(
            "/staff/accounts/new",
            "/staff/accounts/new",
            &account_fields("OPS@acme.example", "Acme Again"),
        )
        .await;
    again.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.field_error("primary_email").is_some());
    assert_eq!(app.count("accounts").await, 1);
    c.get("/staff/accounts?q=acme")
        .await
        .expect_text("Acme Ops");
}

#[tokio::test]
async fn a_csv_import_reports_every_row_and_creates_only_the_valid_ones() {
    let app = spawn_app().await;
    let c = staff(&app).await;
    let csv = "company_name,primary_email,country,billing_mode,in_poc\n\
               Good One,good1@x.example,DE,prepaid,no\n\
               ,bad@x.example,DE,prepaid,no\n\
               Good Two,good2@x.example,US,postpaid,yes\n\
               Dup,good1@x.example,DE,prepaid,no\n\
               Bad Country,c@x.example,ZZ,prepaid,no\n";
    let page = c
        .post_form(
            "/staff/accounts/import",
            "/staff/accounts/import",
            &[("csv", csv)],
        )
        .await;
    page.expect_status(StatusCode::OK)
        .expect_text("2 accounts created")
        .expect_text("3 rows refused");
    page.expect_text("appears twice").expect_text("country");
    assert_eq!(app.count("accounts").await, 2);
    let wrong_header = c
        .post_form(
            "/staff/accounts/import",
            "/staff/accounts/import",
            &[("csv", "name,email\nA,a@x.example\n")],
        )
        .await;
    assert!(
        wrong_header.body.contains("missing"),
        "{}",
        wrong_header.body
    );
    assert_eq!(app.count("accounts").await, 2);
}

#[tokio::test]
async fn a_csv_file_upload_imports_like_pasted_text_and_needs_the_csrf_token() {
    let app = spawn_app().await;
    let c = staff(&app).await;
    let form = "/staff/accounts/import";
    // A spreadsheet's "CSV UTF-8" starts with a byte-order mark.
    let mut file = b"\xEF\xBB\xBF".to_vec();
    file.extend_from_slice(
        "company_name,primary_email,country\nMüller Bau GmbH,info@mueller.example,DE\n".as_bytes(),
    );
    // Without the token (a forged cross-site upload): refused, nothing created.
    c.post_multipart(form, &[], ("file", "accounts.csv", file.clone()), None)
        .await
        .expect_status(StatusCode::FORBIDDEN);
    assert_eq!(app.count("accounts").await, 0);

    let token = c.get(form).await.csrf();
    c.post_multipart(
        form,
        &[("csv", "")],
        ("file", "accounts.csv", file),
        Some(&token),
    )
    .await
    .expect_status(StatusCode::OK)
    .expect_text("1 account created");
    c.get("/staff/accounts?q=m%C3%BCller")
        .await
        .expect_text("Müller Bau GmbH");

    // A file that is not UTF-8 text (Latin-1 "ü") is named as the problem; nothing created.
    let latin1 =
        b"company_name,primary_email,country\nM\xFCller Zwei,zwei@mueller.example,DE\n".to_vec();
    c.post_multipart(form, &[], ("file", "latin1.csv", latin1), Some(&token))
        .await
        .expect_status(StatusCode::UNPROCESSABLE_ENTITY)
        .expect_text("not UTF-8 text");
    // No file and no text: the form says to choose or paste one.
    c.post_multipart(
        form,
        &[("csv", " ")],
        ("file", "", Vec::new()),
        Some(&token),
    )
    .await
    .expect_text("Choose a .csv file, or paste the CSV text");
    assert_eq!(app.count("accounts").await, 1);
}

/// The partner's "Check eligibility" answer for an email.
async fn eligibility_check(partner: &Client, email: &str) -> Page {
    partner
        .post_form(
            "/customers/new",
            "/customers/new",
            &[("mode", "link"), ("action", "check"), ("email", email)],
        )
        .await
}

#[tokio::test]
async fn a_service_added_by_staff_makes_the_account_ineligible_for_partners() {
    let app = spawn_app().await;
    app.partner("p@example.com", "Reseller Co").await;
    let c = staff(&app).await;
    let made = c
        .post_form(
            "/staff/accounts/new",
            "/staff/accounts/new",
            &account_fields("busy@x.example", "Busy Ltd"),
        )
        .await;
    let path = made.location();
    c.post_form(
        &path,
        &format!("{path}/services"),
        &[("name", "Object Storage")],
    )
    .await
    .expect_redirect(&path);
    c.get(&path).await.expect_text("Object Storage");

    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    let check = eligibility_check(&partner, "busy@x.example").await;
    check
        .expect_text("uses 1 service: Object Storage")
        .expect_text("1 rule fails");
    // The failing rule carries the marks the stylesheet colours red (it looked like a passed
    // one when the page's markup and the stylesheet's class names differed).
    let failing = check
        .body
        .split("<li class=\"")
        .find(|li| li.contains("Object Storage"))
        .expect("the failing rule's item");
    assert!(failing.starts_with("fail\""), "{failing}");
    for part in ["class=\"mark\"", "class=\"rule-message\"", "Fails: "] {
        assert!(failing.contains(part), "{part} in {failing}");
    }

    // Staff end the service; a second click changes nothing and records nothing more.
    let page = c.get(&path).await;
    let end = page
        .body
        .split("action=\"")
        .filter_map(|s| s.split('"').next())
        .find(|a| a.contains("/items/") && a.ends_with("/end"))
        .expect("an End button for the service")
        .to_string();
    for _ in 0..2 {
        c.post_form(&path, &end, &[]).await.expect_redirect(&path);
    }
    let log = c.get("/staff/audit").await;
    assert_eq!(log.body.matches("account.item_ended").count(), 1);
    let check = eligibility_check(&partner, "busy@x.example").await;
    assert!(
        !check.body.contains("Object Storage"),
        "an ended service no longer counts"
    );
    check.expect_text("Eligible: every rule holds");
}

#[tokio::test]
async fn the_audit_log_shows_staff_actions_and_is_closed_to_partners() {
    let app = spawn_app().await;
    let id = app.partner("p@example.com", "Audited Co").await;
    let c = staff(&app).await;
    c.post_form(
        "/staff/partners",
        &format!("/staff/partners/{id}/suspend"),
        &[("confirmed", "yes")],
    )
    .await;
    let log = c.get(&format!("/staff/audit?partner={id}")).await;
    log.expect_status(StatusCode::OK)
        .expect_text("partner.suspended")
        .expect_text("Stella Staff");
    app.partner("q@example.com", "Other Co").await;
    let q = app.client();
    q.sign_in("q@example.com", PASSWORD)
        .await
        .expect_redirect("/");
    q.get("/staff/audit")
        .await
        .expect_status(StatusCode::FORBIDDEN);
    q.get("/staff/accounts/new")
        .await
        .expect_status(StatusCode::FORBIDDEN);
    q.post_form(
        "/",
        "/staff/accounts/import",
        &[(
            "csv",
            "company_name,primary_email,country\nX,x@x.example,DE\n",
        )],
    )
    .await
    .expect_status(StatusCode::FORBIDDEN);
    assert_eq!(app.count("accounts").await, 0);
}
