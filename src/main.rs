//! The `papers` command line.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = papers::config::Cli::parse();
    papers::telemetry::init();
    if let Err(e) = papers::cli::run(cli).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
