//! PMLR proceedings (ICML): a volume per year. Live, the volume's listing page and each
//! paper's page (its `citation_*` meta tags and abstract); offline, a volume folder of the
//! per-paper files PMLR builds its site from (YAML front matter).

use super::{Page, Record, RecordError, VenueConfig, arxiv_in_url, html};
use crate::domain::{Date, Paper, Venue};
use crate::fetch::Fetcher;
use serde::Deserialize;
use std::path::Path;

/// ICML's PMLR volume per year: the one table of them.
const VOLUMES: [(u16, u16); 9] = [
    (2024, 235),
    (2023, 202),
    (2022, 162),
    (2021, 139),
    (2020, 119),
    (2019, 97),
    (2018, 80),
    (2017, 70),
    (2016, 48),
];

/// Paper pages fetched per page of the import.
pub const PAGE: usize = 50;

/// The PMLR volume of ICML `year`.
pub fn volume(year: u16) -> Option<u16> {
    VOLUMES.iter().find(|(y, _)| *y == year).map(|(_, v)| *v)
}

#[derive(Debug, Deserialize)]
struct FrontMatter {
    title: String,
    #[serde(rename = "abstract", default)]
    abstract_text: String,
    id: String,
    #[serde(default)]
    author: Vec<Author>,
    #[serde(default)]
    openreview: Option<String>,
    #[serde(default)]
    pdf: Option<String>,
    #[serde(default)]
    date: Option<serde_norway::Value>,
}

#[derive(Debug, Deserialize)]
struct Author {
    #[serde(default)]
    given: Option<String>,
    #[serde(default)]
    family: Option<String>,
}

/// One per-paper file: YAML between `---` lines, then (usually nothing but) the body.
pub fn parse_front_matter(text: &str, volume: u16, year: u16) -> Result<Record, RecordError> {
    let body = text
        .trim_start_matches('\u{feff}')
        .strip_prefix("---")
        .ok_or(RecordError::NoFrontMatter)?;
    let end = body.find("\n---").ok_or(RecordError::UnclosedFrontMatter)?;
    let fm: FrontMatter = serde_norway::from_str(&body[..end])?;
    let authors = fm
        .author
        .iter()
        .map(|a| {
            [a.given.as_deref(), a.family.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let date = match &fm.date {
        Some(serde_norway::Value::String(s)) => Date::parse_iso(s).ok(),
        _ => None,
    };
    let arxiv = fm.pdf.as_deref().and_then(arxiv_in_url);
    Ok(record(
        volume,
        year,
        &fm.id,
        &fm.title,
        &fm.abstract_text,
        authors,
        date,
        fm.openreview.as_deref(),
        arxiv,
    ))
}

#[allow(clippy::too_many_arguments)]
fn record(
    volume: u16,
    year: u16,
    id: &str,
    title: &str,
    abstract_html: &str,
    authors: Vec<String>,
    published: Option<Date>,
    openreview: Option<&str>,
    arxiv: Option<crate::domain::ArxivId>,
) -> Record {
    let mut paper = Paper {
        id: format!("pmlr:v{volume}/{id}"),
        title: html::to_text(title),
        abstract_text: html::to_text(abstract_html),
        authors,
        published,
        comments: openreview.map(|o| format!("OpenReview: https://openreview.net/forum?id={o}")),
        venue: Some(Venue {
            name: "ICML".into(),
            year,
            track: None,
        }),
        ..Paper::default()
    };
    paper.normalise();
    // Proceedings hold accepted papers only.
    Record {
        paper,
        arxiv,
        accepted: true,
    }
}

/// Every paper of a volume folder (`_posts/*.md`, or `*.md` in the folder itself), in name
/// order. A file that does not parse is logged and counted, never fatal.
pub fn read_folder(dir: &Path, volume: u16, year: u16) -> anyhow::Result<(Vec<Record>, u64)> {
    let posts = dir.join("_posts");
    let dir = if posts.is_dir() {
        posts
    } else {
        dir.to_path_buf()
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("{} holds no per-paper .md files", dir.display());
    }
    let mut records = Vec::with_capacity(files.len());
    let mut skipped = 0;
    for file in files {
        let parsed = std::fs::read_to_string(&file)
            .map_err(RecordError::from)
            .and_then(|text| parse_front_matter(&text, volume, year));
        match parsed {
            Ok(r) => records.push(r),
            Err(reason) => {
                skipped += 1;
                tracing::warn!(file = %file.display(), %reason, "PMLR paper skipped");
            }
        }
    }
    Ok((records, skipped))
}

/// The ids of the papers a volume's listing page links to (`…/v235/abe24a.html`), in order.
pub fn listing_ids(page: &str, volume: u16) -> Vec<String> {
    let marker = format!("/v{volume}/");
    let mut ids = Vec::new();
    for chunk in page.split("href=\"").skip(1) {
        let Some(href) = chunk.split('"').next() else {
            continue;
        };
        let Some((_, tail)) = href.rsplit_once(&marker) else {
            continue;
        };
        let Some(id) = tail.strip_suffix(".html") else {
            continue;
        };
        let id = id.to_string();
        if !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    ids
}

/// One paper page: `citation_title`, `citation_author` ("Family, Given"),
/// `citation_publication_date`, `citation_pdf_url` meta tags and the abstract block.
pub fn parse_paper_page(
    page: &str,
    id: &str,
    volume: u16,
    year: u16,
) -> Result<Record, RecordError> {
    let mut title = None;
    let mut authors = Vec::new();
    let mut date = None;
    let mut pdf = None;
    for tag in page.split("<meta ").skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        let (Some(name), Some(content)) = (attribute(tag, "name"), attribute(tag, "content"))
        else {
            continue;
        };
        let content = html::to_text(&content);
        match name.as_str() {
            "citation_title" => title = Some(content),
            "citation_author" => authors.push(match content.split_once(", ") {
                Some((family, given)) => format!("{given} {family}"),
                None => content,
            }),
            "citation_publication_date" => date = Date::parse_iso(&content.replace('/', "-")).ok(),
            "citation_pdf_url" => pdf = Some(content),
            _ => {}
        }
    }
    let title = title.ok_or_else(|| RecordError::NoCitationTitle { id: id.to_string() })?;
    let abstract_html = page
        .split_once("id=\"abstract\"")
        .and_then(|(_, rest)| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split_once("</div>"))
        .map_or("", |(inner, _)| inner);
    let arxiv = pdf.as_deref().and_then(arxiv_in_url);
    Ok(record(
        volume,
        year,
        id,
        &title,
        abstract_html,
        authors,
        date,
        None,
        arxiv,
    ))
}

/// The value of `name="…"` in a tag's attributes.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let (_, rest) = tag.split_once(&format!("{name}=\""))?;
    rest.split_once('"').map(|(v, _)| v.to_string())
}

/// Fetches a page of paper pages. The checkpoint is the index of the next paper in the
/// volume's listing, which is fetched again on every page (one small request).
pub async fn fetch_page(
    fetcher: &Fetcher,
    config: &VenueConfig,
    year: u16,
    checkpoint: Option<&str>,
) -> anyhow::Result<Page> {
    let volume = volume(year).ok_or_else(|| anyhow::anyhow!("no PMLR volume for {year}"))?;
    let base = config.pmlr_url.trim_end_matches('/');
    let listing_url = format!("{base}/v{volume}/");
    let listing = get_text(fetcher, &listing_url).await?;
    let ids = listing_ids(&listing, volume);
    if ids.is_empty() {
        anyhow::bail!("{listing_url}: the listing links to no papers");
    }
    let start: usize = checkpoint.and_then(|c| c.parse().ok()).unwrap_or(0);
    let end = (start + PAGE).min(ids.len());
    let mut records = Vec::new();
    let mut unreadable = 0;
    for id in ids.get(start..end).unwrap_or_default() {
        let url = format!("{base}/v{volume}/{id}.html");
        let page = get_text(fetcher, &url).await?;
        match parse_paper_page(&page, id, volume, year) {
            Ok(r) => records.push(r),
            Err(reason) => {
                unreadable += 1;
                tracing::warn!(%url, %reason, "PMLR paper skipped");
            }
        }
    }
    Ok(Page {
        records,
        unreadable,
        next: (end < ids.len()).then(|| end.to_string()),
        total: Some(ids.len() as u64),
    })
}

async fn get_text(fetcher: &Fetcher, url: &str) -> anyhow::Result<String> {
    let fetched = fetcher.get(url).await?;
    if !fetched.is_success() {
        anyhow::bail!("{url}: HTTP {}", fetched.status);
    }
    Ok(fetched.text().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_pages_give_title_authors_and_plain_abstract() {
        let page = r#"<html><head><meta name="citation_title" content="Adaptively Perturbed &amp; Mirror">
<meta name="citation_author" content="Abe, Kenshi"><meta name="citation_author" content="Ariu, Kaito">
<meta name="citation_publication_date" content="2024/07/08">
<meta name="citation_pdf_url" content="https://raw.githubusercontent.com/mlresearch/v235/main/assets/abe24a/abe24a.pdf">
</head><body><div id="abstract" class="abstract">achieves <em>last-iterate</em> <script>x()</script></div></body></html>"#;
        let r = parse_paper_page(page, "abe24a", 235, 2024).unwrap();
        assert_eq!(r.paper.id, "pmlr:v235/abe24a");
        assert_eq!(r.paper.title, "Adaptively Perturbed & Mirror");
        assert_eq!(r.paper.authors, ["Kenshi Abe", "Kaito Ariu"]);
        assert_eq!(r.paper.abstract_text, "achieves last-iterate x()");
        assert_eq!(r.paper.published, Date::new(2024, 7, 8));
        let listing = r#"<a href="https://proceedings.mlr.press/v235/abe24a.html">abs</a>
<a href="/v235/achituve24a.html">abs</a><a href="/v235/abe24a.html">x</a><a href="/v235/">v</a>"#;
        assert_eq!(listing_ids(listing, 235), ["abe24a", "achituve24a"]);
    }
}
