//! The catalog provider staff keep: products with a list price per currency. A retired product
//! takes no new orders and stays on the orders that have it. Every change is audited; the CSV
//! import checks every row first and writes the valid ones together.
use std::collections::{HashMap, HashSet};

use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{
    audit::{self, About, Actor},
    csv_rows::{CsvError, Table},
    search::{ilike, like_pattern},
    views::Product,
    Core, Fault,
};
use crate::{
    domain::{
        money::CURRENCIES,
        product::{price_field, ProductInput, PRODUCT_FIELDS},
        ProductId,
    },
    entities::{orders, product_prices, products},
};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("Another product already has this SKU.")]
    SkuTaken,
    /// Orders name the product: their licenses' terms follow its kind.
    #[error("Orders were placed for this product: its kind can no longer change. Retire it and add a new product instead.")]
    KindLocked,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Fault(#[from] Fault),
}

super::faults_into!(CatalogError);

/// The product exists with another kind than `kind`, and orders name it.
async fn kind_locked(
    conn: &impl ConnectionTrait,
    id: Uuid,
    kind: crate::domain::ProductKind,
) -> Result<bool, CatalogError> {
    let changes = products::Entity::find_by_id(id)
        .one(conn)
        .await?
        .is_some_and(|p| p.kind != kind);
    Ok(changes
        && orders::Entity::find()
            .select_only()
            .column(orders::Column::Id)
            .filter(orders::Column::ProductId.eq(id))
            .into_tuple::<Uuid>()
            .one(conn)
            .await?
            .is_some())
}

fn sku_taken(e: sea_orm::DbErr) -> CatalogError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => CatalogError::SkuTaken,
        _ => e.into(),
    }
}

/// What the catalog list shows.
#[derive(Debug, Clone, Default)]
pub struct CatalogQuery {
    /// Part of the SKU or name, in any case.
    pub q: String,
    /// `active`, `retired`, or anything else for all.
    pub status: String,
    /// `sku`, `name`, `kind` or `updated`.
    pub sort: String,
    pub desc: bool,
}

/// The most products a list shows (a catalog is hundreds of products, not millions; the
/// list is read whole and says when it was cut).
pub const LIST_LIMIT: u64 = 1000;

/// Every product's id, name and SKU, by SKU (for a filter's choices: no prices read).
pub async fn names(core: &Core) -> Result<Vec<(Uuid, String, String)>, CatalogError> {
    Ok(products::Entity::find()
        .select_only()
        .columns([
            products::Column::Id,
            products::Column::Name,
            products::Column::Sku,
        ])
        .order_by_asc(products::Column::Sku)
        .limit(LIST_LIMIT)
        .into_tuple()
        .all(&core.db.read)
        .await?)
}

#[tracing::instrument(skip_all, level = "debug")]
pub async fn list(core: &Core, q: &CatalogQuery) -> Result<Vec<Product>, CatalogError> {
    let mut cond = Condition::all();
    let needle = q.q.trim();
    if !needle.is_empty() {
        let p = like_pattern(needle);
        cond = cond.add(
            Condition::any()
                .add(ilike(products::Column::Sku, &p))
                .add(ilike(products::Column::Name, &p)),
        );
    }
    match q.status.as_str() {
        "active" => cond = cond.add(products::Column::Active.eq(true)),
        "retired" => cond = cond.add(products::Column::Active.eq(false)),
        _ => {}
    }
    let col = match q.sort.as_str() {
        "name" => products::Column::Name,
        "kind" => products::Column::Kind,
        "updated" => products::Column::UpdatedAt,
        _ => products::Column::Sku,
    };
    let order = if q.desc { Order::Desc } else { Order::Asc };
    let rows = products::Entity::find()
        .filter(cond)
        .order_by(col, order)
        .order_by_asc(products::Column::Id)
        .limit(LIST_LIMIT + 1)
        .all(&core.db.read)
        .await?;
    with_prices(&core.db.read, rows).await
}

/// The products with their prices, in the order given.
async fn with_prices(
    conn: &impl ConnectionTrait,
    rows: Vec<products::Model>,
) -> Result<Vec<Product>, CatalogError> {
    let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
    let mut prices: HashMap<Uuid, Vec<product_prices::Model>> = HashMap::new();
    for p in product_prices::Entity::find()
        .filter(product_prices::Column::ProductId.is_in(ids))
        .all(conn)
        .await?
    {
        prices.entry(p.product_id).or_default().push(p);
    }
    Ok(rows
        .into_iter()
        .map(|p| {
            let mine = prices.remove(&p.id).unwrap_or_default();
            Product::from_rows(p, mine)
        })
        .collect())
}

#[tracing::instrument(skip(core), level = "debug")]
pub async fn get(core: &Core, id: ProductId) -> Result<Product, CatalogError> {
    let row = products::Entity::find_by_id(id.uuid())
        .one(&core.db.read)
        .await?
        .ok_or(CatalogError::NotFound)?;
    Ok(with_prices(&core.db.read, vec![row])
        .await?
        .pop()
        .expect("one product"))
}

/// Writes a product's fields and replaces its prices, inside the caller's transaction.
async fn write(
    conn: &impl ConnectionTrait,
    id: Uuid,
    input: &ProductInput,
    now: chrono::DateTime<chrono::Utc>,
    new: bool,
) -> Result<(), CatalogError> {
    let mut row = products::ActiveModel {
        id: Set(id),
        sku: Set(input.sku.as_str().to_string()),
        name: Set(input.name.as_str().to_string()),
        description: Set(input.description.clone()),
        unit: Set(input.unit.clone()),
        kind: Set(input.kind),
        trial_days: Set(i32::from(input.trial_days)),
        min_quantity: Set(input.bounds.min as i32),
        max_quantity: Set(input.bounds.max as i32),
        updated_at: Set(now),
        ..Default::default()
    };
    if new {
        row.active = Set(true);
        row.created_at = Set(now);
        products::Entity::insert(row)
            .exec_without_returning(conn)
            .await
            .map_err(sku_taken)?;
    } else {
        products::Entity::update(row)
            .exec(conn)
            .await
            .map_err(sku_taken)?;
        product_prices::Entity::delete_many()
            .filter(product_prices::Column::ProductId.eq(id))
            .exec(conn)
            .await?;
    }
    product_prices::Entity::insert_many(input.prices.iter().map(|m| product_prices::ActiveModel {
        product_id: Set(id),
        currency: Set(m.currency),
        list_minor: Set(m.minor),
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// What an audit entry says of a product: its SKU, name and prices.
fn describe(input: &ProductInput) -> String {
    let prices: Vec<String> = input.prices.iter().map(ToString::to_string).collect();
    format!(
        "{} {} ({})",
        input.sku.as_str(),
        input.name.as_str(),
        prices.join(", ")
    )
}

#[tracing::instrument(skip_all)]
pub async fn create(
    core: &Core,
    actor: &Actor,
    input: ProductInput,
) -> Result<ProductId, CatalogError> {
    let id = Uuid::new_v4();
    let now = core.now();
    let txn = core.db.begin().await?;
    write(&txn, id, &input, now, true).await?;
    audit::record(
        &txn,
        now,
        actor,
        "product.created",
        About::subject(id),
        &describe(&input),
    )
    .await?;
    core.commit(txn).await?;
    Ok(id.into())
}

#[tracing::instrument(skip_all)]
pub async fn update(
    core: &Core,
    actor: &Actor,
    id: ProductId,
    input: ProductInput,
) -> Result<(), CatalogError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    products::Entity::find_by_id(id.uuid())
        .one(&txn)
        .await?
        .ok_or(CatalogError::NotFound)?;
    if kind_locked(&txn, id.uuid(), input.kind).await? {
        return Err(CatalogError::KindLocked);
    }
    write(&txn, id.uuid(), &input, now, false).await?;
    audit::record(
        &txn,
        now,
        actor,
        "product.updated",
        About::subject(id.uuid()),
        &describe(&input),
    )
    .await?;
    core.commit(txn).await?;
    Ok(())
}

/// Retires a product (no new orders) or puts it back on sale.
#[tracing::instrument(skip(core, actor))]
pub async fn set_active(
    core: &Core,
    actor: &Actor,
    id: ProductId,
    active: bool,
) -> Result<Product, CatalogError> {
    let now = core.now();
    let txn = core.db.begin().await?;
    let row = products::Entity::find_by_id(id.uuid())
        .one(&txn)
        .await?
        .ok_or(CatalogError::NotFound)?;
    if row.active != active {
        products::Entity::update(products::ActiveModel {
            id: Set(row.id),
            active: Set(active),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        let action = if active {
            "product.restored"
        } else {
            "product.retired"
        };
        let detail = format!("{} {}", row.sku, row.name);
        audit::record(&txn, now, actor, action, About::subject(row.id), &detail).await?;
    }
    core.commit(txn).await?;
    get(core, id).await
}

/// The columns of a catalog CSV: the product's fields, then a price per currency.
pub fn import_columns() -> Vec<String> {
    PRODUCT_FIELDS
        .iter()
        .map(|f| f.to_string())
        .chain(CURRENCIES.iter().map(|c| price_field(*c)))
        .collect()
}

/// One row of a catalog import and what became of it.
pub struct ImportRow {
    pub line: usize,
    pub sku: String,
    pub name: String,
    /// Created, updated (an existing SKU), or refused with these reasons.
    pub outcome: Result<Imported, Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    Created,
    Updated,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Csv(#[from] CsvError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl From<sea_orm::DbErr> for ImportError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Catalog(e.into())
    }
}

/// Imports products from CSV (`import_columns`; the product fields but `description` are
/// required, prices optional per currency). A row whose SKU exists updates that product, any
/// other creates one. Every row is checked first; the valid rows are written together in one
/// transaction and the others reported with their reasons, so no row is half-imported.
#[tracing::instrument(skip_all)]
pub async fn import_csv(
    core: &Core,
    actor: &Actor,
    data: &[u8],
) -> Result<Vec<ImportRow>, ImportError> {
    let table = Table::read(data, &PRODUCT_FIELDS[..7])?;
    let mut report = Vec::new();
    let mut valid: Vec<(usize, ProductInput)> = Vec::new();
    let mut seen = HashSet::new();
    for row in table.rows() {
        let row = match row {
            Ok(row) => row,
            Err((line, why)) => {
                report.push(ImportRow {
                    line,
                    sku: String::new(),
                    name: String::new(),
                    outcome: Err(vec![why.to_string()]),
                });
                continue;
            }
        };
        let line = row.line;
        let get = |name: &str| row.get(name);
        let (sku, name) = (get("sku"), get("name"));
        match ProductInput::parse(get) {
            Ok(input) if !seen.insert(input.sku.as_str().to_string()) => report.push(ImportRow {
                line,
                sku,
                name,
                outcome: Err(vec!["sku: This SKU appears twice in the file.".into()]),
            }),
            Ok(input) => {
                report.push(ImportRow {
                    line,
                    sku,
                    name,
                    outcome: Ok(Imported::Created),
                });
                valid.push((report.len() - 1, input));
            }
            Err(errors) => report.push(ImportRow {
                line,
                sku,
                name,
                outcome: Err(errors
                    .into_iter()
                    .map(|(f, e)| format!("{f}: {}", e.0))
                    .collect()),
            }),
        }
    }
    if valid.is_empty() {
        return Ok(report);
    }
    let now = core.now();
    let txn = core.db.begin().await?;
    let skus: Vec<String> = valid
        .iter()
        .map(|(_, p)| p.sku.as_str().to_string())
        .collect();
    let existing: Vec<(Uuid, String)> = products::Entity::find()
        .select_only()
        .column(products::Column::Id)
        .column(products::Column::Sku)
        .filter(products::Column::Sku.is_in(skus))
        .into_tuple()
        .all(&txn)
        .await?;
    for (at, input) in &valid {
        let known = existing.iter().find(|(_, s)| s == input.sku.as_str());
        let (id, action, outcome) = match known {
            Some((id, _)) => (*id, "product.updated", Imported::Updated),
            None => (Uuid::new_v4(), "product.created", Imported::Created),
        };
        if known.is_some() && kind_locked(&txn, id, input.kind).await? {
            report[*at].outcome = Err(vec![format!("kind: {}", CatalogError::KindLocked)]);
            continue;
        }
        write(&txn, id, input, now, known.is_none())
            .await
            .map_err(ImportError::Catalog)?;
        let detail = format!("{} (CSV import)", describe(input));
        audit::record(&txn, now, actor, action, About::subject(id), &detail).await?;
        report[*at].outcome = Ok(outcome);
    }
    core.commit(txn).await?;
    Ok(report)
}
