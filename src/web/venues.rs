//! Venue pages: `/venues`, `/venue/ICLR` (latest edition), `/venue/ICLR.2024?group=Oral`,
//! its Atom feed, and `/api/venues`.

use super::error::PageError;
use super::views::{PaperView, render};
use super::{AppError, AppState, feeds, links};
use crate::store::TrackCount;
use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

/// Papers per listing page.
const PER_PAGE: i64 = 100;
/// Papers in a venue feed.
const FEED: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/venues", get(list_page))
        .route("/venue/{*path}", get(venue))
        .route("/api/venues", get(api_venues))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Group {
    /// `Oral`, `Spotlight`, `Poster`…; `null` when the source gives none.
    track: Option<String>,
    count: i64,
}

/// A venue edition with its groups.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Edition {
    venue: String,
    year: i64,
    /// Works listed (a venue record linked to its arXiv paper counts once).
    count: i64,
    tracks: Vec<Group>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Editions {
    venues: Vec<Edition>,
}

fn editions(tracks: Vec<TrackCount>) -> Vec<Edition> {
    let mut out: Vec<Edition> = Vec::new();
    for t in tracks {
        let same = out
            .last()
            .is_some_and(|e| e.venue == t.venue && e.year == t.year);
        if !same {
            out.push(Edition {
                venue: t.venue.clone(),
                year: t.year,
                count: 0,
                tracks: Vec::new(),
            });
        }
        let edition = out.last_mut().expect("pushed above");
        edition.count += t.count;
        edition.tracks.push(Group {
            track: t.track,
            count: t.count,
        });
    }
    out
}

/// Every venue edition in the database, with the number of works per track.
#[utoipa::path(
    get,
    path = "/api/venues",
    responses((status = 200, description = "Venue editions, newest first per venue", body = Editions))
)]
pub async fn api_venues(State(state): State<AppState>) -> Result<Json<Editions>, AppError> {
    Ok(Json(Editions {
        venues: editions(state.store.venue_tracks().await?),
    }))
}

#[derive(Template)]
#[template(path = "venues.html")]
struct VenuesPage {
    editions: Vec<Edition>,
}

async fn list_page(State(state): State<AppState>) -> Result<Html<String>, PageError> {
    render(
        &VenuesPage {
            editions: editions(state.store.venue_tracks().await?),
        },
        &state,
    )
}

pub struct Tab {
    label: String,
    count: i64,
    href: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "venue.html")]
struct VenuePage {
    /// `ICLR 2024`.
    name: String,
    /// `ICLR.2024`.
    edition: String,
    venue: String,
    year: u16,
    tabs: Vec<Tab>,
    group: Option<String>,
    papers: Vec<PaperView>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct VenueParams {
    group: Option<String>,
    page: Option<u32>,
}

/// `ICLR.2024` as (`ICLR`, 2024), the name as stored (upper case).
fn parse_edition(raw: &str) -> Option<(String, u16)> {
    let (name, year) = raw.rsplit_once('.')?;
    Some((name.to_ascii_uppercase(), year.parse().ok()?))
}

async fn venue(
    State(state): State<AppState>,
    Path(path): Path<String>,
    Query(params): Query<VenueParams>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let group = params.group.filter(|g| !g.is_empty());
    let all = editions(state.store.venue_tracks().await?);
    // A venue alone (`ICLR`, `ICLR/feed`): its latest edition.
    let latest = |name: &str| {
        let name = name.to_ascii_uppercase();
        all.iter()
            .filter(|e| e.venue == name)
            .max_by_key(|e| e.year)
            .map(|e| (e.venue.clone(), e.year as u16))
            .ok_or(AppError::NotFound)
    };
    if let Some(edition) = path.strip_suffix("/feed") {
        let (name, year) = match parse_edition(edition) {
            Some(found) => found,
            None => latest(edition)?,
        };
        let papers = state
            .store
            .venue_papers(&name, year, group.as_deref(), 0, FEED)
            .await?;
        let base = feeds::base_url(&state, &headers);
        let self_url = format!("{base}/venue/{}/feed", links::encode(edition));
        let title = match &group {
            Some(g) => format!("papers: {name} {year} {g}"),
            None => format!("papers: {name} {year}"),
        };
        return Ok(feeds::atom_response(&base, &self_url, &title, &papers));
    }
    let Some((name, year)) = parse_edition(&path) else {
        let (name, year) = latest(&path)?;
        return Ok(Redirect::to(&format!("/venue/{name}.{year}")).into_response());
    };
    let edition = all
        .into_iter()
        .find(|e| e.venue == name && e.year == i64::from(year))
        .ok_or(AppError::NotFound)?;
    let page = i64::from(params.page.unwrap_or(1).clamp(1, 1_000));
    let papers = state
        .store
        .venue_papers(
            &name,
            year,
            group.as_deref(),
            (page - 1) * PER_PAGE,
            PER_PAGE + 1,
        )
        .await?;
    let base = format!("/venue/{name}.{year}");
    let href = |group: Option<&str>, page: i64| {
        let mut url = base.clone();
        let mut sep = '?';
        if let Some(g) = group {
            url.push_str(&format!("?group={}", links::encode(g)));
            sep = '&';
        }
        if page > 1 {
            url.push_str(&format!("{sep}page={page}"));
        }
        url
    };
    let mut tabs = vec![Tab {
        label: "All".into(),
        count: edition.count,
        href: href(None, 1),
        active: group.is_none(),
    }];
    // Oral, Spotlight, Poster first, as the conferences rank them; then the rest.
    let rank = |track: &str| {
        ["oral", "spotlight", "poster"]
            .iter()
            .position(|t| track.to_ascii_lowercase().starts_with(t))
            .unwrap_or(3)
    };
    let mut tracks: Vec<_> = edition.tracks.iter().collect();
    tracks.sort_by_key(|t| t.track.as_deref().map(rank));
    for t in tracks {
        let Some(track) = &t.track else { continue };
        tabs.push(Tab {
            label: track.clone(),
            count: t.count,
            href: href(Some(track), 1),
            active: group
                .as_deref()
                .is_some_and(|g| g.eq_ignore_ascii_case(track)),
        });
    }
    let more = papers.len() as i64 > PER_PAGE;
    let shown: Vec<PaperView> = papers
        .iter()
        .take(PER_PAGE as usize)
        .map(PaperView::new)
        .collect();
    Ok(render(
        &VenuePage {
            edition: format!("{name}.{year}"),
            name: format!("{name} {year}"),
            venue: name,
            year,
            tabs,
            prev_href: (page > 1).then(|| href(group.as_deref(), page - 1)),
            next_href: more.then(|| href(group.as_deref(), page + 1)),
            group,
            papers: shown,
        },
        &state,
    )?
    .into_response())
}

/// A link from a paper page to another version of the work, or to its source.
pub struct VersionLink {
    pub label: String,
    pub href: String,
}

/// The versions of `paper` to show on its page: `arXiv:…` on a venue record linked to its
/// arXiv paper, the venue record(s) on the arXiv paper, and each venue record's source.
pub async fn versions(
    state: &AppState,
    paper: &crate::domain::Paper,
) -> Result<Vec<VersionLink>, AppError> {
    let mut out = Vec::new();
    let mut records = vec![paper.id.clone()];
    for link in state
        .store
        .links_of(std::slice::from_ref(&paper.id))
        .await?
    {
        if link.id == paper.id {
            out.push(VersionLink {
                label: format!("arXiv:{}", link.arxiv_id),
                href: format!("/arxiv/{}", link.arxiv_id),
            });
        } else {
            out.push(VersionLink {
                label: format!("{} version", source_name(&link.id)),
                href: format!("/paper/{}", links::encode(&link.id)),
            });
            records.push(link.id);
        }
    }
    for id in records {
        if let Some(forum) = id.strip_prefix("openreview:") {
            out.push(VersionLink {
                label: "OpenReview".into(),
                href: format!("https://openreview.net/forum?id={}", links::encode(forum)),
            });
        } else if let Some(page) = id.strip_prefix("pmlr:") {
            out.push(VersionLink {
                label: "PMLR".into(),
                href: format!("https://proceedings.mlr.press/{page}.html"),
            });
        }
    }
    Ok(out)
}

fn source_name(id: &str) -> &'static str {
    if id.starts_with("pmlr:") {
        "PMLR"
    } else {
        "OpenReview"
    }
}
