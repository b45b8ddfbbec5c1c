//! `tahsilat import customers|invoices|payments FILE --org NAME`: a CSV from the ERP through the
//! same import service as the GraphQL mutations, 10,000 rows at a time, with a progress bar on a
//! terminal, a summary, and the refused rows written beside the file with their reasons.

use std::path::{Path, PathBuf};

use crate::domain::ids::OrganizationId;
use crate::services::import_files::{self, CellError, Kind, Table};
use crate::services::imports::{self, Importer, MAX_ROWS, Mode, Outcome, Report};
use crate::state::AppState;

/// What became of each record of the file: its outcome and, when refused, the reasons.
type Answers = Vec<Option<(Outcome, Vec<String>)>>;

/// The valid rows of one kind, each with its record's index in the file.
enum Rows {
    Customers(Vec<(usize, imports::CustomerRow)>),
    Invoices(Vec<(usize, imports::InvoiceRow)>),
    Payments(Vec<(usize, imports::PaymentRow)>),
}

impl Rows {
    fn len(&self) -> usize {
        match self {
            Rows::Customers(rows) => rows.len(),
            Rows::Invoices(rows) => rows.len(),
            Rows::Payments(rows) => rows.len(),
        }
    }

    /// The rows from `start`, at most `MAX_ROWS`, sent to the service; answers the file
    /// indexes of the batch and the report.
    async fn submit(
        &self,
        state: &AppState,
        importer: Importer<'_>,
        mode: Mode,
        start: usize,
    ) -> Result<(Vec<usize>, Report), String> {
        fn batch<R: Clone>(rows: &[(usize, R)], start: usize) -> (Vec<usize>, Vec<R>) {
            rows[start..(start + MAX_ROWS).min(rows.len())]
                .iter()
                .map(|(index, row)| (*index, row.clone()))
                .unzip()
        }
        let result = match self {
            Rows::Customers(rows) => {
                let (indexes, rows) = batch(rows, start);
                (
                    indexes,
                    imports::customers(state, importer, mode, rows).await,
                )
            }
            Rows::Invoices(rows) => {
                let (indexes, rows) = batch(rows, start);
                (
                    indexes,
                    imports::invoices(state, importer, mode, rows).await,
                )
            }
            Rows::Payments(rows) => {
                let (indexes, rows) = batch(rows, start);
                (
                    indexes,
                    imports::payments(state, importer, mode, rows).await,
                )
            }
        };
        let (indexes, report) = result;
        Ok((indexes, report.map_err(|error| error.public_message())?))
    }
}

/// Splits parsed records into valid rows and the answers for those the file got wrong.
fn split<R>(
    parsed: Vec<Result<R, Vec<CellError>>>,
    table: &Table,
    kind: Kind,
    answers: &mut Answers,
) -> Vec<(usize, R)> {
    let mut valid = Vec::new();
    for (index, row) in parsed.into_iter().enumerate() {
        match row {
            Ok(row) => valid.push((index, row)),
            Err(errors) => {
                let reasons = errors
                    .iter()
                    .map(|error| {
                        let column = import_files::column_name(table, &error.column, kind);
                        format!("{column}: {}", error.message)
                    })
                    .collect();
                answers[index] = Some((Outcome::Rejected, reasons));
            }
        }
    }
    valid
}

/// Imports the file; an error (or any refused row) is the message to print, exit 1.
pub(super) async fn run(
    state: &AppState,
    kind: Kind,
    path: &Path,
    org: OrganizationId,
    dry_run: bool,
    mode: Mode,
) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|error| format!("{}: {error}", path.display()))?;
    let table = import_files::read(&import_files::decode(&bytes))
        .map_err(|error| format!("{}: {error}", path.display()))?;
    let mut answers: Answers = vec![None; table.records.len()];
    let rows = match kind {
        Kind::Customers => Rows::Customers(split(
            import_files::customers(&table),
            &table,
            kind,
            &mut answers,
        )),
        Kind::Invoices => Rows::Invoices(split(
            import_files::invoices(&table),
            &table,
            kind,
            &mut answers,
        )),
        Kind::Payments => Rows::Payments(split(
            import_files::payments(&table),
            &table,
            kind,
            &mut answers,
        )),
    };
    let unreadable = answers.iter().any(Option::is_some);
    // ALL_OR_NOTHING across batches: every batch is checked (written by nobody) first, and
    // written only when no row of the whole file was refused.
    let check_first = mode == Mode::AllOrNothing && !dry_run;
    let progress = indicatif::ProgressBar::new(rows.len() as u64 * if check_first { 2 } else { 1 });
    let mut refused = unreadable;
    let passes: &[bool] = if check_first {
        &[true, false]
    } else {
        &[dry_run]
    };
    for &checking in passes {
        if check_first && !checking && refused {
            break;
        }
        let importer = Importer::command_line(org, checking);
        let mut start = 0;
        while start < rows.len() {
            let (indexes, report) = rows.submit(state, importer, mode, start).await?;
            progress.inc(indexes.len() as u64);
            for result in report.results {
                let Some(index) = indexes.get(result.row.saturating_sub(1)) else {
                    continue;
                };
                let reasons: Vec<String> = result
                    .errors
                    .iter()
                    .map(|error| {
                        let field = error.field.get(1).map_or("", String::as_str);
                        let column = import_files::column_name(&table, field, kind);
                        format!("{column}: {} ({})", error.message, error.code)
                    })
                    .collect();
                refused |= result.outcome == Outcome::Rejected;
                answers[*index] = Some((result.outcome, reasons));
            }
            start += MAX_ROWS;
        }
    }
    progress.finish_and_clear();
    if mode == Mode::AllOrNothing && refused {
        // Nothing was written: rows that passed are unchanged.
        for answer in answers.iter_mut().flatten() {
            if answer.0 != Outcome::Rejected {
                answer.0 = Outcome::Unchanged;
            }
        }
    }
    let count = |outcome| {
        answers
            .iter()
            .filter(|answer| answer.as_ref().is_some_and(|(o, _)| *o == outcome))
            .count()
    };
    let name = match kind {
        Kind::Customers => "customers",
        Kind::Invoices => "invoices",
        Kind::Payments => "payments",
    };
    let rejected = count(Outcome::Rejected);
    println!(
        "{name}: {} created, {} updated, {} unchanged, {rejected} rejected{}",
        count(Outcome::Created),
        count(Outcome::Updated),
        count(Outcome::Unchanged),
        if dry_run || (mode == Mode::AllOrNothing && refused) {
            " (nothing written)"
        } else {
            ""
        }
    );
    if rejected == 0 {
        return Ok(());
    }
    let written = write_rejected(path, &table, &answers)?;
    Err(format!(
        "{rejected} row(s) rejected; the rows and the reasons are in {}",
        written.display()
    ))
}

/// Writes the refused records beside the file (`NAME.rejected.csv`), in its columns and
/// separator, with the reasons in a last column.
fn write_rejected(path: &Path, table: &Table, answers: &Answers) -> Result<PathBuf, String> {
    let stem = path.file_stem().map_or_else(
        || "import".into(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    let target = path.with_file_name(format!("{stem}.rejected.csv"));
    let mut writer = csv::WriterBuilder::new()
        .delimiter(table.separator)
        .from_path(&target)
        .map_err(|error| format!("{}: {error}", target.display()))?;
    let mut header = table.header.clone();
    header.push("Hata / Error".to_owned());
    let failed = |error: csv::Error| format!("{}: {error}", target.display());
    writer.write_record(&header).map_err(failed)?;
    for (record, answer) in table.records.iter().zip(answers) {
        if let Some((Outcome::Rejected, reasons)) = answer {
            let mut line = record.clone();
            line.resize(table.header.len(), String::new());
            line.push(reasons.join("; "));
            writer.write_record(&line).map_err(failed)?;
        }
    }
    writer
        .flush()
        .map_err(|error| format!("{}: {error}", target.display()))?;
    Ok(target)
}
