//! Extractors that admit only the right kind of signed-in user. A handler that takes
//! `PartnerUser` never runs for anyone else; its queries are scoped by `org_id()`, and what it
//! does is recorded under `actor()`. No handler builds an actor or checks a role by hand.
use actix_session::{Session, SessionExt};
use actix_web::{dev::Payload, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::{principal::Principal, session};
use crate::{
    domain::{AccountId, PartnerId},
    error::AppError,
    services::{
        audit::Actor,
        views::{Partner, User},
    },
};

/// A signed-in user who must use a second factor and has not set one up yet: until they
/// do, only the set-up page and signing out are open to them.
#[derive(Clone, Copy)]
struct MustEnrol(bool);

/// The request's principal, read with the session (see `session_store`), once per request.
fn load(req: &HttpRequest, session: &Session) -> Option<Principal> {
    load_with_enrolment(req, session).map(|(p, _)| p)
}

fn load_with_enrolment(req: &HttpRequest, session: &Session) -> Option<(Principal, bool)> {
    if let (Some(cached), Some(must)) = (
        req.extensions().get::<Principal>(),
        req.extensions().get::<MustEnrol>(),
    ) {
        return Some((cached.clone(), must.0));
    }
    session::user_id(session)?;
    let Some(signed_in) = session::signed_in(session) else {
        // No user behind the session any more (deleted), or its row could not be read.
        session::sign_out(session);
        return None;
    };
    // A deactivated user or a suspended partner is signed out on their next request.
    let suspended = signed_in.partner.as_ref().is_some_and(|p| !p.active);
    if !signed_in.user.active || suspended {
        session::sign_out(session);
        return None;
    }
    // Read from the user and the partner of this request: a partner that starts requiring
    // it sends its users to set it up on their next request.
    let must_enrol = !signed_in.user.two_factor
        && crate::domain::two_factor::required(
            signed_in.user.kind,
            signed_in.user.role,
            signed_in
                .partner
                .as_ref()
                .is_some_and(|p| p.require_two_factor),
        );
    let principal = Principal::from_signed_in(signed_in)?;
    req.extensions_mut().insert(principal.clone());
    req.extensions_mut().insert(MustEnrol(must_enrol));
    Some((principal, must_enrol))
}

fn not_signed_in(req: &HttpRequest) -> AppError {
    let next = match req.method() {
        &actix_web::http::Method::GET => req
            .uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "/".into()),
        _ => "/".into(),
    };
    AppError::NotSignedIn { next }
}

/// The signed-in user of this request must set up a second factor before anything else
/// (read once `MaybePrincipal` or `Principal` was extracted).
pub fn must_enrol(req: &HttpRequest) -> bool {
    req.extensions().get::<MustEnrol>().is_some_and(|m| m.0)
}

/// Optional: pages that look different when someone is signed in.
pub struct MaybePrincipal(pub Option<Principal>);

impl FromRequest for MaybePrincipal {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(MaybePrincipal(load(req, &req.get_session()))))
    }
}

impl FromRequest for Principal {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(match load_with_enrolment(req, &req.get_session()) {
            None => Err(not_signed_in(req)),
            Some((_, true)) => Err(AppError::SetUpSecondFactor),
            Some((p, false)) => Ok(p),
        })
    }
}

/// Any signed-in user, including one who still has to set up a required second factor: the
/// set-up page itself.
pub struct Enrolling(pub Principal);

impl FromRequest for Enrolling {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            load(req, &req.get_session())
                .map(Enrolling)
                .ok_or_else(|| not_signed_in(req)),
        )
    }
}

/// Runs `pick` on the signed-in principal: not signed in → the sign-in page, the wrong kind
/// of user → 403.
fn admit<T: 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    pick: fn(Principal) -> Option<T>,
) -> LocalBoxFuture<'static, Result<T, AppError>> {
    let principal = Principal::from_request(req, payload);
    Box::pin(async move { pick(principal.await?).ok_or(AppError::Forbidden) })
}

/// A user of an active partner org.
#[derive(Clone)]
pub struct PartnerUser {
    pub user: User,
    pub partner: Partner,
}

impl PartnerUser {
    pub fn org_id(&self) -> PartnerId {
        self.partner.id
    }

    pub fn is_admin(&self) -> bool {
        self.user.is_admin()
    }

    pub fn actor(&self) -> Actor {
        Actor::user(&self.user)
    }

    pub fn principal(&self) -> Principal {
        Principal::Partner {
            user: self.user.clone(),
            partner: self.partner.clone(),
        }
    }
}

impl FromRequest for PartnerUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        admit(req, payload, |p| match p {
            Principal::Partner { user, partner } => Some(PartnerUser { user, partner }),
            _ => None,
        })
    }
}

/// A partner user with the `admin` role.
pub struct PartnerAdmin(pub PartnerUser);

impl FromRequest for PartnerAdmin {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        admit(req, payload, |p| match p {
            Principal::Partner { user, partner } if user.is_admin() => {
                Some(PartnerAdmin(PartnerUser { user, partner }))
            }
            _ => None,
        })
    }
}

/// Provider staff.
pub struct StaffUser {
    pub user: User,
}

impl StaffUser {
    pub fn actor(&self) -> Actor {
        Actor::user(&self.user)
    }

    pub fn principal(&self) -> Principal {
        Principal::Staff(self.user.clone())
    }
}

impl FromRequest for StaffUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        admit(req, payload, |p| match p {
            Principal::Staff(user) => Some(StaffUser { user }),
            _ => None,
        })
    }
}

/// A user of a customer account (or a partner user acting as one).
pub struct CustomerUser {
    pub account_id: AccountId,
    principal: Principal,
}

impl CustomerUser {
    pub fn user(&self) -> &User {
        self.principal.user()
    }

    pub fn actor(&self) -> Actor {
        self.principal.actor()
    }

    pub fn principal(&self) -> Principal {
        self.principal.clone()
    }

    /// The partner user signed in as this user (Login As), if it is one.
    pub fn acting_as(&self) -> Option<&super::principal::ActingAs> {
        match &self.principal {
            Principal::ActingAs(a) => Some(a),
            _ => None,
        }
    }

    /// An admin of the account, signed in as themselves (not a partner acting as them):
    /// decisions that are the customer's own, such as ending the relationship.
    pub fn is_own_admin(&self) -> bool {
        matches!(self.principal, Principal::Customer { .. }) && self.user().is_admin()
    }
}

impl FromRequest for CustomerUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        admit(req, payload, |p| match &p {
            Principal::Customer { account, .. } => Some(CustomerUser {
                account_id: *account,
                principal: p,
            }),
            Principal::ActingAs(a) => Some(CustomerUser {
                account_id: a.account,
                principal: p,
            }),
            _ => None,
        })
    }
}
