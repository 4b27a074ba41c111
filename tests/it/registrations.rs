//! The registration workflow over HTTP: add, confirm by email, approve; every eligibility rule;
//! links that must not work; isolation between partners; hostile input.
use partner_portal::{
    domain::{
        AccountId, Channel, CountryCode, CreditKind, Currency, CustomerType, Email, Money,
        NewPassword, PlainName,
    },
    entities::registrations,
    services::{
        accounts,
        audit::Actor,
        partners::{self as partner_svc, SignupDetails},
        registrations::{self as regs, Terms},
        tokens::{self, NewToken, Purpose},
        views::Partner,
    },
};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::*;

/// An account as staff would create it.
pub async fn account(app: &TestApp, email: &str, company: &str) -> AccountId {
    app.account(email, company).await
}

/// A partner made through the sign-up service without going through email (for volume).
pub async fn quick_partner(app: &TestApp, email: &str, company: &str) -> Partner {
    let token = tokens::issue(
        &app.core.db.write,
        NewToken {
            at: app.core.now(),
            purpose: Purpose::PartnerSignup,
            email,
            user_id: None,
            partner_id: None,
            subject_id: None,
            account_id: None,
            role: None,
            ttl: chrono::Duration::hours(1),
        },
    )
    .await
    .unwrap();
    partner_svc::complete_signup(
        &app.core,
        &token,
        SignupDetails {
            company_name: PlainName::parse(company, "c").unwrap(),
            contact_name: PlainName::parse("Pat", "c").unwrap(),
            country: CountryCode::parse("GB").unwrap(),
            phone: partner_portal::domain::Phone::parse("+44 20 7946 0958").unwrap(),
            password: NewPassword::parse(PASSWORD, None).unwrap(),
        },
    )
    .await
    .unwrap()
}

fn link_fields<'a>(email: &'a str, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("mode", "link"),
        ("action", "add"),
        ("email", email),
        ("friendly_name", name),
        ("partner_role", "Partner"),
        ("commission", "12.5"),
        ("customer_type", "CUSTOMER"),
    ]
}

async fn status_of(app: &TestApp, id: &str) -> &'static str {
    registrations::Entity::find_by_id(uuid::Uuid::parse_str(id).unwrap())
        .one(&app.core.db.read)
        .await
        .unwrap()
        .unwrap()
        .status
        .as_str()
}

fn reg_id(page: &Page) -> String {
    page.location()
        .trim_start_matches("/customers/")
        .to_string()
}

async fn confirm_path(app: &TestApp, email: &str) -> String {
    let mail = app
        .smtp
        .wait_for(email, "asks to become your partner")
        .await;
    link(&mail.text, "/confirm/").replace(&app.base, "")
}

#[tokio::test]
async fn a_linked_customer_confirms_by_email_staff_approve_and_it_is_active() {
    let app = spawn_app().await;
    app.partner("p@example.com", "Reseller Co").await;
    app.staff("staff@example.com").await;
    account(&app, "it@globex.example", "Globex Corp").await;
    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;

    let added = partner
        .post_form(
            "/customers/new",
            "/customers/new",
            &link_fields("IT@globex.example", "Globex"),
        )
        .await;
    added.expect_redirect("/customers/");
    let id = reg_id(&added);
    partner
        .get(&format!("/customers/{id}"))
        .await
        .expect_text("Waiting for customer")
        .expect_text("Resend the link");

    // The link only shows the request; mail scanners fetching it change nothing.
    let path = confirm_path(&app, "it@globex.example").await;
    let customer = app.client();
    customer
        .get(&path)
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Reseller Co")
        .expect_text("Partner");
    customer.get(&path).await.expect_status(StatusCode::OK);
    assert_eq!(status_of(&app, &id).await, "pending_customer");

    customer
        .post_form(&path, &path, &[("action", "confirm")])
        .await
        .expect_status(StatusCode::OK)
        .expect_text("Thank you, confirmed");
    assert_eq!(status_of(&app, &id).await, "pending_approval");
    app.smtp
        .wait_for("p@example.com", "Globex Corp confirmed your request")
        .await;
    // Used: the link is dead now, and says where the request went.
    customer
        .get(&path)
        .await
        .expect_status(StatusCode::GONE)
        .expect_text("You confirmed this request")
        .expect_text("The provider is reviewing it now");

    let staff = app.client();
    staff.sign_in("staff@example.com", PASSWORD).await;
    staff
        .post_form(
            &format!("/staff/approvals/{id}"),
            &format!("/staff/approvals/{id}/approve"),
            &[],
        )
        .await
        .expect_redirect("/staff/approvals");
    assert_eq!(status_of(&app, &id).await, "active");
    app.smtp
        .wait_for("p@example.com", "Globex Corp is now your customer")
        .await;
    // An account without users cannot sign in: its email gives the partner's contact
    // instead of a link to a sign-in it cannot use.
    let news = app
        .smtp
        .wait_for("it@globex.example", "Reseller Co is now your partner")
        .await;
    assert!(!news.text.contains("/my/partner"), "{}", news.text);
    assert!(news.text.contains("no sign-in"), "{}", news.text);

    let list = partner.get("/customers").await;
    list.expect_text("Globex Corp")
        .expect_text("Active")
        .expect_text("12.5%");
    let page = partner.get(&format!("/customers/{id}")).await;
    for step in ["Requested", "Confirmed", "Approved"] {
        page.expect_text(step);
    }
}

#[tokio::test]
async fn every_eligibility_rule_is_refused_by_name() {
    let app = spawn_app().await;
    app.partner("p@example.com", "Reseller Co").await;
    app.partner("rival@example.com", "Rival Co").await;
    let actor = Actor::system("test");
    let balance = account(&app, "balance@x.example", "Balance Ltd").await;
    accounts::add_credit(
        &app.core,
        &actor,
        balance,
        CreditKind::Topup,
        Money::new(25_000, Currency::Usd),
        "prepaid top-up",
    )
    .await
    .unwrap();
    let services = account(&app, "services@x.example", "Services Ltd").await;
    accounts::add_service(
        &app.core,
        &actor,
        services,
        PlainName::parse("Compute", "s").unwrap(),
    )
    .await
    .unwrap();
    let discount = account(&app, "discount@x.example", "Discount Ltd").await;
    accounts::add_discount(
        &app.core,
        &actor,
        discount,
        PlainName::parse("Launch offer", "d").unwrap(),
        2000,
    )
    .await
    .unwrap();
    let poc = account(&app, "poc@x.example", "Poc Ltd").await;
    let postpaid = account(&app, "postpaid@x.example", "Postpaid Ltd").await;
    {
        use partner_portal::entities::accounts as a;
        use sea_orm::{sea_query::Expr, EntityTrait};
        a::Entity::update_many()
            .col_expr(a::Column::InPoc, Expr::value(true))
            .filter(a::Column::Id.eq(poc.uuid()))
            .exec(&app.core.db.write)
            .await
            .unwrap();
        a::Entity::update_many()
            .col_expr(a::Column::BillingMode, Expr::value("postpaid"))
            .filter(a::Column::Id.eq(postpaid.uuid()))
            .exec(&app.core.db.write)
            .await
            .unwrap();
    }
    account(&app, "taken@x.example", "Taken Ltd").await;
    let rival = app.client();
    rival.sign_in("rival@example.com", PASSWORD).await;
    rival
        .post_form(
            "/customers/new",
            "/customers/new",
            &link_fields("taken@x.example", "Taken"),
        )
        .await
        .expect_redirect("/customers/");
    account(&app, "mine@x.example", "Mine Ltd").await;

    let c = app.client();
    c.sign_in("p@example.com", PASSWORD).await;
    c.post_form(
        "/customers/new",
        "/customers/new",
        &link_fields("mine@x.example", "Mine"),
    )
    .await
    .expect_redirect("/customers/");

    let cases = [
        ("balance@x.example", "credit balance of $250.00"),
        ("services@x.example", "uses 1 service: Compute"),
        (
            "discount@x.example",
            "receives a discount from the provider (Launch offer (20%))",
        ),
        ("poc@x.example", "proof of concept"),
        ("postpaid@x.example", "billed postpaid"),
        (
            "p@example.com",
            "belongs to a user of your own organisation",
        ),
        (
            "taken@x.example",
            "Another partner already manages this account",
        ),
        ("mine@x.example", "You already registered this account"),
        ("nobody@x.example", "No account uses this email"),
    ];
    for (email, message) in cases {
        // The check shows the rule failing, and adding is refused with the same reason.
        let mut check = link_fields(email, "X");
        check[1] = ("action", "check");
        c.post_form("/customers/new", "/customers/new", &check)
            .await
            .expect_status(StatusCode::OK)
            .expect_text(message);
        let page = c
            .post_form("/customers/new", "/customers/new", &link_fields(email, "X"))
            .await;
        page.expect_status(StatusCode::UNPROCESSABLE_ENTITY)
            .expect_text(message);
        assert_eq!(
            page.input_value("email").unwrap(),
            email,
            "the form keeps what was typed"
        );
    }
    // Only the two successful adds exist.
    assert_eq!(
        registrations::Entity::find()
            .count(&app.core.db.read)
            .await
            .unwrap(),
        2
    );
}

#[tokio::test]
async fn approval_rechecks_the_rules_and_refuses_one_broken_after_confirmation() {
    let app = spawn_app().await;
    app.partner("p@example.com", "Reseller Co").await;
    app.staff("staff@example.com").await;
    let acct = account(&app, "late@x.example", "Late Ltd").await;
    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    let id = reg_id(
        &partner
            .post_form(
                "/customers/new",
                "/customers/new",
                &link_fields("late@x.example", "Late"),
            )
            .await,
    );
    let path = confirm_path(&app, "late@x.example").await;
    app.client()
        .post_form(&path, &path, &[("action", "confirm")])
        .await
        .expect_status(StatusCode::OK);

    // After confirmation the account starts using a service.
    accounts::add_service(
        &app.core,
        &Actor::system("test"),
        acct,
        PlainName::parse("Storage", "s").unwrap(),
    )
    .await
    .unwrap();

    let staff = app.client();
    staff.sign_in("staff@example.com", PASSWORD).await;
    let request = staff.get(&format!("/staff/approvals/{id}")).await;
    request
        .expect_text("Storage")
        // Rules read as staff would say them, not as the partner's "your customer".
        .expect_text("It is not already this partner&#39;s customer");
    assert!(!request.body.contains("It is not already your customer"));
    let refused = staff
        .post_form(
            &format!("/staff/approvals/{id}"),
            &format!("/staff/approvals/{id}/approve"),
            &[],
        )
        .await;
    refused
        .expect_status(StatusCode::UNPROCESSABLE_ENTITY)
        .expect_text("uses 1 service: Storage");
    assert_eq!(status_of(&app, &id).await, "pending_approval");
}

#[tokio::test]
async fn fifty_partners_adding_one_account_at_once_make_exactly_one_registration() {
    let app = spawn_app().await;
    account(&app, "wanted@x.example", "Wanted Ltd").await;
    let mut partners = Vec::new();
    for i in 0..50 {
        partners
            .push(quick_partner(&app, &format!("p{i}@example.com"), &format!("Partner {i}")).await);
    }
    let email = Email::parse("wanted@x.example").unwrap();
    let attempts = partners.iter().map(|p| {
        let state = &app.core;
        let email = &email;
        async move {
            regs::add_existing(
                state,
                &Actor::system("test"),
                p,
                email,
                Terms {
                    friendly_name: PlainName::parse("Wanted", "n").unwrap(),
                    partner_role: PlainName::parse("Partner", "r").unwrap(),
                    customer_type: CustomerType::Customer,
                    commission: partner_portal::domain::CommissionRate::parse("10").unwrap(),
                    management_mode: false,
                },
                Channel::Web,
            )
            .await
        }
    });
    let results = futures_util::future::join_all(attempts).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "exactly one add wins");
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        let rules: Vec<&str> = r.failed_rules().iter().map(|r| r.code()).collect();
        assert_eq!(rules, ["not_with_another_partner"], "{r:?}");
    }
    assert_eq!(
        registrations::Entity::find()
            .count(&app.core.db.read)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn confirmation_links_that_must_not_work_do_not() {
    let app = spawn_app().await;
    app.partner("p@example.com", "Reseller Co").await;
    account(&app, "a@x.example", "A Ltd").await;
    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    let id = reg_id(
        &partner
            .post_form(
                "/customers/new",
                "/customers/new",
                &link_fields("a@x.example", "A"),
            )
            .await,
    );
    let first = confirm_path(&app, "a@x.example").await;

    // Resend: a new link, and the old one dies.
    partner
        .post_form(
            &format!("/customers/{id}"),
            &format!("/customers/{id}/resend"),
            &[],
        )
        .await
        .expect_redirect(&format!("/customers/{id}"));
    let mut second = first.clone();
    for _ in 0..200 {
        let mails = app.smtp.to("a@x.example");
        if mails.len() == 2 {
            let paths: Vec<String> = mails
                .iter()
                .map(|m| link(&m.text, "/confirm/").replace(&app.base, ""))
                .collect();
            second = paths.into_iter().find(|p| *p != first).unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_ne!(first, second);
    let customer = app.client();
    customer.get(&first).await.expect_status(StatusCode::GONE);
    customer
        .post_form(&second, &first, &[("action", "confirm")])
        .await
        .expect_status(StatusCode::GONE);
    assert_eq!(status_of(&app, &id).await, "pending_customer");

    // A guessed token.
    customer
        .get("/confirm/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await
        .expect_status(StatusCode::NOT_FOUND);

    // Cancelling asks first, saying what will happen; nothing changes until confirmed.
    let asked = partner
        .post_form(
            &format!("/customers/{id}"),
            &format!("/customers/{id}/cancel"),
            &[],
        )
        .await;
    asked
        .expect_status(StatusCode::OK)
        .expect_text("Cancel the request to")
        .expect_text("confirmation link stops working")
        .expect_text("name=\"confirmed\" value=\"yes\"");
    assert_eq!(status_of(&app, &id).await, "pending_customer");
    customer.get(&second).await.expect_status(StatusCode::OK);
    // Another partner cannot even be asked about it.
    app.partner("rival@example.com", "Rival Co").await;
    let rival = app.client();
    rival.sign_in("rival@example.com", PASSWORD).await;
    rival
        .post_form("/customers", &format!("/customers/{id}/cancel"), &[])
        .await
        .expect_status(StatusCode::NOT_FOUND);

    // Cancelled by the partner: the live link dies too.
    partner
        .post_form(
            &format!("/customers/{id}"),
            &format!("/customers/{id}/cancel"),
            &[("confirmed", "yes")],
        )
        .await;
    customer.get(&second).await.expect_status(StatusCode::GONE);
    assert_eq!(status_of(&app, &id).await, "cancelled");
    // Cancelled is final: cancelling again is explained, not crashed.
    let again = partner
        .post_form(
            &format!("/customers/{id}"),
            &format!("/customers/{id}/cancel"),
            &[("confirmed", "yes")],
        )
        .await;
    again.expect_redirect(&format!("/customers/{id}"));
    partner
        .get(&format!("/customers/{id}"))
        .await
        .expect_text("cannot be cancelled");
}

#[tokio::test]
async fn an_unanswered_request_expires_by_itself_and_the_partner_is_told() {
    let app = spawn_app_with(Options::default().var("JOBS_EVERY_MS", 100)).await;
    app.partner("p@example.com", "Reseller Co").await;
    account(&app, "slow@x.example", "Slow Ltd").await;
    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    let id = reg_id(
        &partner
            .post_form(
                "/customers/new",
                "/customers/new",
                &link_fields("slow@x.example", "Slow"),
            )
            .await,
    );
    let path = confirm_path(&app, "slow@x.example").await;
    app.client().get(&path).await.expect_status(StatusCode::OK);
    // A week is the default; a minute short of it the request still waits.
    app.clock
        .advance(chrono::Duration::days(7) - chrono::Duration::minutes(1));
    app.client().get(&path).await.expect_status(StatusCode::OK);
    assert_eq!(status_of(&app, &id).await, "pending_customer");
    app.clock.advance(chrono::Duration::minutes(2));
    app.smtp
        .wait_for("p@example.com", "Your request to Slow Ltd expired")
        .await;
    assert_eq!(status_of(&app, &id).await, "expired");
    app.client()
        .get(&path)
        .await
        .expect_status(StatusCode::GONE);
    // The account is free again.
    partner
        .post_form(
            "/customers/new",
            "/customers/new",
            &link_fields("slow@x.example", "Slow"),
        )
        .await
        .expect_redirect("/customers/");
}

#[tokio::test]
async fn a_customer_can_decline_and_the_partner_is_told_why() {
    let app = spawn_app().await;
    app.partner("p@example.com", "Reseller Co").await;
    account(&app, "no@x.example", "No Thanks Ltd").await;
    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    let id = reg_id(
        &partner
            .post_form(
                "/customers/new",
                "/customers/new",
                &link_fields("no@x.example", "No"),
            )
            .await,
    );
    let path = confirm_path(&app, "no@x.example").await;
    app.client()
        .post_form(
            &path,
            &path,
            &[("action", "decline"), ("reason", "We never met")],
        )
        .await
        .expect_text("Request declined");
    assert_eq!(status_of(&app, &id).await, "declined");
    let mail = app
        .smtp
        .wait_for("p@example.com", "No Thanks Ltd declined your request")
        .await;
    assert!(mail.text.contains("We never met"));

    // A declined request is no dead end: the partner can ask again with the same terms.
    let page = partner.get(&format!("/customers/{id}")).await;
    page.expect_text("Ask again");
    let again = partner.get(&format!("/customers/new?again={id}")).await;
    again.expect_status(StatusCode::OK);
    assert_eq!(again.input_value("email").unwrap(), "no@x.example");
    assert_eq!(again.input_value("friendly_name").unwrap(), "No");
    assert_eq!(again.input_value("commission").unwrap(), "12.5");
    // The role is a choice, with the one asked before selected.
    again.expect_text("<option value=\"Partner\" selected>Partner</option>");
    again.expect_text("<option value=\"Reseller\">Reseller</option>");
    partner
        .post_form(
            &format!("/customers/new?again={id}"),
            "/customers/new",
            &link_fields("no@x.example", "No"),
        )
        .await
        .expect_redirect("/customers/");
    // A live request cannot be asked again (it still holds the account).
    partner
        .get(&format!(
            "/customers/new?again={}",
            reg_id_of(&app, "no@x.example").await
        ))
        .await
        .expect_status(StatusCode::NOT_FOUND);
}

/// The id of the live registration of the account with this email.
async fn reg_id_of(app: &TestApp, email: &str) -> String {
    use partner_portal::entities::accounts as a;
    let account = a::Entity::find()
        .filter(a::Column::PrimaryEmail.eq(email))
        .one(&app.core.db.read)
        .await
        .unwrap()
        .unwrap();
    registrations::Entity::find()
        .filter(registrations::Column::AccountId.eq(account.id))
        .filter(registrations::Column::Status.eq(partner_portal::domain::Status::PendingCustomer))
        .one(&app.core.db.read)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

#[tokio::test]
async fn another_partner_gets_404_for_every_customer_route() {
    let app = spawn_app().await;
    app.partner("a@example.com", "A Co").await;
    app.partner("b@example.com", "B Co").await;
    account(&app, "c@x.example", "C Ltd").await;
    let a = app.client();
    a.sign_in("a@example.com", PASSWORD).await;
    let id = reg_id(
        &a.post_form(
            "/customers/new",
            "/customers/new",
            &link_fields("c@x.example", "C"),
        )
        .await,
    );
    let b = app.client();
    b.sign_in("b@example.com", PASSWORD).await;
    b.get(&format!("/customers/{id}"))
        .await
        .expect_status(StatusCode::NOT_FOUND);
    b.get(&format!("/customers/{id}/users/{id}"))
        .await
        .expect_status(StatusCode::NOT_FOUND);
    for action in ["resend", "cancel", "end"] {
        b.post_form("/customers", &format!("/customers/{id}/{action}"), &[])
            .await
            .expect_status(StatusCode::NOT_FOUND);
    }
    assert!(!b.get("/customers").await.body.contains("C Ltd"));
    let csv = b.get("/customers/export.csv").await;
    assert!(!csv.body.contains("C Ltd"));
    assert_eq!(status_of(&app, &id).await, "pending_customer");
    // Partners are kept out of staff pages.
    for path in [
        "/staff/approvals",
        "/staff/accounts",
        "/staff/audit",
        &format!("/staff/approvals/{id}"),
    ] {
        b.get(path).await.expect_status(StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn hostile_names_are_escaped_in_pages_and_neutralised_in_csv() {
    let app = spawn_app().await;
    app.partner("p@example.com", "Reseller Co").await;
    account(&app, "evil@x.example", "<script>alert(1)</script>").await;
    let c = app.client();
    c.sign_in("p@example.com", PASSWORD).await;
    c.post_form(
        "/customers/new",
        "/customers/new",
        &link_fields("evil@x.example", "=cmd|' /C calc'!A0"),
    )
    .await
    .expect_redirect("/customers/");
    let list = c.get("/customers").await;
    assert!(!list.body.contains("<script>alert(1)"));
    list.expect_text("&#60;script&#62;alert(1)");
    let csv = c.get("/customers/export.csv").await;
    csv.expect_status(StatusCode::OK);
    assert!(csv.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(csv.body.contains("'=cmd|"), "{}", csv.body);
    assert!(!csv
        .body
        .lines()
        .any(|l| l.starts_with("=") || l.contains(",=cmd")));
}

#[tokio::test]
async fn a_new_customer_registered_by_a_partner_confirms_with_a_password_and_can_end_it() {
    let app = spawn_app().await;
    app.partner("p@example.com", "Reseller Co").await;
    app.staff("staff@example.com").await;
    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    let bad = partner
        .post_form(
            "/customers/new?mode=new",
            "/customers/new",
            &[
                ("mode", "new"),
                ("action", "add"),
                ("company_name", "Initech"),
                ("active", "on"),
                ("commission", ""),
                ("customer_type", "CUSTOMER"),
                ("admin_name", "Ina"),
                ("admin_email", "ina@initech.example"),
                ("country", "FR"),
            ],
        )
        .await;
    bad.expect_status(StatusCode::UNPROCESSABLE_ENTITY)
        // An error summary at the top links to each field to fix.
        .expect_text("Check these before sending again")
        .expect_text("href=\"#f-commission\"");
    assert!(
        bad.field_error("commission").is_some(),
        "commission is mandatory"
    );
    assert_eq!(bad.input_value("company_name").unwrap(), "Initech");
    assert_eq!(app.count("accounts").await, 0, "nothing written");
    // The friendly name is optional: with no company name either, only the company is asked
    // for (it used to say "Enter the friendly name" under a field marked optional).
    let no_company = partner
        .post_form(
            "/customers/new?mode=new",
            "/customers/new",
            &[
                ("mode", "new"),
                ("action", "add"),
                ("company_name", ""),
                ("commission", "10"),
                ("customer_type", "CUSTOMER"),
                ("admin_name", "Ina"),
                ("admin_email", "ina@initech.example"),
                ("country", "FR"),
            ],
        )
        .await;
    no_company.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_company.field_error("company_name").is_some());
    assert_eq!(no_company.field_error("friendly_name"), None);

    let added = partner
        .post_form(
            "/customers/new?mode=new",
            "/customers/new",
            &[
                ("mode", "new"),
                ("action", "add"),
                ("company_name", "Initech"),
                ("active", "on"),
                ("commission", "10"),
                ("customer_type", "CUSTOMER"),
                ("admin_name", "Ina Admin"),
                ("admin_email", "ina@initech.example"),
                ("country", "FR"),
            ],
        )
        .await;
    added.expect_redirect("/customers/");
    let id = reg_id(&added);
    let path = confirm_path(&app, "ina@initech.example").await;
    let customer = app.client();
    customer.get(&path).await.expect_text("Choose a password");
    let weak = customer
        .post_form(
            &path,
            &path,
            &[
                ("action", "confirm"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    weak.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status_of(&app, &id).await, "pending_customer");
    customer
        .post_form(
            &path,
            &path,
            &[
                ("action", "confirm"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await
        .expect_text("Thank you, confirmed");

    let staff = app.client();
    staff.sign_in("staff@example.com", PASSWORD).await;
    staff
        .post_form(
            &format!("/staff/approvals/{id}"),
            &format!("/staff/approvals/{id}/approve"),
            &[],
        )
        .await
        .expect_redirect("/staff/approvals");

    // This customer has a user (the password it chose): its email links to its partner page.
    let news = app
        .smtp
        .wait_for("ina@initech.example", "Reseller Co is now your partner")
        .await;
    assert!(news.text.contains("See your partner:"), "{}", news.text);
    assert!(news.text.contains("/my/partner"), "{}", news.text);
    customer
        .sign_in("ina@initech.example", PASSWORD)
        .await
        .expect_redirect("/my/partner");
    customer
        .get("/my/partner")
        .await
        .expect_text("Reseller Co")
        .expect_text("Active")
        // The partner's contact, as the partner keeps it in its company profile.
        .expect_text("Pat Partner");
    // Customers are kept out of partner and staff pages.
    customer
        .get("/customers")
        .await
        .expect_status(StatusCode::FORBIDDEN);
    customer
        .get("/staff/approvals")
        .await
        .expect_status(StatusCode::FORBIDDEN);

    customer
        .post_form(
            "/my/partner",
            "/my/partner/end",
            &[("reason", "Moving on"), ("confirmed", "yes")],
        )
        .await
        .expect_redirect("/my/partner");
    assert_eq!(status_of(&app, &id).await, "ended");
    app.smtp
        .wait_for(
            "p@example.com",
            "Initech is no longer a customer of Reseller Co",
        )
        .await;
    app.smtp
        .wait_for(
            "staff@example.com",
            "Initech is no longer a customer of Reseller Co",
        )
        .await;
    partner
        .get(&format!("/customers/{id}"))
        .await
        .expect_text("Ended")
        .expect_text("Moving on");
}

#[tokio::test]
async fn staff_get_one_digest_for_waiting_requests() {
    let app = spawn_app_with(
        Options::default()
            .var("JOBS_EVERY_MS", 100)
            .var("DIGEST_MINUTES", 60),
    )
    .await;
    app.partner("p@example.com", "Reseller Co").await;
    app.staff("staff@example.com").await;
    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    for (email, name) in [("one@x.example", "One Ltd"), ("two@x.example", "Two Ltd")] {
        account(&app, email, name).await;
        partner
            .post_form(
                "/customers/new",
                "/customers/new",
                &link_fields(email, name),
            )
            .await
            .expect_redirect("/customers/");
    }
    // Both confirm within one digest period.
    let a = confirm_path(&app, "one@x.example").await;
    let b = confirm_path(&app, "two@x.example").await;
    let customer = app.client();
    customer.post_form(&a, &a, &[("action", "confirm")]).await;
    customer.post_form(&b, &b, &[("action", "confirm")]).await;
    let digest = app
        .smtp
        .wait_for("staff@example.com", "waiting for approval")
        .await;
    // The jobs run again (every 100 ms here) within the digest period: no second digest.
    app.job_rounds_pass(3).await;
    let digests: Vec<String> = app
        .queued_to("staff@example.com")
        .await
        .into_iter()
        .filter(|s| s.contains("waiting for approval"))
        .collect();
    assert_eq!(digests.len(), 1, "one digest, not one mail per request");
    assert!(digest.text.contains("/staff/approvals"));
}

#[tokio::test]
async fn the_partner_home_shows_what_waits_links_about_to_expire_and_new_customers() {
    let app = spawn_app().await;
    app.partner("p@example.com", "Reseller Co").await;
    app.staff("staff@example.com").await;
    let partner = app.client();
    partner.sign_in("p@example.com", PASSWORD).await;
    let home = partner.get("/").await;
    home.expect_status(StatusCode::OK)
        .expect_text("No confirmation link expires in the next two days")
        .expect_text("No customer became active in the last 30 days");
    // The company is named once, as a link, not as a one-row table.
    assert!(!home.body.contains("<table"), "{}", home.body);

    let mut ids = Vec::new();
    for (email, company) in [("a@x.example", "Alpha Ltd"), ("b@x.example", "Beta Ltd")] {
        account(&app, email, company).await;
        ids.push(reg_id(
            &partner
                .post_form(
                    "/customers/new",
                    "/customers/new",
                    &link_fields(email, company),
                )
                .await,
        ));
    }
    // Beta confirms and staff approve it; Alpha does not answer.
    let path = confirm_path(&app, "b@x.example").await;
    app.client()
        .post_form(&path, &path, &[("action", "confirm")])
        .await
        .expect_status(StatusCode::OK);
    let tile = |body: &str, label: &str| -> String {
        let before = body.split(label).next().unwrap();
        let figure = before.rsplit("tile-figure\">").next().unwrap();
        figure.split('<').next().unwrap().to_string()
    };
    let home = partner.get("/").await;
    assert_eq!(tile(&home.body, "waiting for the customer"), "1");
    assert_eq!(tile(&home.body, "waiting for the provider"), "1");
    home.expect_text("/customers?status=pending_customer");

    let staff = app.client();
    staff.sign_in("staff@example.com", PASSWORD).await;
    staff
        .post_form(
            &format!("/staff/approvals/{}", ids[1]),
            &format!("/staff/approvals/{}/approve", ids[1]),
            &[],
        )
        .await
        .expect_redirect("/staff/approvals");
    let home = partner.get("/").await;
    assert_eq!(tile(&home.body, "waiting for the provider"), "0");
    let activated = home
        .body
        .split("Activated in the last 30 days")
        .nth(1)
        .unwrap();
    assert!(activated.contains("Beta Ltd"), "{activated}");
    assert!(home
        .body
        .split("Links that expire within two days")
        .nth(1)
        .unwrap()
        .contains("No confirmation link expires"));

    // Five days later Alpha's week-long link has two days left: it is listed, linked to its
    // page (where it can be sent again). A month on, Beta is no longer "new".
    app.clock
        .advance(chrono::Duration::days(5) + chrono::Duration::minutes(1));
    let home = partner.get("/").await;
    let expiring = home
        .body
        .split("Links that expire within two days")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    assert!(expiring.contains("Alpha Ltd"), "{expiring}");
    assert!(
        expiring.contains(&format!("/customers/{}", ids[0])),
        "{expiring}"
    );
    app.clock.advance(chrono::Duration::days(26));
    partner
        .get("/")
        .await
        .expect_text("No customer became active in the last 30 days");
}

#[tokio::test]
async fn the_digest_lists_the_fifty_longest_waiting_and_counts_the_rest() {
    // The job loop runs once at start-up (nothing waits then); the test runs the digest.
    let app = spawn_app_with(Options::default().var("JOBS_EVERY_MS", 3_600_000)).await;
    let partner = quick_partner(&app, "p@example.com", "Reseller Co").await;
    app.staff("staff@example.com").await;
    let customer = app.client();
    for i in 0..52 {
        let email = format!("c{i:02}@x.example");
        account(&app, &email, &format!("Customer {i:02}")).await;
        regs::add_existing(
            &app.core,
            &Actor::system("test"),
            &partner,
            &Email::parse(&email).unwrap(),
            Terms {
                friendly_name: PlainName::parse("C", "n").unwrap(),
                partner_role: PlainName::parse("Partner", "r").unwrap(),
                customer_type: CustomerType::Customer,
                commission: partner_portal::domain::CommissionRate::parse("10").unwrap(),
                management_mode: false,
            },
            Channel::Web,
        )
        .await
        .unwrap();
        let path = confirm_path(&app, &email).await;
        customer
            .post_form(&path, &path, &[("action", "confirm")])
            .await;
        app.clock.advance(chrono::Duration::minutes(1));
    }
    assert!(partner_portal::services::jobs::staff_digest(&app.core)
        .await
        .unwrap());
    let digest = app
        .smtp
        .wait_for("staff@example.com", "52 partner registrations waiting")
        .await;
    assert!(digest.text.contains("Customer 00"), "{}", digest.text);
    assert!(digest.text.contains("Customer 49"), "{}", digest.text);
    assert!(!digest.text.contains("Customer 50"), "{}", digest.text);
    assert!(digest.text.contains("and 2 more"), "{}", digest.text);
    // Nothing new since: no second digest, whatever the period.
    app.clock.advance(chrono::Duration::days(2));
    assert!(!partner_portal::services::jobs::staff_digest(&app.core)
        .await
        .unwrap());
}
