//! Building the links a results page offers: pages, sort orders, facet filters, feeds.

use super::params::SearchParams;
use crate::index::Sort;

/// Percent-encodes a query-string value or a path segment (`application/x-www-form-urlencoded`:
/// everything but letters, digits and `*-._`; a space is `+`).
pub fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `path?…` for these parameters (page 1, default sort and empty values left out).
pub fn search_url(path: &str, p: &SearchParams) -> String {
    let mut parts = vec![format!("q={}", encode(&p.q))];
    let mut add = |key: &str, value: &Option<String>| {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{key}={}", encode(v)));
        }
    };
    add("category", &p.category);
    add("venue", &p.venue);
    add("track", &p.track);
    add("from", &p.from);
    add("to", &p.to);
    if p.sort == Some(Sort::Newest) {
        parts.push("sort=newest".into());
    }
    if let Some(limit) = p.limit {
        parts.push(format!("limit={limit}"));
    }
    if let Some(rerank) = p.rerank {
        parts.push(format!("rerank={rerank}"));
    }
    if p.page() > 1 {
        parts.push(format!("page={}", p.page()));
    }
    format!("{path}?{}", parts.join("&"))
}

/// The same search reranked by meaning or not, from its first page.
pub fn with_rerank(p: &SearchParams, rerank: bool) -> String {
    search_url(
        "/search",
        &SearchParams {
            rerank: Some(rerank),
            page: None,
            ..p.clone()
        },
    )
}

/// Another query with the same filters and sort, from its first page.
pub fn with_query(p: &SearchParams, q: &str) -> String {
    search_url(
        "/search",
        &SearchParams {
            q: q.to_string(),
            page: None,
            ..p.clone()
        },
    )
}

/// The same query without the page's filters, from its first page.
pub fn without_filters(p: &SearchParams) -> String {
    search_url(
        "/search",
        &SearchParams {
            q: p.q.clone(),
            sort: p.sort,
            limit: p.limit,
            rerank: p.rerank,
            ..SearchParams::default()
        },
    )
}

/// The same search on another page (filters and sort kept).
pub fn with_page(p: &SearchParams, page: usize) -> String {
    search_url(
        "/search",
        &SearchParams {
            page: Some(page),
            ..p.clone()
        },
    )
}

/// The same search in another order, from page 1.
pub fn with_sort(p: &SearchParams, sort: Sort) -> String {
    search_url(
        "/search",
        &SearchParams {
            sort: Some(sort),
            page: None,
            ..p.clone()
        },
    )
}

/// Adds `code` to the category filter, or removes it when it is already there.
pub fn toggle_category(p: &SearchParams, code: &str) -> (String, bool) {
    let (category, active) = toggle(&p.category, code);
    (
        search_url(
            "/search",
            &SearchParams {
                category,
                page: None,
                ..p.clone()
            },
        ),
        active,
    )
}

/// Adds `name` to the venue filter, or removes it when it is already there.
pub fn toggle_venue(p: &SearchParams, name: &str) -> (String, bool) {
    let (venue, active) = toggle(&p.venue, name);
    (
        search_url(
            "/search",
            &SearchParams {
                venue,
                page: None,
                ..p.clone()
            },
        ),
        active,
    )
}

/// The search with this track filter toggled.
pub fn toggle_track(p: &SearchParams, name: &str) -> (String, bool) {
    let (track, active) = toggle(&p.track, name);
    let p = SearchParams {
        track,
        page: None,
        ..p.clone()
    };
    (search_url("/search", &p), active)
}

/// A comma-separated list with `value` added, or removed when present (then `true`).
fn toggle(list: &Option<String>, value: &str) -> (Option<String>, bool) {
    let mut values: Vec<&str> = list
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|c| !c.is_empty())
        .collect();
    let active = values.contains(&value);
    if active {
        values.retain(|c| *c != value);
    } else {
        values.push(value);
    }
    ((!values.is_empty()).then(|| values.join(",")), active)
}

/// Restricts the search to one year (or lifts that restriction).
pub fn toggle_year(p: &SearchParams, year: &str) -> (String, bool) {
    let from = format!("{year}-01-01");
    let to = format!("{year}-12-31");
    let active = p.from.as_deref() == Some(from.as_str()) && p.to.as_deref() == Some(to.as_str());
    let (from, to) = if active {
        (None, None)
    } else {
        (Some(from), Some(to))
    };
    (
        search_url(
            "/search",
            &SearchParams {
                from,
                to,
                page: None,
                ..p.clone()
            },
        ),
        active,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_filters_and_encode_values() {
        let p = SearchParams {
            q: "a&b \"c\"".into(),
            category: Some("cs.AI".into()),
            ..Default::default()
        };
        assert_eq!(
            with_page(&p, 2),
            "/search?q=a%26b+%22c%22&category=cs.AI&page=2"
        );
        assert_eq!(
            toggle_category(&p, "cs.AI"),
            ("/search?q=a%26b+%22c%22".into(), true)
        );
        assert_eq!(
            toggle_category(&p, "cs.CL").0,
            "/search?q=a%26b+%22c%22&category=cs.AI%2Ccs.CL"
        );
        assert_eq!(
            with_sort(&p, Sort::Newest),
            "/search?q=a%26b+%22c%22&category=cs.AI&sort=newest"
        );
        assert_eq!(
            toggle_year(&p, "2024").0,
            "/search?q=a%26b+%22c%22&category=cs.AI&from=2024-01-01&to=2024-12-31"
        );
    }
}
