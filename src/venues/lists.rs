//! Venue paper lists other projects publish, read as venue records: Paper Copilot's
//! (`papercopilot/paperlists`: OpenReview ids, decisions, `;`-separated authors) and
//! airas-papers-db's (accepted papers, authors as a Python list).

use super::Record;
use crate::domain::{Paper, Venue};
use serde::Deserialize;
use serde_json::Value;

/// The list formats `papers import venue --from-file` reads besides OpenReview dumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum FileFormat {
    /// A list of OpenReview notes, or `{"notes": [...]}` (a saved API answer).
    Openreview,
    /// Paper Copilot's list: `[{"id", "title", "abstract", "author": "A;B", "status"}]`.
    Papercopilot,
    /// airas-papers-db's list: `[{"id", "title", "abstract", "authors": "['A', 'B']"}]`.
    Airas,
}

impl FileFormat {
    /// What one entry of the format looks like, for an error that says what was expected.
    pub fn expected(self) -> &'static str {
        match self {
            FileFormat::Openreview => {
                "OpenReview notes (objects with \"content\"); for a Paper Copilot or \
                 airas-papers-db list give --format papercopilot or --format airas"
            }
            FileFormat::Papercopilot => {
                "a Paper Copilot list: [{\"id\", \"title\", \"author\": \"A;B\", \"status\"}]"
            }
            FileFormat::Airas => {
                "an airas-papers-db list: [{\"id\", \"title\", \"abstract\", \"authors\"}]"
            }
        }
    }
}

/// The records of a list in `format` (not `Openreview`), and how many entries were not.
pub fn parse(
    text: &str,
    format: FileFormat,
    venue: &str,
    year: u16,
) -> anyhow::Result<(Vec<Record>, u64)> {
    let entries: Vec<Value> = serde_json::from_str(text)
        .map_err(|e| anyhow::anyhow!("not a JSON list ({e}); expected {}", format.expected()))?;
    let mut records = Vec::with_capacity(entries.len());
    let mut unreadable = 0;
    for entry in &entries {
        let parsed = match format {
            FileFormat::Papercopilot => papercopilot(entry, venue, year),
            FileFormat::Airas => airas(entry, venue, year),
            FileFormat::Openreview => unreachable!("OpenReview dumps are read by openreview.rs"),
        };
        match parsed {
            Some(record) => records.push(record),
            None => unreadable += 1,
        }
    }
    Ok((records, unreadable))
}

fn text(entry: &Value, key: &str) -> String {
    entry
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string()
}

fn record(
    id: String,
    title: String,
    abstract_text: String,
    authors: Vec<String>,
    venue: Venue,
    accepted: bool,
) -> Record {
    let mut paper = Paper {
        id,
        title,
        abstract_text,
        authors,
        venue: Some(venue),
        ..Paper::default()
    };
    paper.normalise();
    Record {
        paper,
        arxiv: None,
        accepted,
    }
}

/// `{"id": forum, "title", "abstract", "author": "A;B", "status": "Oral" | "Reject" …}`.
fn papercopilot(entry: &Value, venue: &str, year: u16) -> Option<Record> {
    let (id, title) = (text(entry, "id"), text(entry, "title"));
    if id.is_empty() || title.is_empty() {
        return None;
    }
    let status = text(entry, "status");
    let accepted = ["oral", "spotlight", "poster", "accept"]
        .iter()
        .any(|s| status.to_lowercase().starts_with(s));
    let authors = text(entry, "author")
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect();
    let venue = Venue {
        name: venue.to_string(),
        year,
        track: (!status.is_empty()).then_some(status),
    };
    Some(record(
        format!("openreview:{id}"),
        title,
        text(entry, "abstract"),
        authors,
        venue,
        accepted,
    ))
}

/// `{"id": md5, "title", "abstract", "authors": "['A', 'B']"}`: accepted papers only.
fn airas(entry: &Value, venue: &str, year: u16) -> Option<Record> {
    let (id, title) = (text(entry, "id"), text(entry, "title"));
    if id.is_empty() || title.is_empty() {
        return None;
    }
    let authors = match entry.get("authors") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(repr)) => python_strings(repr),
        _ => Vec::new(),
    };
    let venue = Venue {
        name: venue.to_string(),
        year,
        track: None,
    };
    let id = format!("airas:{}-{year}-{id}", venue.name.to_lowercase());
    Some(record(
        id,
        title,
        text(entry, "abstract"),
        authors,
        venue,
        true,
    ))
}

/// The strings of a Python list's repr: `['A', "O'Brien"]`.
pub fn python_strings(repr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = repr.chars();
    while let Some(c) = chars.next() {
        if c != '\'' && c != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(d) = chars.next() {
            match d {
                '\\' => s.extend(chars.next()),
                d if d == c => break,
                d => s.push(d),
            }
        }
        out.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_list_shapes() {
        let copilot = r#"[{"id": "B11bwYgfM", "title": "Robust  clustering", "abstract": "We do.",
            "author": "Mo Yu;Xiaoxiao Guo", "status": "Oral"},
            {"id": "x2", "title": "Rejected one", "author": "A B", "status": "Reject"},
            {"title": "no id"}]"#;
        let (records, bad) = parse(copilot, FileFormat::Papercopilot, "ICLR", 2018).unwrap();
        assert_eq!(bad, 1);
        assert_eq!(records[0].paper.id, "openreview:B11bwYgfM");
        assert_eq!(records[0].paper.title, "Robust clustering");
        assert_eq!(records[0].paper.authors, ["Mo Yu", "Xiaoxiao Guo"]);
        assert_eq!(
            records[0].paper.venue.as_ref().unwrap().to_string(),
            "ICLR 2018 Oral"
        );
        assert!(records[0].accepted && !records[1].accepted);

        let airas_list = r#"[{"id": "34f9", "title": "Robot fleets", "abstract": "Fleets.",
            "authors": "['Lirui Wang', \"Conan O'Brien\"]", "year": "2024"}]"#;
        let (records, bad) = parse(airas_list, FileFormat::Airas, "ICLR", 2024).unwrap();
        assert_eq!(bad, 0);
        assert_eq!(records[0].paper.id, "airas:iclr-2024-34f9");
        assert_eq!(records[0].paper.authors, ["Lirui Wang", "Conan O'Brien"]);
        assert!(records[0].accepted);
        assert!(parse("{}", FileFormat::Airas, "ICLR", 2024).is_err());
    }
}
