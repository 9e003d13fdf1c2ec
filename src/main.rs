//! The `papers` command line.

use clap::Parser;
use std::io::Write;

/// mimalloc instead of glibc malloc: imports peak far lower (glibc fragments under
/// tantivy's indexing threads; docs/benchmarks.md has the measurements).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let cli = papers::config::Cli::parse();
    let format = match papers::telemetry::LogFormat::from_env() {
        Ok(format) => format,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            std::process::exit(2);
        }
    };
    papers::telemetry::init(format);
    if let Err(e) = papers::cli::run(cli).await {
        // Not eprintln!: that panics when stderr is a closed pipe.
        let _ = writeln!(
            std::io::stderr(),
            "error: {}",
            papers::telemetry::error_chain(&e)
        );
        std::process::exit(1);
    }
}
