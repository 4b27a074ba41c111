//! Who hears about a registration, and through which message: the customer's confirmation
//! request, and the news of each transition for the partner's users, the customer and staff.
//! The wording lives in the email templates.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::RegError;
use crate::{
    domain::{countries, CommissionRate, UserKind},
    email::{
        messages::{self, Audience, News},
        outbox, EmailMessage,
    },
    entities::{accounts as account, partners, registrations, users},
    services::Core,
};

/// The email that carries a confirmation link to the account's primary address.
pub(super) fn confirmation_mail(
    core: &Core,
    partner_company: &str,
    partner_country: &str,
    account: &account::Model,
    reg: &registrations::Model,
    token: &str,
) -> Result<EmailMessage, RegError> {
    Ok(messages::RegistrationRequest {
        partner: partner_company.to_string(),
        partner_country: countries::name(partner_country)
            .unwrap_or(partner_country)
            .to_string(),
        customer: account.company_name.clone(),
        role: reg.partner_role.clone(),
        management_mode: reg.management_mode,
        new_account: reg.new_account,
        link: core.links.url(&format!("/confirm/{token}")),
        days: core.links.confirm_ttl.num_days().max(1),
    }
    .render(&account.primary_email)?)
}

/// The parties of one transition, and why it happened (a reason given, if any).
pub(super) struct Parties<'a> {
    pub reg: &'a registrations::Model,
    pub partner: &'a partners::Model,
    pub account: &'a account::Model,
    pub reason: &'a str,
}

impl<'a> Parties<'a> {
    pub fn of(
        reg: &'a registrations::Model,
        partner: &'a partners::Model,
        account: &'a account::Model,
        reason: &'a str,
    ) -> Self {
        Self {
            reg,
            partner,
            account,
            reason,
        }
    }

    fn news(&self, core: &Core, news: News, audience: Audience) -> messages::RegistrationNews {
        let link = match audience {
            Audience::Partner => core.links.url(&format!("/customers/{}", self.reg.id)),
            Audience::Customer => core.links.url("/my/partner"),
            Audience::Staff => core.links.url("/staff/audit"),
        };
        messages::RegistrationNews {
            news,
            audience,
            partner: self.partner.company_name.clone(),
            customer: self.account.company_name.clone(),
            role: self.reg.partner_role.clone(),
            commission: CommissionRate::from_bp(self.reg.commission_bp).to_string(),
            reason: self.reason.trim().to_string(),
            link: Some(link),
            contact: format!("{}, {}", self.partner.contact_name, self.partner.phone),
        }
    }

    /// Emails every active user of the partner.
    pub async fn tell_partner(
        &self,
        conn: &impl ConnectionTrait,
        core: &Core,
        news: News,
    ) -> Result<(), RegError> {
        let recipients = users::Entity::find()
            .filter(users::Column::PartnerId.eq(self.reg.partner_id))
            .filter(users::Column::Active.eq(true))
            .all(conn)
            .await?;
        let msg = self.news(core, news, Audience::Partner);
        for u in recipients {
            outbox::enqueue(conn, msg.render(&u.email)?).await?;
        }
        Ok(())
    }

    /// Emails the account's primary address.
    pub async fn tell_customer(
        &self,
        conn: &impl ConnectionTrait,
        core: &Core,
        news: News,
    ) -> Result<(), RegError> {
        let mut msg = self.news(core, news, Audience::Customer);
        // "See your partner" leads to a sign-in: only an account with users can use it.
        let signs_in = users::Entity::find()
            .filter(users::Column::AccountId.eq(self.account.id))
            .filter(users::Column::Active.eq(true))
            .one(conn)
            .await?
            .is_some();
        if !signs_in {
            msg.link = None;
        }
        outbox::enqueue(conn, msg.render(&self.account.primary_email)?).await?;
        Ok(())
    }

    /// Emails every active staff user.
    pub async fn tell_staff(
        &self,
        conn: &impl ConnectionTrait,
        core: &Core,
        news: News,
    ) -> Result<(), RegError> {
        let staff = users::Entity::find()
            .filter(users::Column::Kind.eq(UserKind::Staff))
            .filter(users::Column::Active.eq(true))
            .all(conn)
            .await?;
        let msg = self.news(core, news, Audience::Staff);
        for s in staff {
            outbox::enqueue(conn, msg.render(&s.email)?).await?;
        }
        Ok(())
    }
}
