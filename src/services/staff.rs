//! Provider staff: accounts made from the command line, the partner directory, suspending
//! and reactivating partners.
use super::Core;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    auth::find_user_by_email,
    search::{self, Doc},
    views::{Partner, User},
};
use crate::{
    domain::{Email, NewPassword, PartnerId, PlainName},
    entities::{partners, users},
    services::user_sessions::revoke_all as revoke_user_sessions,
};

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("This email address already has an account.")]
    EmailTaken,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Fault(#[from] super::Fault),
}

super::faults_into!(StaffError);

#[tracing::instrument(skip_all)]
pub async fn create_staff(
    core: &Core,
    email: &Email,
    name: PlainName,
    password: &NewPassword,
) -> Result<User, StaffError> {
    let hash = core.hasher.hash(password.expose()).await?;
    let txn = core.db.begin().await?;
    if find_user_by_email(&txn, email.as_str()).await?.is_some() {
        return Err(StaffError::EmailTaken);
    }
    let (kind, role) = (crate::domain::UserKind::Staff, crate::domain::Role::Staff);
    let name = name.into_inner();
    let row = super::auth::new_user(core.now(), email.as_str(), &name, kind, None, role, &hash);
    let user = users::Entity::insert(row).exec_with_returning(&txn).await?;
    audit::record(
        &txn,
        core.now(),
        &Actor::system("command line"),
        "staff.created",
        About::subject(user.id),
        email.as_str(),
    )
    .await?;
    txn.commit().await?;
    Ok(user.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerSort {
    Company,
    Contact,
    Country,
    Status,
    Joined,
}

impl PartnerSort {
    pub fn parse(s: &str) -> Self {
        match s {
            "contact" => Self::Contact,
            "country" => Self::Country,
            "status" => Self::Status,
            "joined" => Self::Joined,
            _ => Self::Company,
        }
    }

    fn column(self) -> partners::Column {
        match self {
            Self::Company => partners::Column::CompanyName,
            Self::Contact => partners::Column::ContactName,
            Self::Country => partners::Column::Country,
            Self::Status => partners::Column::Active,
            Self::Joined => partners::Column::CreatedAt,
        }
    }
}

pub struct PartnerQuery {
    pub q: String,
    /// `active` | `suspended` | anything else for all.
    pub status: String,
    pub sort: PartnerSort,
    pub desc: bool,
    pub page: u64,
    pub per_page: u64,
}

pub struct PartnerList {
    pub rows: Vec<Partner>,
    pub total: u64,
}

#[tracing::instrument(skip_all, level = "debug")]
pub async fn list_partners(core: &Core, q: &PartnerQuery) -> Result<PartnerList, StaffError> {
    let mut cond = Condition::all();
    let id = (partners::Entity, partners::Column::Id);
    let text = search::matching(&core.db, id, Doc::Partner, &q.q, |p| {
        Condition::any()
            .add(search::ilike(partners::Column::CompanyName, p))
            .add(search::ilike(partners::Column::ContactName, p))
    })
    .await?;
    if let Some(text) = text {
        // A partner's id, pasted whole, finds it too.
        cond = cond.add(match Uuid::parse_str(q.q.trim()) {
            Ok(id) => Condition::any().add(text).add(partners::Column::Id.eq(id)),
            Err(_) => text,
        });
    }
    match q.status.as_str() {
        "active" => cond = cond.add(partners::Column::Active.eq(true)),
        "suspended" => cond = cond.add(partners::Column::Active.eq(false)),
        _ => {}
    }
    let base = partners::Entity::find().filter(cond);
    let total = base.clone().count(&core.db.read).await?;
    let order = if q.desc { Order::Desc } else { Order::Asc };
    let rows = base
        .order_by(q.sort.column(), order)
        .order_by_asc(partners::Column::Id)
        .offset(super::accounts::page_offset(q.page, q.per_page))
        .limit(q.per_page)
        .all(&core.db.read)
        .await?;
    Ok(PartnerList {
        rows: rows.into_iter().map(Into::into).collect(),
        total,
    })
}

/// A partner as staff see it: its users and its newest registrations.
pub struct PartnerDetail {
    pub partner: Partner,
    pub users: Vec<User>,
    /// The 50 newest, and whether there are more.
    pub customers: Vec<super::registrations::CustomerRow>,
    pub more_customers: bool,
}

#[tracing::instrument(skip(core), level = "debug")]
pub async fn partner_detail(core: &Core, id: PartnerId) -> Result<PartnerDetail, StaffError> {
    let partner = partners::Entity::find_by_id(id.uuid())
        .one(&core.db.read)
        .await?
        .ok_or(StaffError::NotFound)?;
    let users = super::members::users(&core.db.read, super::members::Org::Partner(id)).await?;
    use super::registrations::{self as regs, CustomerQuery, CustomerSort};
    let mut customers = regs::list(
        core,
        id,
        &CustomerQuery {
            expiring_by: None,
            q: String::new(),
            status: None,
            customer_type: None,
            sort: CustomerSort::Created,
            desc: true,
            offset: 0,
            limit: 50,
            after: None,
        },
    )
    .await
    .map_err(|e| match e {
        super::registrations::RegError::Fault(f) => StaffError::Fault(f),
        _ => StaffError::NotFound,
    })?;
    let more_customers = customers.len() > 50;
    customers.truncate(50);
    Ok(PartnerDetail {
        partner: partner.into(),
        users,
        customers,
        more_customers,
    })
}

/// Suspends (signing every user of the partner out) or reactivates a partner.
#[tracing::instrument(skip(core, actor))]
pub async fn set_partner_active(
    core: &Core,
    actor: &Actor,
    partner_id: PartnerId,
    active: bool,
) -> Result<Partner, StaffError> {
    let partner_id = partner_id.uuid();
    let txn = core.db.begin().await?;
    partners::Entity::find_by_id(partner_id)
        .one(&txn)
        .await?
        .ok_or(StaffError::NotFound)?;
    let partner = partners::Entity::update(partners::ActiveModel {
        id: Set(partner_id),
        active: Set(active),
        updated_at: Set(core.now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    if !active {
        let ids: Vec<Uuid> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .filter(users::Column::PartnerId.eq(partner_id))
            .into_tuple()
            .all(&txn)
            .await?;
        for id in ids {
            revoke_user_sessions(&txn, id).await?;
        }
    }
    let action = if active {
        "partner.reactivated"
    } else {
        "partner.suspended"
    };
    audit::record(
        &txn,
        core.now(),
        actor,
        action,
        About::partner(Some(partner_id), Some(partner_id)),
        &partner.company_name,
    )
    .await?;
    txn.commit().await?;
    Ok(partner.into())
}
