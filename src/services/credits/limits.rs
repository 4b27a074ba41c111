//! The limits on promotional credit a partner's users may give away (the domain's
//! `grant_limits` has the rules): reading them with the month's figures, the admins' member
//! limits and staff's ceiling, and the month's totals a grant is decided on.
use chrono::{DateTime, Datelike, TimeZone, Utc};
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::super::{
    audit::{self, About, Actor},
    Core,
};
use super::CreditError;
use crate::{
    domain::{
        grant_limits::{GrantRequestStatus, Limits, MonthTotals},
        money::CURRENCIES,
        CreditKind, Currency, Money, PartnerId,
    },
    entities::{credit_grant_requests, credit_ledger, partner_grant_limits, partners},
};

/// The largest limit or ceiling that can be set: a billion in the currency's major unit.
const MAX_MAJOR: i64 = 1_000_000_000;

/// One currency's limits of a partner, with what its users gave away this month.
#[derive(Debug, Clone)]
pub struct CurrencyLimits {
    pub currency: Currency,
    pub member_per_grant: Option<Money>,
    pub member_per_month: Option<Money>,
    /// The ceiling that applies (staff's, or the default).
    pub ceiling: Money,
    /// Whether staff set `ceiling` (otherwise it is the default).
    pub ceiling_set: bool,
    /// Granted this calendar month (UTC), every user of the partner.
    pub month_granted: Money,
    /// Waiting for the provider's approval.
    pub pending: Money,
}

/// The first instant of `now`'s calendar month, UTC.
pub(crate) fn month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now)
}

/// The partner's limits in `currency` as stored (none set: `Limits::none()`).
pub(crate) async fn load(
    conn: &impl ConnectionTrait,
    partner: Uuid,
    currency: Currency,
) -> Result<Limits, CreditError> {
    let row = partner_grant_limits::Entity::find_by_id((partner, currency))
        .one(conn)
        .await?;
    Ok(row.map_or(Limits::none(), |r| limits_of_row(&r)))
}

fn limits_of_row(r: &partner_grant_limits::Model) -> Limits {
    let money = |m: Option<i64>| m.map(|minor| Money::new(minor, r.currency));
    Limits {
        member_per_grant: money(r.member_per_grant_minor),
        member_per_month: money(r.member_per_month_minor),
        ceiling: money(r.ceiling_minor),
    }
}

/// Granted this month (ledger grants the partner funds) by `user`, or by anyone of the
/// partner when `user` is `None`.
async fn granted(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    partner: Uuid,
    user: Option<Uuid>,
    currency: Currency,
) -> Result<i64, CreditError> {
    let mut q = credit_ledger::Entity::find()
        .select_only()
        .column(credit_ledger::Column::AmountMinor)
        .filter(credit_ledger::Column::PartnerId.eq(partner))
        .filter(credit_ledger::Column::Kind.eq(CreditKind::Grant))
        .filter(credit_ledger::Column::Currency.eq(currency))
        .filter(credit_ledger::Column::CreatedAt.gte(month_start(now)));
    if let Some(user) = user {
        q = q.filter(credit_ledger::Column::CreatedBy.eq(user));
    }
    Ok(q.into_tuple::<i64>().all(conn).await?.into_iter().sum())
}

/// Waiting for the provider's approval (whenever asked: approved, it lands in this month),
/// asked by `user`, or by anyone of the partner when `user` is `None`.
async fn pending(
    conn: &impl ConnectionTrait,
    partner: Uuid,
    user: Option<Uuid>,
    currency: Currency,
) -> Result<i64, CreditError> {
    let mut q = credit_grant_requests::Entity::find()
        .select_only()
        .column(credit_grant_requests::Column::AmountMinor)
        .filter(credit_grant_requests::Column::Status.eq(GrantRequestStatus::Pending))
        .filter(credit_grant_requests::Column::PartnerId.eq(partner))
        .filter(credit_grant_requests::Column::Currency.eq(currency));
    if let Some(user) = user {
        q = q.filter(credit_grant_requests::Column::RequestedBy.eq(user));
    }
    Ok(q.into_tuple::<i64>().all(conn).await?.into_iter().sum())
}

/// The month's totals a grant by `user` (none: the system, whose own total is nothing) is
/// decided on. Inside the grant's transaction, after the partner's row is locked, so two
/// grants of one partner are decided one after the other.
pub(crate) async fn month_totals(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    partner: Uuid,
    user: Option<Uuid>,
    currency: Currency,
) -> Result<MonthTotals, CreditError> {
    let own = match user {
        Some(user) => {
            granted(conn, now, partner, Some(user), currency).await?
                + pending(conn, partner, Some(user), currency).await?
        }
        None => 0,
    };
    Ok(MonthTotals {
        own,
        partner: granted(conn, now, partner, None, currency).await?
            + pending(conn, partner, None, currency).await?,
    })
}

/// The partner's limits in every currency, with this month's figures.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn limits_of(
    core: &Core,
    partner: PartnerId,
) -> Result<Vec<CurrencyLimits>, CreditError> {
    let conn = &core.db.read;
    let rows = partner_grant_limits::Entity::find()
        .filter(partner_grant_limits::Column::PartnerId.eq(partner.uuid()))
        .all(conn)
        .await?;
    let mut out = Vec::with_capacity(CURRENCIES.len());
    for currency in CURRENCIES {
        let limits = rows
            .iter()
            .find(|r| r.currency == currency)
            .map_or(Limits::none(), limits_of_row);
        out.push(CurrencyLimits {
            currency,
            member_per_grant: limits.member_per_grant,
            member_per_month: limits.member_per_month,
            ceiling: limits.ceiling_in(currency),
            ceiling_set: limits.ceiling.is_some(),
            month_granted: Money::new(
                granted(conn, core.now(), partner.uuid(), None, currency).await?,
                currency,
            ),
            pending: Money::new(
                pending(conn, partner.uuid(), None, currency).await?,
                currency,
            ),
        });
    }
    Ok(out)
}

/// A limit typed in a form: empty is "not set"; zero is allowed (nothing may be granted).
pub fn parse_limit(
    raw: &str,
    currency: Currency,
    field: &'static str,
) -> Result<Option<Money>, CreditError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let amount = Money::parse(raw, currency).map_err(|e| CreditError::field(field, e.0))?;
    if amount.is_negative() {
        return Err(CreditError::field(
            field,
            "Enter zero or more, or leave it empty.",
        ));
    }
    let max = MAX_MAJOR * 10_i64.pow(currency.decimals());
    if amount.minor > max {
        return Err(CreditError::field(
            field,
            format!("At most {}.", Money::new(max, currency)),
        ));
    }
    Ok(Some(amount))
}

fn shown(m: Option<Money>) -> String {
    m.map_or_else(|| "not set".to_string(), |m| m.to_string())
}

/// The partner's admins set what a member may grant in `currency`, per grant and per month
/// (`None`: not set, so members may grant nothing). Staff's ceiling is left as it is.
#[tracing::instrument(skip(core, actor))]
pub async fn set_member_limits(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    currency: Currency,
    per_grant: Option<Money>,
    per_month: Option<Money>,
) -> Result<(), CreditError> {
    if let (Some(g), Some(m)) = (per_grant, per_month) {
        if m.minor < g.minor {
            return Err(CreditError::field(
                "per_month",
                format!("A month allows at least one grant: enter {g} or more."),
            ));
        }
    }
    let now = core.now();
    let txn = core.db.begin().await?;
    partner_grant_limits::Entity::insert(partner_grant_limits::ActiveModel {
        partner_id: Set(partner.uuid()),
        currency: Set(currency),
        member_per_grant_minor: Set(per_grant.map(|m| m.minor)),
        member_per_month_minor: Set(per_month.map(|m| m.minor)),
        ceiling_minor: Set(None),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            partner_grant_limits::Column::PartnerId,
            partner_grant_limits::Column::Currency,
        ])
        .update_columns([
            partner_grant_limits::Column::MemberPerGrantMinor,
            partner_grant_limits::Column::MemberPerMonthMinor,
            partner_grant_limits::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        actor,
        "partner.credit_limits",
        About::partner(Some(partner.uuid()), Some(partner.uuid())),
        &format!(
            "Members' {currency} grants: {} per grant, {} per month",
            shown(per_grant),
            shown(per_month)
        ),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

/// Staff set the partner's monthly ceiling in `currency` (`None`: back to the default). The
/// admins' member limits are left as they are.
#[tracing::instrument(skip(core, actor))]
pub async fn set_ceiling(
    core: &Core,
    actor: &Actor,
    partner: PartnerId,
    currency: Currency,
    ceiling: Option<Money>,
) -> Result<(), CreditError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    partners::Entity::find_by_id(partner.uuid())
        .one(&txn)
        .await?
        .ok_or(CreditError::NotFound)?;
    partner_grant_limits::Entity::insert(partner_grant_limits::ActiveModel {
        partner_id: Set(partner.uuid()),
        currency: Set(currency),
        member_per_grant_minor: Set(None),
        member_per_month_minor: Set(None),
        ceiling_minor: Set(ceiling.map(|m| m.minor)),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            partner_grant_limits::Column::PartnerId,
            partner_grant_limits::Column::Currency,
        ])
        .update_columns([
            partner_grant_limits::Column::CeilingMinor,
            partner_grant_limits::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        actor,
        "partner.credit_ceiling",
        About::partner(Some(partner.uuid()), Some(partner.uuid())),
        &format!(
            "Monthly {currency} ceiling on promotional credit: {}",
            ceiling.map_or_else(
                || format!(
                    "the default, {}",
                    crate::domain::grant_limits::default_ceiling(currency)
                ),
                |m| m.to_string()
            )
        ),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}
