//! The partner's customers: the Account menu, "Add a Customer account" (link an existing
//! account or register a new one, with an eligibility check first), My Customers with its
//! CSV export, and each customer's page with its timeline, users and actions.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ask_first, confirmed, csv_download,
    ctx::Ctx,
    fmt_date, fmt_datetime,
    members::{self, Button, MembersView, Place},
    parse_id,
    partner::home::CompanyView,
    query_string, redirect_with, render, render_invalid, sort_headers, Confirmation, Day,
    FieldErrors, SortHeader,
};
use crate::{
    auth::{csrf::CsrfForm, PartnerUser},
    domain::{
        account::CUSTOMER_TYPES,
        countries,
        eligibility::Verdict,
        registration::{Event, Status, ALL_STATUSES},
        BillingMode, Channel, CommissionRate, CountryCode, CustomerType, Email, Phone, PlainName,
        RegistrationId, UserId,
    },
    error::{sentence, AppResult},
    services::{
        accounts::NewAccount,
        export::{self, Cell},
        members::{self as svc_members, By},
        registrations::{
            self as regs, CustomerExport, CustomerQuery, CustomerSort, NewCustomer, RegError, Terms,
        },
        views::Registration,
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::ACCOUNT_MENU, web::get().to(account_hub))
        .route(urls::CUSTOMERS, web::get().to(list))
        .route(urls::CUSTOMERS_EXPORT, web::get().to(export))
        .route(urls::CUSTOMER_NEW, web::get().to(new_page))
        .route(urls::CUSTOMER_NEW, web::post().to(new_submit))
        .route(urls::CUSTOMER, web::get().to(show))
        .route(urls::CUSTOMER_RESEND, web::post().to(resend))
        .route(urls::CUSTOMER_CANCEL, web::post().to(cancel))
        .route(urls::CUSTOMER_END, web::post().to(end))
        .route(urls::CUSTOMER_USER, web::get().to(user_page));
}

/// An option of a select list, marked when it is the current value.
pub struct Opt {
    pub value: &'static str,
    pub selected: bool,
}

pub struct RoleOpt {
    pub value: String,
    pub selected: bool,
}

/// The usual roles of a partner towards a customer, as the request names it.
const ROLES: [&str; 5] = [
    "Partner",
    "Reseller",
    "Distributor",
    "Managed service provider",
    "Consultant",
];

fn role_options(current: &str) -> Vec<RoleOpt> {
    let current = if current.trim().is_empty() {
        "Partner"
    } else {
        current.trim()
    };
    let mut opts: Vec<RoleOpt> = ROLES
        .iter()
        .map(|r| RoleOpt {
            value: r.to_string(),
            selected: *r == current,
        })
        .collect();
    if !ROLES.contains(&current) {
        // A role asked before (or through the API) stays what it was.
        opts.push(RoleOpt {
            value: current.to_string(),
            selected: true,
        });
    }
    opts
}

/// The customer types as select options.
fn type_options(current: &str) -> Vec<Opt> {
    CUSTOMER_TYPES
        .iter()
        .map(|t| Opt {
            value: t.as_str(),
            selected: t.as_str() == current,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "customers/account.html")]
struct AccountHub {
    ctx: Ctx,
    is_admin: bool,
}

async fn account_hub(req: HttpRequest, user: PartnerUser) -> AppResult<HttpResponse> {
    render(&AccountHub {
        ctx: Ctx::new(&req, Some(&user.principal())),
        is_admin: user.is_admin(),
    })
}

// ------------------------------------------------------------------ My Customers

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListParams {
    view: String,
    q: String,
    status: String,
    #[serde(rename = "type")]
    customer_type: String,
    sort: String,
    dir: String,
    page: Option<u64>,
    /// "30": only customers with a license or trial ending within 30 days.
    expiring: String,
}

pub struct Row {
    pub id: RegistrationId,
    pub company: String,
    pub name: String,
    pub account_active: bool,
    pub customer_type: CustomerType,
    pub status_label: &'static str,
    pub status_tone: &'static str,
    pub commission: CommissionRate,
    pub created: Day,
    /// "3 / 10 (30%)", or empty without seats.
    pub usage: String,
    pub next_expiry: String,
    /// Paid revenue over the last 12 months, in the partner's main currency.
    pub revenue: String,
}

#[derive(Template)]
#[template(path = "customers/list.html")]
struct ListPage {
    ctx: Ctx,
    org_view: bool,
    company: CompanyView,
    q: String,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    types: Vec<Opt>,
    headers: Vec<SortHeader>,
    rows: Vec<Row>,
    page: u64,
    prev_href: Option<String>,
    next_href: Option<String>,
    export_href: String,
    filtered: bool,
    /// The "expiring within" filter's days, or empty.
    expiring: String,
}

const PER_PAGE: u64 = 50;

/// One line of the My Customers table (also rendered by the bench reference handler).
pub fn row(r: regs::CustomerRow, currency: crate::domain::Currency) -> Row {
    Row {
        id: r.id,
        company: r.company_name,
        name: r.friendly_name,
        account_active: r.account_active,
        customer_type: r.customer_type,
        status_label: r.status.label(),
        status_tone: r.status.tone(),
        commission: r.commission,
        created: Day(r.created_at),
        usage: usage_text(r.usage),
        next_expiry: r.next_expiry.map(crate::web::fmt_day).unwrap_or_default(),
        revenue: crate::domain::Money::new(r.paid_12m_minor, currency).to_string(),
    }
}

/// "3 / 10 (30%)": seats given to users over seats licensed.
fn usage_text(usage: Option<(u32, u32)>) -> String {
    match usage {
        Some((used, owned)) => format!(
            "{used} / {owned} ({}%)",
            u64::from(used) * 100 / u64::from(owned.max(1))
        ),
        None => String::new(),
    }
}

/// The "expiring within" filter: a day count among those offered.
fn expiring_days(raw: &str) -> Option<i64> {
    match raw {
        "7" => Some(7),
        "30" => Some(30),
        "90" => Some(90),
        _ => None,
    }
}

/// The list's filters; an unknown status or type filters nothing.
fn filters(p: &ListParams) -> (Option<Status>, Option<CustomerType>) {
    (
        Status::parse(&p.status),
        CustomerType::parse(&p.customer_type).ok(),
    )
}

async fn list(
    req: HttpRequest,
    user: PartnerUser,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let (status, customer_type) = filters(&p);
    let type_key = customer_type.map(CustomerType::as_str).unwrap_or("");
    // Customers expiring soon are listed soonest first unless another order is asked for.
    let sort = if p.sort.is_empty() && expiring_days(&p.expiring).is_some() {
        CustomerSort::Expiry
    } else {
        CustomerSort::parse(&p.sort)
    };
    // Newest first unless asked otherwise.
    let desc = if p.dir.is_empty() {
        sort == CustomerSort::Created
    } else {
        p.dir == "desc"
    };
    let page = p.page.unwrap_or(1).max(1);
    let org_view = p.view == "org";
    let expiring = expiring_days(&p.expiring);
    let expiring_key = if expiring.is_some() {
        p.expiring.as_str()
    } else {
        ""
    };
    let today = state.core.now().date_naive();
    // The stored figures, recomputed first when a new month or currency made them stale.
    let currency = crate::services::paid_12m::fresh(&state.core, &user.partner).await?;
    let mut rows = if org_view {
        vec![]
    } else {
        regs::list(
            &state.core,
            user.org_id(),
            &CustomerQuery {
                expiring_by: expiring.map(|d| today + chrono::Duration::days(d)),
                q: p.q.clone(),
                status,
                customer_type,
                sort,
                desc,
                offset: (page - 1) * PER_PAGE,
                limit: PER_PAGE,
                after: None,
            },
        )
        .await?
    };
    let has_next = rows.len() as u64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    let dir = if desc { "desc" } else { "asc" };
    let base = |page: u64| {
        format!(
            "?{}page={page}",
            query_string(&[
                ("q", &p.q),
                ("status", &p.status),
                ("type", type_key),
                ("expiring", expiring_key),
                ("sort", sort.key()),
                ("dir", dir)
            ])
        )
    };
    let headers = sort_headers(
        &[
            ("Company", CustomerSort::Company.key()),
            ("Name", CustomerSort::Name.key()),
            ("Account active", CustomerSort::Active.key()),
            ("Customer Type", CustomerSort::Type.key()),
            ("Usage", CustomerSort::Usage.key()),
            ("Coming Expiry Date", CustomerSort::Expiry.key()),
            ("Revenue (12 months)", CustomerSort::Revenue.key()),
            ("Status", CustomerSort::Status.key()),
            ("Commission", CustomerSort::Commission.key()),
            ("Added", CustomerSort::Created.key()),
        ],
        sort.key(),
        desc,
        &[
            ("q", &p.q),
            ("status", &p.status),
            ("type", type_key),
            ("expiring", expiring_key),
        ],
    );
    let statuses = ALL_STATUSES
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect();
    render(&ListPage {
        ctx: Ctx::new(&req, Some(&user.principal())),
        org_view,
        company: (&user.partner).into(),
        filtered: !p.q.is_empty()
            || status.is_some()
            || customer_type.is_some()
            || expiring.is_some(),
        expiring: expiring_key.to_string(),
        export_href: format!(
            "{}?{}",
            urls::CUSTOMERS_EXPORT,
            query_string(&[
                ("q", &p.q),
                ("status", &p.status),
                ("type", type_key),
                ("expiring", expiring_key)
            ])
        ),
        q: p.q.clone(),
        status: p.status.clone(),
        statuses,
        types: type_options(type_key),
        headers,
        rows: rows.into_iter().map(|r| row(r, currency)).collect(),
        page,
        prev_href: (page > 1).then(|| base(page - 1)),
        next_href: has_next.then(|| base(page + 1)),
    })
}

/// The filtered list as CSV, newest first, streamed page by page.
async fn export(
    user: PartnerUser,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let (status, customer_type) = filters(&p);
    let selection = CustomerExport {
        partner: user.org_id(),
        expiring_by: expiring_days(&p.expiring)
            .map(|d| state.core.now().date_naive() + chrono::Duration::days(d)),
        q: p.q,
        status,
        customer_type,
    };
    let rows = export::csv_paged(
        state.core.clone(),
        selection,
        &[
            "Company",
            "Name",
            "Email",
            "Account Active",
            "Customer Type",
            "Usage",
            "Coming Expiry Date",
            "Status",
            "Commission",
            "Added",
        ],
        |r| {
            [
                Cell::Text(r.company_name),
                Cell::Text(r.friendly_name),
                Cell::Text(r.primary_email),
                Cell::Value(if r.account_active { "Yes" } else { "No" }.into()),
                Cell::Value(r.customer_type.as_str().into()),
                Cell::Value(usage_text(r.usage)),
                Cell::Value(r.next_expiry.map(|d| d.to_string()).unwrap_or_default()),
                Cell::Value(r.status.label().into()),
                Cell::Value(r.commission.to_string()),
                Cell::Value(r.created_at.format("%Y-%m-%d").to_string()),
            ]
        },
    );
    Ok(csv_download("my-customers.csv", rows))
}

// ------------------------------------------------------------------ Add a Customer account

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NewParams {
    pub mode: String,
    pub action: String,
    // link an existing account
    pub email: String,
    pub friendly_name: String,
    pub partner_role: String,
    pub commission: String,
    pub customer_type: String,
    pub management_mode: String,
    // register a new customer
    pub company_name: String,
    pub active: String,
    pub admin_name: String,
    pub admin_email: String,
    pub country: String,
    pub phone: String,
}

#[derive(Template)]
#[template(path = "customers/new.html")]
struct NewPage {
    ctx: Ctx,
    org_id: String,
    link_mode: bool,
    form: NewParams,
    errors: FieldErrors,
    verdicts: Vec<Verdict>,
    /// How many of the verdicts fail (the list's verdict line).
    failed: usize,
    checked: bool,
    form_error: String,
    types: Vec<Opt>,
    /// The roles a partner can take towards a customer (and the one asked before, if other).
    roles: Vec<RoleOpt>,
    countries: &'static [(&'static str, &'static str)],
}

#[derive(Deserialize)]
struct ModeQuery {
    mode: Option<String>,
    /// A registration that ended without becoming (or staying) active: its terms fill the form.
    again: Option<String>,
}

fn page(
    req: &HttpRequest,
    user: &PartnerUser,
    form: NewParams,
    errors: FieldErrors,
    verdicts: Vec<Verdict>,
    checked: bool,
    form_error: String,
) -> NewPage {
    NewPage {
        types: type_options(&form.customer_type),
        roles: role_options(&form.partner_role),
        ctx: Ctx::new(req, Some(&user.principal())),
        org_id: user.org_id().to_string(),
        link_mode: form.mode != "new",
        form,
        errors,
        failed: verdicts.iter().filter(|v| !v.passed).count(),
        verdicts,
        checked,
        form_error,
        countries: countries::by_name(),
    }
}

async fn new_page(
    req: HttpRequest,
    user: PartnerUser,
    state: web::Data<AppState>,
    q: web::Query<ModeQuery>,
) -> AppResult<HttpResponse> {
    if let Some(again) = &q.again {
        // Ask again with the same terms: another partner's registration is "not found", and a
        // live one is still holding the account (the form would be refused anyway).
        let c = regs::customer(&state.core, user.org_id(), parse_id(again)?).await?;
        let r = c.registration;
        if r.status.is_live() {
            return Err(crate::error::AppError::NotFound);
        }
        let form = NewParams {
            mode: "link".into(),
            email: c.account.primary_email,
            friendly_name: r.friendly_name,
            partner_role: r.partner_role,
            commission: r.commission.to_string().trim_end_matches('%').into(),
            customer_type: r.customer_type.as_str().into(),
            management_mode: if r.management_mode {
                "on".into()
            } else {
                String::new()
            },
            ..Default::default()
        };
        let page = page(
            &req,
            &user,
            form,
            FieldErrors::default(),
            vec![],
            false,
            String::new(),
        );
        return render(&page);
    }
    let form = NewParams {
        mode: q
            .mode
            .clone()
            .filter(|m| m == "new")
            .unwrap_or_else(|| "link".into()),
        partner_role: "Partner".into(),
        customer_type: CustomerType::default().as_str().into(),
        active: "on".into(),
        country: user.partner.country.clone(),
        ..Default::default()
    };
    render(&page(
        &req,
        &user,
        form,
        FieldErrors::default(),
        vec![],
        false,
        String::new(),
    ))
}

fn parse_terms(errors: &mut FieldErrors, p: &NewParams, fallback_name: &str) -> Option<Terms> {
    // Left empty, the friendly name is the company's (or email's). When that is missing too,
    // its own field says so: an optional field does not complain.
    let friendly_name = if p.friendly_name.trim().is_empty() {
        PlainName::parse(fallback_name, "friendly name").ok()
    } else {
        errors.check(
            "friendly_name",
            PlainName::parse(&p.friendly_name, "friendly name"),
        )
    };
    let role_raw = if p.partner_role.trim().is_empty() {
        "Partner"
    } else {
        &p.partner_role
    };
    let partner_role = errors.check("partner_role", PlainName::parse(role_raw, "role"));
    let commission = errors.check("commission", CommissionRate::parse(&p.commission));
    let customer_type = errors.check("customer_type", CustomerType::parse(&p.customer_type));
    Some(Terms {
        friendly_name: friendly_name?,
        partner_role: partner_role?,
        customer_type: customer_type?,
        commission: commission?,
        management_mode: p.management_mode == "on",
    })
}

async fn new_submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    form: CsrfForm<NewParams>,
) -> AppResult<HttpResponse> {
    let p = form.0;
    let mut errors = FieldErrors::default();
    let actor = user.actor();
    let result = if p.mode == "new" {
        let company = errors.check(
            "company_name",
            PlainName::parse(&p.company_name, "customer's company name"),
        );
        let admin_name = errors.check(
            "admin_name",
            PlainName::parse(&p.admin_name, "name of the customer's admin"),
        );
        let admin_email = errors.check("admin_email", Email::parse(&p.admin_email));
        let country = errors.check("country", CountryCode::parse(&p.country));
        let phone = if p.phone.trim().is_empty() {
            Some(None)
        } else {
            errors.check("phone", Phone::parse(&p.phone)).map(Some)
        };
        let terms = parse_terms(&mut errors, &p, &p.company_name);
        let (
            Some(company),
            Some(admin_name),
            Some(admin_email),
            Some(country),
            Some(phone),
            Some(terms),
        ) = (company, admin_name, admin_email, country, phone, terms)
        else {
            return render_invalid(&page(&req, &user, p, errors, vec![], false, String::new()));
        };
        let customer = NewCustomer {
            account: NewAccount {
                company_name: company,
                primary_email: admin_email,
                country,
                phone,
                data_center: "default".into(),
                tags: vec![],
                billing_mode: BillingMode::Prepaid,
                in_poc: false,
                active: p.active == "on",
            },
            admin_name,
            password_hash: None,
        };
        regs::add_new(
            &state.core,
            &actor,
            &user.partner,
            customer,
            terms,
            Channel::Web,
        )
        .await
        .map(|(r, _)| r)
    } else {
        let email = errors.check("email", Email::parse(&p.email));
        if p.action == "check" {
            let Some(email) = email else {
                return render_invalid(&page(&req, &user, p, errors, vec![], false, String::new()));
            };
            let verdicts = regs::check_email(&state.core, user.org_id(), &email).await?;
            return render(&page(&req, &user, p, errors, verdicts, true, String::new()));
        }
        let terms = parse_terms(&mut errors, &p, &p.email);
        let (Some(email), Some(terms)) = (email, terms) else {
            return render_invalid(&page(&req, &user, p, errors, vec![], false, String::new()));
        };
        regs::add_existing(
            &state.core,
            &actor,
            &user.partner,
            &email,
            terms,
            Channel::Web,
        )
        .await
    };
    match result {
        Ok(reg) => Ok(redirect_with(
            &session,
            &urls::customer(reg.id),
            "success",
            "Request sent. The customer has been emailed a link to confirm; you will be told when they answer.",
        )),
        Err(RegError::Ineligible(verdicts)) => {
            let msg = "This account cannot be registered to you. Each rule that fails is listed below with what to do.".to_string();
            render_invalid(&page(&req, &user, p, errors, verdicts, true, msg))
        }
        Err(RegError::AccountExists) => {
            errors.add("admin_email", "An account with this email already exists. Switch to \"Link an existing account\" to register it.");
            render_invalid(&page(&req, &user, p, errors, vec![], false, String::new()))
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ one customer

/// Whether this partner user may Login As the users of a registration: one the partner
/// manages, and the user an admin (or a member, when admins allowed members).
fn may_login_as(user: &PartnerUser, reg: &Registration) -> bool {
    reg.partner_manages() && (user.is_admin() || user.partner.members_login_as)
}

#[derive(Template)]
#[template(path = "customers/show.html")]
struct ShowPage {
    ctx: Ctx,
    id: RegistrationId,
    company: String,
    email: String,
    country: String,
    phone: String,
    tags: String,
    billing_mode: &'static str,
    account_active: bool,
    friendly_name: String,
    partner_role: String,
    customer_type: CustomerType,
    commission: CommissionRate,
    management_mode: bool,
    status: Status,
    reason: String,
    created: String,
    expires: String,
    credit: String,
    timeline: Vec<crate::web::TimelineEntry>,
    /// The account's users and pending invitations (while the relationship is active), with
    /// Login As on each user where it is allowed.
    members: MembersView,
    /// What the state machine allows the partner now.
    can_resend: bool,
    /// The registration ended without holding the account: the partner may ask again.
    can_ask_again: bool,
    can_cancel: bool,
    can_end: bool,
    /// Users and money are shown only while the relationship is active.
    is_active: bool,
    /// Orders, licenses and trials.
    related: super::orders::Related,
}

async fn show(
    req: HttpRequest,
    user: PartnerUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let c = regs::customer(&state.core, user.org_id(), id).await?;
    let related = super::orders::related(&state, &user, id).await?;
    let (reg, account) = (c.registration, c.account);
    let mut members = MembersView::default();
    if reg.status == Status::Active {
        let by = By::Partner {
            user: &user.user,
            partner: &user.partner,
            customer: id,
        };
        let team = svc_members::open(&state.core, user.actor(), by).await?;
        members = members::view(&state, &team, Place::customer(id)).await?;
        // The users list offers Login As where it is allowed.
        members.actions = may_login_as(&user, &reg);
        for u in members.users.iter_mut().filter(|u| u.active) {
            if members.actions {
                u.buttons.push(Button {
                    action: urls::customer_user_login_as(id, u.id),
                    label: "Login As",
                    hidden: format!(" {}", u.name),
                    field: None,
                    danger: false,
                });
            }
        }
    }
    let credit = c
        .credit
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    render(&ShowPage {
        ctx: Ctx::new(&req, Some(&user.principal())),
        id: reg.id,
        country: countries::name(&account.country)
            .unwrap_or(&account.country)
            .to_string(),
        tags: account.tags_text(),
        company: account.company_name,
        email: account.primary_email,
        phone: account.phone,
        billing_mode: account.billing_mode.label(),
        account_active: account.active,
        can_resend: reg.allows(Event::Resend),
        can_ask_again: !reg.status.is_live(),
        can_cancel: reg.allows(Event::PartnerCancels),
        can_end: reg.allows(Event::PartnerEnds),
        is_active: reg.status == Status::Active,
        related,
        friendly_name: reg.friendly_name,
        partner_role: reg.partner_role,
        customer_type: reg.customer_type,
        commission: reg.commission,
        management_mode: reg.management_mode,
        status: reg.status,
        reason: reg.reason.unwrap_or_default(),
        created: fmt_datetime(&reg.created_at),
        expires: reg
            .expires_at
            .as_ref()
            .map(fmt_datetime)
            .unwrap_or_default(),
        credit,
        timeline: crate::web::timeline(c.timeline),
        members,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReasonParams {
    reason: String,
    /// `yes` once the confirmation page was seen.
    confirmed: String,
}

/// Back to the customer's page with what happened, or why it could not happen.
fn back_with(
    session: &Session,
    id: RegistrationId,
    result: Result<&str, RegError>,
) -> AppResult<HttpResponse> {
    let to = urls::customer(id);
    match result {
        Ok(msg) => Ok(redirect_with(session, &to, "success", msg)),
        Err(RegError::NotAllowed(e)) => Ok(redirect_with(session, &to, "error", &sentence(e))),
        Err(e) => Err(e.into()),
    }
}

async fn resend(
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    _f: CsrfForm<ReasonParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let r = regs::resend(&state.core, &user.actor(), user.org_id(), id).await;
    back_with(
        &session,
        id,
        r.map(|_| "A new link has been sent; the previous one no longer works."),
    )
}

async fn cancel(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<ReasonParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    if !confirmed(&form.0.confirmed) {
        // Another partner's registration is "not found" here too.
        let c = regs::customer(&state.core, user.org_id(), id).await?;
        return ask_first(
            &req,
            &user.principal(),
            &Confirmation {
                title: format!("Cancel the request to {}?", c.account.company_name),
                explanation: "The customer's confirmation link stops working and the request \
                    cannot be answered any more. The account is free again: you can register it \
                    later, and it starts over with a new confirmation."
                    .into(),
                button: "Cancel the request".into(),
                action: urls::customer_cancel(id),
                back: urls::customer(id),
                fields: vec![],
            },
        );
    }
    let r = regs::cancel(&state.core, &user.actor(), user.org_id(), id).await;
    back_with(
        &session,
        id,
        r.map(|_| "The request has been cancelled; its link no longer works."),
    )
}

async fn end(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<ReasonParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    if !confirmed(&form.0.confirmed) {
        let c = regs::customer(&state.core, user.org_id(), id).await?;
        return ask_first(
            &req,
            &user.principal(),
            &Confirmation {
                title: format!("End the relationship with {}?", c.account.company_name),
                explanation: "The customer stops being yours at once, and you and the customer \
                    are emailed. To work with it again you would register it again and wait for \
                    its confirmation and the provider's approval."
                    .into(),
                button: "End the relationship".into(),
                action: urls::customer_end(id),
                back: urls::customer(id),
                fields: vec![("reason", form.0.reason.clone())],
            },
        );
    }
    let by = regs::Ender::Partner(user.org_id());
    let r = regs::end(&state.core, &user.actor(), by, id, &form.0.reason).await;
    back_with(
        &session,
        id,
        r.map(|_| "The relationship has ended. The customer and you have been emailed."),
    )
}

#[derive(Template)]
#[template(path = "customers/user.html")]
struct UserPage {
    ctx: Ctx,
    registration_id: RegistrationId,
    user_id: UserId,
    can_login_as: bool,
    /// What the partner may do to the user, where it manages the account.
    buttons: Vec<Button>,
    company: String,
    name: String,
    email: String,
    role: &'static str,
    active: bool,
    created: String,
    last_sign_in: String,
}

async fn user_page(
    req: HttpRequest,
    user: PartnerUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, uid) = path.into_inner();
    let (reg, account, u) =
        regs::customer_user(&state.core, user.org_id(), parse_id(&id)?, parse_id(&uid)?).await?;
    render(&UserPage {
        ctx: Ctx::new(&req, Some(&user.principal())),
        can_login_as: u.active && may_login_as(&user, &reg),
        buttons: if reg.partner_manages() {
            members::buttons(Place::customer(reg.id), &u)
        } else {
            vec![]
        },
        user_id: u.id,
        registration_id: reg.id,
        company: account.company_name,
        name: u.name,
        email: u.email,
        role: u.role.label(),
        active: u.active,
        created: fmt_date(&u.created_at),
        last_sign_in: u
            .last_sign_in_at
            .as_ref()
            .map(fmt_datetime)
            .unwrap_or_else(|| "Never".into()),
    })
}
