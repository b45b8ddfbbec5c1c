//! `serve --demo`: a demo organization with realistic Turkish data, seeded once.
//!
//! The data is generated from a fixed seed relative to today, so every fresh demo looks alike.
//! Seeding is idempotent: when the organization already has customers nothing is added, and only
//! a new admin token is issued (tokens are stored hashed, so an old one cannot be shown again).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::clock::Clock;
use crate::db::Db;
use crate::domain::activity::ActivityKind;
use crate::domain::ids::{
    ActivityId, AllocationId, ContactId, CustomerId, InvoiceId, PaymentId, UserId,
};
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::{Currency, Money};
use crate::domain::payment::PaymentMethod;
use crate::domain::role::Role;
use crate::domain::task::{TaskKind, TaskSource, TaskStatus};
use crate::entities::{
    activity, contact, customer, customer_assignment, exchange_rate, instrument, instrument_event,
    invoice, organization, payment, payment_allocation, task, task_invoice, user,
};
use crate::error::AppResult;
use crate::services::scope::OrgScoped;
use crate::services::users::{find_or_create_organization, issue_token};

pub const DEMO_ORGANIZATION: &str = "Demo Ticaret A.Ş.";
pub const DEMO_ADMIN_EMAIL: &str = "admin@demoticaret.com.tr";
const INVOICES_PER_CUSTOMER: usize = 6;

/// What seeding did, for the console.
#[derive(Debug)]
pub struct DemoSeed {
    pub organization: organization::Model,
    /// False when the demo data was already there.
    pub created: bool,
    pub customers: u64,
    pub invoices: u64,
    pub admin_email: String,
    pub admin_token: String,
}

/// Seeds the demo organization if needed and issues a new admin token.
#[tracing::instrument(skip_all)]
pub async fn seed(db: &Db, clock: &dyn Clock) -> AppResult<DemoSeed> {
    let now = clock.now();
    let today = clock.today();
    let txn = db.begin().await?;
    let (organization, _) = find_or_create_organization(&txn, DEMO_ORGANIZATION, now).await?;
    let org = crate::domain::ids::OrganizationId(organization.id);

    let people = ensure_people(&txn, organization.id, now).await?;
    let already_seeded = customer::Entity::in_org(org).count(&txn).await? > 0;
    if !already_seeded {
        insert_data(&txn, organization.id, &people, today, now).await?;
    }
    let token = issue_token(&txn, &people.admin, Some("demo".to_owned()), now).await?;
    let customers = customer::Entity::in_org(org).count(&txn).await?;
    let invoices = invoice::Entity::in_org(org).count(&txn).await?;
    txn.commit().await?;
    Ok(DemoSeed {
        organization,
        created: !already_seeded,
        customers,
        invoices,
        admin_email: people.admin.email.clone(),
        admin_token: token,
    })
}

struct People {
    admin: user::Model,
    manager: user::Model,
    collectors: [user::Model; 2],
}

async fn ensure_people(
    txn: &sea_orm::DatabaseTransaction,
    organization_id: uuid::Uuid,
    now: DateTime<Utc>,
) -> AppResult<People> {
    let mut found = Vec::new();
    for (email, name, role) in [
        (DEMO_ADMIN_EMAIL, "Demo Yönetici", Role::Admin),
        (
            "zeynep.arslan@demoticaret.com.tr",
            "Zeynep Arslan",
            Role::Manager,
        ),
        (
            "ayse.yilmaz@demoticaret.com.tr",
            "Ayşe Yılmaz",
            Role::Collector,
        ),
        (
            "mehmet.kaya@demoticaret.com.tr",
            "Mehmet Kaya",
            Role::Collector,
        ),
    ] {
        let existing = user::Entity::find()
            .filter(user::Column::OrganizationId.eq(organization_id))
            .filter(user::Column::Email.eq(email))
            .one(txn)
            .await?;
        let model = match existing {
            Some(model) => model,
            None => {
                let model = user::Model {
                    id: UserId::new().0,
                    organization_id,
                    email: email.to_owned(),
                    name: name.to_owned(),
                    role,
                    phone: None,
                    deactivated_at: None,
                    created_at: now,
                    updated_at: now,
                };
                user::Entity::insert(user::ActiveModel::from(model.clone()))
                    .exec(txn)
                    .await?;
                model
            }
        };
        found.push(model);
    }
    let [admin, manager, first, second]: [user::Model; 4] = found
        .try_into()
        .map_err(|_| crate::error::AppError::Internal("demo users".into()))?;
    Ok(People {
        admin,
        manager,
        collectors: [first, second],
    })
}

const COMPANIES: [(&str, &str); 25] = [
    ("Anadolu Yapı Malzemeleri A.Ş.", "Ankara"),
    ("Boğaziçi Gıda Dağıtım Ltd. Şti.", "İstanbul"),
    ("Çukurova Tekstil San. ve Tic. A.Ş.", "Adana"),
    ("Ege Zeytincilik Ltd. Şti.", "İzmir"),
    ("Karadeniz Fındık İhracat A.Ş.", "Trabzon"),
    ("Marmara Oto Yedek Parça Ltd. Şti.", "Bursa"),
    ("Kapadokya Turizm İşletmeleri A.Ş.", "Nevşehir"),
    ("Trakya Tarım Ürünleri Ltd. Şti.", "Edirne"),
    ("Toros Kimya Sanayi A.Ş.", "Mersin"),
    ("Yıldız Elektrik Malzemeleri Ltd. Şti.", "Kocaeli"),
    ("Gökkuşağı Kırtasiye Ltd. Şti.", "Eskişehir"),
    ("Başkent Medikal Cihazlar A.Ş.", "Ankara"),
    ("Akdeniz Soğuk Hava Depoculuk A.Ş.", "Antalya"),
    ("Doğu Lojistik ve Taşımacılık Ltd. Şti.", "Erzurum"),
    ("Ergün Mobilya San. Tic. Ltd. Şti.", "Kayseri"),
    ("Özkan İnşaat Taahhüt A.Ş.", "İstanbul"),
    ("Kuzey Ambalaj Sanayi A.Ş.", "Samsun"),
    ("Selçuklu Un Fabrikası A.Ş.", "Konya"),
    ("Pamukkale Ev Tekstili Ltd. Şti.", "Denizli"),
    ("Uludağ Otelcilik A.Ş.", "Bursa"),
    ("Ilgaz Kereste Ltd. Şti.", "Kastamonu"),
    ("Mavi Deniz Su Ürünleri Ltd. Şti.", "Muğla"),
    ("Şahin Bilişim Teknolojileri A.Ş.", "İstanbul"),
    ("Güneş Enerji Sistemleri A.Ş.", "Gaziantep"),
    ("Demir Çelik Profil San. A.Ş.", "Karabük"),
];

const CONTACT_NAMES: [&str; 16] = [
    "Ahmet Yıldız",
    "Elif Demir",
    "Mustafa Şahin",
    "Fatma Çelik",
    "Emre Aydın",
    "Zehra Öztürk",
    "Burak Arslan",
    "Selin Koç",
    "Hakan Kurt",
    "Merve Aksoy",
    "Murat Polat",
    "Deniz Erdoğan",
    "Cem Korkmaz",
    "Ebru Kılıç",
    "Onur Çetin",
    "Gülşen Aslan",
];
const CONTACT_ROLES: [&str; 4] = [
    "Muhasebe Müdürü",
    "Satın Alma Sorumlusu",
    "Genel Müdür",
    "Finans Uzmanı",
];
const CALL_NOTES: [&str; 5] = [
    "Muhasebe ile görüşüldü, ödeme talimatı hafta içinde verilecek.",
    "Telefon açılmadı, sesli mesaj bırakıldı.",
    "Yetkili toplantıdaydı, yarın tekrar aranacak.",
    "Fatura kendilerine ulaşmamış; e-posta ile yeniden gönderildi.",
    "Nakit sıkışıklığı yaşadıklarını söylediler, kısmi ödeme önerildi.",
];

/// A small deterministic generator (SplitMix64), so the demo looks the same on every machine.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..high`.
    fn range(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high - low).unwrap_or(1).max(1);
        low + i64::try_from(self.next() % span).unwrap_or(0)
    }

    /// True with the given percent chance.
    fn chance(&mut self, percent: i64) -> bool {
        self.range(0, 100) < percent
    }
}

fn at(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour % 24, minute % 60, 0).unwrap_or(NaiveTime::MIN);
    date.and_time(time).and_utc()
}

fn ascii_slug(name: &str) -> String {
    let first_word = name.split_whitespace().next().unwrap_or("firma");
    first_word
        .chars()
        .map(|c| match c {
            'ç' | 'Ç' => 'c',
            'ğ' | 'Ğ' => 'g',
            'ı' | 'İ' | 'I' => 'i',
            'ö' | 'Ö' => 'o',
            'ş' | 'Ş' => 's',
            'ü' | 'Ü' => 'u',
            other => other.to_ascii_lowercase(),
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

async fn insert_data(
    txn: &sea_orm::DatabaseTransaction,
    organization_id: uuid::Uuid,
    people: &People,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut dice = Dice(0x7A45_111A_7000_2026);
    // Nothing in the demo happens later than now.
    let at = |date: NaiveDate, hour: u32, minute: u32| at(date, hour, minute).min(now);
    let mut customers = Vec::new();
    let mut assignments = Vec::new();
    let mut contacts = Vec::new();
    let mut invoices = Vec::new();
    let mut payments = Vec::new();
    let mut allocations = Vec::new();
    let mut activities = Vec::new();
    let mut log = |customer_id: uuid::Uuid,
                   invoice_id: Option<uuid::Uuid>,
                   actor: &user::Model,
                   kind: ActivityKind,
                   note: Option<&str>,
                   data: serde_json::Value,
                   occurred_at: DateTime<Utc>| {
        activities.push(activity::ActiveModel {
            id: Set(ActivityId::new().0),
            organization_id: Set(organization_id),
            customer_id: Set(customer_id),
            invoice_id: Set(invoice_id),
            actor_user_id: Set(Some(actor.id)),
            actor_label: Set(actor.email.clone()),
            kind: Set(kind),
            note: Set(note.map(str::to_owned)),
            data: Set(data),
            occurred_at: Set(occurred_at),
        });
    };

    // Overdue invoices, for the collectors' worklists.
    let mut overdue = Vec::new();
    let mut invoice_number = 0;
    for (index, (name, city)) in COMPANIES.iter().enumerate() {
        let customer_id = CustomerId::new().0;
        let collector = &people.collectors[index % 2];
        let terms = [15, 30, 30, 45, 60][index % 5];
        let slug = ascii_slug(name);
        let created_on = today - Duration::days(200);
        assignments.push(customer_assignment::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            organization_id: Set(organization_id),
            customer_id: Set(customer_id),
            collector_id: Set(collector.id),
            assigned_at: Set(at(created_on, 8, 30)),
            unassigned_at: Set(None),
        });
        customers.push(customer::ActiveModel {
            id: Set(customer_id),
            organization_id: Set(organization_id),
            external_ref: Set(Some(format!("CARI-{:04}", 1001 + index))),
            name: Set((*name).to_owned()),
            tax_id: Set(Some(format!(
                "{:010}",
                1_234_567_000 + dice.range(0, 999) + 1000 * index as i64
            ))),
            email: Set(Some(format!("muhasebe@{slug}.com.tr"))),
            phone: Set(Some(format!(
                "+90 {} {} {:02} {:02}",
                212 + index * 7 % 300,
                500 + dice.range(0, 499),
                dice.range(10, 99),
                dice.range(10, 99)
            ))),
            address: Set(Some(format!(
                "{} Mah. Sanayi Cad. No: {}, {}",
                ["Cumhuriyet", "Atatürk", "Yenişehir", "Fatih"][index % 4],
                dice.range(1, 120),
                city
            ))),
            payment_terms_days: Set(terms),
            assigned_collector_id: Set(Some(collector.id)),
            credit_limit_minor: Set(Some(dice.range(5, 50) * 1_000_000)),
            credit_limit_currency: Set(Some("TRY".into())),
            blocked: Set(false),
            language: Set(None),
            reminder_policy_id: Set(None),
            reminders_off: Set(None),
            dunning_paused_until: Set(None),
            dunning_pause_reason: Set(None),
            created_at: Set(at(created_on, 8, 30)),
            updated_at: Set(at(created_on, 8, 30)),
        });
        log(
            customer_id,
            None,
            &people.manager,
            ActivityKind::CustomerCreated,
            None,
            json!({"name": name}),
            at(created_on, 8, 30),
        );

        for contact_index in 0..(1 + index % 2) {
            let contact_name = CONTACT_NAMES[(index * 3 + contact_index) % CONTACT_NAMES.len()];
            let first = ascii_slug(contact_name);
            contacts.push(contact::ActiveModel {
                id: Set(ContactId::new().0),
                organization_id: Set(organization_id),
                customer_id: Set(customer_id),
                name: Set(contact_name.to_owned()),
                role: Set(Some(
                    CONTACT_ROLES[(index + contact_index) % CONTACT_ROLES.len()].to_owned(),
                )),
                email: Set(Some(format!("{first}@{slug}.com.tr"))),
                phone: Set(Some(format!(
                    "+90 5{} {} {:02} {:02}",
                    dice.range(30, 59),
                    dice.range(100, 999),
                    dice.range(10, 99),
                    dice.range(10, 99)
                ))),
                is_primary: Set(contact_index == 0),
                created_at: Set(at(created_on, 8, 35)),
            });
            log(
                customer_id,
                None,
                &people.manager,
                ActivityKind::ContactAdded,
                None,
                json!({"name": contact_name}),
                at(created_on, 8, 35),
            );
        }

        for _ in 0..INVOICES_PER_CUSTOMER {
            invoice_number += 1;
            let invoice_id = InvoiceId::new().0;
            let issue_date = today - Duration::days(dice.range(0, 180));
            let due_date = issue_date + Duration::days(i64::from(terms));
            let roll = dice.range(0, 100);
            let (currency, total_minor) = if roll < 8 {
                (Currency::USD, dice.range(300, 25_000) * 100)
            } else if roll < 14 {
                (Currency::EUR, dice.range(300, 20_000) * 100)
            } else {
                (Currency::TRY, dice.range(150_000, 18_000_000))
            };
            let days_past_due = (today - due_date).num_days();
            // Older debts are more likely settled; some stay open and overdue, as in life.
            let (paid_percent, full_chance, partial_chance) = if days_past_due > 20 {
                (dice.range(30, 80), 55, 20)
            } else if days_past_due > 0 {
                (dice.range(20, 60), 25, 20)
            } else {
                (dice.range(20, 50), 10, 5)
            };
            let paid_minor = if dice.chance(full_chance) {
                total_minor
            } else if dice.chance(partial_chance * 100 / (100 - full_chance).max(1)) {
                // Partial payments are round amounts, as people pay them.
                (total_minor * paid_percent / 100 / 10_000).max(1) * 10_000
            } else {
                0
            }
            .min(total_minor);
            let number = format!("DT{}{:06}", today.format("%Y"), invoice_number);
            let issued_at = at(issue_date, 9, dice.range(0, 59) as u32);
            invoices.push(invoice::ActiveModel {
                id: Set(invoice_id),
                organization_id: Set(organization_id),
                customer_id: Set(customer_id),
                number: Set(number.clone()),
                external_ref: Set(Some(format!("ERP-{}", 50_000 + invoice_number))),
                issue_date: Set(issue_date),
                due_date: Set(due_date),
                currency: Set(currency.code().to_owned()),
                total_minor: Set(total_minor),
                paid_minor: Set(paid_minor),
                status: Set(InvoiceStatus::from_amounts(total_minor, paid_minor)),
                disputed: Set(false),
                description: Set(Some(format!(
                    "{} tarihli satış faturası",
                    issue_date.format("%d.%m.%Y")
                ))),
                void_reason: Set(None),
                voided_on: Set(None),
                paid_on: Set(None),
                created_at: Set(issued_at),
                updated_at: Set(issued_at),
            });
            let total = Money::from_minor(total_minor, currency);
            log(
                customer_id,
                Some(invoice_id),
                &people.manager,
                ActivityKind::InvoiceCreated,
                None,
                json!({"number": number, "total": total.to_decimal().to_string(), "currency": currency.code()}),
                issued_at,
            );

            if paid_minor > 0 {
                let payment_id = PaymentId::new().0;
                let paid_on =
                    (due_date + Duration::days(dice.range(-10, 12))).clamp(issue_date, today);
                if paid_minor == total_minor
                    && let Some(invoice) = invoices.last_mut()
                {
                    invoice.paid_on = Set(Some(paid_on));
                }
                let received_at = at(paid_on, 11, dice.range(0, 59) as u32);
                let method = [
                    PaymentMethod::BankTransfer,
                    PaymentMethod::BankTransfer,
                    PaymentMethod::Cheque,
                    PaymentMethod::Card,
                    PaymentMethod::Cash,
                    PaymentMethod::PromissoryNote,
                ][dice.range(0, 6) as usize];
                let amount = Money::from_minor(paid_minor, currency);
                payments.push(payment::ActiveModel {
                    id: Set(payment_id),
                    organization_id: Set(organization_id),
                    customer_id: Set(customer_id),
                    amount_minor: Set(paid_minor),
                    charged_minor: Set(paid_minor),
                    unapplied_minor: Set(0),
                    currency: Set(currency.code().to_owned()),
                    method: Set(method),
                    received_at: Set(received_at),
                    reference: Set(Some(format!("DEKONT-{}", dice.range(100_000, 999_999)))),
                    provider: Set(None),
                    provider_transaction_id: Set(None),
                    installment_count: Set(1),
                    needs_review: Set(false),
                    review_reason: Set(None),
                    recorded_by: Set(Some(collector.id)),
                    test: Set(false),
                    reversed_at: Set(None),
                    reversed_by: Set(None),
                    reversal_reason: Set(None),
                    fee_minor: Set(None),
                    created_at: Set(received_at),
                });
                allocations.push(payment_allocation::ActiveModel {
                    id: Set(AllocationId::new().0),
                    organization_id: Set(organization_id),
                    payment_id: Set(payment_id),
                    invoice_id: Set(invoice_id),
                    amount_minor: Set(paid_minor),
                    received_on: Set(paid_on),
                    reversed_on: Set(None),
                    created_at: Set(received_at),
                });
                log(
                    customer_id,
                    Some(invoice_id),
                    collector,
                    ActivityKind::PaymentRecorded,
                    None,
                    json!({"paymentId": payment_id, "amount": amount.to_decimal().to_string(), "currency": currency.code()}),
                    received_at,
                );
            }

            let balance = Money::from_minor(total_minor - paid_minor, currency);
            if days_past_due > 10 && balance.is_positive() {
                overdue.push((customer_id, collector.id, invoice_id, name));
            }
            if days_past_due > 3 && balance.is_positive() {
                let called_on = due_date + Duration::days(dice.range(2, days_past_due.max(3)));
                let note = CALL_NOTES[dice.range(0, CALL_NOTES.len() as i64) as usize];
                log(
                    customer_id,
                    Some(invoice_id),
                    collector,
                    ActivityKind::Call,
                    Some(note),
                    json!({}),
                    at(called_on, 10, 15),
                );
                if dice.chance(40) {
                    let promised_date = called_on + Duration::days(dice.range(3, 15));
                    log(
                        customer_id,
                        Some(invoice_id),
                        collector,
                        ActivityKind::PromiseToPay,
                        Some("Müşteri ödeme sözü verdi."),
                        json!({"promisedAmount": balance.to_decimal().to_string(), "currency": currency.code(), "promisedDate": promised_date}),
                        at(called_on, 10, 20),
                    );
                } else if dice.chance(50) {
                    log(
                        customer_id,
                        Some(invoice_id),
                        collector,
                        ActivityKind::Email,
                        Some("Vadesi geçen fatura için hatırlatma e-postası gönderildi."),
                        json!({}),
                        at(called_on, 14, 0),
                    );
                }
            }
        }
    }

    customer::Entity::insert_many(customers).exec(txn).await?;
    customer_assignment::Entity::insert_many(assignments)
        .exec(txn)
        .await?;
    contact::Entity::insert_many(contacts).exec(txn).await?;
    for chunk in invoices.chunks(100) {
        invoice::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    if !payments.is_empty() {
        payment::Entity::insert_many(payments).exec(txn).await?;
        payment_allocation::Entity::insert_many(allocations)
            .exec(txn)
            .await?;
    }
    for chunk in activities.chunks(100) {
        activity::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    // Rates for today and the first of each of the last seven months (the lira losing a little
    // each month), so reports as of any day of the demo can convert USD and EUR into lira.
    let mut days = std::collections::BTreeSet::from([today]);
    let first = today.with_day(1).unwrap_or(today);
    days.extend((0..7).filter_map(|back| first.checked_sub_months(chrono::Months::new(back))));
    let mut rates = Vec::new();
    for (months_back, day) in days.into_iter().rev().enumerate() {
        let step = rust_decimal::Decimal::from(months_back as u64);
        let usd = rust_decimal::Decimal::new(423_881, 4) - step * rust_decimal::Decimal::new(45, 2);
        let eur = rust_decimal::Decimal::new(489_642, 4) - step * rust_decimal::Decimal::new(52, 2);
        for (currency, rate) in [("USD", usd), ("EUR", eur)] {
            rates.push(exchange_rate::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                organization_id: Set(organization_id),
                currency: Set(currency.to_owned()),
                rate_date: Set(day),
                rate: Set(rate.normalize().to_string()),
                source: Set("MANUAL".to_owned()),
                created_at: Set(now),
                updated_at: Set(now),
            });
        }
    }
    crate::services::scope::insert_all(txn, rates).await?;
    portfolio(txn, organization_id, people, now).await?;
    let customers: Vec<(uuid::Uuid, uuid::Uuid)> = overdue
        .iter()
        .map(|(customer_id, collector_id, _, _)| (*customer_id, *collector_id))
        .collect();
    plan_in_progress(txn, organization_id, people, &customers, now).await?;
    worklists(txn, organization_id, &overdue, today, now).await
}

/// A payment plan in progress: an overdue customer's lira invoices in four monthly
/// installments with 3 % interest, agreed today by their collector, the first installment paid
/// today. Made through the plans and payments services, as a collector would.
async fn plan_in_progress(
    txn: &sea_orm::DatabaseTransaction,
    organization_id: uuid::Uuid,
    people: &People,
    overdue: &[(uuid::Uuid, uuid::Uuid)],
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::services::{payments, plans};
    let today = now.date_naive();
    let org = crate::domain::ids::OrganizationId(organization_id);
    // The first overdue customer with undisputed, unpaid lira invoices.
    for (customer_id, collector_id) in overdue {
        let invoices: Vec<uuid::Uuid> = invoice::Entity::in_org(org)
            .filter(invoice::Column::CustomerId.eq(*customer_id))
            .filter(invoice::Column::Currency.eq("TRY"))
            .filter(invoice::Column::Disputed.eq(false))
            .filter(crate::services::invoices::unpaid())
            .all(txn)
            .await?
            .into_iter()
            .map(|invoice| invoice.id)
            .collect();
        if invoices.is_empty() {
            continue;
        }
        let Some(collector) = people.collectors.iter().find(|c| c.id == *collector_id) else {
            continue;
        };
        let viewer = crate::auth::Viewer {
            user_id: UserId(collector.id),
            organization_id: org,
            email: collector.email.clone(),
            name: collector.name.clone(),
            role: Role::Collector,
        };
        let new = plans::NewPlan {
            customer_id: *customer_id,
            invoice_ids: invoices,
            schedule: Some(plans::Schedule::Generated {
                count: 4,
                first_due_date: today,
                interval: crate::domain::plan::Interval::Monthly,
            }),
            interest_percent: Some(rust_decimal::Decimal::new(3, 0)),
            note: Some("Dört aylık taksit; her ayın aynı günü havale ile.".to_owned()),
        };
        let made = plans::create_in(txn, &viewer, new, today, now).await?;
        let Some(first) = made.installments.first() else {
            return Ok(());
        };
        let currency = plans::currency_of(&made.plan)?;
        let payment = payments::RecordPayment {
            customer_id: *customer_id,
            amount: Money::from_minor(first.amount_minor, currency).to_decimal(),
            currency: currency.code().to_owned(),
            method: PaymentMethod::BankTransfer,
            received_at: Some(now),
            reference: Some("Taksit 1/4".to_owned()),
            allocations: None,
        };
        payments::record_in(txn, &viewer, payment, now).await?;
        return Ok(());
    }
    Ok(())
}

/// A small cheque portfolio from the demo's last six lira cheque payments, each maturing 45 days
/// after it was received: those not yet mature are in the portfolio, the others were deposited
/// and cleared — except the latest of those, which bounced: its payment is reversed and its
/// invoice is owed again.
async fn portfolio(
    txn: &sea_orm::DatabaseTransaction,
    organization_id: uuid::Uuid,
    people: &People,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::domain::instrument::{InstrumentKind, InstrumentStatus};
    use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder};
    let today = now.date_naive();
    let mut cheques = payment::Entity::find()
        .filter(payment::Column::OrganizationId.eq(organization_id))
        .filter(payment::Column::Method.eq(PaymentMethod::Cheque))
        .filter(payment::Column::Currency.eq("TRY"))
        .order_by_desc(payment::Column::ReceivedAt)
        .all(txn)
        .await?;
    cheques.truncate(6);
    let maturity_of =
        |payment: &payment::Model| payment.received_at.date_naive() + Duration::days(45);
    let bounced = cheques
        .iter()
        .find(|payment| maturity_of(payment) < today)
        .map(|payment| payment.id);
    let mut events = Vec::new();
    let mut activities = Vec::new();
    let banks = [
        "Ziraat Bankası",
        "İş Bankası",
        "Garanti BBVA",
        "Akbank",
        "Yapı Kredi",
        "Halkbank",
    ];
    for (index, payment) in cheques.iter().enumerate() {
        let received_on = payment.received_at.date_naive();
        let maturity = maturity_of(payment);
        let mut steps = vec![(
            InstrumentStatus::InPortfolio,
            received_on,
            payment.received_at,
        )];
        if maturity < today {
            let deposited = maturity - Duration::days(2);
            let settled = if Some(payment.id) == bounced {
                InstrumentStatus::Bounced
            } else {
                InstrumentStatus::Cleared
            };
            steps.push((InstrumentStatus::Deposited, deposited, at(deposited, 10, 0)));
            steps.push((settled, maturity, at(maturity, 15, 0)));
        }
        let status = steps
            .last()
            .map_or(InstrumentStatus::InPortfolio, |step| step.0);
        let instrument_id = uuid::Uuid::now_v7();
        let number = format!("{:07}", 4_810_000 + index * 37);
        instrument::ActiveModel {
            id: Set(instrument_id),
            organization_id: Set(organization_id),
            customer_id: Set(payment.customer_id),
            payment_id: Set(payment.id),
            kind: Set(InstrumentKind::Cheque),
            number: Set(number.clone()),
            bank: Set(Some(banks[index % banks.len()].to_owned())),
            branch: Set(Some("Merkez".to_owned())),
            account_no: Set(None),
            drawer: Set("Müşteri yetkilisi".to_owned()),
            issue_date: Set(received_on),
            maturity_date: Set(maturity),
            amount_minor: Set(payment.amount_minor),
            currency: Set(payment.currency.clone()),
            status: Set(status),
            holder: Set((status != InstrumentStatus::InPortfolio)
                .then(|| banks[(index + 2) % banks.len()].to_owned())),
            followed_up_at: Set(None),
            created_at: Set(payment.received_at),
            updated_at: Set(steps.last().map_or(payment.received_at, |step| step.2)),
        }
        .insert(txn)
        .await?;
        for (status, on, occurred_at) in &steps {
            let (kind, actor) = match status {
                InstrumentStatus::InPortfolio => {
                    (ActivityKind::InstrumentReceived, &people.collectors[0])
                }
                InstrumentStatus::Deposited => (ActivityKind::InstrumentDeposited, &people.manager),
                InstrumentStatus::Cleared => (ActivityKind::InstrumentCleared, &people.manager),
                _ => (ActivityKind::InstrumentBounced, &people.manager),
            };
            events.push(instrument_event::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                organization_id: Set(organization_id),
                instrument_id: Set(instrument_id),
                status: Set(*status),
                on_date: Set(*on),
                note: Set(
                    (*status == InstrumentStatus::Bounced).then(|| "Karşılıksız çıktı".to_owned())
                ),
                actor_label: Set(actor.email.clone()),
                created_at: Set(*occurred_at),
            });
            activities.push(activity::ActiveModel {
                id: Set(ActivityId::new().0),
                organization_id: Set(organization_id),
                customer_id: Set(payment.customer_id),
                invoice_id: Set(None),
                actor_user_id: Set(Some(actor.id)),
                actor_label: Set(actor.email.clone()),
                kind: Set(kind),
                note: Set(None),
                data: Set(json!({"instrumentId": instrument_id, "kind": "cheque", "number": number, "date": on})),
                occurred_at: Set(*occurred_at),
            });
        }
        if Some(payment.id) == bounced {
            // Reversed as the manager would have, on the day it bounced.
            let reversed_at = at(maturity, 15, 0);
            let manager = crate::auth::Viewer {
                user_id: UserId(people.manager.id),
                organization_id: crate::domain::ids::OrganizationId(organization_id),
                email: people.manager.email.clone(),
                name: people.manager.name.clone(),
                role: Role::Manager,
            };
            let reversal = crate::services::payments::ReversePayment {
                payment_id: payment.id,
                reason: format!("cheque {number} bounced: Karşılıksız çıktı"),
                reversed_at: Some(reversed_at),
            };
            crate::services::payments::reverse_in(txn, &manager, reversal, reversed_at).await?;
        }
    }
    crate::services::scope::insert_all(txn, events).await?;
    crate::services::scope::insert_all(txn, activities).await?;
    Ok(())
}

/// Four tasks on each collector's worklist for today: calls and follow-ups about overdue
/// invoices, one customer each.
async fn worklists(
    txn: &sea_orm::DatabaseTransaction,
    organization_id: uuid::Uuid,
    overdue: &[(uuid::Uuid, uuid::Uuid, uuid::Uuid, &&str)],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut tasks = Vec::new();
    let mut joins = Vec::new();
    let mut given: std::collections::HashMap<uuid::Uuid, usize> = Default::default();
    let mut seen = std::collections::HashSet::new();
    for (customer_id, collector_id, invoice_id, name) in overdue {
        let count = given.entry(*collector_id).or_default();
        if *count >= 4 || !seen.insert(*customer_id) {
            continue;
        }
        let (kind, source, note) = if count.is_multiple_of(2) {
            (
                TaskKind::Call,
                TaskSource::Dunning,
                format!("{name}: vadesi geçen fatura için arayın."),
            )
        } else {
            (
                TaskKind::FollowUp,
                TaskSource::Manual,
                format!("{name}: geçen hafta söz verilen ödemeyi kontrol edin."),
            )
        };
        *count += 1;
        let task_id = uuid::Uuid::now_v7();
        tasks.push(task::ActiveModel {
            id: Set(task_id),
            organization_id: Set(organization_id),
            customer_id: Set(*customer_id),
            kind: Set(kind),
            source: Set(source),
            status: Set(TaskStatus::Open),
            due_date: Set(today),
            assignee_id: Set(Some(*collector_id)),
            note: Set(Some(note)),
            outcome_note: Set(None),
            created_by: Set(None),
            created_at: Set(now),
            completed_by: Set(None),
            completed_at: Set(None),
            updated_at: Set(now),
        });
        joins.push(task_invoice::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            organization_id: Set(organization_id),
            task_id: Set(task_id),
            invoice_id: Set(*invoice_id),
        });
    }
    crate::services::scope::insert_all(txn, tasks).await?;
    crate::services::scope::insert_all(txn, joins).await?;
    Ok(())
}
