//! The staff partner directory: search, filter, sort, pages.
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn staff_search_filter_sort_and_page_through_partners() {
    let app = spawn_app().await;
    app.staff("staff@example.com").await;
    partner_portal::seed::seed_demo(&app.core).await.unwrap();
    let c = app.client();
    // Staff land on what waits for them.
    c.sign_in("staff@example.com", PASSWORD)
        .await
        .expect_redirect("/staff/approvals");
    c.get("/staff/approvals")
        .await
        .expect_text("1 registration waits for a decision.");

    let first = c.get("/staff/partners").await;
    first
        .expect_status(StatusCode::OK)
        .expect_text("43 partners")
        .expect_text("Page 1 of 2");
    let second = c.get("/staff/partners?page=2").await;
    second.expect_text("Page 2 of 2");

    let found = c.get("/staff/partners?q=northwind").await;
    found
        .expect_text("1 partner<")
        .expect_text("Northwind Resellers");
    assert!(!found.body.contains("Blue Harbor"));

    let suspended = c.get("/staff/partners?status=suspended").await;
    suspended.expect_text("Suspended Systems Ltd");
    assert!(!suspended.body.contains("Northwind Resellers"));

    let asc = c.get("/staff/partners?sort=company&dir=asc").await;
    let desc = c.get("/staff/partners?sort=company&dir=desc").await;
    let first_company = |p: &Page| {
        let at = p.body.find("<tbody>").unwrap();
        let rest = &p.body[at..];
        let mut td = rest.find("<td>").unwrap() + 4;
        // The company links to its page: read the link's text.
        if rest[td..].starts_with("<a ") {
            td += rest[td..].find('>').unwrap() + 1;
        }
        rest[td..td + rest[td..].find('<').unwrap()].to_string()
    };
    assert!(
        first_company(&asc) < first_company(&desc),
        "{} vs {}",
        first_company(&asc),
        first_company(&desc)
    );
    desc.expect_text("sorted-desc");

    let none = c.get("/staff/partners?q=zzz-no-such").await;
    none.expect_text("No partner matches these filters.");

    // Hostile search text is escaped, not executed or broken out of.
    let hostile = c
        .get("/staff/partners?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E%25_")
        .await;
    hostile.expect_status(StatusCode::OK);
    assert!(!hostile.body.contains("<script>alert(1)"));
}

#[tokio::test]
async fn staff_open_a_partner_with_its_users_and_customers_from_the_list() {
    let app = spawn_app().await;
    app.staff("staff@example.com").await;
    let org = app.partner("p@example.com", "Reseller Co").await;
    app.account("c@x.example", "Customer Ltd").await;
    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    partner
        .post_form(
            "/customers/new",
            "/customers/new",
            &[
                ("mode", "link"),
                ("action", "add"),
                ("email", "c@x.example"),
                ("friendly_name", "Cust"),
                ("partner_role", "Partner"),
                ("commission", "12.5"),
                ("customer_type", "CUSTOMER"),
            ],
        )
        .await
        .expect_redirect("/customers/");

    let c = app.client();
    c.sign_in("staff@example.com", PASSWORD).await;
    let list = c.get("/staff/partners").await;
    list.expect_text(&format!("href=\"/staff/partners/{org}\""));
    let page = c.get(&format!("/staff/partners/{org}")).await;
    page.expect_status(StatusCode::OK)
        .expect_text("Reseller Co")
        .expect_text("p@example.com")
        .expect_text("Customer Ltd")
        .expect_text("Waiting for customer");

    c.get("/staff/partners/00000000-0000-0000-0000-000000000000")
        .await
        .expect_status(StatusCode::NOT_FOUND);
    partner
        .get(&format!("/staff/partners/{org}"))
        .await
        .expect_status(StatusCode::FORBIDDEN);
}
