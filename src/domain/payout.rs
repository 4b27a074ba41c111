//! Where the provider pays a partner's commission: the account holder, an IBAN checked by
//! its country's format and check digits, and an optional BIC.
use iban::IbanLike;

use super::Invalid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutDetails {
    pub holder: String,
    /// Electronic form: no spaces, upper case.
    pub iban: String,
    pub bic: Option<String>,
}

/// Field-by-field problems, keyed by the form's field names.
pub type Problems = Vec<(&'static str, String)>;

impl PayoutDetails {
    pub fn parse(holder: &str, iban_raw: &str, bic: &str) -> Result<Self, Problems> {
        let mut problems = Problems::new();
        let holder = holder.trim();
        if holder.is_empty() {
            problems.push(("holder", "Enter the account holder's name.".into()));
        } else if holder.chars().count() > 140 {
            problems.push(("holder", "At most 140 characters.".into()));
        }
        let electronic: String = iban_raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let iban = match electronic.parse::<iban::Iban>() {
            Ok(i) => Some(i.electronic_str().to_string()),
            Err(_) => {
                problems.push((
                    "iban",
                    "This is not a valid IBAN: check the country code, the length and the \
                     digits (like DE89 3704 0044 0532 0130 00)."
                        .into(),
                ));
                None
            }
        };
        let bic: String = bic
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let bic_ok = bic.is_empty()
            || ((bic.len() == 8 || bic.len() == 11)
                && bic[..6].chars().all(|c| c.is_ascii_alphabetic())
                && bic[6..].chars().all(|c| c.is_ascii_alphanumeric()));
        if !bic_ok {
            problems.push((
                "bic",
                "A BIC has 8 or 11 letters and digits (like DEUTDEFF), or leave it empty.".into(),
            ));
        }
        match (problems.is_empty(), iban) {
            (true, Some(iban)) => Ok(Self {
                holder: holder.to_string(),
                iban,
                bic: (!bic.is_empty()).then_some(bic),
            }),
            _ => Err(problems),
        }
    }

    /// The IBAN as people read it, with all but the last four characters hidden.
    pub fn masked_iban(iban: &str) -> String {
        let n = iban.len();
        if n <= 8 {
            return iban.to_string();
        }
        format!("{}•••• {}", &iban[..4], &iban[n - 4..])
    }
}

impl From<Problems> for Invalid {
    fn from(p: Problems) -> Self {
        Invalid(p.into_iter().map(|(_, m)| m).collect::<Vec<_>>().join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payout_details_are_checked() {
        let ok =
            PayoutDetails::parse(" Acme GmbH ", "de89 3704 0044 0532 0130 00", "deutdeff").unwrap();
        assert_eq!(ok.holder, "Acme GmbH");
        assert_eq!(ok.iban, "DE89370400440532013000");
        assert_eq!(ok.bic.as_deref(), Some("DEUTDEFF"));
        let bad = PayoutDetails::parse("", "DE89 3704 0044 0532 0130 01", "DEU").unwrap_err();
        let fields: Vec<_> = bad.iter().map(|p| p.0).collect();
        assert_eq!(fields, ["holder", "iban", "bic"]);
        assert!(PayoutDetails::parse("A", "GB82WEST12345698765432", "").is_ok());
        assert_eq!(
            PayoutDetails::masked_iban("DE89370400440532013000"),
            "DE89•••• 3000"
        );
    }
}
