//! Index fields and text analysers.

use tantivy::schema::{
    FAST, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, TextAnalyzer, TokenizerManager,
};

/// English prose: lower-cased, accents folded, Porter-stemmed.
pub const PROSE: &str = "prose";
/// Names, and prose where exact phrases need the words as written: lower-cased and
/// accent-folded, never stemmed.
pub const EXACT: &str = "exact";
/// A whole value as one lower-cased token (category codes, venue names).
pub const KEYWORD: &str = "keyword";

/// Handles of every field, built once with the schema.
#[derive(Clone, Debug)]
pub struct Fields {
    /// Paper id, indexed as one token (for updates) and stored.
    pub id: tantivy::schema::Field,
    /// Title alone, stemmed and stored: weighted above the body at query time.
    pub title: tantivy::schema::Field,
    /// Title and abstract together, stemmed: the main BM25 field.
    pub text: tantivy::schema::Field,
    /// Title unstemmed, with positions: exact phrases.
    pub title_exact: tantivy::schema::Field,
    /// Abstract unstemmed, with positions: exact phrases and `abs:`.
    pub abstract_exact: tantivy::schema::Field,
    /// Author names unstemmed, with positions (`au:"Ada Lovelace"`).
    pub authors: tantivy::schema::Field,
    /// Category codes as written (`cs.CL`): facet counts.
    pub categories: tantivy::schema::Field,
    /// Category codes lower-cased: case-insensitive `cat:` filters.
    pub categories_lc: tantivy::schema::Field,
    /// Venue name lower-cased (`venue:` filters) and as written (facet counts).
    pub venue: tantivy::schema::Field,
    pub venue_facet: tantivy::schema::Field,
    /// Track lower-cased (`Oral`, `Poster`): filters; and as written: facet counts.
    pub track: tantivy::schema::Field,
    pub track_facet: tantivy::schema::Field,
    /// First-submitted date as `YYYYMMDD`: date filters, sorting, daily listings.
    pub published: tantivy::schema::Field,
    /// First-submitted year: facet counts.
    pub year: tantivy::schema::Field,
}

fn text_options(analyzer: &str, record: IndexRecordOption) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(record),
    )
}

const BASIC: IndexRecordOption = IndexRecordOption::Basic;
const FREQS: IndexRecordOption = IndexRecordOption::WithFreqs;
const POSITIONS: IndexRecordOption = IndexRecordOption::WithFreqsAndPositions;

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        title: b.add_text_field("title", text_options(PROSE, FREQS) | STORED),
        title_exact: b.add_text_field("title_exact", text_options(EXACT, POSITIONS)),
        text: b.add_text_field("text", text_options(PROSE, FREQS)),
        abstract_exact: b.add_text_field("abstract_exact", text_options(EXACT, POSITIONS)),
        authors: b.add_text_field("authors", text_options(EXACT, POSITIONS)),
        categories: b.add_text_field("categories", STRING | FAST),
        categories_lc: b.add_text_field("categories_lc", text_options(KEYWORD, BASIC)),
        venue: b.add_text_field("venue", text_options(KEYWORD, BASIC)),
        venue_facet: b.add_text_field("venue_facet", STRING | FAST),
        track: b.add_text_field("track", text_options(KEYWORD, BASIC)),
        track_facet: b.add_text_field("track_facet", STRING | FAST),
        published: b.add_u64_field("published", INDEXED | FAST),
        year: b.add_u64_field("year", FAST),
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
    manager.register(
        KEYWORD,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
    manager
}
