//! `papers serve`: the application (web server and background tasks) and its graceful shutdown.

use crate::config::{Global, ServeArgs};
use crate::embed::backfill;
use crate::embed::semantic::OpenError;
use crate::embed::{EmbedOptions, Meaning};
use crate::faq::LlmOptions;
use crate::index::{CommitPolicy, SearchIndex, Syncer};
use crate::ingest::{Arxiv, ArxivOptions, schedule};
use crate::leader::Leadership;
use crate::services::Services;
use crate::store::Store;
use crate::web::{self, AppState, search_slots::MAX_ADMITTED};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// SQLite is one node: a second `serve` on the same database file is refused rather than
/// left to fight over it. The lock (`papers.db.serve-lock` beside the file) goes with the
/// process, however it ends. `None` for PostgreSQL, which takes any number of servers.
fn lock_sqlite(url: &str) -> anyhow::Result<Option<std::fs::File>> {
    let Some(db) = crate::store::sqlite_file(url)? else {
        return Ok(None);
    };
    let mut path = db.as_os_str().to_owned();
    path.push(".serve-lock");
    let path = std::path::PathBuf::from(path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another `papers serve` is running on {}: SQLite is served by one process \
             (several replicas need PostgreSQL; see the README's Deploying section). Stop \
             it first, or give this one its own PAPERS_DATA_DIR",
            db.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            anyhow::bail!("cannot lock {}: {e}", path.display())
        }
    }
}

/// How often the server looks for database changes to index (imports run by other
/// processes or replicas, for example): one single-row read, so a write anywhere is
/// searchable here well within 2 s.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// `papers serve`: builds the application, stops it on Ctrl-C or SIGTERM.
pub async fn serve(
    global: &Global,
    args: &ServeArgs,
    arxiv_options: &ArxivOptions,
    embed: &EmbedOptions,
    llm: &LlmOptions,
) -> anyhow::Result<()> {
    let app = Application::build(global, args, arxiv_options, embed, llm).await?;
    tokio::spawn(signal_shutdown(app.shutdown.clone()));
    app.run_until_stopped().await
}

/// The whole server, built and listening but not yet serving: the web server and every
/// background task (index follower, arXiv scheduler, venue worker, leadership, embedding
/// backfill), all stopped by one token and all joined before the index and database close.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: axum::Router,
    connections: crate::web::server::ConnectionOptions,
    services: Services,
    tasks: JoinSet<()>,
    /// Cancel it to stop the application (what SIGTERM does).
    pub shutdown: CancellationToken,
    _single: Option<std::fs::File>,
}

impl Application {
    /// Opens the database and the index, catches the index up, binds the listener and starts
    /// the background tasks.
    pub async fn build(
        global: &Global,
        args: &ServeArgs,
        arxiv_options: &ArxivOptions,
        embed: &EmbedOptions,
        llm: &LlmOptions,
    ) -> anyhow::Result<Self> {
        let url = global.database_url();
        let single = lock_sqlite(&url)?;
        let data = std::path::absolute(&global.data_dir).unwrap_or(global.data_dir.clone());
        tracing::info!(
            "data in {} (index in {}), database {}",
            data.display(),
            data.join("index").display(),
            crate::store::redact(&url)
        );
        let mut services = Services::open(global).await?;
        let faq = llm.open(services.store.clone())?;
        if faq.is_none() {
            tracing::info!("paper FAQ off: set PAPERS_LLM_URL and PAPERS_LLM_MODEL to enable it");
        }
        let meaning = match Meaning::open(embed, &global.data_dir, &*services.store).await {
            Err(OpenError::EmbedderDown(e)) => {
                tracing::warn!(
                    "{e:#}: serving without reranking and related papers; restart once the \
                     embedder is up"
                );
                None
            }
            opened => opened?,
        };
        services.catch_up().await?;
        // Lay out the facets of every segment before the first searches arrive.
        let index = services.index.clone();
        tokio::task::spawn_blocking(move || index.facet_counts(1)).await??;
        log_contents(&services, args, arxiv_options).await?;
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.bind))?;
        tracing::info!("listening on http://{}", listener.local_addr()?);

        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        tasks.spawn(follow(
            services.store.clone(),
            services.index.clone(),
            services.syncer.take(),
            (args.compact_after_secs > 0).then(|| Duration::from_secs(args.compact_after_secs)),
            shutdown.clone(),
        ));
        // One arXiv client, so the scheduler and on-demand fetches share one polite limiter,
        // which takes turns with the deployment's other processes through the database.
        let arxiv = Arc::new(Arxiv::shared(arxiv_options.clone(), services.store.clone()));
        let leader = Leadership::new(
            services.store.clone(),
            Duration::from_secs(args.leader_lease_secs),
        );
        tasks.spawn(leader.clone().run(shutdown.clone()));
        if args.sync.enabled {
            tasks.spawn(schedule::run(
                arxiv.clone(),
                services.store.clone(),
                args.sync.clone(),
                leader.clone(),
                shutdown.clone(),
            ));
        }
        let worker = crate::venues::worker::Worker {
            store: services.store.clone(),
            index: services.index.clone(),
            config: args.sources.venue_config(),
        };
        tasks.spawn(worker.run(shutdown.clone()));
        if args
            .admin_token
            .as_deref()
            .is_none_or(|t| t.trim().is_empty())
        {
            tracing::info!("admin disabled: set PAPERS_ADMIN_TOKEN to enable /admin");
        }
        if let Some(m) = &meaning {
            tasks.spawn(backfill::follow(
                m.semantic.clone(),
                services.store.clone(),
                shutdown.clone(),
            ));
        }
        let mut state = AppState::new(services.store.clone(), services.index.clone())
            .with_arxiv(arxiv)
            .with_admin_token(args.admin_token.clone());
        state.meaning = meaning;
        state.faq = faq;
        state.base_url = args.base_url.clone();
        state.leader = Some(leader);
        if !args.metrics {
            state.metrics = None;
        }
        if let Some(n) = args.search_concurrency {
            state.search_slots = crate::web::SearchSlots::new(n as usize, MAX_ADMITTED);
        }
        state.ranking = crate::index::Ranking::from_env()?;
        Ok(Application {
            listener,
            router: web::router(state),
            connections: args.connections.clone(),
            services,
            tasks,
            shutdown,
            _single: single,
        })
    }

    /// The port the server listens on (useful when bound to port 0).
    pub fn port(&self) -> std::io::Result<u16> {
        Ok(self.listener.local_addr()?.port())
    }

    /// Serves until `shutdown` is cancelled, then stops every task, waits for all of them,
    /// commits the index and closes the database.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Application {
            listener,
            router,
            connections,
            services,
            mut tasks,
            shutdown,
            _single,
        } = self;
        web::server::serve(listener, router, &connections, shutdown.clone()).await;
        shutdown.cancel();
        while let Some(joined) = tasks.join_next().await {
            if let Err(e) = joined {
                tracing::warn!(error = %e, "a background task failed");
            }
        }
        services.close().await?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Says what the database holds and, when it is empty, how it fills.
async fn log_contents(
    services: &Services,
    args: &ServeArgs,
    arxiv_options: &ArxivOptions,
) -> anyhow::Result<()> {
    let papers = services.store.count().await?;
    if papers == 0 && args.sync.enabled {
        tracing::info!(
            "the database is empty; the arXiv sync is fetching the last {} days of {} \
             (at arXiv's pace: one request every {} ms). Without network, fill it with \
             `papers import arxiv-snapshot FILE` (see the README)",
            args.sync.backfill_days,
            args.sync.categories.join(", "),
            arxiv_options.delay_ms
        );
    } else if papers == 0 {
        tracing::info!(
            "the database is empty; fill it with `papers import arxiv-snapshot FILE` \
             (see the README for the arXiv snapshot and other formats)"
        );
    } else {
        tracing::info!(papers, "database ready");
    }
    Ok(())
}

/// Polls the database and indexes what other processes wrote; once no paper has arrived for
/// `compact_after` (when set), merges the index's segments (a bulk import leaves several;
/// one makes every search cheaper). Without the index writer (another process holds it),
/// tries to take it at every tick, and follows from then on. Closes the writer when stopped.
async fn follow(
    store: Arc<dyn Store>,
    index: SearchIndex,
    mut syncer: Option<Syncer>,
    compact_after: Option<Duration>,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(FOLLOW_EVERY);
    let mut last_change = std::time::Instant::now();
    let mut compacted = false;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        if syncer.is_none() {
            syncer = take_writer(&store, &index);
        }
        let Some(syncer) = &syncer else { continue };
        let looked = crate::domain::now_millis();
        let behind = match (store.max_seq().await, index.watermark()) {
            (Ok(db), Ok(mark)) => {
                if db <= mark.seq {
                    index.mark_fresh(looked);
                }
                db > mark.seq
            }
            (Err(e), _) => {
                tracing::warn!(error = %e, "cannot read the database change sequence");
                false
            }
            (_, Err(e)) => {
                tracing::warn!(error = %e, "cannot read the index watermark");
                false
            }
        };
        if behind {
            match syncer.catch_up(CommitPolicy::Now, None).await {
                Ok(r) => {
                    // Everything the database held when the tick looked is searchable now.
                    index.mark_fresh(looked);
                    tracing::info!(applied = r.applied, seq = r.seq, "indexed new papers");
                }
                Err(e) => tracing::warn!(error = %e, "indexing new papers failed"),
            }
            (last_change, compacted) = (std::time::Instant::now(), false);
        } else if !compacted && compact_after.is_some_and(|after| last_change.elapsed() >= after) {
            compacted = true;
            tokio::select! {
                _ = shutdown.cancelled() => break,
                merged = syncer.compact() => match merged {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(segments = n, "merged the index's segments into one"),
                    Err(e) => tracing::warn!(error = %e, "merging the index's segments failed"),
                },
            }
        }
    }
    if let Some(syncer) = syncer
        && let Err(e) = syncer.close().await
    {
        tracing::warn!(error = %e, "closing the index writer failed");
    }
}

/// The index writer, if the process that held it has let go.
fn take_writer(store: &Arc<dyn Store>, index: &SearchIndex) -> Option<Syncer> {
    match index.try_writer().and_then(|w| {
        w.map(|w| Syncer::new(index.clone(), w, store.clone()))
            .transpose()
    }) {
        Ok(Some(syncer)) => {
            tracing::info!("took over the index writer; indexing here from now on");
            Some(syncer)
        }
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "cannot take the index writer");
            None
        }
    }
}

/// Cancels `token` on Ctrl-C or SIGTERM.
async fn signal_shutdown(token: CancellationToken) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
        _ = token.cancelled() => return,
    }
    tracing::info!("shutting down");
    token.cancel();
}
