//! HTML pages: home, search results, paper pages and daily category listings.

use super::days::{category_set, day_list, describe};
use super::error::PageError;
use super::links;
use super::params::{PAGE_SIZE, SearchParams};
use super::search::{self, Found};
use super::views::{PaperView, bibtex, render};
use super::{AppError, AppState, feeds};
use crate::domain::{ArxivId, Date};
use crate::index::{FacetCount, Sort};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

/// Papers on the home page.
const LATEST: i64 = 20;
/// Categories listed on the home page.
const HOME_CATEGORIES: usize = 24;

pub struct FacetLink {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    count: i64,
    latest: Vec<PaperView>,
    categories: Vec<FacetLink>,
    /// The arXiv sync's state (text, is a warning), once a sync has run.
    sync: Option<(String, bool)>,
}

pub async fn home(State(state): State<AppState>) -> Result<Html<String>, PageError> {
    let count = state.store.count().await?;
    let latest = state.store.latest(LATEST).await?;
    let index = state.index.clone();
    let facets = tokio::task::spawn_blocking(move || index.facet_counts(HOME_CATEGORIES))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let categories = facets
        .categories
        .into_iter()
        .map(|f| FacetLink {
            href: format!("/arxiv/{}", f.value),
            label: f.value,
            count: f.count,
            active: false,
        })
        .collect();
    let sync = crate::ingest::daily::SyncStatus::load(state.store.as_ref())
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map(|s| sync_line(&s));
    render(
        &HomePage {
            count,
            latest: latest.iter().map(PaperView::new).collect(),
            categories,
            sync,
        },
        &state,
    )
}

/// The home page's line on the arXiv sync, and whether it is a warning.
fn sync_line(s: &crate::ingest::daily::SyncStatus) -> (String, bool) {
    // `2026-11-28T18:04:05Z` → `2026-11-28 18:04 UTC`.
    let at = |t: &Option<String>| match t.as_deref() {
        Some(t) if t.len() >= 16 => format!("{} UTC", &t[..16].replace('T', " ")),
        Some(t) => t.to_string(),
        None => "–".to_string(),
    };
    if s.running {
        (
            format!("Fetching new papers from arXiv (since {})…", at(&s.started)),
            false,
        )
    } else if !s.ok {
        let since = at(&s.failing_since.clone().or(s.started.clone()));
        let why = s
            .errors
            .first()
            .map_or(String::new(), |e| format!(" ({e})"));
        let line = format!(
            "arXiv unreachable since {since}{why}; next try {}. Without network, import a \
             snapshot instead: papers import arxiv-snapshot FILE",
            at(&s.next_run)
        );
        (line, true)
    } else {
        let line = format!(
            "Synced with arXiv at {}; next at {}.",
            at(&s.finished),
            at(&s.next_run)
        );
        (line, false)
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    q: String,
    read_as: Option<String>,
    notes: Vec<String>,
    /// "Did you mean": the corrected query and its link.
    suggestion: Option<(String, String)>,
    /// With few or no hits: what was tried and what to try instead.
    few: Option<Few>,
    total: u64,
    page: usize,
    hits: Vec<PaperView>,
    categories: Vec<FacetLink>,
    venues: Vec<FacetLink>,
    tracks: Vec<FacetLink>,
    years: Vec<FacetLink>,
    newest: bool,
    relevance_href: String,
    newest_href: String,
    prev_href: Option<String>,
    next_href: Option<String>,
    feed_href: String,
    from: String,
    to: String,
    category: String,
    venue: String,
    track: String,
    /// With an embedder: whether this page was reranked, and the link that flips it.
    rerank: Option<(bool, String)>,
}

/// What a search that found little tried, and the links it offers instead.
struct Few {
    read_as: String,
    /// The search without the page's filters, when some were set.
    unfiltered: Option<String>,
    /// The same words with any of them enough.
    any_word: Option<(String, String)>,
}

pub async fn search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
    client: super::ClientAddr,
) -> Result<Response, PageError> {
    let found = search::run(&state, &params, client).await?;
    if let Some(id) = &found.query.arxiv_id {
        return Ok(Redirect::to(&format!("/arxiv/{id}")).into_response());
    }
    Ok(render(&search_page(&params, found), &state)?.into_response())
}

fn search_page(params: &SearchParams, found: Found) -> SearchPage {
    let shown = (found.page * found.limit) as u64;
    let can_go_on = shown < found.total && found.page * found.limit < super::MAX_OFFSET;
    let links = |values: &[FacetCount], toggle: fn(&SearchParams, &str) -> (String, bool)| {
        values
            .iter()
            .map(|f| {
                let (href, active) = toggle(params, &f.value);
                FacetLink {
                    label: f.value.clone(),
                    count: f.count,
                    href,
                    active,
                }
            })
            .collect()
    };
    let categories = links(&found.facets.categories, links::toggle_category);
    let venues = links(&found.facets.venues, links::toggle_venue);
    let tracks = links(&found.facets.tracks, links::toggle_track);
    let years = links(&found.facets.years, links::toggle_year);
    let filtered = [
        &params.category,
        &params.venue,
        &params.track,
        &params.from,
        &params.to,
    ]
    .iter()
    .any(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty()));
    let words: Vec<String> = found
        .query
        .wanted()
        .iter()
        .map(|c| match &c.term {
            crate::query::Term::Phrase(p) => format!("\"{p}\""),
            crate::query::Term::Word(w) => w.clone(),
            _ => String::new(),
        })
        .filter(|w| !w.is_empty())
        .collect();
    let few = (found.total < PAGE_SIZE as u64 && !params.q.trim().is_empty()).then(|| Few {
        read_as: found.query.read_as(),
        unfiltered: filtered.then(|| links::without_filters(params)),
        any_word: (words.len() > 1).then(|| {
            let any = words.join(" OR ");
            (links::with_query(params, &any), any)
        }),
    });
    SearchPage {
        q: params.q.clone(),
        suggestion: found
            .suggestion
            .as_ref()
            .map(|s| (s.clone(), links::with_query(params, s))),
        few,
        read_as: (!found.query.notes.is_empty()).then(|| found.query.read_as()),
        notes: found.query.notes.clone(),
        total: found.total,
        page: found.page,
        hits: found
            .hits
            .into_iter()
            .map(|h| PaperView::new(&h.paper).with_highlights(h.title_html, h.abstract_html))
            .collect(),
        categories,
        venues,
        tracks,
        years,
        newest: params.sort == Some(Sort::Newest),
        relevance_href: links::with_sort(params, Sort::Relevance),
        newest_href: links::with_sort(params, Sort::Newest),
        prev_href: (found.page > 1).then(|| links::with_page(params, found.page - 1)),
        next_href: can_go_on.then(|| links::with_page(params, found.page + 1)),
        feed_href: links::search_url(
            "/search/feed",
            &SearchParams {
                page: None,
                ..params.clone()
            },
        ),
        from: params.from.clone().unwrap_or_default(),
        to: params.to.clone().unwrap_or_default(),
        category: params.category.clone().unwrap_or_default(),
        venue: params.venue.clone().unwrap_or_default(),
        track: params.track.clone().unwrap_or_default(),
        rerank: found
            .reranked
            .map(|done| (done, links::with_rerank(params, !done))),
    }
}

#[derive(Template)]
#[template(path = "paper.html")]
struct PaperPage {
    paper: PaperView,
    bibtex: String,
    versions: Vec<super::venues::VersionLink>,
    /// Papers nearest in meaning (empty without an embedder).
    related: Vec<PaperView>,
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    label: String,
    path: String,
    day: Option<Date>,
    /// How the day's papers were chosen, for the page to say.
    basis: &'static str,
    count: usize,
    sections: Vec<ListingSection>,
    /// Categories whose daily list was not read for the day.
    unread: Vec<String>,
    prev: Option<Date>,
    next: Option<Date>,
}

/// New submissions, cross-lists or replacements (or, by submission date, all in one).
struct ListingSection {
    title: &'static str,
    /// The section's id on the page, for the jump links.
    anchor: &'static str,
    papers: Vec<PaperView>,
}

#[derive(Debug, Deserialize)]
pub struct ListingParams {
    date: Option<String>,
}

/// `/arxiv/{id}` (a paper) or `/arxiv/{categories}` (a daily listing), `…/feed` for Atom.
pub async fn arxiv(
    State(state): State<AppState>,
    Path(path): Path<String>,
    Query(params): Query<ListingParams>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if let Ok(id) = ArxivId::parse(&path) {
        return Ok(arxiv_paper_page(&state, &id).await?.into_response());
    }
    if let Some(ids) = several_ids(&path) {
        let heading = match ids.len() {
            1 => "1 paper".to_string(),
            n => format!("{} papers", super::views::thousands(n)),
        };
        return Ok(papers_page(&state, heading, ids, false)
            .await?
            .into_response());
    }
    if let Some(cats) = path.strip_suffix("/feed") {
        let set = category_set(cats)?;
        return Ok(feeds::listing(&state, cats, &set, &headers).await?);
    }
    let set = category_set(&path)?;
    let day = match params.date.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => Some(
            Date::parse_iso(d)
                .map_err(|_| AppError::BadRequest("date must look like 2024-02-19".into()))?,
        ),
        None => None,
    };
    let list = day_list(&state, &set, day).await?;
    let count = list.sections.iter().map(|s| s.papers.len()).sum();
    Ok(render(
        &ListingPage {
            label: describe(&set),
            path,
            day: list.day,
            basis: list.basis,
            count,
            sections: list
                .sections
                .iter()
                .map(|s| ListingSection {
                    title: s.title,
                    anchor: s.anchor,
                    papers: s.papers.iter().map(PaperView::new).collect(),
                })
                .collect(),
            unread: list.unread,
            prev: list.prev,
            next: list.next,
        },
        &state,
    )?
    .into_response())
}

/// `/paper/{id}`: any stored paper by its id.
pub async fn paper(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    paper_page(&state, &id).await
}

async fn paper_page(state: &AppState, id: &str) -> Result<Html<String>, PageError> {
    let paper = state
        .store
        .papers_by_id(&[id.to_string()])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    render_paper(state, &paper).await
}

/// An arXiv paper, fetched from arXiv first when it is not stored and the server may.
async fn arxiv_paper_page(state: &AppState, id: &ArxivId) -> Result<Html<String>, PageError> {
    let stored = state.store.papers_by_id(&[id.to_string()]).await?.pop();
    let paper = match (stored, &state.on_demand) {
        (Some(p), _) => p,
        (None, Some(on_demand)) => on_demand
            .fetch(state.store.as_ref(), id)
            .await?
            .ok_or(AppError::NotFound)?,
        (None, None) => return Err(AppError::NotFound.into()),
    };
    render_paper(state, &paper).await
}

/// Papers one page lists by id at most.
const MAX_IDS: usize = 1_000;

/// `2402.12354,2401.00001`: several arXiv ids (each in any form), or `None`.
fn several_ids(path: &str) -> Option<Vec<String>> {
    if !path.contains(',') {
        return None;
    }
    path.split(',')
        .filter(|part| !part.is_empty())
        .map(|part| ArxivId::parse(part).ok().map(|id| id.to_string()))
        .collect()
}

#[derive(Template)]
#[template(path = "papers.html")]
struct PapersPage {
    heading: String,
    /// The starred page, with its tools.
    starred: bool,
    papers: Vec<PaperView>,
    /// Ids asked for that are not stored.
    missing: Vec<String>,
    all_bibtex: String,
}

/// The papers with these ids, in the order given (the first [`MAX_IDS`]).
async fn papers_page(
    state: &AppState,
    heading: String,
    mut ids: Vec<String>,
    starred: bool,
) -> Result<Html<String>, PageError> {
    ids.truncate(MAX_IDS);
    let papers = state.store.papers_by_id(&ids).await?;
    let stored: std::collections::HashSet<&str> = papers.iter().map(|p| p.id.as_str()).collect();
    let missing = ids
        .iter()
        .filter(|id| !stored.contains(id.as_str()))
        .cloned()
        .collect();
    let all_bibtex = papers.iter().map(bibtex).collect::<Vec<_>>().join("\n\n");
    render(
        &PapersPage {
            heading,
            starred,
            papers: papers.iter().map(PaperView::new).collect(),
            missing,
            all_bibtex,
        },
        state,
    )
}

#[derive(Debug, Deserialize)]
pub struct StarredParams {
    /// Comma-separated paper ids, newest star first (the page's script fills it in from
    /// this browser's stars).
    ids: Option<String>,
}

/// `/starred`: the papers whose ids the browser sends (its stars, kept in localStorage).
pub async fn starred(
    State(state): State<AppState>,
    Query(params): Query<StarredParams>,
) -> Result<Html<String>, PageError> {
    let ids: Vec<String> = params
        .ids
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| ArxivId::parse(id).map_or_else(|_| id.to_string(), |a| a.to_string()))
        .collect();
    let heading = match ids.len() {
        0 => "Starred papers".to_string(),
        n => format!("Starred papers ({})", super::views::thousands(n)),
    };
    papers_page(&state, heading, ids, true).await
}

/// `/bibtex/{id}`: a paper's BibTeX entry as text, what a card's [BibTeX] link opens (or
/// copies, with JavaScript).
pub async fn bibtex_text(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let paper = super::stored_paper(&state, &id).await?;
    let text_plain = [(
        axum::http::header::CONTENT_TYPE,
        "text/plain; charset=utf-8",
    )];
    Ok((text_plain, bibtex(&paper)).into_response())
}

async fn render_paper(
    state: &AppState,
    paper: &crate::domain::Paper,
) -> Result<Html<String>, PageError> {
    let related = related_papers(state, &paper.id).await;
    render(
        &PaperPage {
            related: related.iter().map(PaperView::new).collect(),
            versions: super::venues::versions(state, paper).await?,
            bibtex: bibtex(paper),
            paper: PaperView::new(paper),
        },
        state,
    )
}

/// Related papers shown on a paper's page.
const RELATED: usize = 8;

/// The papers nearest in meaning to paper `id`; none without an embedder or when the
/// paper has no vector yet (a failure is logged: the page shows without them).
async fn related_papers(state: &AppState, id: &str) -> Vec<crate::domain::Paper> {
    let Some(meaning) = &state.meaning else {
        return Vec::new();
    };
    let probe = crate::embed::similar::Probe::Paper(id.to_string());
    match meaning
        .semantic
        .related(&*state.store, &probe, RELATED, None)
        .await
    {
        Ok(found) => found
            .unwrap_or_default()
            .into_iter()
            .map(|(p, _)| p)
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "related papers failed");
            Vec::new()
        }
    }
}
