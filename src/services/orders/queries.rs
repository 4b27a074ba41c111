//! Reading orders and licenses: a customer's related lists, one order, one license with its
//! seats and history, and the API's list of a customer's licenses. Every read is scoped to the
//! partner: another partner's record is "not found".
use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{own_registration, place::cancellable_until, OrderError};
use crate::{
    domain::{
        order::LicenseStatus, AccountId, LicenseId, OrderId, PartnerId, RegistrationId, Status,
    },
    entities::{accounts, audit_events, license_seats, licenses, orders, products, users},
    services::{
        views::{AuditEntry, LicenseView, OrderView, User},
        Core,
    },
};

/// The related lists on a customer's page.
pub struct CustomerCommerce {
    /// Newest first, at most `LIST_LIMIT`.
    pub orders: Vec<OrderView>,
    /// Paid licenses: active first, then by end date.
    pub licenses: Vec<LicenseView>,
    pub trials: Vec<LicenseView>,
    /// The customer has more orders than listed.
    pub more_orders: bool,
}

const LIST_LIMIT: u64 = 50;

async fn products_of(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, products::Model>, OrderError> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(products::Entity::find()
        .filter(products::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

fn order_views(rows: Vec<orders::Model>, p: &HashMap<Uuid, products::Model>) -> Vec<OrderView> {
    rows.into_iter()
        .filter_map(|o| {
            let product = p.get(&o.product_id)?;
            OrderView::from_row(o, product)
        })
        .collect()
}

fn license_views(
    rows: Vec<licenses::Model>,
    p: &HashMap<Uuid, products::Model>,
) -> Vec<LicenseView> {
    rows.into_iter()
        .filter_map(|l| {
            let product = p.get(&l.product_id)?;
            Some(LicenseView::from_row(l, product))
        })
        .collect()
}

/// Active first, then the soonest end.
fn sort_licenses(v: &mut [LicenseView]) {
    v.sort_by_key(|l| (!l.is_active(), l.ends_on));
}

/// A customer's orders, licenses and trials (its partner's view).
#[tracing::instrument(skip(core), level = "debug")]
pub async fn customer_commerce(
    core: &Core,
    partner: PartnerId,
    reg: RegistrationId,
) -> Result<CustomerCommerce, OrderError> {
    let conn = &core.db.read;
    own_registration(conn, partner, reg).await?;
    let mut order_rows = orders::Entity::find()
        .filter(orders::Column::RegistrationId.eq(reg.uuid()))
        .order_by_desc(orders::Column::CreatedAt)
        .order_by_desc(orders::Column::Number)
        .limit(LIST_LIMIT + 1)
        .all(conn)
        .await?;
    let more_orders = order_rows.len() as u64 > LIST_LIMIT;
    order_rows.truncate(LIST_LIMIT as usize);
    let license_rows = licenses::Entity::find()
        .filter(licenses::Column::RegistrationId.eq(reg.uuid()))
        .all(conn)
        .await?;
    let p = products_of(
        conn,
        order_rows
            .iter()
            .map(|o| o.product_id)
            .chain(license_rows.iter().map(|l| l.product_id)),
    )
    .await?;
    let (trials, paid): (Vec<_>, Vec<_>) = license_rows.into_iter().partition(|l| l.trial);
    let mut licenses = license_views(paid, &p);
    let mut trials = license_views(trials, &p);
    sort_licenses(&mut licenses);
    sort_licenses(&mut trials);
    Ok(CustomerCommerce {
        orders: order_views(order_rows, &p),
        licenses,
        trials,
        more_orders,
    })
}

/// The licenses (and trials) of one of the partner's customers, for the API.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn licenses_for(
    core: &Core,
    partner: PartnerId,
    reg: RegistrationId,
) -> Result<Vec<LicenseView>, OrderError> {
    let conn = &core.db.read;
    own_registration(conn, partner, reg).await?;
    let rows = licenses::Entity::find()
        .filter(licenses::Column::RegistrationId.eq(reg.uuid()))
        .order_by_asc(licenses::Column::CreatedAt)
        .all(conn)
        .await?;
    let p = products_of(conn, rows.iter().map(|l| l.product_id)).await?;
    Ok(license_views(rows, &p))
}

async fn history(
    conn: &impl ConnectionTrait,
    subjects: Vec<Uuid>,
) -> Result<Vec<AuditEntry>, OrderError> {
    Ok(audit_events::Entity::find()
        .filter(audit_events::Column::SubjectId.is_in(subjects))
        .order_by_asc(audit_events::Column::At)
        .all(conn)
        .await?
        .into_iter()
        .map(AuditEntry::from)
        .collect())
}

async fn company_of(conn: &impl ConnectionTrait, account: Uuid) -> Result<String, OrderError> {
    Ok(accounts::Entity::find_by_id(account)
        .one(conn)
        .await?
        .map(|a| a.company_name)
        .unwrap_or_default())
}

pub struct OrderDetail {
    pub order: OrderView,
    pub company: String,
    pub license: Option<LicenseView>,
    /// The last day it can be cancelled, while it still can.
    pub cancellable_until: Option<NaiveDate>,
    pub history: Vec<AuditEntry>,
}

#[tracing::instrument(skip(core), level = "debug")]
pub async fn order(
    core: &Core,
    partner: PartnerId,
    id: OrderId,
) -> Result<OrderDetail, OrderError> {
    let conn = &core.db.read;
    let o = orders::Entity::find_by_id(id.uuid())
        .filter(orders::Column::PartnerId.eq(partner.uuid()))
        .one(conn)
        .await?
        .ok_or(OrderError::NotFound)?;
    let today = core.now().date_naive();
    let until = cancellable_until(&o, core.rules.order_grace).filter(|d| *d >= today);
    let license_row = match o.license_id {
        Some(l) => licenses::Entity::find_by_id(l).one(conn).await?,
        None => None,
    };
    let p = products_of(conn, [o.product_id]).await?;
    let company = company_of(conn, o.account_id).await?;
    let history = history(conn, vec![o.id]).await?;
    let reg_active = own_registration(conn, partner, o.registration_id.into())
        .await?
        .status
        == Status::Active;
    let order = OrderView::from_row(o, p.values().next().ok_or(OrderError::NotFound)?)
        .ok_or(OrderError::NotFound)?;
    let license = license_row.map(|l| LicenseView::from_row(l, &p[&order.product_id.uuid()]));
    Ok(OrderDetail {
        order,
        company,
        license,
        cancellable_until: until.filter(|_| reg_active),
        history,
    })
}

/// A seat given to a user.
pub struct Seat {
    pub user: User,
    pub assigned_at: chrono::DateTime<chrono::Utc>,
    pub assigned_by: String,
}

/// For each license (of one account), its seats and the account's active users without one.
async fn seats_of(
    conn: &impl ConnectionTrait,
    licenses: &[Uuid],
    account: Uuid,
) -> Result<Vec<(Vec<Seat>, Vec<User>)>, OrderError> {
    let seat_rows = license_seats::Entity::find()
        .filter(license_seats::Column::LicenseId.is_in(licenses.iter().copied()))
        .all(conn)
        .await?;
    let account_users: Vec<User> = users::Entity::find()
        .filter(users::Column::AccountId.eq(account))
        .order_by_asc(users::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(User::from)
        .collect();
    Ok(licenses
        .iter()
        .map(|license| {
            let mut seats = Vec::new();
            let mut free_users = Vec::new();
            for u in &account_users {
                let held = seat_rows
                    .iter()
                    .find(|s| s.license_id == *license && s.user_id == u.id.uuid());
                match held {
                    Some(s) => seats.push(Seat {
                        assigned_at: s.assigned_at,
                        assigned_by: s.assigned_by.clone(),
                        user: u.clone(),
                    }),
                    None if u.active => free_users.push(u.clone()),
                    None => {}
                }
            }
            (seats, free_users)
        })
        .collect())
}

/// How many of an account's orders its own Orders page lists (newest first).
pub const ACCOUNT_ORDERS: u64 = 200;

/// A customer account's orders, whichever partner placed them, newest first: its own Orders
/// page. The second value says there are more than listed.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn account_orders(
    core: &Core,
    account: AccountId,
) -> Result<(Vec<OrderView>, bool), OrderError> {
    let conn = &core.db.read;
    let mut rows = orders::Entity::find()
        .filter(orders::Column::AccountId.eq(account.uuid()))
        .order_by_desc(orders::Column::CreatedAt)
        .order_by_desc(orders::Column::Number)
        .limit(ACCOUNT_ORDERS + 1)
        .all(conn)
        .await?;
    let more = rows.len() as u64 > ACCOUNT_ORDERS;
    rows.truncate(ACCOUNT_ORDERS as usize);
    let p = products_of(conn, rows.iter().map(|o| o.product_id)).await?;
    Ok((order_views(rows, &p), more))
}

/// One of an account's active licenses or trials, as its users see it.
pub struct AccountLicense {
    pub license: LicenseView,
    pub seats: Vec<Seat>,
    pub free_users: Vec<User>,
}

/// The active licenses and trials of a customer account (its own pages), soonest end first.
#[tracing::instrument(skip(core), level = "debug")]
pub async fn account_licenses(
    core: &Core,
    account: AccountId,
) -> Result<Vec<AccountLicense>, OrderError> {
    let conn = &core.db.read;
    let rows = licenses::Entity::find()
        .filter(licenses::Column::AccountId.eq(account.uuid()))
        .filter(licenses::Column::Status.eq(LicenseStatus::Active.as_str()))
        .order_by_asc(licenses::Column::EndsOn)
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|l| l.id).collect();
    let seats = seats_of(conn, &ids, account.uuid()).await?;
    let p = products_of(conn, rows.iter().map(|l| l.product_id)).await?;
    Ok(license_views(rows, &p)
        .into_iter()
        .zip(seats)
        .map(|(license, (seats, free_users))| AccountLicense {
            license,
            seats,
            free_users,
        })
        .collect())
}

pub struct LicenseDetail {
    pub license: LicenseView,
    pub company: String,
    /// The relationship is active: seats, renewal and conversion can change.
    pub changeable: bool,
    pub seats: Vec<Seat>,
    /// The customer's active users without a seat on it.
    pub free_users: Vec<User>,
    /// Its orders, newest first.
    pub orders: Vec<OrderView>,
    pub history: Vec<AuditEntry>,
}

#[tracing::instrument(skip(core), level = "debug")]
pub async fn license(
    core: &Core,
    partner: PartnerId,
    id: LicenseId,
) -> Result<LicenseDetail, OrderError> {
    let conn = &core.db.read;
    let l = licenses::Entity::find_by_id(id.uuid())
        .filter(licenses::Column::PartnerId.eq(partner.uuid()))
        .one(conn)
        .await?
        .ok_or(OrderError::NotFound)?;
    let reg = own_registration(conn, partner, l.registration_id.into()).await?;
    let (seats, free_users) = seats_of(conn, &[l.id], l.account_id)
        .await?
        .pop()
        .unwrap_or_default();
    let order_rows = orders::Entity::find()
        .filter(orders::Column::LicenseId.eq(l.id))
        .order_by_desc(orders::Column::Number)
        .all(conn)
        .await?;
    let mut subjects: Vec<Uuid> = order_rows.iter().map(|o| o.id).collect();
    subjects.push(l.id);
    let history = history(conn, subjects).await?;
    let p = products_of(conn, [l.product_id]).await?;
    let company = company_of(conn, l.account_id).await?;
    let license = LicenseView::from_row(l, p.values().next().ok_or(OrderError::NotFound)?);
    Ok(LicenseDetail {
        changeable: reg.status == Status::Active && license.status == LicenseStatus::Active,
        license,
        company,
        seats,
        free_users,
        orders: order_views(order_rows, &p),
        history,
    })
}
