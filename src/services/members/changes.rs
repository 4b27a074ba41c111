//! Changing a member: deactivating (signed out everywhere, license seats taken back) and
//! reactivating, and changing the role where the kind has role changes. The organisation always
//! keeps an active admin.
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use super::{MemberError, Org, Team};
use crate::{
    domain::{PartnerRole, Role, UserId},
    entities::{license_seats, licenses, users},
    services::{
        audit, orders::refresh_usage, user_sessions::revoke_all as revoke_user_sessions,
        views::User, Core,
    },
};

impl Team {
    /// Deactivates a member (signed out everywhere, its seats taken back) or reactivates one.
    #[tracing::instrument(skip(self, core))]
    pub async fn set_active(
        &self,
        core: &Core,
        user: UserId,
        active: bool,
    ) -> Result<User, MemberError> {
        self.may_manage()?;
        let rules = self.org.rules();
        if !active && self.actor.user_id == Some(user.uuid()) {
            return Err(MemberError::NotYourself(rules.not_yourself));
        }
        let txn = core.db.begin().await?;
        let u = self.user_row(&txn, user).await?;
        if u.active == active {
            return Ok(u.into());
        }
        if !active && u.role == Role::Admin && !another_admin(&txn, self.org, u.id).await? {
            return Err(MemberError::LastAdmin);
        }
        let u = users::Entity::update(users::ActiveModel {
            id: Set(u.id),
            active: Set(active),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        let mut detail = format!("{} <{}>", u.name, u.email);
        if !active {
            revoke_user_sessions(&txn, u.id).await?;
            let freed = take_back_seats(&txn, u.id).await?;
            if freed > 0 {
                let s = if freed == 1 { "" } else { "s" };
                detail.push_str(&format!("; {freed} seat{s} taken back"));
            }
        }
        let action = if active {
            rules.reactivated
        } else {
            rules.deactivated
        };
        let about = self.about(Some(u.id));
        audit::record(&txn, core.now(), &self.actor, action, about, &detail).await?;
        core.commit(txn).await?;
        Ok(u.into())
    }

    /// Makes a member an admin or a member, where the kind has role changes.
    #[tracing::instrument(skip(self, core))]
    pub async fn set_role(
        &self,
        core: &Core,
        user: UserId,
        role: PartnerRole,
    ) -> Result<User, MemberError> {
        self.may_manage()?;
        let action = self
            .org
            .rules()
            .role_changed
            .ok_or(MemberError::Forbidden)?;
        let role = Role::from(role);
        let txn = core.db.begin().await?;
        let u = self.user_row(&txn, user).await?;
        if u.role == role {
            return Ok(u.into());
        }
        if u.role == Role::Admin && u.active && !another_admin(&txn, self.org, u.id).await? {
            return Err(MemberError::LastAdmin);
        }
        let u = users::Entity::update(users::ActiveModel {
            id: Set(u.id),
            role: Set(role),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        let detail = format!("{} <{}> is now {}", u.name, u.email, role.label());
        let about = self.about(Some(u.id));
        audit::record(&txn, core.now(), &self.actor, action, about, &detail).await?;
        core.commit(txn).await?;
        Ok(u.into())
    }
}

/// Whether the organisation keeps an active admin other than `user`.
async fn another_admin(
    conn: &impl ConnectionTrait,
    org: Org,
    user: Uuid,
) -> Result<bool, MemberError> {
    Ok(users::Entity::find()
        .filter(org.users())
        .filter(users::Column::Role.eq(Role::Admin))
        .filter(users::Column::Active.eq(true))
        .filter(users::Column::Id.ne(user))
        .count(conn)
        .await?
        > 0)
}

/// Frees every seat the user holds (only a customer account's users hold any), keeping each
/// license's count of given seats right.
async fn take_back_seats(conn: &impl ConnectionTrait, user: Uuid) -> Result<usize, MemberError> {
    let held: Vec<Uuid> = license_seats::Entity::find()
        .filter(license_seats::Column::UserId.eq(user))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| s.license_id)
        .collect();
    if held.is_empty() {
        return Ok(0);
    }
    license_seats::Entity::delete_many()
        .filter(license_seats::Column::UserId.eq(user))
        .exec(conn)
        .await?;
    licenses::Entity::update_many()
        .col_expr(
            licenses::Column::SeatsAssigned,
            Expr::col(licenses::Column::SeatsAssigned).sub(1),
        )
        .filter(licenses::Column::Id.is_in(held.clone()))
        .exec(conn)
        .await?;
    let mut regs: Vec<Uuid> = licenses::Entity::find()
        .filter(licenses::Column::Id.is_in(held.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|l| l.registration_id)
        .collect();
    regs.sort();
    regs.dedup();
    refresh_usage(conn, &regs).await?;
    Ok(held.len())
}
