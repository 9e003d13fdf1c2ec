//! A local server that answers like OpenReview API v2 and v1 and like PMLR, filled from the
//! recorded venue data in ../shared/data (SOURCES.md there says where each file comes from).
//! Only the data is replayed; the request shapes are what the real services take.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Replay {
    pub addr: std::net::SocketAddr,
    /// Note requests at this offset or later answer HTTP 500 (`usize::MAX`: never).
    pub fail_from_offset: Arc<AtomicUsize>,
}

impl Replay {
    pub fn config(&self) -> papers::venues::VenueConfig {
        papers::venues::VenueConfig {
            openreview_url: format!("http://{}/v2", self.addr),
            openreview_v1_url: format!("http://{}/v1", self.addr),
            pmlr_url: format!("http://{}/pmlr", self.addr),
            interval: std::time::Duration::ZERO,
            fetch: papers::fetch::FetchConfig {
                attempts: 2,
                backoff: std::time::Duration::from_millis(10),
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

struct Data {
    /// API v2 notes by `content.venueid`.
    v2: HashMap<String, Vec<Value>>,
    /// API v1 notes by submission invitation.
    v1: HashMap<String, Vec<Value>>,
    /// PMLR paper pages by volume: (id, HTML).
    pmlr: HashMap<String, Vec<(String, String)>>,
    fail_from_offset: Arc<AtomicUsize>,
}

fn gz_json(path: &std::path::Path) -> Vec<Value> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn split_authors(raw: &str) -> Vec<String> {
    raw.split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(String::from)
        .collect()
}

fn v2(value: Value) -> Value {
    json!({ "value": value })
}

fn load(data_dir: &std::path::Path) -> Data {
    let venues = data_dir.join("venues");
    let mut v2_notes: HashMap<String, Vec<Value>> = HashMap::new();
    // ICLR 2024, accepted papers (no presentation type in this list). The list repeats
    // some papers under one id; OpenReview sends a note once, so the first copy is kept.
    let iclr24 = "ICLR.cc/2024/Conference";
    let mut seen = std::collections::HashSet::new();
    for (i, r) in gz_json(&venues.join("airas_papers_db/iclr_2024.json.gz"))
        .into_iter()
        .enumerate()
    {
        let id = r["id"].as_str().unwrap()[..10].to_string();
        if !seen.insert(id.clone()) {
            continue;
        }
        v2_notes.entry(iclr24.into()).or_default().push(json!({
            "id": id, "forum": id, "number": i + 1,
            "cdate": 1_695_300_000_000i64,
            "content": {
                "title": v2(r["title"].clone()),
                "authors": v2(json!(papers::venues::lists::python_strings(r["authors"].as_str().unwrap_or("")))),
                "abstract": v2(r["abstract"].clone()),
                "venueid": v2(json!(iclr24)),
            }
        }));
    }
    // ICML 2024 with its tracks (no abstracts in this list).
    let icml24 = "ICML.cc/2024/Conference";
    for r in gz_json(&venues.join("papercopilot/icml2024.json.gz")) {
        let id = r["id"].as_str().unwrap();
        v2_notes.entry(icml24.into()).or_default().push(json!({
            "id": id, "forum": id,
            "content": {
                "title": v2(r["title"].clone()),
                "authors": v2(json!(split_authors(r["author"].as_str().unwrap_or("")))),
                "venue": v2(json!(format!("ICML 2024 {}", r["status"].as_str().unwrap()))),
                "venueid": v2(json!(icml24)),
            }
        }));
    }
    // ICLR 2017 and 2018 on API v1, decisions as direct replies.
    let mut v1_notes: HashMap<String, Vec<Value>> = HashMap::new();
    for (year, invitation) in [
        (2017, "ICLR.cc/2017/conference/-/submission"),
        (2018, "ICLR.cc/2018/Conference/-/Blind_Submission"),
    ] {
        for r in gz_json(&venues.join(format!("papercopilot/iclr{year}.json.gz"))) {
            let id = r["id"].as_str().unwrap();
            let decision = match r["status"].as_str().unwrap() {
                "Oral" => Some("Accept (Oral)"),
                "Poster" => Some("Accept (Poster)"),
                "Workshop" => Some("Invite to Workshop Track"),
                "Reject" => Some("Reject"),
                _ => None,
            };
            let replies: Vec<Value> = decision
                .map(|d| json!({"id": format!("{id}-d"), "forum": id, "replyto": id,
                                 "invitation": format!("ICLR.cc/{year}/Conference/-/Acceptance_Decision"),
                                 "content": {"title": "Acceptance Decision", "decision": d}}))
                .into_iter()
                .collect();
            v1_notes.entry(invitation.into()).or_default().push(json!({
                "id": id, "forum": id, "invitation": invitation,
                "content": {
                    "title": r["title"], "abstract": r["abstract"],
                    "authors": split_authors(r["author"].as_str().unwrap_or("")),
                },
                "details": {"directReplies": replies}
            }));
        }
    }
    // PMLR v48 (ICML 2016), every paper's page made from its per-paper record.
    let mut pages = Vec::new();
    let posts = data_dir.join("pmlr/v48_icml2016/_posts");
    let mut files: Vec<_> = std::fs::read_dir(&posts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let body = text.strip_prefix("---").unwrap();
        let yaml = &body[..body.find("\n---").unwrap()];
        let fm: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
        let s = |k: &str| fm[k].as_str().unwrap_or("").to_string();
        let esc = |t: &str| {
            t.replace('&', "&amp;")
                .replace('"', "&quot;")
                .replace('<', "&lt;")
        };
        let mut html = format!(
            "<html><head><meta name=\"citation_title\" content=\"{}\">",
            esc(&s("title"))
        );
        for a in fm["author"].as_sequence().into_iter().flatten() {
            let part = |k: &str| a[k].as_str().unwrap_or("").to_string();
            html.push_str(&format!(
                "<meta name=\"citation_author\" content=\"{}, {}\">",
                esc(&part("family")),
                esc(&part("given"))
            ));
        }
        html.push_str(&format!(
            "<meta name=\"citation_publication_date\" content=\"{}\">",
            s("date").replace('-', "/")
        ));
        html.push_str(&format!(
            "</head><body><h1>{}</h1><div id=\"abstract\" class=\"abstract\">{}</div></body></html>",
            s("title"),
            s("abstract")
        ));
        pages.push((s("id"), html));
    }
    Data {
        v2: v2_notes,
        v1: v1_notes,
        pmlr: HashMap::from([("v48".to_string(), pages)]),
        fail_from_offset: Arc::new(AtomicUsize::new(usize::MAX)),
    }
}

fn page_of(data: &Data, notes: Option<&Vec<Value>>, q: &HashMap<String, String>) -> Response {
    let offset: usize = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let limit: usize = q.get("limit").and_then(|o| o.parse().ok()).unwrap_or(1000);
    if offset >= data.fail_from_offset.load(Ordering::SeqCst) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "replay told to fail").into_response();
    }
    let empty = Vec::new();
    let notes = notes.unwrap_or(&empty);
    let end = (offset + limit.min(1000)).min(notes.len());
    let slice = notes.get(offset.min(end)..end).unwrap_or_default();
    axum::Json(json!({"notes": slice, "count": notes.len()})).into_response()
}

async fn v2_notes(
    State(d): State<Arc<Data>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let venueid = q.get("content.venueid").cloned().unwrap_or_default();
    page_of(&d, d.v2.get(&venueid), &q)
}

async fn v1_notes(
    State(d): State<Arc<Data>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let invitation = q.get("invitation").cloned().unwrap_or_default();
    page_of(&d, d.v1.get(&invitation), &q)
}

async fn pmlr_listing(State(d): State<Arc<Data>>, Path(volume): Path<String>) -> Response {
    let Some(pages) = d.pmlr.get(&volume) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut html = String::from("<html><body>");
    for (id, _) in pages {
        html.push_str(&format!(
            "<div class=\"paper\"><a href=\"https://proceedings.mlr.press/{volume}/{id}.html\">abs</a></div>"
        ));
    }
    Html(html).into_response()
}

async fn pmlr_paper(
    State(d): State<Arc<Data>>,
    Path((volume, file)): Path<(String, String)>,
) -> Response {
    let id = file.trim_end_matches(".html");
    match d
        .pmlr
        .get(&volume)
        .and_then(|p| p.iter().find(|(i, _)| i == id))
    {
        Some((_, html)) => Html(html.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Starts the replay on a free local port.
pub async fn start(data_dir: &std::path::Path) -> Replay {
    let data = Arc::new(load(data_dir));
    let fail_from_offset = data.fail_from_offset.clone();
    let app = Router::new()
        .route("/v2/notes", get(v2_notes))
        .route("/v1/notes", get(v1_notes))
        .route("/pmlr/{volume}/", get(pmlr_listing))
        .route("/pmlr/{volume}/{file}", get(pmlr_paper))
        .with_state(data);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Replay {
        addr,
        fail_from_offset,
    }
}
