//! arXiv's per-category RSS (`rss.arxiv.org/rss/cs.CL`): the day's announced papers and
//! how each was announced (`arxiv:announce_type`).

use super::{FeedError, xml};
use crate::domain::{AnnounceKind, ArxivId, Date, Paper};

/// One category's feed for one day.
#[derive(Debug, Default)]
pub struct DayFeed {
    /// The announcement day (the channel's `pubDate`, as arXiv dates it); `None` for a feed
    /// without one.
    pub day: Option<Date>,
    /// Each announced paper as the feed describes it, with how it was announced.
    pub items: Vec<(Paper, AnnounceKind)>,
    /// Items that did not parse: (guid or title, why).
    pub skipped: Vec<(String, String)>,
}

/// Parses a feed. Weekend and holiday feeds have no items: that is an empty day, not an
/// error.
pub fn parse(body: &str) -> Result<DayFeed, FeedError> {
    let root = xml::parse(body)?;
    let channel = root
        .child("channel")
        .filter(|_| root.name == "rss")
        .ok_or_else(|| FeedError::WrongRoot {
            expected: "an RSS feed",
            root: root.name.clone(),
        })?;
    let day = channel
        .text_of("pubDate")
        .or_else(|| channel.text_of("lastBuildDate"))
        .and_then(|d| Date::parse_rfc2822(&d).ok());
    let mut feed = DayFeed {
        day,
        ..DayFeed::default()
    };
    for item in channel.children_named("item") {
        let label = item
            .text_of("guid")
            .or_else(|| item.text_of("title"))
            .unwrap_or_default();
        match item_paper(item) {
            Ok(found) => feed.items.push(found),
            Err(reason) => feed.skipped.push((label, reason.to_string())),
        }
    }
    Ok(feed)
}

fn item_paper(item: &xml::Element) -> Result<(Paper, AnnounceKind), FeedError> {
    let raw_id = item
        .text_of("guid")
        .map(|g| g.trim_start_matches("oai:arXiv.org:").to_string())
        .or_else(|| item.text_of("link"))
        .ok_or(FeedError::Missing("guid or link"))?;
    let id = ArxivId::parse(&raw_id)?;
    let kind_raw = item
        .text_of("announce_type")
        .ok_or(FeedError::Missing("announce_type"))?;
    let kind = AnnounceKind::parse(&kind_raw).ok_or(FeedError::AnnounceType(kind_raw))?;
    // "arXiv:2401.00001v1 Announce Type: new \nAbstract: The text…"
    let description = item.text_of("description").unwrap_or_default();
    let abstract_text = description
        .split_once("Abstract:")
        .map_or(description.as_str(), |(_, a)| a)
        .to_string();
    let mut paper = Paper {
        id: id.to_string(),
        title: item.text_of("title").ok_or(FeedError::Missing("title"))?,
        abstract_text,
        authors: item
            .text_of("creator")
            .unwrap_or_default()
            .split(", ")
            .map(str::to_string)
            .collect(),
        categories: item
            .children_named("category")
            .map(|c| c.text.trim().to_string())
            .collect(),
        license: item.text_of("rights"),
        ..Paper::default()
    };
    paper.normalise();
    Ok((paper, kind))
}
