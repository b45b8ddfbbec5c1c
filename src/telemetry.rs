//! Tracing setup: `RUST_LOG` filters (default `info`), and `TAHSILAT_LOG_FORMAT` picks pretty
//! lines for a terminal or JSON lines for a collector. Tests install nothing, so they stay quiet.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber; logs go to stderr so stdout stays for command output
/// (`user add` prints its token as the last line of stdout).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second call (in-process tools) keeps the first subscriber; that is fine.
    let _ = match format {
        LogFormat::Pretty => builder.compact().try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}
