//! Log output: compact human-readable lines on stderr, filtered by `RUST_LOG`; colours only
//! when stderr is a terminal (not in files or the journal). A log line that cannot be
//! written (stderr a closed pipe) is dropped: reporting it would panic the task that logged.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("papers=info,tower_http=info,sqlx=warn,tantivy=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .log_internal_errors(false)
        .with_target(false)
        .compact()
        .init();
}
