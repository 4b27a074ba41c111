//! The facts the eligibility rules need (one query in the usual case), the partner's check
//! before it asks, and staff's re-check before they approve.
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query},
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::{load, RegError};
use crate::{
    domain::{
        eligibility::{self, Facts, Verdict},
        registration::live_statuses,
        Email, PartnerId, RegistrationId,
    },
    entities::{accounts as account, registrations, users},
    services::{accounts, Core},
};

/// The facts the eligibility rules need, for `email` seen from `partner_id`, leaving out the
/// registration being re-checked.
pub async fn gather_facts(
    conn: &impl ConnectionTrait,
    partner_id: PartnerId,
    email: &str,
    exclude: Option<Uuid>,
) -> Result<(Facts, Option<account::Model>), DbErr> {
    let partner_id = partner_id.uuid();
    let email = email.trim().to_lowercase();
    // One query in the usual case: the account with, as EXISTS columns, whether the email is one
    // of the partner's own users, whether it has live registrations, and what it holds. Details
    // (which registration, which services…) are read only when a rule needs them.
    let partner_user = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(users::Entity)
            .cond_where(own_user(&email, partner_id))
            .to_owned(),
    );
    let live = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(registrations::Entity)
            .and_where(
                Expr::col((registrations::Entity, registrations::Column::AccountId))
                    .equals((account::Entity, account::Column::Id)),
            )
            .and_where(is_live())
            .to_owned(),
    );
    let mut query = account::Entity::find()
        .filter(account::Column::PrimaryEmail.eq(email.clone()))
        .expr_as(partner_user, "is_partner_itself")
        .expr_as(live, "has_live");
    for (expr, alias) in accounts::holdings_exprs() {
        query = query.expr_as(expr, alias);
    }
    let Some(found) = query.into_model::<AccountWithFacts>().one(conn).await? else {
        let is_partner_itself = users::Entity::find()
            .filter(own_user(&email, partner_id))
            .one(conn)
            .await?
            .is_some();
        return Ok((
            Facts {
                is_partner_itself,
                ..Default::default()
            },
            None,
        ));
    };
    let acct = found.account;
    let live = if found.has_live {
        let mut live = registrations::Entity::find()
            .filter(registrations::Column::AccountId.eq(acct.id))
            .filter(is_live());
        if let Some(id) = exclude {
            live = live.filter(registrations::Column::Id.ne(id));
        }
        live.all(conn).await?
    } else {
        vec![]
    };
    let held = accounts::Holdings {
        ledger: found.held_ledger,
        services: found.held_services,
        discounts: found.held_discounts,
    };
    let facts = Facts {
        account: Some(accounts::facts(conn, &acct, held).await?),
        is_partner_itself: found.is_partner_itself,
        with_this_partner: live
            .iter()
            .find(|r| r.partner_id == partner_id)
            .map(|r| r.status),
        with_other_partner: live.iter().any(|r| r.partner_id != partner_id),
    };
    Ok((facts, Some(acct)))
}

/// A registration that holds its account (`Status::is_live`, `uq_registrations_live_account`).
pub fn is_live() -> Expr {
    registrations::Column::Status.is_in(live_statuses())
}

/// The email is one of the partner's own users.
fn own_user(email: &str, partner_id: Uuid) -> Condition {
    Condition::all()
        .add(users::Column::Email.eq(email))
        .add(users::Column::PartnerId.eq(partner_id))
}

#[derive(sea_orm::FromQueryResult)]
struct AccountWithFacts {
    #[sea_orm(nested)]
    account: account::Model,
    is_partner_itself: bool,
    has_live: bool,
    held_ledger: bool,
    held_services: bool,
    held_discounts: bool,
}

/// Every rule for this email, as the partner's eligibility check shows them.
#[tracing::instrument(skip(core, email), fields(partner = %partner_id))]
pub async fn check_email(
    core: &Core,
    partner_id: PartnerId,
    email: &Email,
) -> Result<Vec<Verdict>, RegError> {
    let (facts, _) = gather_facts(&core.db.read, partner_id, email.as_str(), None).await?;
    Ok(eligibility::check(&facts))
}

/// The verdicts to report when the database refused a second live registration.
pub(super) fn conflict_verdicts() -> Vec<Verdict> {
    let f = Facts {
        account: Some(eligibility::AccountFacts::default()),
        with_other_partner: true,
        ..Default::default()
    };
    eligibility::failures(&eligibility::check(&f))
        .into_iter()
        .cloned()
        .collect()
}

/// The eligibility rules re-checked for a registration waiting for approval.
#[tracing::instrument(skip_all, level = "debug")]
pub async fn recheck(core: &Core, id: RegistrationId) -> Result<Vec<Verdict>, RegError> {
    recheck_in(&core.db.read, &load(&core.db.read, id).await?).await
}

pub(super) async fn recheck_in(
    conn: &impl ConnectionTrait,
    reg: &registrations::Model,
) -> Result<Vec<Verdict>, RegError> {
    let account = accounts::find(conn, reg.account_id.into())
        .await?
        .ok_or(RegError::NotFound)?;
    let (facts, _) = gather_facts(
        conn,
        reg.partner_id.into(),
        &account.primary_email,
        Some(reg.id),
    )
    .await?;
    Ok(eligibility::check(&facts))
}
