//! Paper FAQs written by a language model (Cool Papers' [Kimi] button): configured through
//! `PAPERS_LLM_*`, generated once per paper, language, model and prompt version, cached in
//! the database, streamed to everyone who asks while it is written.

pub mod client;
mod limit;
pub mod markdown;
pub mod pregen;
pub mod prompt;

use crate::domain::Paper;
use crate::store::{FaqRow, Store, StoreError};
use clap::Args;
use client::{ChatClient, ChatError};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, watch};

/// `PAPERS_LLM_*`: the OpenAI-compatible endpoint behind the FAQ.
#[derive(Debug, Clone, Args)]
pub struct LlmOptions {
    /// Base URL of an OpenAI-compatible API (`http://127.0.0.1:11434/v1` for Ollama); without
    /// it the FAQ is off.
    #[arg(long, global = true, env = "PAPERS_LLM_URL")]
    pub llm_url: Option<String>,
    /// The model to ask for (`qwen2.5:7b-instruct`, `gpt-4o-mini`…).
    #[arg(long, global = true, env = "PAPERS_LLM_MODEL")]
    pub llm_model: Option<String>,
    /// Bearer token for the API (environment only, so it stays out of `ps` and the logs).
    #[arg(
        long = "llm-api-key",
        hide = true,
        global = true,
        env = "PAPERS_LLM_API_KEY",
        hide_env_values = true
    )]
    pub llm_api_key: Option<String>,
    /// Answers generated at once; more requests queue, their place shown.
    #[arg(
        long,
        global = true,
        env = "PAPERS_LLM_CONCURRENCY",
        default_value_t = 2
    )]
    pub llm_concurrency: usize,
    /// Longest wait for one complete answer, in seconds.
    #[arg(
        long,
        global = true,
        env = "PAPERS_LLM_TIMEOUT_SECS",
        default_value_t = 120
    )]
    pub llm_timeout_secs: u64,
    /// New FAQs one client address may have generated per hour (cached ones are free;
    /// 0: no limit).
    #[arg(
        long,
        global = true,
        env = "PAPERS_LLM_HOURLY_LIMIT",
        default_value_t = 20
    )]
    pub llm_hourly_limit: u32,
}

impl LlmOptions {
    /// The FAQ service, or `None` when `PAPERS_LLM_URL` is not set.
    pub fn open(&self, store: Arc<dyn Store>) -> anyhow::Result<Option<Arc<FaqService>>> {
        let Some(url) = self.llm_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        anyhow::ensure!(
            url.starts_with("http://") || url.starts_with("https://"),
            "PAPERS_LLM_URL must be an http:// or https:// URL, not {url:?}"
        );
        let model = self
            .llm_model
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .ok_or_else(|| {
                anyhow::anyhow!("PAPERS_LLM_URL needs PAPERS_LLM_MODEL (the model to ask for)")
            })?;
        anyhow::ensure!(
            self.llm_concurrency >= 1,
            "PAPERS_LLM_CONCURRENCY must be at least 1"
        );
        let timeout = Duration::from_secs(self.llm_timeout_secs.max(1));
        let key = self.llm_api_key.clone().filter(|k| !k.is_empty());
        let client = ChatClient::new(url, model, key, timeout);
        tracing::info!(
            model,
            concurrency = self.llm_concurrency,
            "paper FAQ enabled"
        );
        Ok(Some(Arc::new(FaqService {
            store,
            client,
            timeout,
            slots: Arc::new(Semaphore::new(self.llm_concurrency)),
            concurrency: self.llm_concurrency,
            shared: Mutex::default(),
            run: Mutex::default(),
            limiter: limit::ClientLimiter::new(self.llm_hourly_limit),
        })))
    }
}

/// The languages a FAQ is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub fn parse(code: &str) -> Option<Lang> {
        match code.to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "zh" | "zh-cn" | "zh-hans" => Some(Lang::Zh),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// As the prompt names it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "Chinese (简体中文)",
        }
    }
}

/// A finished FAQ, as the API answers it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Faq {
    /// The paper's id.
    pub id: String,
    /// `en` or `zh`.
    pub lang: String,
    /// The model that wrote it.
    pub model: String,
    /// When it was written, `2026-11-28T18:04:05Z`.
    pub created: String,
    /// The model's answer as it wrote it.
    pub markdown: String,
    /// The answer as sanitised HTML, math left as `\(…\)` for KaTeX.
    pub html: String,
}

impl From<FaqRow> for Faq {
    fn from(row: FaqRow) -> Self {
        Faq {
            html: markdown::to_html(&row.markdown),
            id: row.paper_id,
            lang: row.lang,
            model: row.model,
            created: row.created,
            markdown: row.markdown,
        }
    }
}

/// A generation as its watchers see it.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Place in the queue for a free slot, while waiting (1: next).
    pub queued: Option<usize>,
    /// What the model has written so far.
    pub text: String,
    /// Set once, when the generation ends: the stored FAQ or why there is none.
    pub outcome: Option<Result<Faq, String>>,
}

/// What asking for a FAQ gives.
pub enum Lookup {
    /// Stored already.
    Ready(Faq),
    /// Being written: watch it (the generation goes on if the watcher leaves).
    Live(watch::Receiver<Progress>),
}

#[derive(Debug, thiserror::Error)]
pub enum FaqError {
    #[error(transparent)]
    Llm(#[from] ChatError),
    #[error("this address asked for too many new FAQs; try again in {0} s")]
    RateLimited(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Key = (String, Lang);
type Generation = Arc<watch::Sender<Progress>>;

#[derive(Default)]
struct Shared {
    /// Generations under way, so that a second request watches the first.
    inflight: HashMap<Key, Generation>,
    /// Generations waiting for a slot, first come first served.
    waiting: VecDeque<Generation>,
}

pub struct FaqService {
    store: Arc<dyn Store>,
    client: ChatClient,
    timeout: Duration,
    slots: Arc<Semaphore>,
    concurrency: usize,
    shared: Mutex<Shared>,
    limiter: limit::ClientLimiter,
    /// The pre-generation run started from /admin, if any.
    run: Mutex<Option<pregen::RunStatus>>,
}

impl FaqService {
    pub fn model(&self) -> &str {
        self.client.model()
    }

    /// Generations at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Generations waiting for a free slot.
    pub fn waiting(&self) -> usize {
        self.shared.lock().map_or(0, |s| s.waiting.len())
    }

    /// Longest wait for an answer once its slot is free.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The stored FAQ of `paper`, or the generation writing it: one already under way, or
    /// a new one (which counts against `client`'s hourly limit; `None` is not limited).
    pub async fn lookup(
        self: &Arc<Self>,
        paper: &Paper,
        lang: Lang,
        client: Option<IpAddr>,
    ) -> Result<Lookup, FaqError> {
        if let Some(faq) = self.stored(&paper.id, lang).await? {
            return Ok(Lookup::Ready(faq));
        }
        let key = (paper.id.clone(), lang);
        let mut shared = self.shared.lock().expect("not poisoned");
        if let Some(generation) = shared.inflight.get(&key) {
            return Ok(Lookup::Live(generation.subscribe()));
        }
        if let Some(ip) = client {
            self.limiter.check(ip).map_err(FaqError::RateLimited)?;
        }
        let generation = Arc::new(watch::Sender::new(Progress::default()));
        let watcher = generation.subscribe();
        shared.inflight.insert(key, generation.clone());
        drop(shared);
        let this = self.clone();
        let paper = paper.clone();
        tokio::spawn(async move {
            let outcome = this.generate(&paper, lang, &generation).await;
            if let Err(e) = &outcome {
                tracing::warn!(paper = %paper.id, lang = lang.code(), error = %e, "no FAQ");
            }
            // Unlisted first: a request from now on finds the FAQ stored, or (after a
            // failure, which is never stored) starts afresh instead of reading this failure.
            let key = (paper.id.clone(), lang);
            this.shared
                .lock()
                .expect("not poisoned")
                .inflight
                .remove(&key);
            generation.send_modify(|p| p.outcome = Some(outcome.map_err(|e| e.to_string())));
        });
        Ok(Lookup::Live(watcher))
    }

    async fn stored(&self, id: &str, lang: Lang) -> Result<Option<Faq>, StoreError> {
        let row = self
            .store
            .faq(id, lang.code(), self.model(), prompt::version())
            .await?;
        Ok(row.map(Faq::from))
    }

    async fn generate(
        &self,
        paper: &Paper,
        lang: Lang,
        generation: &Generation,
    ) -> Result<Faq, FaqError> {
        let _slot = self.slot(generation).await;
        // Another process (or a generation that ended just before this one was registered)
        // may have stored it meanwhile.
        if let Some(faq) = self.stored(&paper.id, lang).await? {
            return Ok(faq);
        }
        let (system, user) = prompt::messages(paper, lang);
        self.client
            .complete(&system, &user, |text| {
                generation.send_modify(|p| p.text.push_str(text));
            })
            .await?;
        // Stored as streamed, so the pieces a watcher saw add up to the stored text.
        let markdown = generation.borrow().text.clone();
        if markdown.trim().is_empty() {
            return Err(ChatError::CutShort("the model answered nothing".into()).into());
        }
        let row = FaqRow {
            paper_id: paper.id.clone(),
            lang: lang.code().into(),
            model: self.model().into(),
            prompt_version: prompt::version().into(),
            markdown,
            created: crate::domain::utc_timestamp(),
        };
        self.store.save_faq(&row).await?;
        Ok(row.into())
    }

    /// A generation slot, queueing (with the place shown to watchers) while none is free.
    async fn slot(&self, generation: &Generation) -> tokio::sync::OwnedSemaphorePermit {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return permit;
        }
        self.queue(|waiting| waiting.push_back(generation.clone()));
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        generation.send_modify(|p| p.queued = None);
        self.queue(|waiting| waiting.retain(|g| !Arc::ptr_eq(g, generation)));
        permit
    }

    /// Changes the queue and tells every waiting generation its new place.
    fn queue(&self, change: impl FnOnce(&mut VecDeque<Generation>)) {
        let mut shared = self.shared.lock().expect("not poisoned");
        change(&mut shared.waiting);
        for (place, g) in shared.waiting.iter().enumerate() {
            g.send_modify(|p| p.queued = Some(place + 1));
        }
    }
}

/// Waits for a generation to end, at most `timeout`: `None` if it is still going.
pub async fn finished(
    mut watcher: watch::Receiver<Progress>,
    timeout: Duration,
) -> Option<Result<Faq, String>> {
    let ended = watcher.wait_for(|p| p.outcome.is_some());
    match tokio::time::timeout(timeout, ended).await {
        Ok(Ok(progress)) => progress.outcome.clone(),
        Ok(Err(_)) => Some(Err("the generation stopped".into())),
        Err(_) => None,
    }
}
