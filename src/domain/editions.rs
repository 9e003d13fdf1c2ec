//! When each venue edition took place: the date a venue's paper carries when its source
//! gives none (or one from another year, such as an OpenReview submission's creation), so
//! `year:`, `from`/`to`, the year facet and feeds place it in its edition.

use super::{Date, Paper};

/// First day of the main conference, by venue and year.
const EDITIONS: &[(&str, u16, u8, u8)] = &[
    ("ICLR", 2013, 5, 2),
    ("ICLR", 2014, 4, 14),
    ("ICLR", 2015, 5, 7),
    ("ICLR", 2016, 5, 2),
    ("ICLR", 2017, 4, 24),
    ("ICLR", 2018, 4, 30),
    ("ICLR", 2019, 5, 6),
    ("ICLR", 2020, 4, 26),
    ("ICLR", 2021, 5, 3),
    ("ICLR", 2022, 4, 25),
    ("ICLR", 2023, 5, 1),
    ("ICLR", 2024, 5, 7),
    ("ICLR", 2025, 4, 24),
    ("ICLR", 2026, 4, 23),
    ("ICML", 2013, 6, 16),
    ("ICML", 2014, 6, 21),
    ("ICML", 2015, 7, 6),
    ("ICML", 2016, 6, 19),
    ("ICML", 2017, 8, 6),
    ("ICML", 2018, 7, 10),
    ("ICML", 2019, 6, 9),
    ("ICML", 2020, 7, 12),
    ("ICML", 2021, 7, 18),
    ("ICML", 2022, 7, 17),
    ("ICML", 2023, 7, 23),
    ("ICML", 2024, 7, 21),
    ("ICML", 2025, 7, 13),
    ("ICML", 2026, 7, 6),
];

/// The edition's first day; for one not in the table, the 1st of July of its year.
pub fn edition_date(venue: &str, year: u16) -> Option<Date> {
    let (month, day) = EDITIONS
        .iter()
        .find(|(v, y, _, _)| v.eq_ignore_ascii_case(venue) && *y == year)
        .map_or((7, 1), |(_, _, m, d)| (*m, *d));
    Date::new(year, month, day)
}

/// Gives a venue's paper a date in its edition's year: the source's own date when it is
/// in that year (a publication date), else the edition's.
pub fn in_edition(paper: &mut Paper) {
    let Some(venue) = &paper.venue else { return };
    if paper.published.is_some_and(|d| d.year() == venue.year) {
        return;
    }
    paper.published = edition_date(&venue.name, venue.year);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Venue;

    fn iclr_2024(published: Option<Date>) -> Paper {
        Paper {
            id: "openreview:x".into(),
            published,
            venue: Some(Venue {
                name: "ICLR".into(),
                year: 2024,
                track: None,
            }),
            ..Paper::default()
        }
    }

    #[test]
    fn venue_papers_are_dated_in_their_edition() {
        let mut undated = iclr_2024(None);
        in_edition(&mut undated);
        assert_eq!(undated.published, Date::new(2024, 5, 7));
        // An OpenReview submission made the year before: the edition's date.
        let mut submitted = iclr_2024(Date::new(2023, 9, 28));
        in_edition(&mut submitted);
        assert_eq!(submitted.published, Date::new(2024, 5, 7));
        // A publication date in the edition's year is kept.
        let mut published = iclr_2024(Date::new(2024, 1, 16));
        in_edition(&mut published);
        assert_eq!(published.published, Date::new(2024, 1, 16));
        assert_eq!(edition_date("NeurIPS", 2024), Date::new(2024, 7, 1));
        let mut arxiv = Paper::default();
        in_edition(&mut arxiv);
        assert_eq!(
            arxiv.published, None,
            "papers without a venue are left alone"
        );
    }
}
