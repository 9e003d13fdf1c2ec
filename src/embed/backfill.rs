//! Embedding papers: `papers embed` for the backlog, and the server's background follower
//! for papers stored while it runs.

use super::semantic::Semantic;
use crate::progress::Progress;
use crate::store::Store;
use clap::Args;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// Papers embedded and stored together.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch: u32,
}

/// Embeds every paper written after the vectors' watermark, with a progress bar; returns
/// how many.
pub async fn backlog(semantic: &Semantic, store: &dyn Store, batch: u32) -> anyhow::Result<u64> {
    let behind = store.max_seq().await? - semantic.watermark();
    // The change sequence counts rewrites too: the number of papers left is at most this.
    let total = store.count().await?.min(behind).max(0) as u64;
    let progress = Progress::new("embedding", Some(total));
    let done = semantic
        .catch_up(store, batch as usize, Some(&progress))
        .await;
    progress.finish();
    Ok(done?.papers)
}

/// How often the server looks for papers to embed.
const FOLLOW_EVERY: Duration = Duration::from_secs(5);
/// Papers per batch in the background: small, so a search waits little for the model.
const FOLLOW_BATCH: usize = 32;

/// Embeds new papers in the background until `shutdown`.
pub async fn follow(semantic: Semantic, store: Arc<dyn Store>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(FOLLOW_EVERY);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let behind = match store.max_seq().await {
            Ok(seq) => seq > semantic.watermark(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the database change sequence");
                false
            }
        };
        if !behind {
            continue;
        }
        let run = semantic.catch_up(&*store, FOLLOW_BATCH, None);
        tokio::select! {
            _ = shutdown.cancelled() => break,
            done = run => match done {
                Ok(d) => tracing::info!(papers = d.papers, seq = d.seq, "embedded new papers"),
                Err(e) => tracing::warn!(error = %e, "embedding new papers failed"),
            },
        }
    }
}
