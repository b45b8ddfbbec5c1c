//! What the customer's pages and the mails share: the language, money and date formatting,
//! HTML escaping, and the page shell. Both `http` and `mail` use it; it uses neither.

use axum::http::{HeaderMap, header};
use axum::response::Html;

use crate::domain::money::Money;

/// The page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Tr,
    En,
}

impl Lang {
    /// Turkish unless the browser's first choice is English.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let first = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(',').next())
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if first.starts_with("en") {
            Lang::En
        } else {
            Lang::Tr
        }
    }

    pub fn pick(self, turkish: &'static str, english: &'static str) -> &'static str {
        match self {
            Lang::Tr => turkish,
            Lang::En => english,
        }
    }
}

/// `1.250,50 TL` in Turkish, `TRY 1,250.50` in English.
pub fn format_money(money: Money, lang: Lang) -> String {
    let text = money.to_decimal().abs().to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let (thousands, decimal) = match lang {
        Lang::Tr => ('.', ','),
        Lang::En => (',', '.'),
    };
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(thousands);
        }
        grouped.push(digit);
    }
    if !fraction.is_empty() {
        grouped.push(decimal);
        grouped.push_str(fraction);
    }
    let sign = if money.minor < 0 { "-" } else { "" };
    match lang {
        Lang::Tr => {
            let code = if money.currency.code() == "TRY" {
                "TL"
            } else {
                money.currency.code()
            };
            format!("{sign}{grouped} {code}")
        }
        Lang::En => format!("{} {sign}{grouped}", money.currency.code()),
    }
}

/// Text made safe for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub const STYLE: &str = "body{font-family:system-ui,-apple-system,sans-serif;margin:0;background:#f4f5f7;color:#1d2433}\
main{max-width:32rem;margin:0 auto;padding:1.25rem}section{background:#fff;border-radius:12px;padding:1.25rem;margin-bottom:1rem;box-shadow:0 1px 3px #0002}\
h1{font-size:1.2rem;margin:0 0 .25rem}p.muted{color:#5b6475;margin:.25rem 0}.amount{font-size:2rem;font-weight:700;margin:.5rem 0}\
table{width:100%;border-collapse:collapse}td,th{padding:.55rem .25rem;border-bottom:1px solid #e6e8ec;text-align:left}td.num,th.num{text-align:right}\
label{display:flex;gap:.5rem;align-items:center}button{width:100%;padding:.9rem;font-size:1.05rem;border:0;border-radius:10px;background:#1f6feb;color:#fff;margin-top:1rem}\
button.decline{background:#b42318}button.secondary{background:#fff;color:#1f6feb;border:1px solid #1f6feb}.state{font-size:1.1rem;font-weight:600}.sandbox{background:#fff4ce;border:2px dashed #b58100}\
h2{font-size:1rem;margin:0 0 .5rem}form+form{margin-top:1.25rem;padding-top:1rem;border-top:1px solid #e6e8ec}form label{flex-wrap:wrap;margin:.4rem 0}\
input,select,textarea{font:inherit;padding:.5rem;border:1px solid #c9ced6;border-radius:8px;flex:1 1 12rem;min-width:0}";

pub fn page(lang: Lang, title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\"><title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        lang.pick("tr", "en"),
        escape(title)
    ))
}

/// The banner on every page of a test provider: nothing here moves money.
pub fn test_banner(lang: Lang) -> String {
    format!(
        "<section class=\"sandbox\" id=\"test-banner\"><h1>TEST — {}</h1><p>{}</p></section>",
        lang.pick("para çekilmez", "no money moves"),
        lang.pick(
            "Bu ödeme bir test bankası üzerinden yapılır: gerçek para çekilmez, kart bilgisi istenmez.",
            "This payment goes through a test bank: no real money moves and no card is asked for."
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;

    #[test]
    fn amounts_are_written_the_way_each_language_writes_them() {
        let amount = Money::from_minor(125_050, Currency::TRY);
        assert_eq!(format_money(amount, Lang::Tr), "1.250,50 TL");
        assert_eq!(format_money(amount, Lang::En), "TRY 1,250.50");
        assert_eq!(
            format_money(Money::from_minor(123_456_789, Currency::USD), Lang::Tr),
            "1.234.567,89 USD"
        );
        assert_eq!(
            format_money(Money::from_minor(5, Currency::TRY), Lang::En),
            "TRY 0.05"
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<b>\"A&B\"</b>"),
            "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;"
        );
    }
}
