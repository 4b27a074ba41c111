//! The members pages of both kinds of organisation: one set of handlers, views and templates
//! over `services::members`, for a partner's own users (`/company/users`), a customer
//! account's users as its users see them (`/my/users`, also a partner signed in as one of
//! them), and a managed customer's users as its partner sees them (listed on
//! `/customers/{id}`, invited from `/customers/{id}/users/invite`, changed from each user's
//! page). A handler is built for a [`Side`]: who acts, and where the page's links lead; what
//! they may do is the service's answer. Accepting an invitation is `public::invitations`.
use actix_session::Session;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;

use crate::web::{
    ask_first, confirmed, ctx::Ctx, fmt_datetime, parse_id, redirect_with, render, render_invalid,
    urls, Confirmation, FieldErrors,
};
use crate::{
    auth::{csrf::CsrfForm, CustomerUser, PartnerUser, Principal},
    domain::{Email, PartnerRole, RegistrationId, UserId},
    error::{AppError, AppResult},
    services::{
        members::{self as svc, By, Kind, MemberError, Team},
        views::User,
    },
    state::AppState,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    side::<PartnerUser>(cfg, &COMPANY);
    side::<CustomerUser>(cfg, &MY_ACCOUNT);
    side::<OnCustomer>(cfg, &CUSTOMER);
}

fn side<S: Side>(cfg: &mut web::ServiceConfig, at: &Paths) {
    use web::{get, post};
    cfg.route(at.page, get().to(page::<S>))
        .route(at.invite, post().to(invite::<S>))
        .route(at.remove, post().to(set_active::<S, false>))
        .route(at.restore, post().to(set_active::<S, true>))
        .route(at.resend, post().to(invitation::<S, false>))
        .route(at.revoke, post().to(invitation::<S, true>));
    if let Some(role) = at.role {
        cfg.route(role, post().to(set_role::<S>));
    }
}

/// The route patterns of one side's pages (a managed customer's start with its registration).
struct Paths {
    kind: Kind,
    /// The members page: the users, or (a managed customer's) the invitation form alone.
    page: &'static str,
    /// Where the users are listed: what is done to invitations leads back here.
    list: &'static str,
    invite: &'static str,
    /// A user's own page, where what is done to them leads back to (else the list).
    user: Option<&'static str>,
    /// Where a new role is posted, where roles change after joining.
    role: Option<&'static str>,
    remove: &'static str,
    restore: &'static str,
    resend: &'static str,
    revoke: &'static str,
}

/// The partner's own company.
const COMPANY: Paths = Paths {
    kind: Kind::Partner,
    page: urls::COMPANY_USERS,
    list: urls::COMPANY_USERS,
    invite: urls::COMPANY_INVITE,
    user: None,
    role: None,
    remove: urls::COMPANY_USER_DEACTIVATE,
    restore: urls::COMPANY_USER_REACTIVATE,
    resend: urls::COMPANY_INVITATION_RESEND,
    revoke: urls::COMPANY_INVITATION_REVOKE,
};

/// The account of the signed-in customer user.
const MY_ACCOUNT: Paths = Paths {
    kind: Kind::Account,
    page: urls::MY_USERS,
    list: urls::MY_USERS,
    invite: urls::MY_USER_INVITE,
    user: None,
    role: Some(urls::MY_USER_ROLE),
    remove: urls::MY_USER_REMOVE,
    restore: urls::MY_USER_RESTORE,
    resend: urls::MY_INVITATION_RESEND,
    revoke: urls::MY_INVITATION_REVOKE,
};

/// A customer the partner manages: its users are listed on its page and changed on each
/// user's page.
const CUSTOMER: Paths = Paths {
    kind: Kind::Account,
    page: urls::CUSTOMER_USER_INVITE,
    list: urls::CUSTOMER,
    invite: urls::CUSTOMER_USER_INVITE,
    user: Some(urls::CUSTOMER_USER),
    role: Some(urls::CUSTOMER_USER_ROLE),
    remove: urls::CUSTOMER_USER_REMOVE,
    restore: urls::CUSTOMER_USER_RESTORE,
    resend: urls::CUSTOMER_INVITATION_RESEND,
    revoke: urls::CUSTOMER_INVITATION_REVOKE,
};

/// Where members are managed from: one side's paths, filled in.
#[derive(Clone, Copy)]
pub struct Place {
    at: &'static Paths,
    /// The managed customer whose pages these are.
    customer: Option<RegistrationId>,
}

impl Place {
    /// A customer the partner manages.
    pub fn customer(id: RegistrationId) -> Self {
        Self {
            at: &CUSTOMER,
            customer: Some(id),
        }
    }

    fn kind(self) -> Kind {
        self.at.kind
    }

    /// The members page lists the users with their buttons (else it is the invitation form).
    fn lists(self) -> bool {
        self.at.page == self.at.list
    }

    /// `pattern` filled with the customer (if any), then `item` (a user, an invitation).
    fn path(self, pattern: &str, item: Option<&dyn std::fmt::Display>) -> String {
        let customer = self.customer.as_ref().map(|c| c as &dyn std::fmt::Display);
        let values: Vec<_> = customer.into_iter().chain(item).collect();
        urls::fill(pattern, &values)
    }

    fn list(self) -> String {
        self.path(self.at.list, None)
    }

    fn back(self, user: UserId) -> String {
        self.user_page(user).unwrap_or_else(|| self.list())
    }

    fn user_page(self, user: UserId) -> Option<String> {
        Some(self.path(self.at.user?, Some(&user)))
    }
}

/// How each kind's pages name things.
struct Words {
    remove: &'static str,
    restore: &'static str,
    /// A deactivated user's status.
    removed: &'static str,
    removed_news: &'static str,
    restored_news: &'static str,
    remove_button: &'static str,
    remove_explanation: &'static str,
    /// The roles as the invitation form describes them: member, admin.
    roles: [&'static str; 2],
}

const COMPANY_WORDS: Words = Words {
    remove: "Deactivate",
    restore: "Reactivate",
    removed: "Deactivated",
    removed_news: "has been deactivated.",
    restored_news: "has been reactivated.",
    remove_button: "Deactivate the user",
    remove_explanation: "They are signed out everywhere at once and cannot sign in until an \
        admin reactivates them. What they did stays recorded.",
    roles: [
        "Member: works with customers",
        "Admin: also manages users and company details",
    ],
};

const ACCOUNT_WORDS: Words = Words {
    remove: "Remove",
    restore: "Restore",
    removed: "Removed",
    removed_news: "has been removed.",
    restored_news: "has been restored; their seats were not given back.",
    remove_button: "Remove the user",
    remove_explanation: "They are signed out everywhere at once, cannot sign in any more and \
        lose the license seats they hold. What they did stays recorded, and an admin can \
        restore them later.",
    roles: [
        "Member: uses the licenses given to them",
        "Admin: also gives seats and manages the account's users",
    ],
};

fn words(kind: Kind) -> &'static Words {
    match kind {
        Kind::Partner => &COMPANY_WORDS,
        Kind::Account => &ACCOUNT_WORDS,
    }
}

/// Who acts on members, and from where: what each page's handlers are built for.
pub trait Side: FromRequest + 'static {
    fn principal(&self) -> Principal;
    fn by(&self) -> By<'_>;
    fn place(&self) -> Place;
}

impl Side for PartnerUser {
    fn principal(&self) -> Principal {
        PartnerUser::principal(self)
    }
    fn by(&self) -> By<'_> {
        By::Member(&self.user)
    }
    fn place(&self) -> Place {
        Place {
            at: &COMPANY,
            customer: None,
        }
    }
}

impl Side for CustomerUser {
    fn principal(&self) -> Principal {
        CustomerUser::principal(self)
    }
    fn by(&self) -> By<'_> {
        match self.acting_as() {
            Some(a) => By::LoginAs {
                member: &a.customer,
                partner_user: &a.by,
                partner: &a.partner,
            },
            None => By::Member(self.user()),
        }
    }
    fn place(&self) -> Place {
        Place {
            at: &MY_ACCOUNT,
            customer: None,
        }
    }
}

/// A partner user on the pages of one of its customers (`/customers/{id}/…`).
pub struct OnCustomer {
    user: PartnerUser,
    id: RegistrationId,
}

impl FromRequest for OnCustomer {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = PartnerUser::from_request(req, payload);
        let id = parse_id(req.match_info().query("id"));
        Box::pin(async move {
            let user = user.await?;
            Ok(Self { user, id: id? })
        })
    }
}

impl Side for OnCustomer {
    fn principal(&self) -> Principal {
        self.user.principal()
    }
    fn by(&self) -> By<'_> {
        By::Partner {
            user: &self.user.user,
            partner: &self.user.partner,
            customer: self.id,
        }
    }
    fn place(&self) -> Place {
        Place::customer(self.id)
    }
}

/// A button that posts a small form: an action on one record.
pub struct Button {
    pub action: String,
    pub label: &'static str,
    /// Read after the label to screen readers, naming the record.
    pub hidden: String,
    /// A field sent with it.
    pub field: Option<(&'static str, &'static str)>,
    pub danger: bool,
}

/// What may be done to a user at `place`, for those who manage its members: give them the
/// other role (where roles change) or deactivate them; or reactivate them.
pub fn buttons(place: Place, u: &User) -> Vec<Button> {
    let w = words(place.kind());
    let button = |action, label, danger| Button {
        action,
        label,
        hidden: format!(" {}", u.name),
        field: None,
        danger,
    };
    if !u.active {
        return vec![button(
            place.path(place.at.restore, Some(&u.id)),
            w.restore,
            false,
        )];
    }
    let role = place.at.role.map(|role| {
        let (label, value) = if u.is_admin() {
            ("Make member", "member")
        } else {
            ("Make admin", "admin")
        };
        Button {
            hidden: format!(": {}", u.name),
            field: Some(("role", value)),
            ..button(place.path(role, Some(&u.id)), label, false)
        }
    });
    role.into_iter()
        .chain([button(
            place.path(place.at.remove, Some(&u.id)),
            w.remove,
            true,
        )])
        .collect()
}

/// A user as the lists show it.
pub struct MemberRow {
    pub id: UserId,
    pub name: String,
    /// Their own page, where there is one.
    pub href: Option<String>,
    pub is_me: bool,
    pub email: String,
    pub role: &'static str,
    pub active: bool,
    pub last_sign_in: String,
    pub buttons: Vec<Button>,
}

pub struct InvitationRow {
    pub email: String,
    pub role: &'static str,
    pub sent: String,
    pub expires: String,
    pub resend: String,
    pub revoke: String,
}

/// The members part of a page, as all three show it (`partials/members/*.html`).
#[derive(Default)]
pub struct MembersView {
    pub users: Vec<MemberRow>,
    /// Pending invitations (for those who manage the members).
    pub invitations: Vec<InvitationRow>,
    /// The users table has a column of buttons.
    pub actions: bool,
    pub can_manage: bool,
    /// A deactivated user's status.
    pub removed: &'static str,
    pub invite_action: String,
    /// The roles as the invitation form describes them: member, admin.
    pub roles: [&'static str; 2],
    /// How long an invitation's link works.
    pub days: i64,
}

/// The members part of a page at `place`, as `team` sees it.
pub async fn view(state: &AppState, team: &Team, place: Place) -> AppResult<MembersView> {
    let roster = team.list(&state.core).await?;
    let w = words(place.kind());
    let actions = team.can_manage && place.lists();
    let users = roster
        .users
        .into_iter()
        .map(|u| MemberRow {
            buttons: if actions && Some(u.id) != team.me {
                buttons(place, &u)
            } else {
                vec![]
            },
            href: place.user_page(u.id),
            is_me: Some(u.id) == team.me,
            role: u.role.label(),
            active: u.active,
            last_sign_in: u
                .last_sign_in_at
                .as_ref()
                .map(fmt_datetime)
                .unwrap_or_else(|| "Never".into()),
            id: u.id,
            name: u.name,
            email: u.email,
        })
        .collect();
    let invitations = roster
        .invitations
        .into_iter()
        .map(|i| InvitationRow {
            resend: place.path(place.at.resend, Some(&i.id)),
            revoke: place.path(place.at.revoke, Some(&i.id)),
            email: i.email,
            role: i.role.label(),
            sent: fmt_datetime(&i.sent_at),
            expires: fmt_datetime(&i.expires_at),
        })
        .collect();
    Ok(MembersView {
        users,
        invitations,
        actions,
        can_manage: team.can_manage,
        removed: w.removed,
        invite_action: place.path(place.at.invite, None),
        roles: w.roles,
        days: state.core.links.invite_ttl.num_days(),
    })
}

/// The invitation form's values as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
struct InviteParams {
    email: String,
    role: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoleParams {
    role: String,
}

/// A form that is sent again from its confirmation page.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Confirm {
    confirmed: String,
}

/// The members page: the users, the pending invitations and the invitation form (or, for a
/// managed customer, the form alone).
#[derive(Template)]
#[template(path = "members/page.html")]
struct Page {
    ctx: Ctx,
    /// The organisation's name.
    company: String,
    /// A partner's company (else a customer account).
    partner: bool,
    /// A managed customer's invitation form (else the members page).
    customer: bool,
    /// Where the users are listed.
    list: String,
    members: MembersView,
    form: InviteParams,
    errors: FieldErrors,
}

async fn render_page<S: Side>(
    req: &HttpRequest,
    state: &AppState,
    side: &S,
    team: &Team,
    form: InviteParams,
    errors: FieldErrors,
) -> AppResult<HttpResponse> {
    let place = side.place();
    let page = Page {
        ctx: Ctx::new(req, Some(&side.principal())),
        company: team.name.clone(),
        partner: place.kind() == Kind::Partner,
        customer: place.customer.is_some(),
        list: place.list(),
        members: view(state, team, place).await?,
        form,
        errors,
    };
    if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    }
}

/// The members of the side's organisation; to manage them when the page is only for that.
async fn open<S: Side>(state: &AppState, side: &S, to_manage: bool) -> AppResult<Team> {
    let core = &state.core;
    Ok(if to_manage {
        svc::manage(core, side.principal().actor(), side.by()).await?
    } else {
        svc::open(core, side.principal().actor(), side.by()).await?
    })
}

/// A record's id from the path (`user`, `inv`).
fn target<T: std::str::FromStr>(req: &HttpRequest, name: &str) -> AppResult<T> {
    parse_id(req.match_info().query(name))
}

/// Back to `to` with what happened, or with why it could not happen.
fn back(
    session: &Session,
    to: &str,
    result: Result<String, MemberError>,
) -> AppResult<HttpResponse> {
    match result {
        Ok(msg) => Ok(redirect_with(session, to, "success", &msg)),
        Err(e @ (MemberError::LastAdmin | MemberError::NotYourself(_))) => {
            Ok(redirect_with(session, to, "error", &e.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

async fn page<S: Side>(
    req: HttpRequest,
    state: web::Data<AppState>,
    side: S,
) -> AppResult<HttpResponse> {
    let team = open(&state, &side, !side.place().lists()).await?;
    let form = InviteParams {
        email: String::new(),
        role: "member".into(),
    };
    render_page(&req, &state, &side, &team, form, FieldErrors::default()).await
}

async fn invite<S: Side>(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    side: S,
    form: CsrfForm<InviteParams>,
) -> AppResult<HttpResponse> {
    let team = open(&state, &side, true).await?;
    let p = form.0;
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&p.email));
    let role = errors.check("role", PartnerRole::parse(&p.role));
    if let (Some(email), Some(role)) = (email, role) {
        match team.invite(&state.core, &email, role).await {
            Ok(()) => {
                let news = format!("Invitation sent to {email}.");
                return Ok(redirect_with(
                    &session,
                    &side.place().list(),
                    "success",
                    &news,
                ));
            }
            Err(e @ MemberError::EmailTaken) => errors.add("email", e.to_string()),
            Err(e) => return Err(e.into()),
        }
    }
    render_page(&req, &state, &side, &team, p, errors).await
}

async fn set_role<S: Side>(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    side: S,
    form: CsrfForm<RoleParams>,
) -> AppResult<HttpResponse> {
    let team = open(&state, &side, true).await?;
    let user = target(&req, "user")?;
    let role = PartnerRole::parse(&form.0.role)
        .map_err(|_| AppError::BadRequest("Choose admin or member.".into()))?;
    let r = team.set_role(&state.core, user, role).await;
    let news = r.map(|u| format!("{} is now {}.", u.name, u.role.label().to_lowercase()));
    back(&session, &side.place().back(user), news)
}

/// Deactivates a user (after asking) or reactivates one.
async fn set_active<S: Side, const ACTIVE: bool>(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    side: S,
    form: CsrfForm<Confirm>,
) -> AppResult<HttpResponse> {
    let team = open(&state, &side, true).await?;
    let user = target(&req, "user")?;
    let (place, w) = (side.place(), words(side.place().kind()));
    if !ACTIVE && !confirmed(&form.0.confirmed) {
        let who = team.member(&state.core, user).await?;
        let whose = match place.customer {
            Some(_) => " from the customer's account",
            None => "",
        };
        return ask_first(
            &req,
            &side.principal(),
            &Confirmation {
                title: format!("{} {}{whose}?", w.remove, who.name),
                explanation: w.remove_explanation.into(),
                button: w.remove_button.into(),
                action: place.path(place.at.remove, Some(&user)),
                back: place.back(user),
                fields: vec![],
            },
        );
    }
    let r = team.set_active(&state.core, user, ACTIVE).await;
    let news = if ACTIVE {
        w.restored_news
    } else {
        w.removed_news
    };
    back(
        &session,
        &place.back(user),
        r.map(|u| format!("{} {news}", u.name)),
    )
}

/// Sends a pending invitation again (a new link to the same address with the same role; the
/// old link stops working), or revokes it.
async fn invitation<S: Side, const REVOKE: bool>(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    side: S,
    _f: CsrfForm<Confirm>,
) -> AppResult<HttpResponse> {
    let team = open(&state, &side, true).await?;
    let id = target(&req, "inv")?;
    let news = if REVOKE {
        let r = team.revoke(&state.core, id).await;
        r.map(|e| format!("The invitation to {e} is revoked; its link no longer works."))
    } else {
        let r = team.resend(&state.core, id).await;
        r.map(|e| format!("A new invitation was sent to {e}; the previous link no longer works."))
    };
    back(&session, &side.place().list(), news)
}
