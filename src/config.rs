//! Typed settings, read from `TAHSILAT_*` environment variables and an optional `tahsilat.toml`.
//!
//! The file takes the same keys, either as the variable's name (`TAHSILAT_LISTEN = "…"`) or
//! without the prefix in lower case (`listen = "…"`); a variable in the environment wins over the
//! file. The file is `./tahsilat.toml` when present, or the path in `TAHSILAT_CONFIG`.
//!
//! Every value is checked before anything starts: a bad one is a [`ConfigError`] naming the
//! variable and what is wrong, which the CLI prints as one line before exiting with code 2.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};

use crate::domain::installments::InstallmentRates;

/// A setting that cannot be used, named by its variable.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: String,
    pub message: String,
}

impl ConfigError {
    fn new(variable: &str, message: impl Into<String>) -> Self {
        Self {
            variable: variable.to_owned(),
            message: message.into(),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable, for a terminal.
    Pretty,
    /// One JSON object a line, for a log collector.
    Json,
}

/// The database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

/// PayTR merchant credentials; present only when `TAHSILAT_PAYTR_MERCHANT_ID` is set.
#[derive(Debug, Clone)]
pub struct PaytrConfig {
    pub merchant_id: String,
    pub merchant_key: SecretString,
    pub merchant_salt: SecretString,
    /// `TAHSILAT_PAYTR_API_BASE`, default `https://www.paytr.com`.
    pub api_base: String,
}

/// iyzico merchant credentials; present only when `TAHSILAT_IYZICO_API_KEY` is set.
#[derive(Debug, Clone)]
pub struct IyzicoConfig {
    pub api_key: SecretString,
    pub secret_key: SecretString,
    /// `TAHSILAT_IYZICO_API_BASE`, default `https://api.iyzipay.com` (the sandbox is
    /// `https://sandbox-api.iyzipay.com`).
    pub api_base: String,
}

/// A bank's NestPay virtual POS; present only when `TAHSILAT_NESTPAY_CLIENT_ID` is set.
#[derive(Debug, Clone)]
pub struct NestpayConfig {
    /// The merchant number the bank issued.
    pub client_id: String,
    pub store_key: SecretString,
    /// The bank's 3-D gateway, e.g. `https://…/fim/est3Dgate`.
    pub gateway_url: String,
    /// The bank's name as the pay page shows it; default `Banka`.
    pub name: String,
    /// The bank's XML API and an API user, for asking about orders nobody reported
    /// (`TAHSILAT_NESTPAY_API_URL`, `_API_USER`, `_API_PASSWORD`); without them, lost orders are
    /// not looked for.
    pub status_api: Option<integrations::nestpay::StatusApi>,
}

/// Which SMS provider sends reminders.
#[derive(Debug, Clone)]
pub enum SmsConfig {
    /// Messages are written as files to `TAHSILAT_SMS_DIR`.
    File,
    /// Netgsm (`TAHSILAT_NETGSM_USERCODE`, `_PASSWORD`, `_HEADER`, `_API_BASE`).
    Netgsm(integrations::sms::netgsm::NetgsmConfig),
}

/// Every setting of the service.
#[derive(Debug, Clone)]
pub struct Config {
    /// `TAHSILAT_DATABASE_URL`: `sqlite://…` or `postgres://…`; default
    /// `sqlite://tahsilat.db?mode=rwc` (a file beside the working directory, created if missing).
    /// Secret because a PostgreSQL URL may carry a password.
    pub database_url: SecretString,
    /// Which engine `database_url` names.
    pub database_kind: DatabaseKind,
    /// `TAHSILAT_DATABASE_MAX_CONNECTIONS`: pool size (readers, on SQLite); default 10.
    pub database_max_connections: u32,
    /// `TAHSILAT_LISTEN`: the address to serve on; default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// `TAHSILAT_PUBLIC_URL`: the base of links sent to customers, without a trailing slash;
    /// default `http://` + the listen address.
    pub public_url: String,
    /// `TAHSILAT_SANDBOX`: `on`/`off`; whether the built-in fake bank is available; default on.
    pub sandbox_enabled: bool,
    /// `TAHSILAT_SANDBOX_SECRET`: the sandbox bank's signing secret; random at each start when unset.
    pub sandbox_secret: Option<SecretString>,
    /// `TAHSILAT_SANDBOX_PREVIOUS_SECRET`: also accepted on callbacks while a secret is rotated.
    pub sandbox_previous_secret: Option<SecretString>,
    /// PayTR credentials (`TAHSILAT_PAYTR_MERCHANT_ID`, `_MERCHANT_KEY`, `_MERCHANT_SALT`, `_API_BASE`).
    pub paytr: Option<PaytrConfig>,
    /// iyzico credentials (`TAHSILAT_IYZICO_API_KEY`, `_SECRET_KEY`, `_API_BASE`).
    pub iyzico: Option<IyzicoConfig>,
    /// A bank's NestPay POS (`TAHSILAT_NESTPAY_CLIENT_ID`, `_STORE_KEY`, `_GATEWAY_URL`, `_NAME`).
    pub nestpay: Option<NestpayConfig>,
    /// `TAHSILAT_DEFAULT_PROVIDER`: the provider used when a request names none. Default: a
    /// configured real provider (PayTR, then iyzico, then NestPay), else `sandbox` while the
    /// sandbox is on, else none.
    pub default_provider: Option<String>,
    /// `TAHSILAT_INSTALLMENT_RATES`: installment count → interest percent; default
    /// `1:0,2:3,3:4,6:7,9:10,12:13`.
    pub installment_rates: InstallmentRates,
    /// `TAHSILAT_SMTP_URL`: e.g. `smtp://user:pass@mail.example.com:587`; without it mail is
    /// written to `mail_dir`. Secret because it may carry a password.
    pub smtp_url: Option<SecretString>,
    /// `TAHSILAT_MAIL_FROM`: the sender of outgoing mail; default `Tahsilat <tahsilat@localhost>`.
    pub mail_from: String,
    /// `TAHSILAT_MAIL_DIR`: where mail goes as `.eml` files without SMTP; default `./mail`.
    pub mail_dir: PathBuf,
    /// `TAHSILAT_DUNNING_INTERVAL`: seconds between reminder scheduler passes; default 300.
    pub dunning_interval: std::time::Duration,
    /// `TAHSILAT_JOBS_INTERVAL`: seconds between the passes that expire links and settle
    /// promises and payment plans; default 30.
    pub jobs_interval: std::time::Duration,
    /// `TAHSILAT_SMS_PROVIDER`: `file` (default) or `netgsm`.
    pub sms: SmsConfig,
    /// `TAHSILAT_SMS_DIR`: where the `file` provider writes messages; default `./sms`.
    pub sms_dir: PathBuf,
    /// `TAHSILAT_LOG_FORMAT`: `pretty` or `json`; default `pretty`.
    pub log_format: LogFormat,
    /// `TAHSILAT_GRAPHQL_INTROSPECTION`: whether the schema may be introspected; default true.
    pub graphql_introspection: bool,
    /// `TAHSILAT_WEBHOOK_ALLOW_HTTP`: whether webhook endpoints may use plain `http`; default
    /// false (`https` only).
    pub webhook_allow_http: bool,
    /// `TAHSILAT_WEBHOOK_ALLOW_PRIVATE`: whether webhooks may go to loopback, link-local and
    /// private addresses; default false (no requests into the service's own network).
    pub webhook_allow_private: bool,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://tahsilat.db?mode=rwc";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_PAYTR_API_BASE: &str = "https://www.paytr.com";
pub const DEFAULT_IYZICO_API_BASE: &str = "https://api.iyzipay.com";
pub const DEFAULT_INSTALLMENT_RATES: &str = "1:0,2:3,3:4,6:7,9:10,12:13";
const SANDBOX: &str = integrations::sandbox::NAME;
const PAYTR: &str = integrations::paytr::NAME;
const IYZICO: &str = integrations::iyzico::NAME;
const NESTPAY: &str = integrations::nestpay::NAME;
const KNOWN_PROVIDERS: [&str; 4] = [SANDBOX, PAYTR, IYZICO, NESTPAY];

/// Every variable the service reads, for the file's key check and the documentation.
pub const VARIABLES: [&str; 39] = [
    "TAHSILAT_DATABASE_URL",
    "TAHSILAT_DATABASE_MAX_CONNECTIONS",
    "TAHSILAT_LISTEN",
    "TAHSILAT_PUBLIC_URL",
    "TAHSILAT_SANDBOX",
    "TAHSILAT_SANDBOX_SECRET",
    "TAHSILAT_SANDBOX_PREVIOUS_SECRET",
    "TAHSILAT_PAYTR_MERCHANT_ID",
    "TAHSILAT_PAYTR_MERCHANT_KEY",
    "TAHSILAT_PAYTR_MERCHANT_SALT",
    "TAHSILAT_PAYTR_API_BASE",
    "TAHSILAT_IYZICO_API_KEY",
    "TAHSILAT_IYZICO_SECRET_KEY",
    "TAHSILAT_IYZICO_API_BASE",
    "TAHSILAT_NESTPAY_CLIENT_ID",
    "TAHSILAT_NESTPAY_STORE_KEY",
    "TAHSILAT_NESTPAY_GATEWAY_URL",
    "TAHSILAT_NESTPAY_NAME",
    "TAHSILAT_NESTPAY_API_URL",
    "TAHSILAT_NESTPAY_API_USER",
    "TAHSILAT_NESTPAY_API_PASSWORD",
    "TAHSILAT_DEFAULT_PROVIDER",
    "TAHSILAT_INSTALLMENT_RATES",
    "TAHSILAT_SMTP_URL",
    "TAHSILAT_MAIL_FROM",
    "TAHSILAT_MAIL_DIR",
    "TAHSILAT_DUNNING_INTERVAL",
    "TAHSILAT_JOBS_INTERVAL",
    "TAHSILAT_WEBHOOK_ALLOW_HTTP",
    "TAHSILAT_WEBHOOK_ALLOW_PRIVATE",
    "TAHSILAT_SMS_PROVIDER",
    "TAHSILAT_SMS_DIR",
    "TAHSILAT_NETGSM_USERCODE",
    "TAHSILAT_NETGSM_PASSWORD",
    "TAHSILAT_NETGSM_HEADER",
    "TAHSILAT_NETGSM_API_BASE",
    "TAHSILAT_LOG_FORMAT",
    "TAHSILAT_GRAPHQL_INTROSPECTION",
    "TAHSILAT_CONFIG",
];

impl Config {
    /// Reads the process environment and the optional `tahsilat.toml`.
    pub fn load() -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars()
            .filter(|(key, _)| key.starts_with("TAHSILAT_"))
            .collect();
        let file = match env.get("TAHSILAT_CONFIG") {
            Some(path) => Some(read_file(Path::new(path), "TAHSILAT_CONFIG")?),
            None if Path::new("tahsilat.toml").exists() => {
                Some(read_file(Path::new("tahsilat.toml"), "tahsilat.toml")?)
            }
            None => None,
        };
        let mut values = file.unwrap_or_default();
        values.extend(env);
        Self::from_lookup(|key| values.get(key).cloned())
    }

    /// Builds the settings from any key → value lookup (the environment, a file, a test's map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        // An empty value means "not set": `TAHSILAT_SMTP_URL=` in a unit file should not be an error.
        let get = |key: &str| {
            lookup(key)
                .map(|value| value.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let database_url =
            get("TAHSILAT_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let database_kind = parse_database_url(&database_url)?;
        let database_max_connections = match get("TAHSILAT_DATABASE_MAX_CONNECTIONS") {
            None => 10,
            Some(value) => match value.parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => n,
                _ => {
                    return Err(ConfigError::new(
                        "TAHSILAT_DATABASE_MAX_CONNECTIONS",
                        format!("{value:?} is not a whole number from 1 to 1000"),
                    ));
                }
            },
        };

        let listen_text = get("TAHSILAT_LISTEN").unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = SocketAddr::from_str(&listen_text).map_err(|_| {
            ConfigError::new(
                "TAHSILAT_LISTEN",
                format!("{listen_text:?} is not an address and port such as 127.0.0.1:8080"),
            )
        })?;

        let public_url = match get("TAHSILAT_PUBLIC_URL") {
            Some(url) => parse_http_url(&url, "TAHSILAT_PUBLIC_URL")?,
            None => format!("http://{listen}"),
        };

        // The sandbox approves payments with no money moving: never on unless asked for.
        let sandbox_enabled = match get("TAHSILAT_SANDBOX") {
            None => false,
            Some(value) => parse_bool(&value, "TAHSILAT_SANDBOX")?,
        };
        let sandbox_secret = get("TAHSILAT_SANDBOX_SECRET").map(SecretString::from);
        let sandbox_previous_secret =
            get("TAHSILAT_SANDBOX_PREVIOUS_SECRET").map(SecretString::from);

        let paytr = match get("TAHSILAT_PAYTR_MERCHANT_ID") {
            None => None,
            Some(merchant_id) => {
                if !merchant_id.chars().all(|c| c.is_ascii_digit()) {
                    return Err(ConfigError::new(
                        "TAHSILAT_PAYTR_MERCHANT_ID",
                        "must be the numeric merchant number PayTR issued",
                    ));
                }
                let required = |key: &str| {
                    get(key).map(SecretString::from).ok_or_else(|| {
                        ConfigError::new(key, "must be set when TAHSILAT_PAYTR_MERCHANT_ID is set")
                    })
                };
                Some(PaytrConfig {
                    merchant_id,
                    merchant_key: required("TAHSILAT_PAYTR_MERCHANT_KEY")?,
                    merchant_salt: required("TAHSILAT_PAYTR_MERCHANT_SALT")?,
                    api_base: match get("TAHSILAT_PAYTR_API_BASE") {
                        Some(url) => parse_http_url(&url, "TAHSILAT_PAYTR_API_BASE")?,
                        None => DEFAULT_PAYTR_API_BASE.to_owned(),
                    },
                })
            }
        };

        let iyzico = match get("TAHSILAT_IYZICO_API_KEY") {
            None => None,
            Some(api_key) => Some(IyzicoConfig {
                api_key: SecretString::from(api_key),
                secret_key: get("TAHSILAT_IYZICO_SECRET_KEY")
                    .map(SecretString::from)
                    .ok_or_else(|| {
                        ConfigError::new(
                            "TAHSILAT_IYZICO_SECRET_KEY",
                            "must be set when TAHSILAT_IYZICO_API_KEY is set",
                        )
                    })?,
                api_base: match get("TAHSILAT_IYZICO_API_BASE") {
                    Some(url) => parse_http_url(&url, "TAHSILAT_IYZICO_API_BASE")?,
                    None => DEFAULT_IYZICO_API_BASE.to_owned(),
                },
            }),
        };
        let nestpay = match get("TAHSILAT_NESTPAY_CLIENT_ID") {
            None => None,
            Some(client_id) => {
                let required = |key: &str| {
                    get(key).ok_or_else(|| {
                        ConfigError::new(key, "must be set when TAHSILAT_NESTPAY_CLIENT_ID is set")
                    })
                };
                Some(NestpayConfig {
                    client_id,
                    store_key: SecretString::from(required("TAHSILAT_NESTPAY_STORE_KEY")?),
                    gateway_url: parse_http_url(
                        &required("TAHSILAT_NESTPAY_GATEWAY_URL")?,
                        "TAHSILAT_NESTPAY_GATEWAY_URL",
                    )?,
                    name: get("TAHSILAT_NESTPAY_NAME")
                        .map(|name| name.trim().chars().take(60).collect::<String>())
                        .filter(|name| !name.is_empty())
                        .unwrap_or_else(|| "Banka".to_owned()),
                    status_api: match get("TAHSILAT_NESTPAY_API_URL") {
                        None => None,
                        Some(url) => {
                            let needed = |key: &str| {
                                get(key).ok_or_else(|| {
                                    ConfigError::new(
                                        key,
                                        "must be set when TAHSILAT_NESTPAY_API_URL is set",
                                    )
                                })
                            };
                            Some(integrations::nestpay::StatusApi {
                                url: parse_http_url(&url, "TAHSILAT_NESTPAY_API_URL")?,
                                user: needed("TAHSILAT_NESTPAY_API_USER")?,
                                password: SecretString::from(needed(
                                    "TAHSILAT_NESTPAY_API_PASSWORD",
                                )?),
                            })
                        }
                    },
                })
            }
        };
        let real = RealProviders {
            paytr: paytr.is_some(),
            iyzico: iyzico.is_some(),
            nestpay: nestpay.is_some(),
        };

        let default_provider = match get("TAHSILAT_DEFAULT_PROVIDER") {
            Some(named) => {
                match named.as_str() {
                    SANDBOX if !sandbox_enabled => {
                        return Err(ConfigError::new(
                            "TAHSILAT_DEFAULT_PROVIDER",
                            "is sandbox, but TAHSILAT_SANDBOX is off; choose paytr or turn the sandbox on",
                        ));
                    }
                    PAYTR if paytr.is_none() => {
                        return Err(ConfigError::new(
                            "TAHSILAT_DEFAULT_PROVIDER",
                            "is paytr, but TAHSILAT_PAYTR_MERCHANT_ID is not set",
                        ));
                    }
                    IYZICO if iyzico.is_none() => {
                        return Err(ConfigError::new(
                            "TAHSILAT_DEFAULT_PROVIDER",
                            "is iyzico, but TAHSILAT_IYZICO_API_KEY is not set",
                        ));
                    }
                    NESTPAY if nestpay.is_none() => {
                        return Err(ConfigError::new(
                            "TAHSILAT_DEFAULT_PROVIDER",
                            "is nestpay, but TAHSILAT_NESTPAY_CLIENT_ID is not set",
                        ));
                    }
                    known if KNOWN_PROVIDERS.contains(&known) => {}
                    other => {
                        return Err(ConfigError::new(
                            "TAHSILAT_DEFAULT_PROVIDER",
                            format!(
                                "unknown provider {other:?} (expected one of: {})",
                                KNOWN_PROVIDERS.join(", ")
                            ),
                        ));
                    }
                }
                Some(named)
            }
            None => default_provider_for(sandbox_enabled, real),
        };

        let rates_text = get("TAHSILAT_INSTALLMENT_RATES")
            .unwrap_or_else(|| DEFAULT_INSTALLMENT_RATES.to_owned());
        let installment_rates = InstallmentRates::parse(&rates_text)
            .map_err(|message| ConfigError::new("TAHSILAT_INSTALLMENT_RATES", message))?;

        let smtp_url = match get("TAHSILAT_SMTP_URL") {
            None => None,
            Some(url) => {
                if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                    return Err(ConfigError::new(
                        "TAHSILAT_SMTP_URL",
                        "must start with smtp:// or smtps://",
                    ));
                }
                Some(SecretString::from(url))
            }
        };
        let mail_from =
            get("TAHSILAT_MAIL_FROM").unwrap_or_else(|| "Tahsilat <tahsilat@localhost>".to_owned());
        if !mail_from.contains('@') {
            return Err(ConfigError::new(
                "TAHSILAT_MAIL_FROM",
                format!("{mail_from:?} is not a mail address"),
            ));
        }
        let mail_dir =
            PathBuf::from(get("TAHSILAT_MAIL_DIR").unwrap_or_else(|| "./mail".to_owned()));

        let seconds = |key: &'static str, default: u64| match get(key) {
            None => Ok(std::time::Duration::from_secs(default)),
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=86_400).contains(s))
                .map(std::time::Duration::from_secs)
                .ok_or_else(|| {
                    ConfigError::new(
                        key,
                        format!("{text:?} is not a number of seconds from 1 to 86400"),
                    )
                }),
        };
        let dunning_interval = seconds("TAHSILAT_DUNNING_INTERVAL", 300)?;
        let jobs_interval = seconds("TAHSILAT_JOBS_INTERVAL", 30)?;
        let sms = match get("TAHSILAT_SMS_PROVIDER").as_deref() {
            None | Some("file") => SmsConfig::File,
            Some("netgsm") => {
                let required = |key: &str| {
                    get(key).ok_or_else(|| {
                        ConfigError::new(key, "must be set when TAHSILAT_SMS_PROVIDER is netgsm")
                    })
                };
                let header = required("TAHSILAT_NETGSM_HEADER")?;
                if !(3..=11).contains(&header.chars().count()) {
                    return Err(ConfigError::new(
                        "TAHSILAT_NETGSM_HEADER",
                        "is the approved sender name, 3 to 11 characters",
                    ));
                }
                SmsConfig::Netgsm(integrations::sms::netgsm::NetgsmConfig {
                    usercode: required("TAHSILAT_NETGSM_USERCODE")?,
                    password: SecretString::from(required("TAHSILAT_NETGSM_PASSWORD")?),
                    header,
                    api_base: match get("TAHSILAT_NETGSM_API_BASE") {
                        Some(url) => parse_http_url(&url, "TAHSILAT_NETGSM_API_BASE")?,
                        None => integrations::sms::netgsm::DEFAULT_API_BASE.to_owned(),
                    },
                })
            }
            Some(other) => {
                return Err(ConfigError::new(
                    "TAHSILAT_SMS_PROVIDER",
                    format!("unknown SMS provider {other:?} (expected file or netgsm)"),
                ));
            }
        };
        let sms_dir = PathBuf::from(get("TAHSILAT_SMS_DIR").unwrap_or_else(|| "./sms".to_owned()));

        let log_format = match get("TAHSILAT_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "TAHSILAT_LOG_FORMAT",
                    format!("{other:?} is neither pretty nor json"),
                ));
            }
        };
        let graphql_introspection = match get("TAHSILAT_GRAPHQL_INTROSPECTION") {
            None => true,
            Some(value) => parse_bool(&value, "TAHSILAT_GRAPHQL_INTROSPECTION")?,
        };

        let flag = |key: &str| match get(key) {
            None => Ok(false),
            Some(value) => parse_bool(&value, key),
        };
        let webhook_allow_http = flag("TAHSILAT_WEBHOOK_ALLOW_HTTP")?;
        let webhook_allow_private = flag("TAHSILAT_WEBHOOK_ALLOW_PRIVATE")?;

        Ok(Self {
            database_url: SecretString::from(database_url),
            database_kind,
            database_max_connections,
            listen,
            public_url,
            sandbox_enabled,
            sandbox_secret,
            sandbox_previous_secret,
            paytr,
            iyzico,
            nestpay,
            default_provider,
            installment_rates,
            smtp_url,
            mail_from,
            mail_dir,
            dunning_interval,
            jobs_interval,
            sms,
            sms_dir,
            log_format,
            graphql_introspection,
            webhook_allow_http,
            webhook_allow_private,
        })
    }

    /// The settings with every default, on the given database; for tests and tools.
    pub fn with_database(url: &str) -> Result<Self, ConfigError> {
        let url = url.to_owned();
        Self::from_lookup(move |key| (key == "TAHSILAT_DATABASE_URL").then(|| url.clone()))
    }

    /// The database URL, for the one place that connects.
    pub fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }
}

/// Reads `tahsilat.toml` into the same key → value shape as the environment.
/// Which real providers are configured.
#[derive(Debug, Clone, Copy)]
struct RealProviders {
    paytr: bool,
    iyzico: bool,
    nestpay: bool,
}

/// A real provider when one is configured, so nothing ever falls back to the sandbox by itself.
fn default_provider_for(sandbox_enabled: bool, real: RealProviders) -> Option<String> {
    if real.paytr {
        Some(PAYTR.to_owned())
    } else if real.iyzico {
        Some(IYZICO.to_owned())
    } else if real.nestpay {
        Some(NESTPAY.to_owned())
    } else if sandbox_enabled {
        Some(SANDBOX.to_owned())
    } else {
        None
    }
}

impl Config {
    /// Turns the sandbox on, as `serve --demo` does; it becomes the default provider only when
    /// none was chosen and no real provider is configured.
    pub fn enable_sandbox(&mut self) {
        self.sandbox_enabled = true;
        if self.default_provider.is_none() {
            let real = RealProviders {
                paytr: self.paytr.is_some(),
                iyzico: self.iyzico.is_some(),
                nestpay: self.nestpay.is_some(),
            };
            self.default_provider = default_provider_for(true, real);
        }
    }
}

fn read_file(path: &Path, variable: &str) -> Result<HashMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        ConfigError::new(variable, format!("cannot read {}: {error}", path.display()))
    })?;
    let table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
        ConfigError::new(variable, format!("{}: {}", path.display(), error.message()))
    })?;
    let mut values = HashMap::new();
    for (key, value) in table {
        let name = if key.starts_with("TAHSILAT_") {
            key.clone()
        } else {
            format!("TAHSILAT_{}", key.to_ascii_uppercase())
        };
        if !VARIABLES.contains(&name.as_str()) {
            return Err(ConfigError::new(
                variable,
                format!("{}: unknown key {key:?}", path.display()),
            ));
        }
        let text = match value {
            toml::Value::String(text) => text,
            toml::Value::Integer(number) => number.to_string(),
            toml::Value::Boolean(flag) => flag.to_string(),
            _ => {
                return Err(ConfigError::new(
                    variable,
                    format!(
                        "{}: {key} must be a string, number or boolean",
                        path.display()
                    ),
                ));
            }
        };
        values.insert(name, text);
    }
    Ok(values)
}

/// Checks the scheme and the rest of a database URL the way the driver will read it.
fn parse_database_url(url: &str) -> Result<DatabaseKind, ConfigError> {
    use sea_orm::sqlx::{postgres::PgConnectOptions, sqlite::SqliteConnectOptions};
    const VARIABLE: &str = "TAHSILAT_DATABASE_URL";
    let scheme = url.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
    match scheme {
        "sqlite" => SqliteConnectOptions::from_str(url)
            .map(|_| DatabaseKind::Sqlite)
            .map_err(|_| ConfigError::new(VARIABLE, "is not a valid sqlite:// URL")),
        "postgres" | "postgresql" => PgConnectOptions::from_str(url)
            .map(|_| DatabaseKind::Postgres)
            .map_err(|_| ConfigError::new(VARIABLE, "is not a valid postgres:// URL")),
        "" => Err(ConfigError::new(
            VARIABLE,
            "has no scheme (expected sqlite://… or postgres://…)",
        )),
        other => Err(ConfigError::new(
            VARIABLE,
            format!("unknown scheme {other:?} (expected sqlite://… or postgres://…)"),
        )),
    }
}

fn parse_http_url(url: &str, variable: &str) -> Result<String, ConfigError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| {
            ConfigError::new(
                variable,
                format!("{url:?} must start with http:// or https://"),
            )
        })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(ConfigError::new(variable, format!("{url:?} has no host")));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn parse_bool(value: &str, variable: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        _ => Err(ConfigError::new(
            variable,
            format!("{value:?} is neither on nor off"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|key| map.get(key).cloned())
    }

    #[test]
    fn defaults_match_the_documentation() {
        let config = config(&[]).unwrap();
        assert_eq!(config.database_url(), DEFAULT_DATABASE_URL);
        assert_eq!(config.database_kind, DatabaseKind::Sqlite);
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
        assert!(!config.sandbox_enabled, "the sandbox is opt-in");
        assert_eq!(config.default_provider, None);
        assert!(config.paytr.is_none());
        assert_eq!(config.mail_dir, PathBuf::from("./mail"));
        assert_eq!(config.log_format, LogFormat::Pretty);
        assert!(config.graphql_introspection);
        assert_eq!(config.installment_rates.counts(), vec![1, 2, 3, 6, 9, 12]);
    }

    #[test]
    fn unknown_database_scheme_names_the_variable() {
        let error = config(&[("TAHSILAT_DATABASE_URL", "nope://x")]).unwrap_err();
        assert_eq!(error.variable, "TAHSILAT_DATABASE_URL");
        assert!(
            error.to_string().contains("unknown scheme \"nope\""),
            "{error}"
        );
    }

    #[test]
    fn postgres_urls_are_accepted() {
        let config = config(&[(
            "TAHSILAT_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/tahsilat",
        )])
        .unwrap();
        assert_eq!(config.database_kind, DatabaseKind::Postgres);
    }

    #[test]
    fn bad_values_are_errors_naming_their_variable() {
        let cases = [
            ("TAHSILAT_LISTEN", "localhost"),
            ("TAHSILAT_PUBLIC_URL", "ftp://x"),
            ("TAHSILAT_SANDBOX", "maybe"),
            ("TAHSILAT_INSTALLMENT_RATES", "1:0,2:x"),
            ("TAHSILAT_DEFAULT_PROVIDER", "iyzico"),
            ("TAHSILAT_LOG_FORMAT", "xml"),
            ("TAHSILAT_SMTP_URL", "mail.example.com"),
            ("TAHSILAT_GRAPHQL_INTROSPECTION", "sometimes"),
            ("TAHSILAT_DATABASE_MAX_CONNECTIONS", "0"),
        ];
        for (variable, value) in cases {
            let error = config(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable, "{variable}={value}: {error}");
        }
    }

    #[test]
    fn paytr_needs_all_three_credentials() {
        let error = config(&[("TAHSILAT_PAYTR_MERCHANT_ID", "123456")]).unwrap_err();
        assert_eq!(error.variable, "TAHSILAT_PAYTR_MERCHANT_KEY");
        let config = config(&[
            ("TAHSILAT_PAYTR_MERCHANT_ID", "123456"),
            ("TAHSILAT_PAYTR_MERCHANT_KEY", "k"),
            ("TAHSILAT_PAYTR_MERCHANT_SALT", "s"),
            ("TAHSILAT_DEFAULT_PROVIDER", "paytr"),
        ])
        .unwrap();
        let paytr = config.paytr.unwrap();
        assert_eq!(paytr.api_base, DEFAULT_PAYTR_API_BASE);
        assert_eq!(config.default_provider.as_deref(), Some("paytr"));
    }

    #[test]
    fn paytr_as_default_needs_paytr_configured() {
        let error = config(&[("TAHSILAT_DEFAULT_PROVIDER", "paytr")]).unwrap_err();
        assert_eq!(error.variable, "TAHSILAT_DEFAULT_PROVIDER");
    }

    #[test]
    fn the_sandbox_is_opt_in_and_never_replaces_a_real_provider() {
        let on = config(&[("TAHSILAT_SANDBOX", "on")]).unwrap();
        assert!(on.sandbox_enabled);
        assert_eq!(on.default_provider.as_deref(), Some("sandbox"));
        let paytr = [
            ("TAHSILAT_SANDBOX", "on"),
            ("TAHSILAT_PAYTR_MERCHANT_ID", "123456"),
            ("TAHSILAT_PAYTR_MERCHANT_KEY", "key"),
            ("TAHSILAT_PAYTR_MERCHANT_SALT", "salt"),
        ];
        assert_eq!(
            config(&paytr).unwrap().default_provider.as_deref(),
            Some("paytr")
        );
        let error = config(&[("TAHSILAT_DEFAULT_PROVIDER", "sandbox")]).unwrap_err();
        assert_eq!(error.variable, "TAHSILAT_DEFAULT_PROVIDER");
        let mut demo = config(&[]).unwrap();
        demo.enable_sandbox();
        assert!(demo.sandbox_enabled);
        assert_eq!(demo.default_provider.as_deref(), Some("sandbox"));
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let config = config(&[
            ("TAHSILAT_SANDBOX", "on"),
            ("TAHSILAT_SANDBOX_SECRET", "hunter2-very-secret"),
        ])
        .unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn the_file_takes_both_key_forms_and_the_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tahsilat.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\nTAHSILAT_SANDBOX = false\ndefault_provider = \"sandbox\"\n").unwrap();
        let mut values = read_file(&path, "TAHSILAT_CONFIG").unwrap();
        assert_eq!(values["TAHSILAT_LISTEN"], "127.0.0.1:9000");
        assert_eq!(values["TAHSILAT_SANDBOX"], "false");
        values.insert("TAHSILAT_SANDBOX".into(), "on".into());
        let config = Config::from_lookup(|key| values.get(key).cloned()).unwrap();
        assert!(config.sandbox_enabled);
        assert_eq!(config.listen.port(), 9000);

        std::fs::write(&path, "colour = \"blue\"\n").unwrap();
        let error = read_file(&path, "TAHSILAT_CONFIG").unwrap_err();
        assert!(error.message.contains("unknown key"), "{error}");
    }
}
