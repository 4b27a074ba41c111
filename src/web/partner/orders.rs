//! Orders on behalf of a customer (seed 002 "Add Product"): the order form with its preview
//! (price, total, the partner's margin) and one POST that places it; an order's page with its
//! cancellation in the grace period; a license's page (seats given to users, seat changes,
//! auto-renew, converting a trial); starting a trial. The customer page's related lists are
//! built here too.
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::web::urls;
use crate::web::{
    ask_first, confirmed, ctx::Ctx, fmt_date, fmt_datetime, fmt_day, parse_id, redirect_with,
    render, render_invalid, timeline, Confirmation, FieldErrors, TimelineEntry,
};
use crate::{
    auth::{csrf::CsrfForm, PartnerUser},
    domain::{
        money::CURRENCIES, order::LicenseStatus, LicenseId, Money, OrderId, ProductKind,
        RegistrationId,
    },
    error::{AppError, AppResult},
    services::{
        customer_prices,
        orders::{self as svc, OrderError, OrderInput, Placed, Placement, Quote},
        registrations as regs,
        views::{LicenseView, OrderView},
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(urls::CUSTOMER_ORDER_NEW, web::get().to(new_order))
        .route(urls::CUSTOMER_ORDER_NEW, web::post().to(submit_order))
        .route(urls::CUSTOMER_TRIAL_NEW, web::get().to(new_trial))
        .route(urls::CUSTOMER_TRIAL_NEW, web::post().to(submit_trial))
        .route(urls::ORDER, web::get().to(order_page))
        .route(urls::ORDER_CANCEL, web::post().to(cancel_order))
        .route(urls::LICENSE, web::get().to(license_page))
        .route(urls::LICENSE_SEATS, web::post().to(change_seats))
        .route(urls::LICENSE_ASSIGN, web::post().to(assign))
        .route(urls::LICENSE_UNASSIGN, web::post().to(unassign))
        .route(urls::LICENSE_RENEWAL, web::post().to(renewal))
        .route(urls::LICENSE_CONVERT, web::get().to(convert_page))
        .route(urls::LICENSE_CONVERT, web::post().to(submit_convert));
}

// ---- the customer page's related lists

pub struct OrderRow {
    pub href: String,
    pub number: String,
    pub date: String,
    pub product: String,
    pub kind: &'static str,
    pub quantity: String,
    pub total: Money,
    pub placed_by: String,
    pub cancelled: bool,
}

impl From<&OrderView> for OrderRow {
    fn from(o: &OrderView) -> Self {
        Self {
            href: urls::order(o.id),
            number: o.number.clone(),
            date: fmt_date(&o.created_at),
            product: format!("{} ({})", o.product_name, o.sku),
            kind: o.kind.label(),
            quantity: match o.previous_quantity {
                Some(p) => format!("{p} → {}", o.quantity),
                None => o.quantity.to_string(),
            },
            total: o.total,
            placed_by: o.placed_by.clone(),
            cancelled: o.cancelled,
        }
    }
}

pub struct LicenseRow {
    pub href: String,
    pub product: String,
    pub seats: String,
    pub term: String,
    pub ends: String,
    pub renews: &'static str,
    pub status: &'static str,
    pub tone: &'static str,
    pub active: bool,
    pub convert: String,
}

fn tone(s: LicenseStatus) -> &'static str {
    match s {
        LicenseStatus::Active => "success",
        LicenseStatus::Converted => "info",
        LicenseStatus::Cancelled | LicenseStatus::Expired => "muted",
    }
}

impl From<&LicenseView> for LicenseRow {
    fn from(l: &LicenseView) -> Self {
        Self {
            href: urls::license(l.id),
            product: format!("{} ({})", l.product_name, l.sku),
            seats: format!("{} / {}", l.seats_assigned, l.seats),
            term: format!("{} to {}", fmt_day(l.starts_on), fmt_day(l.ends_on)),
            ends: fmt_day(l.ends_on),
            renews: if l.trial {
                "—"
            } else if l.auto_renew && l.is_active() {
                "Yes"
            } else {
                "No"
            },
            status: l.status.label(),
            tone: tone(l.status),
            active: l.is_active(),
            convert: if l.trial
                && matches!(l.status, LicenseStatus::Active | LicenseStatus::Expired)
            {
                urls::license_convert(l.id)
            } else {
                String::new()
            },
        }
    }
}

pub struct InvoiceRow {
    pub href: String,
    pub number: String,
    pub issued: String,
    pub due: String,
    pub total: Money,
    pub status: &'static str,
    pub tone: &'static str,
    /// The full payment link while open.
    pub link: String,
}

/// The orders, licenses, trials and invoices on a customer's page.
pub struct Related {
    pub orders: Vec<OrderRow>,
    pub more_orders: bool,
    pub licenses: Vec<LicenseRow>,
    pub trials: Vec<LicenseRow>,
    pub invoices: Vec<InvoiceRow>,
}

pub async fn related(
    state: &AppState,
    user: &PartnerUser,
    id: RegistrationId,
) -> AppResult<Related> {
    let c = svc::customer_commerce(&state.core, user.org_id(), id).await?;
    let invoices = crate::services::invoices::of_customer(&state.core, user.org_id(), id)
        .await?
        .into_iter()
        .map(|(i, link)| {
            let status = i.status;
            InvoiceRow {
                href: urls::invoice(i.id),
                number: i.number,
                issued: fmt_date(&i.issued_at),
                due: fmt_day(i.due_on),
                total: i.total,
                status: crate::domain::invoice::list_label(i.kind, status).0,
                tone: crate::domain::invoice::list_label(i.kind, status).1,
                link: link.map(|l| state.core.links.url(&l)).unwrap_or_default(),
            }
        })
        .collect();
    Ok(Related {
        orders: c.orders.iter().map(OrderRow::from).collect(),
        more_orders: c.more_orders,
        licenses: c.licenses.iter().map(LicenseRow::from).collect(),
        trials: c.trials.iter().map(LicenseRow::from).collect(),
        invoices,
    })
}

// ---- the order form

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct OrderParams {
    product: String,
    quantity: String,
    term: String,
    start: String,
    currency: String,
    auto_renew: String,
    /// `preview` or `place`.
    action: String,
    /// Made with the preview; placing twice with it makes one order.
    key: String,
    /// The total the preview showed, so a price that changed since is shown again first.
    quoted: String,
}

impl OrderParams {
    fn input(&self) -> OrderInput {
        OrderInput {
            product: self.product.clone(),
            quantity: self.quantity.clone(),
            term: self.term.clone(),
            start: self.start.clone(),
            currency: self.currency.clone(),
            auto_renew: self.auto_renew == "on",
        }
    }
}

pub struct ProductOpt {
    value: String,
    label: String,
    selected: bool,
}

pub struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

pub struct QuoteView {
    product: String,
    quantity: String,
    term: String,
    starts: String,
    ends: String,
    auto_renew: bool,
    list: Money,
    cost: Money,
    price: Money,
    periods: u32,
    total: Money,
    cost_total: Money,
    margin: Money,
}

impl From<&Quote> for QuoteView {
    fn from(q: &Quote) -> Self {
        Self {
            product: format!("{} ({})", q.product.name, q.product.sku),
            quantity: format!("{} {}", q.quantity, q.product.unit),
            term: q.term.label().to_string(),
            starts: fmt_day(q.starts_on),
            ends: q.ends_on.map(fmt_day).unwrap_or_default(),
            auto_renew: q.auto_renew,
            list: q.list,
            cost: q.cost,
            price: q.price,
            periods: q.periods,
            total: q.total,
            cost_total: q.cost_total,
            margin: q.margin,
        }
    }
}

#[derive(Template)]
#[template(path = "orders/new.html")]
struct OrderForm {
    ctx: Ctx,
    title: String,
    company: String,
    back: String,
    action: String,
    /// A trial's conversion: the product is fixed.
    fixed_product: Option<String>,
    products: Vec<ProductOpt>,
    terms: Vec<Choice>,
    currencies: Vec<Choice>,
    v: OrderParams,
    today: String,
    preview: Option<QuoteView>,
    errors: FieldErrors,
    /// The customer cannot be ordered for: why.
    blocked: String,
}

const TERMS: [(&str, &str); 4] = [
    ("", "The product's own"),
    ("monthly", "Monthly"),
    (
        "yearly",
        "Yearly (a monthly product: 12 months paid at once)",
    ),
    ("one_off", "One-off"),
];

fn choices<const N: usize>(all: [(&'static str, &'static str); N], current: &str) -> Vec<Choice> {
    all.into_iter()
        .map(|(value, label)| Choice {
            value,
            label,
            selected: value == current,
        })
        .collect()
}

fn currency_choices(current: &str) -> Vec<Choice> {
    let mut v = vec![Choice {
        value: "",
        label: "The product's first price",
        selected: current.is_empty(),
    }];
    for c in CURRENCIES {
        v.push(Choice {
            value: c.code(),
            label: c.code(),
            selected: c.code().eq_ignore_ascii_case(current),
        });
    }
    v
}

/// The form for a customer: the products on sale at the customer's prices.
async fn order_form(
    req: &HttpRequest,
    state: &AppState,
    user: &PartnerUser,
    id: RegistrationId,
    v: OrderParams,
    convert: Option<&LicenseView>,
) -> AppResult<OrderForm> {
    let c = regs::customer(&state.core, user.org_id(), id).await?;
    let company = c.account.company_name;
    let blocked = if c.registration.status == crate::domain::Status::Active {
        String::new()
    } else {
        "Orders can be placed for active customers only: this one is not active.".to_string()
    };
    let (_, lines) = customer_prices::lines_for(&state.core, user.org_id(), id)
        .await
        .map_err(OrderError::from)?;
    let products = lines
        .iter()
        .map(|l| {
            let from = l
                .prices
                .first()
                .map(|p| format!(", {} per {}", p.2, l.product.unit))
                .unwrap_or_default();
            let kind = match l.product.kind {
                ProductKind::OneOff => "one-off",
                ProductKind::Monthly => "monthly",
                ProductKind::Yearly => "yearly",
            };
            ProductOpt {
                selected: v.product == l.product.id.to_string()
                    || v.product.eq_ignore_ascii_case(&l.product.sku),
                value: l.product.id.to_string(),
                label: format!("{} ({}), {kind}{from}", l.product.name, l.product.sku),
            }
        })
        .collect();
    let (title, action, fixed_product) = match convert {
        Some(t) => (
            format!("Convert the trial of {} into an order", t.product_name),
            urls::license_convert(t.id),
            Some(format!("{} ({})", t.product_name, t.sku)),
        ),
        None => (
            format!("Order for {company}"),
            urls::customer_order_new(id),
            None,
        ),
    };
    Ok(OrderForm {
        ctx: Ctx::new(req, Some(&user.principal())),
        title,
        back: urls::customer(id),
        action,
        fixed_product,
        products,
        terms: choices(TERMS, &v.term),
        currencies: currency_choices(&v.currency),
        today: state.core.now().date_naive().to_string(),
        company,
        v,
        preview: None,
        errors: FieldErrors::default(),
        blocked,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Preselect {
    product: String,
}

async fn new_order(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    q: web::Query<Preselect>,
) -> AppResult<HttpResponse> {
    let v = OrderParams {
        product: q.into_inner().product,
        quantity: "1".into(),
        auto_renew: "on".into(),
        ..Default::default()
    };
    render(&order_form(&req, &state, &user, parse_id(&id)?, v, None).await?)
}

/// Puts a refusal on a form: each refused field's message next to it, a refusal of the whole
/// action next to `general`; anything else (not found, a fault) is not the form's business.
fn put_refusal(errors: &mut FieldErrors, general: &str, e: OrderError) -> AppResult<()> {
    match e {
        OrderError::Invalid(fields) => {
            for (f, m) in fields {
                errors.add(f, m);
            }
        }
        OrderError::NotActive
        | OrderError::TrialTaken(_)
        | OrderError::Closed(_)
        | OrderError::NotCancellable(_)
        | OrderError::Overflow => errors.add(general, crate::error::sentence(e)),
        e => return Err(e.into()),
    }
    Ok(())
}

/// Preview or place, for a new order or a trial's conversion.
async fn order_step(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: RegistrationId,
    v: OrderParams,
    convert: Option<LicenseView>,
) -> AppResult<HttpResponse> {
    let mut input = v.input();
    if let Some(t) = &convert {
        input.product = t.product_id.to_string();
    }
    let core = &state.core;
    let quote = svc::quote(core, user.org_id(), id, &input).await;
    let placing = v.action == "place" && !v.key.is_empty();
    let mut page = order_form(&req, &state, &user, id, v.clone(), convert.as_ref()).await?;
    let q = match quote {
        Ok(q) => q,
        Err(e) => {
            put_refusal(&mut page.errors, "product", e)?;
            return render_invalid(&page);
        }
    };
    // A price that moved since the preview is shown again before anything is placed.
    let same_price = v.quoted == q.total.to_string();
    if placing && same_price {
        let placement = Placement {
            key: Some(v.key.chars().take(64).collect()),
            via: "web",
        };
        let placed = match &convert {
            Some(t) => {
                svc::convert_trial(core, &user.actor(), user.org_id(), t.id, &input, placement)
                    .await
            }
            None => {
                svc::place(
                    core,
                    &user.actor(),
                    user.org_id(),
                    id,
                    &input,
                    placement,
                    None,
                )
                .await
            }
        };
        return match placed {
            Ok(p) => Ok(placed_redirect(&session, &p, &page.company)),
            Err(e) => {
                put_refusal(&mut page.errors, "product", e)?;
                render_invalid(&page)
            }
        };
    }
    if placing {
        page.errors.add(
            "quoted",
            "The price changed since the preview (or the order did): check it and place it again.",
        );
    }
    page.v.key = uuid::Uuid::new_v4().to_string();
    page.v.quoted = q.total.to_string();
    page.preview = Some(QuoteView::from(&q));
    if placing {
        render_invalid(&page)
    } else {
        render(&page)
    }
}

fn placed_redirect(session: &Session, p: &Placed, company: &str) -> HttpResponse {
    let message = if p.replayed {
        format!(
            "Order {} was placed already; nothing new was ordered.",
            p.number
        )
    } else {
        format!(
            "Order {} placed: {}. {company} was told by email.",
            p.number, p.total
        )
    };
    redirect_with(session, &urls::order(p.order), "success", &message)
}

async fn submit_order(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<OrderParams>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    order_step(req, session, state, user, id, form.0, None).await
}

async fn trial_of(state: &AppState, user: &PartnerUser, id: LicenseId) -> AppResult<LicenseView> {
    let d = svc::license(&state.core, user.org_id(), id).await?;
    if !d.license.trial {
        return Err(AppError::NotFound);
    }
    Ok(d.license)
}

async fn convert_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let t = trial_of(&state, &user, parse_id(&id)?).await?;
    let v = OrderParams {
        product: t.product_id.to_string(),
        quantity: t.seats.to_string(),
        auto_renew: "on".into(),
        ..Default::default()
    };
    render(&order_form(&req, &state, &user, t.registration_id, v, Some(&t)).await?)
}

async fn submit_convert(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<OrderParams>,
) -> AppResult<HttpResponse> {
    let t = trial_of(&state, &user, parse_id(&id)?).await?;
    order_step(
        req,
        session,
        state,
        user,
        t.registration_id,
        form.0,
        Some(t),
    )
    .await
}

// ---- an order

#[derive(Template)]
#[template(path = "orders/order.html")]
struct OrderPage {
    ctx: Ctx,
    o: OrderView,
    term: &'static str,
    starts: String,
    placed: String,
    cancelled: String,
    company: String,
    customer: String,
    license: Option<LicenseRow>,
    cancel_until: String,
    cancel_action: String,
    history: Vec<TimelineEntry>,
}

async fn order_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let d = svc::order(&state.core, user.org_id(), parse_id(&id)?).await?;
    render(&OrderPage {
        ctx: Ctx::new(&req, Some(&user.principal())),
        term: d.order.term.label(),
        starts: fmt_day(d.order.starts_on),
        placed: fmt_datetime(&d.order.created_at),
        cancelled: d
            .order
            .cancelled_at
            .map(|t| fmt_datetime(&t))
            .unwrap_or_default(),
        customer: urls::customer(d.order.registration_id),
        company: d.company,
        license: d.license.as_ref().map(LicenseRow::from),
        cancel_until: d.cancellable_until.map(fmt_day).unwrap_or_default(),
        cancel_action: urls::order_cancel(d.order.id),
        history: timeline(d.history),
        o: d.order,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReasonParams {
    reason: String,
    confirmed: String,
}

async fn cancel_order(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<ReasonParams>,
) -> AppResult<HttpResponse> {
    let id: OrderId = parse_id(&id)?;
    let d = svc::order(&state.core, user.org_id(), id).await?;
    if !confirmed(&form.0.confirmed) {
        return ask_first(
            &req,
            &user.principal(),
            &Confirmation {
                title: format!("Cancel order {}?", d.order.number),
                explanation: format!(
                    "{} of {} for {} will be cancelled{}. Nothing is charged, and the customer is told by email.",
                    d.order.quantity,
                    d.order.product_name,
                    d.company,
                    if d.license.is_some() { " and its license ends now" } else { "" }
                ),
                button: "Cancel the order".into(),
                action: urls::order_cancel(id),
                back: urls::order(id),
                fields: vec![("reason", form.0.reason.clone())],
            },
        );
    }
    match svc::cancel_order(
        &state.core,
        &user.actor(),
        user.org_id(),
        id,
        &form.0.reason,
    )
    .await
    {
        Ok(()) => Ok(redirect_with(
            &session,
            &urls::order(id),
            "success",
            &format!(
                "Order {} cancelled; {} was told by email.",
                d.order.number, d.company
            ),
        )),
        Err(e @ (OrderError::NotCancellable(_) | OrderError::Invalid(_))) => Ok(redirect_with(
            &session,
            &urls::order(id),
            "error",
            &crate::error::sentence(e),
        )),
        Err(e) => Err(e.into()),
    }
}

// ---- a license

pub struct SeatRow {
    name: String,
    email: String,
    since: String,
    by: String,
    remove: String,
}

pub struct UserOpt {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "orders/license.html")]
struct LicensePage {
    ctx: Ctx,
    l: LicenseRow,
    title: String,
    trial: bool,
    term: &'static str,
    starts: String,
    ends: String,
    auto_renew: bool,
    seats_total: u32,
    seats_assigned: u32,
    company: String,
    customer: String,
    changeable: bool,
    seats: Vec<SeatRow>,
    free_users: Vec<UserOpt>,
    orders: Vec<OrderRow>,
    history: Vec<TimelineEntry>,
    seats_value: String,
    /// Sent with a seat change: a double click changes the seats once.
    seats_key: String,
    actions: LicenseActions,
    errors: FieldErrors,
}

pub struct LicenseActions {
    seats: String,
    assign: String,
    renewal: String,
}

async fn license_view(
    req: &HttpRequest,
    state: &AppState,
    user: &PartnerUser,
    id: LicenseId,
) -> AppResult<LicensePage> {
    let d = svc::license(&state.core, user.org_id(), id).await?;
    let l = &d.license;
    Ok(LicensePage {
        ctx: Ctx::new(req, Some(&user.principal())),
        title: format!(
            "{}{} for {}",
            if l.trial { "Trial of " } else { "" },
            l.product_name,
            d.company
        ),
        trial: l.trial,
        term: l.term.label(),
        starts: fmt_day(l.starts_on),
        ends: fmt_day(l.ends_on),
        auto_renew: l.auto_renew,
        seats_total: l.seats,
        seats_assigned: l.seats_assigned,
        customer: urls::customer(l.registration_id),
        changeable: d.changeable,
        seats: d
            .seats
            .iter()
            .map(|s| SeatRow {
                name: s.user.name.clone(),
                email: s.user.email.clone(),
                since: fmt_date(&s.assigned_at),
                by: s.assigned_by.clone(),
                remove: urls::license_unassign(id, s.user.id),
            })
            .collect(),
        free_users: d
            .free_users
            .iter()
            .map(|u| UserOpt {
                value: u.id.to_string(),
                label: format!("{} <{}>", u.name, u.email),
            })
            .collect(),
        orders: d.orders.iter().map(OrderRow::from).collect(),
        history: timeline(d.history),
        seats_value: l.seats.to_string(),
        seats_key: uuid::Uuid::new_v4().to_string(),
        actions: LicenseActions {
            seats: urls::license_seats(id),
            assign: urls::license_assign(id),
            renewal: urls::license_renewal(id),
        },
        errors: FieldErrors::default(),
        l: LicenseRow::from(l),
        company: d.company,
    })
}

async fn license_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    render(&license_view(&req, &state, &user, parse_id(&id)?).await?)
}

/// A license change refused: the page again with the message next to its field.
async fn license_refused(
    req: &HttpRequest,
    state: &AppState,
    user: &PartnerUser,
    id: LicenseId,
    e: OrderError,
    typed_seats: Option<&str>,
) -> AppResult<HttpResponse> {
    let mut page = license_view(req, state, user, id).await?;
    if let Some(s) = typed_seats {
        page.seats_value = s.to_string();
    }
    put_refusal(&mut page.errors, "seats", e)?;
    render_invalid(&page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SeatsParams {
    seats: String,
    key: String,
}

async fn change_seats(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<SeatsParams>,
) -> AppResult<HttpResponse> {
    let id: LicenseId = parse_id(&id)?;
    let placement = Placement {
        key: (!form.0.key.is_empty()).then(|| form.0.key.chars().take(64).collect()),
        via: "web",
    };
    match svc::change_seats(
        &state.core,
        &user.actor(),
        user.org_id(),
        id,
        &form.0.seats,
        placement,
    )
    .await
    {
        Ok(p) => Ok(redirect_with(
            &session,
            &urls::license(id),
            "success",
            &format!(
                "Seats changed by order {}{}.",
                p.number,
                if p.total.is_zero() {
                    String::new()
                } else {
                    format!(": {}", p.total)
                }
            ),
        )),
        Err(e) => license_refused(&req, &state, &user, id, e, Some(&form.0.seats)).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserParams {
    user: String,
}

async fn assign(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<UserParams>,
) -> AppResult<HttpResponse> {
    let id: LicenseId = parse_id(&id)?;
    let Ok(who) = form.0.user.parse() else {
        let e = OrderError::field("user", "Choose a user.");
        return license_refused(&req, &state, &user, id, e, None).await;
    };
    match svc::assign_seat(&state.core, &user.actor(), user.org_id(), id, who).await {
        Ok(()) => Ok(redirect_with(
            &session,
            &urls::license(id),
            "success",
            "Seat given.",
        )),
        Err(e) => license_refused(&req, &state, &user, id, e, None).await,
    }
}

async fn unassign(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<UserParams>,
) -> AppResult<HttpResponse> {
    let id: LicenseId = parse_id(&path.0)?;
    let who = parse_id(&path.1)?;
    match svc::unassign_seat(&state.core, &user.actor(), user.org_id(), id, who).await {
        Ok(()) => Ok(redirect_with(
            &session,
            &urls::license(id),
            "success",
            "Seat taken back.",
        )),
        Err(e) => license_refused(&req, &state, &user, id, e, None).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RenewalParams {
    auto_renew: String,
}

async fn renewal(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<RenewalParams>,
) -> AppResult<HttpResponse> {
    let id: LicenseId = parse_id(&id)?;
    let on = form.0.auto_renew == "on";
    match svc::set_auto_renew(&state.core, &user.actor(), user.org_id(), id, on).await {
        Ok(()) => Ok(redirect_with(
            &session,
            &urls::license(id),
            "success",
            if on {
                "Auto-renew is on: the license renews at the end of its term."
            } else {
                "Auto-renew is off: the license ends with its term."
            },
        )),
        Err(e) => license_refused(&req, &state, &user, id, e, None).await,
    }
}

// ---- trials

pub struct TrialOpt {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "orders/trial.html")]
struct TrialPage {
    ctx: Ctx,
    company: String,
    back: String,
    action: String,
    products: Vec<TrialOpt>,
    seats: String,
    errors: FieldErrors,
    blocked: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TrialParams {
    product: String,
    seats: String,
}

async fn trial_form(
    req: &HttpRequest,
    state: &AppState,
    user: &PartnerUser,
    id: RegistrationId,
    v: &TrialParams,
) -> AppResult<TrialPage> {
    let c = regs::customer(&state.core, user.org_id(), id).await?;
    let (_, lines) = customer_prices::lines_for(&state.core, user.org_id(), id)
        .await
        .map_err(OrderError::from)?;
    let had = svc::customer_commerce(&state.core, user.org_id(), id).await?;
    let products = lines
        .iter()
        .filter(|l| l.product.trial_days > 0)
        .filter(|l| !had.trials.iter().any(|t| t.product_id == l.product.id))
        .map(|l| TrialOpt {
            value: l.product.id.to_string(),
            label: format!(
                "{} ({}), {} days, {} to {} {}",
                l.product.name,
                l.product.sku,
                l.product.trial_days,
                l.product.bounds.min,
                l.product.bounds.max,
                l.product.unit
            ),
            selected: v.product == l.product.id.to_string(),
        })
        .collect();
    Ok(TrialPage {
        ctx: Ctx::new(req, Some(&user.principal())),
        company: c.account.company_name,
        back: urls::customer(id),
        action: urls::customer_trial_new(id),
        products,
        seats: v.seats.clone(),
        errors: FieldErrors::default(),
        blocked: if c.registration.status == crate::domain::Status::Active {
            String::new()
        } else {
            "Trials can be started for active customers only: this one is not active.".into()
        },
    })
}

async fn new_trial(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    q: web::Query<Preselect>,
) -> AppResult<HttpResponse> {
    let v = TrialParams {
        product: q.into_inner().product,
        seats: String::new(),
    };
    render(&trial_form(&req, &state, &user, parse_id(&id)?, &v).await?)
}

async fn submit_trial(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    user: PartnerUser,
    id: web::Path<String>,
    form: CsrfForm<TrialParams>,
) -> AppResult<HttpResponse> {
    let id: RegistrationId = parse_id(&id)?;
    let v = form.0;
    let refused = |e: OrderError| async {
        let mut page = trial_form(&req, &state, &user, id, &v).await?;
        put_refusal(&mut page.errors, "product", e)?;
        render_invalid(&page)
    };
    let Ok(product) = v.product.parse() else {
        return refused(OrderError::field("product", "Choose a product.")).await;
    };
    match svc::start_trial(
        &state.core,
        &user.actor(),
        user.org_id(),
        id,
        product,
        &v.seats,
    )
    .await
    {
        Ok(license) => Ok(redirect_with(
            &session,
            &urls::license(license),
            "success",
            "Trial started. You will be reminded 7 days and 1 day before it ends.",
        )),
        Err(e) => refused(e).await,
    }
}
