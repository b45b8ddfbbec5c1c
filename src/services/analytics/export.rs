//! The aging report as a spreadsheet: CSV (for any tool) and XLSX (for Excel), with Turkish or
//! English column names. Turkish CSV uses `;` and a decimal comma, as Turkish Excel expects;
//! English uses `,` and a decimal point.

use std::collections::HashMap;

use rust_decimal::Decimal;
use uuid::Uuid;

use super::aging::{AgingReport, Figures, GroupKey};
use crate::error::{AppError, AppResult};

/// The language of the column names (and of the CSV's number format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Turkish,
    English,
}

impl Language {
    /// From an `Accept-Language` header: Turkish when Turkish comes first, else English.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let first = header
            .and_then(|value| value.split(',').next())
            .map(|tag| tag.trim().to_ascii_lowercase());
        match first {
            Some(tag) if tag.starts_with("tr") => Language::Turkish,
            _ => Language::English,
        }
    }

    fn words(self) -> Words {
        match self {
            Language::Turkish => Words {
                customer: "Müşteri",
                collector: "Tahsilatçı",
                current: "Vadesi gelmemiş",
                days: "gün",
                total: "Toplam",
                unapplied: "Dağıtılmamış tahsilat",
                unassigned: "(atanmamış)",
            },
            Language::English => Words {
                customer: "Customer",
                collector: "Collector",
                current: "Current",
                days: "days",
                total: "Total",
                unapplied: "Unapplied cash",
                unassigned: "(unassigned)",
            },
        }
    }
}

struct Words {
    customer: &'static str,
    collector: &'static str,
    current: &'static str,
    days: &'static str,
    total: &'static str,
    unapplied: &'static str,
    unassigned: &'static str,
}

/// One sheet of text and amounts, as both formats write it.
pub struct Table {
    pub header: Vec<String>,
    /// Each row: its label cells, then its amounts.
    pub rows: Vec<(Vec<String>, Vec<Decimal>)>,
}

/// The report as rows: one per group (customer or collector), then the total. `names` holds
/// customers' names and collectors' e-mail addresses by id.
pub fn table(report: &AgingReport, names: &HashMap<Uuid, String>, language: Language) -> Table {
    let words = language.words();
    let exponent = report.currency.exponent();
    let amount =
        |minor: i128| Decimal::try_from_i128_with_scale(minor, exponent).unwrap_or(Decimal::MAX);
    let name = |id: Option<Uuid>| match id {
        Some(id) => names.get(&id).cloned().unwrap_or_default(),
        None => words.unassigned.to_owned(),
    };
    let groups = report.groups.as_ref().map(|(page, _)| &page.items);
    let by_customer = groups
        .and_then(|items| items.first())
        .is_some_and(|(_, group)| matches!(group.key, GroupKey::Customer(_)));
    let mut header = Vec::new();
    if by_customer {
        header.push(words.customer.to_owned());
    }
    header.push(words.collector.to_owned());
    for range in report.buckets.ranges() {
        header.push(if range.from_days.is_none() {
            words.current.to_owned()
        } else {
            format!("{} {}", range.label, words.days)
        });
    }
    header.push(words.total.to_owned());
    header.push(words.unapplied.to_owned());
    let amounts = |figures: &Figures| {
        figures
            .buckets
            .iter()
            .map(|bucket| amount(bucket.0))
            .chain([amount(figures.total), amount(figures.unapplied)])
            .collect::<Vec<_>>()
    };
    let mut rows = Vec::new();
    for (_, group) in groups.into_iter().flatten() {
        let mut labels = Vec::new();
        if let GroupKey::Customer(customer) = group.key {
            labels.push(name(Some(customer)));
        }
        labels.push(name(group.collector));
        rows.push((labels, amounts(&group.figures)));
    }
    let mut total = vec![format!(
        "{} {} {}",
        words.total, report.as_of, report.currency
    )];
    if by_customer {
        total.push(String::new());
    }
    rows.push((total, amounts(&report.figures)));
    Table { header, rows }
}

/// CSV with a byte-order mark (Excel reads UTF-8 by it).
pub fn csv(table: &Table, language: Language) -> String {
    let separator = if language == Language::Turkish {
        ';'
    } else {
        ','
    };
    let mut out = String::from("\u{feff}");
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .map(|cell| quote(cell, separator))
            .collect::<Vec<_>>()
            .join(&separator.to_string())
    };
    out.push_str(&line(table.header.clone()));
    out.push_str("\r\n");
    for (labels, amounts) in &table.rows {
        let numbers = amounts.iter().map(|value| {
            let text = value.to_string();
            if language == Language::Turkish {
                text.replace('.', ",")
            } else {
                text
            }
        });
        out.push_str(&line(labels.iter().cloned().chain(numbers).collect()));
        out.push_str("\r\n");
    }
    out
}

/// Quotes a cell when it must be, and defuses text a spreadsheet would run as a formula.
fn quote(cell: &str, separator: char) -> String {
    let cell =
        if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<Decimal>().is_err() {
            format!("'{cell}")
        } else {
            cell.to_owned()
        };
    if cell.contains([separator, '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

/// An XLSX workbook of one sheet; amounts are numbers with two decimals shown.
pub fn xlsx(table: &Table, sheet_name: &str) -> AppResult<Vec<u8>> {
    use rust_decimal::prelude::ToPrimitive;
    use rust_xlsxwriter::{Format, Workbook};
    let failed = |error: rust_xlsxwriter::XlsxError| AppError::Internal(format!("xlsx: {error}"));
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name).map_err(failed)?;
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    for (column, title) in table.header.iter().enumerate() {
        sheet
            .write_string_with_format(0, column as u16, title, &bold)
            .map_err(failed)?;
    }
    for (index, (labels, amounts)) in table.rows.iter().enumerate() {
        let row = index as u32 + 1;
        for (column, label) in labels.iter().enumerate() {
            sheet
                .write_string(row, column as u16, label)
                .map_err(failed)?;
        }
        for (offset, value) in amounts.iter().enumerate() {
            // The file format stores numbers as doubles: exact to the kuruş up to 2^53 minor units.
            let number = value.to_f64().unwrap_or(0.0);
            let column = (labels.len() + offset) as u16;
            sheet
                .write_number_with_format(row, column, number, &money)
                .map_err(failed)?;
        }
    }
    sheet.autofit();
    workbook.save_to_buffer().map_err(failed)
}
