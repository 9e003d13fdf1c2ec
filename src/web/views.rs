//! What templates show of a paper: plain fields, highlights, links, BibTeX.

use super::error::PageError;
use super::{AppError, AppState};
use crate::domain::Paper;
use askama::Template;
use axum::response::Html;

/// Authors a card shows before the rest fold away ("… and 3,293 more").
const AUTHORS_SHOWN: usize = 10;

/// Renders a page, telling its templates what this server offers (`faq`: the FAQ button).
pub fn render(page: &impl Template, state: &AppState) -> Result<Html<String>, PageError> {
    let faq: &dyn std::any::Any = &state.faq.is_some();
    let values = [("faq", faq)];
    let html = page
        .render_with_values(&values)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Html(html))
}

pub struct PaperView {
    pub id: String,
    /// This service's page for the paper.
    pub href: String,
    pub title: String,
    /// Escaped HTML with matches marked (search results only).
    pub title_html: Option<String>,
    pub authors: Vec<String>,
    /// The authors a card shows, and the rest it folds.
    pub authors_head: Vec<String>,
    pub authors_tail: Vec<String>,
    pub abstract_text: String,
    /// Escaped HTML of the best-matching stretch of the abstract (search results only).
    pub abstract_html: Option<String>,
    pub published: String,
    pub updated: String,
    pub categories: Vec<String>,
    pub comments: Option<String>,
    pub journal_ref: Option<String>,
    pub doi: Option<String>,
    /// The arXiv abstract page, for arXiv papers.
    pub arxiv: Option<String>,
    /// `ICLR 2024 Oral`, for venue papers.
    pub venue: Option<String>,
    /// The PDF: arXiv's, OpenReview's or PMLR's.
    pub pdf: Option<String>,
    /// The venue record's own page (`OpenReview`, `PMLR`) and its URL.
    pub source: Option<(&'static str, String)>,
    /// This service's BibTeX of the paper, as text.
    pub bibtex_href: String,
}

impl PaperView {
    pub fn new(p: &Paper) -> Self {
        let href = paper_href(p);
        PaperView {
            id: p.id.clone(),
            href,
            title: p.title.clone(),
            title_html: None,
            authors: p.authors.clone(),
            authors_head: p.authors.iter().take(AUTHORS_SHOWN).cloned().collect(),
            authors_tail: p.authors.iter().skip(AUTHORS_SHOWN).cloned().collect(),
            abstract_text: p.abstract_text.clone(),
            abstract_html: None,
            published: p.published.map(|d| d.to_string()).unwrap_or_default(),
            updated: p.updated.map(|d| d.to_string()).unwrap_or_default(),
            categories: p.categories.clone(),
            comments: p.comments.clone(),
            journal_ref: p.journal_ref.clone(),
            doi: p.doi.clone(),
            venue: p.venue.as_ref().map(|v| v.to_string()),
            arxiv: p.arxiv_id().map(|id| format!("https://arxiv.org/abs/{id}")),
            pdf: match p.arxiv_id() {
                Some(id) => Some(format!("https://arxiv.org/pdf/{id}")),
                None => venue_links(&p.id).map(|(pdf, _)| pdf),
            },
            source: venue_links(&p.id).map(|(_, source)| source),
            bibtex_href: format!("/bibtex/{}", p.id),
        }
    }

    pub fn with_highlights(mut self, title: Option<String>, abstract_html: Option<String>) -> Self {
        self.title_html = title;
        self.abstract_html = abstract_html;
        self
    }
}

/// This service's page for the paper: `/arxiv/{id}` for arXiv papers, else `/paper/{id}`.
pub fn paper_href(p: &Paper) -> String {
    match p.arxiv_id() {
        Some(id) => format!("/arxiv/{id}"),
        None => format!("/paper/{}", super::links::encode(&p.id)),
    }
}

/// A venue record's PDF and its page at the source, from its id (`openreview:{forum}`,
/// `pmlr:v{volume}/{key}`).
fn venue_links(id: &str) -> Option<(String, (&'static str, String))> {
    if let Some(forum) = id.strip_prefix("openreview:") {
        let forum = super::links::encode(forum);
        return Some((
            format!("https://openreview.net/pdf?id={forum}"),
            (
                "OpenReview",
                format!("https://openreview.net/forum?id={forum}"),
            ),
        ));
    }
    let (volume, key) = id.strip_prefix("pmlr:")?.split_once('/')?;
    let (volume, key) = (super::links::encode(volume), super::links::encode(key));
    Some((
        format!("https://proceedings.mlr.press/{volume}/{key}/{key}.pdf"),
        (
            "PMLR",
            format!("https://proceedings.mlr.press/{volume}/{key}.html"),
        ),
    ))
}

/// A count with thousands separators: `1234567` as `1,234,567`.
pub fn thousands(n: impl std::fmt::Display) -> String {
    let text = n.to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let mut out = String::with_capacity(text.len() + digits.len() / 3);
    out.push_str(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The proceedings a venue's papers appear in, as BibTeX's `booktitle`.
fn booktitle(venue: &crate::domain::Venue) -> String {
    let long = match venue.name.as_str() {
        "ICLR" => "International Conference on Learning Representations",
        "ICML" => "International Conference on Machine Learning",
        "NeurIPS" => "Advances in Neural Information Processing Systems",
        other => return format!("{other} {}", venue.year),
    };
    format!("{long} ({} {})", venue.name, venue.year)
}

/// A BibTeX entry for the paper: `@inproceedings` with its booktitle for a venue's paper
/// (arXiv papers linked to one included), else `@misc` with the arXiv eprint. LaTeX in the
/// title is kept, as BibTeX expects.
pub fn bibtex(p: &Paper) -> String {
    let year = match &p.venue {
        Some(v) => v.year.to_string(),
        None => p
            .published
            .map(|d| d.year().to_string())
            .unwrap_or_default(),
    };
    let surname = p
        .authors
        .first()
        .and_then(|a| a.split_whitespace().last())
        .unwrap_or("anon");
    let first_word = p
        .title
        .split_whitespace()
        .find(|w| w.len() > 3)
        .unwrap_or("paper");
    let key: String = format!("{surname}{year}{first_word}")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    let braces = |s: &str| s.replace(['{', '}'], "");
    let mut fields = vec![
        ("title", format!("{{{}}}", p.title)),
        (
            "author",
            p.authors
                .iter()
                .map(|a| braces(a))
                .collect::<Vec<_>>()
                .join(" and "),
        ),
    ];
    if let Some(v) = &p.venue {
        fields.push(("booktitle", booktitle(v)));
    }
    fields.push(("year", year));
    if let Some(id) = p.arxiv_id() {
        fields.push(("eprint", id.to_string()));
        fields.push(("archivePrefix", "arXiv".into()));
        if let Some(primary) = p.categories.first() {
            fields.push(("primaryClass", primary.clone()));
        }
        fields.push(("url", format!("https://arxiv.org/abs/{id}")));
    } else if let Some((_, (_, url))) = venue_links(&p.id) {
        fields.push(("url", url));
    }
    if let Some(doi) = &p.doi {
        fields.push(("doi", braces(doi)));
    }
    let body: Vec<String> = fields
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("  {k} = {{{v}}}"))
        .collect();
    let kind = if p.venue.is_some() {
        "inproceedings"
    } else {
        "misc"
    };
    format!("@{kind}{{{key},\n{}\n}}", body.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Date;

    #[test]
    fn counts_get_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(2_700_000u64), "2,700,000");
        assert_eq!(thousands(-12345i64), "-12,345");
    }

    #[test]
    fn bibtex_entry() {
        let p = Paper {
            id: "2402.12354".into(),
            title: "Sparse $O(n)$ attention".into(),
            authors: vec!["Ada Lovelace".into(), "Charles Babbage".into()],
            categories: vec!["cs.CL".into()],
            published: Date::new(2024, 2, 19),
            ..Paper::default()
        };
        let b = bibtex(&p);
        assert!(b.starts_with("@misc{lovelace2024sparse,\n"), "{b}");
        assert!(
            b.contains("  title = {{Sparse $O(n)$ attention}},\n"),
            "{b}"
        );
        assert!(
            b.contains("  author = {Ada Lovelace and Charles Babbage},\n"),
            "{b}"
        );
        assert!(b.contains("  eprint = {2402.12354},\n"), "{b}");
        assert!(
            b.ends_with("  url = {https://arxiv.org/abs/2402.12354}\n}"),
            "{b}"
        );
    }

    #[test]
    fn a_venue_paper_is_inproceedings() {
        let p = Paper {
            id: "openreview:Abc-12".into(),
            title: "Sparse attention".into(),
            authors: vec!["Ada Lovelace".into()],
            published: Date::new(2023, 9, 28),
            venue: Some(crate::domain::Venue {
                name: "ICLR".into(),
                year: 2024,
                track: Some("Oral".into()),
            }),
            ..Paper::default()
        };
        let b = bibtex(&p);
        assert!(b.starts_with("@inproceedings{lovelace2024sparse,\n"), "{b}");
        assert!(
            b.contains("  booktitle = {International Conference on Learning Representations (ICLR 2024)},\n"),
            "{b}"
        );
        assert!(b.contains("  year = {2024},\n"), "{b}");
        assert!(
            b.contains("  url = {https://openreview.net/forum?id=Abc-12}"),
            "{b}"
        );
        let view = PaperView::new(&p);
        assert_eq!(
            view.pdf.as_deref(),
            Some("https://openreview.net/pdf?id=Abc-12")
        );
        let pmlr = PaperView::new(&Paper {
            id: "pmlr:v235/abe24a".into(),
            ..p
        });
        assert_eq!(
            pmlr.source,
            Some((
                "PMLR",
                "https://proceedings.mlr.press/v235/abe24a.html".into()
            ))
        );
        assert_eq!(
            pmlr.pdf.as_deref(),
            Some("https://proceedings.mlr.press/v235/abe24a/abe24a.pdf")
        );
    }
}
