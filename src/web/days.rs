//! One day of a category listing, as its page and its feed both show it: arXiv's
//! announcements (new submissions, cross-lists, replacements) when the daily lists were
//! read, else papers by first submission date.

use super::params::parse_category_set;
use super::{AppError, AppState};
use crate::domain::Date;
use crate::index::CategorySet;

/// A listing path's categories, every one of them an arXiv category (else 404).
pub fn category_set(path: &str) -> Result<CategorySet, AppError> {
    let set = parse_category_set(path).ok_or(AppError::NotFound)?;
    if let Some(unknown) = set
        .include
        .iter()
        .chain(&set.exclude)
        .find(|c| !crate::domain::taxonomy::is_known(c))
    {
        return Err(AppError::Missing(format!(
            "{unknown} is not an arXiv category"
        )));
    }
    Ok(set)
}

/// One day of a listing, as its page and its feed show it.
pub struct DayList {
    pub day: Option<Date>,
    /// How the day's papers were chosen, for the page to say.
    pub basis: &'static str,
    pub sections: Vec<DaySection>,
    /// Categories of the listing whose daily list was not read for the day.
    pub unread: Vec<String>,
    pub prev: Option<Date>,
    pub next: Option<Date>,
}

pub struct DaySection {
    pub title: &'static str,
    pub anchor: &'static str,
    pub papers: Vec<crate::domain::Paper>,
}

/// The papers of `day` (default: the latest) as arXiv announced them (new submissions,
/// cross-lists, replacements) when the daily lists were read, else by first submission date.
pub async fn day_list(
    state: &AppState,
    set: &CategorySet,
    day: Option<Date>,
) -> Result<DayList, AppError> {
    let announced = state.store.announcements(&set.include, day).await?;
    if !announced.entries.is_empty() {
        return announced_list(state, set, announced).await;
    }
    // Days before the daily lists were kept: papers by first submission date.
    let (listing, papers) = listing_papers(state, set, day).await?;
    Ok(DayList {
        day: listing.day,
        basis: "by first submission date",
        sections: vec![DaySection {
            title: "",
            anchor: "papers",
            papers,
        }],
        unread: Vec::new(),
        prev: listing.prev,
        next: listing.next,
    })
}

/// The day as arXiv announced it: new submissions, cross-lists, replacements.
async fn announced_list(
    state: &AppState,
    set: &CategorySet,
    announced: crate::store::AnnouncedDay,
) -> Result<DayList, AppError> {
    use crate::domain::AnnounceKind;
    use std::collections::HashMap;
    // A paper announced in several of the categories counts once, as its strongest kind.
    let mut kinds: HashMap<String, AnnounceKind> = HashMap::new();
    for e in &announced.entries {
        let kind = kinds.entry(e.paper_id.clone()).or_insert(e.kind);
        *kind = (*kind).min(e.kind);
    }
    let unread = set
        .include
        .iter()
        .filter(|c| !announced.entries.iter().any(|e| e.category == **c))
        .cloned()
        .collect();
    let mut ids: Vec<String> = kinds.keys().cloned().collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let papers = state.store.papers_by_id(&ids).await?;
    let mut sections = [
        ("New submissions", "new", Vec::new()),
        ("Cross-lists", "cross", Vec::new()),
        ("Replacements", "replace", Vec::new()),
    ];
    for paper in papers {
        if paper
            .categories
            .iter()
            .any(|c| set.exclude.iter().any(|x| x.eq_ignore_ascii_case(c)))
        {
            continue;
        }
        let slot = match kinds[&paper.id] {
            AnnounceKind::New => 0,
            AnnounceKind::Cross => 1,
            AnnounceKind::Replace | AnnounceKind::ReplaceCross => 2,
        };
        sections[slot].2.push(paper);
    }
    // Before the first announced day, the days by submission date go on.
    let prev = match (announced.prev, announced.day) {
        (Some(prev), _) => Some(prev),
        (None, Some(day)) => listing_papers(state, set, Some(day)).await?.0.prev,
        (None, None) => None,
    };
    Ok(DayList {
        day: announced.day,
        basis: "as announced on arXiv",
        sections: sections
            .into_iter()
            .filter(|(_, _, papers)| !papers.is_empty())
            .map(|(title, anchor, papers)| DaySection {
                title,
                anchor,
                papers,
            })
            .collect(),
        unread,
        prev,
        next: announced.next,
    })
}

/// The day's listing and its papers, as stored.
pub async fn listing_papers(
    state: &AppState,
    set: &CategorySet,
    day: Option<Date>,
) -> Result<(crate::index::DayListing, Vec<crate::domain::Paper>), AppError> {
    let index = state.index.clone();
    let set = set.clone();
    let listing = tokio::task::spawn_blocking(move || index.day_listing(&set, day))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let papers = state.store.papers_by_id(&listing.ids).await?;
    Ok((listing, papers))
}

/// `cs.AI, cs.LG without cs.CY`.
pub fn describe(set: &CategorySet) -> String {
    let mut label = set.include.join(", ");
    if !set.exclude.is_empty() {
        label.push_str(" without ");
        label.push_str(&set.exclude.join(", "));
    }
    label
}
