//! Search boxes answered from the search index (FTS5 trigram on SQLite, pg_trgm on
//! PostgreSQL): the same queries give the same rows on both databases (CI runs this file on
//! each), keep the page's filters, and follow renames in the same transaction.
use partner_portal::{
    domain::{Channel, CommissionRate, CustomerType, Email, PlainName},
    services::{
        audit::Actor,
        registrations::{self as regs, Terms},
        views::Partner,
    },
};
use reqwest::StatusCode;

use crate::{helpers::*, registrations::quick_partner};

async fn register(app: &TestApp, partner: &Partner, email: &str, friendly: &str) {
    regs::add_existing(
        &app.core,
        &Actor::system("test"),
        partner,
        &Email::parse(email).unwrap(),
        Terms {
            friendly_name: PlainName::parse(friendly, "n").unwrap(),
            partner_role: PlainName::parse("Partner", "r").unwrap(),
            customer_type: CustomerType::Customer,
            commission: CommissionRate::parse("10").unwrap(),
            management_mode: false,
        },
        Channel::Web,
    )
    .await
    .unwrap();
}

/// The company names in My Customers for `query`, as the page lists them (sorted by company).
async fn my_customers(c: &Client, query: &str) -> Vec<String> {
    let page = c
        .get(&format!(
            "/customers?sort=company&dir=asc&{}",
            serde_urlencoded::to_string([("q", query)]).unwrap()
        ))
        .await;
    page.expect_status(StatusCode::OK);
    companies(&page.body)
}

/// The text of each first cell's link in the table body.
fn companies(body: &str) -> Vec<String> {
    let tbody = body.split("<tbody>").nth(1).unwrap_or("");
    tbody
        .split("<tr>")
        .skip(1)
        .filter_map(|row| {
            let cell = row.split("<td").nth(1)?;
            let text = cell.split('>').nth(2)?.split('<').next()?;
            Some(text.trim().replace("&amp;", "&"))
        })
        .collect()
}

#[tokio::test]
async fn my_customers_search_finds_text_in_company_email_or_name_in_any_case_and_nothing_else() {
    let app = spawn_app().await;
    let mine = quick_partner(&app, "p@example.com", "Reseller Co").await;
    let other = quick_partner(&app, "o@example.com", "Other Co").await;
    for (email, company, friendly) in [
        ("it@acme.example", "ACME Widgets", "Acme"),
        ("ops@globex.example", "Globex GmbH", "Globby"),
        ("sales@initech.example", "Initech 50% Off", "Initech"),
        ("x@umbrella.example", "Umbrella Corp", "Brolly"),
    ] {
        app.account(email, company).await;
        register(&app, &mine, email, friendly).await;
    }
    // Another partner's customer with a matching name never shows.
    app.account("it@acme-other.example", "Acme Other").await;
    register(&app, &other, "it@acme-other.example", "Acme 2").await;

    let c = app.client();
    c.sign_in("p@example.com", PASSWORD).await;
    assert_eq!(my_customers(&c, "acme").await, ["ACME Widgets"]);
    assert_eq!(my_customers(&c, "WIDG").await, ["ACME Widgets"]);
    assert_eq!(my_customers(&c, "@globex").await, ["Globex GmbH"]);
    assert_eq!(my_customers(&c, "brolly").await, ["Umbrella Corp"]);
    assert_eq!(my_customers(&c, "example").await.len(), 4);
    // Wildcards are text: "50%" is not "50 then anything".
    assert_eq!(my_customers(&c, "50%").await, ["Initech 50% Off"]);
    assert_eq!(my_customers(&c, "o_s").await, Vec::<String>::new());
    // No match, and a short query (answered by a scan) still right.
    assert!(my_customers(&c, "zzzz").await.is_empty());
    assert_eq!(my_customers(&c, "gm").await, ["Globex GmbH"]);
    // The search keeps the page's filters.
    let page = c
        .get("/customers?q=example&status=active&sort=company&dir=asc")
        .await;
    assert!(companies(&page.body).is_empty(), "none is active yet");

    // A renamed account is found by its new name at once, and no longer by the old one.
    let staff = app.client();
    app.staff("staff@example.com").await;
    staff.sign_in("staff@example.com", PASSWORD).await;
    let list = staff.get("/staff/accounts?q=umbrella").await;
    list.expect_text("Umbrella Corp");
    let id = list
        .body
        .split("href=\"/staff/accounts/")
        .find(|s| s.contains("\">Umbrella Corp<"))
        .expect("a link to the account")
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let path = format!("/staff/accounts/{id}");
    staff
        .post_form(
            &path,
            &path,
            &[
                ("company_name", "Raincoat Holdings"),
                ("country", "DE"),
                ("data_center", "default"),
                ("tags", "rain, coats"),
                ("billing_mode", "prepaid"),
                ("active", "yes"),
            ],
        )
        .await
        .expect_redirect(&path);
    assert_eq!(my_customers(&c, "raincoat").await, ["Raincoat Holdings"]);
    assert!(my_customers(&c, "umbrella corp").await.is_empty());
    // Staff's account search uses the same index: company, email and tags.
    staff
        .get("/staff/accounts?q=coats")
        .await
        .expect_text("Raincoat Holdings");
    let none = staff.get("/staff/accounts?q=umbrella+corp").await;
    assert!(!none.body.contains("Raincoat Holdings"));
}
