//! The catalog, for provider staff: products with their list prices, searched and sorted; one
//! form to create or edit a product (a list price per currency); retiring (asked first) and
//! restoring; and the CSV import, from a file or pasted text, with a report per row.
use std::collections::HashMap;

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ask_first, confirmed, ctx::Ctx, fmt_date, parse_id, redirect_with, render, render_invalid,
    sort_headers, Confirmation, FieldErrors, SortHeader,
};
use crate::{
    auth::{csrf::CsrfForm, StaffUser},
    domain::{
        money::CURRENCIES,
        product::{price_field, ProductInput, PRODUCT_KINDS},
        ProductId, ProductKind,
    },
    error::AppResult,
    services::{
        catalog::{self as svc, CatalogError, CatalogQuery, Imported},
        views::Product,
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The fixed paths come before `{id}`, which would otherwise swallow them.
    cfg.route(urls::STAFF_CATALOG, web::get().to(list))
        .route(urls::STAFF_PRODUCT_NEW, web::get().to(new_form))
        .route(urls::STAFF_PRODUCT_NEW, web::post().to(create))
        .service(
            web::resource(urls::STAFF_CATALOG_IMPORT)
                .app_data(web::PayloadConfig::new(super::upload::IMPORT_LIMIT))
                .route(web::get().to(import_form))
                .route(web::post().to(import)),
        )
        .route(urls::STAFF_PRODUCT, web::get().to(edit_form))
        .route(urls::STAFF_PRODUCT, web::post().to(update))
        .route(urls::STAFF_PRODUCT_RETIRE, web::post().to(retire))
        .route(urls::STAFF_PRODUCT_RESTORE, web::post().to(restore));
}

/// One product as the list shows it.
struct ProductRow {
    id: ProductId,
    sku: String,
    name: String,
    unit: String,
    kind: &'static str,
    trial: String,
    quantities: String,
    prices: String,
    active: bool,
    updated: String,
}

impl From<Product> for ProductRow {
    fn from(p: Product) -> Self {
        Self {
            id: p.id,
            sku: p.sku,
            name: p.name,
            unit: p.unit,
            kind: p.kind.label(),
            trial: match p.trial_days {
                0 => "No trial".into(),
                1 => "1 day".into(),
                d => format!("{d} days"),
            },
            quantities: format!("{}–{}", p.bounds.min, p.bounds.max),
            prices: p
                .prices
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" · "),
            active: p.active,
            updated: fmt_date(&p.updated_at),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListParams {
    q: String,
    status: String,
    sort: String,
    dir: String,
}

#[derive(Template)]
#[template(path = "staff/catalog.html")]
struct CatalogPage {
    ctx: Ctx,
    q: String,
    status: String,
    headers: Vec<SortHeader>,
    rows: Vec<ProductRow>,
    /// More products matched than the list shows.
    cut: bool,
}

async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: StaffUser,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let sort = match p.sort.as_str() {
        "name" | "kind" | "updated" => p.sort.clone(),
        _ => "sku".to_string(),
    };
    let desc = p.dir == "desc";
    let mut rows = svc::list(
        &state.core,
        &CatalogQuery {
            q: p.q.clone(),
            status: p.status.clone(),
            sort: sort.clone(),
            desc,
        },
    )
    .await?;
    let cut = rows.len() as u64 > svc::LIST_LIMIT;
    rows.truncate(svc::LIST_LIMIT as usize);
    let headers = sort_headers(
        &[
            ("SKU", "sku"),
            ("Name", "name"),
            ("Kind", "kind"),
            ("Trial", ""),
            ("Quantity", ""),
            ("List prices", ""),
            ("Status", ""),
            ("Updated", "updated"),
        ],
        &sort,
        desc,
        &[("q", &p.q), ("status", &p.status)],
    );
    render(&CatalogPage {
        ctx: Ctx::new(&req, Some(&staff.principal())),
        q: p.q,
        status: p.status,
        headers,
        rows: rows.into_iter().map(ProductRow::from).collect(),
        cut,
    })
}

/// A currency's price field on the form.
struct PriceField {
    name: String,
    code: &'static str,
    decimals: u32,
}

#[derive(Template)]
#[template(path = "staff/product.html")]
struct ProductPage {
    ctx: Ctx,
    /// `None` for a new product.
    product: Option<ProductRow>,
    form: HashMap<String, String>,
    errors: FieldErrors,
    kinds: Vec<(&'static str, &'static str)>,
    prices: Vec<PriceField>,
}

impl ProductPage {
    fn new(ctx: Ctx, product: Option<ProductRow>, form: HashMap<String, String>) -> Self {
        Self {
            ctx,
            product,
            form,
            errors: FieldErrors::default(),
            kinds: PRODUCT_KINDS
                .iter()
                .map(|k| (k.as_str(), k.label()))
                .collect(),
            prices: CURRENCIES
                .iter()
                .map(|&c| PriceField {
                    name: price_field(c),
                    code: c.code(),
                    decimals: c.decimals(),
                })
                .collect(),
        }
    }

    /// The value typed (or stored) in a field.
    fn value(&self, field: &str) -> &str {
        self.form.get(field).map(String::as_str).unwrap_or("")
    }

    fn action(&self) -> String {
        match &self.product {
            Some(p) => urls::staff_product(p.id),
            None => urls::STAFF_PRODUCT_NEW.to_string(),
        }
    }
}

/// The form's fields for a stored product.
fn form_of(p: &Product) -> HashMap<String, String> {
    let mut f: HashMap<String, String> = [
        ("sku", p.sku.clone()),
        ("name", p.name.clone()),
        ("description", p.description.clone()),
        ("unit", p.unit.clone()),
        ("kind", p.kind.as_str().to_string()),
        ("trial_days", p.trial_days.to_string()),
        ("min_quantity", p.bounds.min.to_string()),
        ("max_quantity", p.bounds.max.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for m in &p.prices {
        f.insert(price_field(m.currency), m.amount_text());
    }
    f
}

async fn new_form(req: HttpRequest, staff: StaffUser) -> AppResult<HttpResponse> {
    let form = [
        ("kind", ProductKind::Monthly.as_str()),
        ("trial_days", "0"),
        ("min_quantity", "1"),
        ("max_quantity", "1000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    render(&ProductPage::new(
        Ctx::new(&req, Some(&staff.principal())),
        None,
        form,
    ))
}

/// The checked product, or the form again with a message next to each refused field.
fn checked(mut page: ProductPage) -> Result<ProductInput, Box<ProductPage>> {
    let parsed = ProductInput::parse(|k| page.value(k).to_string());
    parsed.map_err(|errors| {
        for (field, e) in errors {
            page.errors.add(&field, e.0);
        }
        Box::new(page)
    })
}

async fn create(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    form: CsrfForm<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let page = ProductPage::new(Ctx::new(&req, Some(&staff.principal())), None, form.0);
    let values = page.form.clone();
    let input = match checked(page) {
        Ok(input) => input,
        Err(page) => return render_invalid(page.as_ref()),
    };
    let sku = input.sku.as_str().to_string();
    match svc::create(&state.core, &staff.actor(), input).await {
        Ok(id) => Ok(redirect_with(
            &session,
            &urls::staff_product(id),
            "success",
            &format!("{sku} is in the catalog."),
        )),
        Err(CatalogError::SkuTaken) => {
            let mut page = ProductPage::new(Ctx::new(&req, Some(&staff.principal())), None, values);
            page.errors.add("sku", CatalogError::SkuTaken.to_string());
            render_invalid(&page)
        }
        Err(e) => Err(e.into()),
    }
}

async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let p = svc::get(&state.core, parse_id(&id)?).await?;
    let form = form_of(&p);
    render(&ProductPage::new(
        Ctx::new(&req, Some(&staff.principal())),
        Some(p.into()),
        form,
    ))
}

async fn update(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<HashMap<String, String>>,
) -> AppResult<HttpResponse> {
    let id: ProductId = parse_id(&id)?;
    let stored = svc::get(&state.core, id).await?;
    let page = ProductPage::new(
        Ctx::new(&req, Some(&staff.principal())),
        Some(stored.into()),
        form.0,
    );
    let values = page.form.clone();
    let input = match checked(page) {
        Ok(input) => input,
        Err(page) => return render_invalid(page.as_ref()),
    };
    match svc::update(&state.core, &staff.actor(), id, input).await {
        Ok(()) => Ok(redirect_with(
            &session,
            &urls::staff_product(id),
            "success",
            "The product is saved. Orders placed before keep the prices they were placed at.",
        )),
        Err(e @ (CatalogError::SkuTaken | CatalogError::KindLocked)) => {
            let stored = svc::get(&state.core, id).await?;
            let mut page = ProductPage::new(
                Ctx::new(&req, Some(&staff.principal())),
                Some(stored.into()),
                values,
            );
            let field = if matches!(e, CatalogError::KindLocked) {
                "kind"
            } else {
                "sku"
            };
            page.errors.add(field, e.to_string());
            render_invalid(&page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActionParams {
    confirmed: String,
}

async fn retire(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<ActionParams>,
) -> AppResult<HttpResponse> {
    let id: ProductId = parse_id(&id)?;
    if !confirmed(&form.0.confirmed) {
        let p = svc::get(&state.core, id).await?;
        return ask_first(
            &req,
            &staff.principal(),
            &Confirmation {
                title: format!("Retire {} {}?", p.sku, p.name),
                explanation: "Partners can no longer order it. Orders, licenses and trials that \
                    have it stay as they are, and you can put it back on sale at any time."
                    .into(),
                button: "Retire the product".into(),
                action: urls::staff_product_retire(id),
                back: urls::staff_product(id),
                fields: vec![],
            },
        );
    }
    let p = svc::set_active(&state.core, &staff.actor(), id, false).await?;
    Ok(redirect_with(
        &session,
        &urls::staff_product(id),
        "success",
        &format!("{} is retired: no new orders.", p.sku),
    ))
}

async fn restore(
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    _form: CsrfForm<ActionParams>,
) -> AppResult<HttpResponse> {
    let id: ProductId = parse_id(&id)?;
    let p = svc::set_active(&state.core, &staff.actor(), id, true).await?;
    Ok(redirect_with(
        &session,
        &urls::staff_product(id),
        "success",
        &format!("{} is on sale again.", p.sku),
    ))
}

// ---------- CSV import ----------

struct ImportResultRow {
    line: usize,
    sku: String,
    name: String,
    outcome: &'static str,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "staff/catalog_import.html")]
struct ImportPage {
    ctx: Ctx,
    csv: String,
    columns: String,
    example: String,
    errors: FieldErrors,
    problem: Option<String>,
    report: Option<Vec<ImportResultRow>>,
    created: usize,
    updated: usize,
    refused: usize,
}

impl ImportPage {
    fn new(ctx: Ctx, csv: String) -> Self {
        let columns = svc::import_columns().join(",");
        let example = [
            columns.clone(),
            "BK-100,Backup 100 GB,GB,monthly,30,1,500,Daily backup with 30-day retention,12.00,11.00,9.50,1800,290000".into(),
            "SUP-GOLD,Gold support,plan,yearly,0,1,1,Four-hour response around the clock,1200.00,,,,".into(),
        ]
        .join("\n");
        Self {
            ctx,
            csv,
            columns,
            example,
            errors: FieldErrors::default(),
            problem: None,
            report: None,
            created: 0,
            updated: 0,
            refused: 0,
        }
    }
}

async fn import_form(req: HttpRequest, staff: StaffUser) -> AppResult<HttpResponse> {
    render(&ImportPage::new(
        Ctx::new(&req, Some(&staff.principal())),
        String::new(),
    ))
}

async fn import(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: StaffUser,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let ctx = Ctx::new(&req, Some(&staff.principal()));
    let csv = match super::upload::read_csv(&req, payload).await? {
        Ok(csv) => csv,
        Err((field, problem)) => {
            let mut page = ImportPage::new(ctx, String::new());
            page.errors.add(field, problem);
            return render_invalid(&page);
        }
    };
    let mut page = ImportPage::new(ctx, csv.clone());
    let rows = match svc::import_csv(&state.core, &staff.actor(), csv.as_bytes()).await {
        Ok(rows) => rows,
        Err(e @ svc::ImportError::Catalog(_)) => return Err(e.into()),
        Err(e) => {
            page.problem = Some(e.to_string());
            return render_invalid(&page);
        }
    };
    let report: Vec<ImportResultRow> = rows
        .into_iter()
        .map(|r| {
            let (outcome, errors) = match r.outcome {
                Ok(Imported::Created) => ("Created", vec![]),
                Ok(Imported::Updated) => ("Updated", vec![]),
                Err(errors) => ("Refused", errors),
            };
            ImportResultRow {
                line: r.line,
                sku: r.sku,
                name: r.name,
                outcome,
                errors,
            }
        })
        .collect();
    page.created = report.iter().filter(|r| r.outcome == "Created").count();
    page.updated = report.iter().filter(|r| r.outcome == "Updated").count();
    page.refused = report.len() - page.created - page.updated;
    if report.is_empty() {
        page.problem = Some("The CSV has a header row but no products below it.".into());
    }
    page.report = Some(report);
    render(&page)
}
