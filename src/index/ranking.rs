//! The ranking's weights and thresholds, with their `PAPERS_RANKING` overrides.

/// Weights and thresholds of the ranking, tuned on SciFact train and known-item sets drawn
/// from the corpus (docs/quality.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranking {
    /// Weight of the title field relative to the title+abstract field.
    pub title_boost: f32,
    /// Weight of two typed words forming an author's name.
    pub author_boost: f32,
    /// Weight of two typed words next to each other in the title.
    pub title_phrase_boost: f32,
    /// Weight of two typed words at most one word apart in the title (added to the above).
    pub title_near_boost: f32,
    /// Weight of the whole query (three or more words, not a sentence) in the title.
    pub title_whole_boost: f32,
    /// Weight of the whole query in the title with one word between (added to the above).
    pub title_whole_near_boost: f32,
    /// Weight of a near spelling standing in for a typed word.
    pub near_weight: f32,
    /// Papers the strict query must find before the search stops relaxing it.
    pub fill: usize,
    /// Plain words from which a query is read as a sentence: relaxed, it takes any word when
    /// no paper holds them all.
    pub sentence: usize,
}

impl Default for Ranking {
    fn default() -> Self {
        Ranking {
            title_boost: 0.25,
            author_boost: 1.0,
            title_phrase_boost: 0.5,
            title_near_boost: 0.5,
            title_whole_boost: 1.0,
            title_whole_near_boost: 0.5,
            near_weight: 0.5,
            fill: 20,
            sentence: 5,
        }
    }
}

/// Why a `PAPERS_RANKING` value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RankingError {
    #[error("PAPERS_RANKING: {0:?} is not name=number")]
    NotNameNumber(String),
    #[error("PAPERS_RANKING: unknown weight {0:?}")]
    UnknownWeight(String),
}

impl Ranking {
    /// The defaults, with any weight overridden by `PAPERS_RANKING`
    /// (`title_boost=0.3,fill=10`): for tuning experiments.
    pub fn from_env() -> Result<Self, RankingError> {
        match std::env::var("PAPERS_RANKING") {
            Ok(spec) => Ranking::default().with(&spec),
            Err(_) => Ok(Ranking::default()),
        }
    }

    /// These weights with `name=value` pairs (comma-separated) overriding some.
    pub fn with(mut self, spec: &str) -> Result<Self, RankingError> {
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || RankingError::NotNameNumber(pair.to_string());
            let (name, value) = pair.split_once('=').ok_or_else(bad)?;
            let number: f32 = value.trim().parse().map_err(|_| bad())?;
            match name.trim() {
                "title_boost" => self.title_boost = number,
                "author_boost" => self.author_boost = number,
                "title_phrase_boost" => self.title_phrase_boost = number,
                "title_near_boost" => self.title_near_boost = number,
                "title_whole_boost" => self.title_whole_boost = number,
                "title_whole_near_boost" => self.title_whole_near_boost = number,
                "near_weight" => self.near_weight = number,
                "fill" => self.fill = number.max(0.0) as usize,
                "sentence" => self.sentence = number.max(0.0) as usize,
                other => return Err(RankingError::UnknownWeight(other.to_string())),
            }
        }
        Ok(self)
    }
}
