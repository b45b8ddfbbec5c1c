//! The command line: `serve [--demo]`, `migrate`, `schema`, `user add`, `token revoke`,
//! `rates import`, `import`.
//!
//! Exit codes: 0 success, 1 a failure while running (database unreachable, port taken), 2 bad
//! usage or a bad setting (named in one line on stderr, before anything starts).

mod import;

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

use crate::app::{App, prepare_state};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::domain::role::Role;
use crate::services::{demo, users};

#[derive(Debug, Parser)]
#[command(
    name = "tahsilat",
    version,
    about = "Tahsilat: receivables management — customers, invoices, collection activity and card payment links.",
    long_about = "Tahsilat keeps a company's customers, their invoices and every collection action its people take, \
and gets the money in through card-payment links with installment options.\n\n\
Settings come from TAHSILAT_* environment variables or ./tahsilat.toml (see the README). \
The default database is a SQLite file, tahsilat.db, in the working directory."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the GraphQL API, pay pages and provider callbacks.
    Serve {
        /// Seed a demo organization ("Demo Ticaret A.Ş.") with Turkish sample data, once,
        /// and print an admin token and the GraphiQL address.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL) to stdout.
    Schema,
    /// Manage users and their API tokens.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage exchange rates.
    Rates {
        #[command(subcommand)]
        command: RatesCommand,
    },
    /// Import customers, invoices or payments from a CSV file the ERP exported (`;` or `,`,
    /// UTF-8 or Windows-1254, `1.250,50` or `1250.50`, `dd.MM.yyyy` or ISO dates; column names
    /// in the README). Refused rows go to FILE.rejected.csv with the reason; exit 1 then.
    Import {
        /// What the file holds.
        #[arg(value_enum)]
        kind: ImportKind,
        /// The CSV file.
        file: std::path::PathBuf,
        /// The organization (by name).
        #[arg(long)]
        org: String,
        /// Check and answer every row, and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// valid-rows writes the rows that pass; all-or-nothing writes nothing if any is refused.
        #[arg(long, value_enum, default_value = "valid-rows")]
        mode: ImportModeArg,
    },
}

/// What an import file holds.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ImportKind {
    Customers,
    Invoices,
    Payments,
}

/// What to do with refused rows.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ImportModeArg {
    /// Write the rows that pass.
    ValidRows,
    /// Write nothing when any row is refused.
    AllOrNothing,
}

#[derive(Debug, Subcommand)]
enum RatesCommand {
    /// Read the Central Bank of Türkiye's daily bulletin (`today.xml` format; forex selling
    /// rates) and store its rates for its date, for every organization whose currency is TRY.
    Import {
        /// Where the bulletin is: an http(s) URL (e.g. https://www.tcmb.gov.tr/kurlar/today.xml)
        /// or a local file.
        #[arg(long)]
        tcmb: String,
        /// Only this organization (by name).
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Revoke the active token with this prefix (as `apiTokens` shows it, e.g. tsk_AbCdEfGh).
    /// Running servers stop accepting it within 30 seconds (their token cache).
    Revoke {
        /// The token's prefix: `tsk_` and the 8 characters after it.
        prefix: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user (and the organization, if missing) and print a new API token as the last
    /// line of stdout. For an existing user with the same role, only a new token is issued.
    Add {
        /// The user's email address (unique within the organization).
        #[arg(long)]
        email: String,
        /// What the user may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The user's display name (default: the part of the email before @).
        #[arg(long)]
        name: Option<String>,
        /// The organization's name; it is created when missing.
        #[arg(long, default_value = "default")]
        org: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "UPPER")]
enum RoleArg {
    /// Also manages users and settings.
    Admin,
    /// Also creates and changes customers and invoices.
    Manager,
    /// Also logs activities, records payments, creates and sends payment links.
    Collector,
    /// Reads everything in the organization.
    Viewer,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Manager => Role::Manager,
            RoleArg::Collector => Role::Collector,
            RoleArg::Viewer => Role::Viewer,
        }
    }
}

/// The binary's entry point.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Schema = cli.command {
        print!("{}", crate::graphql::sdl());
        return ExitCode::SUCCESS;
    }
    let config = match Config::load() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("tahsilat: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tahsilat: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tahsilat: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> Result<(), String> {
    match command {
        Command::Schema => Ok(()),
        Command::Migrate => {
            let state = prepare_state(config, Arc::new(SystemClock))
                .await
                .map_err(|e| e.to_string())?;
            state.db.close().await;
            println!("migrations are up to date");
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Revoke { prefix },
        } => {
            let state = prepare_state(config, Arc::new(SystemClock))
                .await
                .map_err(|e| e.to_string())?;
            let revoked = crate::services::api_tokens::revoke_by_prefix(
                &state.db,
                state.clock.now(),
                &prefix,
            )
            .await;
            state.db.close().await;
            let revoked = revoked.map_err(|error| error.public_message())?;
            println!("revoked {} of {}", revoked.prefix, revoked.email);
            Ok(())
        }
        Command::Import {
            kind,
            file,
            org,
            dry_run,
            mode,
        } => {
            let state = prepare_state(config, Arc::new(SystemClock))
                .await
                .map_err(|e| e.to_string())?;
            let organization = users::organization_by_name(&state.db, &org)
                .await
                .map_err(|error| error.public_message())?
                .ok_or_else(|| format!("no organization named {org:?}"))?;
            let kind = match kind {
                ImportKind::Customers => crate::services::import_files::Kind::Customers,
                ImportKind::Invoices => crate::services::import_files::Kind::Invoices,
                ImportKind::Payments => crate::services::import_files::Kind::Payments,
            };
            let mode = match mode {
                ImportModeArg::ValidRows => crate::services::imports::Mode::ValidRows,
                ImportModeArg::AllOrNothing => crate::services::imports::Mode::AllOrNothing,
            };
            let done = import::run(&state, kind, &file, organization, dry_run, mode).await;
            state.db.close().await;
            done
        }
        Command::Rates {
            command: RatesCommand::Import { tcmb, org },
        } => {
            let xml = read_bulletin(&tcmb).await?;
            let bulletin = crate::services::analytics::rates::parse_tcmb(&xml)
                .map_err(|error| format!("{tcmb}: {error}"))?;
            let state = prepare_state(config, Arc::new(SystemClock))
                .await
                .map_err(|e| e.to_string())?;
            let only = match &org {
                Some(name) => Some(
                    users::organization_by_name(&state.db, name)
                        .await
                        .map_err(|error| error.public_message())?
                        .ok_or_else(|| format!("no organization named {name:?}"))?,
                ),
                None => None,
            };
            let taken =
                crate::services::analytics::rates::import_bulletin(&state, &bulletin, only).await;
            state.db.close().await;
            let taken = taken.map_err(|error| error.public_message())?;
            println!(
                "stored {} rates of {} for {taken} organization(s)",
                bulletin.rates.len(),
                bulletin.date
            );
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    role,
                    name,
                    org,
                },
        } => {
            let state = prepare_state(config, Arc::new(SystemClock))
                .await
                .map_err(|e| e.to_string())?;
            let provisioned = users::provision_user(
                &state.db,
                state.clock.as_ref(),
                users::NewUser {
                    organization_name: org,
                    email,
                    name,
                    role: role.into(),
                },
            )
            .await;
            state.db.close().await;
            let provisioned = provisioned.map_err(|error| error.public_message())?;
            if provisioned.organization_created {
                eprintln!("created organization {:?}", provisioned.organization.name);
            }
            if provisioned.user_created {
                eprintln!(
                    "created user {} ({}) in {:?}",
                    provisioned.user.email,
                    provisioned.user.role.as_str(),
                    provisioned.organization.name
                );
            } else {
                eprintln!(
                    "{} already exists; issued a new token",
                    provisioned.user.email
                );
            }
            eprintln!("the token is shown only now; keep it somewhere safe:");
            println!("{}", provisioned.token);
            Ok(())
        }
        Command::Serve { demo } => {
            let mut config = config;
            if demo {
                // The demo pays through the test bank.
                config.enable_sandbox();
            }
            let app = App::build(config).await.map_err(|e| e.to_string())?;
            let state = app.state().clone();
            let base = state.config.public_url.clone();
            if demo {
                let seeded =
                    demo::seed(&state.db, state.clock.as_ref())
                        .await
                        .map_err(|error| {
                            format!("cannot seed the demo data: {}", error.public_message())
                        })?;
                println!(
                    "Demo organization {:?}: {} customers, {} invoices{}.",
                    seeded.organization.name,
                    seeded.customers,
                    seeded.invoices,
                    if seeded.created {
                        " (just created)"
                    } else {
                        " (already there; nothing added)"
                    }
                );
                println!(
                    "GraphiQL: {base}/graphql  (send the header  Authorization: Bearer <token>)"
                );
                println!("Admin {} token: {}", seeded.admin_email, seeded.admin_token);
            }
            println!("Tahsilat is listening on http://{}", app.local_addr());
            app.run_until_stopped(shutdown_signal())
                .await
                .map_err(|e| e.to_string())
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// The bulletin's text, from an http(s) URL or a file.
async fn read_bulletin(location: &str) -> Result<String, String> {
    if location.starts_with("http://") || location.starts_with("https://") {
        let response = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|error| error.to_string())?
            .get(location)
            .send()
            .await
            .map_err(|error| format!("{location}: {error}"))?;
        if !response.status().is_success() {
            return Err(format!("{location}: HTTP {}", response.status()));
        }
        response
            .text()
            .await
            .map_err(|error| format!("{location}: {error}"))
    } else {
        tokio::fs::read_to_string(location)
            .await
            .map_err(|error| format!("{location}: {error}"))
    }
}
