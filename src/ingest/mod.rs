//! arXiv ingestion: a polite client for OAI-PMH, the API and RSS, the resumable harvest,
//! the daily sync, and its scheduler.

pub mod atom;
pub mod command;
pub mod daily;
pub mod harvest;
pub mod oai;
pub mod rss;
pub mod schedule;
mod xml;

pub use xml::XmlError;

use crate::domain::{ArxivId, IdError, Paper};
use crate::fetch::{FetchConfig, FetchError, Fetcher, Limiter};
use std::sync::Arc;
use std::time::Duration;

/// Ids per arXiv API request.
const IDS_PER_REQUEST: usize = 100;

/// Where arXiv is and how fast to ask it (the `PAPERS_ARXIV_*` variables).
#[derive(Debug, Clone, clap::Args)]
pub struct ArxivOptions {
    /// OAI-PMH base URL.
    #[arg(
        global = true,
        long = "arxiv-oai-url",
        env = "PAPERS_ARXIV_OAI_URL",
        default_value = "https://oaipmh.arxiv.org/oai"
    )]
    pub oai_url: String,
    /// arXiv API query URL (Atom).
    #[arg(
        global = true,
        long = "arxiv-api-url",
        env = "PAPERS_ARXIV_API_URL",
        default_value = "https://export.arxiv.org/api/query"
    )]
    pub api_url: String,
    /// Base of the per-category RSS feeds.
    #[arg(
        global = true,
        long = "arxiv-rss-url",
        env = "PAPERS_ARXIV_RSS_URL",
        default_value = "https://rss.arxiv.org/rss"
    )]
    pub rss_url: String,
    /// Milliseconds between requests to arXiv (its terms ask for 3 s), across every process
    /// on the database.
    #[arg(
        global = true,
        long = "arxiv-delay-ms",
        env = "PAPERS_ARXIV_DELAY_MS",
        default_value_t = 3000
    )]
    pub delay_ms: u64,
    /// Retries of a failed request (connection errors, timeouts, 429 and 5xx), with
    /// doubling backoff from 5 s, or after the server's `Retry-After`.
    #[arg(
        global = true,
        long = "arxiv-retries",
        env = "PAPERS_ARXIV_RETRIES",
        default_value_t = 4
    )]
    pub retries: u32,
}

/// Why an arXiv response (Atom, RSS or OAI-PMH), or one entry of it, could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The document is not the kind asked for (`expected` reads "an Atom feed").
    #[error("not {expected} (root <{root}>)")]
    WrongRoot {
        expected: &'static str,
        root: String,
    },
    /// The arXiv API's error entry, with its message.
    #[error("arXiv API error: {0}")]
    Api(String),
    /// A required element is absent or blank.
    #[error("no {0}")]
    Missing(&'static str),
    #[error(transparent)]
    Id(#[from] IdError),
    #[error("unknown announce_type {0:?}")]
    AnnounceType(String),
    #[error("metadata in neither arXiv nor arXivRaw format")]
    MetadataFormat,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{url}: {reason}")]
    Parse {
        url: String,
        #[source]
        reason: FeedError,
    },
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("OAI-PMH error {code}: {message}")]
    Oai { code: String, message: String },
    #[error("storing failed: {0}")]
    Store(#[from] crate::store::StoreError),
}

impl IngestError {
    /// The request never reached arXiv (no route, no DNS, refused, timed out).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, IngestError::Fetch(e) if e.is_unreachable())
    }
}

/// One client for every arXiv endpoint; all its requests share one polite limiter.
pub struct Arxiv {
    fetcher: Fetcher,
    options: ArxivOptions,
}

impl Arxiv {
    /// A client with a limiter of its own process only, and this fetch configuration (the
    /// tests shorten its timeouts).
    pub fn with_fetch_config(options: ArxivOptions, config: FetchConfig) -> Self {
        let limiter = Limiter::new(Duration::from_millis(options.delay_ms));
        Arxiv {
            fetcher: Fetcher::new(config, Some(limiter)),
            options,
        }
    }

    /// A client whose requests take turns with every other process on `store`'s database:
    /// arXiv counts one deployment's replicas and commands as one client.
    pub fn shared(options: ArxivOptions, store: Arc<dyn crate::store::Store>) -> Self {
        let config = FetchConfig {
            attempts: options.retries + 1,
            ..FetchConfig::default()
        };
        let delay = Duration::from_millis(options.delay_ms);
        let limiter = Limiter::shared(delay, store, "arxiv", config.timeout + delay);
        Arxiv {
            fetcher: Fetcher::new(config, Some(limiter)),
            options,
        }
    }

    pub fn limiter(&self) -> &Arc<Limiter> {
        self.fetcher
            .limiter()
            .expect("the arXiv client always has a limiter")
    }

    /// A successful response's body as text; other statuses are errors.
    async fn get_ok(&self, url: &str) -> Result<String, IngestError> {
        let fetched = self.fetcher.get(url).await?;
        if !fetched.is_success() {
            return Err(IngestError::Status {
                url: url.to_string(),
                status: fetched.status,
            });
        }
        Ok(fetched.text().into_owned())
    }

    /// One `ListRecords` request: the first of a window, or the next page by token.
    pub async fn list_records(&self, request: &oai::Request) -> Result<oai::Reply, IngestError> {
        let url = format!("{}?{}", self.options.oai_url, request.query());
        let body = self.get_ok(&url).await?;
        oai::parse(&body).map_err(|reason| IngestError::Parse { url, reason })
    }

    /// Papers by id through the arXiv API, up to 100 per request; unknown ids are left out.
    pub async fn fetch_ids(&self, ids: &[ArxivId]) -> Result<Vec<Paper>, IngestError> {
        let mut papers = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_REQUEST) {
            let list: Vec<&str> = chunk.iter().map(ArxivId::as_str).collect();
            let url = format!(
                "{}?id_list={}&max_results={}",
                self.options.api_url,
                list.join(","),
                chunk.len()
            );
            // The API answers a bad id with HTTP 400 and an Atom error entry: parse either.
            let fetched = self.fetcher.get(&url).await?;
            let parsed = atom::parse(&fetched.text());
            match parsed {
                Ok(found) if fetched.is_success() => papers.extend(found),
                Ok(_) => {
                    return Err(IngestError::Status {
                        url,
                        status: fetched.status,
                    });
                }
                Err(reason) => return Err(IngestError::Parse { url, reason }),
            }
        }
        Ok(papers)
    }

    /// Today's feed for one category.
    pub async fn rss(&self, category: &str) -> Result<rss::DayFeed, IngestError> {
        let url = format!("{}/{category}", self.options.rss_url.trim_end_matches('/'));
        let body = self.get_ok(&url).await?;
        rss::parse(&body).map_err(|reason| IngestError::Parse { url, reason })
    }
}
