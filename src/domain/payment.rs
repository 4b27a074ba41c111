//! A payment attempt's record: which way the money came and what became of it. Stored as
//! text; a value the code does not know is an error when read, never a default.
use sea_orm::{DeriveActiveEnum, EnumIter};

/// Where a payment came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum PaymentGateway {
    /// Test cards: no real money.
    #[sea_orm(string_value = "test")]
    Test,
    #[sea_orm(string_value = "stripe")]
    Stripe,
    /// The customer's credit balance.
    #[sea_orm(string_value = "credit")]
    Credit,
}

impl PaymentGateway {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Stripe => "stripe",
            Self::Credit => "credit",
        }
    }

    /// How the invoice page names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Test => "Test card",
            Self::Stripe => "Card (Stripe)",
            Self::Credit => "Credit",
        }
    }

    /// A real card gateway has taken the money by the time it says "succeeded": an attempt
    /// that cannot be applied is kept for a refund. The test gateway and credit take nothing
    /// that is not written with the decision.
    pub fn captures(self) -> bool {
        self == Self::Stripe
    }
}

/// What became of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum PaymentOutcome {
    /// It paid the invoice (at most one per invoice).
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    /// Credit paid part of the invoice.
    #[sea_orm(string_value = "applied")]
    Applied,
    #[sea_orm(string_value = "declined")]
    Declined,
    /// Money taken that the invoice did not ask for: kept, to refund.
    #[sea_orm(string_value = "mismatch")]
    Mismatch,
}

impl PaymentOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Applied => "applied",
            Self::Declined => "declined",
            Self::Mismatch => "mismatch",
        }
    }
}
