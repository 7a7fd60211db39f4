//! A unit's posts as Atom 1.0 (RFC 4287) and RSS 2.0 feeds, and the sitemap (sitemaps.org
//! 0.9), written with quick-xml so every text is escaped as XML wants.

use chrono::{DateTime, Utc};
use xaso_domain::units::Unit;

use super::Post;
use crate::xml::{close, done, empty, open, text, writer};
use crate::Result;

/// When a post changed last, for feeds: its publishing time or its last edit, whichever is later.
fn updated(p: &Post) -> DateTime<Utc> {
    let edited = xaso_domain::time::from_storage(&p.row.updated_at);
    match (p.shown_at(), edited) {
        (Some(a), Some(b)) => a.max(b),
        (a, b) => a.or(b).unwrap_or_default(),
    }
}

/// What a feed is about: its unit, the kind of posts if one, its title and where it lives.
pub struct FeedInfo<'a> {
    pub unit: &'a Unit,
    pub title: String,
    /// The feed's own address and the page it mirrors, absolute.
    pub self_url: String,
    pub page_url: String,
    pub base: String,
}

/// An Atom feed of posts (newest first as given).
pub fn atom(info: &FeedInfo, posts: &[Post], now: DateTime<Utc>) -> Result<String> {
    let mut w = writer()?;
    open(
        &mut w,
        "feed",
        &[("xmlns", "http://www.w3.org/2005/Atom"), ("xml:lang", "vi")],
    )?;
    text(&mut w, "id", &[], &info.self_url)?;
    text(&mut w, "title", &[], &info.title)?;
    let newest = posts.iter().map(updated).max().unwrap_or(now);
    text(&mut w, "updated", &[], &newest.to_rfc3339())?;
    empty(
        &mut w,
        "link",
        &[
            ("rel", "self"),
            ("type", "application/atom+xml"),
            ("href", &info.self_url),
        ],
    )?;
    empty(
        &mut w,
        "link",
        &[
            ("rel", "alternate"),
            ("type", "text/html"),
            ("href", &info.page_url),
        ],
    )?;
    open(&mut w, "author", &[])?;
    text(&mut w, "name", &[], &info.unit.full_name)?;
    close(&mut w, "author")?;
    text(&mut w, "generator", &[], "Xã Số")?;
    for p in posts {
        let url = format!("{}/posts/{}", info.base, p.row.id);
        open(&mut w, "entry", &[])?;
        text(&mut w, "id", &[], &url)?;
        text(&mut w, "title", &[], &p.row.title)?;
        text(&mut w, "updated", &[], &updated(p).to_rfc3339())?;
        if let Some(t) = p.shown_at() {
            text(&mut w, "published", &[], &t.to_rfc3339())?;
        }
        empty(
            &mut w,
            "link",
            &[("rel", "alternate"), ("type", "text/html"), ("href", &url)],
        )?;
        empty(&mut w, "category", &[("term", p.kind.as_str())])?;
        if !p.row.summary.is_empty() {
            text(&mut w, "summary", &[], &p.row.summary)?;
        }
        if !p.row.body.is_empty() {
            text(&mut w, "content", &[("type", "text")], &p.row.body)?;
        }
        close(&mut w, "entry")?;
    }
    close(&mut w, "feed")?;
    done(w)
}

/// An RSS 2.0 feed of the same posts.
pub fn rss(info: &FeedInfo, posts: &[Post], now: DateTime<Utc>) -> Result<String> {
    let mut w = writer()?;
    open(
        &mut w,
        "rss",
        &[
            ("version", "2.0"),
            ("xmlns:atom", "http://www.w3.org/2005/Atom"),
        ],
    )?;
    open(&mut w, "channel", &[])?;
    text(&mut w, "title", &[], &info.title)?;
    text(&mut w, "link", &[], &info.page_url)?;
    text(
        &mut w,
        "description",
        &[],
        &format!("Tin bài của {}", info.unit.full_name),
    )?;
    text(&mut w, "language", &[], "vi")?;
    let newest = posts.iter().map(updated).max().unwrap_or(now);
    text(&mut w, "lastBuildDate", &[], &newest.to_rfc2822())?;
    empty(
        &mut w,
        "atom:link",
        &[
            ("href", &info.self_url),
            ("rel", "self"),
            ("type", "application/rss+xml"),
        ],
    )?;
    for p in posts {
        let url = format!("{}/posts/{}", info.base, p.row.id);
        open(&mut w, "item", &[])?;
        text(&mut w, "title", &[], &p.row.title)?;
        text(&mut w, "link", &[], &url)?;
        text(&mut w, "guid", &[("isPermaLink", "true")], &url)?;
        text(
            &mut w,
            "pubDate",
            &[],
            &p.shown_at().unwrap_or_else(|| updated(p)).to_rfc2822(),
        )?;
        text(&mut w, "category", &[], p.kind.as_str())?;
        let description = if p.row.summary.is_empty() {
            &p.row.body
        } else {
            &p.row.summary
        };
        if !description.is_empty() {
            text(&mut w, "description", &[], description)?;
        }
        close(&mut w, "item")?;
    }
    close(&mut w, "channel")?;
    close(&mut w, "rss")?;
    done(w)
}

/// The sitemap: the given addresses (absolute, with their last change).
pub fn sitemap(urls: &[(String, Option<DateTime<Utc>>)]) -> Result<String> {
    let mut w = writer()?;
    open(
        &mut w,
        "urlset",
        &[("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9")],
    )?;
    for (loc, at) in urls {
        open(&mut w, "url", &[])?;
        text(&mut w, "loc", &[], loc)?;
        if let Some(t) = at {
            text(
                &mut w,
                "lastmod",
                &[],
                &t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            )?;
        }
        close(&mut w, "url")?;
    }
    close(&mut w, "urlset")?;
    done(w)
}
