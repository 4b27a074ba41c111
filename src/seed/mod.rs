//! Demonstration data for `seed-demo`: a staff user, partners (one suspended) with admins and
//! members, and enough extra partners to page through. Safe to run twice. Kept out of
//! `services`: it writes through them (and the entities) but nothing in the product calls it.
//! The benchmark's data (`seed-bench`, `seed-revenue-bench`) is built only with the `bench`
//! feature.
#[cfg(feature = "bench")]
pub mod bench;
pub mod commerce;
pub mod revenue;

use crate::services::Core;
use chrono::{Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::services::auth::find_user_by_email;
use crate::{
    domain::{
        AccountSource, BillingMode, CreditKind, Currency, CustomerType, Money, Role, Status,
        UserKind,
    },
    entities::{partners, users},
};

pub const DEMO_PASSWORD: &str = "demo-password-2026";

struct DemoPartner {
    company: &'static str,
    contact: &'static str,
    country: &'static str,
    active: bool,
    users: &'static [(&'static str, &'static str, Role)],
}

const PARTNERS: &[DemoPartner] = &[
    DemoPartner {
        company: "Northwind Resellers",
        contact: "Nora West",
        country: "GB",
        active: true,
        users: &[
            ("partner@demo.test", "Nora West", Role::Admin),
            ("member@demo.test", "Max Member", Role::Member),
        ],
    },
    DemoPartner {
        company: "Blue Harbor Agency",
        contact: "Bao Tran",
        country: "VN",
        active: true,
        users: &[("blueharbor@demo.test", "Bao Tran", Role::Admin)],
    },
    DemoPartner {
        company: "Suspended Systems Ltd",
        contact: "Sam Stop",
        country: "DE",
        active: false,
        users: &[("suspended@demo.test", "Sam Stop", Role::Admin)],
    },
];

pub async fn seed_demo(core: &Core) -> anyhow::Result<()> {
    let hash = core.hasher.hash(DEMO_PASSWORD).await?;
    let now = core.now();
    let txn = core.db.begin().await?;
    let mut add_user = Vec::new();
    if find_user_by_email(&txn, "staff@demo.test").await?.is_none() {
        add_user.push(user(
            now,
            "staff@demo.test",
            "Stella Staff",
            UserKind::Staff,
            None,
            Role::Staff,
            &hash,
        ));
    }
    for (i, p) in PARTNERS.iter().enumerate() {
        if find_user_by_email(&txn, p.users[0].0).await?.is_some() {
            continue;
        }
        let id = Uuid::new_v4();
        partners::Entity::insert(partner(
            id,
            p.company,
            p.contact,
            p.country,
            p.active,
            now - Duration::days(90 - i as i64),
        ))
        .exec_without_returning(&txn)
        .await?;
        for (email, name, role) in p.users {
            add_user.push(user(
                now,
                email,
                name,
                UserKind::Partner,
                Some(id),
                *role,
                &hash,
            ));
        }
    }
    let filler = [
        "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell",
        "Soylent",
    ];
    let kinds = ["Cloud", "IT Services", "Consulting", "Digital", "Solutions"];
    if find_user_by_email(&txn, "filler-0@demo.test")
        .await?
        .is_none()
    {
        for i in 0..40usize {
            let id = Uuid::new_v4();
            let name = format!(
                "{} {}",
                filler[i % filler.len()],
                kinds[(i / filler.len()) % kinds.len()]
            );
            let countries = ["US", "FR", "JP", "BR", "IN", "AU", "CA", "SG"];
            partners::Entity::insert(partner(
                id,
                &name,
                &format!("Contact {i}"),
                countries[i % countries.len()],
                i % 9 != 4,
                now - Duration::days(i as i64),
            ))
            .exec_without_returning(&txn)
            .await?;
            add_user.push(user(
                now,
                &format!("filler-{i}@demo.test"),
                &format!("Contact {i}"),
                UserKind::Partner,
                Some(id),
                Role::Admin,
                &hash,
            ));
        }
    }
    for u in add_user {
        users::Entity::insert(u)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    let fresh = seed_customers(core).await?;
    seed_catalog(core).await?;
    if fresh {
        seed_orders(core).await?;
    }
    let secrets = enrol_two_factor(core, &["staff@demo.test", "partner@demo.test"]).await?;
    println!("Demo data ready. Every demo login uses the password {DEMO_PASSWORD:?}:");
    println!("  provider staff     staff@demo.test");
    println!("  partner admin      partner@demo.test      (Northwind Resellers)");
    println!("  partner member     member@demo.test       (Northwind Resellers)");
    println!("  partner admin      blueharbor@demo.test   (Blue Harbor Agency)");
    println!("  suspended partner  suspended@demo.test    (cannot sign in)");
    println!(
        "  customer admin     customer@demo.test     (Active Customer Inc, partner Northwind)"
    );
    println!("  customer member    colleague@demo.test    (Active Customer Inc)");
    println!("Accounts to try in \"Add a Customer account\": free1@demo.test .. free3@demo.test pass every");
    println!("rule; balance@, services@, discount@, poc@ and postpaid@demo.test each fail one.");
    println!(
        "Two-factor sign-in: staff and partner admins sign in with a code as well. These two are"
    );
    println!("set up; add the key to an authenticator app, or print the current code with");
    println!(
        "`partner-portal totp-code --secret KEY`. Other admins set it up at their first sign-in."
    );
    print_keys(&secrets);
    Ok(())
}

/// "  EMAIL key SECRET" for each enrolled user: what `bench/run.sh` signs in with.
pub(crate) fn print_keys(keys: &[(&str, String)]) {
    for (email, secret) in keys {
        println!("  {email:<22} key {secret}");
    }
}

/// Enrols these users in two-factor sign-in (once; later runs give the same keys): the
/// demo's staff user and partner admin, the benchmark's partners.
pub(crate) async fn enrol_two_factor<'a>(
    core: &Core,
    emails: &[&'a str],
) -> anyhow::Result<Vec<(&'a str, String)>> {
    let mut out = Vec::new();
    for &email in emails {
        let Some(u) = find_user_by_email(&core.db.read, email).await? else {
            continue;
        };
        let secret = match u.totp_secret.filter(|_| u.totp_enabled_at.is_some()) {
            Some(s) => s,
            None => {
                let s = crate::services::two_factor::new_secret();
                let txn = core.db.begin().await?;
                crate::services::two_factor::enrol_with_secret(&txn, core.now(), u.id, &s).await?;
                txn.commit().await?;
                s
            }
        };
        out.push((email, secret));
    }
    Ok(out)
}

pub(crate) fn partner(
    id: Uuid,
    company: &str,
    contact: &str,
    country: &str,
    active: bool,
    at: chrono::DateTime<Utc>,
) -> partners::ActiveModel {
    partners::ActiveModel {
        id: Set(id),
        company_name: Set(company.into()),
        contact_name: Set(contact.into()),
        country: Set(country.into()),
        phone: Set("+1 555 010 2000".into()),
        active: Set(active),
        created_at: Set(at),
        updated_at: Set(at),
        members_login_as: Set(false),
        require_two_factor: Set(false),
        payout_holder: Set(None),
        payout_iban: Set(None),
        payout_bic: Set(None),
        payout_updated_at: Set(None),
        paid_12m_currency: Set(None),
        paid_12m_from: Set(None),
    }
}

pub(crate) use crate::services::auth::new_user as user;

/// A small catalog: compute, backup, mail security and support, priced in several currencies.
const CATALOG: &str = "\
sku,name,unit,kind,trial_days,min_quantity,max_quantity,description,price_usd,price_eur,price_gbp,price_jpy,price_vnd
VM-STD,\"Cloud server (2 vCPU, 4 GB)\",server,monthly,14,1,200,Virtual machine in any data center; billed per server per month,38.00,35.00,30.00,5600,920000
BK-100,Backup 100 GB,block of 100 GB,monthly,30,1,500,Daily backup with 30-day retention,12.00,11.00,9.50,1800,290000
MAIL-SEC,Mail security,mailbox,yearly,30,5,10000,Spam phishing and malware filtering for every mailbox,24.00,22.00,19.00,3600,550000
SUP-GOLD,Gold support,plan,yearly,0,1,1,Four-hour response around the clock,1200.00,1100.00,950.00,,
MIGRATE,Migration service,project,one_off,0,1,10,A guided move of mail and files,499.00,459.00,399.00,,
LEGACY-FTP,FTP hosting (retired),site,monthly,0,1,50,Replaced by Backup 100 GB,5.00,,,,
";

/// Northwind's orders, licenses and trials, placed as Nora West would.
async fn seed_orders(core: &Core) -> anyhow::Result<()> {
    let nora = users::Entity::find()
        .filter(users::Column::Email.eq("partner@demo.test"))
        .one(&core.db.read)
        .await?
        .ok_or_else(|| anyhow::anyhow!("Nora West missing"))?;
    let partner = nora
        .partner_id
        .ok_or_else(|| anyhow::anyhow!("Nora West has no partner"))?;
    let actor = crate::services::audit::Actor::user(&nora.into());
    // Staff's tax rates (the demo customers are in the US, which has none).
    let staff = crate::services::audit::Actor::system("Stella Staff <staff@demo.test>");
    for (country, bp) in [("DE", 1900), ("GB", 2000)] {
        let code = crate::domain::CountryCode::parse(country).expect("a country");
        crate::services::invoices::set_tax_rate(core, &staff, &code, Some(bp)).await?;
    }
    commerce::demo_orders(core, partner.into(), &actor).await?;
    // A year of Northwind's revenue before this month: the chart, and statements in every state.
    revenue::demo_history(core, partner).await
}

/// Puts the demo catalog in place (once) and retires its last product.
async fn seed_catalog(core: &Core) -> anyhow::Result<()> {
    use crate::services::{audit::Actor, catalog};
    if !catalog::list(core, &catalog::CatalogQuery::default())
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let actor = Actor::system("seed-demo");
    catalog::import_csv(core, &actor, CATALOG.as_bytes()).await?;
    let query = catalog::CatalogQuery {
        q: "LEGACY-FTP".into(),
        ..Default::default()
    };
    for p in catalog::list(core, &query).await? {
        catalog::set_active(core, &actor, p.id, false).await?;
    }
    // Northwind buys at 20 % off, and at 30 % off the backup it sells most.
    let northwind = users::Entity::find()
        .filter(users::Column::Email.eq("partner@demo.test"))
        .one(&core.db.read)
        .await?
        .and_then(|u| u.partner_id);
    if let Some(partner) = northwind {
        use crate::domain::CommissionRate;
        let rate = |s| CommissionRate::parse(s).expect("valid");
        crate::services::pricing::set_discount(
            core,
            &actor,
            partner.into(),
            None,
            Some(rate("20")),
        )
        .await?;
        let backup = catalog::CatalogQuery {
            q: "BK-100".into(),
            ..Default::default()
        };
        for p in catalog::list(core, &backup).await? {
            crate::services::pricing::set_discount(
                core,
                &actor,
                partner.into(),
                Some(p.id),
                Some(rate("30")),
            )
            .await?;
        }
    }
    Ok(())
}

/// Accounts in every eligibility state and Northwind registrations in every status, so each
/// page and rule has something to show. False when they were there already (a second run).
async fn seed_customers(core: &Core) -> anyhow::Result<bool> {
    use crate::services::{
        accounts::{self, NewAccount},
        audit::{self, About, Actor},
    };
    use crate::{
        domain::{CommissionRate, CountryCode, Email, PlainName},
        entities::registrations,
    };
    if accounts::find_by_email(&core.db.read, "free1@demo.test")
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let actor = Actor::system("seed-demo");
    let northwind = users::Entity::find()
        .filter(users::Column::Email.eq("partner@demo.test"))
        .one(&core.db.read)
        .await?
        .and_then(|u| u.partner_id)
        .ok_or_else(|| anyhow::anyhow!("Northwind missing"))?;
    let new = |email: &str, company: &str, billing: BillingMode, poc: bool| NewAccount {
        company_name: PlainName::parse(company, "company").expect("valid"),
        primary_email: Email::parse(email).expect("valid"),
        country: CountryCode::parse("US").expect("valid"),
        phone: None,
        data_center: "us-east-1".into(),
        tags: vec!["demo".into()],
        billing_mode: billing,
        in_poc: poc,
        active: true,
    };
    let plain = [
        ("free1@demo.test", "Free One LLC"),
        ("free2@demo.test", "Free Two GmbH"),
        ("free3@demo.test", "Free Three SAS"),
        ("balance@demo.test", "Balance Holdings"),
        ("services@demo.test", "Busy Services Co"),
        ("discount@demo.test", "Discounted Ltd"),
    ];
    let txn = core.db.begin().await?;
    let mut ids = std::collections::HashMap::new();
    for (email, company) in plain {
        let a = accounts::create(
            &txn,
            core.now(),
            new(email, company, BillingMode::Prepaid, false),
            AccountSource::Staff,
            &actor,
        )
        .await?;
        ids.insert(email, a.id);
    }
    accounts::create(
        &txn,
        core.now(),
        new(
            "poc@demo.test",
            "Trial Runner Inc",
            BillingMode::Prepaid,
            true,
        ),
        AccountSource::Staff,
        &actor,
    )
    .await?;
    accounts::create(
        &txn,
        core.now(),
        new(
            "postpaid@demo.test",
            "Invoice Later Corp",
            BillingMode::Postpaid,
            false,
        ),
        AccountSource::Staff,
        &actor,
    )
    .await?;
    txn.commit().await?;
    accounts::add_credit(
        core,
        &actor,
        ids["balance@demo.test"].into(),
        CreditKind::Topup,
        Money::new(25_000, Currency::Usd),
        "Prepaid top-up",
    )
    .await?;
    accounts::add_service(
        core,
        &actor,
        ids["services@demo.test"].into(),
        PlainName::parse("Compute", "s").expect("valid"),
    )
    .await?;
    accounts::add_discount(
        core,
        &actor,
        ids["discount@demo.test"].into(),
        PlainName::parse("Launch offer", "d").expect("valid"),
        1500,
    )
    .await?;

    // Northwind's customers, one per status.
    let statuses = [
        ("Active Customer Inc", "customer@demo.test", "active"),
        ("Bright Dental Ltd", "dental@demo.test", "active"),
        (
            "Waiting Customer Co",
            "waiting@demo.test",
            "pending_customer",
        ),
        (
            "Confirmed Customer Co",
            "confirmed@demo.test",
            "pending_approval",
        ),
        ("Declining Customer Co", "declined@demo.test", "declined"),
        ("Silent Customer Co", "expired@demo.test", "expired"),
        ("Cancelled Customer Co", "cancelled@demo.test", "cancelled"),
        ("Rejected Customer Co", "rejected@demo.test", "rejected"),
        ("Former Customer Co", "ended@demo.test", "ended"),
    ];
    let hash = core.hasher.hash(DEMO_PASSWORD).await?;
    let now = core.now();
    let txn = core.db.begin().await?;
    for (i, (company, email, status)) in statuses.iter().enumerate() {
        let a = accounts::create(
            &txn,
            core.now(),
            new(email, company, BillingMode::Prepaid, false),
            AccountSource::Partner,
            &actor,
        )
        .await?;
        let at = now - Duration::days(30 - i as i64);
        let id = Uuid::new_v4();
        registrations::Entity::insert(registrations::ActiveModel {
            id: Set(id),
            partner_id: Set(northwind),
            account_id: Set(a.id),
            friendly_name: Set(company.split(' ').next().unwrap_or(company).to_string()),
            partner_role: Set("Partner".into()),
            customer_type: Set(CustomerType::Customer),
            commission_bp: Set(CommissionRate::parse("12.5").expect("valid").bp()),
            management_mode: Set(i % 2 == 0),
            status: Set(Status::parse(status).expect("a demo status")),
            new_account: Set(false),
            created_via: Set(crate::domain::Channel::Web),
            created_by_label: Set("Nora West <partner@demo.test>".into()),
            reason: Set(match *status {
                "declined" => Some("We already have a partner".into()),
                "rejected" => Some("Duplicate of an existing direct contract".into()),
                "ended" => Some("Moved to direct billing".into()),
                _ => None,
            }),
            expires_at: Set(Some(if *status == "pending_customer" {
                now + Duration::days(7)
            } else {
                at + Duration::days(7)
            })),
            confirmed_at: Set(matches!(
                *status,
                "pending_approval" | "active" | "rejected" | "ended"
            )
            .then_some(at + Duration::days(1))),
            activated_at: Set(
                matches!(*status, "active" | "ended").then_some(at + Duration::days(2))
            ),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
        audit::record(
            &txn,
            core.now(),
            &Actor::system("Nora West <partner@demo.test>"),
            "registration.requested",
            About::registration(northwind, a.id, id),
            &format!("{company} as Partner at 12.5% (demo data, now {status})"),
        )
        .await?;
        if *status == "active" {
            users::Entity::insert(users::ActiveModel {
                account_id: Set(Some(a.id)),
                ..user(
                    now,
                    email,
                    "Cora Customer",
                    UserKind::Customer,
                    None,
                    Role::Admin,
                    &hash,
                )
            })
            .exec_without_returning(&txn)
            .await?;
        }
        if *email == "customer@demo.test" {
            // A colleague without admin rights: the account's Users page has someone to
            // manage, and Login As someone to act as.
            users::Entity::insert(users::ActiveModel {
                account_id: Set(Some(a.id)),
                ..user(
                    now,
                    "colleague@demo.test",
                    "Cole Colleague",
                    UserKind::Customer,
                    None,
                    Role::Member,
                    &hash,
                )
            })
            .exec_without_returning(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}
