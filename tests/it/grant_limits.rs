//! Limits on promotional credit: members grant only within the limits their admins set
//! (none set: nothing), refused by name; a grant above the partner's monthly ceiling waits
//! for the provider, who approves it (applied once) or refuses it (nothing granted), and the
//! requester is told; only admins set limits, only staff see the queue.
use partner_portal::entities::{audit_events, credit_ledger};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    helpers::*,
    login_as::member_of,
    orders::{shop, Shop},
    registrations::quick_partner,
};

const LIMITS: &str = "/company/credit-limits";
const QUEUE: &str = "/staff/credit-requests";

async fn ledger(s: &Shop) -> Vec<credit_ledger::Model> {
    credit_ledger::Entity::find()
        .filter(credit_ledger::Column::AccountId.eq(s.account))
        .order_by_asc(credit_ledger::Column::CreatedAt)
        .all(&s.app.core.db.read)
        .await
        .unwrap()
}

async fn audited(s: &Shop, action: &str) -> Vec<String> {
    audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq(action))
        .all(&s.app.core.db.read)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.detail)
        .collect()
}

/// Grants `amount` dollars to the shop's customer as `c`: the answer.
async fn grant(s: &Shop, c: &Client, amount: &str) -> Page {
    let page = format!("/customers/{}/credits", s.customer);
    c.post_form(
        &page,
        &format!("{page}/grant"),
        &[("amount", amount), ("currency", "USD"), ("note", "Welcome")],
    )
    .await
}

/// The admin sets the members' USD limits.
async fn member_limits(s: &Shop, per_grant: &str, per_month: &str) {
    s.partner
        .post_form(
            LIMITS,
            LIMITS,
            &[
                ("currency", "USD"),
                ("per_grant", per_grant),
                ("per_month", per_month),
            ],
        )
        .await
        .expect_redirect(LIMITS);
}

/// The id of the oldest request in the staff queue.
async fn first_request(staff: &Client) -> String {
    let page = staff.get(QUEUE).await;
    page.expect_status(StatusCode::OK);
    let after = page.id_after(&format!("{QUEUE}/"));
    after.split('/').next().unwrap().to_string()
}

#[tokio::test]
async fn a_member_without_limits_grants_nothing_and_is_told_an_admin_must_set_them() {
    let s = shop().await;
    let member = member_of(&s.app, "p@example.com", "max@example.com").await;
    let res = grant(&s, &member, "5").await;
    res.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    let said = res
        .field_error("amount")
        .expect("a message next to the amount");
    assert!(said.contains("none is set yet"), "{said}");
    assert!(said.contains("ask an admin"), "{said}");
    assert!(ledger(&s).await.is_empty());
    assert_eq!(audited(&s, "credit.grant_refused").await.len(), 1);
    // The admin is not bound by member limits.
    grant(&s, &s.partner, "5")
        .await
        .expect_redirect(&format!("/customers/{}/credits", s.customer));
    assert_eq!(ledger(&s).await.len(), 1);
}

#[tokio::test]
async fn a_member_grants_within_the_limits_and_is_refused_above_them_by_name() {
    let s = shop().await;
    let member = member_of(&s.app, "p@example.com", "max@example.com").await;
    // A member sees the limits but cannot change them.
    member
        .get(LIMITS)
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Only an admin of your organisation can change these limits");
    member
        .post_form(
            LIMITS,
            LIMITS,
            &[
                ("currency", "USD"),
                ("per_grant", "1000"),
                ("per_month", "1000"),
            ],
        )
        .await
        .expect_status(StatusCode::FORBIDDEN);
    assert!(audited(&s, "partner.credit_limits").await.is_empty());

    // A monthly limit below the per-grant one is refused next to it.
    let res = s
        .partner
        .post_form(
            LIMITS,
            LIMITS,
            &[
                ("currency", "USD"),
                ("per_grant", "200"),
                ("per_month", "100"),
            ],
        )
        .await;
    res.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.field_error("m-USD").is_some(), "{}", res.body);

    member_limits(&s, "200", "500").await;
    assert_eq!(audited(&s, "partner.credit_limits").await.len(), 1);
    member
        .get(LIMITS)
        .await
        .expect_text("$200.00")
        .expect_text("$500.00");

    let credits = format!("/customers/{}/credits", s.customer);
    grant(&s, &member, "200").await.expect_redirect(&credits);
    let res = grant(&s, &member, "200.01").await;
    res.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.field_error("amount").unwrap(),
        "Above your limit of $200.00 per grant, set by your organisation&#39;s admins."
    );
    grant(&s, &member, "200").await.expect_redirect(&credits);
    let res = grant(&s, &member, "150").await;
    res.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.field_error("amount").unwrap(),
        "This would take your grants this month to $550.00, above your monthly limit of $500.00."
    );
    // The typed amount is kept for another try.
    assert_eq!(res.input_value("amount").as_deref(), Some("150"));
    let amounts: Vec<i64> = ledger(&s).await.iter().map(|e| e.amount_minor).collect();
    assert_eq!(amounts, vec![20_000, 20_000]);
    assert_eq!(audited(&s, "credit.grant_refused").await.len(), 2);
    // What the admin grants is not the member's month.
    grant(&s, &s.partner, "300").await.expect_redirect(&credits);
    grant(&s, &member, "100").await.expect_redirect(&credits);
    assert_eq!(ledger(&s).await.len(), 4);
}

#[tokio::test]
async fn two_member_grants_at_once_to_two_customers_cannot_both_pass_a_monthly_limit() {
    let s = shop().await;
    member_limits(&s, "200", "300").await;
    // Two customers: their accounts' locks do not queue the grants, the partner's does.
    let other =
        crate::customer_prices::active_customer(&s.app, &s.org, "it@beta.example", "Beta").await;
    let a = member_of(&s.app, "p@example.com", "a@example.com").await;
    let token = a
        .get(&format!("/customers/{}/credits", s.customer))
        .await
        .csrf();
    let fields = [
        ("amount", "200"),
        ("currency", "USD"),
        ("note", "Race"),
        ("csrf_token", token.as_str()),
    ];
    let first = format!("/customers/{}/credits/grant", s.customer);
    let second = format!("/customers/{other}/credits/grant");
    let (one, two) = tokio::join!(a.post_raw(&first, &fields), a.post_raw(&second, &fields));
    let mut statuses = [one.status, two.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::SEE_OTHER, StatusCode::UNPROCESSABLE_ENTITY]
    );
    let granted = credit_ledger::Entity::find()
        .filter(credit_ledger::Column::PartnerId.eq(s.org.id.uuid()))
        .all(&s.app.core.db.read)
        .await
        .unwrap();
    assert_eq!(granted.len(), 1);
}

#[tokio::test]
async fn a_grant_above_the_ceiling_waits_for_the_provider_and_approving_it_applies_it_once() {
    let s = shop().await;
    let credits = format!("/customers/{}/credits", s.customer);
    // Nothing waits yet.
    s.staff
        .get(QUEUE)
        .await
        .expect_status(StatusCode::OK)
        .expect_text("No grant waits for approval");

    // $600 fits under the default ceiling of $1,000.00; $500 more does not.
    grant(&s, &s.partner, "600").await.expect_redirect(&credits);
    grant(&s, &s.partner, "500").await.expect_redirect(&credits);
    s.partner
        .get(&credits)
        .await
        .expect_text("Waiting for the provider")
        .expect_text("$1,000.00")
        .expect_text("$500.00");
    let amounts: Vec<i64> = ledger(&s).await.iter().map(|e| e.amount_minor).collect();
    assert_eq!(amounts, vec![60_000], "the held grant is not on the ledger");
    assert_eq!(audited(&s, "credit.grant_requested").await.len(), 1);
    // Pending counts towards the month: even $1 more waits too.
    grant(&s, &s.partner, "1").await.expect_redirect(&credits);
    assert_eq!(ledger(&s).await.len(), 1);

    // Another partner sees neither the queue nor this customer's credits.
    quick_partner(&s.app, "o@example.com", "Other Ltd").await;
    let o = s.app.client();
    o.sign_in("o@example.com", PASSWORD).await;
    o.get(QUEUE).await.expect_status(StatusCode::FORBIDDEN);
    o.get(&credits).await.expect_status(StatusCode::NOT_FOUND);
    s.partner
        .get(QUEUE)
        .await
        .expect_status(StatusCode::FORBIDDEN);

    // Staff see both, oldest first, and approve the first.
    s.staff
        .get(QUEUE)
        .await
        .expect_text("Reseller Co")
        .expect_text("Acme")
        .expect_text("$500.00")
        .expect_text("Pat");
    let id = first_request(&s.staff).await;
    let approve = format!("{QUEUE}/{id}/approve");
    s.staff
        .post_form(QUEUE, &approve, &[])
        .await
        .expect_redirect(QUEUE);
    let amounts: Vec<i64> = ledger(&s).await.iter().map(|e| e.amount_minor).collect();
    assert_eq!(amounts, vec![60_000, 50_000]);
    let approved = ledger(&s).await.pop().unwrap();
    assert!(
        approved.actor_label.contains("approved by"),
        "{}",
        approved.actor_label
    );
    // A second approval (another tab, another staff member) changes nothing.
    s.staff
        .post_form(QUEUE, &approve, &[])
        .await
        .expect_redirect(QUEUE);
    s.staff.get(QUEUE).await.expect_text("already approved");
    assert_eq!(ledger(&s).await.len(), 2);
    assert_eq!(audited(&s, "credit.grant_approved").await.len(), 1);
    assert!(s
        .app
        .queued_to("p@example.com")
        .await
        .iter()
        .any(|m| m == "Your credit grant of $500.00 to Acme was approved"));
    s.partner
        .get(&credits)
        .await
        .expect_text("Approved by the provider");
}

#[tokio::test]
async fn staff_set_the_ceiling_and_a_refused_request_grants_nothing_and_tells_why() {
    let s = shop().await;
    let credits = format!("/customers/{}/credits", s.customer);
    let partner_page = format!("/staff/partners/{}", s.org.id);
    let ceiling = format!("{partner_page}/credit-ceiling");
    let res = s
        .staff
        .post_form(
            &partner_page,
            &ceiling,
            &[("currency", "USD"), ("ceiling", "-5")],
        )
        .await;
    res.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.field_error("ceiling-USD").is_some(), "{}", res.body);
    s.staff
        .post_form(
            &partner_page,
            &ceiling,
            &[("currency", "USD"), ("ceiling", "100")],
        )
        .await
        .expect_redirect(&partner_page);
    assert_eq!(audited(&s, "partner.credit_ceiling").await.len(), 1);
    // The partner's admins' page shows it; a partner cannot set it.
    s.partner.get(LIMITS).await.expect_text("$100.00");
    s.partner
        .post_form(
            LIMITS,
            &ceiling,
            &[("currency", "USD"), ("ceiling", "1000000")],
        )
        .await
        .expect_status(StatusCode::FORBIDDEN);

    grant(&s, &s.partner, "150").await.expect_redirect(&credits);
    assert!(ledger(&s).await.is_empty());
    let id = first_request(&s.staff).await;
    let refuse = format!("{QUEUE}/{id}/refuse");
    // A refusal says why.
    let res = s.staff.post_form(QUEUE, &refuse, &[("reason", " ")]).await;
    res.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.field_error(&format!("reason-{id}")).is_some(),
        "{}",
        res.body
    );
    s.staff
        .post_form(QUEUE, &refuse, &[("reason", "Too generous for a trial")])
        .await
        .expect_redirect(QUEUE);
    assert!(ledger(&s).await.is_empty());
    assert_eq!(audited(&s, "credit.grant_request_refused").await.len(), 1);
    s.partner
        .get(&credits)
        .await
        .expect_text("Refused by the provider")
        .expect_text("Too generous for a trial");
    let mail = s
        .app
        .smtp
        .wait_for(
            "p@example.com",
            "Your credit grant of $150.00 to Acme was refused",
        )
        .await;
    assert!(
        mail.text.contains("Too generous for a trial"),
        "{}",
        mail.text
    );
    // Decided once: approving it now changes nothing.
    s.staff
        .post_form(QUEUE, &format!("{QUEUE}/{id}/approve"), &[])
        .await
        .expect_redirect(QUEUE);
    assert!(ledger(&s).await.is_empty());
    s.staff
        .get(QUEUE)
        .await
        .expect_text("already refused")
        .expect_text("No grant waits for approval");
    // The freed month: a grant under the ceiling applies.
    grant(&s, &s.partner, "100").await.expect_redirect(&credits);
    assert_eq!(ledger(&s).await.len(), 1);
}
