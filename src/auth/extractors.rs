//! Extractors that admit only the right kind of signed-in user. A handler that takes
//! `PartnerUser` never runs for anyone else; its queries are scoped by `org_id()`.
use actix_session::{Session, SessionExt};
use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::session;
use crate::{
    domain::UserKind,
    entities::{partners, users},
    error::AppError,
    startup::AppState,
};

/// Whoever is signed in, with their partner org when they belong to one.
#[derive(Clone)]
pub struct CurrentUser {
    pub user: users::Model,
    pub partner: Option<partners::Model>,
}

impl CurrentUser {
    pub fn kind(&self) -> Option<UserKind> {
        UserKind::from_db(&self.user.kind)
    }
}

async fn load(req: &HttpRequest, session: &Session) -> Result<Option<CurrentUser>, AppError> {
    if let Some(cached) = req.extensions().get::<CurrentUser>() {
        return Ok(Some(cached.clone()));
    }
    let Some(uid) = session::user_id(session) else {
        return Ok(None);
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::unexpected("application state missing"))?;
    // Usually read with the session row (`session_store`); otherwise one query.
    let found = match session::principal(session) {
        Some(p) => Some((p.user, p.partner)),
        None => {
            tracing::debug!("the session came without its principal; reading the user");
            users::Entity::find_by_id(uid)
                .find_also_related(partners::Entity)
                .one(&state.core.db.read)
                .await?
        }
    };
    let Some((user, partner)) = found else {
        session::sign_out(session);
        return Ok(None);
    };
    // A deactivated user or a suspended partner is signed out on their next request.
    let suspended = partner.as_ref().is_some_and(|p| !p.active);
    if !user.active || suspended {
        session::sign_out(session);
        return Ok(None);
    }
    let current = CurrentUser { user, partner };
    req.extensions_mut().insert(current.clone());
    Ok(Some(current))
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

/// Optional: pages that look different when someone is signed in.
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeUser(load(&req, &req.get_session()).await?)) })
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            load(&req, &req.get_session())
                .await?
                .ok_or_else(|| not_signed_in(&req))
        })
    }
}

/// A user of an active partner org.
#[derive(Clone)]
pub struct PartnerUser {
    pub user: users::Model,
    pub partner: partners::Model,
}

impl PartnerUser {
    pub fn org_id(&self) -> Uuid {
        self.partner.id
    }

    pub fn is_admin(&self) -> bool {
        self.user.role == "admin"
    }

    pub fn current(&self) -> CurrentUser {
        CurrentUser {
            user: self.user.clone(),
            partner: Some(self.partner.clone()),
        }
    }
}

impl FromRequest for PartnerUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let current = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let c = current.await?;
            match (c.kind(), c.partner) {
                (Some(UserKind::Partner), Some(partner)) => Ok(PartnerUser {
                    user: c.user,
                    partner,
                }),
                _ => Err(AppError::Forbidden),
            }
        })
    }
}

/// A partner user with the `admin` role.
pub struct PartnerAdmin(pub PartnerUser);

impl FromRequest for PartnerAdmin {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let pu = PartnerUser::from_request(req, payload);
        Box::pin(async move {
            let pu = pu.await?;
            if pu.is_admin() {
                Ok(PartnerAdmin(pu))
            } else {
                Err(AppError::Forbidden)
            }
        })
    }
}

/// Provider staff.
pub struct StaffUser(pub CurrentUser);

impl FromRequest for StaffUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let current = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let c = current.await?;
            if c.kind() == Some(UserKind::Staff) {
                Ok(StaffUser(c))
            } else {
                Err(AppError::Forbidden)
            }
        })
    }
}

/// A user of a customer account.
pub struct CustomerUser {
    pub user: users::Model,
    pub account_id: Uuid,
}

impl FromRequest for CustomerUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let current = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let c = current.await?;
            match (c.kind(), c.user.account_id) {
                (Some(UserKind::Customer), Some(account_id)) => Ok(CustomerUser {
                    user: c.user,
                    account_id,
                }),
                _ => Err(AppError::Forbidden),
            }
        })
    }
}
