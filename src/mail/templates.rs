//! Mail texts. Each mail carries both languages, Turkish first, as plain text and HTML.

use chrono::{DateTime, NaiveDate, Utc};

use super::Mail;
use crate::domain::money::Money;
use crate::render::{Lang, escape, format_money};

/// One invoice line of a payment-link mail.
pub struct InvoiceLine {
    pub number: String,
    pub due_date: NaiveDate,
}

/// "Here is your payment link": the company, the invoices, the amount, the link and its expiry.
pub fn payment_link(
    to: &str,
    company: &str,
    invoices: &[InvoiceLine],
    amount: Money,
    url: &str,
    expires_at: DateTime<Utc>,
    message_id: String,
) -> Mail {
    let tr_amount = format_money(amount, Lang::Tr);
    let en_amount = format_money(amount, Lang::En);
    let expires_tr = expires_at.format("%d.%m.%Y %H:%M UTC");
    let expires_en = expires_at.format("%Y-%m-%d %H:%M UTC");
    let lines_text: String = invoices
        .iter()
        .map(|invoice| {
            format!(
                "  - {} ({})\n",
                invoice.number,
                invoice.due_date.format("%d.%m.%Y")
            )
        })
        .collect();
    let lines_html: String = invoices
        .iter()
        .map(|invoice| {
            format!(
                "<li>{} ({})</li>",
                escape(&invoice.number),
                invoice.due_date.format("%d.%m.%Y")
            )
        })
        .collect();
    let subject = format!("{company}: ödeme bağlantınız / your payment link");
    let text = format!(
        "Sayın yetkili,\n\n{company} olarak aşağıdaki faturalar için {tr_amount} tutarındaki ödemenizi kartla, \
dilerseniz taksitle yapabileceğiniz bağlantı:\n\n{lines_text}\n{url}\n\nBağlantı {expires_tr} tarihine kadar geçerlidir. \
Kart bilgileriniz bankanın güvenli ödeme sayfasında girilir.\n\n---\n\nDear customer,\n\n{company} invites you to pay \
{en_amount} for the invoices below by card, in installments if you wish:\n\n{lines_text}\n{url}\n\nThe link is valid until {expires_en}. \
You enter your card on the bank's secure page.\n"
    );
    let company_html = escape(company);
    let url_html = escape(url);
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;color:#1d2433\">\
<p>Sayın yetkili,</p><p><b>{company_html}</b> olarak aşağıdaki faturalar için <b>{tr_amount}</b> tutarındaki ödemenizi kartla, dilerseniz taksitle yapabilirsiniz:</p>\
<ul>{lines_html}</ul><p><a href=\"{url_html}\" style=\"background:#1f6feb;color:#fff;padding:10px 16px;border-radius:8px;text-decoration:none\">Ödeme yap</a></p>\
<p style=\"color:#5b6475\">Bağlantı {expires_tr} tarihine kadar geçerlidir: {url_html}</p><hr>\
<p>Dear customer,</p><p><b>{company_html}</b> invites you to pay <b>{en_amount}</b> for the invoices above by card, in installments if you wish:</p>\
<p><a href=\"{url_html}\">Pay now</a> — valid until {expires_en}.</p></body></html>"
    );
    Mail {
        to: to.to_owned(),
        subject,
        text,
        html,
        message_id,
    }
}
