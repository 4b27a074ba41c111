//! Who a user is: provider staff or a partner's user, and a partner user's role.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKind {
    Staff,
    Partner,
    /// A user of a customer account.
    Customer,
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Partner => "partner",
            Self::Customer => "customer",
        }
    }

    pub fn from_db(s: &str) -> Option<Self> {
        match s {
            "staff" => Some(Self::Staff),
            "partner" => Some(Self::Partner),
            "customer" => Some(Self::Customer),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerRole {
    /// Manages the company profile, users and API apps.
    Admin,
    Member,
}

impl PartnerRole {
    pub fn parse(s: &str) -> Result<Self, super::Invalid> {
        match s {
            "admin" => Ok(Self::Admin),
            "member" => Ok(Self::Member),
            _ => Err(super::Invalid::new("Choose admin or member.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }
}
