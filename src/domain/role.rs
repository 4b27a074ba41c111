//! Who a user is: provider staff, a partner's user or a customer's user, and their role.
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "lowercase")]
pub enum UserKind {
    #[sea_orm(string_value = "staff")]
    Staff,
    #[sea_orm(string_value = "partner")]
    Partner,
    /// A user of a customer account.
    #[sea_orm(string_value = "customer")]
    Customer,
}

/// A user's role as stored: a partner's or a customer account's users are admins or members;
/// provider staff have the staff role.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[sea_orm(string_value = "admin")]
    Admin,
    #[sea_orm(string_value = "member")]
    Member,
    #[sea_orm(string_value = "staff")]
    Staff,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
            Self::Staff => "staff",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "Admin",
            Self::Member => "Member",
            Self::Staff => "Staff",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Partner => "partner",
            Self::Customer => "customer",
        }
    }
}

/// The role a partner admin gives a colleague (staff is no choice there).
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

impl From<PartnerRole> for Role {
    fn from(r: PartnerRole) -> Self {
        match r {
            PartnerRole::Admin => Role::Admin,
            PartnerRole::Member => Role::Member,
        }
    }
}
