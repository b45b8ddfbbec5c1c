//! NestPay's wire formats: ISO 4217 numeric currency codes, what a callback says, and the XML
//! API's order-status answer.

use std::collections::HashMap;

use quick_xml::events::Event;

use crate::{AttemptQuery, CallbackEvent, LinkRef, ProviderError, ReportedAmount};

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

/// Whether a posted field carries card details, which are never stored: the masked number, the
/// expiry, the card holder's name, and the 3-D Secure values.
pub fn is_card_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "maskedpan",
        "maskedcreditcard",
        "pan",
        "cv2",
        "cavv",
        "eci",
        "md",
        "xid",
    ]
    .contains(&name.as_str())
        || name.starts_with("ecom_payment_card")
        || name.contains("cardholder")
}

/// Whether posted callback fields report a payment to credit: approved (`ProcReturnCode` `00`
/// and `Response` `Approved`) and fully 3-D authenticated (`mdStatus` `1`). The hash is checked
/// before this is asked.
pub fn approved(field: impl Fn(&str) -> Option<String>) -> bool {
    field("ProcReturnCode").as_deref() == Some("00")
        && field("Response").as_deref() == Some("Approved")
        && field("mdStatus").as_deref() == Some("1")
}

/// The text of every element of an XML answer, by its path below the root joined with `.`
/// (`ProcReturnCode`, `Extra.TRANS_STAT`).
pub fn read_xml(xml: &str) -> Result<HashMap<String, String>, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut fields = HashMap::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => {
                path.push(start.name().as_ref().to_owned());
            }
            Ok(Event::End(_)) => {
                path.pop();
            }
            Ok(Event::Text(text)) => append(&mut fields, &path, &text.xml10_content()),
            Ok(Event::CData(data)) => {
                append(&mut fields, &path, &data);
            }
            Ok(Event::GeneralRef(reference)) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(character)) => character.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&reference)
                        .unwrap_or_default()
                        .to_owned(),
                };
                append(&mut fields, &path, &resolved);
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(error) => return Err(format!("not XML: {error}")),
        }
        if fields.len() > 500 {
            return Err("too many fields".into());
        }
    }
    Ok(fields)
}

fn append(fields: &mut HashMap<String, String>, path: &[String], text: &str) {
    // The root (CC5Response) is left out of the names.
    if path.len() < 2 {
        return;
    }
    fields
        .entry(path[1..].join("."))
        .or_default()
        .push_str(text);
}

/// An amount in the status answer: `131303` (minor units, as `ORDERSTATUS` writes them) or
/// `1313.03`.
fn status_amount(text: &str) -> Option<rust_decimal::Decimal> {
    let text = text.trim();
    if text.contains('.') {
        crate::parse_plain_decimal(text)
    } else {
        text.parse::<i64>()
            .ok()
            .map(|minor| rust_decimal::Decimal::new(minor, 2))
    }
}

/// What an `ORDERSTATUS` answer says of the attempt `query` asked about.
pub fn status_event(
    answer: &HashMap<String, String>,
    query: &AttemptQuery,
) -> Result<Option<CallbackEvent>, ProviderError> {
    let field = |name: &str| answer.get(name).map(|value| value.trim()).unwrap_or("");
    if field("ProcReturnCode") != "00" {
        // No such order at the bank (the payer never got as far), or the query itself failed.
        return Ok(None);
    }
    if !field("OrderId").is_empty() && field("OrderId") != query.reference {
        return Err(ProviderError::BadAnswer(
            "the answer is for another order".into(),
        ));
    }
    let oid = query.reference.clone();
    let link = LinkRef::Attempt(oid.clone());
    match (field("Extra.TRANS_STAT"), field("Extra.CHARGE_TYPE_CD")) {
        ("A" | "C" | "S", "S") => {
            let amount = [field("Extra.CAPTURE_AMT"), field("Extra.ORIG_TRANS_AMT")]
                .into_iter()
                .find_map(status_amount)
                .ok_or_else(|| ProviderError::BadAnswer("a sale without its amount".into()))?;
            let transaction_id = Some(field("TransId"))
                .filter(|id| !id.is_empty())
                .ok_or_else(|| ProviderError::BadAnswer("a sale without TransId".into()))?;
            Ok(Some(CallbackEvent::Succeeded {
                event_key: oid,
                link,
                transaction_id: transaction_id.to_owned(),
                charged: Some(ReportedAmount {
                    value: amount,
                    currency: None,
                }),
                installment_count: Some(query.installments),
            }))
        }
        ("D" | "ERR" | "CNCL" | "V", _) => Ok(Some(CallbackEvent::Failed {
            event_key: format!("{oid}/failed"),
            link,
            reason: Some(field("ErrMsg"))
                .filter(|message| !message.is_empty())
                .unwrap_or("the bank declined the order")
                .to_owned(),
        })),
        _ => Ok(None),
    }
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
        assert_eq!(currency_code("978"), Some("EUR"));
    }

    fn query() -> AttemptQuery {
        AttemptQuery {
            reference: "0192abc".into(),
            provider_ref: None,
            language: crate::Language::Turkish,
            installments: 6,
        }
    }

    #[test]
    fn an_order_status_answer_reads() {
        let settled = "<?xml version=\"1.0\" encoding=\"ISO-8859-9\"?><CC5Response><OrderId>0192abc</OrderId><GroupId>0192abc</GroupId><Response>Approved</Response><AuthCode>P77974</AuthCode><HostRefNum>633018561234</HostRefNum><ProcReturnCode>00</ProcReturnCode><TransId>22345Lm1</TransId><ErrMsg>Record(s) found for 0192abc</ErrMsg><Extra><SETTLEID></SETTLEID><TRANS_STAT>S</TRANS_STAT><CHARGE_TYPE_CD>S</CHARGE_TYPE_CD><ORIG_TRANS_AMT>131303</ORIG_TRANS_AMT><CAPTURE_AMT>131303</CAPTURE_AMT><PAN>4355 08** **** 4358</PAN></Extra></CC5Response>";
        let answer = read_xml(settled).unwrap();
        assert_eq!(answer["Extra.TRANS_STAT"], "S");
        let Some(CallbackEvent::Succeeded {
            event_key,
            charged,
            installment_count,
            transaction_id,
            ..
        }) = status_event(&answer, &query()).unwrap()
        else {
            panic!("a settled sale is a success");
        };
        assert_eq!(
            (
                event_key.as_str(),
                transaction_id.as_str(),
                installment_count
            ),
            ("0192abc", "22345Lm1", Some(6))
        );
        assert_eq!(
            charged.unwrap().value,
            rust_decimal::Decimal::new(131303, 2)
        );

        let declined = "<CC5Response><OrderId>0192abc</OrderId><ProcReturnCode>00</ProcReturnCode><ErrMsg>Yetersiz bakiye &amp; limit</ErrMsg><Extra><TRANS_STAT>D</TRANS_STAT><CHARGE_TYPE_CD>S</CHARGE_TYPE_CD></Extra></CC5Response>";
        let Some(CallbackEvent::Failed { reason, .. }) =
            status_event(&read_xml(declined).unwrap(), &query()).unwrap()
        else {
            panic!("a failed order is a decline");
        };
        assert_eq!(reason, "Yetersiz bakiye & limit");

        let unknown = "<CC5Response><ProcReturnCode>99</ProcReturnCode><ErrMsg>No record found</ErrMsg></CC5Response>";
        assert_eq!(
            status_event(&read_xml(unknown).unwrap(), &query()).unwrap(),
            None
        );
        let pending = "<CC5Response><OrderId>0192abc</OrderId><ProcReturnCode>00</ProcReturnCode><Extra><TRANS_STAT>PN</TRANS_STAT></Extra></CC5Response>";
        assert_eq!(
            status_event(&read_xml(pending).unwrap(), &query()).unwrap(),
            None
        );
        let other = "<CC5Response><OrderId>another</OrderId><ProcReturnCode>00</ProcReturnCode><Extra><TRANS_STAT>S</TRANS_STAT><CHARGE_TYPE_CD>S</CHARGE_TYPE_CD></Extra></CC5Response>";
        assert!(status_event(&read_xml(other).unwrap(), &query()).is_err());
    }
}
