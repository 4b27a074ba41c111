//! Reading registrations: My Customers (and its export and the API's list), one customer's
//! page, the staff approval queue and review, and the partner a customer account has.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, Order, QueryFilter, QueryOrder,
    QuerySelect, RelationDef,
};
use uuid::Uuid;

use super::{eligibility::is_live, load, load_for_partner, RegError};
use crate::{
    domain::{
        order::no_expiry, AccountId, CommissionRate, CustomerType, Money, PartnerId,
        RegistrationId, Status, UserId,
    },
    entities::{accounts as account, audit_events, partners, registrations},
    services::{
        accounts,
        export::{after_key, Batch, Paged},
        members::{self, Org},
        search::{self, ilike, like_pattern, Doc, Plan, SearchText},
        views::{Account, AuditEntry, Partner, Registration, User},
        Core,
    },
};

/// One row of My Customers: only the columns lists and exports show (fewer columns to
/// fetch and decode per row).
pub struct CustomerRow {
    pub id: RegistrationId,
    pub account_id: AccountId,
    pub company_name: String,
    pub primary_email: String,
    pub account_active: bool,
    pub friendly_name: String,
    pub customer_type: CustomerType,
    pub commission: CommissionRate,
    pub management_mode: bool,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    /// (seats given to users, seats licensed) over the active licenses; None without seats.
    pub usage: Option<(u32, u32)>,
    /// The earliest end among active licenses and trials.
    pub next_expiry: Option<NaiveDate>,
    /// Paid revenue over the last 12 months, in the partner's `paid_12m` currency.
    pub paid_12m_minor: i64,
}

#[derive(sea_orm::FromQueryResult)]
struct ListedRow {
    id: Uuid,
    account_id: Uuid,
    friendly_name: String,
    customer_type: CustomerType,
    commission_bp: i32,
    management_mode: bool,
    status: Status,
    created_at: DateTime<Utc>,
    a_company: String,
    a_email: String,
    a_active: bool,
    seats_licensed: i32,
    seats_assigned: i32,
    next_expiry: NaiveDate,
    paid_12m_minor: i64,
}

impl From<ListedRow> for CustomerRow {
    fn from(r: ListedRow) -> Self {
        Self {
            id: r.id.into(),
            account_id: r.account_id.into(),
            company_name: r.a_company,
            primary_email: r.a_email,
            account_active: r.a_active,
            friendly_name: r.friendly_name,
            customer_type: r.customer_type,
            commission: CommissionRate::from_bp(r.commission_bp),
            management_mode: r.management_mode,
            status: r.status,
            created_at: r.created_at,
            usage: (r.seats_licensed > 0).then(|| {
                (
                    u32::try_from(r.seats_assigned).unwrap_or(0),
                    u32::try_from(r.seats_licensed).unwrap_or(0),
                )
            }),
            next_expiry: (r.next_expiry != no_expiry()).then_some(r.next_expiry),
            paid_12m_minor: r.paid_12m_minor,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerSort {
    Company,
    Name,
    Active,
    Type,
    Status,
    Commission,
    Created,
    Usage,
    Expiry,
    /// Paid revenue over the last 12 months (the stored figure, in the partner's main
    /// currency).
    Revenue,
}

impl CustomerSort {
    pub fn parse(s: &str) -> Self {
        match s {
            "company" => Self::Company,
            "name" => Self::Name,
            "active" => Self::Active,
            "type" => Self::Type,
            "status" => Self::Status,
            "commission" => Self::Commission,
            "usage" => Self::Usage,
            "expiry" => Self::Expiry,
            "revenue" => Self::Revenue,
            _ => Self::Created,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Company => "company",
            Self::Name => "name",
            Self::Active => "active",
            Self::Type => "type",
            Self::Status => "status",
            Self::Commission => "commission",
            Self::Created => "created",
            Self::Usage => "usage",
            Self::Expiry => "expiry",
            Self::Revenue => "revenue",
        }
    }
}

pub struct CustomerQuery {
    pub q: String,
    pub status: Option<Status>,
    pub customer_type: Option<CustomerType>,
    /// Only customers whose earliest license or trial ends on or before this day.
    pub expiring_by: Option<NaiveDate>,
    pub sort: CustomerSort,
    pub desc: bool,
    pub offset: u64,
    pub limit: u64,
    /// Keyset cursor for exports sorted by newest first: rows strictly after this one.
    pub after: Option<(DateTime<Utc>, RegistrationId)>,
}

fn account_join() -> RelationDef {
    registrations::Entity::belongs_to(account::Entity)
        .from(registrations::Column::AccountId)
        .to(account::Column::Id)
        .into()
}

/// My Customers as its export reads it: the list's filters, newest first, a page at a time.
#[derive(Clone)]
pub struct CustomerExport {
    pub partner: PartnerId,
    pub q: String,
    pub status: Option<Status>,
    pub customer_type: Option<CustomerType>,
    pub expiring_by: Option<NaiveDate>,
}

impl Paged for CustomerExport {
    type Row = CustomerRow;
    type Cursor = (DateTime<Utc>, RegistrationId);
    type Error = RegError;

    async fn page(
        &self,
        core: &Core,
        after: Option<Self::Cursor>,
        limit: u64,
    ) -> Result<Batch<CustomerRow, Self::Cursor>, RegError> {
        let q = CustomerQuery {
            q: self.q.clone(),
            status: self.status,
            customer_type: self.customer_type,
            expiring_by: self.expiring_by,
            sort: CustomerSort::Created,
            desc: true,
            offset: 0,
            limit,
            after,
        };
        let rows = list(core, self.partner, &q).await?;
        Ok(Batch::of(rows, limit, |r| (r.created_at, r.id)))
    }
}

/// A partner's registrations for My Customers. Fetches `limit + 1` rows so the caller knows
/// whether a next page exists without counting the whole set.
#[tracing::instrument(skip_all, level = "debug")]
pub async fn list(
    core: &Core,
    partner_id: PartnerId,
    q: &CustomerQuery,
) -> Result<Vec<CustomerRow>, RegError> {
    let backend = core.db.backend();
    let mut scan = None;
    let mut search = None;
    // A selective search reads its matches through the index and the page's rows by id; any
    // other list (no search, a short or a very common word) reads the partner's rows in order.
    let needle = match SearchText::parse(&q.q) {
        SearchText::Indexed(needle) => {
            let id = (registrations::Entity, registrations::Column::Id);
            let scope = Some(partner_id.uuid());
            // Newest first with no other filter (the default view): the index query can
            // pick the page's rows itself.
            let newest = (q.sort == CustomerSort::Created
                && q.desc
                && q.status.is_none()
                && q.customer_type.is_none()
                && q.expiring_by.is_none()
                && q.after.is_none())
            .then(|| q.offset.saturating_add(q.limit).saturating_add(1));
            match search::plan(&core.db, id, Doc::Registration, scope, &needle, newest).await? {
                Plan::Index(condition) => {
                    search = Some(condition);
                    None
                }
                Plan::Scan => Some(needle),
            }
        }
        SearchText::Short(needle) => Some(needle),
        SearchText::Empty => None,
    };
    if let Some(needle) = needle {
        let p = like_pattern(&needle);
        scan = Some(
            Condition::any()
                .add(ilike(account::Column::CompanyName, &p))
                .add(ilike(account::Column::PrimaryEmail, &p))
                .add(ilike(registrations::Column::FriendlyName, &p)),
        );
    }
    let mut cond = Condition::all();
    cond = match search {
        Some(condition) => cond
            .add(search::unindexed_eq(
                backend,
                "registrations",
                "partner_id",
                partner_id.uuid(),
            ))
            .add(condition),
        None => cond.add(registrations::Column::PartnerId.eq(partner_id.uuid())),
    };
    if let Some(scan) = scan {
        cond = cond.add(scan);
    }
    if let Some(s) = q.status {
        cond = cond.add(registrations::Column::Status.eq(s));
    }
    if let Some(t) = q.customer_type {
        cond = cond.add(registrations::Column::CustomerType.eq(t));
    }
    if let Some(by) = q.expiring_by {
        cond = cond.add(registrations::Column::NextExpiry.lte(by));
    }
    if let Some((at, id)) = q.after {
        cond = cond.add(after_key(
            &[
                (registrations::Column::CreatedAt, at.into()),
                (registrations::Column::Id, id.uuid().into()),
            ],
            Order::Desc,
        ));
    }
    let order = if q.desc { Order::Desc } else { Order::Asc };
    let mut query = registrations::Entity::find()
        .select_only()
        .columns([
            registrations::Column::Id,
            registrations::Column::AccountId,
            registrations::Column::FriendlyName,
            registrations::Column::CustomerType,
            registrations::Column::CommissionBp,
            registrations::Column::ManagementMode,
            registrations::Column::Status,
            registrations::Column::CreatedAt,
            registrations::Column::SeatsLicensed,
            registrations::Column::SeatsAssigned,
            registrations::Column::NextExpiry,
            registrations::Column::Paid12mMinor,
        ])
        .join(JoinType::InnerJoin, account_join())
        .filter(cond)
        .column_as(account::Column::CompanyName, "a_company")
        .column_as(account::Column::PrimaryEmail, "a_email")
        .column_as(account::Column::Active, "a_active");
    query = match q.sort {
        CustomerSort::Company => query.order_by(account::Column::CompanyName, order.clone()),
        CustomerSort::Name => query.order_by(registrations::Column::FriendlyName, order.clone()),
        CustomerSort::Active => query.order_by(account::Column::Active, order.clone()),
        CustomerSort::Type => query.order_by(registrations::Column::CustomerType, order.clone()),
        CustomerSort::Status => query.order_by(registrations::Column::Status, order.clone()),
        CustomerSort::Commission => {
            query.order_by(registrations::Column::CommissionBp, order.clone())
        }
        CustomerSort::Created => query.order_by(registrations::Column::CreatedAt, order.clone()),
        // From (partner_id, column, id) indexes: no customer is left out (no seats sorts
        // first, no expiry last) and no sort step runs.
        CustomerSort::Usage => query.order_by(registrations::Column::UsageBp, order.clone()),
        CustomerSort::Expiry => query.order_by(registrations::Column::NextExpiry, order.clone()),
        CustomerSort::Revenue => query.order_by(registrations::Column::Paid12mMinor, order.clone()),
    };
    let rows = query
        .order_by(registrations::Column::Id, order)
        .offset(q.offset)
        .limit(q.limit + 1)
        .into_model::<ListedRow>()
        .all(&core.db.read)
        .await?;
    Ok(rows.into_iter().map(CustomerRow::from).collect())
}

/// One customer as its partner sees it.
pub struct CustomerDetail {
    pub registration: Registration,
    pub account: Account,
    /// The registration's history, oldest first.
    pub timeline: Vec<AuditEntry>,
    /// Credit balances that are not zero: shown only while the relationship is active.
    pub credit: Vec<Money>,
}

/// A partner's own registration with its account; any other is "not found".
#[tracing::instrument(skip(core))]
pub async fn customer(
    core: &Core,
    partner_id: PartnerId,
    id: RegistrationId,
) -> Result<CustomerDetail, RegError> {
    let conn = &core.db.read;
    let reg = load_for_partner(conn, partner_id, id).await?;
    let account = accounts::find(conn, reg.account_id.into())
        .await?
        .ok_or(RegError::NotFound)?;
    let timeline = timeline(conn, reg.id).await?;
    // A partner sees the account's money (and its users, `members`) only once the
    // relationship is active.
    let credit = if reg.status == Status::Active {
        accounts::balances(conn, account.id.into())
            .await?
            .into_iter()
            .filter(|m| !m.is_zero())
            .collect()
    } else {
        vec![]
    };
    Ok(CustomerDetail {
        registration: reg.into(),
        account: account.into(),
        timeline,
        credit,
    })
}

/// One user of an active customer of the partner.
#[tracing::instrument(skip_all, level = "debug")]
pub async fn customer_user(
    core: &Core,
    partner_id: PartnerId,
    id: RegistrationId,
    user_id: UserId,
) -> Result<(Registration, Account, User), RegError> {
    let conn = &core.db.read;
    let reg = load_for_partner(conn, partner_id, id).await?;
    if reg.status != Status::Active {
        return Err(RegError::NotFound);
    }
    let user = members::users(conn, Org::Account(reg.account_id.into()))
        .await?
        .into_iter()
        .find(|u| u.id == user_id)
        .ok_or(RegError::NotFound)?;
    let account = accounts::find(conn, reg.account_id.into())
        .await?
        .ok_or(RegError::NotFound)?;
    Ok((reg.into(), account.into(), user))
}

/// The registration's history, oldest first.
async fn timeline(conn: &impl ConnectionTrait, id: Uuid) -> Result<Vec<AuditEntry>, RegError> {
    Ok(audit_events::Entity::find()
        .filter(audit_events::Column::SubjectId.eq(id))
        .order_by_asc(audit_events::Column::At)
        .all(conn)
        .await?
        .into_iter()
        .map(AuditEntry::from)
        .collect())
}

/// A request in the approval queue.
pub struct QueueItem {
    pub registration: Registration,
    pub partner: String,
    pub account: String,
}

/// The approval queue: confirmed requests, oldest first.
#[tracing::instrument(skip_all, level = "debug")]
pub async fn approval_queue(core: &Core, q: &str) -> Result<Vec<QueueItem>, RegError> {
    let mut query = registrations::Entity::find()
        .join(JoinType::InnerJoin, account_join())
        .join(
            JoinType::InnerJoin,
            registrations::Entity::belongs_to(partners::Entity)
                .from(registrations::Column::PartnerId)
                .to(partners::Column::Id)
                .into(),
        )
        .filter(registrations::Column::Status.eq(Status::PendingApproval))
        .column_as(partners::Column::CompanyName, "p_company")
        .column_as(account::Column::CompanyName, "a_company");
    // The customer's company, email or friendly name, or the partner's company.
    let id = (registrations::Entity, registrations::Column::Id);
    let customer = search::matching(&core.db, id, Doc::Registration, q, |p| {
        Condition::any()
            .add(ilike(account::Column::CompanyName, p))
            .add(ilike(account::Column::PrimaryEmail, p))
            .add(ilike(registrations::Column::FriendlyName, p))
    })
    .await?;
    let partner_id = (registrations::Entity, registrations::Column::PartnerId);
    let partner = search::matching(&core.db, partner_id, Doc::Partner, q, |p| {
        Condition::all().add(ilike(partners::Column::CompanyName, p))
    })
    .await?;
    if let (Some(customer), Some(partner)) = (customer, partner) {
        query = query.filter(Condition::any().add(customer).add(partner));
    }
    #[derive(sea_orm::FromQueryResult)]
    struct Queued {
        #[sea_orm(nested)]
        registration: registrations::Model,
        p_company: String,
        a_company: String,
    }
    let rows = query
        .order_by_asc(registrations::Column::ConfirmedAt)
        .order_by_asc(registrations::Column::Id)
        .limit(500)
        .into_model::<Queued>()
        .all(&core.db.read)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| QueueItem {
            registration: r.registration.into(),
            partner: r.p_company,
            account: r.a_company,
        })
        .collect())
}

/// What staff review for one registration, in any status.
pub struct Review {
    pub registration: Registration,
    pub partner: Partner,
    pub account: Account,
    /// The registration's history, oldest first.
    pub timeline: Vec<AuditEntry>,
}

/// `NotFound` when there is no such registration (or its partner or account is gone).
#[tracing::instrument(skip_all, level = "debug")]
pub async fn review(core: &Core, id: RegistrationId) -> Result<Review, RegError> {
    let conn = &core.db.read;
    let reg = load(conn, id).await?;
    let (partner, account) = super::names(conn, &reg).await?;
    let timeline = timeline(conn, reg.id).await?;
    Ok(Review {
        registration: reg.into(),
        partner: partner.into(),
        account: account.into(),
        timeline,
    })
}

/// The live registration of an account (what its customer users see).
#[tracing::instrument(skip_all, level = "debug")]
pub async fn live_for_account(
    core: &Core,
    account_id: AccountId,
) -> Result<Option<(Registration, Partner)>, RegError> {
    let conn = &core.db.read;
    let reg = registrations::Entity::find()
        .filter(registrations::Column::AccountId.eq(account_id.uuid()))
        .filter(is_live())
        .one(conn)
        .await?;
    let Some(reg) = reg else { return Ok(None) };
    let partner = partners::Entity::find_by_id(reg.partner_id)
        .one(conn)
        .await?;
    Ok(partner.map(|p| (reg.into(), p.into())))
}

/// Counts on the partner's home stop here; more shows as "1,000+".
pub const COUNT_CAP: u64 = 1000;

/// A customer on the partner's home, with the moment that puts it there.
pub struct Recent {
    pub id: RegistrationId,
    pub company_name: String,
    pub friendly_name: String,
    pub at: DateTime<Utc>,
}

/// What needs a partner's attention, for its home page. Every part reads an index in its
/// order and stops early, so the page costs the same at any number of customers.
pub struct Attention {
    /// Requests the customer has not answered yet (up to `COUNT_CAP + 1`).
    pub waiting_customer: u64,
    /// Confirmed requests that staff have not decided on (up to `COUNT_CAP + 1`).
    pub waiting_approval: u64,
    /// Unanswered requests whose link expires within two days, soonest first (at most 5).
    pub expiring: Vec<Recent>,
    /// Customers activated in the last 30 days, newest first (at most 5).
    pub activated: Vec<Recent>,
}

#[tracing::instrument(skip(core), level = "debug")]
pub async fn attention(core: &Core, partner_id: PartnerId) -> Result<Attention, RegError> {
    use registrations::Column as R;
    let now = core.now();
    let conn = &core.db.read;
    let of = |status: Status| {
        registrations::Entity::find()
            .filter(R::PartnerId.eq(partner_id.uuid()))
            .filter(R::Status.eq(status))
    };
    // Counted in the database over at most COUNT_CAP + 1 index entries: one row comes back.
    let count = |status: Status| async move {
        use sea_orm::{
            sea_query::{Alias, Expr, Query},
            QueryTrait,
        };
        let capped = of(status)
            .select_only()
            .column(R::Id)
            .limit(COUNT_CAP + 1)
            .into_query();
        let query = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from_subquery(capped, Alias::new("capped"))
            .to_owned();
        let row = conn
            .query_one_raw(core.db.backend().build(&query))
            .await?
            .ok_or_else(|| sea_orm::DbErr::RecordNotFound("count".into()))?;
        Ok::<_, RegError>(row.try_get::<i64>("", "n")?.max(0) as u64)
    };
    #[derive(sea_orm::FromQueryResult)]
    struct Row {
        id: Uuid,
        friendly_name: String,
        company_name: String,
        at: Option<DateTime<Utc>>,
    }
    let recent = |query: sea_orm::Select<registrations::Entity>, at: R| async move {
        let rows = query
            .select_only()
            .column(R::Id)
            .column(R::FriendlyName)
            .column_as(at, "at")
            .column_as(account::Column::CompanyName, "company_name")
            .join(JoinType::InnerJoin, account_join())
            .limit(5)
            .into_model::<Row>()
            .all(conn)
            .await?;
        Ok::<_, RegError>(
            rows.into_iter()
                .filter_map(|r| {
                    Some(Recent {
                        id: r.id.into(),
                        company_name: r.company_name,
                        friendly_name: r.friendly_name,
                        at: r.at?,
                    })
                })
                .collect::<Vec<_>>(),
        )
    };
    let expiring = of(Status::PendingCustomer)
        .filter(R::ExpiresAt.gt(now))
        .filter(R::ExpiresAt.lte(now + chrono::Duration::days(2)))
        .order_by_asc(R::ExpiresAt);
    let activated = of(Status::Active)
        .filter(R::ActivatedAt.gte(now - chrono::Duration::days(30)))
        .order_by_desc(R::ActivatedAt);
    Ok(Attention {
        waiting_customer: count(Status::PendingCustomer).await?,
        waiting_approval: count(Status::PendingApproval).await?,
        expiring: recent(expiring, R::ExpiresAt).await?,
        activated: recent(activated, R::ActivatedAt).await?,
    })
}
