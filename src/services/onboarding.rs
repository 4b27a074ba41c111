//! "Onboard a customer to current partner" (the vendor's API, seed 001): register a new
//! account (a password is given) or link an existing one (no password), answered with the
//! vendor's status codes 1–7. The registration enters the same workflow as one made in the
//! browser. Checks run in the order 6, 5, then the rest.
use super::{Core, Fault};

use super::{
    accounts::{self, NewAccount},
    api_apps::{self, ApiClient},
    auth::find_user_by_email,
    registrations::{self as regs, NewCustomer, RegError, Terms},
    views::{Account, Registration},
};
use crate::{
    domain::{
        account::{parse_data_center, parse_tags},
        eligibility::Rule,
        registration::Status,
        AccountId, BillingMode, CountryCode, CustomerType, Email, NewPassword, PartnerId, Phone,
        PlainName, RegistrationId,
    },
    entities::registrations,
    security::password::HashError,
};

/// The body, after the JSON shape was checked (required fields present and of the right type).
pub struct Onboard {
    pub first_name: String,
    pub last_name: String,
    pub organization_name: String,
    pub registration_account: Email,
    pub country_code: String,
    pub telephone_number: Option<String>,
    pub data_center: String,
    pub password: Option<String>,
    pub tags: Vec<String>,
    pub management_mode: bool,
}

/// Why a status other than 1 was given: a rule or a field, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: String,
    pub field: Option<String>,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub status: u8,
    pub id: Option<RegistrationId>,
    pub customer_id: Option<AccountId>,
    pub errors: Vec<Problem>,
}

fn outcome(
    status: u8,
    id: Option<RegistrationId>,
    customer_id: Option<AccountId>,
    errors: Vec<Problem>,
) -> Outcome {
    Outcome {
        status,
        id,
        customer_id,
        errors,
    }
}

fn rule_problems(verdicts: &[crate::domain::eligibility::Verdict]) -> Vec<Problem> {
    verdicts
        .iter()
        .filter(|v| !v.passed)
        .map(|v| Problem {
            code: v.rule.code().into(),
            field: None,
            message: v.message.clone(),
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum OnboardError {
    /// Password hashing is at capacity: try again shortly (429).
    #[error("busy")]
    Busy,
    #[error(transparent)]
    Registration(RegError),
    #[error(transparent)]
    Fault(#[from] Fault),
}

faults_into!(OnboardError);

impl From<RegError> for OnboardError {
    fn from(e: RegError) -> Self {
        match e {
            RegError::Fault(Fault::Hash(HashError::Busy)) => Self::Busy,
            RegError::Fault(f) => Self::Fault(f),
            e => Self::Registration(e),
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn onboard(core: &Core, client: &ApiClient, o: Onboard) -> Result<Outcome, OnboardError> {
    let partner = &client.partner;
    let email = o.registration_account.clone();
    let (facts, account) =
        regs::gather_facts(&core.db.read, partner.id, email.as_str(), None).await?;
    let account_id = account.as_ref().map(|a| AccountId::from(a.id));
    // 6: the partner itself.
    if facts.is_partner_itself {
        return Ok(outcome(
            6,
            None,
            None,
            rule_problems(&crate::domain::eligibility::check(&facts))
                .into_iter()
                .filter(|p| p.code == Rule::NotThePartnerItself.code())
                .collect(),
        ));
    }
    // 5: already pending or active with this partner.
    if facts.with_this_partner.is_some() {
        let existing = live_with(core, partner.id, account_id).await?;
        return Ok(outcome(
            5,
            existing,
            account_id,
            vec![Problem {
                code: Rule::NotAlreadyWithThisPartner.code().into(),
                field: None,
                message: "This customer is already registered to you (pending or active).".into(),
            }],
        ));
    }
    let terms = |name: &str| -> Result<Terms, Problem> {
        Ok(Terms {
            friendly_name: PlainName::parse(name, "organization name")
                .map_err(|e| field_problem("organizationName", e.0))?,
            partner_role: PlainName::parse("Partner", "role")
                .map_err(|e| field_problem("partnerRole", e.0))?,
            customer_type: CustomerType::Customer,
            commission: client.app.default_commission,
            management_mode: o.management_mode,
        })
    };
    let actor = api_apps::actor(&client.app);
    match &o.password {
        Some(password) => {
            // 7: a new account asked for, but the email has one.
            if account.is_some()
                || find_user_by_email(&core.db.read, email.as_str())
                    .await?
                    .is_some()
            {
                return Ok(outcome(7, None, account_id, vec![Problem {
                    code: "customer_exists".into(),
                    field: Some("registrationAccount".into()),
                    message: "An account with this email already exists; send the request without a password to link it.".into(),
                }]));
            }
            let mut errors = Vec::new();
            let company = PlainName::parse(&o.organization_name, "organization name")
                .map_err(|e| field_problem("organizationName", e.0));
            let admin = PlainName::parse(
                &format!("{} {}", o.first_name.trim(), o.last_name.trim()),
                "first and last name",
            )
            .map_err(|e| field_problem("firstName", e.0));
            let country =
                CountryCode::parse(&o.country_code).map_err(|e| field_problem("countryCode", e.0));
            let phone = match o
                .telephone_number
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                None => Ok(None),
                Some(p) => Phone::parse(p)
                    .map(Some)
                    .map_err(|e| field_problem("telephoneNumber", e.0)),
            };
            let dc =
                parse_data_center(&o.data_center).map_err(|e| field_problem("dataCenter", e.0));
            let tags = parse_tags(&o.tags.join(",")).map_err(|e| field_problem("tags", e.0));
            let pw = NewPassword::parse(password, Some(email.as_str()))
                .map_err(|e| field_problem("password", e.0));
            let terms = terms(&o.organization_name);
            macro_rules! take {
                ($r:expr) => {
                    match $r {
                        Ok(v) => Some(v),
                        Err(p) => {
                            errors.push(p);
                            None
                        }
                    }
                };
            }
            let (company, admin, country, phone, dc, tags, pw, terms) = (
                take!(company),
                take!(admin),
                take!(country),
                take!(phone),
                take!(dc),
                take!(tags),
                take!(pw),
                take!(terms),
            );
            let (
                Some(company),
                Some(admin),
                Some(country),
                Some(phone),
                Some(dc),
                Some(tags),
                Some(pw),
                Some(terms),
            ) = (company, admin, country, phone, dc, tags, pw, terms)
            else {
                return Ok(outcome(4, None, None, errors));
            };
            let hash = core.hasher.hash(pw.expose()).await.map_err(|e| match e {
                HashError::Busy => OnboardError::Busy,
                e => OnboardError::Fault(e.into()),
            })?;
            let customer = NewCustomer {
                account: NewAccount {
                    company_name: company,
                    primary_email: email,
                    country,
                    phone,
                    data_center: dc,
                    tags,
                    billing_mode: BillingMode::Prepaid,
                    in_poc: false,
                    active: true,
                },
                admin_name: admin,
                password_hash: Some(hash),
            };
            match regs::add_new(
                core,
                &actor,
                partner,
                customer,
                terms,
                crate::domain::Channel::Api,
            )
            .await
            {
                Ok((reg, acct)) => Ok(outcome(1, Some(reg.id), Some(acct.id), vec![])),
                Err(RegError::AccountExists) => Ok(outcome(7, None, None, vec![])),
                Err(RegError::Ineligible(v))
                    if v.iter().any(|v| v.rule == Rule::NotThePartnerItself) =>
                {
                    Ok(outcome(6, None, None, rule_problems(&v)))
                }
                Err(RegError::Ineligible(v)) => Ok(outcome(4, None, None, rule_problems(&v))),
                Err(e) => Err(e.into()),
            }
        }
        None => {
            // 3: link asked for, but no account has that email.
            let Some(account) = account else {
                return Ok(outcome(3, None, None, vec![Problem {
                    code: Rule::AccountExists.code().into(),
                    field: Some("registrationAccount".into()),
                    message: "No account uses this email. Send a password to register a new customer instead.".into(),
                }]));
            };
            let account_id = AccountId::from(account.id);
            let terms = match terms(&o.organization_name) {
                Ok(t) => t,
                Err(p) => return Ok(outcome(2, None, Some(account_id), vec![p])),
            };
            match regs::link_existing(
                core,
                &actor,
                partner,
                &facts,
                Some(account.clone()),
                terms,
                crate::domain::Channel::Api,
            )
            .await
            {
                Ok(reg) => Ok(outcome(1, Some(reg.id), Some(account_id), vec![])),
                Err(RegError::Ineligible(v)) => {
                    let problems = rule_problems(&v);
                    // A race lost to ourselves still means "already managed by you".
                    if problems
                        .iter()
                        .any(|p| p.code == Rule::NotAlreadyWithThisPartner.code())
                    {
                        let existing = live_with(core, partner.id, Some(account_id)).await?;
                        return Ok(outcome(5, existing, Some(account_id), problems));
                    }
                    Ok(outcome(2, None, Some(account_id), problems))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

fn field_problem(field: &str, message: String) -> Problem {
    Problem {
        code: "invalid_field".into(),
        field: Some(field.into()),
        message,
    }
}

async fn live_with(
    core: &Core,
    partner_id: PartnerId,
    account_id: Option<AccountId>,
) -> Result<Option<RegistrationId>, OnboardError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let Some(account_id) = account_id else {
        return Ok(None);
    };
    Ok(registrations::Entity::find()
        .filter(registrations::Column::PartnerId.eq(partner_id.uuid()))
        .filter(registrations::Column::AccountId.eq(account_id.uuid()))
        .filter(regs::is_live())
        .one(&core.db.read)
        .await?
        .map(|r| r.id.into()))
}

/// The partner's registrations for `GET …/customers`, newest first.
#[tracing::instrument(skip_all, level = "debug")]
pub async fn list(
    core: &Core,
    partner_id: PartnerId,
    search: &str,
    status: Option<Status>,
    page: u64,
    page_size: u64,
) -> Result<(Vec<regs::CustomerRow>, bool), OnboardError> {
    let mut rows = regs::list(
        core,
        partner_id,
        &regs::CustomerQuery {
            expiring_by: None,
            q: search.to_string(),
            status,
            customer_type: None,
            sort: regs::CustomerSort::Created,
            desc: true,
            offset: accounts::page_offset(page, page_size),
            limit: page_size,
            after: None,
        },
    )
    .await?;
    let more = rows.len() as u64 > page_size;
    rows.truncate(page_size as usize);
    Ok((rows, more))
}

/// One of the partner's registrations with its account.
#[tracing::instrument(skip_all, level = "debug")]
pub async fn get(
    core: &Core,
    partner_id: PartnerId,
    id: RegistrationId,
) -> Result<Option<(Registration, Account)>, OnboardError> {
    match regs::customer(core, partner_id, id).await {
        Ok(c) => Ok(Some((c.registration, c.account))),
        Err(RegError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
