//! Deciding what a write batch changes: insert, replace, or leave alone.

use crate::domain::Paper;
use std::borrow::Cow;
use std::collections::HashMap;

/// What one batch did to the database.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct BatchOutcome {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl std::ops::AddAssign for BatchOutcome {
    fn add_assign(&mut self, other: Self) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}

/// Picks the papers of `incoming` that must be written, given the stored copies of those
/// ids. Within a batch the last copy of an id wins. A stored copy is replaced unless it is
/// identical or was updated later than the incoming one. A venue the stored copy has and
/// the incoming one lacks is kept: an arXiv paper linked to its venue record stays linked
/// when arXiv sends it again.
pub(super) fn plan<'a>(
    incoming: &'a [Paper],
    stored: &HashMap<String, Paper>,
) -> (Vec<Cow<'a, Paper>>, BatchOutcome) {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(incoming.len());
    for (i, p) in incoming.iter().enumerate() {
        last.insert(p.id.as_str(), i);
    }
    let mut outcome = BatchOutcome::default();
    let mut writes = Vec::with_capacity(incoming.len());
    for (i, paper) in incoming.iter().enumerate() {
        if last[paper.id.as_str()] != i {
            outcome.unchanged += 1;
            continue;
        }
        let old = stored.get(&paper.id);
        let paper = match old.and_then(|o| o.venue.as_ref()) {
            Some(venue) if paper.venue.is_none() => Cow::Owned(Paper {
                venue: Some(venue.clone()),
                ..paper.clone()
            }),
            _ => Cow::Borrowed(paper),
        };
        match old {
            None => {
                outcome.inserted += 1;
                writes.push(paper);
            }
            Some(old) if *old == *paper || old.updated > paper.updated => outcome.unchanged += 1,
            Some(_) => {
                outcome.updated += 1;
                writes.push(paper);
            }
        }
    }
    (writes, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Date;

    fn paper(id: &str, title: &str, updated: &str) -> Paper {
        Paper {
            id: id.into(),
            title: title.into(),
            updated: Some(Date::parse_iso(updated).unwrap()),
            ..Paper::default()
        }
    }

    #[test]
    fn inserts_replaces_newer_and_keeps_identical_or_older() {
        let stored: HashMap<String, Paper> = [
            paper("a", "same", "2024-01-01"),
            paper("b", "old", "2024-01-01"),
            paper("c", "newer stored", "2025-01-01"),
        ]
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
        let incoming = vec![
            paper("a", "same", "2024-01-01"),
            paper("b", "new", "2024-06-01"),
            paper("c", "stale", "2024-01-01"),
            paper("d", "fresh", "2024-01-01"),
        ];
        let (writes, outcome) = plan(&incoming, &stored);
        let ids: Vec<&str> = writes.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["b", "d"]);
        assert_eq!(
            outcome,
            BatchOutcome {
                inserted: 1,
                updated: 1,
                unchanged: 2
            }
        );
    }

    #[test]
    fn a_stored_venue_survives_a_copy_without_one() {
        let mut linked = paper("a", "same", "2024-01-01");
        linked.venue = Some(crate::domain::Venue {
            name: "ICLR".into(),
            year: 2024,
            track: Some("Oral".into()),
        });
        let stored = HashMap::from([("a".to_string(), linked.clone())]);
        let again = [paper("a", "same", "2024-01-01")];
        let (writes, outcome) = plan(&again, &stored);
        assert!(writes.is_empty());
        assert_eq!(outcome.unchanged, 1);
        let newer = [paper("a", "revised", "2024-05-01")];
        let (writes, _) = plan(&newer, &stored);
        assert_eq!(writes[0].venue, linked.venue);
        assert_eq!(writes[0].title, "revised");
    }

    #[test]
    fn last_copy_of_an_id_in_a_batch_wins() {
        let incoming = vec![
            paper("a", "first", "2024-01-01"),
            paper("a", "second", "2024-01-01"),
        ];
        let (writes, outcome) = plan(&incoming, &HashMap::new());
        assert_eq!(writes.len(), 1);
        assert_eq!(writes[0].title, "second");
        assert_eq!(
            outcome,
            BatchOutcome {
                inserted: 1,
                updated: 0,
                unchanged: 1
            }
        );
    }
}
