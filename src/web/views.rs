//! What templates show of a paper: plain fields, highlights, links, BibTeX.

use super::error::PageError;
use super::{AppError, AppState};
use crate::domain::Paper;
use askama::Template;
use axum::response::Html;

/// Characters of abstract shown under a result without highlights.
const TEASER: usize = 320;

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
    pub abstract_text: String,
    pub teaser: String,
    /// Escaped HTML of the best-matching stretch of the abstract (search results only).
    pub abstract_html: Option<String>,
    pub published: String,
    pub updated: String,
    pub categories: Vec<String>,
    pub comments: Option<String>,
    pub journal_ref: Option<String>,
    pub doi: Option<String>,
    /// arXiv abstract page and PDF, for arXiv papers.
    pub arxiv: Option<(String, String)>,
    /// `ICLR 2024 Oral`, for venue papers.
    pub venue: Option<String>,
}

impl PaperView {
    pub fn new(p: &Paper) -> Self {
        let mut teaser: String = p.abstract_text.chars().take(TEASER).collect();
        if teaser.len() < p.abstract_text.len() {
            teaser.push('…');
        }
        let href = match p.arxiv_id() {
            Some(id) => format!("/arxiv/{id}"),
            None => format!("/paper/{}", super::links::encode(&p.id)),
        };
        PaperView {
            id: p.id.clone(),
            href,
            title: p.title.clone(),
            title_html: None,
            authors: p.authors.clone(),
            abstract_text: p.abstract_text.clone(),
            teaser,
            abstract_html: None,
            published: p.published.map(|d| d.to_string()).unwrap_or_default(),
            updated: p.updated.map(|d| d.to_string()).unwrap_or_default(),
            categories: p.categories.clone(),
            comments: p.comments.clone(),
            journal_ref: p.journal_ref.clone(),
            doi: p.doi.clone(),
            venue: p.venue.as_ref().map(|v| v.to_string()),
            arxiv: p.arxiv_id().map(|id| {
                (
                    format!("https://arxiv.org/abs/{id}"),
                    format!("https://arxiv.org/pdf/{id}"),
                )
            }),
        }
    }

    pub fn with_highlights(mut self, title: Option<String>, abstract_html: Option<String>) -> Self {
        self.title_html = title;
        self.abstract_html = abstract_html;
        self
    }
}

/// A BibTeX entry for the paper (LaTeX in the title is kept, as BibTeX expects).
pub fn bibtex(p: &Paper) -> String {
    let year = p
        .published
        .map(|d| d.year().to_string())
        .unwrap_or_default();
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
        ("year", year),
    ];
    if let Some(id) = p.arxiv_id() {
        fields.push(("eprint", id.to_string()));
        fields.push(("archivePrefix", "arXiv".into()));
        if let Some(primary) = p.categories.first() {
            fields.push(("primaryClass", primary.clone()));
        }
        fields.push(("url", format!("https://arxiv.org/abs/{id}")));
    }
    if let Some(doi) = &p.doi {
        fields.push(("doi", braces(doi)));
    }
    let body: Vec<String> = fields
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("  {k} = {{{v}}}"))
        .collect();
    format!("@misc{{{key},\n{}\n}}", body.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Date;

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
}
