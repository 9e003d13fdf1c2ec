//! Index fields and text analysers.

use tantivy::schema::{
    FAST, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer, TokenizerManager,
};

/// English prose: lower-cased, accents folded, Porter-stemmed.
pub const PROSE: &str = "prose";
/// Names, and prose where exact phrases need the words as written: lower-cased and
/// accent-folded, never stemmed.
pub const EXACT: &str = "exact";

/// Handles of every field, built once with the schema.
#[derive(Clone, Debug)]
pub struct Fields {
    /// Paper id, indexed as one token (for updates) and stored.
    pub id: tantivy::schema::Field,
    /// Title alone, stemmed and stored: weighted above the body at query time.
    pub title: tantivy::schema::Field,
    /// Title and abstract together, stemmed: the main BM25 field.
    pub text: tantivy::schema::Field,
    /// Title and abstract unstemmed, with positions: exact phrases.
    pub text_exact: tantivy::schema::Field,
    pub authors: tantivy::schema::Field,
    /// Category codes as single tokens (`cs.CL`).
    pub categories: tantivy::schema::Field,
    /// First-submitted date as `YYYYMMDD`.
    pub published: tantivy::schema::Field,
}

fn text_options(analyzer: &str, record: IndexRecordOption) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(record),
    )
}

const FREQS: IndexRecordOption = IndexRecordOption::WithFreqs;
const POSITIONS: IndexRecordOption = IndexRecordOption::WithFreqsAndPositions;

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        title: b.add_text_field("title", text_options(PROSE, FREQS) | STORED),
        text: b.add_text_field("text", text_options(PROSE, FREQS)),
        text_exact: b.add_text_field("text_exact", text_options(EXACT, POSITIONS)),
        authors: b.add_text_field("authors", text_options(EXACT, FREQS)),
        categories: b.add_text_field("categories", STRING),
        published: b.add_u64_field("published", INDEXED | FAST),
    };
    (b.build(), fields)
}

pub fn tokenizers() -> TokenizerManager {
    let manager = TokenizerManager::default();
    manager.register(
        PROSE,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(Stemmer::new(Language::English))
            .build(),
    );
    manager.register(
        EXACT,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
    manager
}
