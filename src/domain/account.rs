//! Customer accounts: how they are billed, where they came from, what kind of customer a
//! partner calls them, and the parsers for their free-form fields.
use sea_orm::{DeriveActiveEnum, EnumIter};

use super::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum BillingMode {
    /// New accounts are prepaid; only prepaid accounts can be registered to a partner.
    #[default]
    #[sea_orm(string_value = "prepaid")]
    Prepaid,
    #[sea_orm(string_value = "postpaid")]
    Postpaid,
}

impl BillingMode {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim().to_lowercase().as_str() {
            "prepaid" => Ok(Self::Prepaid),
            "postpaid" => Ok(Self::Postpaid),
            _ => Err(Invalid::new("Choose prepaid or postpaid.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prepaid => "prepaid",
            Self::Postpaid => "postpaid",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Prepaid => "Prepaid",
            Self::Postpaid => "Postpaid",
        }
    }
}

/// Where an account came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AccountSource {
    /// The customer signed up at `/signup`.
    #[sea_orm(string_value = "signup")]
    Signup,
    /// Staff's new-account form.
    #[sea_orm(string_value = "staff")]
    Staff,
    /// Staff's CSV import.
    #[sea_orm(string_value = "import")]
    Import,
    /// A partner registered a new customer in the portal.
    #[sea_orm(string_value = "partner")]
    Partner,
    /// A partner registered a new customer through the API.
    #[sea_orm(string_value = "api")]
    Api,
}

impl AccountSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signup => "signup",
            Self::Staff => "staff",
            Self::Import => "import",
            Self::Partner => "partner",
            Self::Api => "api",
        }
    }
}

/// How a partner classes a customer (seed 000: Customer Type, default CUSTOMER).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum CustomerType {
    #[default]
    #[sea_orm(string_value = "CUSTOMER")]
    Customer,
    #[sea_orm(string_value = "RESELLER")]
    Reseller,
    #[sea_orm(string_value = "PROSPECT")]
    Prospect,
}

pub const CUSTOMER_TYPES: [CustomerType; 3] = [
    CustomerType::Customer,
    CustomerType::Reseller,
    CustomerType::Prospect,
];

impl CustomerType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "CUSTOMER",
            Self::Reseller => "RESELLER",
            Self::Prospect => "PROSPECT",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        CUSTOMER_TYPES
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| Invalid::new("Choose CUSTOMER, RESELLER or PROSPECT."))
    }
}

impl std::fmt::Display for CustomerType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tags: comma-separated words, each 1–40 characters, at most 20.
pub fn parse_tags(raw: &str) -> Result<Vec<String>, Invalid> {
    let tags: Vec<String> = raw
        .split(',')
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    if tags.len() > 20
        || tags
            .iter()
            .any(|t| t.chars().count() > 40 || t.chars().any(char::is_control))
    {
        return Err(Invalid::new(
            "Use at most 20 tags of up to 40 characters, separated by commas.",
        ));
    }
    Ok(tags)
}

/// A data center id: 1–64 letters, digits, dashes or underscores.
pub fn parse_data_center(raw: &str) -> Result<String, Invalid> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Invalid::new("Enter the data center."));
    }
    if s.len() > 64
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Invalid::new(
            "Use letters, digits, dashes or underscores (at most 64).",
        ));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_types_parse_in_any_case_and_nothing_else() {
        assert_eq!(
            CustomerType::parse("reseller").unwrap(),
            CustomerType::Reseller
        );
        assert_eq!(
            CustomerType::parse(" CUSTOMER ").unwrap(),
            CustomerType::Customer
        );
        assert!(CustomerType::parse("VIP").is_err());
        assert!(CustomerType::parse("").is_err());
    }

    #[test]
    fn tags_and_data_centers_are_checked() {
        assert_eq!(parse_tags("a, b,,c ").unwrap(), ["a", "b", "c"]);
        assert!(parse_tags(&"x,".repeat(21)).is_err());
        assert!(parse_data_center("eu-west_1").is_ok());
        assert!(parse_data_center("eu west").is_err());
        assert!(parse_data_center("").is_err());
    }
}
