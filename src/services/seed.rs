//! Demonstration data for `seed-demo`: a staff user, partners (one suspended) with admins and
//! members, and enough extra partners to page through. Safe to run twice.
use chrono::{Duration, Utc};
use sea_orm::{ActiveValue::Set, EntityTrait, TransactionTrait};
use uuid::Uuid;

use super::auth::find_user_by_email;
use crate::{
    entities::{partners, users},
    startup::AppState,
};

pub const DEMO_PASSWORD: &str = "demo-password-2026";

struct DemoPartner {
    company: &'static str,
    contact: &'static str,
    country: &'static str,
    active: bool,
    users: &'static [(&'static str, &'static str, &'static str)],
}

const PARTNERS: &[DemoPartner] = &[
    DemoPartner {
        company: "Northwind Resellers",
        contact: "Nora West",
        country: "GB",
        active: true,
        users: &[
            ("partner@demo.test", "Nora West", "admin"),
            ("member@demo.test", "Max Member", "member"),
        ],
    },
    DemoPartner {
        company: "Blue Harbor Agency",
        contact: "Bao Tran",
        country: "VN",
        active: true,
        users: &[("blueharbor@demo.test", "Bao Tran", "admin")],
    },
    DemoPartner {
        company: "Suspended Systems Ltd",
        contact: "Sam Stop",
        country: "DE",
        active: false,
        users: &[("suspended@demo.test", "Sam Stop", "admin")],
    },
];

pub async fn seed_demo(state: &AppState) -> anyhow::Result<()> {
    let hash = state.hasher.hash(DEMO_PASSWORD).await?;
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let mut add_user = Vec::new();
    if find_user_by_email(&txn, "staff@demo.test").await?.is_none() {
        add_user.push(user(
            "staff@demo.test",
            "Stella Staff",
            "staff",
            None,
            "staff",
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
            add_user.push(user(email, name, "partner", Some(id), role, &hash));
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
                &format!("filler-{i}@demo.test"),
                &format!("Contact {i}"),
                "partner",
                Some(id),
                "admin",
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
    println!("Demo data ready. Every demo login uses the password {DEMO_PASSWORD:?}:");
    println!("  provider staff     staff@demo.test");
    println!("  partner admin      partner@demo.test      (Northwind Resellers)");
    println!("  partner member     member@demo.test       (Northwind Resellers)");
    println!("  partner admin      blueharbor@demo.test   (Blue Harbor Agency)");
    println!("  suspended partner  suspended@demo.test    (cannot sign in)");
    Ok(())
}

fn partner(
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
    }
}

fn user(
    email: &str,
    name: &str,
    kind: &str,
    partner: Option<Uuid>,
    role: &str,
    hash: &str,
) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email.into()),
        name: Set(name.into()),
        password_hash: Set(hash.into()),
        kind: Set(kind.into()),
        partner_id: Set(partner),
        account_id: Set(None),
        role: Set(role.into()),
        active: Set(true),
        created_at: Set(Utc::now()),
        last_sign_in_at: Set(None),
    }
}
