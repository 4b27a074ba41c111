//! What every page's layout needs: the CSRF token for its forms, a flash message, and who is
//! signed in (for the navigation and the Account menu).
use actix_session::SessionExt;
use actix_web::{web, HttpRequest};

use crate::{
    auth::{
        csrf,
        session::{self, Flash},
        Principal,
    },
    state::AppState,
};

pub struct NavUser {
    pub name: String,
    pub email: String,
    pub is_staff: bool,
    pub is_customer: bool,
    pub is_admin: bool,
    pub company: String,
}

/// The banner every page shows while a partner user acts as a customer user (Login As).
pub struct ActingBanner {
    /// "Ann Lee (Acme)".
    pub whom: String,
    pub partner: String,
    pub minutes_left: i64,
}

pub struct Ctx {
    /// Set while a partner user acts as a customer user: the banner that cannot be hidden.
    pub acting: Option<ActingBanner>,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub user: Option<NavUser>,
    pub dev_mail: bool,
    /// The current path, to mark the active navigation link.
    pub path: String,
}

impl Ctx {
    pub fn new(req: &HttpRequest, user: Option<&Principal>) -> Self {
        let session = req.get_session();
        let dev_mail = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.config.dev_mail());
        let acting = match user {
            Some(Principal::ActingAs(a)) => Some(a.as_ref().clone()),
            _ if session::acting(&session).is_some() => session::signed_in(&session)
                .and_then(Principal::from_signed_in)
                .and_then(|p| match p {
                    Principal::ActingAs(a) => Some(*a),
                    _ => None,
                }),
            _ => None,
        }
        .map(|a| {
            let now = req
                .app_data::<web::Data<AppState>>()
                .map_or_else(chrono::Utc::now, |s| s.core.now());
            ActingBanner {
                whom: format!("{} ({})", a.customer.name, a.customer_company),
                partner: a.partner.company_name.clone(),
                minutes_left: ((a.until - now).num_seconds().max(0) + 59) / 60,
            }
        });
        Self {
            acting,
            csrf: csrf::token(req, &session),
            flash: session::take_flash(&session),
            user: user.map(|p| NavUser {
                name: p.user().name.clone(),
                email: p.user().email.clone(),
                is_staff: p.is_staff(),
                is_customer: p.is_customer(),
                is_admin: p.user().is_admin(),
                company: match p {
                    Principal::Partner { partner, .. } => partner.company_name.clone(),
                    Principal::Customer { .. } | Principal::ActingAs(_) => {
                        "Customer account".into()
                    }
                    Principal::Staff(_) => "Provider staff".into(),
                },
            }),
            dev_mail,
            path: req.path().to_string(),
        }
    }

    /// For error pages, which are rendered without access to the session.
    pub fn bare() -> Self {
        Self {
            acting: None,
            csrf: String::new(),
            flash: None,
            user: None,
            dev_mail: false,
            path: String::new(),
        }
    }

    pub fn is_staff(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_staff)
    }

    pub fn is_partner(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| !u.is_staff && !u.is_customer)
    }

    pub fn active(&self, prefix: &str) -> bool {
        if prefix == "/" {
            self.path == "/"
        } else {
            self.path.starts_with(prefix)
        }
    }
}
