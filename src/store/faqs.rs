//! Stored paper FAQs: one per paper, language, model and prompt version.

/// A FAQ as the database keeps it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FaqRow {
    pub paper_id: String,
    /// `en` or `zh`.
    pub lang: String,
    pub model: String,
    /// The prompt template's version (`prompts/faq.txt`).
    pub prompt_version: String,
    pub markdown: String,
    /// `2026-11-28T18:04:05Z`.
    pub created: String,
}
