//! The FAQ prompt: a versioned template file (`prompts/faq.txt`) filled with a paper's fields.

use super::Lang;
use crate::domain::Paper;

const TEMPLATE: &str = include_str!("../../prompts/faq.txt");

/// Longest stretch of any one field put in the prompt, in characters (abstracts are ~2,000;
/// author lists can run to thousands of names).
const MAX_FIELD: usize = 4_000;

/// The template's version: part of every stored FAQ's key, so a new version regenerates.
pub fn version() -> &'static str {
    TEMPLATE
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("version:"))
        .map(str::trim)
        .expect("prompts/faq.txt starts with `version: …`")
}

/// The system and user messages for `paper`, in `lang`.
pub fn messages(paper: &Paper, lang: Lang) -> (String, String) {
    let (_, rest) = TEMPLATE
        .split_once("--- system\n")
        .expect("prompts/faq.txt has a `--- system` part");
    let (system, user) = rest
        .split_once("--- user\n")
        .expect("prompts/faq.txt has a `--- user` part");
    let venue = paper.venue.as_ref().map(|v| v.to_string());
    let fields = [
        ("{title}", paper.title.clone()),
        ("{authors}", paper.authors.join(", ")),
        ("{categories}", paper.categories.join(", ")),
        ("{venue}", venue.unwrap_or_else(|| "unknown".into())),
        (
            "{comments}",
            paper.comments.clone().unwrap_or_else(|| "none".into()),
        ),
        ("{abstract}", paper.abstract_text.clone()),
        ("{language}", lang.name().into()),
    ];
    // One pass over the template, so braces inside a paper's own text are never expanded.
    let mut out = String::with_capacity(user.len() + 4_096);
    let mut rest = user;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        match fields.iter().find(|(name, _)| tail.starts_with(name)) {
            Some((name, value)) => {
                out.extend(value.trim().chars().take(MAX_FIELD));
                rest = &tail[name.len()..];
            }
            None => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    (system.trim().to_string(), out.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_filled_once() {
        let paper = Paper {
            id: "2401.00001".into(),
            title: "Braces {abstract} stay".into(),
            abstract_text: "We study $\\frac{a}{b}$.".into(),
            authors: vec!["Ada Lovelace".into(), "Alan Turing".into()],
            categories: vec!["cs.LG".into()],
            ..Paper::default()
        };
        let (system, user) = messages(&paper, Lang::Zh);
        assert!(system.contains("Markdown"));
        assert!(user.contains("Title: Braces {abstract} stay"), "{user}");
        assert!(user.contains("Authors: Ada Lovelace, Alan Turing"));
        assert!(user.contains("We study $\\frac{a}{b}$."));
        assert!(user.contains("in Chinese"), "{user}");
        assert!(!user.contains("{language}"));
        assert_eq!(version(), "faq-1");
    }
}
