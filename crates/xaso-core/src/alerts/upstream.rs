//! Following upstream CAP feeds (a province's or a national agency's warnings): a unit's
//! issuers add a feed (Atom or RSS listing CAP messages, or one CAP document); every couple of
//! minutes it is read (with its ETag), each new actual message is matched against the unit's
//! communes, and each commune it covers gets a draft its officers relay with one action or
//! dismiss. A source may say that Extreme and Immediate messages are relayed at once.

use chrono::{DateTime, Duration, Utc};
use quick_xml::events::Event;
use quick_xml::Reader;
use xaso_domain::alerts::upstream::{parse_circle, parse_polygon, CapArea};

/// How often a source is read at most.
pub const EVERY: Duration = Duration::minutes(2);
/// At most this many messages are read from a feed in one pass.
pub(crate) const PER_PASS: usize = 50;
/// A feed or a message larger than this is refused.
pub(crate) const MAX_BYTES: usize = 2 * 1024 * 1024;

/// A CAP message as read from upstream (its first Vietnamese `<info>`, else its first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CapMessage {
    pub identifier: String,
    pub sender: String,
    pub sent: String,
    pub status: String,
    pub msg_type: String,
    /// The identifiers of the messages it references.
    pub references: Vec<String>,
    pub event: String,
    pub categories: Vec<String>,
    pub urgency: String,
    pub severity: String,
    pub certainty: String,
    pub expires: Option<DateTime<Utc>>,
    pub sender_name: String,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub areas: Vec<CapArea>,
}

#[derive(Default)]
struct Info {
    language: String,
    msg: CapMessage,
}

use crate::xml::{local, reference};

/// Reads a CAP 1.1 or 1.2 message (namespace prefixes aside).
pub fn parse_cap(xml: &str) -> std::result::Result<CapMessage, String> {
    // Texts are trimmed whole at their element's end (an entity splits a text in pieces).
    let mut r = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut head = CapMessage::default();
    let mut infos: Vec<Info> = Vec::new();
    let mut area: Option<CapArea> = None;
    let mut geocode_name = String::new();
    let mut buf = String::new();
    loop {
        match r.read_event().map_err(|e| format!("not XML: {e}"))? {
            Event::Start(e) => {
                let name = local(e.name().0);
                if name == "info" {
                    infos.push(Info::default());
                } else if name == "area" {
                    area = Some(CapArea::default());
                }
                path.push(name);
                buf.clear();
            }
            Event::Text(t) => buf.push_str(&t.xml10_content()),
            Event::CData(t) => buf.push_str(&t.into_inner()),
            Event::GeneralRef(r) => buf.push_str(&reference(&r)),
            Event::End(_) => {
                let text = std::mem::take(&mut buf).trim().to_string();
                let parts: Vec<&str> = path.iter().map(String::as_str).collect();
                match parts.as_slice() {
                    [.., "alert", f] => match *f {
                        "identifier" => head.identifier = text,
                        "sender" => head.sender = text,
                        "sent" => head.sent = text,
                        "status" => head.status = text,
                        "msgType" => head.msg_type = text,
                        "references" => {
                            head.references = text
                                .split_whitespace()
                                .filter_map(|t| t.split(',').nth(1).map(str::to_string))
                                .collect()
                        }
                        _ => {}
                    },
                    [.., "info", "area"] => {
                        if let (Some(a), Some(i)) = (area.take(), infos.last_mut()) {
                            i.msg.areas.push(a);
                        }
                    }
                    [.., "info", f] => {
                        if let Some(i) = infos.last_mut() {
                            let m = &mut i.msg;
                            match *f {
                                "language" => i.language = text,
                                "category" => m.categories.push(text),
                                "event" => m.event = text,
                                "urgency" => m.urgency = text,
                                "severity" => m.severity = text,
                                "certainty" => m.certainty = text,
                                "expires" => {
                                    m.expires = DateTime::parse_from_rfc3339(&text)
                                        .ok()
                                        .map(|t| t.with_timezone(&Utc))
                                }
                                "senderName" => m.sender_name = text,
                                "headline" => m.headline = text,
                                "description" => m.description = text,
                                "instruction" => m.instruction = text,
                                _ => {}
                            }
                        }
                    }
                    [.., "area", f] => {
                        if let Some(a) = area.as_mut() {
                            match *f {
                                "areaDesc" => a.desc = text,
                                "polygon" => a.polygons.extend(parse_polygon(&text)),
                                "circle" => a.circles.extend(parse_circle(&text)),
                                _ => {}
                            }
                        }
                    }
                    [.., "geocode", f] => {
                        if let Some(a) = area.as_mut() {
                            if *f == "valueName" {
                                geocode_name = text;
                            } else if *f == "value" {
                                a.geocodes.push((std::mem::take(&mut geocode_name), text));
                            }
                        }
                    }
                    _ => {}
                }
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if head.identifier.is_empty() || head.sender.is_empty() || head.msg_type.is_empty() {
        return Err("not a CAP message: identifier, sender and msgType are required".into());
    }
    let pick = infos
        .iter()
        .position(|i| i.language.to_lowercase().starts_with("vi"))
        .unwrap_or(0);
    let info = if infos.is_empty() {
        CapMessage::default()
    } else {
        infos.swap_remove(pick).msg
    };
    Ok(CapMessage {
        identifier: head.identifier,
        sender: head.sender,
        sent: head.sent,
        status: head.status,
        msg_type: head.msg_type,
        references: head.references,
        ..info
    })
}

/// What a source's address holds: the addresses of the messages a feed lists (Atom entries'
/// links, RSS items' links), or one CAP message itself.
#[derive(Debug, PartialEq)]
pub enum Fetched {
    Feed(Vec<String>),
    Message(Box<CapMessage>),
}

/// Reads a feed or a message.
pub fn parse_source(body: &str, base: &str) -> std::result::Result<Fetched, String> {
    let mut r = Reader::from_str(body);
    r.config_mut().trim_text(true);
    let mut path: Vec<String> = Vec::new();
    let mut links = Vec::new();
    let base_url = reqwest::Url::parse(base).map_err(|e| format!("the address: {e}"))?;
    let resolve = |href: &str| base_url.join(href.trim()).ok().map(|u| u.to_string());
    loop {
        let ev = r.read_event().map_err(|e| format!("not XML: {e}"))?;
        let (e, nests) = match &ev {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(_) => {
                path.pop();
                continue;
            }
            Event::Text(t) => {
                if path.len() >= 2
                    && path[path.len() - 1] == "link"
                    && path[path.len() - 2] == "item"
                {
                    if let Some(u) = resolve(&t.xml10_content()) {
                        links.push(u);
                    }
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = local(e.name().0);
        if path.is_empty() && name == "alert" {
            return parse_cap(body).map(|m| Fetched::Message(Box::new(m)));
        }
        if path.is_empty() && !matches!(name.as_str(), "feed" | "rss" | "RDF") {
            return Err(format!("neither a feed nor a CAP message: <{name}>"));
        }
        if name == "link" && path.last().is_some_and(|p| p == "entry") {
            let attr = |k: &str| {
                e.attributes()
                    .flatten()
                    .find(|a| local(a.key.0) == k)
                    .map(|a| a.value.replace("&amp;", "&"))
            };
            let rel = attr("rel").unwrap_or_else(|| "alternate".into());
            if rel == "alternate" || rel == "related" {
                if let Some(u) = attr("href").as_deref().and_then(resolve) {
                    links.push(u);
                }
            }
        }
        if nests {
            path.push(name);
        }
    }
    links.dedup();
    Ok(Fetched::Feed(links))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<cap:alert xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">
  <cap:identifier>VN-KTTV-2026-1203-001</cap:identifier>
  <cap:sender>kttv@example.gov.vn</cap:sender>
  <cap:sent>2026-12-03T08:00:00+07:00</cap:sent>
  <cap:status>Actual</cap:status>
  <cap:msgType>Update</cap:msgType>
  <cap:scope>Public</cap:scope>
  <cap:references>kttv@example.gov.vn,VN-KTTV-2026-1202-009,2026-12-02T20:00:00+07:00</cap:references>
  <cap:info>
    <cap:language>en-US</cap:language>
    <cap:category>Met</cap:category>
    <cap:event>Flood</cap:event>
    <cap:urgency>Expected</cap:urgency>
    <cap:severity>Severe</cap:severity>
    <cap:certainty>Likely</cap:certainty>
    <cap:headline>Flood on the Vam Co Dong</cap:headline>
  </cap:info>
  <cap:info>
    <cap:language>vi-VN</cap:language>
    <cap:category>Met</cap:category>
    <cap:event>Lũ</cap:event>
    <cap:urgency>Immediate</cap:urgency>
    <cap:severity>Extreme</cap:severity>
    <cap:certainty>Observed</cap:certainty>
    <cap:expires>2026-12-04T08:00:00+07:00</cap:expires>
    <cap:senderName>Đài Khí tượng Thủy văn tỉnh</cap:senderName>
    <cap:headline>Lũ trên sông Vàm Cỏ Đông &amp; kênh Thầy Cai</cap:headline>
    <cap:description><![CDATA[Mực nước lên < 2 m]]></cap:description>
    <cap:instruction>Di dời người già&#44; trẻ em.</cap:instruction>
    <cap:area>
      <cap:areaDesc>Xã Đức Hòa; Xã Hậu Nghĩa</cap:areaDesc>
      <cap:polygon>10.87,106.39 10.87,106.41 10.89,106.41 10.87,106.39</cap:polygon>
      <cap:geocode><cap:valueName>GSO</cap:valueName><cap:value>27937</cap:value></cap:geocode>
    </cap:area>
    <cap:area><cap:areaDesc>Tỉnh Tây Ninh</cap:areaDesc><cap:circle>10.9,106.4 5</cap:circle></cap:area>
  </cap:info>
</cap:alert>"#;

    #[test]
    fn a_cap_message_is_read_in_vietnamese_when_it_has_it() {
        let m = parse_cap(MESSAGE).unwrap();
        assert_eq!(m.identifier, "VN-KTTV-2026-1203-001");
        assert_eq!(m.msg_type, "Update");
        assert_eq!(m.references, ["VN-KTTV-2026-1202-009"]);
        assert_eq!(m.severity, "Extreme", "the Vietnamese info");
        assert_eq!(m.headline, "Lũ trên sông Vàm Cỏ Đông & kênh Thầy Cai");
        assert_eq!(m.description, "Mực nước lên < 2 m");
        assert_eq!(m.instruction, "Di dời người già, trẻ em.");
        assert_eq!(m.sender_name, "Đài Khí tượng Thủy văn tỉnh");
        assert_eq!(m.expires.unwrap().to_rfc3339(), "2026-12-04T01:00:00+00:00");
        assert_eq!(m.areas.len(), 2);
        assert_eq!(
            m.areas[0].geocodes,
            [("GSO".to_string(), "27937".to_string())]
        );
        assert_eq!(m.areas[0].polygons[0].len(), 4);
        assert_eq!(m.areas[1].circles, [(10.9, 106.4, 5.0)]);
        assert!(parse_cap("<alert><sender>x</sender></alert>").is_err());
        assert!(parse_cap("not xml <<").is_err());
    }

    #[test]
    fn feeds_list_their_messages_and_a_message_is_its_own_source() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
          <link rel="self" href="/cap/alerts.atom"/>
          <entry><id>a</id><link rel="alternate" type="application/cap+xml" href="/cap/1.xml"/></entry>
          <entry><id>b</id><link href="https://other.example/cap/2.xml"/></entry></feed>"#;
        assert_eq!(
            parse_source(atom, "https://kttv.example/cap/alerts.atom").unwrap(),
            Fetched::Feed(vec![
                "https://kttv.example/cap/1.xml".into(),
                "https://other.example/cap/2.xml".into()
            ])
        );
        let rss = r#"<rss version="2.0"><channel><title>t</title><link>https://x.example/</link>
          <item><title>a</title><link>https://x.example/a.xml</link></item></channel></rss>"#;
        assert_eq!(
            parse_source(rss, "https://x.example/rss").unwrap(),
            Fetched::Feed(vec!["https://x.example/a.xml".into()])
        );
        assert!(matches!(
            parse_source(MESSAGE, "https://x.example/one.xml").unwrap(),
            Fetched::Message(_)
        ));
        assert!(parse_source("<html><body>Not found</body></html>", "https://x.example/").is_err());
    }
}
