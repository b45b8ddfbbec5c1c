//! Reading the CSV files Turkish accounting packages export (Logo, Mikro, Netsis…) into import
//! rows: `;` or `,` separators (whichever the header uses), UTF-8 with or without a BOM or
//! Windows-1254, decimal comma or point (`1.250,50` / `1250.50`), dates as `dd.MM.yyyy` or ISO,
//! and header names in English (the API's field names) or Turkish (`Cari Kod`, `Unvan`, `VKN`,
//! `Fatura No`, `Fatura Tarihi`, `Vade`, `Tutar`, `Döviz`, `Açıklama`).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::imports::{CustomerRow, InvoiceRow, PaymentRow};
use crate::domain::payment::PaymentMethod;

/// A file's rows: the header, then each record with its line's fields (for the rejected-rows file).
#[derive(Debug, Clone)]
pub struct Table {
    pub separator: u8,
    pub header: Vec<String>,
    pub records: Vec<Vec<String>>,
}

/// A row the file itself gets wrong (a date or amount that does not read), by column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub column: String,
    pub message: String,
}

/// The text of a file: UTF-8 (a BOM is dropped), else Windows-1254.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1254.decode(bytes).0.into_owned(),
    }
}

/// Reads a CSV text: the separator is `;` when the header has more of them than commas.
pub fn read(text: &str) -> Result<Table, String> {
    let first = text.lines().next().unwrap_or_default();
    let separator = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|error| format!("the header row does not read: {error}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| format!("the file does not read: {error}"))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        records.push(record.iter().map(str::to_owned).collect());
    }
    Ok(Table {
        separator,
        header,
        records,
    })
}

/// A header name folded for matching: lower case, Turkish letters as ASCII, no spaces or marks.
fn fold(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ı' | 'i' | 'î' => 'i',
            'ğ' => 'g',
            'ü' | 'û' => 'u',
            'ş' => 's',
            'ö' => 'o',
            'ç' => 'c',
            'â' => 'a',
            other => other,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// Which column holds each field: `aliases` lists (field, accepted names).
fn columns(header: &[String], aliases: &[(&'static str, &[&str])]) -> HashMap<&'static str, usize> {
    let folded: Vec<String> = header.iter().map(|name| fold(name)).collect();
    let mut found = HashMap::new();
    for (field, names) in aliases {
        if let Some(index) = folded
            .iter()
            .position(|name| names.iter().any(|alias| fold(alias) == *name))
        {
            found.insert(*field, index);
        }
    }
    found
}

/// One record's cells by field.
struct Cells<'a> {
    record: &'a [String],
    columns: &'a HashMap<&'static str, usize>,
    errors: Vec<CellError>,
}

impl<'a> Cells<'a> {
    fn text(&self, field: &str) -> Option<String> {
        let index = *self.columns.get(field)?;
        self.record
            .get(index)
            .map(|cell| cell.trim().to_owned())
            .filter(|cell| !cell.is_empty())
    }

    fn required(&mut self, field: &'static str) -> String {
        self.text(field).unwrap_or_else(|| {
            self.errors.push(CellError {
                column: field.to_owned(),
                message: "required".to_owned(),
            });
            String::new()
        })
    }

    fn amount(&mut self, field: &'static str) -> Decimal {
        let text = self.required(field);
        if text.is_empty() {
            return Decimal::ZERO;
        }
        parse_amount(&text).unwrap_or_else(|| {
            self.errors.push(CellError {
                column: field.to_owned(),
                message: format!("{text:?} is not an amount"),
            });
            Decimal::ZERO
        })
    }

    fn date(&mut self, field: &'static str) -> Option<NaiveDate> {
        let text = self.text(field)?;
        let parsed = parse_date(&text);
        if parsed.is_none() {
            self.errors.push(CellError {
                column: field.to_owned(),
                message: format!("{text:?} is not a date (dd.MM.yyyy or yyyy-MM-dd)"),
            });
        }
        parsed
    }

    fn required_date(&mut self, field: &'static str) -> NaiveDate {
        if self.text(field).is_none() {
            self.errors.push(CellError {
                column: field.to_owned(),
                message: "required".to_owned(),
            });
        }
        self.date(field).unwrap_or(NaiveDate::MIN)
    }

    fn finish<T>(self, row: T) -> Result<T, Vec<CellError>> {
        if self.errors.is_empty() {
            Ok(row)
        } else {
            Err(self.errors)
        }
    }
}

/// `1.250,50`, `1250,50`, `1,250.50` or `1250.50` (and a leading `-`): the last of `.` and `,`
/// is the decimal mark when digits follow it that a thousands group would not have.
pub fn parse_amount(text: &str) -> Option<Decimal> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    let last_comma = cleaned.rfind(',');
    let last_dot = cleaned.rfind('.');
    let decimal_mark = match (last_comma, last_dot) {
        (Some(comma), Some(dot)) => Some(if comma > dot { ',' } else { '.' }),
        (Some(_), None) => Some(','),
        // "1.250.000" has only thousands marks; "1250.50" has a decimal point.
        (None, Some(_)) if cleaned.matches('.').count() > 1 => None,
        (None, Some(_)) => Some('.'),
        (None, None) => None,
    };
    let normal: String = cleaned
        .chars()
        .filter_map(|c| match c {
            ',' | '.' if Some(c) == decimal_mark => Some('.'),
            ',' | '.' => None,
            other => Some(other),
        })
        .collect();
    normal.parse().ok()
}

/// `dd.MM.yyyy` (or with `/`), or ISO `yyyy-MM-dd`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    ["%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
}

const CUSTOMER_COLUMNS: &[(&str, &[&str])] = &[
    (
        "externalRef",
        &["externalRef", "Cari Kod", "Cari Kodu", "Kod"],
    ),
    (
        "name",
        &["name", "Unvan", "Ünvan", "Cari Unvan", "Cari Adı"],
    ),
    ("taxId", &["taxId", "VKN", "TCKN", "VKN/TCKN", "Vergi No"]),
    ("email", &["email", "E-posta", "Eposta", "E-mail"]),
    ("phone", &["phone", "Telefon", "Tel"]),
    ("address", &["address", "Adres"]),
    (
        "paymentTermsDays",
        &["paymentTermsDays", "Vade Gün", "Vade Günü", "Ödeme Vadesi"],
    ),
];

/// Customer rows; the cells that do not read answer the row.
pub fn customers(table: &Table) -> Vec<Result<CustomerRow, Vec<CellError>>> {
    let columns = columns(&table.header, CUSTOMER_COLUMNS);
    table
        .records
        .iter()
        .map(|record| {
            let mut cells = Cells {
                record,
                columns: &columns,
                errors: Vec::new(),
            };
            let terms = cells.text("paymentTermsDays");
            let payment_terms_days = match terms {
                None => None,
                Some(text) => match text.parse::<i32>() {
                    Ok(days) => Some(days),
                    Err(_) => {
                        cells.errors.push(CellError {
                            column: "paymentTermsDays".to_owned(),
                            message: format!("{text:?} is not a number of days"),
                        });
                        None
                    }
                },
            };
            let row = CustomerRow {
                external_ref: cells.required("externalRef"),
                name: cells.required("name"),
                tax_id: cells.text("taxId"),
                email: cells.text("email"),
                phone: cells.text("phone"),
                address: cells.text("address"),
                payment_terms_days,
            };
            cells.finish(row)
        })
        .collect()
}

const INVOICE_COLUMNS: &[(&str, &[&str])] = &[
    ("externalRef", &["externalRef", "Referans", "Belge Ref"]),
    (
        "customerExternalRef",
        &["customerExternalRef", "Cari Kod", "Cari Kodu"],
    ),
    (
        "number",
        &["number", "Fatura No", "Fatura Numarası", "Belge No"],
    ),
    ("issueDate", &["issueDate", "Fatura Tarihi", "Tarih"]),
    ("dueDate", &["dueDate", "Vade", "Vade Tarihi"]),
    (
        "currency",
        &["currency", "Döviz", "Döviz Cinsi", "Para Birimi"],
    ),
    ("total", &["total", "Tutar", "Toplam", "Genel Toplam"]),
    ("description", &["description", "Açıklama"]),
];

/// Invoice rows. Without an `externalRef` column the invoice number is the key; without a
/// currency column the amounts are in lira (`TRY`).
pub fn invoices(table: &Table) -> Vec<Result<InvoiceRow, Vec<CellError>>> {
    let columns = columns(&table.header, INVOICE_COLUMNS);
    table
        .records
        .iter()
        .map(|record| {
            let mut cells = Cells {
                record,
                columns: &columns,
                errors: Vec::new(),
            };
            let number = cells.required("number");
            let row = InvoiceRow {
                external_ref: cells.text("externalRef").unwrap_or_else(|| number.clone()),
                customer_external_ref: cells.required("customerExternalRef"),
                number,
                issue_date: cells.required_date("issueDate"),
                due_date: cells.date("dueDate"),
                currency: cells
                    .text("currency")
                    .map_or_else(|| "TRY".to_owned(), |c| currency_code(&c)),
                total: cells.amount("total"),
                description: cells.text("description"),
            };
            cells.finish(row)
        })
        .collect()
}

const PAYMENT_COLUMNS: &[(&str, &[&str])] = &[
    (
        "reference",
        &["reference", "Dekont No", "Belge No", "Fiş No", "Makbuz No"],
    ),
    (
        "customerExternalRef",
        &["customerExternalRef", "Cari Kod", "Cari Kodu"],
    ),
    ("amount", &["amount", "Tutar"]),
    (
        "currency",
        &["currency", "Döviz", "Döviz Cinsi", "Para Birimi"],
    ),
    ("method", &["method", "Ödeme Şekli", "Ödeme Tipi"]),
    ("receivedAt", &["receivedAt", "Tarih", "Ödeme Tarihi"]),
    (
        "invoiceExternalRef",
        &["invoiceExternalRef", "Fatura No", "Fatura Ref"],
    ),
];

/// Payment rows. A `Fatura No` column applies the whole amount to that invoice; without one
/// the payment goes oldest due first. Methods in Turkish are read too (Nakit, Havale, EFT,
/// Çek, Senet, Kredi Kartı).
pub fn payments(table: &Table) -> Vec<Result<PaymentRow, Vec<CellError>>> {
    let columns = columns(&table.header, PAYMENT_COLUMNS);
    table
        .records
        .iter()
        .map(|record| {
            let mut cells = Cells {
                record,
                columns: &columns,
                errors: Vec::new(),
            };
            let amount = cells.amount("amount");
            let method_text = cells
                .text("method")
                .unwrap_or_else(|| "BANK_TRANSFER".to_owned());
            let method = payment_method(&method_text).unwrap_or_else(|| {
                cells.errors.push(CellError {
                    column: "method".to_owned(),
                    message: format!("{method_text:?} is not a payment method"),
                });
                PaymentMethod::Other
            });
            let received_at: Option<DateTime<Utc>> = cells
                .date("receivedAt")
                .and_then(|day| day.and_hms_opt(9, 0, 0))
                .map(|at| at.and_utc());
            let row = PaymentRow {
                reference: cells.required("reference"),
                customer_external_ref: cells.required("customerExternalRef"),
                amount,
                currency: cells
                    .text("currency")
                    .map_or_else(|| "TRY".to_owned(), |c| currency_code(&c)),
                method,
                received_at,
                allocations: cells
                    .text("invoiceExternalRef")
                    .map(|invoice| vec![(invoice, amount)]),
            };
            cells.finish(row)
        })
        .collect()
}

/// `TL`, `₺` and `YTL` are lira; anything else is taken as an ISO code.
fn currency_code(text: &str) -> String {
    match fold(text).as_str() {
        "tl" | "ytl" | "" => "TRY".to_owned(),
        _ if text.trim() == "₺" => "TRY".to_owned(),
        _ => text.trim().to_uppercase(),
    }
}

fn payment_method(text: &str) -> Option<PaymentMethod> {
    Some(match fold(text).as_str() {
        "cash" | "nakit" => PaymentMethod::Cash,
        "banktransfer" | "havale" | "eft" | "havaleeft" | "banka" => PaymentMethod::BankTransfer,
        "cheque" | "cek" => PaymentMethod::Cheque,
        "promissorynote" | "senet" => PaymentMethod::PromissoryNote,
        "card" | "kredikarti" | "kart" => PaymentMethod::Card,
        "other" | "diger" => PaymentMethod::Other,
        _ => return None,
    })
}

/// A field's column name in the file (for the rejected-rows file's reasons), or the field.
pub fn column_name(table: &Table, field: &str, kind: Kind) -> String {
    let aliases = match kind {
        Kind::Customers => CUSTOMER_COLUMNS,
        Kind::Invoices => INVOICE_COLUMNS,
        Kind::Payments => PAYMENT_COLUMNS,
    };
    columns(&table.header, aliases)
        .get(field)
        .and_then(|index| table.header.get(*index))
        .cloned()
        .unwrap_or_else(|| field.to_owned())
}

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Customers,
    Invoices,
    Payments,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_in_both_notations() {
        let read = |text| parse_amount(text).map(|d| d.to_string());
        assert_eq!(read("1.250,50").as_deref(), Some("1250.50"));
        assert_eq!(read("1250,50").as_deref(), Some("1250.50"));
        assert_eq!(read("1,250.50").as_deref(), Some("1250.50"));
        assert_eq!(read("1250.50").as_deref(), Some("1250.50"));
        assert_eq!(read("1.250.000").as_deref(), Some("1250000"));
        assert_eq!(read(" 42 ").as_deref(), Some("42"));
        assert_eq!(read("on iki"), None);
    }

    #[test]
    fn dates_read_turkish_and_iso() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 5);
        assert_eq!(parse_date("05.11.2026"), day);
        assert_eq!(parse_date("5.11.2026"), day);
        assert_eq!(parse_date("05/11/2026"), day);
        assert_eq!(parse_date("2026-11-05"), day);
        assert_eq!(parse_date("11/2026"), None);
    }

    #[test]
    fn windows_1254_and_utf8_with_bom_read_alike() {
        let utf8 = "Cari Kod;Unvan\n120.01;Şahin Çelik Ağ İnşaat\n";
        let (cp1254, _, _) = encoding_rs::WINDOWS_1254.encode(utf8);
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend_from_slice(utf8.as_bytes());
        assert_eq!(decode(&cp1254), utf8);
        assert_eq!(decode(&with_bom), utf8);
        let table = read(&decode(&cp1254)).unwrap();
        assert_eq!(table.separator, b';');
        let rows = customers(&table);
        assert_eq!(rows[0].as_ref().unwrap().name, "Şahin Çelik Ağ İnşaat");
    }
}
