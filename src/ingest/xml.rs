//! A small element tree over quick-xml: enough for the Atom, RSS and OAI-PMH that arXiv
//! serves, with namespace prefixes dropped (`arxiv:comment` is `comment`).

use quick_xml::events::Event;

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

fn open(e: &quick_xml::events::BytesStart<'_>) -> Result<Element, String> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| format!("bad attribute: {err}"))?;
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| format!("bad attribute value: {err}"))?;
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
pub fn parse(xml: &str) -> Result<Element, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let at = |r: &quick_xml::Reader<&[u8]>| r.buffer_position();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("malformed XML at byte {}: {e}", at(&reader)))?;
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
                let element = stack.pop().ok_or("unbalanced closing tag")?;
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
                if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
                    top.text.push(c);
                } else {
                    let name: &str = &r;
                    let resolved = quick_xml::escape::resolve_predefined_entity(name)
                        .ok_or_else(|| format!("unknown entity &{name};"))?;
                    top.text.push_str(resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(format!(
            "XML ends inside <{}>: the response was cut short",
            stack.last().map_or("", |e| e.name.as_str())
        ));
    }
    root.ok_or_else(|| "empty XML document".to_string())
}

#[cfg(test)]
mod tests {
    use super::parse;

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
        assert!(parse("<feed><entry>").unwrap_err().contains("cut short"));
        assert!(parse("<feed></entry>").is_err());
        assert!(parse("").is_err());
    }
}
