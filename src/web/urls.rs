//! Every path the HTML face serves, in one place: the route patterns that `routes()` mount
//! (constants, with `{id}`-style segments) and, for paths with a segment, a function that
//! builds the concrete path for a redirect, a link or a form (`urls::customer(id)` in Rust and
//! in templates), or [`fill`] for code that holds patterns as data (`web::members`). A path
//! changes here and nowhere else.
use std::fmt::Display;

use crate::domain::{
    AccountId, AppId, LicenseId, OrderId, PartnerId, ProductId, RegistrationId, UserId,
};

/// `pattern` with each `{…}` segment replaced, in order, by `values`.
pub fn fill(pattern: &str, values: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(pattern.len() + 40);
    let mut values = values.iter();
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(&rest[..start]);
        if let Some(v) = values.next() {
            out.push_str(&v.to_string());
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Builders for patterns with segments. An id argument takes the id or a reference to it
/// (templates pass references); any other argument is shown as it is.
macro_rules! built {
    ($($fun:ident($($arg:ident: $kind:tt $ty:ty),*) = $pattern:ident;)*) => {$(
        pub fn $fun($($arg: built!(@ty $kind $ty)),*) -> String {
            fill($pattern, &[$(&built!(@val $kind $arg)),*])
        }
    )*};
    (@ty id $ty:ty) => { impl std::borrow::Borrow<$ty> };
    (@ty as $ty:ty) => { $ty };
    (@val id $arg:ident) => { *$arg.borrow() };
    (@val as $arg:ident) => { $arg };
}

// ---- anyone
pub const HOME: &str = "/";
pub const HEALTHZ: &str = "/healthz";
pub const STATIC: &str = "/static";
pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
pub const PASSWORD_FORGOT: &str = "/password/forgot";
pub const PASSWORD_RESET: &str = "/password/reset/{token}";
pub const PASSWORD_CHANGE: &str = "/account/password";
/// The sign-in's second step: a code from the authenticator app (or a recovery code).
pub const LOGIN_CODE: &str = "/login/code";
/// The user's own security: two-factor sign-in and the signed-in sessions.
pub const ACCOUNT_SECURITY: &str = "/account/security";
pub const SECURITY_SESSION_END: &str = "/account/security/sessions/{id}/end";
pub const SECURITY_SESSIONS_END_OTHERS: &str = "/account/security/sessions/end-others";
pub const TWO_FACTOR: &str = "/account/two-factor";
pub const TWO_FACTOR_RECOVERY: &str = "/account/two-factor/recovery-codes";
pub const TWO_FACTOR_OFF: &str = "/account/two-factor/off";
/// A fresh code for a sensitive action.
pub const VERIFY: &str = "/account/verify";
pub const PARTNER_REGISTER: &str = "/partners/register";
pub const PARTNER_REGISTER_LINK: &str = "/partners/register/{token}";
pub const CUSTOMER_SIGNUP: &str = "/signup";
pub const CUSTOMER_SIGNUP_LINK: &str = "/signup/{token}";
pub const INVITATION: &str = "/invitations/{token}";
/// An invitation to join a customer account.
pub const JOIN: &str = "/join/{token}";
pub const API_GUIDE: &str = "/docs/api";
pub const OPENAPI: &str = "/api/openapi.json";
pub const DEV_MAIL: &str = "/dev/mail";
pub const DEV_MAIL_ONE: &str = "/dev/mail/{id}";
pub const PAY: &str = "/pay/{token}";
/// The pay page's card attempt (JavaScript, Stripe) and its return from 3-D Secure.
pub const PAY_CARD: &str = "/pay/{token}/card";
pub const PAY_RETURN: &str = "/pay/{token}/return";
/// Stripe's signed webhook.
pub const STRIPE_WEBHOOK: &str = "/webhooks/stripe";

// ---- partner users
pub const ACCOUNT_MENU: &str = "/account";
pub const COMPANY: &str = "/company";
pub const COMPANY_USERS: &str = "/company/users";
pub const COMPANY_LOGIN_AS: &str = "/company/login-as";
/// Staff reset a user's second factor.
pub const STAFF_USER_TWO_FACTOR_RESET: &str = "/staff/users/{id}/two-factor/reset";
/// Who signs in with a second factor, the rule for members, and the payout details.
pub const COMPANY_SECURITY: &str = "/company/security";
pub const COMPANY_TWO_FACTOR: &str = "/company/security/two-factor";
pub const COMPANY_PAYOUT: &str = "/company/security/payout";
pub const COMPANY_CREDIT_LIMITS: &str = "/company/credit-limits";
pub const COMPANY_INVITE: &str = "/company/users/invite";
pub const COMPANY_USER_DEACTIVATE: &str = "/company/users/{user}/deactivate";
pub const COMPANY_USER_REACTIVATE: &str = "/company/users/{user}/reactivate";
pub const COMPANY_INVITATION_RESEND: &str = "/company/invitations/{inv}/resend";
pub const COMPANY_INVITATION_REVOKE: &str = "/company/invitations/{inv}/revoke";
pub const CUSTOMERS: &str = "/customers";
pub const CUSTOMERS_EXPORT: &str = "/customers/export.csv";
pub const CUSTOMER_NEW: &str = "/customers/new";
pub const CUSTOMER: &str = "/customers/{id}";
pub const CUSTOMER_RESEND: &str = "/customers/{id}/resend";
pub const CUSTOMER_CANCEL: &str = "/customers/{id}/cancel";
pub const CUSTOMER_END: &str = "/customers/{id}/end";
pub const CUSTOMER_USER: &str = "/customers/{id}/users/{user}";
pub const CUSTOMER_PRICES: &str = "/customers/{id}/prices";
pub const CUSTOMER_USER_INVITE: &str = "/customers/{id}/users/invite";
pub const CUSTOMER_USER_ROLE: &str = "/customers/{id}/users/{user}/role";
pub const CUSTOMER_USER_REMOVE: &str = "/customers/{id}/users/{user}/remove";
pub const CUSTOMER_USER_RESTORE: &str = "/customers/{id}/users/{user}/restore";
pub const CUSTOMER_INVITATION_RESEND: &str = "/customers/{id}/invitations/{inv}/resend";
pub const CUSTOMER_INVITATION_REVOKE: &str = "/customers/{id}/invitations/{inv}/revoke";
pub const CUSTOMER_USER_LOGIN_AS: &str = "/customers/{id}/users/{user}/login-as";
pub const LOGIN_AS_END: &str = "/login-as/end";
pub const CUSTOMER_CREDITS: &str = "/customers/{id}/credits";
pub const CUSTOMER_CREDIT_GRANT: &str = "/customers/{id}/credits/grant";
pub const CUSTOMER_CREDIT_TOPUP: &str = "/customers/{id}/credits/top-up";
pub const INVOICE_CREDIT: &str = "/invoices/{id}/credit";
pub const INVOICE_PDF: &str = "/invoices/{id}/pdf";
pub const INVOICE_CREDIT_NOTE: &str = "/invoices/{id}/credit-note";
pub const PAY_PDF: &str = "/pay/{token}/pdf";
pub const PAY_CREDIT: &str = "/pay/{token}/credit";
pub const STAFF_CREDITS: &str = "/staff/credits";
pub const STAFF_REMINDERS: &str = "/staff/reminders";
pub const CUSTOMER_PRODUCT_PRICE: &str = "/customers/{id}/prices/{product}";
pub const CUSTOMER_ORDER_NEW: &str = "/customers/{id}/orders/new";
pub const CUSTOMER_TRIAL_NEW: &str = "/customers/{id}/trials/new";
pub const ORDER: &str = "/orders/{id}";
pub const ORDER_CANCEL: &str = "/orders/{id}/cancel";
pub const LICENSE: &str = "/licenses/{id}";
pub const LICENSE_SEATS: &str = "/licenses/{id}/seats";
pub const LICENSE_ASSIGN: &str = "/licenses/{id}/assign";
pub const LICENSE_UNASSIGN: &str = "/licenses/{id}/assign/{user}/remove";
pub const LICENSE_RENEWAL: &str = "/licenses/{id}/renewal";
pub const LICENSE_CONVERT: &str = "/licenses/{id}/convert";
pub const INVOICES: &str = "/invoices";
pub const INVOICES_EXPORT: &str = "/invoices/export.csv";
pub const INVOICE: &str = "/invoices/{id}";
pub const INVOICE_LINK: &str = "/invoices/{id}/link";
pub const INVOICE_SEND: &str = "/invoices/{id}/send";
pub const INVOICE_CLOSE: &str = "/invoices/{id}/close";
pub const REVENUE: &str = "/revenue";
pub const REVENUE_EXPORT: &str = "/revenue/export.csv";
pub const REVENUE_STATEMENT: &str = "/revenue/statements/{id}";
pub const APPS: &str = "/apps";
pub const APP: &str = "/apps/{id}";
pub const APP_ROTATE: &str = "/apps/{id}/rotate";
pub const APP_REVOKE: &str = "/apps/{id}/revoke";

// ---- customers
pub const CONFIRM: &str = "/confirm/{token}";
pub const MY_PARTNER: &str = "/my/partner";
pub const MY_PARTNER_END: &str = "/my/partner/end";
pub const MY_LICENSES: &str = "/my/licenses";
pub const MY_INVOICES: &str = "/my/invoices";
pub const MY_OVERVIEW: &str = "/my";
pub const MY_ACTIVITY: &str = "/my/activity";
pub const MY_ORDERS: &str = "/my/orders";
pub const MY_CREDITS: &str = "/my/credits";
pub const MY_USERS: &str = "/my/users";
pub const MY_USER_INVITE: &str = "/my/users/invite";
pub const MY_USER_ROLE: &str = "/my/users/{user}/role";
pub const MY_USER_REMOVE: &str = "/my/users/{user}/remove";
pub const MY_USER_RESTORE: &str = "/my/users/{user}/restore";
pub const MY_INVITATION_RESEND: &str = "/my/invitations/{inv}/resend";
pub const MY_INVITATION_REVOKE: &str = "/my/invitations/{inv}/revoke";
pub const MY_LICENSE_ASSIGN: &str = "/my/licenses/{id}/assign";
pub const MY_LICENSE_UNASSIGN: &str = "/my/licenses/{id}/assign/{user}/remove";

// ---- staff
pub const STAFF: &str = "/staff";
pub const STAFF_PARTNERS: &str = "/staff/partners";
pub const STAFF_PARTNER: &str = "/staff/partners/{id}";
pub const STAFF_PARTNER_SUSPEND: &str = "/staff/partners/{id}/suspend";
pub const STAFF_PARTNER_REACTIVATE: &str = "/staff/partners/{id}/reactivate";
pub const STAFF_PARTNER_CREDIT_CEILING: &str = "/staff/partners/{id}/credit-ceiling";
pub const STAFF_CREDIT_REQUESTS: &str = "/staff/credit-requests";
pub const STAFF_CREDIT_REQUEST_APPROVE: &str = "/staff/credit-requests/{id}/approve";
pub const STAFF_CREDIT_REQUEST_REFUSE: &str = "/staff/credit-requests/{id}/refuse";
pub const STAFF_ACCOUNTS: &str = "/staff/accounts";
pub const STAFF_ACCOUNT_NEW: &str = "/staff/accounts/new";
pub const STAFF_ACCOUNT_IMPORT: &str = "/staff/accounts/import";
pub const STAFF_ACCOUNT: &str = "/staff/accounts/{id}";
pub const STAFF_ACCOUNT_SERVICES: &str = "/staff/accounts/{id}/services";
pub const STAFF_ACCOUNT_DISCOUNTS: &str = "/staff/accounts/{id}/discounts";
pub const STAFF_ACCOUNT_CREDITS: &str = "/staff/accounts/{id}/credits";
pub const STAFF_ACCOUNT_ITEM_END: &str = "/staff/accounts/{id}/items/{item}/end";
pub const STAFF_APPROVALS: &str = "/staff/approvals";
pub const STAFF_APPROVAL: &str = "/staff/approvals/{id}";
pub const STAFF_APPROVAL_APPROVE: &str = "/staff/approvals/{id}/approve";
pub const STAFF_APPROVAL_REJECT: &str = "/staff/approvals/{id}/reject";
pub const STAFF_APPROVAL_END: &str = "/staff/approvals/{id}/end";
pub const STAFF_AUDIT: &str = "/staff/audit";
pub const STAFF_CATALOG: &str = "/staff/catalog";
pub const STAFF_PRODUCT_NEW: &str = "/staff/catalog/new";
pub const STAFF_CATALOG_IMPORT: &str = "/staff/catalog/import";
pub const STAFF_PRODUCT: &str = "/staff/catalog/{id}";
pub const STAFF_PRODUCT_RETIRE: &str = "/staff/catalog/{id}/retire";
pub const STAFF_PRODUCT_RESTORE: &str = "/staff/catalog/{id}/restore";
pub const STAFF_PARTNER_PRICES: &str = "/staff/partners/{id}/prices";
pub const STAFF_PARTNER_PRODUCT_PRICE: &str = "/staff/partners/{id}/prices/{product}";
pub const STAFF_TAX_RATES: &str = "/staff/tax-rates";
pub const STAFF_INVOICES: &str = "/staff/invoices";
pub const STAFF_INVOICES_EXPORT: &str = "/staff/invoices/export.csv";
pub const PRICE_LIST: &str = "/price-lists";
pub const STAFF_REVENUE: &str = "/staff/revenue";
pub const STAFF_REVENUE_EXPORT: &str = "/staff/revenue/export.csv";
pub const STAFF_REVENUE_ADVANCE: &str = "/staff/revenue/advance";
pub const STAFF_REVENUE_STATEMENT: &str = "/staff/revenue/statements/{id}";

built! {
    password_reset(token: as &str) = PASSWORD_RESET;
    partner_register_link(token: as &str) = PARTNER_REGISTER_LINK;
    customer_signup_link(token: as &str) = CUSTOMER_SIGNUP_LINK;
    invitation(token: as &str) = INVITATION;
    join(token: as &str) = JOIN;
    dev_mail_one(id: as impl Display) = DEV_MAIL_ONE;
    pay(token: as &str) = PAY;
    pay_card(token: as &str) = PAY_CARD;
    pay_return(token: as &str) = PAY_RETURN;
    customer(id: id RegistrationId) = CUSTOMER;
    staff_user_two_factor_reset(id: id UserId) = STAFF_USER_TWO_FACTOR_RESET;
    security_session_end(id: as impl Display) = SECURITY_SESSION_END;
    customer_resend(id: id RegistrationId) = CUSTOMER_RESEND;
    customer_cancel(id: id RegistrationId) = CUSTOMER_CANCEL;
    customer_end(id: id RegistrationId) = CUSTOMER_END;
    customer_user(id: id RegistrationId, user: id UserId) = CUSTOMER_USER;
    customer_user_login_as(id: id RegistrationId, user: id UserId) = CUSTOMER_USER_LOGIN_AS;
    customer_prices(id: id RegistrationId) = CUSTOMER_PRICES;
    customer_credits(id: id RegistrationId) = CUSTOMER_CREDITS;
    customer_credit_grant(id: id RegistrationId) = CUSTOMER_CREDIT_GRANT;
    customer_credit_topup(id: id RegistrationId) = CUSTOMER_CREDIT_TOPUP;
    invoice_credit(id: as impl Display) = INVOICE_CREDIT;
    invoice_pdf(id: as impl Display) = INVOICE_PDF;
    invoice_credit_note(id: as impl Display) = INVOICE_CREDIT_NOTE;
    pay_pdf(token: as &str) = PAY_PDF;
    pay_credit(token: as &str) = PAY_CREDIT;
    customer_product_price(id: id RegistrationId, product: id ProductId) = CUSTOMER_PRODUCT_PRICE;
    customer_order_new(id: id RegistrationId) = CUSTOMER_ORDER_NEW;
    customer_trial_new(id: id RegistrationId) = CUSTOMER_TRIAL_NEW;
    order(id: id OrderId) = ORDER;
    order_cancel(id: id OrderId) = ORDER_CANCEL;
    license(id: id LicenseId) = LICENSE;
    license_seats(id: id LicenseId) = LICENSE_SEATS;
    license_assign(id: id LicenseId) = LICENSE_ASSIGN;
    license_unassign(id: id LicenseId, user: id UserId) = LICENSE_UNASSIGN;
    license_renewal(id: id LicenseId) = LICENSE_RENEWAL;
    license_convert(id: id LicenseId) = LICENSE_CONVERT;
    invoice(id: as impl Display) = INVOICE;
    invoice_link(id: as impl Display) = INVOICE_LINK;
    invoice_send(id: as impl Display) = INVOICE_SEND;
    invoice_close(id: as impl Display) = INVOICE_CLOSE;
    revenue_statement(id: as impl Display) = REVENUE_STATEMENT;
    staff_revenue_statement(id: as impl Display) = STAFF_REVENUE_STATEMENT;
    app(id: id AppId) = APP;
    app_rotate(id: id AppId) = APP_ROTATE;
    app_revoke(id: id AppId) = APP_REVOKE;
    confirm(token: as &str) = CONFIRM;
    my_license_assign(id: id LicenseId) = MY_LICENSE_ASSIGN;
    my_license_unassign(id: id LicenseId, user: id UserId) = MY_LICENSE_UNASSIGN;
    staff_partner(id: id PartnerId) = STAFF_PARTNER;
    staff_partner_suspend(id: id PartnerId) = STAFF_PARTNER_SUSPEND;
    staff_partner_reactivate(id: id PartnerId) = STAFF_PARTNER_REACTIVATE;
    staff_partner_credit_ceiling(id: id PartnerId) = STAFF_PARTNER_CREDIT_CEILING;
    staff_credit_request_approve(id: as impl Display) = STAFF_CREDIT_REQUEST_APPROVE;
    staff_credit_request_refuse(id: as impl Display) = STAFF_CREDIT_REQUEST_REFUSE;
    staff_account(id: id AccountId) = STAFF_ACCOUNT;
    staff_account_services(id: id AccountId) = STAFF_ACCOUNT_SERVICES;
    staff_account_discounts(id: id AccountId) = STAFF_ACCOUNT_DISCOUNTS;
    staff_account_credits(id: id AccountId) = STAFF_ACCOUNT_CREDITS;
    staff_account_item_end(id: id AccountId, item: as impl Display) = STAFF_ACCOUNT_ITEM_END;
    staff_approval(id: id RegistrationId) = STAFF_APPROVAL;
    staff_approval_approve(id: id RegistrationId) = STAFF_APPROVAL_APPROVE;
    staff_approval_reject(id: id RegistrationId) = STAFF_APPROVAL_REJECT;
    staff_approval_end(id: id RegistrationId) = STAFF_APPROVAL_END;
    staff_product(id: id ProductId) = STAFF_PRODUCT;
    staff_product_retire(id: id ProductId) = STAFF_PRODUCT_RETIRE;
    staff_product_restore(id: id ProductId) = STAFF_PRODUCT_RESTORE;
    staff_partner_prices(id: id PartnerId) = STAFF_PARTNER_PRICES;
    staff_partner_product_price(id: id PartnerId, product: id ProductId) = STAFF_PARTNER_PRODUCT_PRICE;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_become_paths_with_their_segments_filled_in_order() {
        let r = RegistrationId(uuid::Uuid::nil());
        let u = UserId(uuid::Uuid::max());
        assert_eq!(
            customer_user(r, u),
            format!("/customers/{}/users/{}", r.0, u.0)
        );
        assert_eq!(confirm("abc"), "/confirm/abc");
        assert_eq!(fill(LOGIN, &[]), "/login");
    }
}
