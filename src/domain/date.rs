//! Calendar dates as the sources write them (ISO `2024-02-19`, RFC 2822 `Mon, 2 Apr 2007 …`);
//! the calendar itself (validation, day arithmetic, UTC) is jiff's.

use jiff::civil;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A validated calendar date in years 0000–9999; orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(civil::Date);

/// 1970-01-01, where day numbers start.
const EPOCH: civil::Date = civil::Date::constant(1970, 1, 1);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a date: {0:?}")]
pub struct DateError(pub String);

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

impl Date {
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        let year = i16::try_from(year).ok()?;
        let (month, day) = (i8::try_from(month).ok()?, i8::try_from(day).ok()?);
        civil::Date::new(year, month, day)
            .ok()
            .filter(|d| d.year() >= 0)
            .map(Date)
    }

    /// Parses `YYYY-MM-DD`, also when a time follows (`2024-02-19T10:00:00Z`).
    pub fn parse_iso(raw: &str) -> Result<Self, DateError> {
        let err = || DateError(raw.to_string());
        let s = raw.trim();
        let head = s.get(..10).ok_or_else(err)?;
        if s.len() > 10 && !s[10..].starts_with(['T', ' ']) {
            return Err(err());
        }
        let b = head.as_bytes();
        if b[4] != b'-' || b[7] != b'-' {
            return Err(err());
        }
        let num = |r: std::ops::Range<usize>| head.get(r).and_then(|t| t.parse::<u16>().ok());
        let (y, m, d) = (num(0..4), num(5..7), num(8..10));
        match (y, m, d) {
            (Some(y), Some(m), Some(d)) => Date::new(y, m as u8, d as u8).ok_or_else(err),
            _ => Err(err()),
        }
    }

    /// Parses RFC 2822 dates as the arXiv snapshot writes them: `Mon, 2 Apr 2007 19:18:42 GMT`.
    pub fn parse_rfc2822(raw: &str) -> Result<Self, DateError> {
        let err = || DateError(raw.to_string());
        let s = raw.trim();
        let s = s.split_once(',').map_or(s, |(_, rest)| rest);
        let mut parts = s.split_whitespace();
        let day: u8 = parts.next().and_then(|t| t.parse().ok()).ok_or_else(err)?;
        let month = parts.next().ok_or_else(err)?.to_ascii_lowercase();
        let month = MONTHS
            .iter()
            .position(|m| month.starts_with(m))
            .ok_or_else(err)? as u8
            + 1;
        let year: u16 = parts.next().and_then(|t| t.parse().ok()).ok_or_else(err)?;
        Date::new(year, month, day).ok_or_else(err)
    }

    pub fn year(&self) -> u16 {
        self.0.year() as u16
    }

    /// The inverse of `as_number`.
    pub fn from_number(n: u64) -> Option<Self> {
        let year = u16::try_from(n / 10_000).ok()?;
        Date::new(year, (n / 100 % 100) as u8, (n % 100) as u8)
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(&self) -> i64 {
        // Between two civil dates jiff counts whole days, which always fit.
        self.0
            .since(EPOCH)
            .map_or(0, |span| i64::from(span.get_days()))
    }

    /// The inverse of `days_since_epoch`; `None` outside years 0..=9999.
    pub fn from_days_since_epoch(days: i64) -> Option<Self> {
        let span = jiff::Span::new().try_days(days).ok()?;
        EPOCH
            .checked_add(span)
            .ok()
            .filter(|d| d.year() >= 0)
            .map(Date)
    }

    /// This many days later (earlier when negative).
    pub fn add_days(&self, days: i64) -> Self {
        Date::from_days_since_epoch(self.days_since_epoch() + days).unwrap_or(*self)
    }

    /// Today in UTC.
    pub fn today() -> Self {
        Date::parse_iso(&utc_timestamp()).expect("a timestamp starts with its date")
    }

    /// `YYYYMMDD` as a number: sortable, and what the index keeps as a fast field.
    pub fn as_number(&self) -> u64 {
        u64::from(self.year()) * 10_000 + self.0.month() as u64 * 100 + self.0.day() as u64
    }
}

/// Now, in milliseconds since 1970.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Now in UTC as `2026-11-28T18:04:05Z`.
pub fn utc_timestamp() -> String {
    utc_timestamp_at(std::time::SystemTime::now())
}

/// `at` in UTC as `2026-11-28T18:04:05Z`.
pub fn utc_timestamp_at(at: std::time::SystemTime) -> String {
    let stamp = jiff::Timestamp::try_from(at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    stamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.strftime("%Y-%m-%d"))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Date::parse_iso(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_arithmetic_round_trips() {
        let d = Date::new(2024, 2, 28).unwrap();
        assert_eq!(d.add_days(1).to_string(), "2024-02-29");
        assert_eq!(d.add_days(2).to_string(), "2024-03-01");
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
        assert_eq!(Date::new(42, 1, 2).unwrap().to_string(), "0042-01-02");
        assert_eq!(Date::new(10_000, 1, 1), None);
        assert_eq!(Date::from_days_since_epoch(1_000_000_000), None);
        for n in [-1_000, 0, 59, 10_957, 20_000, 30_000] {
            assert_eq!(
                Date::from_days_since_epoch(n).unwrap().days_since_epoch(),
                n
            );
        }
    }

    #[test]
    fn iso_round_trips_and_validates() {
        let d = Date::parse_iso("2024-02-29").unwrap();
        assert_eq!(d.to_string(), "2024-02-29");
        assert_eq!(d.as_number(), 20240229);
        assert_eq!(Date::from_number(20240229), Some(d));
        assert_eq!(Date::from_number(20240230), None);
        assert_eq!(
            Date::parse_iso("2024-02-19T10:00:00Z").unwrap().to_string(),
            "2024-02-19"
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "20240101",
            "",
            "2024-01-01x",
        ] {
            assert!(Date::parse_iso(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rfc2822_as_in_the_snapshot() {
        let d = Date::parse_rfc2822("Mon, 2 Apr 2007 19:18:42 GMT").unwrap();
        assert_eq!(d.to_string(), "2007-04-02");
        assert!(Date::parse_rfc2822("Mon, 32 Apr 2007").is_err());
        assert!(Date::parse_rfc2822("yesterday").is_err());
    }

    #[test]
    fn utc_timestamps_to_the_second() {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_764_353_045_900);
        assert_eq!(utc_timestamp_at(at), "2025-11-28T18:04:05Z");
        assert_eq!(
            utc_timestamp_at(std::time::UNIX_EPOCH),
            "1970-01-01T00:00:00Z"
        );
    }

    #[test]
    fn orders_chronologically() {
        assert!(Date::parse_iso("2023-12-31").unwrap() < Date::parse_iso("2024-01-01").unwrap());
    }
}
