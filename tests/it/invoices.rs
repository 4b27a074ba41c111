//! Invoices: a paid order issues an invoice, numbered without gaps per year, with
//! tax by the customer's country; its payment link pays it once, whatever happens; a replaced
//! or altered link opens nothing.
use partner_portal::entities::payments;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::{
    helpers::*,
    orders::{order, shop},
};

/// The payment link shown on the customer's page for `number`.
async fn link_of(c: &Client, customer: &str, number: &str) -> String {
    let page = c.get(&format!("/customers/{customer}")).await;
    page.input_value(&format!("link-{number}"))
        .unwrap_or_else(|| panic!("no link for {number} in {}", page.body))
}

async fn succeeded(app: &TestApp) -> u64 {
    payments::Entity::find()
        .filter(payments::Column::Outcome.eq("succeeded"))
        .count(&app.core.db.read)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_order_issues_an_invoice_whose_link_pays_it_once() {
    let s = shop().await;
    let app = &s.app;
    // Staff's tax rate for the customer's country (Germany): 19 %; a bad rate is refused.
    let taxes = "/staff/tax-rates";
    let bad = s
        .staff
        .post_form(taxes, taxes, &[("country", "DE"), ("rate", "150")])
        .await;
    bad.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field_error("rate").is_some());
    s.staff
        .post_form(taxes, taxes, &[("country", "DE"), ("rate", "19")])
        .await
        .expect_redirect(taxes);
    s.staff
        .get(taxes)
        .await
        .expect_text("Germany")
        .expect_text("19%");
    let placed = order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "10")],
    )
    .await;
    assert!(placed.starts_with("/orders/"));
    let year = chrono::Datelike::year(&app.core.now());
    let number = format!("INV-{year}-000001");
    // $90.00 and 19 % tax: $107.10.
    let customer_page = s.partner.get(&format!("/customers/{}", s.customer)).await;
    customer_page
        .expect_text(&number)
        .expect_text("$107.10")
        .expect_text("Open");
    let link = link_of(&s.partner, &s.customer, &number).await;
    let path = link.trim_start_matches(&app.base).to_string();
    assert!(path.starts_with("/pay/"), "{link}");

    // Anyone with the link, signed out: the invoice, who bills whom, no caching, no referrer.
    let payer = app.client();
    let page = payer.get(&path).await;
    page.expect_status(StatusCode::OK)
        .expect_text(&number)
        .expect_text("Reseller Co")
        .expect_text("Acme")
        .expect_text("$90.00")
        .expect_text("$17.10")
        .expect_text("$107.10")
        .expect_text("Test installation");
    assert_eq!(page.headers["cache-control"], "no-store");
    let token = page.csrf();
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    // The declining card leaves it open, with a message.
    let declined = payer.post_form(&path, &path, &[("card", "decline")]).await;
    declined
        .expect_status(StatusCode::UNPROCESSABLE_ENTITY)
        .expect_text("declined");
    assert_eq!(succeeded(app).await, 0);
    // The approving card pays it; the receipt goes to the payer, the customer and the partner.
    payer
        .post_form(
            &path,
            &path,
            &[("card", "approve"), ("email", "ap@acme.example")],
        )
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Paid");
    for to in ["ap@acme.example", "it@acme.example", "p@example.com"] {
        app.smtp
            .wait_for(to, &format!("Receipt for {number}"))
            .await;
    }
    // Paying again (a second tab's form) changes nothing: the page shows it paid.
    let again = payer
        .post_raw(
            &path,
            &[("csrf_token", token.as_str()), ("card", "approve")],
        )
        .await;
    again.expect_text("Paid");
    assert_eq!(succeeded(app).await, 1);
    s.partner
        .get(&format!("/customers/{}", s.customer))
        .await
        .expect_text("Paid");
    // An altered token opens nothing.
    let mut altered = path.clone();
    altered.pop();
    altered.push(if path.ends_with('A') { 'B' } else { 'A' });
    app.client()
        .get(&altered)
        .await
        .expect_status(StatusCode::NOT_FOUND)
        .expect_text("payment link is not valid");
    // Another partner sees none of it.
    crate::registrations::quick_partner(app, "o@example.com", "Other Co").await;
    let other = app.client();
    other.sign_in("o@example.com", PASSWORD).await;
    let invoice_id = customer_page.id_after("/invoices/");
    other
        .get(&format!("/invoices/{invoice_id}"))
        .await
        .expect_status(StatusCode::NOT_FOUND);
    s.partner
        .get(&format!("/invoices/{invoice_id}"))
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Paid")
        .expect_text("ap@acme.example");
    // The partner's list: its invoices with the open and paid sums, filtered, and as CSV.
    order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "1")],
    )
    .await;
    let list = s.partner.get("/invoices").await;
    list.expect_status(StatusCode::OK)
        .expect_text(&number)
        .expect_text(&format!("INV-{year}-000002"))
        .expect_text("$107.10")
        .expect_text("$10.71");
    let paid_only = s.partner.get("/invoices?status=paid").await;
    paid_only.expect_text(&number);
    assert!(!paid_only.body.contains(&format!("INV-{year}-000002")));
    let none = s.partner.get("/invoices?customer=Umbrella").await;
    none.expect_text("No invoice matches");
    let csv = s.partner.get("/invoices/export.csv?status=paid").await;
    assert!(
        csv.body.starts_with("Number,Kind,Partner,Customer"),
        "{}",
        csv.body
    );
    assert!(
        csv.body.contains(&format!("{number},order,,Acme,")),
        "{}",
        csv.body
    );
    assert!(
        csv.body.contains(",paid,USD,90.00,17.10,107.10,0.00,0.00"),
        "{}",
        csv.body
    );
    // Staff see every partner's; partners do not see staff's list.
    s.staff
        .get("/staff/invoices")
        .await
        .expect_text(&number)
        .expect_text("Reseller Co");
    s.partner
        .get("/staff/invoices")
        .await
        .expect_status(StatusCode::FORBIDDEN);

    // The next year starts its own numbers.
    app.clock.advance(chrono::Duration::days(366));
    order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "1")],
    )
    .await;
    s.partner
        .get(&format!("/customers/{}", s.customer))
        .await
        .expect_text(&format!("INV-{}-000001", year + 1));
}

#[tokio::test]
async fn twenty_payments_at_once_pay_once_and_a_replaced_link_stops_working() {
    let s = shop().await;
    let app = &s.app;
    order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "2")],
    )
    .await;
    let year = chrono::Datelike::year(&app.core.now());
    let number = format!("INV-{year}-000001");
    let first = link_of(&s.partner, &s.customer, &number).await;
    // The partner replaces the link: the first stops working.
    let page = s.partner.get(&format!("/customers/{}", s.customer)).await;
    let invoice = page.id_after("/invoices/");
    let replace = format!("/invoices/{invoice}/link");
    s.partner
        .post_form(
            &format!("/invoices/{invoice}"),
            &replace,
            &[("confirmed", "yes")],
        )
        .await
        .expect_redirect(&format!("/invoices/{invoice}"));
    let path_of = |l: &str| l.trim_start_matches(&app.base).to_string();
    app.client()
        .get(&path_of(&first))
        .await
        .expect_status(StatusCode::NOT_FOUND);
    let link = path_of(&link_of(&s.partner, &s.customer, &number).await);
    assert_ne!(link, path_of(&first));
    // Twenty payers at once: one payment.
    let mut payers = Vec::new();
    for _ in 0..20 {
        let c = app.client();
        let token = c.get(&link).await.csrf();
        payers.push((c, token));
    }
    let attempts = payers.iter().map(|(c, token)| async {
        c.post_raw(
            &link,
            &[("csrf_token", token.as_str()), ("card", "approve")],
        )
        .await
    });
    let pages = futures_util::future::join_all(attempts).await;
    assert!(pages
        .iter()
        .all(|p| p.status == StatusCode::OK || p.status == StatusCode::UNPROCESSABLE_ENTITY));
    assert_eq!(succeeded(app).await, 1);
    app.client().get(&link).await.expect_text("Paid");
}

#[tokio::test]
async fn the_partner_emails_the_link_staff_void_and_the_link_then_says_so() {
    let s = shop().await;
    let app = &s.app;
    order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "3")],
    )
    .await;
    let year = chrono::Datelike::year(&app.core.now());
    let number = format!("INV-{year}-000001");
    let link = link_of(&s.partner, &s.customer, &number).await;
    let page = s.partner.get(&format!("/customers/{}", s.customer)).await;
    let invoice = page.id_after("/invoices/");
    let path = format!("/invoices/{invoice}");
    // The partner emails the link to the customer's primary address.
    s.partner
        .post_form(&path, &format!("{path}/send"), &[("to", "")])
        .await
        .expect_redirect(&path);
    let mail = app
        .smtp
        .wait_for("it@acme.example", &format!("Invoice {number}"))
        .await;
    assert!(mail.text.contains(&link), "{}", mail.text);
    // Staff void it: a reason is needed, then a confirmation.
    let close = format!("{path}/close");
    s.staff
        .post_form(&path, &close, &[("to_status", "void"), ("reason", "")])
        .await
        .expect_redirect(&path);
    s.staff
        .get(&path)
        .await
        .expect_text("Give the reason")
        .expect_text("Open");
    s.staff
        .post_form(
            &path,
            &close,
            &[("to_status", "void"), ("reason", "Ordered twice")],
        )
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Mark INV-");
    s.staff
        .post_form(
            &path,
            &close,
            &[
                ("to_status", "void"),
                ("reason", "Ordered twice"),
                ("confirmed", "yes"),
            ],
        )
        .await
        .expect_redirect(&path);
    s.partner
        .get(&path)
        .await
        .expect_text("Void")
        .expect_text("Ordered twice");
    // The link shows it void and takes no payment.
    let pay = link.trim_start_matches(&app.base).to_string();
    let payer = app.client();
    let shown = payer.get(&pay).await;
    shown.expect_status(StatusCode::OK).expect_text("voided");
    assert!(!shown.body.contains("Pay with test card"));
    assert_eq!(succeeded(app).await, 0);
    // A partner cannot void; staff cannot be asked through the partner's form.
    s.partner
        .post_form(
            &path,
            &close,
            &[("to_status", "void"), ("reason", "x"), ("confirmed", "yes")],
        )
        .await
        .expect_status(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn cancelling_an_order_voids_its_open_invoice_and_a_paid_one_stops_the_cancellation() {
    let s = shop().await;
    let app = &s.app;
    let year = chrono::Datelike::year(&app.core.now());
    let first = order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "2")],
    )
    .await;
    s.partner
        .post_form(&first, &format!("{first}/cancel"), &[("confirmed", "yes")])
        .await
        .expect_redirect(&first);
    let link = link_of_any(&s.partner, &s.customer).await;
    assert!(link.is_none(), "a void invoice has no link to show");
    s.partner
        .get("/invoices?status=void")
        .await
        .expect_text(&format!("INV-{year}-000001"));
    // A second order, paid: it can no longer be cancelled.
    let second = order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "2")],
    )
    .await;
    let pay = link_of(&s.partner, &s.customer, &format!("INV-{year}-000002")).await;
    let pay = pay.trim_start_matches(&app.base).to_string();
    app.client()
        .post_form(&pay, &pay, &[("card", "approve")])
        .await
        .expect_text("Paid");
    s.partner
        .post_form(
            &second,
            &format!("{second}/cancel"),
            &[("confirmed", "yes")],
        )
        .await
        .expect_redirect(&second);
    s.partner
        .get(&second)
        .await
        .expect_text("is paid: the provider can credit it back")
        .expect_text("Placed");
}

/// Any payment link on the customer's page.
async fn link_of_any(c: &Client, customer: &str) -> Option<String> {
    let page = c.get(&format!("/customers/{customer}")).await;
    page.body.find("name=\"link-").map(|_| String::new())
}

#[tokio::test]
async fn the_partner_hears_of_overdue_invoices_once_a_day() {
    let s = shop().await;
    let app = &s.app;
    order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "2")],
    )
    .await;
    let digests = || async {
        app.queued_to("p@example.com")
            .await
            .into_iter()
            .filter(|s| s.contains("past due"))
            .count()
    };
    // Not due yet: nothing.
    app.job_rounds_pass(2).await;
    assert_eq!(digests().await, 0);
    // Due in 14 days; 15 days on, one digest, however many rounds run that day.
    app.clock.advance(chrono::Duration::days(15));
    app.job_rounds_pass(3).await;
    assert_eq!(digests().await, 1);
    let mail = app
        .smtp
        .wait_for("p@example.com", "1 invoice is past due")
        .await;
    assert!(mail.text.contains("to Acme: $18.00"), "{}", mail.text);
    assert!(mail.text.contains("(1 day ago)"), "{}", mail.text);
    app.clock.advance(chrono::Duration::hours(3));
    app.job_rounds_pass(3).await;
    assert_eq!(digests().await, 1);
    // The next day, another.
    app.clock.advance(chrono::Duration::days(1));
    app.job_rounds_pass(3).await;
    assert_eq!(digests().await, 2);
}

/// The text of a PDF, read back with poppler's pdftotext (installed by `.ci/run`).
fn pdf_text(bytes: &[u8]) -> Option<String> {
    use std::io::Write;
    let mut child = std::process::Command::new("pdftotext")
        .args(["-layout", "-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(bytes).ok()?;
    let out = child.wait_with_output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// An order of `quantity` seats, and its invoice with its payment link.
async fn ordered_invoice(
    s: &crate::orders::Shop,
    quantity: &str,
) -> (partner_portal::services::invoices::InvoiceView, String) {
    order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", quantity)],
    )
    .await;
    let (inv, link) = partner_portal::services::invoices::of_customer(
        &s.app.core,
        s.org.id,
        s.customer.parse().unwrap(),
    )
    .await
    .unwrap()
    .remove(0);
    (inv, link.expect("an open invoice has its link"))
}

#[tokio::test]
async fn an_invoice_downloads_as_a_pdf_for_those_who_may_see_it() {
    let s = shop().await;
    let app = &s.app;
    let (inv, link) = ordered_invoice(&s, "3").await;
    let pdf_path = format!("/invoices/{}/pdf", inv.id);
    for (who, path) in [
        (&s.partner, pdf_path.clone()),
        (&s.staff, pdf_path.clone()),
        (&app.client(), format!("{link}/pdf")),
    ] {
        let (status, headers, bytes) = who.get_bytes(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers["content-type"], "application/pdf");
        assert!(headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("{}.pdf", inv.number)));
        assert!(bytes.starts_with(b"%PDF-"));
        match pdf_text(&bytes) {
            Some(text) => {
                assert!(text.contains(&format!("Invoice {}", inv.number)), "{text}");
                assert!(
                    text.contains("Reseller Co") && text.contains("Acme"),
                    "{text}"
                );
                assert!(text.contains("$27.00"), "{text}");
                // Open: the amount due closes the totals and leads the note.
                assert!(text.contains("Amount due"), "{text}");
            }
            None if std::env::var_os("INVOICE_PDF_REQUIRE_POPPLER").is_some() => {
                panic!("pdftotext is required (apt-get install poppler-utils)")
            }
            None => eprintln!("pdftotext missing: the PDF's text was not checked"),
        }
    }
    // Another partner, and an altered link: nothing.
    crate::registrations::quick_partner(app, "other@example.com", "Other Co").await;
    let other = app.client();
    other.sign_in("other@example.com", PASSWORD).await;
    assert_eq!(other.get_bytes(&pdf_path).await.0, StatusCode::NOT_FOUND);
    let mut altered = link.clone();
    altered.pop();
    altered.push(if link.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(
        app.client().get_bytes(&format!("{altered}/pdf")).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn customers_are_reminded_of_open_invoices_on_the_schedule_staff_keep() {
    use partner_portal::services::reminders::send_due;
    let s = shop().await;
    let app = &s.app;
    let reminders = "/staff/reminders";
    s.staff
        .get(reminders)
        .await
        .expect_text("3 days before the due date")
        .expect_text("7 days after the due date");
    // A bad day is refused next to the field, the schedule unchanged.
    for bad in ["abc", "-31", "91", "2.5"] {
        let res = s
            .staff
            .post_form(reminders, reminders, &[("day", bad)])
            .await;
        res.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.field_error("day").is_some(), "{bad}");
        // The typed value is kept in the field (the schedule's own forms carry their days).
        assert!(res
            .body
            .contains(&format!("inputmode=\"numeric\" value=\"{bad}\"")));
    }
    order(
        &s.partner,
        &s.customer,
        &[("product", &s.product), ("quantity", "2")],
    )
    .await;
    let number = format!("INV-{}-000001", chrono::Datelike::year(&app.core.now()));
    let subjects = |app: &TestApp| {
        let app_smtp = app.smtp.clone();
        async move {
            app_smtp
                .to("it@acme.example")
                .into_iter()
                .filter(|m| m.subject.starts_with("Reminder"))
                .map(|m| m.subject)
                .collect::<Vec<_>>()
        }
    };
    // Due in 14 days: nothing yet; 11 days on, "due in 3 days", once however often it runs.
    assert_eq!(send_due(&app.core).await.unwrap(), 0);
    app.clock.advance(chrono::Duration::days(11));
    assert_eq!(send_due(&app.core).await.unwrap(), 1);
    assert_eq!(send_due(&app.core).await.unwrap(), 0);
    app.job_rounds_pass(2).await;
    let mail = app
        .smtp
        .wait_for("it@acme.example", &format!("Reminder: invoice {number}"))
        .await;
    assert!(mail.subject.contains("due in 3 days"), "{}", mail.subject);
    assert!(mail.text.contains("/pay/"));
    // Staff move the week-late reminder to 5 days late.
    s.staff
        .post_form(reminders, reminders, &[("day", "7"), ("action", "remove")])
        .await
        .expect_redirect(reminders);
    s.staff
        .post_form(reminders, reminders, &[("day", "+5")])
        .await
        .expect_redirect(reminders);
    // A day after the due date, then five days after: two more; seven days after: none.
    app.clock.advance(chrono::Duration::days(4));
    assert_eq!(send_due(&app.core).await.unwrap(), 1);
    app.clock.advance(chrono::Duration::days(4));
    assert_eq!(send_due(&app.core).await.unwrap(), 1);
    app.clock.advance(chrono::Duration::days(2));
    assert_eq!(send_due(&app.core).await.unwrap(), 0);
    app.mail_rounds_pass(2).await;
    // Three reminders, each once (the outbox delivers a batch in no set order).
    let got = subjects(app).await;
    assert_eq!(got.len(), 3, "{got:?}");
    for when in ["due in 3 days", "1 day overdue", "5 days overdue"] {
        assert_eq!(
            got.iter().filter(|s| s.ends_with(when)).count(),
            1,
            "{when}: {got:?}"
        );
    }
}

#[tokio::test]
async fn a_stored_status_the_code_does_not_know_is_an_error_never_payable() {
    let s = shop().await;
    let app = &s.app;
    let (inv, link) = ordered_invoice(&s, "1").await;
    // A value written by something else (a hand-made fix, a newer version): not read as open.
    let backend = app.core.db.backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE invoices SET status = 'refunded' WHERE id = $1",
        _ => "UPDATE invoices SET status = 'refunded' WHERE id = ?",
    };
    use sea_orm::ConnectionTrait;
    app.core
        .db
        .write
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [inv.id.into()],
        ))
        .await
        .unwrap();
    let path = link.trim_start_matches(&app.base).to_string();
    let payer = app.client();
    let page = payer.get(&path).await;
    page.expect_status(StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!page.body.contains("Pay with test card"));
    s.partner
        .get(&format!("/invoices/{}", inv.id))
        .await
        .expect_status(StatusCode::INTERNAL_SERVER_ERROR);
}
