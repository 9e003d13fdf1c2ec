//! Request parameters: validation and translation into index requests.

use super::{AppError, MAX_OFFSET, MAX_QUERY};
use crate::domain::Date;
use crate::index::{CategorySet, Filters, SearchRequest, Sort};
use serde::Deserialize;

/// Hits per page unless `limit` says otherwise.
pub const PAGE_SIZE: usize = 20;
pub const MAX_LIMIT: usize = 100;
/// Categories one request may name.
const MAX_CATEGORIES: usize = 20;

/// The parameters of `/search`, `/api/search` and `/search/feed`. Unknown ones are ignored.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query: words (all required), "exact phrases", -exclusions, OR / AND / NOT and
    /// parentheses, ti: au: abs: cat: venue: fields, year:2020..2024; an arXiv id alone finds
    /// that paper.
    #[serde(default)]
    pub q: String,
    /// Page number, from 1; hits past the 10,000th are not served (page × limit ≤ 10,000 + limit).
    #[param(minimum = 1, maximum = 10001)]
    pub page: Option<usize>,
    /// Hits per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// `relevance` (default) or `newest`.
    pub sort: Option<Sort>,
    /// Comma-separated category codes: papers in any of them.
    pub category: Option<String>,
    /// Comma-separated venue names (`ICLR,ICML`): papers of any of them.
    pub venue: Option<String>,
    /// Comma-separated tracks (`Oral,Spotlight`): venue papers of any of them.
    pub track: Option<String>,
    /// `YYYY-MM-DD`: first submitted on or after (empty: no bound).
    #[param(pattern = r"^(\d{4}-\d{2}-\d{2})?$")]
    pub from: Option<String>,
    /// `YYYY-MM-DD`: first submitted on or before (empty: no bound).
    #[param(pattern = r"^(\d{4}-\d{2}-\d{2})?$")]
    pub to: Option<String>,
    /// Rerank the best BM25 hits by meaning (when an embedder is configured; default from
    /// the server's configuration).
    pub rerank: Option<bool>,
}

impl SearchParams {
    /// Checks every parameter and builds the index request.
    pub fn to_request(&self) -> Result<SearchRequest, AppError> {
        if self.q.len() > MAX_QUERY {
            return Err(AppError::BadRequest(format!(
                "q is longer than {MAX_QUERY} bytes"
            )));
        }
        let limit = self.limit.unwrap_or(PAGE_SIZE);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::BadRequest(format!(
                "limit must be 1 to {MAX_LIMIT}"
            )));
        }
        let page = self.page.unwrap_or(1);
        let last_page = MAX_OFFSET / limit + 1;
        let offset = page
            .checked_sub(1)
            .map(|p| p.saturating_mul(limit))
            .filter(|&o| o <= MAX_OFFSET)
            .ok_or_else(|| AppError::BadRequest(format!("page must be 1 to {last_page}")))?;
        let categories = match &self.category {
            Some(list) => parse_categories(list)?,
            None => Vec::new(),
        };
        let date = |name: &str, raw: &Option<String>| -> Result<Option<Date>, AppError> {
            match raw.as_deref() {
                None | Some("") => Ok(None),
                Some(s) => Date::parse_iso(s)
                    .ok()
                    .filter(|_| s.len() == 10)
                    .map(Some)
                    .ok_or_else(|| {
                        AppError::BadRequest(format!("{name} must be a date like 2024-02-19"))
                    }),
            }
        };
        let mut req = SearchRequest::new(&self.q, limit);
        req.offset = offset;
        req.sort = self.sort.unwrap_or_default();
        let venues = match &self.venue {
            Some(list) => parse_venues(list)?,
            None => Vec::new(),
        };
        let tracks = match &self.track {
            Some(list) => split_checked(
                list,
                |t| t.len() <= 40 && t.chars().all(|c| c.is_alphanumeric() || " -_".contains(c)),
                "track must be names like Oral,Spotlight",
            )?,
            None => Vec::new(),
        };
        req.filters = Filters {
            categories,
            venues,
            tracks,
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
        };
        req.facets = true;
        Ok(req)
    }

    pub fn page(&self) -> usize {
        self.page.unwrap_or(1)
    }
}

/// `ICLR,ICML` → the names, each checked.
fn parse_venues(list: &str) -> Result<Vec<String>, AppError> {
    let ok = |v: &str| {
        v.len() <= 40
            && v.chars()
                .all(|c| c.is_alphanumeric() || " -_.&".contains(c))
    };
    split_checked(list, ok, "venue must be names like ICLR,ICML")
}

/// `cs.AI,cs.CL` → the codes, each checked.
fn parse_categories(list: &str) -> Result<Vec<String>, AppError> {
    split_checked(list, is_category, "category must be codes like cs.CL,cs.LG")
}

/// A comma-separated list of at most `MAX_CATEGORIES` values that each pass `ok`.
fn split_checked(
    list: &str,
    ok: impl Fn(&str) -> bool,
    error: &str,
) -> Result<Vec<String>, AppError> {
    let values: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    if values.len() > MAX_CATEGORIES || !values.iter().all(|v| ok(v)) {
        return Err(AppError::BadRequest(format!(
            "{error} (at most {MAX_CATEGORIES})"
        )));
    }
    Ok(values)
}

/// A category code as arXiv writes them: `cs.CL`, `hep-th`, `cond-mat.str-el`.
pub fn is_category(code: &str) -> bool {
    parse_category_set(code).is_some_and(|s| s.include.len() == 1 && s.exclude.is_empty())
}

/// The archive `s` starts with (the longest, ending at a code boundary).
fn archive_at(s: &str) -> Option<&'static str> {
    crate::domain::taxonomy::ARCHIVES
        .iter()
        .filter(|a| {
            s.starts_with(**a)
                && matches!(
                    s.as_bytes().get(a.len()),
                    None | Some(b'.' | b',' | b'+' | b'-')
                )
        })
        .max_by_key(|a| a.len())
        .copied()
}

/// A listing path: `cs.AI`, `cs.AI,cs.CL` (either), `cs.AI+cs.LG-cs.CY` (either, minus).
/// A `-` inside a code (`hep-th`, `cond-mat.str-el`) is part of it; one followed by an
/// archive starts an exclusion.
pub fn parse_category_set(path: &str) -> Option<CategorySet> {
    let mut set = CategorySet {
        include: Vec::new(),
        exclude: Vec::new(),
    };
    let (mut i, mut excluded) = (0, false);
    loop {
        let archive = archive_at(&path[i..])?;
        let mut end = i + archive.len();
        if path[end..].starts_with('.') {
            end += 1;
            loop {
                let letters = path[end..]
                    .bytes()
                    .take_while(u8::is_ascii_alphabetic)
                    .count();
                if letters == 0 {
                    return None;
                }
                end += letters;
                let inner_dash = path[end..].starts_with('-')
                    && archive_at(&path[end + 1..]).is_none()
                    && path[end + 1..].starts_with(|c: char| c.is_ascii_alphabetic());
                if !inner_dash {
                    break;
                }
                end += 1;
            }
        }
        if set.include.len() + set.exclude.len() == MAX_CATEGORIES {
            return None;
        }
        let list = if excluded {
            &mut set.exclude
        } else {
            &mut set.include
        };
        list.push(path[i..end].to_string());
        match path.as_bytes().get(end) {
            None => break,
            Some(b',' | b'+') => excluded = false,
            Some(b'-') => excluded = true,
            Some(_) => return None,
        }
        i = end + 1;
    }
    (!set.include.is_empty()).then_some(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(path: &str) -> Option<(Vec<String>, Vec<String>)> {
        parse_category_set(path).map(|s| (s.include, s.exclude))
    }

    #[test]
    fn listing_paths() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(set("cs.AI"), Some((v(&["cs.AI"]), v(&[]))));
        assert_eq!(set("cs.AI,cs.CL"), Some((v(&["cs.AI", "cs.CL"]), v(&[]))));
        assert_eq!(
            set("cs.AI+cs.LG-cs.CY"),
            Some((v(&["cs.AI", "cs.LG"]), v(&["cs.CY"])))
        );
        assert_eq!(set("hep-th"), Some((v(&["hep-th"]), v(&[]))));
        assert_eq!(
            set("hep-th+cond-mat.str-el-quant-ph"),
            Some((v(&["hep-th", "cond-mat.str-el"]), v(&["quant-ph"])))
        );
        assert_eq!(set("2402.12354"), None);
        assert_eq!(set("cs.AI,<script>"), None);
        assert_eq!(set(""), None);
        assert_eq!(set("é,cs.AI"), None);
    }

    #[test]
    fn search_params_are_checked() {
        let p = |q: &str| SearchParams {
            q: q.into(),
            ..Default::default()
        };
        assert!(p("x").to_request().is_ok());
        let bad = [
            SearchParams {
                limit: Some(0),
                ..p("x")
            },
            SearchParams {
                page: Some(0),
                ..p("x")
            },
            SearchParams {
                page: Some(usize::MAX),
                ..p("x")
            },
            SearchParams {
                category: Some("cs.AI,DROP TABLE".into()),
                ..p("x")
            },
            SearchParams {
                from: Some("yesterday".into()),
                ..p("x")
            },
            p(&"a".repeat(MAX_QUERY + 1)),
        ];
        for b in bad {
            assert!(b.to_request().is_err(), "{b:?}");
        }
    }
}
