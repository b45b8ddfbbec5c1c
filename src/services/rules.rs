//! Input checks shared by the use cases, each failing with a field error and a stable code.

use rust_decimal::Decimal;

use crate::domain::money::{Currency, MAX_MINOR, Money, MoneyError};
use crate::error::{FieldError, Validation};

/// An ISO 4217 code the service knows (`UNKNOWN_CURRENCY` otherwise).
pub fn currency(code: &str, field: &[&str]) -> Result<Currency, FieldError> {
    Currency::from_code(code.trim()).map_err(|_| {
        FieldError::new(
            field,
            "UNKNOWN_CURRENCY",
            format!("{code:?} is not a currency code this service knows"),
        )
    })
}

/// A strictly positive amount with no more decimals than its currency has.
pub fn positive_amount(
    amount: Decimal,
    currency: Currency,
    field: &[&str],
) -> Result<Money, FieldError> {
    let money = Money::from_decimal(amount, currency).map_err(|error| match error {
        MoneyError::TooManyDecimals { allowed, .. } => FieldError::new(
            field,
            "TOO_MANY_DECIMALS",
            format!("{currency} amounts have at most {allowed} decimal places"),
        ),
        _ => FieldError::new(
            field,
            "OUT_OF_RANGE",
            format!(
                "amounts are at most {}",
                Money::from_minor(MAX_MINOR, currency).to_decimal()
            ),
        ),
    })?;
    if money.is_positive() {
        Ok(money)
    } else {
        Err(FieldError::new(
            field,
            "AMOUNT_NOT_POSITIVE",
            "the amount must be greater than zero",
        ))
    }
}

/// Which control characters a text may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    /// Names, numbers, references: none at all.
    One,
    /// Notes, descriptions, addresses: newlines and tabs, nothing else.
    Many,
}

fn checked(
    text: Option<&str>,
    max: usize,
    field: &[&str],
    lines: Lines,
) -> Result<Option<String>, FieldError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) if text.chars().count() > max => Err(FieldError::new(
            field,
            "TOO_LONG",
            format!("must have at most {max} characters"),
        )),
        Some(text) if has_forbidden_control(text, lines) => Err(FieldError::new(
            field,
            "INVALID_TEXT",
            match lines {
                Lines::One => "must not contain control characters or line breaks",
                Lines::Many => {
                    "must not contain control characters other than line breaks and tabs"
                }
            },
        )),
        Some(text) => Ok(Some(text.to_owned())),
    }
}

fn has_forbidden_control(text: &str, lines: Lines) -> bool {
    text.chars()
        .any(|c| c.is_control() && !(lines == Lines::Many && matches!(c, '\n' | '\r' | '\t')))
}

fn required(text: &str, max: usize, field: &[&str], lines: Lines) -> Result<String, FieldError> {
    checked(Some(text), max, field, lines)?
        .ok_or_else(|| FieldError::new(field, "REQUIRED", "must not be empty"))
}

/// An amount in a currency given by its code: both are checked and their errors recorded in
/// `checks`; zero lira stands in while `checks` holds an error (see [`Validation::value`]).
pub fn money_input(
    checks: &mut Validation,
    amount: Decimal,
    amount_field: &[&str],
    code: &str,
    currency_field: &[&str],
) -> Money {
    let stand_in = Money::zero(Currency::TRY);
    match checks.take(currency(code, currency_field)) {
        Some(currency) => {
            checks.value_or(positive_amount(amount, currency, amount_field), stand_in)
        }
        None => stand_in,
    }
}

/// Trimmed one-line text of 1 to `max` characters (`REQUIRED`, `TOO_LONG`, `INVALID_TEXT`).
pub fn required_text(text: &str, max: usize, field: &[&str]) -> Result<String, FieldError> {
    required(text, max, field, Lines::One)
}

/// Trimmed one-line text of at most `max` characters; empty means none.
pub fn optional_text(
    text: Option<&str>,
    max: usize,
    field: &[&str],
) -> Result<Option<String>, FieldError> {
    checked(text, max, field, Lines::One)
}

/// Like [`required_text`], for notes and reasons: newlines and tabs allowed.
pub fn required_note(text: &str, max: usize, field: &[&str]) -> Result<String, FieldError> {
    required(text, max, field, Lines::Many)
}

/// Like [`optional_text`], for notes, descriptions and addresses: newlines and tabs allowed.
pub fn optional_note(text: Option<&str>, max: usize, f: &[&str]) -> NoteResult {
    checked(text, max, f, Lines::Many)
}

/// What [`optional_note`] gives.
pub type NoteResult = Result<Option<String>, FieldError>;

/// A list filter's text (a search, a code): at most `max` characters and no control characters,
/// or a BAD_REQUEST naming the filter.
pub fn filter_text(text: &str, max: usize, name: &str) -> crate::error::AppResult<String> {
    if text.chars().count() > max {
        return Err(crate::error::AppError::BadRequest(format!(
            "`{name}` has at most {max} characters"
        )));
    }
    if has_forbidden_control(text, Lines::One) {
        return Err(crate::error::AppError::BadRequest(format!(
            "`{name}` must not contain control characters"
        )));
    }
    Ok(text.to_owned())
}

/// An ERP's reference for a record: one line of at most 100 characters.
pub fn external_ref(text: Option<&str>, field: &[&str]) -> Result<Option<String>, FieldError> {
    optional_text(text, 100, field)
}

/// An optional email address, lower-cased (`INVALID_EMAIL`).
pub fn optional_email(email: Option<&str>, field: &[&str]) -> Result<Option<String>, FieldError> {
    match email.map(str::trim).filter(|e| !e.is_empty()) {
        None => Ok(None),
        Some(email) => crate::services::users::normalize_email(email)
            .map(Some)
            .map_err(|_| {
                FieldError::new(
                    field,
                    "INVALID_EMAIL",
                    format!("{email:?} is not an email address"),
                )
            }),
    }
}

/// A phone number in E.164 (`+905321234567`): Turkish numbers as people write them (`0532 123 45 67`,
/// `+90 532 123 4567`, `5321234567`), others with their `+` country code. Spaces, dots, dashes and
/// parentheses are ignored; anything else is `INVALID_PHONE`.
pub fn optional_phone(phone: Option<&str>, field: &[&str]) -> Result<Option<String>, FieldError> {
    let Some(text) = phone.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    let invalid = || {
        FieldError::new(
            field,
            "INVALID_PHONE",
            "a phone number such as 0532 123 45 67 or +90 532 123 4567",
        )
    };
    if text.chars().count() > 40 {
        return Err(invalid());
    }
    let international = text.starts_with('+') || text.starts_with("00");
    let mut digits = String::new();
    for (index, c) in text.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if index == 0 => {}
            ' ' | '.' | '-' | '(' | ')' => {}
            _ => return Err(invalid()),
        }
    }
    let e164 = if international {
        let digits = digits.strip_prefix("00").unwrap_or(&digits);
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(invalid());
        }
        format!("+{digits}")
    } else {
        // A Turkish number: ten digits after an optional trunk 0, the first of them not 0.
        let national = digits.strip_prefix('0').unwrap_or(&digits);
        if national.len() != 10 || national.starts_with('0') {
            return Err(invalid());
        }
        format!("+90{national}")
    };
    Ok(Some(e164))
}

/// A customer's language for mail, SMS and the pay page: `tr` or `en` (`INVALID_LANGUAGE`).
pub fn optional_language(code: Option<&str>, field: &[&str]) -> Result<Option<String>, FieldError> {
    match code.map(|code| code.trim().to_ascii_lowercase()) {
        None => Ok(None),
        Some(code) if code == "tr" || code == "en" => Ok(Some(code)),
        Some(_) => Err(FieldError::new(
            field,
            "INVALID_LANGUAGE",
            "languages are tr and en",
        )),
    }
}

/// A Turkish tax number: 10 digits (VKN, companies) or 11 (TCKN, people).
pub fn optional_tax_id(tax_id: Option<&str>, field: &[&str]) -> Result<Option<String>, FieldError> {
    match tax_id.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(tax_id)
            if (tax_id.len() == 10 || tax_id.len() == 11)
                && tax_id.chars().all(|c| c.is_ascii_digit()) =>
        {
            Ok(Some(tax_id.to_owned()))
        }
        Some(_) => Err(FieldError::new(
            field,
            "INVALID_TAX_ID",
            "a tax number has 10 digits (VKN) or 11 digits (TCKN)",
        )),
    }
}

/// Payment terms in days, 0 to 365.
pub fn payment_terms(days: i32, field: &[&str]) -> Result<i32, FieldError> {
    if (0..=365).contains(&days) {
        Ok(days)
    } else {
        Err(FieldError::new(
            field,
            "OUT_OF_RANGE",
            "payment terms are 0 to 365 days",
        ))
    }
}

/// A currency parsed from stored text; stored codes were checked on the way in.
pub fn stored_currency(code: &str) -> crate::error::AppResult<Currency> {
    Currency::from_code(code)
        .map_err(|_| crate::error::AppError::Internal(format!("unknown stored currency {code:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn amounts_get_distinct_codes() {
        let code = |text: &str| {
            positive_amount(Decimal::from_str(text).unwrap(), Currency::TRY, &["total"])
                .err()
                .map(|e| e.code)
        };
        assert_eq!(code("10.005"), Some("TOO_MANY_DECIMALS"));
        assert_eq!(code("-5"), Some("AMOUNT_NOT_POSITIVE"));
        assert_eq!(code("0"), Some("AMOUNT_NOT_POSITIVE"));
        assert_eq!(code("10.50"), None);
        assert_eq!(code("10000000000000.00"), None);
        assert_eq!(code("10000000000000.01"), Some("OUT_OF_RANGE"));
        assert_eq!(code("92233720368547758.07"), Some("OUT_OF_RANGE"));
        assert_eq!(
            currency("XXX", &["currency"]).unwrap_err().code,
            "UNKNOWN_CURRENCY"
        );
    }

    #[test]
    fn control_characters_are_refused_but_notes_keep_their_lines() {
        let code = |result: Result<Option<String>, FieldError>| result.err().map(|e| e.code);
        assert_eq!(
            code(optional_text(Some("a\0b"), 10, &["name"])),
            Some("INVALID_TEXT")
        );
        assert_eq!(
            code(optional_text(Some("a\nb"), 10, &["name"])),
            Some("INVALID_TEXT")
        );
        assert_eq!(
            code(optional_text(Some("a\u{1b}[31m"), 10, &["name"])),
            Some("INVALID_TEXT")
        );
        assert_eq!(code(optional_note(Some("a\nb\tc"), 10, &["note"])), None);
        assert_eq!(
            code(optional_note(Some("a\0b"), 10, &["note"])),
            Some("INVALID_TEXT")
        );
        assert_eq!(
            code(optional_text(Some("Çağrı Öztürk"), 20, &["name"])),
            None
        );
        assert!(filter_text("x\0", 200, "search").is_err());
        assert!(filter_text(&"x".repeat(201), 200, "search").is_err());
        assert!(filter_text(&"ş".repeat(200), 200, "search").is_ok());
    }

    #[test]
    fn phones_become_e164() {
        for (written, e164) in [
            ("0532 123 45 67", "+905321234567"),
            ("+90 532 123 4567", "+905321234567"),
            ("5321234567", "+905321234567"),
            ("(0212) 555-00-00", "+902125550000"),
            ("0090 532 123 45 67", "+905321234567"),
            ("+49 30 1234567", "+49301234567"),
        ] {
            assert_eq!(
                optional_phone(Some(written), &["phone"])
                    .unwrap()
                    .as_deref(),
                Some(e164),
                "{written}"
            );
        }
        for bad in [
            "123",
            "0532 123 45 6",
            "05321234567x",
            "+0532",
            "ara beni",
            "0 000 000 00 00",
        ] {
            assert_eq!(
                optional_phone(Some(bad), &["phone"]).unwrap_err().code,
                "INVALID_PHONE",
                "{bad}"
            );
        }
        assert_eq!(optional_phone(Some("  "), &["phone"]).unwrap(), None);
        assert_eq!(
            optional_language(Some("EN"), &["language"])
                .unwrap()
                .as_deref(),
            Some("en")
        );
        assert!(optional_language(Some("de"), &["language"]).is_err());
    }

    #[test]
    fn field_paths_start_at_the_input() {
        let error = currency("XXX", &["allocations", "0", "currency"]).unwrap_err();
        assert_eq!(error.field, vec!["input", "allocations", "0", "currency"]);
    }
}
