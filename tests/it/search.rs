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

/// Registers the existing account `email` to `partner` (pending the customer's answer).
pub async fn register(
    app: &TestApp,
    partner: &Partner,
    email: &str,
    friendly: &str,
) -> partner_portal::services::views::Registration {
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
    .unwrap()
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
    // Several words are one piece of text, in that order, in any case.
    assert_eq!(my_customers(&c, "acme widgets").await, ["ACME Widgets"]);
    assert_eq!(my_customers(&c, "GLOBEX gmbh").await, ["Globex GmbH"]);
    assert_eq!(
        my_customers(&c, "initech 50% off").await,
        ["Initech 50% Off"]
    );
    assert!(my_customers(&c, "widgets acme").await.is_empty());
    assert!(my_customers(&c, "off 50%").await.is_empty());
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

/// Confirms the request that `email` was sent, as the customer would.
async fn confirm(app: &TestApp, email: &str) {
    let mail = app
        .smtp
        .wait_for(email, "asks to become your partner")
        .await;
    let path = link(&mail.text, "/confirm/").replace(&app.base, "");
    app.client()
        .post_form(&path, &path, &[("action", "confirm")])
        .await
        .expect_status(StatusCode::OK);
}

#[tokio::test]
async fn staff_search_approvals_partners_and_the_audit_log_through_the_index() {
    let app = spawn_app().await;
    let northwind = quick_partner(&app, "p@northwind.example", "Northwind Traders").await;
    let contoso = quick_partner(&app, "p@contoso.example", "Contoso Partners").await;
    for (partner, email, company) in [
        (&northwind, "it@acme.example", "ACME Widgets"),
        (&northwind, "ops@globex.example", "Globex GmbH"),
        (&contoso, "x@umbrella.example", "Umbrella Corp"),
    ] {
        app.account(email, company).await;
        register(&app, partner, email, company).await;
        confirm(&app, email).await;
    }
    app.staff("staff@example.com").await;
    let staff = app.client();
    staff.sign_in("staff@example.com", PASSWORD).await;
    let queue = |q: &'static str| {
        let staff = &staff;
        async move {
            let page = staff
                .get(&format!(
                    "/staff/approvals?{}",
                    serde_urlencoded::to_string([("q", q)]).unwrap()
                ))
                .await;
            page.expect_status(StatusCode::OK);
            ["ACME Widgets", "Globex GmbH", "Umbrella Corp"]
                .into_iter()
                .filter(|c| page.body.contains(c))
                .collect::<Vec<_>>()
        }
    };
    // By the customer's company, email or friendly name, or by the partner's company.
    assert_eq!(queue("widgets").await, ["ACME Widgets"]);
    assert_eq!(queue("@GLOBEX").await, ["Globex GmbH"]);
    assert_eq!(queue("northwind").await, ["ACME Widgets", "Globex GmbH"]);
    assert_eq!(queue("contoso partners").await, ["Umbrella Corp"]);
    assert!(queue("zzqqx").await.is_empty());
    assert_eq!(queue("").await.len(), 3);

    // Partners by company or contact name; a renamed partner by its new name.
    staff
        .get("/staff/partners?q=CONTOSO")
        .await
        .expect_text("Contoso Partners");
    let list = staff.get("/staff/partners?q=traders").await;
    list.expect_text("Northwind Traders");
    assert!(!list.body.contains("Contoso Partners"));

    // The audit log by a part of the actor's label, in any case.
    // (A customer's confirmation is by "customer Umbrella Corp <x@umbrella.example>".)
    let log = staff.get("/staff/audit?actor=UMBRELLA+corp").await;
    log.expect_status(StatusCode::OK)
        .expect_text("customer Umbrella Corp")
        .expect_text("x@umbrella.example");
    assert!(!log.body.contains("x@acme.example"), "{}", log.body);
    let none = staff.get("/staff/audit?actor=zzqqx").await;
    assert!(!none.body.contains("x@umbrella.example"), "{}", none.body);
}

#[tokio::test]
async fn a_search_keeps_newest_first_across_pages_and_with_filters() {
    let app = spawn_app().await;
    let mine = quick_partner(&app, "p@example.com", "Reseller Co").await;
    // 55 matches, one second apart, and one that does not match in between.
    for i in 0..55 {
        let email = format!("it{i:02}@zeta.example");
        app.account(&email, &format!("Zeta {i:02}")).await;
        register(&app, &mine, &email, "Zeta").await;
        app.clock.advance(chrono::Duration::seconds(1));
        if i == 30 {
            app.account("x@other.example", "Other Ltd").await;
            register(&app, &mine, "x@other.example", "Other").await;
        }
    }
    let c = app.client();
    c.sign_in("p@example.com", PASSWORD).await;
    let first = c.get("/customers?q=zeta").await;
    let names = companies(&first.body);
    let expected: Vec<String> = (5..55).rev().map(|i| format!("Zeta {i:02}")).collect();
    assert_eq!(names, expected);
    let second = c.get("/customers?q=zeta&page=2").await;
    assert_eq!(
        companies(&second.body),
        ["Zeta 04", "Zeta 03", "Zeta 02", "Zeta 01", "Zeta 00"]
    );
    // Two words, newest first, and a filter the index query cannot apply itself.
    let two = c.get("/customers?q=zeta+0").await;
    assert_eq!(
        companies(&two.body),
        [
            "Zeta 09", "Zeta 08", "Zeta 07", "Zeta 06", "Zeta 05", "Zeta 04", "Zeta 03", "Zeta 02",
            "Zeta 01", "Zeta 00"
        ]
    );
    let filtered = c
        .get("/customers?q=zeta&status=pending_customer&page=2")
        .await;
    assert_eq!(companies(&filtered.body).len(), 5);
    let oldest_first = c.get("/customers?q=zeta&sort=created&dir=asc").await;
    assert_eq!(companies(&oldest_first.body)[0], "Zeta 00");
}
