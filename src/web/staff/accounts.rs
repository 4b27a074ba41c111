//! Provider staff pages for customer accounts: the list with search, filters, sort and pages;
//! creating accounts one by one or from pasted CSV; and one account with its details, services,
//! discounts, credit ledger and users. Those last decide whether a partner may take the
//! account on, so staff keep them here.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::web::urls;
use crate::web::{
    ctx::Ctx, fmt_date, fmt_datetime, parse_id, query_string, redirect_with, render,
    render_invalid, sort_headers, FieldErrors, Pager, SortHeader,
};
use crate::{
    auth::{csrf::CsrfForm, StaffUser},
    domain::{
        account::{parse_data_center, parse_tags},
        commission::parse_discount,
        countries,
        credit::CREDIT_KINDS,
        money::CURRENCIES,
        AccountId, AccountSource, BillingMode, CountryCode, CreditKind, Currency, Email, Phone,
        PlainName, RegistrationId,
    },
    error::{AppError, AppResult},
    services::{
        accounts::{
            self as svc, AccountError, AccountQuery, AccountUpdate, ImportError, NewAccount,
            IMPORT_HEADER,
        },
        views::Account,
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The fixed paths come before `{id}`, which would otherwise swallow them.
    cfg.route(urls::STAFF_ACCOUNTS, web::get().to(list))
        .route(urls::STAFF_ACCOUNT_NEW, web::get().to(new_form))
        .route(urls::STAFF_ACCOUNT_NEW, web::post().to(create))
        .service(
            // Pasted CSV is larger than the app's usual 64 KB form limit.
            web::resource(urls::STAFF_ACCOUNT_IMPORT)
                .app_data(web::PayloadConfig::new(super::upload::IMPORT_LIMIT))
                .route(web::get().to(import_form))
                .route(web::post().to(import)),
        )
        .route(urls::STAFF_ACCOUNT, web::get().to(show))
        .route(urls::STAFF_ACCOUNT, web::post().to(update))
        .route(urls::STAFF_ACCOUNT_SERVICES, web::post().to(add_service))
        .route(urls::STAFF_ACCOUNT_DISCOUNTS, web::post().to(add_discount))
        .route(urls::STAFF_ACCOUNT_CREDITS, web::post().to(add_credit))
        .route(urls::STAFF_ACCOUNT_ITEM_END, web::post().to(end_item));
}

fn account_path(id: AccountId) -> String {
    urls::staff_account(id)
}

/// A checkbox is sent only when ticked; any value counts.
fn ticked(v: &str) -> bool {
    !v.is_empty()
}

fn tick(b: bool) -> String {
    if b {
        "yes".into()
    } else {
        String::new()
    }
}

// ---------- The list ----------

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListParams {
    q: String,
    billing: String,
    flag: String,
    sort: String,
    dir: String,
    page: Option<u64>,
}

pub struct AccountRow {
    pub id: AccountId,
    pub company_name: String,
    pub primary_email: String,
    pub country: String,
    pub country_name: String,
    pub billing_mode: &'static str,
    pub in_poc: bool,
    pub active: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "staff/accounts.html")]
struct AccountsPage {
    ctx: Ctx,
    q: String,
    billing: String,
    flag: String,
    headers: Vec<SortHeader>,
    rows: Vec<AccountRow>,
    pager: Pager,
}

const PER_PAGE: u64 = 25;
/// Far beyond any real list; keeps the offset arithmetic from overflowing.
const MAX_PAGE: u64 = 1_000_000;

/// Sortable columns by their query key; anything else sorts by company.
const SORT_KEYS: [&str; 5] = ["company", "email", "country", "billing", "created"];

async fn list(
    req: HttpRequest,
    staff: StaffUser,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    // Unknown filter values are dropped rather than matching nothing.
    let billing_mode = BillingMode::parse(&p.billing).ok();
    let billing = billing_mode
        .map(BillingMode::as_str)
        .unwrap_or("")
        .to_string();
    let flag = match p.flag.as_str() {
        "poc" | "active" | "inactive" => p.flag.clone(),
        _ => String::new(),
    };
    let sort = SORT_KEYS
        .into_iter()
        .find(|k| *k == p.sort)
        .unwrap_or("company");
    let desc = p.dir == "desc";
    // Clamped: the service multiplies the page by its size.
    let page = p.page.unwrap_or(1).clamp(1, MAX_PAGE);
    let (models, total) = svc::list(
        &state.core,
        &AccountQuery {
            q: p.q.clone(),
            billing: billing_mode,
            flag: flag.clone(),
            sort: sort.into(),
            desc,
            page,
            per_page: PER_PAGE,
        },
    )
    .await?;
    // An empty key marks a column that cannot be sorted.
    let headers = sort_headers(
        &[
            ("Company", "company"),
            ("Primary email", "email"),
            ("Country", "country"),
            ("Billing", "billing"),
            ("POC", ""),
            ("Active", ""),
            ("Created", "created"),
        ],
        sort,
        desc,
        &[("q", &p.q), ("billing", &billing), ("flag", &flag)],
    );
    let rows = models
        .iter()
        .map(|a| AccountRow {
            id: a.id,
            company_name: a.company_name.clone(),
            primary_email: a.primary_email.clone(),
            country: a.country.clone(),
            country_name: countries::name(&a.country).unwrap_or("").into(),
            billing_mode: a.billing_mode.label(),
            in_poc: a.in_poc,
            active: a.active,
            created: fmt_date(&a.created_at),
        })
        .collect();
    let base = query_string(&[
        ("q", &p.q),
        ("billing", &billing),
        ("flag", &flag),
        ("sort", sort),
        ("dir", if desc { "desc" } else { "asc" }),
    ]);
    render(&AccountsPage {
        ctx: Ctx::new(&req, Some(&staff.principal())),
        q: p.q,
        billing,
        flag,
        headers,
        rows,
        pager: Pager::new(page, PER_PAGE, total, base),
    })
}

// ---------- Creating and editing ----------

/// The account form as typed: kept as text so a refused form shows exactly what was sent.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct AccountParams {
    company_name: String,
    /// Only on the new-account form; an account's primary email does not change here.
    primary_email: String,
    country: String,
    phone: String,
    data_center: String,
    tags: String,
    billing_mode: String,
    in_poc: String,
    active: String,
}

impl AccountParams {
    fn blank() -> Self {
        Self {
            data_center: "default".into(),
            billing_mode: "prepaid".into(),
            active: "yes".into(),
            ..Default::default()
        }
    }

    fn of(a: &Account) -> Self {
        Self {
            company_name: a.company_name.clone(),
            primary_email: a.primary_email.clone(),
            country: a.country.clone(),
            phone: a.phone.clone(),
            data_center: a.data_center.clone(),
            tags: a.tags_text(),
            billing_mode: a.billing_mode.as_str().into(),
            in_poc: tick(a.in_poc),
            active: tick(a.active),
        }
    }

    /// Parses every field but the email, recording why each refused one was refused.
    fn parse(&self, errors: &mut FieldErrors) -> Option<AccountUpdate> {
        let company_name = errors.check(
            "company_name",
            PlainName::parse(&self.company_name, "company name"),
        );
        let country = errors.check("country", CountryCode::parse(&self.country));
        let phone = if self.phone.trim().is_empty() {
            Some(None)
        } else {
            errors.check("phone", Phone::parse(&self.phone)).map(Some)
        };
        let data_center = errors.check("data_center", parse_data_center(&self.data_center));
        let tags = errors.check("tags", parse_tags(&self.tags));
        let billing_mode = errors.check("billing_mode", BillingMode::parse(&self.billing_mode));
        Some(AccountUpdate {
            company_name: company_name?,
            country: country?,
            phone: phone?,
            data_center: data_center?,
            tags: tags?,
            billing_mode: billing_mode?,
            in_poc: ticked(&self.in_poc),
            active: ticked(&self.active),
        })
    }
}

#[derive(Template)]
#[template(path = "staff/account_new.html")]
struct NewAccountPage {
    ctx: Ctx,
    form: AccountParams,
    errors: FieldErrors,
    countries: &'static [(&'static str, &'static str)],
}

async fn new_form(req: HttpRequest, staff: StaffUser) -> AppResult<HttpResponse> {
    render(&NewAccountPage {
        ctx: Ctx::new(&req, Some(&staff.principal())),
        form: AccountParams::blank(),
        errors: FieldErrors::default(),
        countries: countries::by_name(),
    })
}

async fn create(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    form: CsrfForm<AccountParams>,
) -> AppResult<HttpResponse> {
    let p = form.0;
    let mut errors = FieldErrors::default();
    let email = errors.check("primary_email", Email::parse(&p.primary_email));
    let profile = p.parse(&mut errors);
    let invalid = |p: AccountParams, errors: FieldErrors| {
        render_invalid(&NewAccountPage {
            ctx: Ctx::new(&req, Some(&staff.principal())),
            form: p,
            errors,
            countries: countries::by_name(),
        })
    };
    let (Some(email), Some(u)) = (email, profile) else {
        return invalid(p, errors);
    };
    let new = NewAccount {
        company_name: u.company_name,
        primary_email: email,
        country: u.country,
        phone: u.phone,
        data_center: u.data_center,
        tags: u.tags,
        billing_mode: u.billing_mode,
        in_poc: u.in_poc,
        active: u.active,
    };
    let actor = staff.actor();
    let account = match svc::create_alone(&state.core, new, AccountSource::Staff, &actor).await {
        Ok(a) => a,
        Err(AccountError::EmailTaken) => {
            errors.add(
                "primary_email",
                "An account with this email already exists. Search for it in the account list.",
            );
            return invalid(p, errors);
        }
        Err(e) => return Err(e.into()),
    };
    Ok(redirect_with(
        &session,
        &account_path(account.id),
        "success",
        &format!("Account {} created.", account.company_name),
    ))
}

// ---------- One account ----------

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct ServiceParams {
    name: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct DiscountParams {
    description: String,
    percent: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct CreditParams {
    kind: String,
    amount: String,
    currency: String,
    note: String,
}

impl CreditParams {
    fn blank() -> Self {
        Self {
            kind: "grant".into(),
            currency: "USD".into(),
            ..Default::default()
        }
    }
}

/// What every form of the account page holds: the one that was sent keeps its values, the
/// others start fresh.
struct Forms {
    edit: Option<AccountParams>,
    service: ServiceParams,
    discount: DiscountParams,
    credit: CreditParams,
}

impl Default for Forms {
    fn default() -> Self {
        Self {
            edit: None,
            service: ServiceParams::default(),
            discount: DiscountParams::default(),
            credit: CreditParams::blank(),
        }
    }
}

pub struct AccountView {
    pub id: AccountId,
    pub company_name: String,
    pub primary_email: String,
    pub country: String,
    pub country_name: String,
    pub phone: String,
    pub data_center: String,
    pub tags: String,
    pub billing_mode: &'static str,
    pub in_poc: bool,
    pub active: bool,
    pub source: &'static str,
    pub created: String,
    pub updated: String,
}

/// The partner of an account, and how far their registration is.
pub struct Holder {
    pub registration_id: RegistrationId,
    pub partner: String,
    pub status: &'static str,
    pub tone: &'static str,
}

/// A service or a discount.
pub struct ItemRow {
    pub id: Uuid,
    pub name: String,
    /// The discount's percentage; empty for a service.
    pub percent: String,
    pub active: bool,
    pub since: String,
}

pub struct LedgerRow {
    pub date: String,
    pub kind: &'static str,
    pub amount: String,
    pub negative: bool,
    pub note: String,
}

pub use super::partners::UserRow;

#[derive(Template)]
#[template(path = "staff/account.html")]
struct AccountPage {
    ctx: Ctx,
    account: AccountView,
    edit: AccountParams,
    service: ServiceParams,
    discount: DiscountParams,
    credit: CreditParams,
    errors: FieldErrors,
    services: Vec<ItemRow>,
    discounts: Vec<ItemRow>,
    /// Formatted, one per currency with a non-zero balance.
    balances: Vec<String>,
    /// The partner that holds the account or has asked for it.
    holder: Option<Holder>,
    ledger: Vec<LedgerRow>,
    users: Vec<UserRow>,
    countries: &'static [(&'static str, &'static str)],
    /// Ledger entry kinds: (value, label).
    kinds: Vec<(&'static str, &'static str)>,
    currencies: Vec<&'static str>,
}

async fn account_page(
    req: &HttpRequest,
    staff: &StaffUser,
    state: &AppState,
    id: AccountId,
    forms: Forms,
    errors: FieldErrors,
) -> AppResult<AccountPage> {
    let svc::AccountDetail {
        account: a,
        services,
        discounts,
        ledger,
        balances,
        users,
        partner,
    } = svc::detail(&state.core, id).await?;
    Ok(AccountPage {
        ctx: Ctx::new(req, Some(&staff.principal())),
        holder: partner.map(|(reg, p)| Holder {
            registration_id: reg.id,
            partner: p.company_name,
            status: reg.status.label(),
            tone: reg.status.tone(),
        }),
        service: forms.service,
        discount: forms.discount,
        credit: forms.credit,
        errors,
        services: services
            .into_iter()
            .map(|s| ItemRow {
                id: s.id,
                name: s.name,
                percent: String::new(),
                active: s.active,
                since: fmt_date(&s.created_at),
            })
            .collect(),
        discounts: discounts
            .into_iter()
            .map(|d| ItemRow {
                id: d.id,
                name: d.description,
                percent: d.percent.to_string(),
                active: d.active,
                since: fmt_date(&d.created_at),
            })
            .collect(),
        balances: balances
            .iter()
            .filter(|m| !m.is_zero())
            .map(ToString::to_string)
            .collect(),
        ledger: ledger
            .iter()
            .map(|e| LedgerRow {
                date: fmt_datetime(&e.created_at),
                kind: e.kind.label(),
                amount: e.amount.to_string(),
                negative: e.amount.is_negative(),
                note: e.note.clone(),
            })
            .collect(),
        users: users.iter().map(UserRow::from).collect(),
        account: AccountView {
            id: a.id,
            company_name: a.company_name.clone(),
            primary_email: a.primary_email.clone(),
            country: a.country.clone(),
            country_name: countries::name(&a.country).unwrap_or("").into(),
            phone: a.phone.clone(),
            data_center: a.data_center.clone(),
            tags: a.tags_text(),
            billing_mode: a.billing_mode.label(),
            in_poc: a.in_poc,
            active: a.active,
            source: a.source.as_str(),
            created: fmt_datetime(&a.created_at),
            updated: fmt_datetime(&a.updated_at),
        },
        edit: forms.edit.unwrap_or_else(|| AccountParams::of(&a)),
        countries: countries::by_name(),
        kinds: CREDIT_KINDS
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        currencies: CURRENCIES.iter().map(|c| c.code()).collect(),
    })
}

async fn show(
    req: HttpRequest,
    staff: StaffUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    render(
        &account_page(
            &req,
            &staff,
            &state,
            id,
            Forms::default(),
            FieldErrors::default(),
        )
        .await?,
    )
}

/// The whole account page again, with the sent form's values and its field messages.
async fn invalid(
    req: &HttpRequest,
    staff: &StaffUser,
    state: &AppState,
    id: AccountId,
    forms: Forms,
    errors: FieldErrors,
) -> AppResult<HttpResponse> {
    render_invalid(&account_page(req, staff, state, id, forms, errors).await?)
}

async fn update(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<AccountParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let p = form.0;
    let mut errors = FieldErrors::default();
    let Some(u) = p.parse(&mut errors) else {
        let forms = Forms {
            edit: Some(p),
            ..Forms::default()
        };
        return invalid(&req, &staff, &state, id, forms, errors).await;
    };
    let account = svc::update(&state.core, &staff.actor(), id, u).await?;
    Ok(redirect_with(
        &session,
        &account_path(id),
        "success",
        &format!("Account {} saved.", account.company_name),
    ))
}

async fn add_service(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<ServiceParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let p = form.0;
    let mut errors = FieldErrors::default();
    let Some(name) = errors.check("name", PlainName::parse(&p.name, "service name")) else {
        let forms = Forms {
            service: p,
            ..Forms::default()
        };
        return invalid(&req, &staff, &state, id, forms, errors).await;
    };
    svc::add_service(&state.core, &staff.actor(), id, name).await?;
    Ok(redirect_with(
        &session,
        &account_path(id),
        "success",
        &format!("Service {} added.", p.name.trim()),
    ))
}

async fn add_discount(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<DiscountParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let p = form.0;
    let mut errors = FieldErrors::default();
    let description = errors.check(
        "description",
        PlainName::parse(&p.description, "description"),
    );
    let percent = errors.check("percent", parse_discount(&p.percent));
    let (Some(description), Some(percent)) = (description, percent) else {
        let forms = Forms {
            discount: p,
            ..Forms::default()
        };
        return invalid(&req, &staff, &state, id, forms, errors).await;
    };
    svc::add_discount(&state.core, &staff.actor(), id, description, percent.bp()).await?;
    Ok(redirect_with(
        &session,
        &account_path(id),
        "success",
        &format!("Discount {} ({percent}) added.", p.description.trim()),
    ))
}

async fn add_credit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    id: web::Path<String>,
    form: CsrfForm<CreditParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let p = form.0;
    let mut errors = FieldErrors::default();
    let kind = errors.check("kind", CreditKind::parse(&p.kind));
    let currency = errors.check("currency", Currency::parse(&p.currency));
    let amount = match (kind, currency) {
        (Some(k), Some(c)) => errors.check("amount", k.amount(&p.amount, c)),
        _ => None,
    };
    let note = p.note.trim();
    if note.chars().count() > 500 {
        errors.add("note", "Keep the note under 500 characters.");
    } else if note.chars().any(char::is_control) {
        errors.add("note", "The note contains characters that are not allowed.");
    }
    let (Some(kind), Some(amount), true) = (kind, amount, errors.is_empty()) else {
        let forms = Forms {
            credit: p,
            ..Forms::default()
        };
        return invalid(&req, &staff, &state, id, forms, errors).await;
    };
    match crate::services::credits::staff_entry(
        &state.core,
        &staff.actor(),
        id.uuid(),
        kind,
        amount,
        note,
    )
    .await
    {
        Ok(()) => {}
        Err(e @ crate::services::credits::CreditError::Insufficient { .. }) => {
            errors.add(
                "amount",
                format!(
                    "{} The balance never goes below zero.",
                    crate::error::sentence(e)
                ),
            );
            let forms = Forms {
                credit: p,
                ..Forms::default()
            };
            return invalid(&req, &staff, &state, id, forms, errors).await;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(redirect_with(
        &session,
        &account_path(id),
        "success",
        &format!("{} of {amount} recorded.", kind.label()),
    ))
}

async fn end_item(
    session: Session,
    state: web::Data<AppState>,
    staff: StaffUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (id, item) = path.into_inner();
    let (id, item) = (parse_id(&id)?, parse_id(&item)?);
    // Name the item in the message; the service only answers whether it ended one.
    let detail = svc::detail(&state.core, id).await?;
    let name = match detail.services.iter().find(|s| s.id == item) {
        Some(s) => format!("Service {}", s.name),
        None => detail
            .discounts
            .iter()
            .find(|d| d.id == item)
            .map(|d| format!("Discount {}", d.description))
            .ok_or(AppError::NotFound)?,
    };
    svc::end_item(&state.core, &staff.actor(), id, item).await?;
    Ok(redirect_with(
        &session,
        &account_path(id),
        "success",
        &format!("{name} ended; it stays listed as ended."),
    ))
}

/// A form that carries nothing but its CSRF token.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NoFields {}

// ---------- CSV import ----------

pub struct ImportResultRow {
    pub line: usize,
    pub email: String,
    pub company: String,
    pub created: bool,
    pub errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "staff/import.html")]
struct ImportPage {
    ctx: Ctx,
    csv: String,
    columns: String,
    example: String,
    errors: FieldErrors,
    /// The whole file was refused (wrong header, unreadable).
    problem: Option<String>,
    /// `None` before anything was imported.
    report: Option<Vec<ImportResultRow>>,
    created: usize,
    refused: usize,
}

impl ImportPage {
    fn new(ctx: Ctx, csv: String) -> Self {
        Self {
            ctx,
            csv,
            columns: IMPORT_HEADER.join(","),
            example: [
                IMPORT_HEADER.join(","),
                "Acme Widgets Ltd,billing@acme.example,GB,+44 20 7946 0958,eu-west,\"retail, uk\",prepaid,no".into(),
                "Globex GmbH,it@globex.example,DE,,,,postpaid,yes".into(),
            ]
            .join("\n"),
            errors: FieldErrors::default(),
            problem: None,
            report: None,
            created: 0,
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
        // Failures of ours answer 500; anything else is about the pasted text.
        Err(e @ ImportError::Account(_)) => return Err(e.into()),
        Err(e) => {
            page.problem = Some(e.to_string());
            return render_invalid(&page);
        }
    };
    let report: Vec<ImportResultRow> = rows
        .into_iter()
        .map(|r| ImportResultRow {
            line: r.line,
            email: r.email,
            company: r.company,
            created: r.errors.is_empty(),
            errors: r.errors,
        })
        .collect();
    page.created = report.iter().filter(|r| r.created).count();
    page.refused = report.len() - page.created;
    if report.is_empty() {
        page.problem = Some("The CSV has a header row but no accounts below it.".into());
    }
    page.report = Some(report);
    render(&page)
}
