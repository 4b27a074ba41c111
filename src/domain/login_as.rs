//! Login As: what must hold for a partner user to act as a customer user. Checked when it
//! starts and again on every request while it runs, from the state of that moment: a Login As
//! whose grounds are gone ends on its next request, and nothing that request asked is done.
use serde::{Deserialize, Serialize};

/// The facts the rule reads, fresh on each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grounds {
    /// The partner user is active.
    pub by_active: bool,
    /// The partner user is an admin of the partner (members need the partner's permission).
    pub by_admin: bool,
    /// The partner is not suspended.
    pub partner_active: bool,
    /// The partner's admins let members use Login As.
    pub members_allowed: bool,
    /// The registration between the partner and the account is active.
    pub registration_active: bool,
    /// … and in management mode.
    pub management_mode: bool,
    /// The customer user acted as is an active user of that account.
    pub target_active: bool,
}

/// Why a Login As may not start, or ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lapse {
    UserInactive,
    PartnerSuspended,
    NotActive,
    NotManaged,
    MembersNotAllowed,
    CustomerUserInactive,
}

impl Lapse {
    /// Why starting it is refused.
    pub fn refusal(self) -> &'static str {
        match self {
            Self::UserInactive => "Your user is not active: Login As is not available.",
            Self::PartnerSuspended => "Your company is suspended: Login As is not available.",
            Self::NotActive => "Login As works only for an active customer.",
            Self::NotManaged => {
                "This customer is not in management mode: Login As is not available. \
                 Management mode is set when the customer is registered."
            }
            Self::MembersNotAllowed => {
                "Only your company's admins may use Login As (an admin can allow members in \
                 the company's settings)."
            }
            Self::CustomerUserInactive => "This user is not active: Login As is not available.",
        }
    }

    /// Why a running one ended.
    pub fn ended(self) -> &'static str {
        match self {
            Self::UserInactive => "your user has been deactivated",
            Self::PartnerSuspended => "your company has been suspended",
            Self::NotActive => "the customer is no longer an active customer of your company",
            Self::NotManaged => "the customer is no longer in management mode",
            Self::MembersNotAllowed => {
                "your company's admins no longer allow members to use Login As"
            }
            Self::CustomerUserInactive => "that user is no longer an active user of the account",
        }
    }

    /// The partner user's own session cannot go on either: sign out.
    pub fn signs_out(self) -> bool {
        matches!(self, Self::UserInactive | Self::PartnerSuspended)
    }
}

/// The first ground that does not hold, if any.
pub fn lapse(g: &Grounds) -> Option<Lapse> {
    if !g.by_active {
        Some(Lapse::UserInactive)
    } else if !g.partner_active {
        Some(Lapse::PartnerSuspended)
    } else if !g.registration_active {
        Some(Lapse::NotActive)
    } else if !g.management_mode {
        Some(Lapse::NotManaged)
    } else if !g.by_admin && !g.members_allowed {
        Some(Lapse::MembersNotAllowed)
    } else if !g.target_active {
        Some(Lapse::CustomerUserInactive)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Grounds = Grounds {
        by_active: true,
        by_admin: true,
        partner_active: true,
        members_allowed: false,
        registration_active: true,
        management_mode: true,
        target_active: true,
    };

    #[test]
    fn every_ground_that_stops_holding_ends_it_with_its_reason() {
        assert_eq!(lapse(&ALL), None);
        let cases = [
            (
                Grounds {
                    by_active: false,
                    ..ALL
                },
                Lapse::UserInactive,
            ),
            (
                Grounds {
                    partner_active: false,
                    ..ALL
                },
                Lapse::PartnerSuspended,
            ),
            (
                Grounds {
                    registration_active: false,
                    ..ALL
                },
                Lapse::NotActive,
            ),
            (
                Grounds {
                    management_mode: false,
                    ..ALL
                },
                Lapse::NotManaged,
            ),
            (
                Grounds {
                    by_admin: false,
                    ..ALL
                },
                Lapse::MembersNotAllowed,
            ),
            (
                Grounds {
                    target_active: false,
                    ..ALL
                },
                Lapse::CustomerUserInactive,
            ),
        ];
        for (g, why) in cases {
            assert_eq!(lapse(&g), Some(why), "{g:?}");
        }
        // A member while the admins allow it.
        let member = Grounds {
            by_admin: false,
            members_allowed: true,
            ..ALL
        };
        assert_eq!(lapse(&member), None);
        assert!(Lapse::PartnerSuspended.signs_out() && !Lapse::NotActive.signs_out());
    }
}
