//! What each subcommand does.

use crate::config::{
    Cli, Command, EvalArgs, Global, ImportCommand, SearchArgs, StatusArgs, VenueArgs,
};
use crate::embed::EmbedOptions;
use crate::embed::backfill::{self, EmbedArgs};
use crate::embed::semantic::Semantic;
use crate::faq::pregen::{self, FaqArgs};
use crate::faq::{Lang, LlmOptions};
use crate::import;
use crate::index::{Ranking, SearchRequest};
use crate::progress::Progress;
use crate::services::Services;
use anyhow::Context;
use serde::Serialize;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let global = cli.global;
    match cli.command {
        Command::Serve(args) => {
            crate::app::serve(&global, &args, &cli.arxiv, &cli.embed, &cli.llm).await
        }
        Command::Ingest(args) => crate::ingest::command::run(&global, &cli.arxiv, args).await,
        Command::Import(ImportCommand::Venue(args)) => import_venue(&global, &args).await,
        Command::Import(cmd) => import_file(&global, &cmd).await,
        Command::Reindex => reindex(&global).await,
        Command::Compact => compact(&global).await,
        Command::Search(args) => search(&global, &args).await,
        Command::Status(args) => status(&global, &args).await,
        Command::Eval(args) => eval(&args, &cli.embed).await,
        Command::Embed(args) => embed(&global, &cli.embed, &args).await,
        Command::Faq(args) => faq(&global, &cli.llm, &args).await,
        Command::Healthcheck(args) => healthcheck(&args).await,
        Command::Backup(args) => {
            let bytes = crate::backup::run(&global.database_url(), &args.file).await?;
            println!("backed up to {} ({bytes} bytes)", args.file.display());
            Ok(())
        }
    }
}

/// GET `/healthz` of the server listening on `args.bind`, once, within 5 s.
async fn healthcheck(args: &crate::config::HealthcheckArgs) -> anyhow::Result<()> {
    let mut addr = args.bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let fetcher = crate::fetch::Fetcher::new(
        crate::fetch::FetchConfig {
            timeout: std::time::Duration::from_secs(5),
            attempts: 1,
            ..Default::default()
        },
        None,
    );
    let url = format!("http://{addr}/healthz");
    let answer = fetcher.get(&url).await?;
    anyhow::ensure!(answer.is_success(), "{url} answered HTTP {}", answer.status);
    println!("ok");
    Ok(())
}

async fn faq(global: &Global, opts: &LlmOptions, args: &FaqArgs) -> anyhow::Result<()> {
    let lang = Lang::parse(&args.lang)
        .with_context(|| format!("--lang {:?}: FAQs are written in `en` or `zh`", args.lang))?;
    let store = crate::store::connect(&global.database_url()).await?;
    let Some(service) = opts.open(store.clone())? else {
        anyhow::bail!("the FAQ is off: set PAPERS_LLM_URL and PAPERS_LLM_MODEL");
    };
    let selection = args.selection();
    let papers = pregen::papers(&*store, &selection).await?;
    eprintln!("FAQs for {} papers of {selection}", papers.len());
    let progress = Progress::new("FAQs", Some(papers.len() as u64));
    let report = pregen::run(&service, papers, lang, |_| progress.advance(1)).await;
    progress.finish();
    store.close().await;
    println!("{report}");
    if let Some((id, why)) = report.failed.first() {
        anyhow::bail!(
            "{} papers have no FAQ (first: {id}: {why}); run it again to retry them",
            report.failed.len()
        );
    }
    Ok(())
}

async fn embed(global: &Global, opts: &EmbedOptions, args: &EmbedArgs) -> anyhow::Result<()> {
    let embedder = opts.open()?.context(
        "no embedder configured: set PAPERS_EMBED_MODEL_DIR, or PAPERS_EMBED_URL and PAPERS_EMBED_MODEL",
    )?;
    let services = Services::open(global).await?;
    let semantic = Semantic::open(embedder, &global.data_dir, &*services.store, opts.ann()).await;
    let done = match semantic {
        Ok(s) => match backfill::backlog(&s, &*services.store, args.batch).await {
            // Build the related-papers index now, so the server starts with it saved.
            Ok(n) => tokio::task::spawn_blocking(move || s.index())
                .await?
                .map(|built| (n, built))
                .map_err(anyhow::Error::from),
            Err(e) => Err(e),
        },
        Err(e) => Err(e.into()),
    };
    services.close().await?;
    let (papers, built) = done?;
    println!("embedded {papers} papers");
    if let Some(b) = built {
        println!(
            "related-papers index: {} vectors in {} lists ({} placed, {:.1} s)",
            b.rows, b.lists, b.placed, b.seconds
        );
    }
    Ok(())
}

async fn import_file(global: &Global, cmd: &ImportCommand) -> anyhow::Result<()> {
    let (format, args) = cmd.format_and_args().context("not a file import")?;
    let input = import::input::open(&args.path)?;
    let services = Services::open(global).await?;
    services.catch_up().await?;
    let summary = import::run(
        services.store.clone(),
        services.syncer.clone(),
        input,
        format,
    )
    .await;
    services.close().await?;
    let summary = summary?;
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!("{summary}");
    }
    if let Some(e) = summary.input_error {
        anyhow::bail!("{e} (every complete record before it was stored)");
    }
    if summary.read > 0 && summary.skipped == summary.read {
        anyhow::bail!(
            "none of the {} records of {} could be read as {}: is it the right format? \
             (`papers import --help` lists the formats)",
            summary.read,
            args.path,
            format.name()
        );
    }
    Ok(())
}

async fn import_venue(global: &Global, args: &VenueArgs) -> anyhow::Result<()> {
    let req = crate::venues::ImportRequest {
        venue: args.venue.clone(),
        year: args.year,
        source: args.source,
        from_file: args.from_file.clone(),
        format: args.format,
        include_rejected: args.include_rejected,
    }
    .validated()?;
    let services = Services::open(global).await?;
    services.catch_up().await?;
    // A bar whose length is the source's total, once a page has said it.
    let progress = Progress::new("importing", Some(0));
    let started = std::time::Instant::now();
    let outcome = crate::venues::run(
        services.store.as_ref(),
        &args.sources.venue_config(),
        &req,
        crate::venues::Outcome::default(),
        |o: crate::venues::Outcome| {
            progress.set_length(o.total.unwrap_or(o.fetched as u64));
            progress.advance((o.fetched as u64).saturating_sub(progress.done()));
            async { Ok(true) }
        },
    )
    .await;
    progress.finish();
    let closed = services.close().await;
    let outcome = outcome?;
    closed?;
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let mut value = serde_json::to_value(&outcome)?;
        value["seconds"] = seconds.into();
        println!("{value}");
    } else {
        let rate = outcome.fetched as f64 / seconds.max(1e-3);
        println!(
            "{} {}: {outcome} in {seconds:.1} s ({rate:.0} records/s)",
            req.venue, req.year
        );
    }
    Ok(())
}

async fn reindex(global: &Global) -> anyhow::Result<()> {
    let services = Services::open(global).await?;
    let syncer = services
        .syncer
        .clone()
        .context("a running papers server holds the index; stop it to reindex")?;
    let total = services.store.count().await?;
    let progress = Progress::new("reindexing", Some(total as u64));
    let report = syncer.rebuild(Some(progress.clone())).await?;
    progress.finish();
    drop(syncer);
    services.close().await?;
    println!(
        "indexed {} papers in {:.1} s",
        report.applied,
        progress.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn compact(global: &Global) -> anyhow::Result<()> {
    let services = Services::open(global).await?;
    let syncer = services
        .syncer
        .clone()
        .context("a running papers server holds the index (and merges its segments itself)")?;
    services.catch_up().await?;
    let started = std::time::Instant::now();
    let merged = syncer.compact().await;
    drop(syncer);
    services.close().await?;
    match merged? {
        0 => println!("the index is one segment already"),
        n => println!(
            "merged {n} segments into one in {:.1} s",
            started.elapsed().as_secs_f64()
        ),
    }
    Ok(())
}

/// Searches the index as it is: the writer (and catching up) is left to other commands.
async fn search(global: &Global, args: &SearchArgs) -> anyhow::Result<()> {
    let services = Services::open_read_only(global).await?;
    let query = args.query.join(" ");
    let index = services.index.clone();
    let limit = usize::from(args.limit);
    let ranking = Ranking::from_env()?;
    let results = tokio::task::spawn_blocking(move || {
        index.search(&SearchRequest::new(&query, limit), ranking)
    })
    .await??;
    services.close().await?;
    if args.json {
        println!("{}", serde_json::to_string(&results)?);
        return Ok(());
    }
    for note in &results.notes {
        println!("note: {note}");
    }
    if let Some(suggestion) = &results.suggestion {
        println!("did you mean: {suggestion}");
    }
    println!("{} matching papers", results.total);
    for hit in &results.hits {
        println!("{:>8.3}  {:<18} {}", hit.score, hit.id, hit.title);
    }
    Ok(())
}

#[derive(Serialize)]
struct Status {
    backend: &'static str,
    papers: i64,
    database_seq: i64,
    index_seq: i64,
    index_docs: u64,
    index_dir: String,
}

/// Reports the database and the index as they are, without taking the index writer and
/// without creating either (an index not built yet reads as empty).
async fn status(global: &Global, args: &StatusArgs) -> anyhow::Result<()> {
    let url = global.database_url();
    let store = crate::store::connect_existing(&url)
        .await
        .with_context(|| format!("cannot open database {}", crate::store::redact(&url)))?;
    let dir = global.index_dir();
    let index = if dir.exists() {
        Some(crate::index::SearchIndex::open(&dir)?)
    } else {
        None
    };
    let status = Status {
        backend: store.backend(),
        papers: store.count().await?,
        database_seq: store.max_seq().await?,
        index_seq: index
            .as_ref()
            .map_or(Ok(0), |i| i.watermark().map(|w| w.seq))?,
        index_docs: index.as_ref().map_or(0, |i| i.num_docs()),
        index_dir: dir.display().to_string(),
    };
    store.close().await;
    if args.json {
        println!("{}", serde_json::to_string(&status)?);
    } else {
        println!(
            "{} database: {} papers, change {}\nindex {}: {} documents, change {}",
            status.backend,
            status.papers,
            status.database_seq,
            status.index_dir,
            status.index_docs,
            status.index_seq
        );
    }
    Ok(())
}

async fn eval(args: &EvalArgs, opts: &EmbedOptions) -> anyhow::Result<()> {
    let rerank = if args.rerank {
        let embedder = opts.open()?.context(
            "--rerank needs an embedder: set PAPERS_EMBED_MODEL_DIR or PAPERS_EMBED_URL",
        )?;
        let weights = if args.rerank_weight.is_empty() {
            vec![opts.fusion().weight]
        } else {
            args.rerank_weight.clone()
        };
        Some(crate::eval::RerankEval {
            embedder,
            depths: if args.rerank_depths.is_empty() {
                vec![opts.fusion().depth]
            } else {
                args.rerank_depths.clone()
            },
            weights,
        })
    } else {
        None
    };
    let scores = crate::eval::run_with(
        &args.beir,
        &args.split,
        &args.title_boost,
        rerank,
        args.distractors.as_deref(),
    )
    .await?;
    println!(
        "split  queries  title_boost  rerank  depth  nDCG@10  Recall@100  MRR@10  p50_ms  p95_ms"
    );
    for s in &scores {
        let rerank = s.rerank_weight.map_or("-".into(), |w| format!("{w:.2}"));
        let depth = s.rerank_depth.map_or("-".into(), |d| d.to_string());
        println!(
            "{:<5}  {:>7}  {:>11.2}  {:>6}  {:>5}  {:>7.4}  {:>10.4}  {:>6.4}  {:>6.2}  {:>6.2}",
            s.split,
            s.queries,
            s.title_boost,
            rerank,
            depth,
            s.ndcg_at_10,
            s.recall_at_100,
            s.mrr_at_10,
            s.p50_ms,
            s.p95_ms
        );
    }
    Ok(())
}
