//! Typed ids: an `InvoiceId` cannot be passed where a `CustomerId` is wanted.
//! All are UUIDv7 (time-ordered, so new rows land at the end of their indexes).

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! typed_id {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh UUIDv7.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
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

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text).map(Self)
            }
        }
    )*};
}

typed_id!(
    OrganizationId,
    UserId,
    ApiTokenId,
    CustomerId,
    ContactId,
    InvoiceId,
    PaymentId,
    AllocationId,
    PaymentLinkId,
    ActivityId,
    OutboxId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered_and_parse_back() {
        let first = CustomerId::new();
        let second = CustomerId::new();
        assert!(first < second);
        assert_eq!(first.to_string().parse::<CustomerId>().unwrap(), first);
        assert!("not-a-uuid".parse::<CustomerId>().is_err());
    }
}
