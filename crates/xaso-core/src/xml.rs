//! Small helpers over quick-xml for the XML the platform publishes (Atom and RSS feeds, the
//! sitemap, CAP messages: every text escaped as XML wants, indented output) and for the XML it
//! reads (CAP, KML).

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::{Error, Result};

/// A writer into memory.
pub type W = Writer<Vec<u8>>;

fn err(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("xml: {e}"))
}

fn start<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
    let mut s = BytesStart::new(name);
    for (k, v) in attrs {
        s.push_attribute((*k, *v));
    }
    s
}

/// `<name attrs>value</name>`
pub fn text(w: &mut W, name: &str, attrs: &[(&str, &str)], value: &str) -> Result<()> {
    w.write_event(Event::Start(start(name, attrs)))
        .map_err(err)?;
    w.write_event(Event::Text(BytesText::new(value)))
        .map_err(err)?;
    w.write_event(Event::End(BytesEnd::new(name))).map_err(err)
}

/// `<name attrs/>`
pub fn empty(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> Result<()> {
    w.write_event(Event::Empty(start(name, attrs))).map_err(err)
}

/// `<name attrs>`
pub fn open(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> Result<()> {
    w.write_event(Event::Start(start(name, attrs))).map_err(err)
}

/// `</name>`
pub fn close(w: &mut W, name: &str) -> Result<()> {
    w.write_event(Event::End(BytesEnd::new(name))).map_err(err)
}

/// A writer that has written the XML declaration.
pub fn writer() -> Result<W> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
        .map_err(err)?;
    Ok(w)
}

/// The document written.
pub fn done(w: W) -> Result<String> {
    String::from_utf8(w.into_inner()).map_err(err)
}

/// An element's name without its namespace prefix.
pub fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_string()
}

/// The text of an entity or character reference met while reading.
pub fn reference(r: &quick_xml::events::BytesRef<'_>) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    match r.xml10_content().as_ref() {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => "",
    }
    .to_string()
}
