//! Daily listings by category: the papers of one day, and the nearest days before and after.

use super::filters::{any_keyword, term_query_lc};
use super::{IndexResult, SearchIndex};
use crate::domain::Date;
use std::ops::Bound;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery};
use tantivy::schema::Value;
use tantivy::{Order, TantivyDocument, Term};

/// Papers shown for one day at most.
pub const MAX_DAY: usize = 2_000;

/// Which categories a listing takes: any of `include`, none of `exclude`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategorySet {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// One day of a listing.
#[derive(Debug, Clone, Default)]
pub struct DayListing {
    /// The day shown; `None` when no paper matches at all.
    pub day: Option<Date>,
    /// Ids of the day's papers, newest id first.
    pub ids: Vec<String>,
    /// The nearest earlier and later days that have papers.
    pub prev: Option<Date>,
    pub next: Option<Date>,
}

impl SearchIndex {
    /// The papers of `day` (or of the latest day with papers) in these categories.
    pub fn day_listing(&self, set: &CategorySet, day: Option<Date>) -> IndexResult<DayListing> {
        let searcher = self.reader.searcher();
        let f = &self.fields;
        let in_set = |extra: Option<Box<dyn Query>>| -> Box<dyn Query> {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Must, any_keyword(f.categories_lc, &set.include))];
            for c in &set.exclude {
                clauses.push((Occur::MustNot, term_query_lc(f.categories_lc, c)));
            }
            if let Some(q) = extra {
                clauses.push((Occur::Must, q));
            }
            Box::new(BooleanQuery::new(clauses))
        };
        let published = |lower: Bound<u64>, upper: Bound<u64>| -> Box<dyn Query> {
            let term = |b: Bound<u64>| b.map(|n| Term::from_field_u64(f.published, n));
            Box::new(RangeQuery::new(term(lower), term(upper)))
        };
        // The first day, searching from one end of the range.
        let edge = |q: Box<dyn Query>, order: Order| -> IndexResult<Option<Date>> {
            let top = TopDocs::with_limit(1).order_by_fast_field::<u64>("published", order);
            let found = searcher.search(&*q, &top)?;
            Ok(found
                .first()
                .and_then(|(n, _)| n.and_then(Date::from_number)))
        };
        let day = match day {
            Some(d) => d,
            None => match edge(
                in_set(Some(published(Bound::Included(0), Bound::Unbounded))),
                Order::Desc,
            )? {
                Some(d) => d,
                None => return Ok(DayListing::default()),
            },
        };
        let n = day.as_number();
        let that_day = in_set(Some(published(Bound::Included(n), Bound::Included(n))));
        let mut ids = Vec::new();
        for (_, address) in
            searcher.search(&*that_day, &TopDocs::with_limit(MAX_DAY).order_by_score())?
        {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc.get_first(f.id).and_then(|v| v.as_str()) {
                ids.push(id.to_string());
            }
        }
        ids.sort_unstable_by(|a, b| b.cmp(a));
        Ok(DayListing {
            day: Some(day),
            ids,
            prev: edge(
                in_set(Some(published(Bound::Unbounded, Bound::Excluded(n)))),
                Order::Desc,
            )?,
            next: edge(
                in_set(Some(published(Bound::Excluded(n), Bound::Unbounded))),
                Order::Asc,
            )?,
        })
    }
}
