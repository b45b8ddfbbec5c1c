//! NestPay's wire formats: ISO 4217 numeric currency codes, and what a callback says.

/// The numeric code NestPay takes for a currency (ISO 4217), for the ones Turkish banks accept.
pub fn currency_number(code: &str) -> Option<&'static str> {
    match code {
        "TRY" => Some("949"),
        "USD" => Some("840"),
        "EUR" => Some("978"),
        "GBP" => Some("826"),
        _ => None,
    }
}

/// The ISO 4217 letter code of a numeric code NestPay posts back.
pub fn currency_code(number: &str) -> Option<&'static str> {
    ["TRY", "USD", "EUR", "GBP"]
        .into_iter()
        .find(|code| currency_number(code) == Some(number))
}

/// Whether posted callback fields report a payment to credit: approved (`ProcReturnCode` `00`
/// and `Response` `Approved`) and fully 3-D authenticated (`mdStatus` `1`). The hash is checked
/// before this is asked.
pub fn approved(field: impl Fn(&str) -> Option<String>) -> bool {
    field("ProcReturnCode").as_deref() == Some("00")
        && field("Response").as_deref() == Some("Approved")
        && field("mdStatus").as_deref() == Some("1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn only_an_approved_fully_authenticated_payment_counts() {
        let ok = [
            ("ProcReturnCode", "00"),
            ("Response", "Approved"),
            ("mdStatus", "1"),
        ];
        assert!(approved(field(&ok)));
        let half = [
            ("ProcReturnCode", "00"),
            ("Response", "Approved"),
            ("mdStatus", "2"),
        ];
        assert!(!approved(field(&half)));
        let declined = [
            ("ProcReturnCode", "51"),
            ("Response", "Declined"),
            ("mdStatus", "1"),
        ];
        assert!(!approved(field(&declined)));
        assert_eq!(currency_number("TRY"), Some("949"));
        assert_eq!(currency_number("JPY"), None);
    }
}
