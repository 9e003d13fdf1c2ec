//! The building blocks of required clauses: the page's filters, keyword and date
//! restrictions, and single-term queries.

use crate::domain::Date;
use std::ops::Bound;
use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;

/// Restrictions that come from the page's filter controls rather than the query text.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Any of these categories (case-insensitive).
    pub categories: Vec<String>,
    /// Any of these venues (case-insensitive).
    pub venues: Vec<String>,
    /// Any of these tracks (`Oral`, `Poster`; case-insensitive).
    pub tracks: Vec<String>,
    /// First submitted on or after.
    pub from: Option<Date>,
    /// First submitted on or before.
    pub to: Option<Date>,
}

/// Papers first submitted between `from` and `to` (inclusive; either may be open).
pub(super) fn published_between(
    field: tantivy::schema::Field,
    from: Option<Date>,
    to: Option<Date>,
) -> Box<dyn Query> {
    let bound = |d: Option<Date>| match d {
        Some(d) => Bound::Included(Term::from_field_u64(field, d.as_number())),
        None => Bound::Unbounded,
    };
    Box::new(RangeQuery::new(bound(from), bound(to)))
}

/// A keyword field's term, lower-cased as the `KEYWORD` analyser indexes it.
pub(super) fn term_query_lc(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
    term_query(field, &value.to_lowercase(), 1.0)
}

/// Any of these values of a keyword field.
pub(super) fn any_keyword(field: tantivy::schema::Field, values: &[String]) -> Box<dyn Query> {
    let any = values
        .iter()
        .map(|v| (Occur::Should, term_query_lc(field, v)))
        .collect();
    Box::new(BooleanQuery::new(any))
}

/// A term of a field, its score scaled by `boost`.
pub(super) fn term_query(field: tantivy::schema::Field, word: &str, boost: f32) -> Box<dyn Query> {
    let term = TermQuery::new(
        Term::from_field_text(field, word),
        IndexRecordOption::WithFreqs,
    );
    if boost == 1.0 {
        return Box::new(term);
    }
    Box::new(BoostQuery::new(Box::new(term), boost))
}
