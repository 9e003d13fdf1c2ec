//! arXiv identifiers in both forms (`2402.12354`, `hep-th/9901001`), with versions stripped.

use std::fmt;

/// A validated arXiv id without its version suffix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArxivId(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not an arXiv id: {0:?}")]
pub struct IdError(pub String);

impl ArxivId {
    /// Parses an id, an id with a version (`2402.12354v3`), an `arXiv:` prefix, or an
    /// arxiv.org abs/pdf URL.
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let err = || IdError(raw.to_string());
        let mut s = raw.trim();
        for prefix in ["https://", "http://"] {
            s = s.strip_prefix(prefix).unwrap_or(s);
        }
        s = s.strip_prefix("www.").unwrap_or(s);
        for prefix in ["arxiv.org/abs/", "arxiv.org/pdf/", "export.arxiv.org/abs/"] {
            s = s.strip_prefix(prefix).unwrap_or(s);
        }
        s = s.strip_suffix(".pdf").unwrap_or(s);
        if s.len() > 6 && s.as_bytes()[..6].eq_ignore_ascii_case(b"arxiv:") {
            s = &s[6..];
        }
        let s = strip_version(s);
        if is_new_style(s) || is_old_style(s) {
            Ok(ArxivId(s.to_string()))
        } else {
            Err(err())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArxivId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn strip_version(s: &str) -> &str {
    match s.rfind('v') {
        Some(i) if i + 1 < s.len() && s[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &s[..i],
        _ => s,
    }
}

/// `YYMM.NNNN` (2007–2014) or `YYMM.NNNNN` (2015 on).
fn is_new_style(s: &str) -> bool {
    let Some((yymm, num)) = s.split_once('.') else {
        return false;
    };
    yymm.len() == 4
        && yymm.bytes().all(|b| b.is_ascii_digit())
        && (4..=5).contains(&num.len())
        && num.bytes().all(|b| b.is_ascii_digit())
}

/// `archive(.SUBJ)/YYMMNNN`, e.g. `hep-th/9901001` or `math.GT/0309136`.
fn is_old_style(s: &str) -> bool {
    let Some((archive, num)) = s.split_once('/') else {
        return false;
    };
    let archive_ok = !archive.is_empty()
        && archive.len() <= 16
        && archive.starts_with(|c: char| c.is_ascii_lowercase())
        && archive
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'.');
    archive_ok && num.len() == 7 && num.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_and_strips_versions() {
        for (raw, want) in [
            ("2402.12354", "2402.12354"),
            ("2402.12354v3", "2402.12354"),
            ("arXiv:0704.0001v1", "0704.0001"),
            ("hep-th/9901001", "hep-th/9901001"),
            ("math.GT/0309136v2", "math.GT/0309136"),
            ("https://arxiv.org/abs/2402.12354v2", "2402.12354"),
            ("http://arxiv.org/pdf/2402.12354.pdf", "2402.12354"),
        ] {
            assert_eq!(ArxivId::parse(raw).unwrap().as_str(), want, "{raw}");
        }
    }

    #[test]
    fn rejects_other_text() {
        for raw in [
            "",
            "2402",
            "24021.2354",
            "graph neural",
            "hep-th/99",
            "../etc/passwd",
            "ti:\"Würstchen\"",
            "DéjàVu KV cache",
        ] {
            assert!(ArxivId::parse(raw).is_err(), "{raw}");
        }
    }
}
