//! Index fields and text analysers.

use super::stem::CachedStemmer;
use std::sync::Arc;
use tantivy::schema::{
    FAST, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
    Token, TokenFilter, TokenStream, Tokenizer, TokenizerManager,
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
    manager.register(PROSE, prose(FirstLetters::default()));
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

/// The `PROSE` analyser, stemming only the words that `letters` lets through.
pub fn prose(letters: FirstLetters) -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(letters)
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(CachedStemmer)
        .build()
}

/// Drops every word whose first letter is not one of a set, before it is lowercased, folded
/// and stemmed. Those steps never change an ASCII first letter but for its case, so a
/// highlighter looking for some stems loses nothing by passing only the words that begin as
/// they do (and every word that begins with a non-ASCII letter, which folding may change).
/// The default lets every word through.
#[derive(Clone, Default)]
pub struct FirstLetters(Option<Arc<[bool; 256]>>);

impl FirstLetters {
    /// Only words beginning as one of `words` begins.
    pub fn of<'a>(words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut set = [false; 256];
        for word in words {
            if let Some(&b) = word.as_bytes().first() {
                set[usize::from(b)] = true;
            }
        }
        FirstLetters(Some(Arc::new(set)))
    }
}

impl TokenFilter for FirstLetters {
    type Tokenizer<T: Tokenizer> = FirstLettersFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> FirstLettersFilter<T> {
        FirstLettersFilter {
            letters: self,
            inner,
        }
    }
}

#[derive(Clone)]
pub struct FirstLettersFilter<T> {
    letters: FirstLetters,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for FirstLettersFilter<T> {
    type TokenStream<'a> = FirstLettersStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        FirstLettersStream {
            letters: self.letters.0.clone(),
            tail: self.inner.token_stream(text),
        }
    }
}

pub struct FirstLettersStream<T> {
    letters: Option<Arc<[bool; 256]>>,
    tail: T,
}

impl<T: TokenStream> TokenStream for FirstLettersStream<T> {
    fn advance(&mut self) -> bool {
        let Some(letters) = &self.letters else {
            return self.tail.advance();
        };
        while self.tail.advance() {
            let first = self.tail.token().text.as_bytes().first();
            if first.is_some_and(|&b| !b.is_ascii() || letters[usize::from(b.to_ascii_lowercase())])
            {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(mut analyser: TextAnalyzer, text: &str) -> Vec<String> {
        let mut stream = analyser.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    }

    #[test]
    fn first_letters_stem_only_words_that_can_match() {
        let text = "Dying Networks, ties and Skies: training Élan";
        let all = words(prose(FirstLetters::default()), text);
        assert_eq!(
            all,
            ["die", "network", "tie", "and", "sky", "train", "elan"]
        );
        let some = words(prose(FirstLetters::of(["network", "tie"])), text);
        assert_eq!(some, ["network", "tie", "train", "elan"]);
    }
}
