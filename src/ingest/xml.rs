//! A small element tree over quick-xml: enough for the Atom, RSS and OAI-PMH that arXiv
//! serves, with namespace prefixes dropped (`arxiv:comment` is `comment`).

use quick_xml::events::Event;
use quick_xml::events::attributes::AttrError;

/// Why a document is not well-formed XML.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    /// quick-xml's error, at this byte offset.
    #[error("malformed XML at byte {at}: {source}")]
    Malformed { at: u64, source: quick_xml::Error },
    #[error("bad attribute: {0}")]
    Attribute(#[from] AttrError),
    #[error("bad attribute value: {0}")]
    AttributeValue(#[source] quick_xml::Error),
    #[error(transparent)]
    CharRef(quick_xml::Error),
    #[error("unknown entity &{0};")]
    UnknownEntity(String),
    #[error("unbalanced closing tag")]
    Unbalanced,
    /// The document stops inside this element.
    #[error("XML ends inside <{0}>: the response was cut short")]
    CutShort(String),
    #[error("empty XML document")]
    Empty,
}

#[derive(Debug, Default, Clone)]
pub struct Element {
    /// Local name, without any namespace prefix.
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// The element's own text (CDATA included), entities resolved.
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// A child's text, whitespace-trimmed; `None` when missing or blank.
    pub fn text_of(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text.trim().to_string())
            .filter(|t| !t.is_empty())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn local(qname: &str) -> String {
    match qname.rsplit_once(':') {
        Some((_, local)) => local.to_string(),
        None => qname.to_string(),
    }
}

fn open(e: &quick_xml::events::BytesStart<'_>) -> Result<Element, XmlError> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a?;
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(XmlError::AttributeValue)?;
        attrs.push((local(a.key.as_ref()), value.into_owned()));
    }
    Ok(Element {
        name: local(e.name().as_ref()),
        attrs,
        ..Element::default()
    })
}

/// Parses a whole document and returns its root element. Malformed XML (a truncated
/// body, an HTML error page) is an error naming the byte offset.
pub fn parse(xml: &str) -> Result<Element, XmlError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let at = |r: &quick_xml::Reader<&[u8]>| r.buffer_position();
    loop {
        let event = reader.read_event().map_err(|source| XmlError::Malformed {
            at: at(&reader),
            source,
        })?;
        match event {
            Event::Start(e) => stack.push(open(&e)?),
            Event::Empty(e) => {
                let element = open(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or(XmlError::Unbalanced)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&c);
                }
            }
            Event::GeneralRef(r) => {
                let Some(top) = stack.last_mut() else {
                    continue;
                };
                if let Some(c) = r.resolve_char_ref().map_err(XmlError::CharRef)? {
                    top.text.push(c);
                } else {
                    let name: &str = &r;
                    let resolved = quick_xml::escape::resolve_predefined_entity(name)
                        .ok_or_else(|| XmlError::UnknownEntity(name.to_string()))?;
                    top.text.push_str(resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(unclosed) = stack.pop() {
        return Err(XmlError::CutShort(unclosed.name));
    }
    root.ok_or(XmlError::Empty)
}

#[cfg(test)]
mod tests {
    use super::{XmlError, parse};

    #[test]
    fn builds_a_tree_with_local_names_and_resolved_text() {
        let root = parse(
            r#"<?xml version="1.0"?><feed xmlns:a="urn:x"><a:item k="v &amp; w">x &lt; y &#233;<![CDATA[<b>]]></a:item><e/></feed>"#,
        )
        .unwrap();
        assert_eq!(root.name, "feed");
        let item = root.child("item").unwrap();
        assert_eq!(item.attr("k"), Some("v & w"));
        assert_eq!(item.text, "x < y é<b>");
        assert!(root.child("e").is_some());
    }

    #[test]
    fn truncated_and_malformed_documents_are_errors() {
        let cut = parse("<feed><entry>").unwrap_err();
        assert!(matches!(&cut, XmlError::CutShort(name) if name == "entry"));
        assert!(cut.to_string().contains("cut short"), "{cut}");
        assert!(matches!(
            parse("<feed></entry>"),
            Err(XmlError::Malformed { .. })
        ));
        assert!(matches!(parse(""), Err(XmlError::Empty)));
    }
}
