//! The registration workflow as a pure state machine: `(status, event) → status`.
//!
//! ```text
//!             partner adds            customer confirms          staff approves
//!   (none) ─────────────▶ pending_customer ─────────▶ pending_approval ─────────▶ active
//!     declined ◀─ customer declines │ │ link expires ─▶ expired  │ staff rejects ─▶ rejected
//!     cancelled ◀─ partner cancels (either pending state)        active ─ ends ─▶ ended
//! ```

use sea_orm::{DeriveActiveEnum, EnumIter};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Status {
    #[sea_orm(string_value = "pending_customer")]
    PendingCustomer,
    #[sea_orm(string_value = "pending_approval")]
    PendingApproval,
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "declined")]
    Declined,
    #[sea_orm(string_value = "expired")]
    Expired,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    #[sea_orm(string_value = "rejected")]
    Rejected,
    #[sea_orm(string_value = "ended")]
    Ended,
}

pub const ALL_STATUSES: [Status; 8] = [
    Status::PendingCustomer,
    Status::PendingApproval,
    Status::Active,
    Status::Declined,
    Status::Expired,
    Status::Cancelled,
    Status::Rejected,
    Status::Ended,
];

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingCustomer => "pending_customer",
            Self::PendingApproval => "pending_approval",
            Self::Active => "active",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
            Self::Rejected => "rejected",
            Self::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ALL_STATUSES.into_iter().find(|st| st.as_str() == s)
    }

    /// How people read it.
    pub fn label(self) -> &'static str {
        match self {
            Self::PendingCustomer => "Waiting for customer",
            Self::PendingApproval => "Waiting for approval",
            Self::Active => "Active",
            Self::Declined => "Declined by customer",
            Self::Expired => "Expired",
            Self::Cancelled => "Cancelled",
            Self::Rejected => "Rejected",
            Self::Ended => "Ended",
        }
    }

    /// The badge colour in lists.
    pub fn tone(self) -> &'static str {
        match self {
            Self::Active => "success",
            Self::PendingCustomer | Self::PendingApproval => "warning",
            Self::Declined | Self::Rejected => "danger",
            Self::Expired | Self::Cancelled | Self::Ended => "muted",
        }
    }

    /// Pending or active: the account is held by this registration (channel conflict).
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Self::PendingCustomer | Self::PendingApproval | Self::Active
        )
    }

    /// Whether `event` may happen to a registration in this status: what pages offer.
    pub fn allows(self, event: Event) -> bool {
        transition(self, event).is_ok()
    }

    /// Ended without becoming (or staying) a partnership: the partner may ask again.
    pub fn is_closed(self) -> bool {
        !self.is_live()
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The live statuses (`Status::is_live`), for queries.
pub fn live_statuses() -> impl Iterator<Item = Status> {
    ALL_STATUSES.into_iter().filter(|s| s.is_live())
}

/// A reason given for a transition (the partner or customer reads it), trimmed.
pub fn parse_reason(raw: &str, required: bool) -> Result<String, super::Invalid> {
    let r = raw.trim();
    if required && r.is_empty() {
        return Err(super::Invalid::new(
            "Give the reason; the partner will read it.",
        ));
    }
    if r.chars().count() > 1000 {
        return Err(super::Invalid::new(
            "Keep the reason under 1,000 characters.",
        ));
    }
    Ok(r.to_string())
}

/// How a registration was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Channel {
    /// The partner's pages.
    #[sea_orm(string_value = "web")]
    Web,
    /// The partner API.
    #[sea_orm(string_value = "api")]
    Api,
}

impl Channel {
    pub fn label(self) -> &'static str {
        match self {
            Self::Web => "Portal",
            Self::Api => "API",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// A new confirmation link replaces the old one.
    Resend,
    CustomerConfirms,
    CustomerDeclines,
    LinkExpires,
    PartnerCancels,
    StaffApproves,
    StaffRejects,
    PartnerEnds,
    StaffEnds,
    CustomerEnds,
}

pub const ALL_EVENTS: [Event; 10] = [
    Event::Resend,
    Event::CustomerConfirms,
    Event::CustomerDeclines,
    Event::LinkExpires,
    Event::PartnerCancels,
    Event::StaffApproves,
    Event::StaffRejects,
    Event::PartnerEnds,
    Event::StaffEnds,
    Event::CustomerEnds,
];

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resend => "resent",
            Self::CustomerConfirms => "confirmed",
            Self::CustomerDeclines => "declined",
            Self::LinkExpires => "expired",
            Self::PartnerCancels => "cancelled",
            Self::StaffApproves => "approved",
            Self::StaffRejects => "rejected",
            Self::PartnerEnds | Self::StaffEnds | Self::CustomerEnds => "ended",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a registration that is {} cannot be {}", from.label().to_lowercase(), event.as_str())]
pub struct NotAllowed {
    pub from: Status,
    pub event: Event,
}

pub fn transition(from: Status, event: Event) -> Result<Status, NotAllowed> {
    use Event as E;
    use Status as S;
    match (from, event) {
        (S::PendingCustomer, E::Resend) => Ok(S::PendingCustomer),
        (S::PendingCustomer, E::CustomerConfirms) => Ok(S::PendingApproval),
        (S::PendingCustomer, E::CustomerDeclines) => Ok(S::Declined),
        (S::PendingCustomer, E::LinkExpires) => Ok(S::Expired),
        (S::PendingCustomer | S::PendingApproval, E::PartnerCancels) => Ok(S::Cancelled),
        (S::PendingApproval, E::StaffApproves) => Ok(S::Active),
        (S::PendingApproval, E::StaffRejects) => Ok(S::Rejected),
        (S::Active, E::PartnerEnds | E::StaffEnds | E::CustomerEnds) => Ok(S::Ended),
        _ => Err(NotAllowed { from, event }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Event as E;
    use Status as S;

    /// Every (status, event) pair, spelled out: the allowed ones and their target; every other
    /// pair is refused.
    #[test]
    fn every_status_and_event_pair_behaves_as_designed() {
        let allowed: &[(Status, Event, Status)] = &[
            (S::PendingCustomer, E::Resend, S::PendingCustomer),
            (S::PendingCustomer, E::CustomerConfirms, S::PendingApproval),
            (S::PendingCustomer, E::CustomerDeclines, S::Declined),
            (S::PendingCustomer, E::LinkExpires, S::Expired),
            (S::PendingCustomer, E::PartnerCancels, S::Cancelled),
            (S::PendingApproval, E::PartnerCancels, S::Cancelled),
            (S::PendingApproval, E::StaffApproves, S::Active),
            (S::PendingApproval, E::StaffRejects, S::Rejected),
            (S::Active, E::PartnerEnds, S::Ended),
            (S::Active, E::StaffEnds, S::Ended),
            (S::Active, E::CustomerEnds, S::Ended),
        ];
        let mut checked = 0;
        for from in ALL_STATUSES {
            for event in ALL_EVENTS {
                let expected = allowed
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                match (transition(from, event), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from:?} + {event:?}"),
                    (Err(e), None) => assert_eq!((e.from, e.event), (from, event)),
                    (got, want) => panic!("{from:?} + {event:?}: got {got:?}, want {want:?}"),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 80);
    }

    #[test]
    fn terminal_statuses_accept_no_event() {
        for s in [S::Declined, S::Expired, S::Cancelled, S::Rejected, S::Ended] {
            assert!(
                ALL_EVENTS.iter().all(|e| transition(s, *e).is_err()),
                "{s:?}"
            );
            assert!(!s.is_live());
        }
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in ALL_STATUSES {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("bogus"), None);
    }
}
