//! One work, several versions: finds the arXiv paper a venue record is a version of (the
//! arXiv id the source names, else the same normalised title and first author's surname),
//! records the link and gives the arXiv paper the venue and track.

use super::Record;
use crate::domain::{Paper, title_key};
use crate::store::{Link, Store};
use std::collections::HashMap;

/// Whether the arXiv paper says it extends another work ("Extended version of
/// arXiv:2406.13457", "an extension of our ICML paper"): it is not that work's version.
fn is_extension(arxiv: &Paper) -> bool {
    let comments = arxiv.comments.as_deref().unwrap_or("").to_lowercase();
    [
        "extended version of",
        "extension of",
        "extends our",
        "journal version of",
    ]
    .iter()
    .any(|phrase| comments.contains(phrase))
}

/// The first author's surname (last word of the name), lower-cased, letters only.
pub fn first_surname(authors: &[String]) -> String {
    authors
        .first()
        .and_then(|a| a.split_whitespace().last())
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn same_work(venue: &Paper, arxiv: &Paper) -> bool {
    title_key(&venue.title) == title_key(&arxiv.title)
        && first_surname(&venue.authors) == first_surname(&arxiv.authors)
        && !is_extension(arxiv)
}

/// Links these records to their arXiv papers, where found, and stamps each arXiv paper with
/// the record's venue. Candidates come from the database (the arXiv id the record names,
/// else the arXiv papers with the same title key), never from the derived index, so an
/// index that lags cannot miss a link. Returns the links made now (known ones are not
/// counted again).
pub async fn link(store: &dyn Store, records: &[Record]) -> anyhow::Result<u64> {
    let unnamed: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].arxiv.is_none())
        .collect();
    let titles: Vec<String> = unnamed
        .iter()
        .map(|&i| records[i].paper.title.clone())
        .collect();
    // The arXiv papers by id, and their ids by title key: those with a record's title, then
    // those the records name (read by id, unless a title brought them already).
    let mut arxiv: HashMap<String, Paper> = HashMap::new();
    let mut titled: HashMap<String, Vec<String>> = HashMap::new();
    for paper in store.papers_titled(&titles).await? {
        if crate::domain::ArxivId::parse(&paper.id).is_ok() {
            titled
                .entry(title_key(&paper.title))
                .or_default()
                .push(paper.id.clone());
            arxiv.insert(paper.id.clone(), paper);
        }
    }
    let mut candidates: Vec<(usize, String)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.arxiv.as_ref().map(|a| (i, a.to_string())))
        .collect();
    let named: Vec<String> = candidates
        .iter()
        .map(|(_, id)| id.clone())
        .filter(|id| !arxiv.contains_key(id))
        .collect();
    if !named.is_empty() {
        for paper in store.papers_by_id(&named).await? {
            arxiv.insert(paper.id.clone(), paper);
        }
    }
    candidates.extend(unnamed.iter().flat_map(|&i| {
        let ids = titled.get(&title_key(&records[i].paper.title));
        ids.into_iter().flatten().map(move |id| (i, id.clone()))
    }));
    let mut links = Vec::new();
    let mut stamped: Vec<Paper> = Vec::new();
    for (i, id) in candidates {
        let record = &records[i];
        let Some(target) = arxiv.get(&id) else {
            continue;
        };
        let named = record.arxiv.is_some();
        if links.iter().any(|l: &Link| l.id == record.paper.id)
            || !(named || same_work(&record.paper, target))
        {
            continue;
        }
        links.push(Link {
            id: record.paper.id.clone(),
            arxiv_id: id,
            method: if named { "arxiv-id" } else { "title-author" }.into(),
        });
        if target.venue != record.paper.venue {
            stamped.push(Paper {
                venue: record.paper.venue.clone(),
                ..target.clone()
            });
        }
    }
    if links.is_empty() {
        return Ok(0);
    }
    let new = store.link_versions(&links).await?;
    if !stamped.is_empty() {
        store.upsert_batch(&stamped).await?;
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_punctuation_and_spacing() {
        assert_eq!(
            title_key("Provable and Practical: Efficient Exploration"),
            title_key("Provable and practical -- efficient  exploration")
        );
        assert_eq!(
            first_surname(&["Haque Ishfaq".into(), "Pan Xu".into()]),
            "ishfaq"
        );
        assert_eq!(first_surname(&[]), "");
    }

    #[test]
    fn an_extension_is_not_the_same_work() {
        assert_ne!(
            title_key("EvTexture++: event-driven texture"),
            title_key("EvTexture: event-driven texture")
        );
        assert_ne!(title_key("C# for proofs"), title_key("C for proofs"));
        let venue = Paper {
            id: "pmlr:v235/kai24a".into(),
            title: "EvTexture: Event-driven Texture Enhancement".into(),
            authors: vec!["Dachun Kai".into()],
            ..Paper::default()
        };
        let same = Paper {
            id: "2406.13457".into(),
            title: "EvTexture: Event-driven texture enhancement".into(),
            authors: vec!["Dachun Kai".into()],
            ..Paper::default()
        };
        assert!(same_work(&venue, &same));
        let plus = Paper {
            id: "2511.00001".into(),
            title: "EvTexture++: Event-driven Texture Enhancement".into(),
            ..same.clone()
        };
        assert!(!same_work(&venue, &plus));
        let extended = Paper {
            comments: Some("Extended version of arXiv:2406.13457".into()),
            ..same
        };
        assert!(!same_work(&venue, &extended));
    }
}
