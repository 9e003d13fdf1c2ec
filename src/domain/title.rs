//! A title's matching key: one work under other spacing, case and sentence punctuation.

use sha2::{Digest, Sha256};

/// A title for comparing: lower-cased, without spacing and sentence punctuation, but with
/// the symbols that name a different work kept: `Attention Is All You Need!` and
/// `Attention is all you need` are the same key, `EvTexture++` and `EvTexture` are not.
pub fn title_key(title: &str) -> String {
    const DROPPED: &str =
        ".,:;!?'\"`()[]{}-\u{2010}\u{2011}\u{2012}\u{2013}\u{2014}\u{2018}\u{2019}\u{201c}\u{201d}";
    title
        .chars()
        .filter(|c| !c.is_whitespace() && !DROPPED.contains(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The key as a 64-bit number, what the database indexes to find a title's papers (equal
/// keys, equal hashes; the rare equal hash of another key is told apart by the key).
pub fn title_hash(title: &str) -> i64 {
    let digest = Sha256::digest(title_key(title).as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_work_same_key_and_hash() {
        let a = "Attention Is All You Need!";
        let b = "attention  is all you-need";
        assert_eq!(title_key(a), title_key(b));
        assert_eq!(title_hash(a), title_hash(b));
        assert_ne!(title_hash("EvTexture++"), title_hash("EvTexture"));
    }
}
