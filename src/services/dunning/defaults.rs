//! What a new organization starts with: mail and SMS templates in Turkish and English (friendly
//! before the due date, on the day, a reminder at +3, firm at +10, a formal notice at +30) and a
//! default policy that uses them, with a pay link in every mail and SMS.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::policies;
use super::templates::{self, TemplateInput};
use crate::domain::dunning::{Step, StepChannel, TemplateChannel};
use crate::domain::ids::OrganizationId;
use crate::entities::{organization, reminder_policy};
use crate::error::AppResult;

/// (name, Turkish subject, Turkish body, English subject, English body) of each mail.
const MAILS: [(&str, &str, &str, &str, &str); 5] = [
    (
        "Vadeden önce / Before due",
        "{{company}}: yaklaşan ödeme hatırlatması",
        "Sayın {{contact_name}},\n\n{{customer}} adına aşağıdaki faturaların vadesi yaklaşıyor:\n\n{{invoice_table}}\n\nToplam: {{total_overdue}}\n\nDilerseniz kartla, taksitle ödeyebilirsiniz: {{pay_link}}\n\nÖdemeyi yaptıysanız bu iletiyi dikkate almayın. Teşekkür ederiz.\n\n{{collector_name}}\n{{company}}",
        "{{company}}: a payment falls due soon",
        "Dear {{contact_name}},\n\nThe invoices below for {{customer}} fall due soon:\n\n{{invoice_table}}\n\nTotal: {{total_overdue}}\n\nYou can pay by card, in installments if you wish: {{pay_link}}\n\nIf you have paid already, please ignore this message. Thank you.\n\n{{collector_name}}\n{{company}}",
    ),
    (
        "Vade günü / Due today",
        "{{company}}: bugün vadesi gelen ödeme",
        "Sayın {{contact_name}},\n\nAşağıdaki faturaların vadesi bugün:\n\n{{invoice_table}}\n\nToplam: {{total_overdue}}\n\nÖdeme bağlantınız: {{pay_link}}\n\nTeşekkür ederiz.\n{{company}}",
        "{{company}}: payment due today",
        "Dear {{contact_name}},\n\nThe invoices below are due today:\n\n{{invoice_table}}\n\nTotal: {{total_overdue}}\n\nYour payment link: {{pay_link}}\n\nThank you.\n{{company}}",
    ),
    (
        "Gecikme / Overdue",
        "{{company}}: vadesi geçen ödeme hatırlatması",
        "Sayın {{contact_name}},\n\nAşağıdaki faturaların ödemesi henüz elimize ulaşmadı; gözden kaçmış olabilir:\n\n{{invoice_table}}\n\nToplam: {{total_overdue}}\n\nKartla, dilerseniz taksitle ödeyebilirsiniz: {{pay_link}}\n\nBir sorun varsa bu iletiyi yanıtlayın ya da {{collector_name}} ile görüşün.\n{{company}}",
        "{{company}}: overdue payment reminder",
        "Dear {{contact_name}},\n\nWe have not yet received payment for the invoices below; it may have been missed:\n\n{{invoice_table}}\n\nTotal: {{total_overdue}}\n\nYou can pay by card, in installments if you wish: {{pay_link}}\n\nIf something is wrong, reply to this message or talk to {{collector_name}}.\n{{company}}",
    ),
    (
        "Kesin hatırlatma / Firm reminder",
        "{{company}}: gecikmiş ödemeniz hakkında",
        "Sayın {{contact_name}},\n\nAşağıdaki faturaların vadesi geçeli on gün oldu ve ödeme hâlâ yapılmadı:\n\n{{invoice_table}}\n\nToplam gecikmiş tutar: {{total_overdue}}\n\nLütfen ödemenizi bu hafta içinde yapın: {{pay_link}}\n\nÖdeme planı gerekiyorsa {{collector_name}} ile görüşün.\n{{company}}",
        "{{company}}: about your overdue payment",
        "Dear {{contact_name}},\n\nThe invoices below are ten days past due and still unpaid:\n\n{{invoice_table}}\n\nTotal overdue: {{total_overdue}}\n\nPlease pay this week: {{pay_link}}\n\nIf you need a payment plan, talk to {{collector_name}}.\n{{company}}",
    ),
    (
        "Resmi ihtar / Formal notice",
        "{{company}}: ödeme ihtarı",
        "Sayın {{contact_name}},\n\n{{customer}} hesabında aşağıdaki faturalar otuz günü aşkın süredir ödenmemiştir:\n\n{{invoice_table}}\n\nToplam borç: {{total_overdue}}\n\nBorcun yedi gün içinde ödenmemesi hâlinde yasal yollara başvurma hakkımız saklıdır.\nÖdeme bağlantısı: {{pay_link}}\n\n{{company}}",
        "{{company}}: formal notice of overdue payment",
        "Dear {{contact_name}},\n\nThe invoices below on the account of {{customer}} have been unpaid for more than thirty days:\n\n{{invoice_table}}\n\nTotal owed: {{total_overdue}}\n\nIf the debt is not paid within seven days we reserve the right to take legal action.\nPayment link: {{pay_link}}\n\n{{company}}",
    ),
];

/// (name, Turkish text, English text) of each SMS; each fits one message with a short link.
const SMS: [(&str, &str, &str); 5] = [
    (
        "Vadeden önce / Before due",
        "{{company}}: {{total_overdue}} tutarındaki ödemenizin vadesi yaklaşıyor. Ödeme: {{pay_link}}",
        "{{company}}: {{total_overdue}} falls due soon. Pay: {{pay_link}}",
    ),
    (
        "Vade günü / Due today",
        "{{company}}: {{total_overdue}} tutarındaki ödemenizin vadesi bugün. Ödeme: {{pay_link}}",
        "{{company}}: {{total_overdue}} is due today. Pay: {{pay_link}}",
    ),
    (
        "Gecikme / Overdue",
        "{{company}}: {{total_overdue}} tutarındaki ödemeniz gecikti. Ödeme: {{pay_link}}",
        "{{company}}: {{total_overdue}} is overdue. Pay: {{pay_link}}",
    ),
    (
        "Kesin hatırlatma / Firm reminder",
        "{{company}}: {{total_overdue}} gecikmiş borcunuzu lütfen bu hafta ödeyin: {{pay_link}}",
        "{{company}}: please pay the overdue {{total_overdue}} this week: {{pay_link}}",
    ),
    (
        "Resmi ihtar / Formal notice",
        "{{company}}: {{total_overdue}} borcunuz 30 günü geçti. 7 gün içinde ödenmezse yasal yola başvurulacaktır: {{pay_link}}",
        "{{company}}: {{total_overdue}} is over 30 days overdue. Unpaid in 7 days, we may take legal action: {{pay_link}}",
    ),
];

/// The default policy's days, channels and texts (by index into the tables above).
const STEPS: [(i32, StepChannel, usize); 6] = [
    (-3, StepChannel::Email, 0),
    (0, StepChannel::Sms, 1),
    (3, StepChannel::Email, 2),
    (10, StepChannel::Email, 3),
    (20, StepChannel::Task, 0),
    (30, StepChannel::Email, 4),
];

/// Seeds the templates and the default policy, once: an organization that has a policy already
/// is left as it is.
pub async fn seed(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let existing = reminder_policy::Entity::find()
        .filter(reminder_policy::Column::OrganizationId.eq(org.0))
        .count(conn)
        .await?;
    if existing > 0 {
        return Ok(false);
    }
    let mut mails = Vec::new();
    for (name, tr_subject, tr_body, en_subject, en_body) in MAILS {
        let mut ids = Vec::new();
        for (language, subject, body) in [("tr", tr_subject, tr_body), ("en", en_subject, en_body)]
        {
            let input = TemplateInput {
                name: name.to_owned(),
                channel: TemplateChannel::Email,
                language: language.to_owned(),
                subject: Some(subject.to_owned()),
                body: body.to_owned(),
            };
            ids.push(templates::insert(conn, org, &input, now).await?.id);
        }
        mails.push(ids[0]);
    }
    let mut texts = Vec::new();
    for (name, tr_body, en_body) in SMS {
        let mut ids = Vec::new();
        for (language, body) in [("tr", tr_body), ("en", en_body)] {
            let input = TemplateInput {
                name: name.to_owned(),
                channel: TemplateChannel::Sms,
                language: language.to_owned(),
                subject: None,
                body: body.to_owned(),
            };
            ids.push(templates::insert(conn, org, &input, now).await?.id);
        }
        texts.push(ids[0]);
    }
    let steps: Vec<Step> = STEPS
        .iter()
        .map(|(offset_days, channel, text)| Step {
            offset_days: *offset_days,
            channel: *channel,
            template_id: match channel {
                StepChannel::Email => Some(mails[*text]),
                StepChannel::Sms => Some(texts[*text]),
                StepChannel::Task => None,
            },
            include_pay_link: *channel != StepChannel::Task,
            min_overdue_amount: None,
        })
        .collect();
    policies::insert(conn, org, "Standart / Standard", true, 3, &steps, now).await?;
    Ok(true)
}

/// Seeds every organization that has no policy yet (those made before dunning existed); run at
/// start.
pub async fn seed_all(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<usize> {
    let mut seeded = 0;
    for organization in organization::Entity::find().all(conn).await? {
        if seed(conn, OrganizationId(organization.id), now).await? {
            seeded += 1;
        }
    }
    Ok(seeded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_text_parses_and_every_sms_fits_one_message() {
        for (_, tr_subject, tr_body, en_subject, en_body) in MAILS {
            for text in [tr_subject, tr_body, en_subject, en_body] {
                crate::domain::template::parse(text).unwrap();
            }
        }
        for (_, tr, en) in SMS {
            for text in [tr, en] {
                crate::domain::template::parse(text).unwrap();
                // With a 12-character company, "12.345,67 TL" and a 60-character link.
                let filled = text
                    .replace("{{company}}", "Deniz Tekstil")
                    .replace("{{total_overdue}}", "12.345,67 TL")
                    .replace("{{pay_link}}", &"x".repeat(60));
                let length = crate::domain::sms::sms_length(&filled);
                assert!(length.segments <= 2, "{filled}: {length:?}");
            }
        }
    }
}
