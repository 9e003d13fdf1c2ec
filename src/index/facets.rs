//! Facet counts (category, venue, track, year) over every match, in the same pass as the
//! search: each segment's values are laid out once as small integers, so counting a match
//! is a few array reads.

use super::{IndexError, IndexResult};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

/// Facet values a search returns per facet.
pub const FACET_SIZE: usize = 30;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// How many matching papers fall in each category, venue, track and year.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Facets {
    pub categories: Vec<FacetCount>,
    pub venues: Vec<FacetCount>,
    pub tracks: Vec<FacetCount>,
    pub years: Vec<FacetCount>,
    /// How many matches were counted: all of them.
    pub counted: u64,
}

impl Facets {
    /// The first `size` values of each facet.
    pub fn truncated(&self, size: usize) -> Facets {
        let take = |v: &[FacetCount]| v.iter().take(size).cloned().collect();
        Facets {
            categories: take(&self.categories),
            venues: take(&self.venues),
            tracks: take(&self.tracks),
            years: take(&self.years),
            counted: self.counted,
        }
    }
}

/// The fast fields counted, in the order of `Tally`'s arrays; the last is numeric.
const COLUMNS: [&str; 4] = ["categories", "venue_facet", "track_facet", "year"];

/// A segment's facet values. Each document's values (its categories, venue, track and year)
/// form a combination, numbered, so that counting a match is one array read; the counts
/// per combination become counts per value once the segment is done.
pub(super) struct SegmentFacets {
    /// Each document's combination.
    combo_of: Vec<u32>,
    /// Combination `c` holds the values `values[starts[c]..starts[c + 1]]`, each a column
    /// and the value's number in the cache's dictionary.
    starts: Vec<u32>,
    values: Vec<(u8, u32)>,
    /// Per column, one more than the largest value number used.
    sizes: [usize; 4],
}

impl SegmentFacets {
    /// Reads the segment's columns; values are numbered by the segment (as `names`) until
    /// `number` turns them into the dictionary's numbers.
    fn read(reader: &SegmentReader) -> IndexResult<(SegmentFacets, [Vec<String>; 4])> {
        let fast = reader.fast_fields();
        let docs = reader.max_doc();
        let strings = [
            fast.str(COLUMNS[0])?,
            fast.str(COLUMNS[1])?,
            fast.str(COLUMNS[2])?,
        ];
        let years = fast.u64(COLUMNS[3])?;
        let mut distinct_years: Vec<u64> = (0..docs).filter_map(|d| years.first(d)).collect();
        distinct_years.sort_unstable();
        distinct_years.dedup();
        let names = [
            names_of(strings[0].as_ref())?,
            names_of(strings[1].as_ref())?,
            names_of(strings[2].as_ref())?,
            distinct_years.iter().map(u64::to_string).collect(),
        ];
        // foldhash: SipHash was most of laying out 2.7M papers, which a server does at start.
        let mut numbers: HashMap<Vec<(u8, u32)>, u32, foldhash::fast::RandomState> =
            HashMap::default();
        let mut combo_of = Vec::with_capacity(docs as usize);
        let mut key = Vec::new();
        for doc in 0..docs {
            key.clear();
            for (c, column) in strings.iter().enumerate() {
                if let Some(column) = column {
                    key.extend(column.term_ords(doc).map(|o| (c as u8, o as u32)));
                }
            }
            if let Some(i) = years
                .first(doc)
                .and_then(|y| distinct_years.binary_search(&y).ok())
            {
                key.push((3, i as u32));
            }
            let combo = match numbers.get(&key) {
                Some(&n) => n,
                None => {
                    let n = numbers.len() as u32;
                    numbers.insert(key.clone(), n);
                    n
                }
            };
            combo_of.push(combo);
        }
        let mut combos = vec![Vec::new(); numbers.len()];
        for (key, n) in numbers {
            combos[n as usize] = key;
        }
        let mut starts = Vec::with_capacity(combos.len() + 1);
        starts.push(0);
        let mut values = Vec::new();
        for combo in combos {
            values.extend(combo);
            starts.push(values.len() as u32);
        }
        let facets = SegmentFacets {
            combo_of,
            starts,
            values,
            sizes: [0; 4],
        };
        Ok((facets, names))
    }

    /// Renumbers the values from the segment's `names` to the dictionary's numbers.
    fn number(&mut self, names: &[Vec<String>; 4], dictionary: &mut Dictionary) {
        let ids = std::array::from_fn::<Vec<u32>, 4, _>(|c| {
            names[c].iter().map(|n| dictionary.id(c, n)).collect()
        });
        for (column, value) in &mut self.values {
            *value = ids[*column as usize][*value as usize];
        }
        self.sizes = std::array::from_fn(|c| ids[c].iter().max().map_or(0, |&m| m as usize + 1));
    }

    fn combo(&self, c: usize) -> &[(u8, u32)] {
        &self.values[self.starts[c] as usize..self.starts[c + 1] as usize]
    }
}

/// A string column's values by ordinal.
fn names_of(column: Option<&StrColumn>) -> IndexResult<Vec<String>> {
    let Some(column) = column else {
        return Ok(Vec::new());
    };
    let mut names = Vec::with_capacity(column.num_terms());
    for ord in 0..column.num_terms() as u64 {
        let mut name = String::new();
        column
            .ord_to_str(ord, &mut name)
            .map_err(IndexError::Column)?;
        names.push(name);
    }
    Ok(names)
}

/// Every value seen in any segment, numbered per column, so that counts from different
/// segments add up by number.
#[derive(Default)]
struct Dictionary {
    names: [Vec<String>; 4],
    ids: [HashMap<String, u32>; 4],
}

impl Dictionary {
    fn id(&mut self, column: usize, name: &str) -> u32 {
        if let Some(&id) = self.ids[column].get(name) {
            return id;
        }
        let id = self.names[column].len() as u32;
        self.names[column].push(name.to_string());
        self.ids[column].insert(name.to_string(), id);
        id
    }
}

/// A segment's facets once laid out; its own lock, so that the searches arriving while the
/// first lays it out wait for that one instead of each doing the same work.
type Slot = Arc<Mutex<Option<Arc<SegmentFacets>>>>;

#[derive(Default)]
struct Cached {
    segments: HashMap<SegmentId, Slot>,
    dictionary: Dictionary,
}

/// Each live segment's facet values, laid out on first use.
#[derive(Clone, Default)]
pub(super) struct FacetCache(Arc<Mutex<Cached>>);

impl FacetCache {
    /// A collector counting facets over the matches of a search on `searcher`, keeping the
    /// `size` most frequent values of each. Segments that `searcher` no longer has are
    /// dropped from the cache.
    pub(super) fn collector(
        &self,
        searcher: &Searcher,
        size: usize,
    ) -> IndexResult<FacetCollector> {
        let live: HashSet<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(|r| r.segment_id())
            .collect();
        self.lock()?.segments.retain(|id, _| live.contains(id));
        Ok(FacetCollector {
            cache: self.clone(),
            size,
        })
    }

    fn segment(&self, reader: &SegmentReader) -> IndexResult<Arc<SegmentFacets>> {
        let slot = self
            .lock()?
            .segments
            .entry(reader.segment_id())
            .or_default()
            .clone();
        let mut slot = slot
            .lock()
            .map_err(|_| IndexError::Poisoned("facet cache"))?;
        if let Some(found) = slot.as_ref() {
            return Ok(found.clone());
        }
        let (mut facets, names) = SegmentFacets::read(reader)?;
        facets.number(&names, &mut self.lock()?.dictionary);
        let facets = Arc::new(facets);
        *slot = Some(facets.clone());
        Ok(facets)
    }

    fn lock(&self) -> IndexResult<std::sync::MutexGuard<'_, Cached>> {
        self.0
            .lock()
            .map_err(|_| IndexError::Poisoned("facet cache"))
    }
}

pub(super) struct FacetCollector {
    cache: FacetCache,
    /// Values kept per facet.
    size: usize,
}

/// Matches per value number, one array per column.
#[derive(Default)]
pub(super) struct Tally {
    counts: [Vec<u64>; 4],
    matches: u64,
}

/// The `size` most frequent values (ties by name), most frequent first; only those are
/// copied out of the dictionary.
fn most_first(counts: &[u64], names: &[String], size: usize) -> Vec<FacetCount> {
    let order = |&a: &usize, &b: &usize| counts[b].cmp(&counts[a]).then(names[a].cmp(&names[b]));
    let mut found: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] > 0).collect();
    if found.len() > size && size > 0 {
        found.select_nth_unstable_by(size - 1, order);
    }
    found.truncate(size);
    found.sort_unstable_by(order);
    found
        .into_iter()
        .map(|i| FacetCount {
            value: names[i].clone(),
            count: counts[i],
        })
        .collect()
}

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = SegmentTally;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        let facets = self
            .cache
            .segment(reader)
            .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))?;
        let counts = vec![0; facets.starts.len() - 1];
        Ok(SegmentTally {
            facets,
            counts,
            touched: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Tally>) -> tantivy::Result<Facets> {
        let mut all = Tally::default();
        for segment in segments {
            all.matches += segment.matches;
            for (into, from) in all.counts.iter_mut().zip(segment.counts) {
                if into.len() < from.len() {
                    into.resize(from.len(), 0);
                }
                for (i, n) in from.into_iter().enumerate() {
                    into[i] += n;
                }
            }
        }
        let cached = self
            .cache
            .lock()
            .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))?;
        let names = &cached.dictionary.names;
        let mut years: Vec<FacetCount> = all.counts[3]
            .iter()
            .zip(&names[3])
            .filter(|(n, _)| **n > 0)
            .map(|(&count, value)| FacetCount {
                value: value.clone(),
                count,
            })
            .collect();
        years.sort_by(|a, b| {
            b.value
                .len()
                .cmp(&a.value.len())
                .then(b.value.cmp(&a.value))
        });
        years.truncate(self.size);
        Ok(Facets {
            categories: most_first(&all.counts[0], &names[0], self.size),
            venues: most_first(&all.counts[1], &names[1], self.size),
            tracks: most_first(&all.counts[2], &names[2], self.size),
            years,
            counted: all.matches,
        })
    }
}

pub(super) struct SegmentTally {
    facets: Arc<SegmentFacets>,
    /// Matches per combination.
    counts: Vec<u32>,
    /// The combinations with a match, so a selective search reads only those.
    touched: Vec<u32>,
}

impl SegmentCollector for SegmentTally {
    type Fruit = Tally;

    fn collect(&mut self, doc: DocId, _: Score) {
        let combo = self.facets.combo_of[doc as usize];
        let count = &mut self.counts[combo as usize];
        if *count == 0 {
            self.touched.push(combo);
        }
        *count += 1;
    }

    fn harvest(self) -> Tally {
        let facets = &self.facets;
        let mut counts = facets.sizes.map(|n| vec![0u64; n]);
        let mut matches = 0;
        for &c in &self.touched {
            let n = self.counts[c as usize];
            matches += u64::from(n);
            for &(column, value) in facets.combo(c as usize) {
                counts[column as usize][value as usize] += u64::from(n);
            }
        }
        Tally { counts, matches }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn most_first_keeps_the_largest_counts_ties_by_name() {
        let names: Vec<String> = ["e", "d", "c", "b", "a", "z"].map(String::from).to_vec();
        let counts = [5, 0, 7, 5, 1, 5];
        let shown = |size| {
            super::most_first(&counts, &names, size)
                .into_iter()
                .map(|f| format!("{}={}", f.value, f.count))
                .collect::<Vec<_>>()
        };
        assert_eq!(shown(3), ["c=7", "b=5", "e=5"]);
        assert_eq!(shown(10), ["c=7", "b=5", "e=5", "z=5", "a=1"]);
        assert!(shown(0).is_empty());
    }
}
