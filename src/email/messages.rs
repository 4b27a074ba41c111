//! Every email the portal sends: one struct each, rendered through a text and an HTML
//! template under `templates/emails/`. HTML bodies are escaped by askama.
use askama::Template;

use super::EmailMessage;

macro_rules! email {
    ($name:ident, $txt:literal, $html:literal, subject = $subject:expr, { $($field:ident : $ty:ty),* $(,)? }) => {
        pub struct $name {
            $(pub $field: $ty),*
        }

        const _: () = {
            #[derive(Template)]
            #[template(path = $txt)]
            struct Text<'a> {
                m: &'a $name,
            }

            #[derive(Template)]
            #[template(path = $html)]
            struct Html<'a> {
                m: &'a $name,
            }

            impl $name {
                pub fn render(&self, to: &str) -> Result<EmailMessage, askama::Error> {
                    let subject: fn(&$name) -> String = $subject;
                    Ok(EmailMessage {
                        to: to.to_string(),
                        subject: subject(self),
                        text: Text { m: self }.render()?,
                        html: Html { m: self }.render()?,
                    })
                }
            }
        };
    };
}

email!(PartnerSignupLink, "emails/partner_signup.txt", "emails/partner_signup.html",
    subject = |_| "Finish your partner registration".into(),
    { link: String, hours: i64 });

email!(PartnerAlreadyRegistered, "emails/partner_exists.txt", "emails/partner_exists.html",
    subject = |_| "You already have a partner account".into(),
    { login_url: String, reset_url: String });

email!(PartnerWelcome, "emails/partner_welcome.txt", "emails/partner_welcome.html",
    subject = |m| format!("Welcome, {}: your partner account is ready", m.company),
    { name: String, company: String, org_id: String, login_url: String });

email!(PasswordReset, "emails/password_reset.txt", "emails/password_reset.html",
    subject = |_| "Reset your Partner Portal password".into(),
    { name: String, link: String, minutes: i64 });

email!(PasswordChanged, "emails/password_changed.txt", "emails/password_changed.html",
    subject = |_| "Your Partner Portal password was changed".into(),
    { name: String, reset_url: String });

email!(SecurityNotice, "emails/security_notice.txt", "emails/security_notice.html",
    subject = |_| "Security notice for your Partner Portal account".into(),
    { name: String, what: String, security_url: String });

email!(NewSignIn, "emails/new_sign_in.txt", "emails/new_sign_in.html",
    subject = |_| "New sign-in to your Partner Portal account".into(),
    { name: String, browser: String, ip: String, at: String, security_url: String, reset_url: String });

email!(Invitation, "emails/invitation.txt", "emails/invitation.html",
    subject = |m| format!("{} invited you to {} on Partner Portal", m.inviter, m.company),
    { inviter: String, company: String, role: String, link: String, days: i64 });

email!(RegistrationRequest, "emails/registration_request.txt", "emails/registration_request.html",
    subject = |m| format!("{} asks to become your partner", m.partner),
    { partner: String, partner_country: String, customer: String, role: String, management_mode: bool, new_account: bool, link: String, days: i64 });

// What happened to a registration, told to its partner's users, its customer or staff. The
// wording is in the templates; `news` picks the paragraph and the subject.
email!(RegistrationNews, "emails/registration_news.txt", "emails/registration_news.html",
    subject = RegistrationNews::subject,
    { news: News, audience: Audience, partner: String, customer: String, role: String, commission: String, reason: String, link: Option<String>, contact: String });

/// The registration news an email tells, and to whom it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum News {
    /// To the partner: the customer confirmed.
    Confirmed,
    /// To the partner: the customer declined.
    Declined,
    /// To the partner: the customer did not answer in time.
    Expired,
    /// To the partner: staff approved.
    Approved,
    /// To the customer: staff approved its partner.
    PartnerApproved,
    /// To the partner: staff rejected.
    Rejected,
    /// To the partner, the customer and (when the customer ended it) staff.
    Ended,
}

impl RegistrationNews {
    pub fn subject(&self) -> String {
        let (p, c) = (&self.partner, &self.customer);
        match self.news {
            News::Confirmed => format!("{c} confirmed your request"),
            News::Declined => format!("{c} declined your request"),
            News::Expired => format!("Your request to {c} expired"),
            News::Approved => format!("{c} is now your customer"),
            News::PartnerApproved => format!("{p} is now your partner"),
            News::Rejected => format!("Registration of {c} was rejected"),
            News::Ended => format!("{c} is no longer a customer of {p}"),
        }
    }

    pub fn link_label(&self) -> &'static str {
        match self.audience {
            Audience::Partner => "Open the customer",
            Audience::Customer => "See your partner",
            Audience::Staff => "Open the audit log",
        }
    }
}

/// Who an email is for, which decides where its link leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Partner,
    Customer,
    Staff,
}

email!(StaffDigest, "emails/staff_digest.txt", "emails/staff_digest.html",
    subject = |m| format!("{} partner registration{} waiting for approval", m.total, if m.total == 1 { "" } else { "s" }),
    { items: Vec<DigestItem>, total: u64, more: u64, link: String });

email!(CustomerSignupLink, "emails/customer_signup.txt", "emails/customer_signup.html",
    subject = |_| "Finish creating your account".into(),
    { link: String, hours: i64 });

pub struct DigestItem {
    pub partner: String,
    pub customer: String,
    pub waiting_since: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_bodies_escape_what_users_typed_and_text_bodies_keep_it() {
        let m = PartnerWelcome {
            name: "Ann".into(),
            company: "<script>alert(1)</script> & Co".into(),
            org_id: "x".into(),
            login_url: "http://localhost/login".into(),
        }
        .render("ann@example.com")
        .unwrap();
        assert!(!m.html.contains("<script>"));
        assert!(m.html.contains("&#60;script&#62;"), "{}", m.html);
        assert!(m.text.contains("<script>alert(1)</script> & Co"));
        assert!(m.subject.contains("& Co"));
    }

    #[test]
    fn links_appear_in_both_bodies() {
        let m = PartnerSignupLink {
            link: "http://localhost/partners/register/abc".into(),
            hours: 24,
        }
        .render("ann@example.com")
        .unwrap();
        assert!(m.text.contains("http://localhost/partners/register/abc"));
        assert!(m
            .html
            .contains("href=\"http://localhost/partners/register/abc\""));
    }
}

// What a partner ordered on a customer's behalf (or cancelled), told to the customer.
email!(OrderNews, "emails/order_news.txt", "emails/order_news.html",
    subject = |m| if m.kind == "Cancelled" {
        format!("{} cancelled: {} for {}", m.number, m.what, m.customer)
    } else {
        format!("{}: {} ordered {} for {}", m.number, m.partner, m.what, m.customer)
    },
    { partner: String, customer: String, number: String, kind: String, what: String, term: String, total: String, placed_by: String, link: String });

// A trial ends soon, told to its partner's users.
email!(TrialEnding, "emails/trial_ending.txt", "emails/trial_ending.html",
    subject = |m| format!("{}'s trial of {} ends in {} day{}", m.customer, m.product, m.days, if m.days == 1 { "" } else { "s" }),
    { customer: String, product: String, ends_on: String, days: i64, link: String });

// A paid invoice's receipt, to the payer, the customer and the partner's users.
email!(Receipt, "emails/receipt.txt", "emails/receipt.html",
    subject = |m| format!("Receipt for {}: {} paid", m.number, m.total),
    { number: String, seller: String, customer: String, total: String, paid_at: String, test: bool, via: String });

// An open invoice's payment link, sent by the partner.
email!(InvoiceLink, "emails/invoice_link.txt", "emails/invoice_link.html",
    subject = |m| format!("Invoice {} from {}: {} due {}", m.number, m.seller, m.total, m.due),
    { number: String, seller: String, customer: String, total: String, due: String, link: String, sender: String });

// A reminder to the customer of an unpaid invoice, on staff's schedule, with its link.
email!(PaymentReminder, "emails/payment_reminder.txt", "emails/payment_reminder.html",
    subject = |m| format!("Reminder: invoice {} from {}, {} {}", m.number, m.seller, m.total, m.when),
    { number: String, seller: String, customer: String, total: String, due: String, when: String, link: String });

// A partner user signed in as one of the customer's users (Login As), to the customer's admins.
email!(LoginAsNotice, "emails/login_as.txt", "emails/login_as.html",
    subject = |m| format!("{} of {} signed in as {}", m.by, m.partner, m.whom),
    { partner: String, by: String, whom: String, customer: String, at: String, until: String });

// The partner's daily list of its customers' invoices past due.
email!(OverdueDigest, "emails/overdue_digest.txt", "emails/overdue_digest.html",
    subject = |m| format!("{} invoice{} past due", m.count, if m.count == 1 { " is" } else { "s are" }),
    { count: usize, items: Vec<String>, more: usize, link: String });

// To the partner user who asked for a grant above the partner's monthly ceiling: the
// provider approved it (the credit is on the customer's ledger) or refused it, saying why.
email!(GrantDecision, "emails/grant_decision.txt", "emails/grant_decision.html",
    subject = |m| if m.approved {
        format!("Your credit grant of {} to {} was approved", m.amount, m.customer)
    } else {
        format!("Your credit grant of {} to {} was refused", m.amount, m.customer)
    },
    { name: String, customer: String, amount: String, approved: bool, reason: String, link: String });
