//! Ids of the portal's records, one type each, so a partner id can never be passed where an
//! account id is expected. They are UUIDs: the only ids that appear in URLs.
use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        /// From a URL segment; anything but a UUID is refused.
        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

ids!(
    /// A partner organisation (its "org id").
    PartnerId,
    /// A customer account.
    AccountId,
    /// A partner–customer registration.
    RegistrationId,
    /// A user of any kind: staff, partner or customer.
    UserId,
    /// A partner's API app.
    AppId,
    /// A product of the catalog.
    ProductId,
    /// An order placed for a customer.
    OrderId,
    /// A license (or trial) a customer holds.
    LicenseId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_only_from_uuids_and_print_back_the_same() {
        let id: PartnerId = "0191d5c8-6e4e-7cc3-9a54-1a2b3c4d5e6f".parse().unwrap();
        assert_eq!(id.to_string(), "0191d5c8-6e4e-7cc3-9a54-1a2b3c4d5e6f");
        assert!("42".parse::<AccountId>().is_err());
        assert!("../etc".parse::<RegistrationId>().is_err());
    }
}
