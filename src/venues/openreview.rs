//! OpenReview: notes from API v2 (`content.X.value`, track in `content.venue.value`) and
//! API v1 (`content.X`, decisions as reply notes), live with offset/limit paging or from a
//! saved JSON dump.

use super::{Page, Record, RecordError, VenueConfig, arxiv_in_url, is_accepted, track_from};
use crate::domain::{Date, Paper, Venue};
use crate::fetch::Fetcher;
use serde_json::Value;

/// Notes asked for per request (OpenReview's maximum).
pub const PAGE: usize = 1_000;

/// The note queries that make up an edition, in order; the checkpoint says which and how
/// far. API v2 asks by venue id (accepted, then rejected and withdrawn when wanted); API v1
/// by submission invitation, decisions coming along as direct replies.
fn parts(venue: &str, year: u16, v1: bool, include_rejected: bool) -> Vec<(&'static str, String)> {
    let conference = format!("{venue}.cc/{year}/Conference");
    if v1 {
        let invitation = if year == 2017 {
            format!("{venue}.cc/2017/conference/-/submission")
        } else {
            format!("{conference}/-/Blind_Submission")
        };
        return vec![("invitation", invitation)];
    }
    let mut all = vec![("content.venueid", conference.clone())];
    if include_rejected {
        all.push((
            "content.venueid",
            format!("{conference}/Rejected_Submission"),
        ));
        all.push((
            "content.venueid",
            format!("{conference}/Withdrawn_Submission"),
        ));
    }
    all
}

/// `part:offset`, where a resumed import starts again.
fn parse_checkpoint(checkpoint: Option<&str>) -> (usize, usize) {
    checkpoint
        .and_then(|c| c.split_once(':'))
        .and_then(|(p, o)| Some((p.parse().ok()?, o.parse().ok()?)))
        .unwrap_or((0, 0))
}

/// Fetches the page at `checkpoint` (the start when `None`).
pub async fn fetch_page(
    fetcher: &Fetcher,
    config: &VenueConfig,
    venue: &str,
    year: u16,
    v1: bool,
    include_rejected: bool,
    checkpoint: Option<&str>,
) -> anyhow::Result<Page> {
    let all = parts(venue, year, v1, include_rejected);
    let (part, offset) = parse_checkpoint(checkpoint);
    let Some((key, value)) = all.get(part) else {
        return Ok(Page {
            records: Vec::new(),
            unreadable: 0,
            next: None,
            total: None,
        });
    };
    let base = if v1 {
        &config.openreview_v1_url
    } else {
        &config.openreview_url
    };
    let (offset_s, limit_s) = (offset.to_string(), PAGE.to_string());
    let mut params = vec![
        (*key, value.as_str()),
        ("offset", offset_s.as_str()),
        ("limit", limit_s.as_str()),
    ];
    if v1 {
        params.push(("details", "directReplies"));
    }
    let url =
        reqwest::Url::parse_with_params(&format!("{}/notes", base.trim_end_matches('/')), &params)?;
    let fetched = fetcher.get(url.as_str()).await?;
    if !fetched.is_success() {
        anyhow::bail!("{url}: HTTP {}", fetched.status);
    }
    let body: Value = serde_json::from_slice(&fetched.body)
        .map_err(|e| anyhow::anyhow!("{url}: not OpenReview JSON ({e})"))?;
    let notes = body
        .get("notes")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow::anyhow!("{url}: the answer has no notes list"))?;
    let (records, unreadable) = parse_notes(notes, venue, year);
    if records.is_empty() && unreadable > 0 {
        tracing::warn!(%url, unreadable, "no note of this page could be read");
    }
    // A short page is the last of its part (OpenReview does not always send `count`).
    let next = if notes.len() == PAGE {
        Some(format!("{part}:{}", offset + PAGE))
    } else if part + 1 < all.len() {
        Some(format!("{}:0", part + 1))
    } else {
        None
    };
    // API v2 says how many notes match; that is the whole import when it has one part.
    let total = body
        .get("count")
        .and_then(Value::as_u64)
        .filter(|_| all.len() == 1);
    Ok(Page {
        records,
        unreadable,
        next,
        total,
    })
}

/// Every note of a saved dump (`{"notes": [...]}` or a bare list, either API version), and
/// how many could not be read.
pub fn parse_dump(text: &str, venue: &str, year: u16) -> anyhow::Result<(Vec<Record>, u64)> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| anyhow::anyhow!("not an OpenReview JSON dump ({e})"))?;
    let notes = match &value {
        Value::Array(notes) => notes,
        Value::Object(o) => o
            .get("notes")
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow::anyhow!("the dump has no \"notes\" list"))?,
        _ => anyhow::bail!("an OpenReview dump is a list of notes or {{\"notes\": [...]}}"),
    };
    Ok(parse_notes(notes, venue, year))
}

/// Notes whose reason for being skipped is logged one by one; the rest are counted.
const LOGGED_SKIPS: usize = 5;

/// The notes that parse, and how many did not (the first few logged, when some parsed: a
/// file none of whose notes parse is the caller's error to report, once).
fn parse_notes(notes: &[Value], venue: &str, year: u16) -> (Vec<Record>, u64) {
    let mut records = Vec::with_capacity(notes.len());
    let mut reasons = Vec::new();
    for note in notes {
        match parse_note(note, venue, year) {
            Ok(r) => records.push(r),
            Err(reason) => reasons.push(reason),
        }
    }
    if !records.is_empty() {
        for reason in reasons.iter().take(LOGGED_SKIPS) {
            tracing::warn!(%reason, "OpenReview note skipped");
        }
        if reasons.len() > LOGGED_SKIPS {
            tracing::warn!(
                "{} more OpenReview notes skipped",
                reasons.len() - LOGGED_SKIPS
            );
        }
    }
    (records, reasons.len() as u64)
}

/// One note of either API version (v2 wraps every content field as `{"value": …}`).
pub fn parse_note(note: &Value, venue: &str, year: u16) -> Result<Record, RecordError> {
    let content = note
        .get("content")
        .ok_or(RecordError::NoteWithout("content"))?;
    let field = |name: &str| -> Option<&Value> {
        let v = content.get(name)?;
        match v.get("value") {
            Some(inner) if v.is_object() => Some(inner),
            _ => Some(v),
        }
    };
    let text = |name: &str| {
        field(name)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let forum = note
        .get("forum")
        .or_else(|| note.get("id"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(RecordError::NoteWithout("id"))?;
    let title = text("title");
    if title.trim().is_empty() {
        return Err(RecordError::UntitledNote {
            forum: forum.to_string(),
        });
    }
    let authors = match field("authors") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    let track = match field("venue").and_then(Value::as_str) {
        Some(v) => track_from(v),
        None => decision(note).as_deref().and_then(track_from),
    };
    // API v2 lists accepted papers under the conference's own venue id.
    let listed_accepted =
        field("venueid").and_then(Value::as_str) == Some(&format!("{venue}.cc/{year}/Conference"));
    let accepted = match track.as_deref() {
        Some(t) => is_accepted(Some(t)),
        None => listed_accepted,
    };
    let arxiv = ["pdf", "html", "arxiv"]
        .iter()
        .find_map(|name| arxiv_in_url(&text(name)));
    let published = ["pdate", "odate", "cdate", "tcdate"]
        .iter()
        .find_map(|k| note.get(*k).and_then(Value::as_i64))
        .and_then(date_from_millis);
    let mut paper = Paper {
        id: format!("openreview:{forum}"),
        title,
        abstract_text: super::html::to_text(&text("abstract")),
        authors,
        published,
        venue: Some(Venue {
            name: venue.to_string(),
            year,
            track,
        }),
        ..Paper::default()
    };
    paper.normalise();
    Ok(Record {
        paper,
        arxiv,
        accepted,
    })
}

/// The decision of an API v1 submission: a direct reply (`details.directReplies`) or a
/// reply kept beside it by a crawler (`notes`) whose content has a `decision`.
fn decision(note: &Value) -> Option<String> {
    let replies = note
        .pointer("/details/directReplies")
        .and_then(Value::as_array)
        .into_iter()
        .chain(note.get("notes").and_then(Value::as_array))
        .flatten();
    for reply in replies {
        if let Some(d) = reply.pointer("/content/decision").and_then(Value::as_str) {
            return Some(d.to_string());
        }
    }
    None
}

/// The UTC day of a Unix time in milliseconds.
pub fn date_from_millis(ms: i64) -> Option<Date> {
    // Howard Hinnant's days-to-civil algorithm.
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Date::new(
        u16::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_become_days() {
        assert_eq!(date_from_millis(0), Date::new(1970, 1, 1));
        assert_eq!(date_from_millis(1_705_500_000_000), Date::new(2024, 1, 17));
        assert_eq!(date_from_millis(951_782_400_000), Date::new(2000, 2, 29));
    }

    #[test]
    fn v1_notes_take_their_decision_from_replies() {
        let note = serde_json::json!({
            "id": "abc", "forum": "abc", "cdate": 1_509_000_000_000i64,
            "content": {"title": "A  title", "abstract": "Uses <b>x</b>", "authors": ["Ada Lovelace"],
                        "pdf": "https://arxiv.org/pdf/1703.05175v2.pdf"},
            "details": {"directReplies": [
                {"content": {"rating": "7"}},
                {"content": {"decision": "Accept (Oral)"}}
            ]}
        });
        let r = parse_note(&note, "ICLR", 2018).unwrap();
        assert_eq!(r.paper.id, "openreview:abc");
        assert_eq!(r.paper.title, "A title");
        assert_eq!(r.paper.abstract_text, "Uses x");
        assert_eq!(r.paper.venue.unwrap().track.as_deref(), Some("Oral"));
        assert_eq!(r.arxiv.unwrap().to_string(), "1703.05175");
        assert_eq!(r.paper.published, Date::new(2017, 10, 26));
    }

    #[test]
    fn checkpoints_round_trip() {
        assert_eq!(parse_checkpoint(Some("1:2000")), (1, 2000));
        assert_eq!(parse_checkpoint(None), (0, 0));
        assert_eq!(parse_checkpoint(Some("junk")), (0, 0));
    }
}
